/* gateway.c - the loop thread's side of sync-gateway: authentication,
 * client events, broadcasts and revocations (DESIGN §6). Everything here
 * runs on the loop thread; database work is handed to the workers and
 * finished in on_wake. */
#include "gateway.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonx.h"
#include "keys.h"
#include "log.h"
#include "sio/sio_server.h"

#define ROOM_PREFIX "store:"
#define ROOM_MAX (sizeof ROOM_PREFIX + SYNC_UUID_LEN)

/* One socket of ours: from on_connect until on_disconnect (or a refusal). */
struct gw_sock {
    struct gw_sock *prev, *next;
    uint64_t serial;
    bool accepted;
    bool auth_pending;
    char store_id[SYNC_UUID_LEN + 1];
    char key_id[SYNC_UUID_LEN + 1];
    char key_log[24];            /* log_key() form, never the key */
    unsigned perms;
    long long last_seq;          /* highest seq sent (or skipped) for this socket */
    size_t pending;              /* client events in flight */
    size_t pending_bytes;
};

int64_t gw_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void room_of(const char *store_id, char out[ROOM_MAX])
{
    snprintf(out, ROOM_MAX, ROOM_PREFIX "%s", store_id);
}

void gw_done(struct gw *g, struct gw_job *j)
{
    if (!gw_queue_push(&g->done, j)) {
        gw_job_free(j);
        return;
    }
    sio_server_wake(g->srv);
}

/* ---- our socket list ---------------------------------------------------- */

static struct gw_sock *sock_add(struct gw *g, struct sio_socket *s)
{
    struct gw_sock *gs = calloc(1, sizeof *gs);

    if (!gs)
        return NULL;
    gs->serial = sio_socket_serial(s);
    gs->next = g->socks;
    if (g->socks)
        g->socks->prev = gs;
    g->socks = gs;
    g->nsocks++;
    sio_socket_set_user(s, gs);
    return gs;
}

static void sock_remove(struct gw *g, struct sio_socket *s, struct gw_sock *gs)
{
    if (gs->prev)
        gs->prev->next = gs->next;
    else
        g->socks = gs->next;
    if (gs->next)
        gs->next->prev = gs->prev;
    g->nsocks--;
    if (gs->accepted) {
        gw_stores_detach(&g->stores, gs->store_id);
        g->naccepted--;
    }
    sio_socket_set_user(s, NULL);
    free(gs);
}

/* Refuses a pending socket with a CONNECT_ERROR message (no on_disconnect
 * follows a refusal, so our state goes here). */
static void refuse(struct gw *g, struct sio_socket *s, const char *message, const char *why)
{
    struct gw_sock *gs = sio_socket_user(s);
    char klog[24];

    snprintf(klog, sizeof klog, "%s", gs && gs->key_log[0] ? gs->key_log : "(none)");
    log_info("refused %s (%s) from %s over %s, key %s", message, why, sio_socket_peer(s),
             sio_socket_transport(s), klog);
    if (gs)
        sock_remove(g, s, gs);
    sio_refuse(s, message, NULL);
}

/* Serials of the accepted sockets matching (key_id or store_id); caller
 * frees. Collected first because sio_disconnect() changes the list. */
static uint64_t *collect(struct gw *g, const char *key_id, const char *store_id, size_t *n)
{
    uint64_t *a = malloc((g->nsocks ? g->nsocks : 1) * sizeof *a);
    struct gw_sock *gs;

    *n = 0;
    if (!a)
        return NULL;
    for (gs = g->socks; gs; gs = gs->next) {
        if (!gs->accepted)
            continue;
        if ((key_id && key_id[0] && strcmp(gs->key_id, key_id) == 0) ||
            (store_id && store_id[0] && strcmp(gs->store_id, store_id) == 0))
            a[(*n)++] = gs->serial;
    }
    return a;
}

static size_t disconnect_matching(struct gw *g, const char *key_id, const char *store_id)
{
    size_t i, n, done = 0;
    uint64_t *a = collect(g, key_id, store_id, &n);

    if (!a) {
        log_error("out of memory closing revoked sockets");
        return 0;
    }
    for (i = 0; i < n; i++) {
        struct sio_socket *s = sio_socket_lookup(g->srv, a[i]);
        if (s) {
            sio_disconnect(s, SIO_CLOSE_NAMESPACE);
            done++;
        }
    }
    free(a);
    return done;
}

