/* respond.h - one HTTP answer: status, headers, a JSON or empty body, and
 * its FastCGI (CGI-style) serialisation. Pure: the bytes go to a write
 * callback, so the unit tests read exactly what a web server would. */
#ifndef API_RESPOND_H
#define API_RESPOND_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include "err.h"

/* Room for the extra header lines of one answer (CORS, ETag, Allow). */
#define API_HEADERS_MAX 2048

struct response {
    int status;                       /* 0 until an answer is set */
    char headers[API_HEADERS_MAX];    /* extra "Name: value\r\n" lines */
    size_t headers_len;
    json_object *json;                /* owned; the body is its text */
    const char *body;                 /* lent by json (or a static string) */
    size_t body_len;
};

/* Writes n bytes; returns 0, or -1 when the peer is gone. */
typedef int (*api_write_fn)(void *ctx, const char *buf, size_t n);

void resp_init(struct response *rs);
void resp_free(struct response *rs);          /* drops body and headers; back to 0 */

/* Adds one header line. Refuses (-1) names or values with control characters
 * and lines that do not fit. */
int resp_header(struct response *rs, const char *name, const char *value);

/* A JSON answer; takes o (also on failure, when the answer becomes a 500). */
void resp_json(struct response *rs, int status, json_object *o);
/* An answer without a body (204, 304). */
void resp_empty(struct response *rs, int status);
/* {"error":{"code","message","details"?}}; takes details (may be NULL). */
void resp_error(struct response *rs, int status, const char *code, const char *message,
                json_object *details);
/* The answer for a SYNC_E* code from a service: its status and code, the
 * message of err, {"currentHash"} details for a 412. Content over the size
 * limit (SYNC_ETOOBIG from the rules) is a 400 VALIDATION_ERROR as DESIGN §5
 * lists it; database and memory failures are a 500 with a generic message
 * (the detail goes to the log, not to the client). */
void resp_fail(struct response *rs, const struct sync_err *err);

/* "OK", "Not Found", ... */
const char *http_reason(int status);
/* 204 and 304 carry no body and no Content-Length (RFC 9110 §8.6). */
bool status_has_body(int status);

/* Serialises the answer: "Status:" line, Content-Type, Content-Length, the
 * extra headers, the blank line, then the body unless with_body is false
 * (HEAD). Returns 0 or -1 (write failed). */
int resp_send(const struct response *rs, bool with_body, api_write_fn wr, void *ctx);

#endif
