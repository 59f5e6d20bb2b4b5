/* test_api_request.c - sync-api's request reading, without a socket: strict
 * percent-decoding, query parsing, the route as each web server hands it
 * over (REQUEST_URI, SCRIPT_NAME + PATH_INFO), Content-Length and the body
 * reader (exact, short, unannounced, over the limit), entity tags. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cutest.h"
#include "fcgi-api/request.h"

/* ---- percent-decoding ------------------------------------------------------ */

static void check_dec(int line, const char *in, bool plus, int want_rc, const char *want,
                      size_t want_len)
{
    struct sync_err err = {0};
    char *out = NULL;
    size_t n = 0;
    int rc = pct_decode(in, strlen(in), plus, &out, &n, &err);

    if (rc != want_rc || (rc == SYNC_OK && (n != want_len || memcmp(out, want, n) != 0)))
        fprintf(stderr, "\n  line %d: pct_decode(\"%s\") = %d (%s) len %zu\n", line, in, rc,
                rc ? err.msg : out, n);
    CU_ASSERT_EQUAL(rc, want_rc);
    if (rc == SYNC_OK && want_rc == SYNC_OK) {
        CU_ASSERT_EQUAL(n, want_len);
        CU_ASSERT_EQUAL(memcmp(out, want, n), 0);
        CU_ASSERT_EQUAL(out[n], '\0');
    } else {
        CU_ASSERT_PTR_NULL(out);
    }
    free(out);
}
#define DEC_OK(in, plus, want) check_dec(__LINE__, in, plus, SYNC_OK, want, strlen(want))
#define DEC_BAD(in) check_dec(__LINE__, in, true, SYNC_EINVAL, NULL, 0)

static void test_pct_decode(void)
{
    DEC_OK("", true, "");
    DEC_OK("abc", true, "abc");
    DEC_OK("a%20b", true, "a b");
    DEC_OK("a+b", true, "a b");
    DEC_OK("a+b", false, "a+b");                /* '+' is a space only in queries */
    DEC_OK("%2B", true, "+");
    DEC_OK("%2f%2F", true, "//");               /* either hex case */
    DEC_OK("%25", true, "%");
    DEC_OK("%25G1", true, "%G1");               /* decoded once, never twice */
    DEC_OK("%C3%A9", true, "\xc3\xa9");         /* é */
    DEC_OK("%E6%97%A5", true, "\xe6\x97\xa5");  /* 日 */
    DEC_OK("%F0%9F%98%80", true, "\xf0\x9f\x98\x80");
    DEC_OK("%F4%8F%BF%BF", true, "\xf4\x8f\xbf\xbf");   /* U+10FFFF */
    DEC_OK("\xc3\xa9", true, "\xc3\xa9");       /* raw UTF-8 passes */

    DEC_BAD("%");
    DEC_BAD("a%");
    DEC_BAD("%A");
    DEC_BAD("%G1");
    DEC_BAD("%1G");
    DEC_BAD("% 1");
    DEC_BAD("%00");                             /* NUL */
    DEC_BAD("a%00b");
    DEC_BAD("%FF");
    DEC_BAD("%80");                             /* lone continuation byte */
    DEC_BAD("%C0%AF");                          /* overlong '/' */
    DEC_BAD("%E0%80%AF");                       /* overlong, 3 bytes */
    DEC_BAD("%ED%A0%80");                       /* surrogate U+D800 */
    DEC_BAD("%ED%BF%BF");                       /* surrogate U+DFFF */
    DEC_BAD("%F4%90%80%80");                    /* above U+10FFFF */
    DEC_BAD("%E3%81");                          /* truncated sequence */
    DEC_BAD("\xff");                            /* raw invalid byte */
}

/* ---- query strings ------------------------------------------------------------ */