/* ---- recent revocations (an auth read before a revocation committed may
 * complete after its notification was handled) ----------------------------- */

static void revoked_add(struct gw *g, const char *id, bool is_store)
{
    struct gw_revoked *r = &g->revoked[g->revoked_next++ % GW_REVOKED_RING];

    memcpy(r->id, id, sizeof r->id);
    r->is_store = is_store;
    r->at_ms = gw_now_ms();
}

static bool revoked_recently(struct gw *g, const char *key_id, const char *store_id)
{
    int64_t now = gw_now_ms();
    size_t i;

    for (i = 0; i < GW_REVOKED_RING; i++) {
        const struct gw_revoked *r = &g->revoked[i];
        if (!r->id[0] || now - r->at_ms > GW_REVOKED_KEEP_MS)
            continue;
        if (strcmp(r->id, r->is_store ? store_id : key_id) == 0)
            return true;
    }
    return false;
}

/* ---- acks --------------------------------------------------------------- */

static void ack(struct sio_socket *s, bool has_ack, uint64_t ack_id, json_object *args)
{
    if (has_ack && args && sio_ack(s, ack_id, args) != SYNC_OK)
        log_debug("ack %llu not sent", (unsigned long long)ack_id);
    if (has_ack && !args)
        log_error("out of memory building an ack");
    json_object_put(args);
}

static void ack_error(struct sio_socket *s, const struct sio_event *ev, const char *code,
                      const char *message)
{
    if (ev->has_ack)
        ack(s, true, ev->ack_id, gw_ack_error(code, message));
}

/* ---- namespace callbacks ------------------------------------------------ */

/* The API key from the handshake query (apiKey) or the CONNECT auth object
 * ({apiKey} or {token}). Returns 1 with *key (lent) when one was given, 0
 * when none was, -1 when the auth member is there but not a string. */
static int find_key(struct sio_socket *s, const struct sio_connect_info *ci, const char **key,
                    size_t *len)
{
    const char *q = sio_socket_query(s, "apiKey");
    static const char *const members[] = { "apiKey", "token" };
    size_t i;

    if (q && *q) {
        *key = q;
        *len = strlen(q);
        return 1;
    }
    if (!ci || !ci->auth)
        return 0;
    for (i = 0; i < sizeof members / sizeof members[0]; i++) {
        int rc = jsonx_get_str(ci->auth, members[i], key, len);
        if (rc == SYNC_OK && *len > 0)
            return 1;
        if (rc == SYNC_EINVAL)
            return -1;
    }
    return 0;
}

static void on_connect(struct sio_socket *s, const struct sio_connect_info *ci, void *arg)
{
    struct gw *g = arg;
    struct gw_sock *gs;
    struct gw_job *j;
    const char *key = NULL;
    size_t len = 0;
    int found;

    gs = sock_add(g, s);
    if (!gs) {
        sio_refuse(s, "UNAVAILABLE", NULL);
        return;
    }
    found = find_key(s, ci, &key, &len);
    if (found == 0) {
        refuse(g, s, "UNAUTHORIZED", "no API key");
        return;
    }
    if (found > 0)
        log_key(key, len, gs->key_log);
    /* the admin key belongs to no store: not a gateway key */
    if (found < 0 || !key_is_store_form(key, len)) {
        refuse(g, s, "INVALID_KEY", found < 0 ? "API key is not a string" : "not a store key");
        return;
    }
    j = gw_job_new(GW_JOB_AUTH);
    if (j) {
        j->serial = gs->serial;
        j->key = malloc(len + 1);
        if (j->key) {
            memcpy(j->key, key, len);
            j->key[len] = '\0';
            j->key_len = len;
        }
    }
    if (!j || !j->key || !gw_workers_submit(g->workers, gs->serial, j)) {
        gw_job_free(j);
        refuse(g, s, "UNAVAILABLE", "cannot queue the authentication");
        return;
    }
    gs->auth_pending = true;
}

