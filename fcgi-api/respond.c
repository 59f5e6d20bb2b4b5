/* respond.c - building and serialising one answer. Headers are formatted
 * with snprintf and written as plain bytes (FCGX_FPrintF has its own
 * formatter, see PITFALLS). */
#include <stdio.h>
#include <string.h>

#include "jsonx.h"
#include "respond.h"

/* The body of a 500 when even building an error failed. */
static const char OOM_BODY[] =
    "{\"error\":{\"code\":\"INTERNAL_ERROR\",\"message\":\"out of memory\"}}";

void resp_init(struct response *rs)
{
    memset(rs, 0, sizeof *rs);
}

void resp_free(struct response *rs)
{
    if (!rs)
        return;
    if (rs->json)
        json_object_put(rs->json);
    resp_init(rs);
}

static void drop_body(struct response *rs)
{
    if (rs->json)
        json_object_put(rs->json);
    rs->json = NULL;
    rs->body = NULL;
    rs->body_len = 0;
}

static bool header_text_ok(const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7f)
            return false;
    }
    return true;
}

int resp_header(struct response *rs, const char *name, const char *value)
{
    int n;

    if (!header_text_ok(name) || !header_text_ok(value) || strchr(name, ':'))
        return -1;
    n = snprintf(rs->headers + rs->headers_len, sizeof rs->headers - rs->headers_len,
                 "%s: %s\r\n", name, value);
    if (n < 0 || (size_t)n >= sizeof rs->headers - rs->headers_len) {
        rs->headers[rs->headers_len] = '\0';
        return -1;
    }
    rs->headers_len += (size_t)n;
    return 0;
}

void resp_json(struct response *rs, int status, json_object *o)
{
    const char *text;
    size_t len = 0;

    drop_body(rs);
    if (!o) {
        rs->status = 500;
        rs->body = OOM_BODY;
        rs->body_len = sizeof OOM_BODY - 1;
        return;
    }
    text = jsonx_text(o, &len);
    if (!text) {
        json_object_put(o);
        rs->status = 500;
        rs->body = OOM_BODY;
        rs->body_len = sizeof OOM_BODY - 1;
        return;
    }
    rs->status = status;
    rs->json = o;
    rs->body = text;
    rs->body_len = len;
}

void resp_empty(struct response *rs, int status)
{
    drop_body(rs);
    rs->status = status;
}

void resp_error(struct response *rs, int status, const char *code, const char *message,
                json_object *details)
{
    json_object *root = json_object_new_object(), *e = json_object_new_object();

    if (!root || !e) {
        json_object_put(root);
        json_object_put(e);
        json_object_put(details);
        resp_json(rs, 500, NULL);
        return;
    }
    if (jsonx_add_cstr(e, "code", code) != 0 || jsonx_add_cstr(e, "message", message) != 0 ||
        (details && jsonx_add(e, "details", details) != 0)) {
        json_object_put(root);
        json_object_put(e);
        resp_json(rs, 500, NULL);
        return;
    }
    details = NULL;
    if (jsonx_add(root, "error", e) != 0) {
        json_object_put(root);
        resp_json(rs, 500, NULL);
        return;
    }
    resp_json(rs, status, root);
}

void resp_fail(struct response *rs, const struct sync_err *err)
{
    int rc = err->rc;
    json_object *details = NULL;
    const char *msg = err->msg[0] ? err->msg : "request failed";

    switch (rc) {
    case SYNC_ETOOBIG:
        resp_error(rs, 400, "VALIDATION_ERROR", msg, NULL);
        return;
    case SYNC_EPRECOND:
        details = json_object_new_object();
        if (details) {
            if (jsonx_add_cstr(details, "currentHash", err->detail[0] ? err->detail : NULL) != 0) {
                json_object_put(details);
                details = NULL;
            }
        }
        resp_error(rs, 412, "PRECONDITION_FAILED", msg, details);
        return;
    case SYNC_EUNAVAIL:
        resp_error(rs, 503, "UNAVAILABLE", "database unavailable", NULL);
        return;
    case SYNC_EREVOKED:
        resp_error(rs, 401, "UNAUTHORIZED", "API key revoked", NULL);
        return;
    case SYNC_EINVAL:
    case SYNC_ENOTFOUND:
    case SYNC_ECONFLICT:
    case SYNC_EFORBIDDEN:
    case SYNC_EUNAUTH:
        resp_error(rs, sync_rc_http_status(rc), sync_rc_code(rc), msg, NULL);
        return;
    default:
        resp_error(rs, 500, "INTERNAL_ERROR", "internal error", NULL);
        return;
    }
}

const char *http_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default:  return "Unknown";
    }
}

bool status_has_body(int status)
{
    return status != 204 && status != 304 && !(status >= 100 && status < 200);
}

int resp_send(const struct response *rs, bool with_body, api_write_fn wr, void *ctx)
{
    char head[API_HEADERS_MAX + 256];
    int status = rs->status ? rs->status : 500;
    int n;

    if (status_has_body(status)) {
        n = snprintf(head, sizeof head,
                     "Status: %d %s\r\n"
                     "Content-Type: application/json; charset=utf-8\r\n"
                     "Content-Length: %zu\r\n"
                     "Cache-Control: no-store\r\n"
                     "%.*s\r\n",
                     status, http_reason(status), rs->body_len,
                     (int)rs->headers_len, rs->headers);
    } else {
        n = snprintf(head, sizeof head, "Status: %d %s\r\n%.*s\r\n", status,
                     http_reason(status), (int)rs->headers_len, rs->headers);
    }
    if (n < 0 || (size_t)n >= sizeof head)
        return -1;
    if (wr(ctx, head, (size_t)n) != 0)
        return -1;
    if (with_body && status_has_body(status) && rs->body_len > 0)
        return wr(ctx, rs->body, rs->body_len);
    return 0;
}