static void test_query_parse(void)
{
    struct query q;
    struct sync_err err = {0};
    const char *v;
    size_t n;
    const char *raw = "path=notes%2Fa+b.md&limit=10&&flag&empty=&x=%3D%26";

    CU_ASSERT_EQUAL_FATAL(query_parse(raw, strlen(raw), &q, &err), SYNC_OK);
    CU_ASSERT_EQUAL(q.n, 5);
    v = query_get(&q, "path", &n);
    CU_ASSERT_STRING_EQUAL(v, "notes/a b.md");
    CU_ASSERT_EQUAL(n, 12);
    CU_ASSERT_STRING_EQUAL(query_get(&q, "limit", NULL), "10");
    v = query_get(&q, "flag", &n);
    CU_ASSERT_PTR_NOT_NULL(v);
    CU_ASSERT_EQUAL(n, 0);
    CU_ASSERT_TRUE(query_has(&q, "empty"));
    CU_ASSERT_STRING_EQUAL(query_get(&q, "x", NULL), "=&");
    CU_ASSERT_PTR_NULL(query_get(&q, "missing", NULL));
    CU_ASSERT_FALSE(query_has(&q, "pat"));
    query_free(&q);

    CU_ASSERT_EQUAL(query_parse("", 0, &q, &err), SYNC_OK);
    CU_ASSERT_EQUAL(q.n, 0);
    query_free(&q);
}

static void check_query_bad(int line, const char *raw)
{
    struct query q;
    struct sync_err err = {0};
    int rc = query_parse(raw, strlen(raw), &q, &err);

    if (rc != SYNC_EINVAL)
        fprintf(stderr, "\n  line %d: query_parse(\"%.60s\") = %d\n", line, raw, rc);
    CU_ASSERT_EQUAL(rc, SYNC_EINVAL);
    CU_ASSERT_EQUAL(q.n, 0);
    CU_ASSERT_PTR_NULL(q.items);
}
#define QBAD(raw) check_query_bad(__LINE__, raw)

static void test_query_bad(void)
{
    char *many, *longq;
    size_t i, off = 0;

    QBAD("path=%FF");
    QBAD("path=%C0%AF");
    QBAD("path=%ED%A0%80");
    QBAD("path=a%00b");
    QBAD("path=%G1");
    QBAD("path=a%");
    QBAD("p%FFth=x");                           /* names are checked too */
    QBAD("path=a&limit=1&path=b");              /* the same name twice */
    /* too many pairs */
    many = malloc(API_QUERY_MAX_PARAMS * 8 + 16);
    CU_ASSERT_PTR_NOT_NULL_FATAL(many);
    for (i = 0; i <= API_QUERY_MAX_PARAMS; i++)
        off += (size_t)sprintf(many + off, "%sk%zu=1", i ? "&" : "", i);
    QBAD(many);
    free(many);
    /* too long */
    longq = malloc(API_QUERY_RAW_MAX + 8);
    CU_ASSERT_PTR_NOT_NULL_FATAL(longq);
    memcpy(longq, "path=", 5);
    memset(longq + 5, 'a', API_QUERY_RAW_MAX);
    longq[API_QUERY_RAW_MAX + 5] = '\0';
    QBAD(longq);
    free(longq);
}

