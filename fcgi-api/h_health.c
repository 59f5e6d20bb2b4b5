/* h_health.c - GET /health and /api/v1/health: no key needed. 200 healthy
 * when the database answers a query, else 503 degraded/disconnected. */
#include "api.h"
#include "isotime.h"
#include "jsonx.h"

static bool database_answers(struct api_ctx *ctx)
{
    struct sync_err err = {0};

    return api_db_ready(ctx, &err) == SYNC_OK && db_ping(ctx->db, &err) == SYNC_OK;
}

void h_health(struct call *c)
{
    bool up = database_answers(c->ctx);
    int64_t ms = iso_now_ms() - c->ctx->started_ms;
    json_object *o = json_object_new_object();

    if (jsonx_add_cstr(o, "status", up ? "healthy" : "degraded") != 0 ||
        jsonx_add_cstr(o, "version", SYNC_VERSION) != 0 ||
        jsonx_add_int(o, "uptime", ms > 0 ? ms / 1000 : 0) != 0 ||
        jsonx_add_cstr(o, "database", up ? "connected" : "disconnected") != 0) {
        json_object_put(o);
        o = NULL;
    }
    call_json(c, up ? 200 : 503, o);
}
