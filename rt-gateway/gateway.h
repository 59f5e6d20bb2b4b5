/* gateway.h - sync-gateway: the realtime front door of DESIGN §6 on top of
 * the sio layer and the common/ services.
 *
 * THREADS
 *   loop       sio_server_run(): every sio callback, all socket state, every
 *              send and broadcast. Never touches PostgreSQL.
 *   workers    GW_WORKERS threads, each with its own database connection:
 *              authentication and the writes of client events. A store's
 *              jobs always go to the same worker (writes of one socket are
 *              applied in the order sent; one store's writers queue on its
 *              row lock anyway); an auth job goes by socket serial.
 *   listener   one thread with its own connection: LISTEN sync_changes and
 *              sync_revoked, fetch each notified store's changes after the
 *              last seq it delivered (svc_feed_since, one query per batch),
 *              build each event packet once, hand packets to the loop.
 *   Finished work comes back on one done queue + sio_server_wake(); the
 *   loop drains the whole queue in on_wake.
 *
 * BROADCAST
 *   The loop broadcasts each packet to room store:<id> with a filter that
 *   keeps sockets with `read`, skips the writer (origin = its socket id) and
 *   any socket that already saw a seq >= this one (a socket starts at the
 *   store's seq read when it authenticated), so a socket never gets a seq
 *   twice or out of order.
 *
 * DECISIONS (where DESIGN §6 is silent)
 *   - The admin key is refused with INVALID_KEY: it belongs to no store, so
 *     it has no room to join. Any key that is not a store key by its shape
 *     is refused the same way without a database query.
 *   - The query's apiKey wins over the CONNECT auth object; in the auth
 *     object apiKey wins over token. An empty key counts as none
 *     (UNAUTHORIZED); a key member that is not a string is INVALID_KEY.
 *   - A write to a store that was deleted meanwhile is acked FORBIDDEN (the
 *     key grants nothing any more; its socket is being closed).
 *   - A client with more than GW_SOCK_PENDING_MAX events in flight, or any
 *     event that would put more than GW_PENDING_BYTES_MAX bytes of content in
 *     flight gateway-wide, is acked UNAVAILABLE (retry later) instead of
 *     being queued without bound.
 *   - A socket receives the changes committed after its authentication read
 *     the store's seq. A change committed in the few milliseconds between
 *     that read and the socket's accept may already have been broadcast to
 *     the room; the client's catch-up through GET /changes?since= covers it.
 *   - created/modified changes whose file changed again since are skipped
 *     (the later change carries the state); so are those whose file is no
 *     longer live (the delete or rename follows). A renamed change whose new
 *     path is no longer live is sent with an empty file's state (content "",
 *     the empty-string hash, size 0), never the change's own hash without its
 *     content. See gw_proto.h.
 *   - Every database job is idempotent, so a job that meets a connection
 *     broken since its last use is run once more on a fresh connection.
 *   - After a LISTEN outage every connected key is re-checked (svc_key_get):
 *     a revocation or store deletion notified while the gateway was not
 *     listening still closes its sockets.
 *   - permessage-deflate is offered (SYNC_WS_DEFLATE=off turns it off): the
 *     packet is serialised once; lws compresses the frames per connection.
 *   - GET /health on the gateway's port answers gw_health() (connections,
 *     rooms, database state, notification lag): 200 healthy, 503 degraded. */
#ifndef GW_GATEWAY_H
#define GW_GATEWAY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "err.h"
#include "gw_queue.h"
#include "gw_stores.h"

struct sio_server;
struct sio_nsp;
struct gw_workers;
struct gw_listener;
struct gw_sock;

#define GW_WORKERS            3          /* database worker threads */
#define GW_FEED_PAGE          16         /* changes per svc_feed_since call (each may carry
                                            10 MiB of content) */