static void test_query_values(void)
{
    bool b = false;
    long long v = -1;

    CU_ASSERT_EQUAL(query_bool("true", 4, &b), SYNC_OK);
    CU_ASSERT_TRUE(b);
    CU_ASSERT_EQUAL(query_bool("0", 1, &b), SYNC_OK);
    CU_ASSERT_FALSE(b);
    CU_ASSERT_EQUAL(query_bool("1", 1, &b), SYNC_OK);
    CU_ASSERT_TRUE(b);
    CU_ASSERT_EQUAL(query_bool("false", 5, &b), SYNC_OK);
    CU_ASSERT_FALSE(b);
    CU_ASSERT_EQUAL(query_bool("TRUE", 4, &b), SYNC_EINVAL);
    CU_ASSERT_EQUAL(query_bool("yes", 3, &b), SYNC_EINVAL);
    CU_ASSERT_EQUAL(query_bool("", 0, &b), SYNC_EINVAL);
    CU_ASSERT_EQUAL(query_bool("truex", 5, &b), SYNC_EINVAL);

    CU_ASSERT_EQUAL(parse_uint("0", 1, 10, &v), SYNC_OK);
    CU_ASSERT_EQUAL(v, 0);
    CU_ASSERT_EQUAL(parse_uint("1000", 4, 1000, &v), SYNC_OK);
    CU_ASSERT_EQUAL(v, 1000);
    CU_ASSERT_EQUAL(parse_uint("1001", 4, 1000, &v), SYNC_EINVAL);
    CU_ASSERT_EQUAL(parse_uint("", 0, 1000, &v), SYNC_EINVAL);
    CU_ASSERT_EQUAL(parse_uint("-1", 2, 1000, &v), SYNC_EINVAL);
    CU_ASSERT_EQUAL(parse_uint("+1", 2, 1000, &v), SYNC_EINVAL);
    CU_ASSERT_EQUAL(parse_uint(" 1", 2, 1000, &v), SYNC_EINVAL);
    CU_ASSERT_EQUAL(parse_uint("1.5", 3, 1000, &v), SYNC_EINVAL);
    CU_ASSERT_EQUAL(parse_uint("9223372036854775807", 19, INT64_MAX, &v), SYNC_OK);
    CU_ASSERT_EQUAL(v, INT64_MAX);
    CU_ASSERT_EQUAL(parse_uint("9223372036854775808", 19, INT64_MAX, &v), SYNC_EINVAL);
    CU_ASSERT_EQUAL(parse_uint("99999999999999999999999", 23, INT64_MAX, &v), SYNC_EINVAL);
    /* the length is honoured: no NUL needed */
    CU_ASSERT_EQUAL(parse_uint("12x", 2, 100, &v), SYNC_OK);
    CU_ASSERT_EQUAL(v, 12);
}

/* ---- the request as each web server hands it over ---------------------------- */

struct env { const char *const *kv; };        /* NULL-terminated name, value pairs */

static const char *env_get(void *ctx, const char *name)
{
    const struct env *e = ctx;

    for (size_t i = 0; e->kv[i]; i += 2)
        if (strcmp(e->kv[i], name) == 0)
            return e->kv[i + 1];
    return NULL;
}

static void check_route(int line, const char *const *kv, const char *want_path,
                        enum route_source want_src, const char *want_query)
{
    struct env e = { kv };
    struct request r;

    CU_ASSERT_EQUAL_FATAL(request_init(&r, env_get, &e), SYNC_OK);
    if (want_path) {
        if (r.path_bad || !r.path || strcmp(r.path, want_path) != 0)
            fprintf(stderr, "\n  line %d: route %s, want %s\n", line, r.path_bad ? "(bad)" : r.path,
                    want_path);
        CU_ASSERT_FALSE(r.path_bad);
        CU_ASSERT_PTR_NOT_NULL_FATAL(r.path);
        CU_ASSERT_STRING_EQUAL(r.path, want_path);
        CU_ASSERT_EQUAL(r.path_len, strlen(want_path));
    } else {
        if (!r.path_bad)
            fprintf(stderr, "\n  line %d: route %s, want bad\n", line, r.path);
        CU_ASSERT_TRUE(r.path_bad);
        CU_ASSERT_PTR_NULL(r.path);
    }
    CU_ASSERT_EQUAL(r.path_source, want_src);
    if (want_query) {
        CU_ASSERT_STRING_EQUAL(r.query_raw, want_query);
        CU_ASSERT_EQUAL(r.query_raw_len, strlen(want_query));
    }
    request_free(&r);
}
#define ROUTE(want, src, q, ...) \
    check_route(__LINE__, (const char *const[]){ __VA_ARGS__, NULL }, want, src, q)

