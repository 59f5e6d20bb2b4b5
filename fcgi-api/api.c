/* api.c - the route table and the dispatcher: every request passes the same
 * gates in the same order, so each failure has one documented answer:
 *
 *   1. route: an unknown path is 404 NOT_FOUND (also an undecodable one, a
 *      malformed id, a trailing or doubled '/'); a known path with another
 *      method is 405 METHOD_NOT_ALLOWED with an Allow header; OPTIONS on a
 *      known path is the CORS preflight (204, no key needed).
 *   2. length: a malformed CONTENT_LENGTH is 400; over SYNC_BODY_MAX is 413,
 *      decided before anything is read.
 *   3. key: none is 401 (no database needed); then the database (503 while it
 *      is unreachable), then svc_auth (401 unknown/revoked), then the kind of
 *      key and its permission (403).
 *   4. query and body (400), then the handler.
 *
 * Where DESIGN is silent we chose (and the HTTP suites test):
 *   - only /health also answers without the /api/v1 base;
 *   - unknown query parameters and unknown JSON body members are ignored;
 *     a parameter given twice is 400; an empty filter value means no filter;
 *   - GET /files?path=P reads one file only when no listing parameter
 *     (limit, offset, include_deleted, extension, content_contains,
 *     path_contains, is_binary) is given; with one, path is the prefix;
 *   - limit and offset out of range are 400, never clamped;
 *   - HEAD is served by every GET route (headers and Content-Length, no body);
 *   - 204 and 304 carry no Content-Length (RFC 9110 §8.6), every other answer
 *     does; every JSON answer has Cache-Control: no-store;
 *   - If-Match: * means "a live file must exist"; an If-Match that is not a
 *     content hash is a 412 with the real currentHash; If-None-Match on PUT
 *     other than * is ignored; PATCH answers 200 also when it created an
 *     empty file (the change feed records it as created); conditional
 *     headers apply to GET (If-None-Match) and PUT /files only: settings
 *     writes are unconditional, as DESIGN §5 lists none for them;
 *   - content over 10 MiB is 400 VALIDATION_ERROR (DESIGN §5 lists "too
 *     large" there); only a body over 32 MiB is 413;
 *   - the request Content-Type is not checked (the body is JSON whatever it
 *     says);
 *   - a 500 says "internal error" (the cause goes to the log, not the client);
 *   - a database unreachable at start does not stop the process: it answers
 *     503 and connects on the next request. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "cors.h"
#include "jsonx.h"
#include "keys.h"
#include "log.h"

#define V1 "/api/v1"

const struct route api_routes[] = {
    /* files: the vault namespace, every mutation through the write path */
    { "GET",    V1 "/files",     AUTH_STORE, PERM_READ,  false, h_files_get },
    { "POST",   V1 "/files",     AUTH_STORE, PERM_WRITE, true,  h_files_post },
    { "PUT",    V1 "/files",     AUTH_STORE, PERM_WRITE, true,  h_files_put },
    { "PATCH",  V1 "/files",     AUTH_STORE, PERM_WRITE, true,  h_files_patch },
    { "DELETE", V1 "/files",     AUTH_STORE, PERM_WRITE, false, h_files_delete },
    { "DELETE", V1 "/files/all", AUTH_STORE, PERM_WRITE, false, h_files_delete_all },
    { "GET",    V1 "/changes",   AUTH_STORE, PERM_READ,  false, h_changes_get },
    /* settings: plain upserts, never broadcast */
    { "GET",    V1 "/settings",     AUTH_STORE, PERM_SETTINGS_READ,  false, h_settings_get },
    { "PUT",    V1 "/settings",     AUTH_STORE, PERM_SETTINGS_WRITE, true,  h_settings_put },
    { "DELETE", V1 "/settings",     AUTH_STORE, PERM_SETTINGS_WRITE, false, h_settings_delete },
    { "DELETE", V1 "/settings/all", AUTH_STORE, PERM_SETTINGS_WRITE, false, h_settings_delete_all },
    /* admin */
    { "GET",    V1 "/admin/stores",              AUTH_ADMIN, 0, false, h_admin_stores_list },
    { "POST",   V1 "/admin/stores",              AUTH_ADMIN, 0, true,  h_admin_store_create },
    { "GET",    V1 "/admin/stores/:id",          AUTH_ADMIN, 0, false, h_admin_store_get },
    { "DELETE", V1 "/admin/stores/:id",          AUTH_ADMIN, 0, false, h_admin_store_delete },
    { "GET",    V1 "/admin/stores/:id/keys",     AUTH_ADMIN, 0, false, h_admin_keys_list },
    { "POST",   V1 "/admin/stores/:id/keys",     AUTH_ADMIN, 0, true,  h_admin_key_create },
    { "GET",    V1 "/admin/stores/:id/keys/:id", AUTH_ADMIN, 0, false, h_admin_key_get },
    { "DELETE", V1 "/admin/stores/:id/keys/:id", AUTH_ADMIN, 0, false, h_admin_key_revoke },
    /* health, with and without the base */
    { "GET",    V1 "/health", AUTH_NONE, 0, false, h_health },
    { "GET",    "/health",    AUTH_NONE, 0, false, h_health },
};
const size_t api_routes_n = sizeof api_routes / sizeof api_routes[0];

