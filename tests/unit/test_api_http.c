/* test_api_http.c - sync-api's answers without a web server: the route table
 * (404, 405 + Allow, ids), the bytes of an answer (Status, Content-Length,
 * no body for 204/304 and HEAD), error bodies and the SYNC_E* mapping, CORS,
 * the JSON views, and the dispatcher's gates that need no database. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cutest.h"
#include "fcgi-api/api.h"
#include "fcgi-api/cors.h"
#include "fcgi-api/view.h"
#include "jsonx.h"

/* ---- routes -------------------------------------------------------------------- */

static void check_find(int line, const char *method, const char *path, enum route_result want,
                       handler_fn want_fn, const char *want_allow)
{
    struct route_match m;
    enum route_result r = route_find(api_routes, api_routes_n, method, path, strlen(path), &m);

    if (r != want || (want == ROUTE_OK && m.route->fn != want_fn) ||
        (want_allow && strcmp(m.allow, want_allow) != 0))
        fprintf(stderr, "\n  line %d: %s %s = %d allow '%s'\n", line, method, path, r, m.allow);
    CU_ASSERT_EQUAL(r, want);
    if (want == ROUTE_OK && r == ROUTE_OK)
        CU_ASSERT_PTR_EQUAL(m.route->fn, want_fn);
    if (want_allow)
        CU_ASSERT_STRING_EQUAL(m.allow, want_allow);
}
#define FIND(m, p, fn) check_find(__LINE__, m, p, ROUTE_OK, fn, NULL)
#define NOPATH(m, p) check_find(__LINE__, m, p, ROUTE_NO_PATH, NULL, NULL)
#define NOMETHOD(m, p, allow) check_find(__LINE__, m, p, ROUTE_NO_METHOD, NULL, allow)

#define U1 "0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d"
#define U2 "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"