static void test_route_forms(void)
{
    /* lighttpd, fastcgi.server "/" with fix-root-scriptname */
    ROUTE("/api/v1/files", ROUTE_FROM_REQUEST_URI, "path=a.md",
          "REQUEST_METHOD", "GET", "REQUEST_URI", "/api/v1/files?path=a.md",
          "SCRIPT_NAME", "", "PATH_INFO", "/api/v1/files", "QUERY_STRING", "path=a.md");
    /* lighttpd, fastcgi.server "/api/v1": SCRIPT_NAME is the mount */
    ROUTE("/api/v1/files", ROUTE_FROM_REQUEST_URI, "",
          "REQUEST_URI", "/api/v1/files", "SCRIPT_NAME", "/api/v1", "PATH_INFO", "/files",
          "QUERY_STRING", "");
    /* nginx: SCRIPT_NAME is the decoded, normalised $fastcgi_script_name */
    ROUTE("/api/v1/admin/stores/x", ROUTE_FROM_REQUEST_URI, "",
          "REQUEST_URI", "/api/v1/admin/stores/%78", "SCRIPT_NAME", "/api/v1/admin/stores/x",
          "QUERY_STRING", "");
    /* Apache mod_proxy_fcgi: REQUEST_URI with the query, SCRIPT_NAME + PATH_INFO split */
    ROUTE("/api/v1/changes", ROUTE_FROM_REQUEST_URI, "since=3",
          "REQUEST_URI", "/api/v1/changes?since=3", "SCRIPT_NAME", "/api",
          "PATH_INFO", "/v1/changes", "QUERY_STRING", "since=3");
    /* no REQUEST_URI: SCRIPT_NAME + PATH_INFO, taken as already decoded */
    ROUTE("/api/v1/health", ROUTE_FROM_SCRIPT_NAME, "",
          "SCRIPT_NAME", "/api/v1", "PATH_INFO", "/health");
    ROUTE("/api/v1/health", ROUTE_FROM_SCRIPT_NAME, "",
          "SCRIPT_NAME", "/api/v1/health");
    ROUTE("/health", ROUTE_FROM_SCRIPT_NAME, "x=1",
          "PATH_INFO", "/health", "QUERY_STRING", "x=1");
    ROUTE("/a%25b", ROUTE_FROM_SCRIPT_NAME, "",
          "SCRIPT_NAME", "/a%25b");                     /* never decoded twice */
    /* query from REQUEST_URI when QUERY_STRING is absent; the fragment is not part of it */
    ROUTE("/api/v1/files", ROUTE_FROM_REQUEST_URI, "path=x.md",
          "REQUEST_URI", "/api/v1/files?path=x.md#frag");
    /* absolute-form request target */
    ROUTE("/api/v1/health", ROUTE_FROM_REQUEST_URI, "a=1",
          "REQUEST_URI", "http://example.org:8080/api/v1/health?a=1");
    ROUTE("", ROUTE_FROM_REQUEST_URI, "",
          "REQUEST_URI", "http://example.org");
    /* an empty REQUEST_URI counts as absent */
    ROUTE("/health", ROUTE_FROM_SCRIPT_NAME, "",
          "REQUEST_URI", "", "SCRIPT_NAME", "/health");
    /* the path part is decoded strictly, '+' kept */
    ROUTE("/api/v1/health", ROUTE_FROM_REQUEST_URI, NULL, "REQUEST_URI", "/api/v1/%68ealth");
    ROUTE("/a+b", ROUTE_FROM_REQUEST_URI, NULL, "REQUEST_URI", "/a+b");
    ROUTE("/\xc3\xa9", ROUTE_FROM_REQUEST_URI, NULL, "REQUEST_URI", "/%C3%A9");
    ROUTE(NULL, ROUTE_FROM_REQUEST_URI, NULL, "REQUEST_URI", "/api/v1/%FF");
    ROUTE(NULL, ROUTE_FROM_REQUEST_URI, NULL, "REQUEST_URI", "/api/v1/a%00b");
    ROUTE(NULL, ROUTE_FROM_REQUEST_URI, NULL, "REQUEST_URI", "/api/v1/%G1");
    ROUTE(NULL, ROUTE_FROM_REQUEST_URI, NULL, "REQUEST_URI", "/api/v1/%ED%A0%80");
    ROUTE(NULL, ROUTE_FROM_SCRIPT_NAME, NULL, "SCRIPT_NAME", "/api/v1/\xff");
}