static char *dup_len(const char *s, size_t len)
{
    char *d = malloc(len + 1);

    if (d) {
        if (len)
            memcpy(d, s, len);
        d[len] = '\0';
    }
    return d;
}

static void on_event(struct sio_socket *s, const struct sio_event *ev, void *arg)
{
    struct gw *g = arg;
    struct gw_sock *gs = sio_socket_user(s);
    struct sync_err err = { 0 };
    struct gw_request req;
    struct gw_job *j;
    enum gw_op op;
    size_t cost;
    bool oom;

    if (!gs || !gs->accepted)
        return;
    op = gw_op_from_name(ev->name, ev->name_len);
    if (op == GW_OP_UNKNOWN) {
        char msg[120];
        snprintf(msg, sizeof msg, "unknown event \"%.60s\"", ev->name ? ev->name : "");
        ack_error(s, ev, "UNKNOWN_EVENT", msg);
        return;
    }
    if (!(gs->perms & PERM_WRITE)) {
        ack_error(s, ev, "FORBIDDEN", "this API key has no write permission");
        return;
    }
    if (gw_request_parse(op, ev->args, ev->n_bin, &req, &err) != SYNC_OK) {
        ack_error(s, ev, "VALIDATION_ERROR", err.msg);
        return;
    }
    cost = req.path_len + req.new_len + req.content_len;
    if (gs->pending >= GW_SOCK_PENDING_MAX || cost > GW_PENDING_BYTES_MAX - g->pending_bytes) {
        ack_error(s, ev, "UNAVAILABLE", "too many writes in flight; retry later");
        return;
    }
    j = gw_job_new(GW_JOB_WRITE);
    if (!j) {
        ack_error(s, ev, "INTERNAL_ERROR", "out of memory");
        return;
    }
    j->serial = gs->serial;
    j->has_ack = ev->has_ack;
    j->ack_id = ev->ack_id;
    j->op = op;
    memcpy(j->store_id, gs->store_id, sizeof j->store_id);
    j->path = dup_len(req.path, req.path_len);
    j->path_len = req.path_len;
    oom = !j->path;
    if (req.new_path) {
        j->new_path = dup_len(req.new_path, req.new_len);
        j->new_len = req.new_len;
        oom |= !j->new_path;
    }
    if (req.content) {
        j->content = dup_len(req.content, req.content_len);
        j->content_len = req.content_len;
        oom |= !j->content;
    }
    j->origin = strdup(sio_socket_id(s));
    oom |= !j->origin;
    j->cost = cost;
    if (oom) {
        gw_job_free(j);
        ack_error(s, ev, "INTERNAL_ERROR", "out of memory");
        return;
    }
    if (!gw_workers_submit(g->workers, gw_route_store(gs->store_id), j)) {
        gw_job_free(j);
        ack_error(s, ev, "UNAVAILABLE", "the gateway is shutting down");
        return;
    }
    gs->pending++;
    gs->pending_bytes += cost;
    g->pending_bytes += cost;
}

static void on_disconnect(struct sio_socket *s, const char *reason, void *arg)
{
    struct gw *g = arg;
    struct gw_sock *gs = sio_socket_user(s);

    if (!gs)
        return;
    if (gs->accepted)
        log_info("disconnected %s (%s), store %s, key %s", sio_socket_id(s), reason,
                 gs->store_id, gs->key_log);
    sock_remove(g, s, gs);
}

/* ---- finishing work on the loop ------------------------------------------ */