static void test_routes(void)
{
    struct route_match m;

    FIND("GET", "/api/v1/files", h_files_get);
    FIND("HEAD", "/api/v1/files", h_files_get);
    FIND("POST", "/api/v1/files", h_files_post);
    FIND("PUT", "/api/v1/files", h_files_put);
    FIND("PATCH", "/api/v1/files", h_files_patch);
    FIND("DELETE", "/api/v1/files", h_files_delete);
    FIND("DELETE", "/api/v1/files/all", h_files_delete_all);
    FIND("GET", "/api/v1/changes", h_changes_get);
    FIND("GET", "/api/v1/settings", h_settings_get);
    FIND("PUT", "/api/v1/settings", h_settings_put);
    FIND("DELETE", "/api/v1/settings", h_settings_delete);
    FIND("DELETE", "/api/v1/settings/all", h_settings_delete_all);
    FIND("GET", "/api/v1/admin/stores", h_admin_stores_list);
    FIND("POST", "/api/v1/admin/stores", h_admin_store_create);
    FIND("GET", "/api/v1/admin/stores/" U1, h_admin_store_get);
    FIND("DELETE", "/api/v1/admin/stores/" U1, h_admin_store_delete);
    FIND("GET", "/api/v1/admin/stores/" U1 "/keys", h_admin_keys_list);
    FIND("POST", "/api/v1/admin/stores/" U1 "/keys", h_admin_key_create);
    FIND("GET", "/api/v1/admin/stores/" U1 "/keys/" U2, h_admin_key_get);
    FIND("DELETE", "/api/v1/admin/stores/" U1 "/keys/" U2, h_admin_key_revoke);
    FIND("GET", "/health", h_health);
    FIND("GET", "/api/v1/health", h_health);
    FIND("HEAD", "/health", h_health);

    NOMETHOD("PUT", "/api/v1/changes", "GET, HEAD, OPTIONS");
    NOMETHOD("GET", "/api/v1/files/all", "DELETE, OPTIONS");
    NOMETHOD("POST", "/api/v1/settings", "GET, HEAD, PUT, DELETE, OPTIONS");
    NOMETHOD("OPTIONS", "/api/v1/files", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
    NOMETHOD("PATCH", "/api/v1/admin/stores/" U1, "GET, HEAD, DELETE, OPTIONS");
    NOMETHOD("", "/health", "GET, HEAD, OPTIONS");

    NOPATH("GET", "/api/v1/nope");
    NOPATH("GET", "/api/v1/files/");
    NOPATH("GET", "/api/v1//files");
    NOPATH("GET", "/api/v1/FILES");
    NOPATH("GET", "/files");
    NOPATH("GET", "/api/v2/files");
    NOPATH("GET", "/api/v1");
    NOPATH("GET", "/");
    NOPATH("GET", "");
    NOPATH("GET", "/healthz");
    NOPATH("GET", "/health/");
    NOPATH("GET", "/api/v1/files/all/x");
    /* malformed ids match no route */
    NOPATH("GET", "/api/v1/admin/stores/xyz");
    NOPATH("GET", "/api/v1/admin/stores/" U1 "a");
    NOPATH("GET", "/api/v1/admin/stores/0b1c2d3e4f504a6b8c7d9e0f1a2b3c4d");
    NOPATH("GET", "/api/v1/admin/stores/" U1 "/keys/xyz");
    NOPATH("DELETE", "/api/v1/admin/stores/" U1 "/keys/" U2 "/x");
    NOPATH("GET", "/api/v1/admin/stores//keys");

    /* the ids come out in order */
    CU_ASSERT_EQUAL(route_find(api_routes, api_routes_n, "GET", "/api/v1/admin/stores/" U1 "/keys/" U2,
                               strlen("/api/v1/admin/stores/" U1 "/keys/" U2), &m), ROUTE_OK);
    CU_ASSERT_STRING_EQUAL(m.ids[0], U1);
    CU_ASSERT_STRING_EQUAL(m.ids[1], U2);
    /* a path with a NUL inside never matches (lengths, not C strings) */
    CU_ASSERT_EQUAL(route_find(api_routes, api_routes_n, "GET", "/health\0x", 9, &m), ROUTE_NO_PATH);
}

/* ---- answers -------------------------------------------------------------------- */

struct sink { char buf[8192]; size_t len; int fail; };

static int sink_write(void *ctx, const char *b, size_t n)
{
    struct sink *s = ctx;

    if (s->fail)
        return -1;
    if (n > sizeof s->buf - 1 - s->len)
        n = sizeof s->buf - 1 - s->len;
    memcpy(s->buf + s->len, b, n);
    s->len += n;
    s->buf[s->len] = '\0';
    return 0;
}

static const char *body_of(const struct sink *s)
{
    const char *p = strstr(s->buf, "\r\n\r\n");
    return p ? p + 4 : "";
}

static void test_send_json(void)
{
    struct response rs;
    struct sink s = {0};
    json_object *o = json_object_new_object();

    resp_init(&rs);
    json_object_object_add(o, "path", json_object_new_string("a/b.md"));
    resp_json(&rs, 201, o);
    CU_ASSERT_EQUAL(resp_header(&rs, "ETag", "\"sha256:x\""), 0);
    CU_ASSERT_EQUAL(resp_send(&rs, true, sink_write, &s), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(s.buf, "Status: 201 Created\r\n"));
    CU_ASSERT_EQUAL(strncmp(s.buf, "Status: 201 Created\r\n", 21), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(s.buf, "Content-Type: application/json; charset=utf-8\r\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s.buf, "Content-Length: 17\r\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s.buf, "ETag: \"sha256:x\"\r\n"));
    CU_ASSERT_STRING_EQUAL(body_of(&s), "{\"path\":\"a/b.md\"}");      /* no "\/" */

    /* HEAD: the same headers, no body */
    memset(&s, 0, sizeof s);
    CU_ASSERT_EQUAL(resp_send(&rs, false, sink_write, &s), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(s.buf, "Content-Length: 17\r\n"));
    CU_ASSERT_STRING_EQUAL(body_of(&s), "");
    /* a peer that is gone */
    s.fail = 1;
    CU_ASSERT_EQUAL(resp_send(&rs, true, sink_write, &s), -1);
    resp_free(&rs);
    CU_ASSERT_EQUAL(rs.status, 0);
}

static void test_send_empty(void)
{
    struct response rs;
    struct sink s = {0};

    resp_init(&rs);
    resp_empty(&rs, 204);
    CU_ASSERT_EQUAL(resp_send(&rs, true, sink_write, &s), 0);
    CU_ASSERT_STRING_EQUAL(s.buf, "Status: 204 No Content\r\n\r\n");
    resp_free(&rs);

    memset(&s, 0, sizeof s);
    resp_init(&rs);
    resp_empty(&rs, 304);
    resp_header(&rs, "ETag", "\"h\"");
    CU_ASSERT_EQUAL(resp_send(&rs, true, sink_write, &s), 0);
    CU_ASSERT_STRING_EQUAL(s.buf, "Status: 304 Not Modified\r\nETag: \"h\"\r\n\r\n");
    resp_free(&rs);

    /* an answer nobody set is a 500, never an empty 200 */
    memset(&s, 0, sizeof s);
    resp_init(&rs);
    CU_ASSERT_EQUAL(resp_send(&rs, true, sink_write, &s), 0);
    CU_ASSERT_EQUAL(strncmp(s.buf, "Status: 500 ", 12), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(s.buf, "Content-Length: 0\r\n"));
    resp_free(&rs);
}

static void test_headers_refused(void)
{
    struct response rs;
    char big[API_HEADERS_MAX];

    resp_init(&rs);
    CU_ASSERT_EQUAL(resp_header(&rs, "X-A", "a\r\nSet-Cookie: x"), -1);
    CU_ASSERT_EQUAL(resp_header(&rs, "X-A", "a\nb"), -1);
    CU_ASSERT_EQUAL(resp_header(&rs, "X:A", "a"), -1);
    CU_ASSERT_EQUAL(resp_header(&rs, "X\x01", "a"), -1);
    CU_ASSERT_EQUAL(rs.headers_len, 0);
    memset(big, 'v', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    CU_ASSERT_EQUAL(resp_header(&rs, "X-Big", big), -1);
    CU_ASSERT_EQUAL(rs.headers_len, 0);
    CU_ASSERT_EQUAL(resp_header(&rs, "X-Ok", "fine"), 0);
    CU_ASSERT_STRING_EQUAL(rs.headers, "X-Ok: fine\r\n");
    resp_free(&rs);
}

/* The error body of rs as parsed JSON; checks its shape. */
static json_object *error_of(struct response *rs, int status, const char *code)
{
    json_object *o = json_tokener_parse(rs->body), *e = NULL, *v = NULL;

    CU_ASSERT_EQUAL(rs->status, status);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    CU_ASSERT_EQUAL(json_object_object_length(o), 1);
    CU_ASSERT_TRUE_FATAL(json_object_object_get_ex(o, "error", &e));
    CU_ASSERT_TRUE(json_object_object_get_ex(e, "code", &v));
    CU_ASSERT_STRING_EQUAL(json_object_get_string(v), code);
    CU_ASSERT_TRUE(json_object_object_get_ex(e, "message", &v));
    CU_ASSERT_TRUE(json_object_is_type(v, json_type_string));
    return o;
}

static void check_fail(int line, int rc, const char *msg, int status, const char *code,
                       const char *want_msg)
{
    struct response rs;
    struct sync_err err = {0};
    json_object *o, *e, *m;

    sync_err_set(&err, rc, "%s", msg);
    resp_init(&rs);
    resp_fail(&rs, &err);
    if (rs.status != status)
        fprintf(stderr, "\n  line %d: rc %d -> %d\n", line, rc, rs.status);
    o = error_of(&rs, status, code);
    json_object_object_get_ex(o, "error", &e);
    json_object_object_get_ex(e, "message", &m);
    if (want_msg)
        CU_ASSERT_STRING_EQUAL(json_object_get_string(m), want_msg);
    CU_ASSERT_FALSE(json_object_object_get_ex(e, "details", NULL));
    json_object_put(o);
    resp_free(&rs);
}
#define FAIL(rc, msg, st, code, want) check_fail(__LINE__, rc, msg, st, code, want)

static void test_fail_mapping(void)
{
    FAIL(SYNC_EINVAL, "path: '..' segment", 400, "VALIDATION_ERROR", "path: '..' segment");
    FAIL(SYNC_ETOOBIG, "content over 10485760 bytes", 400, "VALIDATION_ERROR", NULL);
    FAIL(SYNC_ENOTFOUND, "file not found", 404, "NOT_FOUND", "file not found");
    FAIL(SYNC_ECONFLICT, "exists", 409, "CONFLICT", NULL);
    FAIL(SYNC_EFORBIDDEN, "no", 403, "FORBIDDEN", NULL);
    FAIL(SYNC_EUNAUTH, "invalid API key", 401, "UNAUTHORIZED", NULL);
    FAIL(SYNC_EREVOKED, "revoked", 401, "UNAUTHORIZED", NULL);
    FAIL(SYNC_EUNAVAIL, "database unavailable: socket /secret/path", 503, "UNAVAILABLE",
         "database unavailable");
    /* database and memory failures never show their detail */
    FAIL(SYNC_EDB, "database error 42P01: relation \"files\" does not exist", 500,
         "INTERNAL_ERROR", "internal error");
    FAIL(SYNC_ENOMEM, "out of memory", 500, "INTERNAL_ERROR", "internal error");
    FAIL(-99, "?", 500, "INTERNAL_ERROR", "internal error");
}

static void test_fail_precondition(void)
{
    struct response rs;
    struct sync_err err = {0};
    json_object *o, *e, *d, *h;

    sync_err_set(&err, SYNC_EPRECOND, "hash differs");
    snprintf(err.detail, sizeof err.detail, "sha256:%064d", 0);
    resp_init(&rs);
    resp_fail(&rs, &err);
    o = error_of(&rs, 412, "PRECONDITION_FAILED");
    json_object_object_get_ex(o, "error", &e);
    CU_ASSERT_TRUE_FATAL(json_object_object_get_ex(e, "details", &d));
    CU_ASSERT_TRUE(json_object_object_get_ex(d, "currentHash", &h));
    CU_ASSERT_STRING_EQUAL(json_object_get_string(h), err.detail);
    json_object_put(o);
    resp_free(&rs);

    err.detail[0] = '\0';                   /* no live file */
    resp_init(&rs);
    resp_fail(&rs, &err);
    CU_ASSERT_PTR_NOT_NULL(strstr(rs.body, "\"details\":{\"currentHash\":null}"));
    resp_free(&rs);
}

/* ---- CORS ------------------------------------------------------------------------ */

static void test_cors(void)
{
    const char *list = "app://obsidian.md, capacitor://localhost,http://localhost";
    struct response rs;

    CU_ASSERT_FALSE(cors_list_is_any(list));
    CU_ASSERT_TRUE(cors_list_is_any("*"));
    CU_ASSERT_TRUE(cors_list_is_any("http://a, * "));
    CU_ASSERT_FALSE(cors_list_is_any("http://*.example"));

    resp_init(&rs);
    resp_empty(&rs, 204);
    cors_apply(&rs, list, "capacitor://localhost");
    CU_ASSERT_PTR_NOT_NULL(strstr(rs.headers, "Access-Control-Allow-Origin: capacitor://localhost\r\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(rs.headers, "Vary: Origin\r\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(rs.headers, "Access-Control-Expose-Headers: ETag\r\n"));
    resp_free(&rs);

    resp_init(&rs);
    cors_apply(&rs, list, "https://evil.example");
    cors_apply(&rs, list, "http://localhost:8080");        /* exact items only */
    cors_apply(&rs, list, NULL);
    cors_apply(&rs, list, "");
    CU_ASSERT_EQUAL(rs.headers_len, 0);
    resp_free(&rs);

    resp_init(&rs);
    cors_apply(&rs, "*", "https://any.example");
    CU_ASSERT_PTR_NOT_NULL(strstr(rs.headers, "Access-Control-Allow-Origin: *\r\n"));
    CU_ASSERT_PTR_NULL(strstr(rs.headers, "Vary"));
    resp_free(&rs);

    resp_init(&rs);
    cors_preflight(&rs, list, "app://obsidian.md");
    cors_apply(&rs, list, "app://obsidian.md");
    CU_ASSERT_EQUAL(rs.status, 204);
    CU_ASSERT_PTR_NOT_NULL(strstr(rs.headers,
        "Access-Control-Allow-Methods: GET,POST,PUT,PATCH,DELETE,OPTIONS\r\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(rs.headers,
        "Access-Control-Allow-Headers: Content-Type,X-API-Key,If-Match,If-None-Match\r\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(rs.headers, "Access-Control-Allow-Origin: app://obsidian.md\r\n"));
    resp_free(&rs);

    resp_init(&rs);
    cors_preflight(&rs, list, "https://evil.example");
    cors_apply(&rs, list, "https://evil.example");
    CU_ASSERT_EQUAL(rs.status, 204);
    CU_ASSERT_EQUAL(rs.headers_len, 0);
    resp_free(&rs);
}

/* ---- views ---------------------------------------------------------------------- */

static void check_json(int line, json_object *o, const char *want)
{
    size_t n;
    const char *t = jsonx_text(o, &n);

    if (strcmp(t, want) != 0)
        fprintf(stderr, "\n  line %d:\n  got  %s\n  want %s\n", line, t, want);
    CU_ASSERT_STRING_EQUAL(t, want);
    json_object_put(o);
}
#define JSON_IS(o, want) check_json(__LINE__, o, want)

static void test_views(void)
{
    struct sync_file f = {0};
    struct sync_store st = {0};
    struct sync_key k = {0};
    struct sync_change ch = {0};
    const char *h = "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

    f.path = "n/a.md";
    f.content = "he\"llo/\n";
    f.content_len = 8;
    snprintf(f.hash, sizeof f.hash, "%s", h);
    f.size = 8;
    f.extension = "md";
    snprintf(f.created_at, sizeof f.created_at, "2024-01-15T10:00:00.000Z");
    snprintf(f.updated_at, sizeof f.updated_at, "2024-01-15T10:00:01.000Z");
    JSON_IS(view_file(&f, false),
            "{\"path\":\"n/a.md\",\"hash\":\"sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824\","
            "\"size\":8,\"isBinary\":false,\"extension\":\"md\",\"createdAt\":\"2024-01-15T10:00:00.000Z\","
            "\"updatedAt\":\"2024-01-15T10:00:01.000Z\"}");
    f.extension = NULL;
    f.is_binary = true;
    snprintf(f.expires_at, sizeof f.expires_at, "2024-02-14T10:00:01.000Z");
    JSON_IS(view_file(&f, true),
            "{\"path\":\"n/a.md\",\"hash\":\"sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824\","
            "\"size\":8,\"isBinary\":true,\"extension\":null,\"createdAt\":\"2024-01-15T10:00:00.000Z\","
            "\"updatedAt\":\"2024-01-15T10:00:01.000Z\",\"expiresAt\":\"2024-02-14T10:00:01.000Z\","
            "\"content\":\"he\\\"llo/\\n\"}");

    snprintf(st.id, sizeof st.id, U1);
    st.name = "Vault";
    snprintf(st.created_at, sizeof st.created_at, "2024-01-15T10:00:00.000Z");
    snprintf(st.updated_at, sizeof st.updated_at, "2024-01-15T10:00:00.000Z");
    st.file_count = 3;
    st.total_size = 12;
    JSON_IS(view_store(&st),
            "{\"id\":\"" U1 "\",\"name\":\"Vault\",\"createdAt\":\"2024-01-15T10:00:00.000Z\","
            "\"updatedAt\":\"2024-01-15T10:00:00.000Z\",\"fileCount\":3,\"totalSize\":12}");

    snprintf(k.id, sizeof k.id, U2);
    k.name = "laptop";
    k.perms = PERM_SETTINGS_WRITE | PERM_READ;
    snprintf(k.prefix, sizeof k.prefix, "sk_store_0b1c2d");
    snprintf(k.created_at, sizeof k.created_at, "2024-01-15T10:00:00.000Z");
    JSON_IS(view_key(&k, NULL),
            "{\"id\":\"" U2 "\",\"name\":\"laptop\",\"permissions\":[\"read\",\"settings_write\"],"
            "\"createdAt\":\"2024-01-15T10:00:00.000Z\",\"lastUsedAt\":null,\"revokedAt\":null,"
            "\"prefix\":\"sk_store_0b1c2d\"}");
    JSON_IS(view_key(&k, "sk_store_0b1c2d_secret"),
            "{\"id\":\"" U2 "\",\"name\":\"laptop\",\"permissions\":[\"read\",\"settings_write\"],"
            "\"createdAt\":\"2024-01-15T10:00:00.000Z\",\"lastUsedAt\":null,\"revokedAt\":null,"
            "\"prefix\":\"sk_store_0b1c2d\",\"key\":\"sk_store_0b1c2d_secret\"}");
    JSON_IS(view_perms(PERM_READ | PERM_WRITE | PERM_SETTINGS_READ | PERM_SETTINGS_WRITE),
            "[\"read\",\"write\",\"settings_read\",\"settings_write\"]");

    ch.seq = 7;
    snprintf(ch.kind, sizeof ch.kind, "renamed");
    ch.path = "b.md";
    ch.old_path = "a.md";
    snprintf(ch.hash, sizeof ch.hash, "%s", h);
    ch.size = 5;
    snprintf(ch.at, sizeof ch.at, "2024-01-15T10:00:00.000Z");
    JSON_IS(view_change(&ch),
            "{\"seq\":7,\"kind\":\"renamed\",\"path\":\"b.md\",\"oldPath\":\"a.md\",\"hash\":\"" "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
            "\",\"size\":5,\"at\":\"2024-01-15T10:00:00.000Z\"}");
    ch.old_path = NULL;
    ch.hash[0] = '\0';
    ch.size = -1;
    snprintf(ch.kind, sizeof ch.kind, "deleted");
    JSON_IS(view_change(&ch), "{\"seq\":7,\"kind\":\"deleted\",\"path\":\"b.md\",\"at\":\"2024-01-15T10:00:00.000Z\"}");
}

/* ---- the dispatcher, up to where the database is needed --------------------------- */

static struct api_ctx ctx;

static int ctx_init(void)
{
    memset(&ctx, 0, sizeof ctx);
    /* a database that cannot be reached: no test here may need one */
    ctx.cfg.database_url = strdup("postgresql://nobody@/none?host=/nonexistent-sync-test&connect_timeout=1");
    ctx.cfg.cors_origins = strdup("app://obsidian.md,http://localhost");
    ctx.cfg.tombstone_days = 30;
    return ctx.cfg.database_url && ctx.cfg.cors_origins ? 0 : 1;
}

static int ctx_clean(void)
{
    db_close(ctx.db);
    free(ctx.cfg.database_url);
    free(ctx.cfg.cors_origins);
    return 0;
}

static int no_body(void *c, char *buf, int n)
{
    (void)c;
    (void)buf;
    (void)n;
    CU_FAIL("the body was read");
    return -1;
}

/* FastCGI parameters as NULL-terminated NAME, VALUE pairs. */
static const char *env_get(void *c, const char *name)
{
    const char *const *kv = c;

    for (size_t i = 0; kv[i]; i += 2)
        if (strcmp(kv[i], name) == 0)
            return kv[i + 1];
    return NULL;
}

/* Dispatches one request; rs is the caller's to free. */
static void dispatch(struct response *rs, const char *const *kv)
{
    struct request rq;

    resp_init(rs);
    CU_ASSERT_EQUAL_FATAL(request_init(&rq, env_get, (void *)kv), SYNC_OK);
    api_handle(&ctx, &rq, no_body, NULL, rs);
    request_free(&rq);
}

#define REQ(rs, ...) dispatch(rs, (const char *const[]){ __VA_ARGS__, NULL })

static void expect_error(struct response *rs, int status, const char *code)
{
    json_object *o = error_of(rs, status, code);

    json_object_put(o);
}

static void test_dispatch_routing(void)
{
    struct response rs;

    REQ(&rs, "REQUEST_METHOD", "GET", "REQUEST_URI", "/api/v1/nope", "HTTP_X_API_KEY", "k");
    expect_error(&rs, 404, "NOT_FOUND");
    resp_free(&rs);

    REQ(&rs, "REQUEST_METHOD", "GET", "REQUEST_URI", "/api/v1/%FF");
    expect_error(&rs, 404, "NOT_FOUND");
    resp_free(&rs);

    REQ(&rs, "REQUEST_METHOD", "PUT", "REQUEST_URI", "/api/v1/changes?since=%FF");
    expect_error(&rs, 405, "METHOD_NOT_ALLOWED");
    CU_ASSERT_PTR_NOT_NULL(strstr(rs.headers, "Allow: GET, HEAD, OPTIONS\r\n"));
    resp_free(&rs);

    REQ(&rs, "REQUEST_METHOD", "OPTIONS", "REQUEST_URI", "/api/v1/files", "HTTP_ORIGIN", "http://localhost");
    CU_ASSERT_EQUAL(rs.status, 204);
    CU_ASSERT_PTR_NOT_NULL(strstr(rs.headers, "Access-Control-Allow-Origin: http://localhost\r\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(rs.headers, "Access-Control-Allow-Methods: "));
    resp_free(&rs);

    REQ(&rs, "REQUEST_METHOD", "OPTIONS", "REQUEST_URI", "/api/v1/nope", "HTTP_ORIGIN", "http://localhost");
    expect_error(&rs, 404, "NOT_FOUND");
    CU_ASSERT_PTR_NOT_NULL(strstr(rs.headers, "Access-Control-Allow-Origin: http://localhost\r\n"));
    resp_free(&rs);
}

static void test_dispatch_gates(void)
{
    struct response rs;

    /* 413 from the announced length, before auth and before reading */
    REQ(&rs, "REQUEST_METHOD", "PUT", "REQUEST_URI", "/api/v1/files", "CONTENT_LENGTH", "33554433");
    expect_error(&rs, 413, "PAYLOAD_TOO_LARGE");
    resp_free(&rs);
    REQ(&rs, "REQUEST_METHOD", "PUT", "REQUEST_URI", "/api/v1/files", "CONTENT_LENGTH", "1x");
    expect_error(&rs, 400, "VALIDATION_ERROR");
    resp_free(&rs);
    /* no key: 401 without the database */
    REQ(&rs, "REQUEST_METHOD", "GET", "REQUEST_URI", "/api/v1/files");
    expect_error(&rs, 401, "UNAUTHORIZED");
    resp_free(&rs);
    REQ(&rs, "REQUEST_METHOD", "GET", "REQUEST_URI", "/api/v1/admin/stores", "HTTP_X_API_KEY", "");
    expect_error(&rs, 401, "UNAUTHORIZED");
    resp_free(&rs);
    /* a key but no database: 503, the body never read */
    REQ(&rs, "REQUEST_METHOD", "PUT", "REQUEST_URI", "/api/v1/files", "CONTENT_LENGTH", "10",
        "HTTP_X_API_KEY", "sk_store_000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    expect_error(&rs, 503, "UNAVAILABLE");
    resp_free(&rs);
    CU_ASSERT_PTR_NULL(ctx.db);
}

static void test_dispatch_health_down(void)
{
    struct response rs;
    json_object *o, *v;

    REQ(&rs, "REQUEST_METHOD", "GET", "SCRIPT_NAME", "/health", "HTTP_ORIGIN", "app://obsidian.md");
    CU_ASSERT_EQUAL(rs.status, 503);
    o = json_tokener_parse(rs.body);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    CU_ASSERT_TRUE(json_object_object_get_ex(o, "status", &v));
    CU_ASSERT_STRING_EQUAL(json_object_get_string(v), "degraded");
    CU_ASSERT_TRUE(json_object_object_get_ex(o, "database", &v));
    CU_ASSERT_STRING_EQUAL(json_object_get_string(v), "disconnected");
    CU_ASSERT_TRUE(json_object_object_get_ex(o, "version", &v));
    CU_ASSERT_TRUE(json_object_object_get_ex(o, "uptime", &v));
    CU_ASSERT_TRUE(json_object_is_type(v, json_type_int));
    json_object_put(o);
    CU_ASSERT_PTR_NOT_NULL(strstr(rs.headers, "Access-Control-Allow-Origin: app://obsidian.md\r\n"));
    resp_free(&rs);
}

static CU_TestInfo route_tests[] = {
    { "route table: 200s, 405 + Allow, 404, ids", test_routes },
    CU_TEST_INFO_NULL,
};

static CU_TestInfo respond_tests[] = {
    { "JSON answer bytes, HEAD", test_send_json },
    { "204, 304 and unset answers", test_send_empty },
    { "header injection refused", test_headers_refused },
    { "service codes to statuses", test_fail_mapping },
    { "412 details.currentHash", test_fail_precondition },
    { "CORS", test_cors },
    { "JSON views", test_views },
    CU_TEST_INFO_NULL,
};

static CU_TestInfo dispatch_tests[] = {
    { "404, 405, OPTIONS", test_dispatch_routing },
    { "413, 400, 401, 503 before any body is read", test_dispatch_gates },
    { "health without a database", test_dispatch_health_down },
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    { "route", NULL, NULL, NULL, NULL, route_tests },
    { "respond", NULL, NULL, NULL, NULL, respond_tests },
    { "dispatch", ctx_init, ctx_clean, NULL, NULL, dispatch_tests },
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    return cutest_run(suites);
}
