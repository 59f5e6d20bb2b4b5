/* gw_listen.c - the broadcast source: one thread, one connection that
 * LISTENs on sync_changes and sync_revoked (PostgreSQL's testlibpq2.c
 * pattern: poll on PQsocket, PQconsumeInput, PQnotifies).
 *
 * A notification only marks its store dirty; the thread then fetches each
 * dirty store's changes after the last seq it delivered (svc_feed_since, a
 * page at a time), builds each event packet once and hands the packets to
 * the loop in seq order. Notifications that arrive while a fetch runs are
 * queued by libpq and drained right after. When the connection is lost the
 * thread reconnects with backoff, LISTENs again and marks every store dirty,
 * so whatever was committed meanwhile is replayed from the last delivered
 * seq: nothing lost, nothing twice. It blocks in poll() and in libpq, which
 * is fine here: this is not the loop thread. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "gateway.h"
#include "jsonx.h"
#include "log.h"
#include "rules.h"
#include "sio/sio_server.h"
#include "svc.h"

struct gw_listener {
    struct gw *g;
    pthread_t thread;
    bool started;
    int wake[2];                 /* pipe: poke and stop */
    atomic_bool stop;
    struct sync_db *db;          /* NULL while disconnected */
    int64_t pending_since_ms;    /* first notification not yet handed over; 0: none */
};

static void drain_pipe(int fd)
{
    char buf[64];

    while (read(fd, buf, sizeof buf) > 0)
        ;
}

/* Sleeps up to ms or until poked/stopped. */
static void wait_wake(struct gw_listener *l, int ms)
{
    struct pollfd p = { .fd = l->wake[0], .events = POLLIN };

    if (poll(&p, 1, ms) > 0)
        drain_pipe(l->wake[0]);
}

static int listen_connect(struct gw_listener *l, struct sync_err *err)
{
    PGresult *res;
    int rc;

    rc = db_open(l->g->cfg->database_url, &l->db, err);
    if (rc != SYNC_OK)
        return rc;
    db_set_tombstone_days(l->db, l->g->cfg->tombstone_days);
    res = PQexec(db_conn(l->db),
                 "LISTEN " SYNC_CHANNEL_CHANGES "; LISTEN " SYNC_CHANNEL_REVOKED);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        const char *m = PQerrorMessage(db_conn(l->db));
        rc = sync_err_set(err, SYNC_EUNAVAIL, "LISTEN failed: %.*s", (int)strcspn(m, "\n"), m);
        PQclear(res);
        db_close(l->db);
        l->db = NULL;
        return rc;
    }
    PQclear(res);
    return SYNC_OK;
}

static void listen_lost(struct gw_listener *l, const char *why)
{
    log_warn("LISTEN connection lost (%s); reconnecting", why);
    atomic_store(&l->g->db_state, GW_DB_DISCONNECTED);
    db_close(l->db);
    l->db = NULL;
}

/* ---- notifications ------------------------------------------------------ */

static void on_revoked(struct gw_listener *l, json_object *o)
{
    const char *id;
    size_t len;
    struct gw_job *j;
    bool is_store;

    if (jsonx_get_str(o, "key", &id, &len) == SYNC_OK)
        is_store = false;
    else if (jsonx_get_str(o, "store", &id, &len) == SYNC_OK)
        is_store = true;
    else
        return;
    if (!rules_is_uuid(id, len))
        return;
    j = gw_job_new(GW_JOB_REVOKE);
    if (!j) {
        log_error("out of memory handling a revocation");
        return;
    }
    memcpy(is_store ? j->store_id : j->key_id, id, SYNC_UUID_LEN);
    gw_done(l->g, j);
}

static void on_notify(struct gw_listener *l, const PGnotify *n)
{
    size_t len = strlen(n->extra);
    json_object *o = jsonx_parse_object(n->extra, len, NULL);
    const char *store;
    size_t slen;

    if (!o) {
        log_warn("ignoring a malformed %s notification", n->relname);
        return;
    }
    if (!l->pending_since_ms)
        l->pending_since_ms = gw_now_ms();
    if (strcmp(n->relname, SYNC_CHANNEL_REVOKED) == 0) {
        on_revoked(l, o);
    } else if (strcmp(n->relname, SYNC_CHANNEL_CHANGES) == 0 &&
               jsonx_get_str(o, "store", &store, &slen) == SYNC_OK &&
               rules_is_uuid(store, slen)) {
        json_object *v;
        long long seq = INT64_MAX;      /* no seq: fetch whatever there is */
        char id[SYNC_UUID_LEN + 1];

        if (json_object_object_get_ex(o, "seq", &v) && json_object_is_type(v, json_type_int))
            seq = json_object_get_int64(v);
        memcpy(id, store, SYNC_UUID_LEN);
        id[SYNC_UUID_LEN] = '\0';
        gw_stores_notify(&l->g->stores, id, seq);
    }
    json_object_put(o);
}

