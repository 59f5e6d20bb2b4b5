/* api.h - the REST program's shared state, the dispatcher and what handlers
 * use. One request at a time per process (libfcgi), one database connection. */
#ifndef API_API_H
#define API_API_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "db.h"
#include "request.h"
#include "respond.h"
#include "route.h"
#include "svc.h"

#include "version.h"

/* How long the process waits for the database at start before it serves
 * anyway (answering 503 and reconnecting on each request until it is up). */
#define API_DB_START_WAIT_MS 10000
/* The largest list offset accepted (beyond any store's file count). */
#define API_OFFSET_MAX 1000000000000LL

struct api_ctx {
    struct sync_config cfg;
    struct sync_db *db;         /* NULL until the first successful connect */
    int64_t started_ms;         /* for /health's uptime */
};

/* One request in a handler's hands. */
struct call {
    struct api_ctx *ctx;
    struct request *rq;
    struct response *rs;
    const struct route *route;
    struct sync_auth auth;      /* who is calling (AUTH_STORE / AUTH_ADMIN routes) */
    const char *id[ROUTE_MAX_IDS];  /* the ":id" segments, canonical UUIDs */
    json_object *body;          /* the JSON object body (routes with .body), lent */
};

/* The whole route table. */
extern const struct route api_routes[];
extern const size_t api_routes_n;

/* Answers one request into rs: routing (404/405), CORS preflight, the body
 * limit (413 from Content-Length before reading), database (503), auth
 * (401/403), the JSON body (400), then the handler; CORS headers on every
 * answer. rd reads the body (called only when the route takes one). */
void api_handle(struct api_ctx *ctx, struct request *rq, api_read_fn rd, void *rd_ctx,
                struct response *rs);

/* A usable database connection: connects when there is none, notices a
 * connection the server has closed (a restart) without a round trip, and
 * reconnects once. SYNC_OK or SYNC_EUNAVAIL. */
int api_db_ready(struct api_ctx *ctx, struct sync_err *err);

/* ---- for handlers --------------------------------------------------------- */
/* The parsed query; on a bad query answers 400 and returns false. */
bool call_query(struct call *c);
/* A query value (decoded) or NULL. */
const char *call_param(struct call *c, const char *name, size_t *len);
/* An optional integer query value in [min, max] (digits only); absent leaves
 * *out alone; answers 400 and returns false when malformed or out of range. */
bool int_param(struct call *c, const char *name, long long min, long long max, long long *out);
/* A required string member of the body; answers 400 and returns false when
 * absent or not a string. */
bool body_str(struct call *c, const char *key, const char **s, size_t *len);
/* Answers a service failure (see resp_fail) and logs 5xx causes. */
void call_fail(struct call *c, const struct sync_err *err);
/* Answers an error with a formatted message. */
void call_error(struct call *c, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Answers a JSON object (taking it). */
void call_json(struct call *c, int status, json_object *o);

/* ---- handlers (one file per resource) ------------------------------------ */
void h_files_get(struct call *c);
void h_files_post(struct call *c);
void h_files_put(struct call *c);
void h_files_patch(struct call *c);
void h_files_delete(struct call *c);
void h_files_delete_all(struct call *c);
void h_changes_get(struct call *c);
void h_settings_get(struct call *c);
void h_settings_put(struct call *c);
void h_settings_delete(struct call *c);
void h_settings_delete_all(struct call *c);
void h_admin_stores_list(struct call *c);
void h_admin_store_get(struct call *c);
void h_admin_store_create(struct call *c);
void h_admin_store_delete(struct call *c);
void h_admin_keys_list(struct call *c);
void h_admin_key_get(struct call *c);
void h_admin_key_create(struct call *c);
void h_admin_key_revoke(struct call *c);
void h_health(struct call *c);

/* Shared by the files and settings handlers (h_files.c): one file with
 * content, with ETag and If-None-Match -> 304. */
void files_get_one(struct call *c, const char *ns, const char *path, size_t len);
/* A file object answer, taking nothing. */
void files_answer(struct call *c, int status, const struct sync_file *f, bool with_content);

#endif