static void finish_auth(struct gw *g, struct gw_job *j)
{
    struct sio_socket *s = sio_socket_lookup(g->srv, j->serial);
    struct gw_sock *gs = s ? sio_socket_user(s) : NULL;
    char room[ROOM_MAX];
    bool created;

    if (!s || !gs)
        return;                                   /* gone while we looked it up */
    gs->auth_pending = false;
    if (j->rc != SYNC_OK) {
        refuse(g, s, gw_auth_refusal(j->rc), j->err.msg);
        return;
    }
    if (j->auth.admin) {
        refuse(g, s, "INVALID_KEY", "the admin key belongs to no store");
        return;
    }
    if (revoked_recently(g, j->auth.key_id, j->auth.store_id)) {
        refuse(g, s, "KEY_REVOKED", "revoked while authenticating");
        return;
    }
    if (sio_accept(s) != SYNC_OK)
        return;
    memcpy(gs->store_id, j->auth.store_id, sizeof gs->store_id);
    memcpy(gs->key_id, j->auth.key_id, sizeof gs->key_id);
    gs->perms = j->auth.perms;
    gs->last_seq = j->seq;
    if (gw_stores_attach(&g->stores, gs->store_id, j->seq, &created) != SYNC_OK) {
        log_error("out of memory attaching a socket");
        sio_disconnect(s, SIO_CLOSE_TRANSPORT);
        return;
    }
    gs->accepted = true;
    g->naccepted++;
    if (created)
        gw_listener_poke(g->listener);
    room_of(gs->store_id, room);
    if (sio_join(s, room) != SYNC_OK) {
        log_error("cannot join room %s", room);
        sio_disconnect(s, SIO_CLOSE_TRANSPORT);
        return;
    }
    log_info("connected %s from %s over %s: store %s, key %s (%s%s), seq %lld",
             sio_socket_id(s), sio_socket_peer(s), sio_socket_transport(s), gs->store_id,
             gs->key_log, (gs->perms & PERM_READ) ? "r" : "-", (gs->perms & PERM_WRITE) ? "w" : "-",
             j->seq);
}

static void finish_write(struct gw *g, struct gw_job *j)
{
    struct sio_socket *s;
    struct gw_sock *gs;

    g->pending_bytes -= j->cost;
    s = sio_socket_lookup(g->srv, j->serial);
    gs = s ? sio_socket_user(s) : NULL;
    if (!s || !gs)
        return;                                   /* applied; nobody to tell */
    gs->pending--;
    gs->pending_bytes -= j->cost;
    if (j->rc == SYNC_OK) {
        bool with_hash = j->op == GW_OP_CREATED || j->op == GW_OP_MODIFIED;
        log_debug("%s %s by %s: seq %lld", gw_op_name(j->op), j->path, sio_socket_id(s), j->seq);
        ack(s, j->has_ack, j->ack_id, gw_ack_ok(with_hash ? j->hash : NULL));
        return;
    }
    if (j->rc != SYNC_EINVAL && j->rc != SYNC_ETOOBIG && j->rc != SYNC_EUNAVAIL)
        log_error("%s by %s failed: %s", gw_op_name(j->op), sio_socket_id(s), j->err.msg);
    ack(s, j->has_ack, j->ack_id, gw_ack_error(gw_ack_code(j->rc), j->err.msg));
}

struct bcast {
    long long seq;
    const char *origin;
};

/* Who gets a change: sockets with read, never twice or backwards, never
 * the socket whose write it was. */
static int bcast_filter(struct sio_socket *s, void *arg)
{
    const struct bcast *b = arg;
    struct gw_sock *gs = sio_socket_user(s);

    if (!gs || !gs->accepted || b->seq <= gs->last_seq)
        return 0;
    gs->last_seq = b->seq;
    if (!(gs->perms & PERM_READ))
        return 0;
    if (b->origin && strcmp(sio_socket_id(s), b->origin) == 0)
        return 0;
    return 1;
}

static void finish_broadcast(struct gw *g, struct gw_job *j)
{
    struct bcast b = { j->seq, j->origin };
    char room[ROOM_MAX];
    int n;

    room_of(j->store_id, room);
    n = sio_broadcast(g->nsp, room, j->pkt, NULL, bcast_filter, &b);
    atomic_fetch_sub(&g->handover_bytes, j->cost);
    log_debug("seq %lld of store %s to %d sockets", j->seq, j->store_id, n);
}

static void finish_revoke(struct gw *g, struct gw_job *j)
{
    bool is_store = j->store_id[0] != '\0';
    size_t n;

    revoked_add(g, is_store ? j->store_id : j->key_id, is_store);
    n = disconnect_matching(g, is_store ? NULL : j->key_id, is_store ? j->store_id : NULL);
    log_info("%s %s %s: closed %zu sockets", is_store ? "store" : "key",
             is_store ? j->store_id : j->key_id, is_store ? "deleted" : "revoked", n);
}