/* Reads what the server sent and handles every queued notification.
 * Returns how many, or -1 when the connection is broken. */
static int drain_notifies(struct gw_listener *l)
{
    PGconn *c = db_conn(l->db);
    PGnotify *n;
    int count = 0;

    if (!PQconsumeInput(c) || PQstatus(c) != CONNECTION_OK)
        return -1;
    while ((n = PQnotifies(c)) != NULL) {
        on_notify(l, n);
        PQfreemem(n);
        count++;
    }
    return count;
}

/* ---- fetching and handing over ----------------------------------------- */

struct handover {
    struct gw *g;
    struct gw_job *head;
};

/* Under the stores lock: the page is current, give it to the loop in order. */
static void handover_commit(void *arg)
{
    struct handover *h = arg;

    while (h->head) {
        struct gw_job *j = h->head;
        h->head = j->next;
        atomic_fetch_add(&h->g->handover_bytes, j->cost);
        gw_done(h->g, j);
    }
}

/* Backpressure: while the loop has more than GW_HANDOVER_MAX bytes of
 * packets still to broadcast, fetch nothing more. */
static void wait_handover(struct gw_listener *l)
{
    while (!atomic_load(&l->stop) && atomic_load(&l->g->handover_bytes) > GW_HANDOVER_MAX)
        wait_wake(l, 10);
}

/* One BROADCAST job for a feed item, appended at *tail; SYNC_OK also when
 * the item needs no event. */
static int build_one(struct sync_feed_item *it, const char *store_id, struct gw_job ***tail)
{
    const char *name;
    json_object *args;
    struct gw_job *j;
    int rc;

    rc = gw_event_build(it, &name, &args);
    if (rc == GW_EVENT_SKIP)
        return SYNC_OK;
    if (rc != GW_EVENT_SEND)
        return rc;
    j = gw_job_new(GW_JOB_BROADCAST);
    if (!j) {
        json_object_put(args);
        return SYNC_ENOMEM;
    }
    rc = sio_packet_new_event(&j->pkt, NULL, name, args);
    json_object_put(args);
    if (rc != SYNC_OK) {
        gw_job_free(j);
        return rc;
    }
    memcpy(j->store_id, store_id, SYNC_UUID_LEN + 1);
    j->seq = it->change.seq;
    j->cost = sio_packet_wire_size(j->pkt);
    if (it->change.origin) {
        j->origin = strdup(it->change.origin);
        if (!j->origin) {
            gw_job_free(j);
            return SYNC_ENOMEM;
        }
    }
    **tail = j;
    *tail = &j->next;
    return SYNC_OK;
}

/* Delivers everything after ref->last_seq for one store. */
static int deliver_store(struct gw_listener *l, struct gw_store_ref *ref)
{
    struct gw *g = l->g;
    struct sync_err err = { 0 };

    for (;;) {
        struct sync_feed feed;
        struct handover h = { g, NULL };
        struct gw_job **tail = &h.head;
        long long new_seq;
        size_t i, n;
        int rc;

        wait_handover(l);
        rc = svc_feed_since(l->db, ref->store_id, ref->last_seq, GW_FEED_PAGE, &feed, &err);
        if (rc != SYNC_OK) {
            if (rc != SYNC_EUNAVAIL)
                log_error("feed of store %s after %lld: %s", ref->store_id, ref->last_seq,
                          err.msg);
            return rc;
        }
        n = feed.n;
        if (n == 0) {
            sync_feed_clear(&feed);
            return SYNC_OK;
        }
        new_seq = feed.items[n - 1].change.seq;
        for (i = 0; i < n && rc == SYNC_OK; i++) {
            rc = build_one(&feed.items[i], ref->store_id, &tail);
            /* the packet holds its own copy: drop the content now */
            free(feed.items[i].file.content);
            feed.items[i].file.content = NULL;
        }
        sync_feed_clear(&feed);
        if (rc != SYNC_OK) {
            gw_job_free_list(h.head);
            log_error("building events of store %s: %s", ref->store_id,
                      rc == SYNC_ENOMEM ? "out of memory" : "bad change");
            return rc;
        }
        if (!gw_stores_advance(&g->stores, ref, new_seq, handover_commit, &h)) {
            gw_job_free_list(h.head);     /* the entry went away meanwhile */
            return SYNC_OK;
        }
        log_debug("store %s: delivered seq %lld..%lld", ref->store_id, ref->last_seq + 1,
                  new_seq);
        ref->last_seq = new_seq;
        if (n < GW_FEED_PAGE)
            return SYNC_OK;
    }
}