/* ---- database ------------------------------------------------------------ */

int api_db_ready(struct api_ctx *ctx, struct sync_err *err)
{
    unsigned connects;
    int rc;

    if (!ctx->db) {
        rc = db_open(ctx->cfg.database_url, &ctx->db, err);
        if (rc != SYNC_OK && rc != SYNC_ENOMEM) {
            char why[sizeof err->msg];
            memcpy(why, err->msg, sizeof why);
            return sync_err_set(err, SYNC_EUNAVAIL, "%s", why);
        }
        if (rc != SYNC_OK)
            return rc;
        db_set_tombstone_days(ctx->db, ctx->cfg.tombstone_days);
        log_info("connected to the database");
        return SYNC_OK;
    }
    connects = db_connects(ctx->db);
    rc = db_ensure(ctx->db, err);
    if (rc == SYNC_OK && db_connects(ctx->db) != connects)
        log_info("reconnected to the database");
    return rc;
}

/* ---- helpers for handlers ------------------------------------------------- */

void call_error(struct call *c, int status, const char *code, const char *fmt, ...)
{
    char msg[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    resp_error(c->rs, status, code, msg, NULL);
}

void call_json(struct call *c, int status, json_object *o)
{
    resp_json(c->rs, status, o);
}

void call_fail(struct call *c, const struct sync_err *err)
{
    resp_fail(c->rs, err);
    if (c->rs->status >= 500)
        log_warn("%s %s: %s", c->rq->method, c->rq->path ? c->rq->path : "?", err->msg);
}

bool call_query(struct call *c)
{
    struct sync_err err = {0};
    int rc = request_query(c->rq, &err);

    if (rc == SYNC_OK)
        return true;
    if (rc == SYNC_ENOMEM)
        call_fail(c, &err);
    else
        call_error(c, 400, "VALIDATION_ERROR", "bad query string: %s", err.msg);
    return false;
}

const char *call_param(struct call *c, const char *name, size_t *len)
{
    return query_get(&c->rq->query, name, len);
}

bool int_param(struct call *c, const char *name, long long min, long long max, long long *out)
{
    size_t len;
    const char *v = call_param(c, name, &len);
    long long n;

    if (!v)
        return true;
    if (parse_uint(v, len, max, &n) != SYNC_OK || n < min) {
        call_error(c, 400, "VALIDATION_ERROR", "%s must be an integer from %lld to %lld", name,
                   min, max);
        return false;
    }
    *out = n;
    return true;
}

bool body_str(struct call *c, const char *key, const char **s, size_t *len)
{
    int rc = jsonx_get_str(c->body, key, s, len);

    if (rc == SYNC_ENOTFOUND) {
        call_error(c, 400, "VALIDATION_ERROR", "'%s' is required", key);
        return false;
    }
    if (rc != SYNC_OK) {
        call_error(c, 400, "VALIDATION_ERROR", "'%s' must be a string", key);
        return false;
    }
    return true;
}

/* ---- the dispatcher -------------------------------------------------------- */

static const char *perm_name(unsigned perm)
{
    switch (perm) {
    case PERM_READ:           return "read";
    case PERM_WRITE:          return "write";
    case PERM_SETTINGS_READ:  return "settings_read";
    case PERM_SETTINGS_WRITE: return "settings_write";
    default:                  return "?";
    }
}

/* Authentication and authorisation of a store or admin route. */
static bool authorise(struct call *c)
{
    const struct route *r = c->route;
    const char *key = c->rq->api_key;
    struct sync_err err = {0};
    char shown[24];
    int rc;

    if (!key) {
        call_error(c, 401, "UNAUTHORIZED", "missing X-API-Key header");
        return false;
    }
    rc = api_db_ready(c->ctx, &err);
    if (rc != SYNC_OK) {
        call_fail(c, &err);
        return false;
    }
    rc = svc_auth(c->ctx->db, c->ctx->cfg.admin_key, key, strlen(key), &c->auth, &err);
    if (rc != SYNC_OK) {
        if (rc == SYNC_EUNAUTH || rc == SYNC_EREVOKED)
            log_debug("auth refused for key %s: %s", log_key(key, strlen(key), shown), err.msg);
        call_fail(c, &err);
        return false;
    }
    if (r->auth == AUTH_ADMIN && !c->auth.admin) {
        call_error(c, 403, "FORBIDDEN", "admin routes need the admin key");
        return false;
    }
    if (r->auth == AUTH_STORE && c->auth.admin) {
        call_error(c, 403, "FORBIDDEN", "the admin key has no store: use a store key");
        return false;
    }
    if (r->auth == AUTH_STORE && (c->auth.perms & r->perm) != r->perm) {
        call_error(c, 403, "FORBIDDEN", "this key lacks the '%s' permission", perm_name(r->perm));
        return false;
    }
    return true;
}

/* Reads and parses the JSON object body. */
static bool read_body(struct call *c, api_read_fn rd, void *rd_ctx, json_object **obj)
{
    struct sync_err err = {0};
    int rc = request_read_body(c->rq, rd, rd_ctx, SYNC_BODY_MAX, &err);

    if (rc == SYNC_ETOOBIG) {
        call_error(c, 413, "PAYLOAD_TOO_LARGE", "request body over %u bytes", SYNC_BODY_MAX);
        return false;
    }
    if (rc != SYNC_OK) {
        if (rc == SYNC_ENOMEM)
            call_fail(c, &err);
        else
            call_error(c, 400, "VALIDATION_ERROR", "%s", err.msg);
        return false;
    }
    if (c->rq->body_len == 0) {
        call_error(c, 400, "VALIDATION_ERROR", "a JSON object body is required");
        return false;
    }
    *obj = jsonx_parse_object(c->rq->body, c->rq->body_len, &err);
    if (!*obj) {
        if (err.rc == SYNC_ENOMEM)
            call_fail(c, &err);
        else
            call_error(c, 400, "VALIDATION_ERROR", "bad JSON body: %s", err.msg);
        return false;
    }
    return true;
}

void api_handle(struct api_ctx *ctx, struct request *rq, api_read_fn rd, void *rd_ctx,
                struct response *rs)
{
    struct call c;
    struct route_match m;
    json_object *body = NULL;
    enum route_result found;

    memset(&c, 0, sizeof c);
    c.ctx = ctx;
    c.rq = rq;
    c.rs = rs;

    if (rq->path_bad || !rq->path) {
        call_error(&c, 404, "NOT_FOUND", "no such route");
        goto out;
    }
    found = route_find(api_routes, api_routes_n, rq->method, rq->path, rq->path_len, &m);
    if (found == ROUTE_NO_PATH) {
        call_error(&c, 404, "NOT_FOUND", "no such route");
        goto out;
    }
    if (found == ROUTE_NO_METHOD) {
        if (strcmp(rq->method, "OPTIONS") == 0) {
            cors_preflight(rs, ctx->cfg.cors_origins, rq->origin);
            resp_header(rs, "Allow", m.allow);
        } else {
            call_error(&c, 405, "METHOD_NOT_ALLOWED", "method %.16s not allowed here",
                       rq->method);
            resp_header(rs, "Allow", m.allow);
        }
        goto out;
    }
    c.route = m.route;
    for (int i = 0; i < ROUTE_MAX_IDS; i++)
        c.id[i] = m.ids[i];

    /* the body limit is decided from the announced length, before reading */
    if (rq->length_bad) {
        call_error(&c, 400, "VALIDATION_ERROR", "malformed Content-Length");
        goto out;
    }
    if (rq->has_length && rq->length > SYNC_BODY_MAX) {
        call_error(&c, 413, "PAYLOAD_TOO_LARGE", "request body over %u bytes", SYNC_BODY_MAX);
        goto out;
    }
    if (c.route->auth != AUTH_NONE && !authorise(&c))
        goto out;
    if (c.route->body) {
        if (!read_body(&c, rd, rd_ctx, &body))
            goto out;
        c.body = body;
    }
    c.route->fn(&c);
    if (rs->status == 0)
        call_error(&c, 500, "INTERNAL_ERROR", "no answer");
out:
    json_object_put(body);
    cors_apply(rs, ctx->cfg.cors_origins, rq->origin);
}