static void test_route_too_long(void)
{
    char *uri = malloc(API_ROUTE_RAW_MAX + 16);
    const char *kv[] = { "REQUEST_URI", uri, NULL };
    struct env e = { kv };
    struct request r;

    CU_ASSERT_PTR_NOT_NULL_FATAL(uri);
    uri[0] = '/';
    memset(uri + 1, 'a', API_ROUTE_RAW_MAX);
    uri[API_ROUTE_RAW_MAX + 1] = '\0';
    CU_ASSERT_EQUAL(request_init(&r, env_get, &e), SYNC_OK);
    CU_ASSERT_TRUE(r.path_bad);
    request_free(&r);
    free(uri);
}

static void test_request_headers(void)
{
    const char *kv[] = {
        "REQUEST_METHOD", "PUT", "REQUEST_URI", "/api/v1/files", "CONTENT_LENGTH", "42",
        "HTTP_X_API_KEY", "sk_store_abc", "HTTP_ORIGIN", "app://obsidian.md",
        "HTTP_IF_MATCH", "\"sha256:x\"", "HTTP_IF_NONE_MATCH", "", NULL,
    };
    const char *kv2[] = { "REQUEST_METHOD", "A-VERY-LONG-METHOD-NAME", "CONTENT_LENGTH", "12x", NULL };
    const char *kv3[] = { "CONTENT_LENGTH", "", NULL };
    struct env e = { kv }, e2 = { kv2 }, e3 = { kv3 };
    struct request r;

    CU_ASSERT_EQUAL_FATAL(request_init(&r, env_get, &e), SYNC_OK);
    CU_ASSERT_STRING_EQUAL(r.method, "PUT");
    CU_ASSERT_TRUE(r.has_length);
    CU_ASSERT_FALSE(r.length_bad);
    CU_ASSERT_EQUAL(r.length, 42);
    CU_ASSERT_STRING_EQUAL(r.api_key, "sk_store_abc");
    CU_ASSERT_STRING_EQUAL(r.origin, "app://obsidian.md");
    CU_ASSERT_STRING_EQUAL(r.if_match, "\"sha256:x\"");
    CU_ASSERT_PTR_NULL(r.if_none_match);            /* empty = absent */
    request_free(&r);

    CU_ASSERT_EQUAL_FATAL(request_init(&r, env_get, &e2), SYNC_OK);
    CU_ASSERT_STRING_EQUAL(r.method, "");           /* too long to be ours: no route */
    CU_ASSERT_TRUE(r.has_length);
    CU_ASSERT_TRUE(r.length_bad);
    CU_ASSERT_PTR_NULL(r.api_key);
    request_free(&r);

    CU_ASSERT_EQUAL_FATAL(request_init(&r, env_get, &e3), SYNC_OK);
    CU_ASSERT_FALSE(r.has_length);                  /* empty = absent */
    request_free(&r);
}

/* ---- the body ------------------------------------------------------------------- */

struct src {
    const char *data;
    size_t len, pos;
    size_t chunk;           /* at most this much per call */
    size_t asked;           /* bytes asked for, in all */
    int fail_at;            /* call number that fails, 0 = never */
    int calls;
};

static int src_read(void *ctx, char *buf, int n)
{
    struct src *s = ctx;
    size_t k = (size_t)n;

    s->calls++;
    s->asked += k;
    if (s->fail_at && s->calls == s->fail_at)
        return -1;
    if (k > s->chunk)
        k = s->chunk;
    if (k > s->len - s->pos)
        k = s->len - s->pos;
    memcpy(buf, s->data + s->pos, k);
    s->pos += k;
    return (int)k;
}

static int read_body(const char *cl, struct src *s, size_t max, struct request *r,
                     struct sync_err *err)
{
    const char *kv[] = { "REQUEST_METHOD", "PUT", "CONTENT_LENGTH", cl, NULL };
    const char *kv_none[] = { "REQUEST_METHOD", "PUT", NULL };
    struct env e = { cl ? kv : kv_none };