/* After a LISTEN outage: ask the database about every key with sockets. */
static void finish_recheck(struct gw *g)
{
    struct gw_sock *gs, *o;
    size_t n = 0;

    for (gs = g->socks; gs; gs = gs->next) {
        struct gw_job *k;
        bool seen = false;

        if (!gs->accepted)
            continue;
        for (o = g->socks; o != gs && !seen; o = o->next)
            seen = o->accepted && strcmp(o->key_id, gs->key_id) == 0;
        if (seen)
            continue;
        k = gw_job_new(GW_JOB_KEYCHECK);
        if (!k)
            break;
        memcpy(k->store_id, gs->store_id, sizeof k->store_id);
        memcpy(k->key_id, gs->key_id, sizeof k->key_id);
        if (!gw_workers_submit(g->workers, gw_route_store(gs->store_id), k)) {
            gw_job_free(k);
            break;
        }
        n++;
    }
    log_info("re-checking %zu keys after the LISTEN outage", n);
}

static void finish_keycheck(struct gw *g, struct gw_job *j)
{
    size_t n;

    if (j->rc != SYNC_EREVOKED && j->rc != SYNC_ENOTFOUND)
        return;                                   /* valid, or cannot tell now */
    revoked_add(g, j->key_id, false);
    n = disconnect_matching(g, j->key_id, NULL);
    log_info("key %s %s meanwhile: closed %zu sockets", j->key_id,
             j->rc == SYNC_EREVOKED ? "revoked" : "deleted", n);
}

static void on_wake(struct sio_server *srv, void *arg)
{
    struct gw *g = arg;
    struct gw_job *j = gw_queue_take_all(&g->done);

    (void)srv;
    while (j) {
        struct gw_job *nx = j->next;

        switch (j->type) {
        case GW_JOB_AUTH:
            finish_auth(g, j);
            break;
        case GW_JOB_WRITE:
            finish_write(g, j);
            break;
        case GW_JOB_KEYCHECK:
            finish_keycheck(g, j);
            break;
        case GW_JOB_BROADCAST:
            finish_broadcast(g, j);
            break;
        case GW_JOB_REVOKE:
            finish_revoke(g, j);
            break;
        case GW_JOB_RECHECK:
            finish_recheck(g);
            break;
        }
        gw_job_free(j);
        j = nx;
    }
}

/* ---- health ---------------------------------------------------------------- */

int gw_health(struct gw *g, char **json, size_t *len)
{
    static const char *const db_names[] = { "connecting", "connected", "disconnected" };
    int db = atomic_load(&g->db_state);
    json_object *o = json_object_new_object();
    const char *text;
    int bad = 0;

    *json = NULL;
    *len = 0;
    if (!o)
        return SYNC_ENOMEM;
    if (db < 0 || db > GW_DB_DISCONNECTED)
        db = GW_DB_DISCONNECTED;
    bad |= jsonx_add_cstr(o, "status", db == GW_DB_CONNECTED ? "healthy" : "degraded");
    bad |= jsonx_add_int(o, "uptime", (gw_now_ms() - g->started_ms) / 1000);
    bad |= jsonx_add_int(o, "connections", (long long)g->naccepted);
    bad |= jsonx_add_int(o, "authenticating", (long long)(g->nsocks - g->naccepted));
    bad |= jsonx_add_int(o, "rooms", (long long)gw_stores_count(&g->stores));
    bad |= jsonx_add_cstr(o, "database", db_names[db]);
    bad |= jsonx_add_int(o, "notifyLagMs", atomic_load(&g->notify_lag_ms));
    text = bad ? NULL : jsonx_text(o, len);
    if (text)
        *json = strdup(text);
    json_object_put(o);
    if (!*json)
        return SYNC_ENOMEM;
    return db == GW_DB_CONNECTED ? 200 : 503;
}

