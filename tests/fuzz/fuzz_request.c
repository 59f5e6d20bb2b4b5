/* fuzz_request.c - sync-api's request reading (fcgi-api/request.c, route.c):
 * strict percent-decoding, query strings, REQUEST_URI to route, entity tags.
 * The first byte picks the parser; the rest is its input. */
#include <stdbool.h>
#include <string.h>

#include "fcgi-api/api.h"
#include "fcgi-api/request.h"
#include "fcgi-api/route.h"
#include "fuzz.h"
#include "rules.h"

static void fuzz_decode(const char *in, size_t n, bool plus)
{
    struct sync_err err = { 0 };
    char *out = NULL, *enc, *back = NULL;
    size_t len = 0, blen = 0;
    int rc = pct_decode(in, n, plus, &out, &len, &err);

    FUZZ_CHECK(rc == SYNC_OK || rc == SYNC_EINVAL);
    if (rc != SYNC_OK) {
        FUZZ_CHECK(out == NULL);
        return;
    }
    FUZZ_CHECK(len <= n && out[len] == '\0');
    FUZZ_CHECK(memchr(out, '\0', len) == NULL);
    FUZZ_CHECK(utf8_valid(out, len));
    /* every byte percent-encoded decodes back to the same bytes */
    enc = malloc(len * 3 + 1);
    FUZZ_CHECK(enc != NULL);
    for (size_t i = 0; i < len; i++) {
        static const char hex[] = "0123456789ABCDEF";
        enc[3 * i] = '%';
        enc[3 * i + 1] = hex[(unsigned char)out[i] >> 4];
        enc[3 * i + 2] = hex[(unsigned char)out[i] & 15];
    }
    FUZZ_CHECK(pct_decode(enc, len * 3, plus, &back, &blen, &err) == SYNC_OK);
    FUZZ_CHECK(blen == len && memcmp(back, out, len) == 0);
    free(back);
    free(enc);
    free(out);
}

static void fuzz_query(const char *in, size_t n)
{
    struct sync_err err = { 0 };
    struct query q;
    int rc = query_parse(in, n, &q, &err);

    FUZZ_CHECK(rc == SYNC_OK || rc == SYNC_EINVAL);
    if (rc != SYNC_OK) {
        FUZZ_CHECK(q.n == 0 && q.items == NULL);
        return;
    }
    FUZZ_CHECK(q.n <= API_QUERY_MAX_PARAMS);
    for (size_t i = 0; i < q.n; i++) {
        const struct query_param *p = &q.items[i];
        FUZZ_CHECK(p->name[p->name_len] == '\0' && p->value[p->value_len] == '\0');
        FUZZ_CHECK(!memchr(p->name, '\0', p->name_len) && !memchr(p->value, '\0', p->value_len));
        FUZZ_CHECK(utf8_valid(p->name, p->name_len) && utf8_valid(p->value, p->value_len));
        FUZZ_CHECK(query_get(&q, p->name, NULL) == p->value);     /* names are unique */
    }
    query_free(&q);
}

struct one { const char *uri; };

static const char *one_param(void *ctx, const char *name)
{
    struct one *o = ctx;

    if (strcmp(name, "REQUEST_URI") == 0)
        return o->uri;
    if (strcmp(name, "REQUEST_METHOD") == 0)
        return "GET";
    return NULL;
}

static void fuzz_route(const char *in, size_t n)
{
    char *uri = malloc(n + 1);
    struct one o = { uri };
    struct request r;
    struct route_match m;
    enum route_result res;

    FUZZ_CHECK(uri != NULL);
    memcpy(uri, in, n);
    uri[n] = '\0';                          /* FastCGI parameters hold no NUL */
    FUZZ_CHECK(request_init(&r, one_param, &o) == SYNC_OK);
    if (!r.path_bad && r.path) {
        FUZZ_CHECK(utf8_valid(r.path, r.path_len) && !memchr(r.path, '\0', r.path_len));
        res = route_find(api_routes, api_routes_n, r.method, r.path, r.path_len, &m);
        if (res == ROUTE_OK) {
            FUZZ_CHECK(m.route != NULL && strcmp(m.route->method, "GET") == 0);
            for (int i = 0; i < ROUTE_MAX_IDS; i++)
                FUZZ_CHECK(m.ids[i][0] == '\0' || rules_is_uuid(m.ids[i], strlen(m.ids[i])));
        }
        if (res == ROUTE_NO_METHOD)
            FUZZ_CHECK(strstr(m.allow, "OPTIONS") != NULL);
    } else {
        FUZZ_CHECK(r.path == NULL);
    }
    FUZZ_CHECK(r.query_raw != NULL && r.query_raw[r.query_raw_len] == '\0');
    request_free(&r);
    free(uri);
}

static void fuzz_etag(const char *in, size_t n)
{
    char *h = malloc(n + 1), out[SYNC_HASH_LEN + 1];
    int len;

    FUZZ_CHECK(h != NULL);
    memcpy(h, in, n);
    h[n] = '\0';
    (void)etag_list_matches(h, "sha256:abc", 10);
    (void)etag_is_star(h);
    len = etag_single(h, out, sizeof out);
    FUZZ_CHECK(len == -1 || (len > 0 && (size_t)len < sizeof out && out[len] == '\0'));
    if (len > 0)
        FUZZ_CHECK(etag_list_matches(h, out, (size_t)len));
    free(h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data + 1;
    size_t n = size ? size - 1 : 0;

    if (size == 0)
        return 0;
    switch (data[0] % 5) {
    case 0: fuzz_decode(in, n, false); break;
    case 1: fuzz_decode(in, n, true); break;
    case 2: fuzz_query(in, n); break;
    case 3: fuzz_route(in, n); break;
    default: fuzz_etag(in, n); break;
    }
    return 0;
}