    CU_ASSERT_EQUAL(request_init(r, env_get, &e), SYNC_OK);
    return request_read_body(r, src_read, s, max, err);
}

static void test_body_exact(void)
{
    struct src s = { "{\"a\":1}GARBAGE", 14, 0, 3, 0, 0, 0 };
    struct request r;
    struct sync_err err = {0};

    CU_ASSERT_EQUAL(read_body("7", &s, 100, &r, &err), SYNC_OK);
    CU_ASSERT_EQUAL(r.body_len, 7);
    CU_ASSERT_STRING_EQUAL(r.body, "{\"a\":1}");
    CU_ASSERT_EQUAL(s.pos, 7);                      /* never more than announced */
    request_free(&r);
}

static void test_body_short(void)
{
    struct src s = { "0123456789", 10, 0, 4, 0, 0, 0 };
    struct request r;
    struct sync_err err = {0};

    CU_ASSERT_EQUAL(read_body("100", &s, 1000, &r, &err), SYNC_EINVAL);    /* a lying length */
    CU_ASSERT_PTR_NULL(r.body);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "10 of 100"));
    request_free(&r);
}

static void test_body_limits(void)
{
    struct src s = { "0123456789", 10, 0, 10, 0, 0, 0 };
    struct src none = { "0123456789", 10, 0, 10, 0, 0, 0 };
    struct src e1 = { "0123456789", 10, 0, 2, 0, 2, 0 };
    struct request r;
    struct sync_err err = {0};

    /* announced over the limit: refused before anything is read */
    CU_ASSERT_EQUAL(read_body("11", &s, 10, &r, &err), SYNC_ETOOBIG);
    CU_ASSERT_EQUAL(s.calls, 0);
    request_free(&r);
    CU_ASSERT_EQUAL(read_body("99999999999999999999", &s, 10, &r, &err), SYNC_EINVAL);
    CU_ASSERT_EQUAL(s.calls, 0);
    request_free(&r);
    /* exactly the limit */
    CU_ASSERT_EQUAL(read_body("10", &s, 10, &r, &err), SYNC_OK);
    CU_ASSERT_EQUAL(r.body_len, 10);
    request_free(&r);
    /* nothing announced: read to the end, one byte past the limit at most */
    CU_ASSERT_EQUAL(read_body(NULL, &none, 9, &r, &err), SYNC_ETOOBIG);
    CU_ASSERT_TRUE(none.pos <= 10);
    request_free(&r);
    none.pos = 0;
    CU_ASSERT_EQUAL(read_body(NULL, &none, 10, &r, &err), SYNC_OK);
    CU_ASSERT_EQUAL(r.body_len, 10);
    CU_ASSERT_STRING_EQUAL(r.body, "0123456789");
    request_free(&r);
    /* zero length */
    CU_ASSERT_EQUAL(read_body("0", &s, 10, &r, &err), SYNC_OK);
    CU_ASSERT_EQUAL(r.body_len, 0);
    CU_ASSERT_STRING_EQUAL(r.body, "");
    request_free(&r);
    /* a read error */
    CU_ASSERT_EQUAL(read_body("10", &e1, 10, &r, &err), SYNC_EINVAL);
    CU_ASSERT_PTR_NULL(r.body);
    request_free(&r);
}

static void test_body_large_unannounced(void)
{
    size_t n = 3 * 1024 * 1024 + 17;
    char *data = malloc(n);
    struct src s = { NULL, 0, 0, 65536, 0, 0, 0 };
    struct request r;
    struct sync_err err = {0};

    CU_ASSERT_PTR_NOT_NULL_FATAL(data);
    for (size_t i = 0; i < n; i++)
        data[i] = (char)('a' + i % 26);
    s.data = data;
    s.len = n;
    CU_ASSERT_EQUAL(read_body(NULL, &s, SYNC_BODY_MAX, &r, &err), SYNC_OK);
    CU_ASSERT_EQUAL(r.body_len, n);
    CU_ASSERT_EQUAL(memcmp(r.body, data, n), 0);
    request_free(&r);
    free(data);
}