#define GW_SOCK_PENDING_MAX   1024       /* client events in flight per socket */
#define GW_PENDING_BYTES_MAX  (256ull * 1024 * 1024)   /* content in flight, all sockets */
#define GW_REVOKED_RING       64         /* recent revocations remembered... */
#define GW_REVOKED_KEEP_MS    60000      /* ...for this long (auth in flight) */
#define GW_LISTEN_BACKOFF_MIN 100        /* ms, doubling */
#define GW_LISTEN_BACKOFF_MAX 2000
#define GW_LISTEN_IDLE_PING   10000      /* ms without traffic before a liveness query */
#define GW_HANDOVER_MAX       (128ull * 1024 * 1024)   /* packet bytes handed to the loop and
                                                          not yet broadcast: the listener waits */

enum gw_db_state { GW_DB_CONNECTING = 0, GW_DB_CONNECTED = 1, GW_DB_DISCONNECTED = 2 };

struct gw_revoked {
    char id[SYNC_UUID_LEN + 1];          /* key or store id */
    bool is_store;
    int64_t at_ms;
};

struct gw {
    const struct sync_config *cfg;       /* lent by main() */
    struct sio_server *srv;
    struct sio_nsp *nsp;
    struct gw_stores stores;             /* shared with the listener */
    struct gw_queue done;                /* any thread -> loop */
    struct gw_workers *workers;
    struct gw_listener *listener;
    atomic_int db_state;                 /* of the LISTEN connection */
    atomic_ullong handover_bytes;        /* broadcast packets queued for the loop */
    atomic_llong notify_lag_ms;          /* last batch: first notification -> handed over */
    int64_t started_ms;


    /* loop thread only */
    struct gw_sock *socks;               /* every socket that reached on_connect */
    size_t nsocks;
    size_t naccepted;
    size_t pending_bytes;                /* content of write jobs in flight */
    struct gw_revoked revoked[GW_REVOKED_RING];
    size_t revoked_next;
};

/* Creates the server (sio_server_create with cfg), the workers and the
 * listener. *out owned by the caller: gw_destroy(). */
int gw_create(const struct sync_config *cfg, struct gw **out, struct sync_err *err);
/* Runs the loop until gw_stop(). */
int gw_run(struct gw *g);
/* Any thread or a signal handler. */
void gw_stop(struct gw *g);
/* After gw_run() returned, on the loop thread: stops the listener and the
 * workers, closes every socket, frees everything. NULL ok. */
void gw_destroy(struct gw *g);
int gw_port(const struct gw *g);

/* The body of GET /health for the gateway port (for when the sio layer
 * offers an HTTP hook): {"status":"healthy"|"degraded", "uptime": s,
 * "connections": accepted sockets, "authenticating": sockets waiting for
 * their key check, "rooms": stores with sockets, "database":
 * "connected"|"connecting"|"disconnected" (the LISTEN connection),
 * "notifyLagMs": last batch from notification to broadcast}. Returns the
 * HTTP status (200, or 503 while the LISTEN connection is down) and *json
 * (malloc'ed, caller frees), or SYNC_ENOMEM. Loop thread. */
int gw_health(struct gw *g, char **json, size_t *len);

/* Pushes a finished job to the loop (any thread) and wakes it; frees the
 * job when the gateway is shutting down. */
void gw_done(struct gw *g, struct gw_job *j);

int64_t gw_now_ms(void);

/* workers (gw_workers.c) */
int gw_workers_create(struct gw *g, int n, struct gw_workers **out, struct sync_err *err);
/* Queues j on the worker chosen by route (same route, same worker, FIFO).
 * false when shutting down (j still the caller's). */
bool gw_workers_submit(struct gw_workers *w, uint64_t route, struct gw_job *j);
/* Closes the queues, joins the threads (a running job finishes first),
 * frees unstarted jobs. NULL ok. */
void gw_workers_destroy(struct gw_workers *w);
/* route of a store id: the same for every job of that store */
uint64_t gw_route_store(const char *store_id);

/* listener (gw_listen.c) */
int gw_listener_create(struct gw *g, struct gw_listener **out, struct sync_err *err);
/* Loop: a store entry was created; fetch it soon. Never blocks. */
void gw_listener_poke(struct gw_listener *l);
void gw_listener_destroy(struct gw_listener *l);       /* joins; NULL ok */

#endif