/* GET /health on the gateway's own port (sio's on_http hook). */
static unsigned on_http(struct sio_server *srv, const char *path, size_t path_len, char *body,
                        size_t *body_len, void *arg)
{
    struct gw *g = arg;
    char *json = NULL;
    size_t len = 0;
    int status;

    (void)srv;
    if (path_len != 7 || memcmp(path, "/health", 7) != 0)
        return 0;
    status = gw_health(g, &json, &len);
    if (status < 0 || len > SIO_HTTP_BODY_MAX) {
        free(json);
        return 0;
    }
    memcpy(body, json, len);
    *body_len = len;
    free(json);
    return (unsigned)status;
}

/* ---- lifetime ------------------------------------------------------------- */

int gw_create(const struct sync_config *cfg, struct gw **out, struct sync_err *err)
{
    static const struct sio_nsp_ops ops = { on_connect, on_event, on_disconnect };
    struct sio_config sc;
    sigset_t all, old;
    struct gw *g;
    int rc;

    *out = NULL;
    g = calloc(1, sizeof *g);
    if (!g)
        return sync_err_set(err, SYNC_ENOMEM, "out of memory");
    g->cfg = cfg;
    atomic_init(&g->db_state, GW_DB_CONNECTING);
    atomic_init(&g->handover_bytes, 0);
    atomic_init(&g->notify_lag_ms, 0);
    g->started_ms = gw_now_ms();
    if (gw_stores_init(&g->stores) != SYNC_OK) {
        free(g);
        return sync_err_set(err, SYNC_ENOMEM, "out of memory");
    }
    if (gw_queue_init(&g->done) != SYNC_OK) {
        gw_stores_destroy(&g->stores);
        free(g);
        return sync_err_set(err, SYNC_ENOMEM, "out of memory");
    }

    sio_config_defaults(&sc);
    sc.host = cfg->gw_host;
    sc.port = cfg->gw_port;
    sc.path = cfg->gw_path;
    sc.max_payload = cfg->max_payload;
    sc.preauth_max = SYNC_PREAUTH_MAX;
    sc.send_queue_max = SYNC_SEND_QUEUE_MAX;
    sc.tls_cert = cfg->tls_cert;
    sc.tls_key = cfg->tls_key;
    sc.cors_origins = cfg->cors_origins;
    /* Offered by default: clients that ask (browsers, Obsidian) get their
     * markdown compressed on slow mobile links. The packet is still
     * serialised once; only the per-connection frames differ. Off with
     * SYNC_WS_DEFLATE=off when CPU matters more than bandwidth. */
    sc.no_permessage_deflate = !cfg->ws_deflate;
    sc.on_wake = on_wake;
    sc.on_http = on_http;
    sc.arg = g;
    rc = sio_server_create(&sc, &g->srv, err);
    if (rc != SYNC_OK)
        goto fail;
    g->nsp = sio_nsp_add(g->srv, "/", &ops, g);
    if (!g->nsp) {
        rc = sync_err_set(err, SYNC_ENOMEM, "cannot register the namespace");
        goto fail;
    }

    /* the threads never take SIGINT/SIGTERM: the loop thread does */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    rc = gw_workers_create(g, GW_WORKERS, &g->workers, err);
    if (rc == SYNC_OK)
        rc = gw_listener_create(g, &g->listener, err);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != SYNC_OK)
        goto fail;
    *out = g;
    return SYNC_OK;
fail:
    gw_destroy(g);
    return rc;
}

int gw_run(struct gw *g)
{
    return sio_server_run(g->srv);
}

void gw_stop(struct gw *g)
{
    if (g && g->srv)
        sio_server_stop(g->srv);
}

int gw_port(const struct gw *g)
{
    return sio_server_port(g->srv);
}

void gw_destroy(struct gw *g)
{
    if (!g)
        return;
    /* threads first: they wake the server, which must still exist */
    gw_listener_destroy(g->listener);
    g->listener = NULL;
    gw_workers_destroy(g->workers);
    g->workers = NULL;
    gw_queue_close(&g->done);
    gw_job_free_list(gw_queue_take_all(&g->done));
    /* on_disconnect for every socket left */
    sio_server_destroy(g->srv);
    g->srv = NULL;
    gw_queue_destroy(&g->done);
    gw_stores_destroy(&g->stores);
    free(g);
}