/* ---- entity tags ------------------------------------------------------------------ */

static void test_etags(void)
{
    const char *h = "sha256:abc";
    char out[80];

    CU_ASSERT_TRUE(etag_list_matches("\"sha256:abc\"", h, strlen(h)));
    CU_ASSERT_TRUE(etag_list_matches("sha256:abc", h, strlen(h)));
    CU_ASSERT_TRUE(etag_list_matches("W/\"sha256:abc\"", h, strlen(h)));
    CU_ASSERT_TRUE(etag_list_matches("\"x\", \"sha256:abc\"", h, strlen(h)));
    CU_ASSERT_TRUE(etag_list_matches("x,sha256:abc", h, strlen(h)));
    CU_ASSERT_TRUE(etag_list_matches(" * ", h, strlen(h)));
    CU_ASSERT_FALSE(etag_list_matches("\"sha256:abcd\"", h, strlen(h)));
    CU_ASSERT_FALSE(etag_list_matches("\"sha256:ab\"", h, strlen(h)));
    CU_ASSERT_FALSE(etag_list_matches("\"sha256:abc", h, strlen(h)));   /* unterminated */
    CU_ASSERT_FALSE(etag_list_matches("", h, strlen(h)));
    CU_ASSERT_FALSE(etag_list_matches(NULL, h, strlen(h)));
    CU_ASSERT_FALSE(etag_list_matches("\"\"", "", 0));

    CU_ASSERT_TRUE(etag_is_star("*"));
    CU_ASSERT_TRUE(etag_is_star("  *\t"));
    CU_ASSERT_FALSE(etag_is_star("**"));
    CU_ASSERT_FALSE(etag_is_star("\"*\""));
    CU_ASSERT_FALSE(etag_is_star(NULL));

    CU_ASSERT_EQUAL(etag_single("\"sha256:abc\"", out, sizeof out), 10);
    CU_ASSERT_STRING_EQUAL(out, "sha256:abc");
    CU_ASSERT_EQUAL(etag_single("sha256:abc", out, sizeof out), 10);
    CU_ASSERT_EQUAL(etag_single(" W/\"sha256:abc\" ", out, sizeof out), 10);
    CU_ASSERT_EQUAL(etag_single("\"a\", \"b\"", out, sizeof out), -1);
    CU_ASSERT_EQUAL(etag_single("\"\"", out, sizeof out), -1);
    CU_ASSERT_EQUAL(etag_single("\"abc", out, sizeof out), -1);
    CU_ASSERT_EQUAL(etag_single("abcdef", out, 4), -1);                 /* does not fit */
}

static CU_TestInfo decode_tests[] = {
    { "percent-decoding is strict", test_pct_decode },
    { "query parsing", test_query_parse },
    { "bad queries", test_query_bad },
    { "booleans and integers", test_query_values },
    CU_TEST_INFO_NULL,
};

static CU_TestInfo request_tests[] = {
    { "route from lighttpd, nginx, Apache, spawn-fcgi forms", test_route_forms },
    { "over-long route", test_route_too_long },
    { "method, length and headers", test_request_headers },
    CU_TEST_INFO_NULL,
};

static CU_TestInfo body_tests[] = {
    { "exactly CONTENT_LENGTH bytes", test_body_exact },
    { "a body shorter than announced", test_body_short },
    { "limits, unannounced length, errors", test_body_limits },
    { "3 MiB without a length", test_body_large_unannounced },
    CU_TEST_INFO_NULL,
};

static CU_TestInfo etag_tests[] = {
    { "If-None-Match / If-Match forms", test_etags },
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    { "decode", NULL, NULL, NULL, NULL, decode_tests },
    { "request", NULL, NULL, NULL, NULL, request_tests },
    { "body", NULL, NULL, NULL, NULL, body_tests },
    { "etag", NULL, NULL, NULL, NULL, etag_tests },
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    return cutest_run(suites);
}
