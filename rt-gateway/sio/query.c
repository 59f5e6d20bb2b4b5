/* query.c - the query arguments of a request, as lws decoded them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "internal.h"

int eio_query_read(struct lws *wsi, struct sio_query *q)
{
    char *frag = NULL, *eq;
    struct sio_kv *kv = NULL;
    int idx, n, count, rc = SYNC_OK;

    q->kv = NULL;
    q->n = 0;
    for (count = 0; count < SIO_QUERY_ARGS_MAX; count++)
        if (lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_URI_ARGS, count) <= 0)
            break;
    if (count == 0)
        return SYNC_OK;
    frag = malloc(SIO_QUERY_ARG_MAX + 1);
    kv = calloc((size_t)count, sizeof(*kv));
    if (!frag || !kv) {
        rc = SYNC_ENOMEM;
        goto out;
    }
    q->kv = kv;
    kv = NULL;
    for (idx = 0; idx < count; idx++) {
        n = lws_hdr_copy_fragment(wsi, frag, SIO_QUERY_ARG_MAX + 1, WSI_TOKEN_HTTP_URI_ARGS, idx);
        if (n < 0) {
            rc = SYNC_EINVAL;             /* longer than we keep */
            goto out;
        }
        eq = memchr(frag, '=', (size_t)n);
        q->kv[q->n].name = strndup(frag, eq ? (size_t)(eq - frag) : (size_t)n);
        q->kv[q->n].value = strdup(eq ? eq + 1 : "");
        q->n++;
        if (!q->kv[q->n - 1].name || !q->kv[q->n - 1].value) {
            rc = SYNC_ENOMEM;
            goto out;
        }
    }
out:
    free(frag);
    free(kv);
    if (rc != SYNC_OK)
        eio_query_free(q);
    return rc;
}

const char *eio_query_get(const struct sio_query *q, const char *name)
{
    unsigned i;

    for (i = 0; i < q->n; i++)
        if (strcmp(q->kv[i].name, name) == 0)
            return q->kv[i].value;
    return NULL;
}

void eio_query_free(struct sio_query *q)
{
    unsigned i;

    if (q->kv) {
        for (i = 0; i < q->n; i++) {
            free(q->kv[i].name);
            free(q->kv[i].value);
        }
    }
    free(q->kv);
    q->kv = NULL;
    q->n = 0;
}

/* Not lws_get_urlarg_by_name(): it copies every argument into buf on its
 * way and gives up at the first one longer than buf, so a long argument
 * before EIO= (socket.io-client puts the app's query, e.g. a wrong 60-byte
 * apiKey, first) made every handshake a 400 - and the client retries those
 * forever. Arguments too long to be the one asked for are skipped. */
const char *eio_query_arg(struct lws *wsi, const char *name, char *buf, size_t cap)
{
    char frag[SIO_QUERY_ARG_MAX + 1];
    size_t nl = strlen(name), vl;
    int idx, len, n;

    if (cap == 0 || nl == 0)
        return NULL;
    for (idx = 0; idx < SIO_QUERY_ARGS_MAX; idx++) {
        len = lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_URI_ARGS, idx);
        if (len <= 0)
            break;
        if ((size_t)len <= nl || (size_t)len > SIO_QUERY_ARG_MAX)
            continue;
        n = lws_hdr_copy_fragment(wsi, frag, (int)sizeof(frag), WSI_TOKEN_HTTP_URI_ARGS, idx);
        if (n <= (int)nl || frag[nl] != '=' || memcmp(frag, name, nl) != 0)
            continue;
        vl = (size_t)n - nl - 1;
        if (vl >= cap)
            return NULL;                  /* ours, but longer than the caller keeps */
        memcpy(buf, frag + nl + 1, vl);
        buf[vl] = '\0';
        return buf;
    }
    return NULL;
}