/* Every dirty store, once. SYNC_EUNAVAIL when the connection broke. */
static int deliver_all(struct gw_listener *l)
{
    struct gw_store_ref ref;

    while (!atomic_load(&l->stop) && gw_stores_next_dirty(&l->g->stores, &ref)) {
        int rc = deliver_store(l, &ref);
        if (rc == SYNC_EUNAVAIL) {
            gw_stores_redirty(&l->g->stores, &ref);
            return rc;
        }
        /* any other failure was logged; the next notification retries */
    }
    return SYNC_OK;
}

static bool still_alive(struct gw_listener *l)
{
    struct sync_err err = { 0 };

    return db_ping(l->db, &err) == SYNC_OK;
}

static void *listener_main(void *arg)
{
    struct gw_listener *l = arg;
    struct gw *g = l->g;
    int backoff = GW_LISTEN_BACKOFF_MIN;
    bool first = true, warned = false;

    while (!atomic_load(&l->stop)) {
        struct pollfd p[2];
        int got, n;

        if (!l->db) {
            struct sync_err err = { 0 };
            if (listen_connect(l, &err) != SYNC_OK) {
                if (!warned)
                    log_warn("LISTEN: %s; retrying", err.msg);
                warned = true;
                atomic_store(&g->db_state, GW_DB_DISCONNECTED);
                wait_wake(l, backoff);
                backoff = backoff * 2 > GW_LISTEN_BACKOFF_MAX ? GW_LISTEN_BACKOFF_MAX : backoff * 2;
                continue;
            }
            log_info("LISTEN on %s and %s%s", SYNC_CHANNEL_CHANGES, SYNC_CHANNEL_REVOKED,
                     first ? "" : " again; replaying from the last delivered seq");
            atomic_store(&g->db_state, GW_DB_CONNECTED);
            backoff = GW_LISTEN_BACKOFF_MIN;
            warned = false;
            gw_stores_mark_all(&g->stores);
            if (!first) {
                /* revocations may have been missed meanwhile */
                struct gw_job *j = gw_job_new(GW_JOB_RECHECK);
                if (j)
                    gw_done(g, j);
            }
            first = false;
        }

        got = drain_notifies(l);
        if (got < 0) {
            listen_lost(l, "connection closed");
            continue;
        }
        if (deliver_all(l) == SYNC_EUNAVAIL) {
            listen_lost(l, "query failed");
            continue;
        }
        if (got > 0)
            continue;               /* notifications may have queued during the fetch */
        if (l->pending_since_ms) {
            atomic_store(&g->notify_lag_ms, gw_now_ms() - l->pending_since_ms);
            l->pending_since_ms = 0;
        }

        p[0].fd = PQsocket(db_conn(l->db));
        p[0].events = POLLIN;
        p[1].fd = l->wake[0];
        p[1].events = POLLIN;
        p[0].revents = p[1].revents = 0;
        n = poll(p, 2, GW_LISTEN_IDLE_PING);
        if (n < 0 && errno != EINTR) {
            listen_lost(l, "poll failed");
            continue;
        }
        if (p[1].revents)
            drain_pipe(l->wake[0]);
        if (n == 0 && !still_alive(l))
            listen_lost(l, "liveness query failed");
    }
    return NULL;
}

int gw_listener_create(struct gw *g, struct gw_listener **out, struct sync_err *err)
{
    struct gw_listener *l;

    *out = NULL;
    l = calloc(1, sizeof *l);
    if (!l)
        return sync_err_set(err, SYNC_ENOMEM, "out of memory");
    l->g = g;
    atomic_init(&l->stop, false);
    if (pipe2(l->wake, O_NONBLOCK | O_CLOEXEC) != 0) {
        free(l);
        return sync_err_set(err, SYNC_ENOMEM, "pipe: %s", strerror(errno));
    }
    if (pthread_create(&l->thread, NULL, listener_main, l) != 0) {
        close(l->wake[0]);
        close(l->wake[1]);
        free(l);
        return sync_err_set(err, SYNC_ENOMEM, "cannot start the listener thread");
    }
    l->started = true;
    *out = l;
    return SYNC_OK;
}

void gw_listener_poke(struct gw_listener *l)
{
    ssize_t r;

    if (!l)
        return;
    r = write(l->wake[1], "x", 1);      /* full pipe: a wake-up is pending anyway */
    (void)r;
}

void gw_listener_destroy(struct gw_listener *l)
{
    if (!l)
        return;
    atomic_store(&l->stop, true);
    gw_listener_poke(l);
    if (l->started)
        pthread_join(l->thread, NULL);
    db_close(l->db);
    close(l->wake[0]);
    close(l->wake[1]);
    free(l);
}
