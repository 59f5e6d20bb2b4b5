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
        if (n < 0)
            continue;                     /* longer than we keep: as if absent (the app
                                             refuses a missing key with CONNECT_ERROR;
                                             an HTTP error would make clients retry) */
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
 * forever. lws keeps at most 4096 bytes of headers and query
 * (max_http_header_data), so every argument fits in frag. The one asked for,
 * when longer than the caller keeps, comes back as "\x7f", which matches no
 * sid, version or transport: an over-long sid= is an unknown session, not a
 * missing one (that would open a new session). */
#define FRAG_MAX 4096

const char *eio_query_arg(struct lws *wsi, const char *name, char *buf, size_t cap)
{
    static const char unusable[] = "\x7f";
    char frag[FRAG_MAX + 1];
    size_t nl = strlen(name), vl;
    int idx, len, n;

    if (cap == 0 || nl == 0)
        return NULL;
    for (idx = 0; idx < SIO_QUERY_ARGS_MAX; idx++) {
        len = lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_URI_ARGS, idx);
        if (len <= 0)
            break;
        if ((size_t)len <= nl)
            continue;
        n = lws_hdr_copy_fragment(wsi, frag, (int)sizeof(frag), WSI_TOKEN_HTTP_URI_ARGS, idx);
        if (n <= (int)nl || frag[nl] != '=' || memcmp(frag, name, nl) != 0)
            continue;
        vl = (size_t)n - nl - 1;
        if (vl >= cap)
            return unusable;              /* ours, but longer than the caller keeps */
        memcpy(buf, frag + nl + 1, vl);
        buf[vl] = '\0';
        return buf;
    }
    return NULL;
}
