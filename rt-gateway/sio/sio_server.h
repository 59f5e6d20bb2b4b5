/* sio_server.h - Engine.IO v4 / Socket.IO v5 server on libwebsockets 4.1.
 *
 * The layer knows nothing of files: it accepts socket.io-client 4.x over
 * WebSocket and over HTTP long-polling (with the upgrade to WebSocket),
 * hands the application namespace CONNECTs, events and acks, and sends what
 * the application gives it. Wire reference: shared/protocol/README.md.
 *
 * ---------------------------------------------------------------------------
 * THREADING
 *   One loop thread runs sio_server_run(). Every call below, and every
 *   callback, happens on that thread, EXCEPT:
 *     sio_server_wake(), sio_server_stop()    any thread (stop: also a signal
 *                                             handler); they only set a flag
 *                                             and wake the loop
 *     sio_packet_new*()                       any thread: building is pure;
 *                                             hand the packet to the loop
 *                                             thread before sio_send() etc.
 *     sio_packet_unref() of a packet no socket ever saw (the refcount is not
 *                                             atomic: once a packet has been
 *                                             sent or broadcast, ref/unref it
 *                                             on the loop thread only)
 *   Nothing in a callback may block: run database work on worker threads,
 *   then sio_server_wake() and finish it in the on_wake callback (wake-ups
 *   coalesce: drain your whole queue each time), or adopt a non-blocking fd
 *   with sio_fd_adopt(), or poll with a sio_timer.
 *
 * RETURN CODES
 *   0 (SYNC_OK) or a negative SYNC_E* from common/err.h. Calls that can fail
 *   for a reason worth printing take a struct sync_err *err (may be NULL).
 *
 * LIFETIMES
 *   struct sio_socket *  one client in one namespace. Valid from on_connect
 *     until on_disconnect returns (on_disconnect is called exactly once for
 *     every socket that reached on_connect, accepted or not, also when the
 *     app itself calls sio_disconnect() and when the server is destroyed;
 *     only a socket ended by sio_refuse() gets none: s is invalid when that
 *     call returns).
 *     To finish asynchronous work on a socket that may have gone meanwhile,
 *     keep sio_socket_serial(s) and call sio_socket_lookup() on the loop
 *     thread: NULL means it is gone. Serials are never reused.
 *   struct sio_packet *  refcounted, immutable once built; serialised once,
 *     shared by every recipient (each queue holds a ref plus an offset).
 *   Strings returned by sio_socket_*() live as long as the socket.
 *   struct sio_timer *: owned by the app; free it before the server.
 *   struct sio_fdw *: until its SIO_FD_CLOSED callback returns.
 *   JSON objects handed to callbacks are lent for the duration of the call;
 *     json_object_get() them to keep them.
 *
 * RE-ENTRANCY
 *   Inside any callback you may send, join, leave, accept, refuse and
 *   disconnect (also the socket the callback is about); memory is released
 *   only after the callback returns. Inside a sio_broadcast() filter or a
 *   sio_room_foreach() visitor you may send to and disconnect the visited
 *   socket; room membership changes made there take effect after the walk.
 * ---------------------------------------------------------------------------
 */
#ifndef SIO_SERVER_H
#define SIO_SERVER_H

#include <stddef.h>
#include <stdint.h>

struct json_object;
struct lws_context;
struct sync_err;

struct sio_server;    /* one listening server and its event loop */
struct sio_nsp;       /* a registered namespace ("/" or "/custom") */
struct sio_socket;    /* one client in one namespace */
struct sio_packet;    /* a serialised Socket.IO packet, refcounted */
struct sio_timer;     /* a timer on the loop */
struct sio_fdw;       /* an adopted file descriptor on the loop */

/* ----- configuration ----------------------------------------------------- */

struct sio_config {
    const char *host;            /* listen address; NULL = all interfaces */
    int port;                    /* TCP port; 0 = any free port (see sio_server_port) */
    const char *path;            /* NULL = "/socket.io/" (the client always adds the '/') */
    size_t max_payload;          /* bytes of one WS message / one POST body; 0 = 32 MiB.
                                    Over it: close 1009 on WS, 413 on polling */
    size_t preauth_max;          /* same limit until the app accepted a socket of the
                                    connection; 0 = 64 KiB */
    size_t send_queue_max;       /* unsent bytes per connection; over it the connection is
                                    closed (client reconnects); 0 = 64 MiB */
    unsigned ping_interval_ms;   /* 0 = 25000 */
    unsigned ping_timeout_ms;    /* 0 = 20000 */
    unsigned connect_timeout_ms; /* connection closed when no socket was accepted by then;
                                    0 = 45000 */
    unsigned upgrade_timeout_ms; /* probe WebSocket closed if no "5" by then; 0 = 10000 */
    const char *tls_cert;        /* PEM file paths; both NULL = plain TCP */
    const char *tls_key;
    const char *cors_origins;    /* polling CORS: NULL/"" = no CORS headers; "*" = any
                                    origin (echoed, with credentials); else a comma-separated
                                    list of exact origins ("https://a.example,app://obsidian.md") */
    int no_permessage_deflate;   /* 0 = offer permessage-deflate to WS clients (default).
                                    Costs ~44 KiB per compressed socket instead of ~7 KiB
                                    and deflate CPU per recipient of a broadcast; lws 4.1.6
                                    cannot send an empty binary message compressed (such a
                                    connection is closed). 1 = decline, frames leave
                                    byte-identical (shared/protocol/README.md §2.6) */

    /* Optional: called on the loop thread for a GET of any path other than
     * `path` (a health check, say; path_len bytes, no query string). Write
     * at most SIO_HTTP_BODY_MAX bytes of JSON into body, set *body_len and
     * return the HTTP status; return 0 to let the layer answer 404. */
    unsigned (*on_http)(struct sio_server *srv, const char *path, size_t path_len,
                        char *body, size_t *body_len, void *arg);

    /* Called on the loop thread after sio_server_wake() (coalesced). */
    void (*on_wake)(struct sio_server *srv, void *arg);
    void *arg;                   /* passed to on_wake; also sio_server_arg() */
};

#define SIO_HTTP_BODY_MAX 512   /* bytes of an on_http answer */

/* Fills every field with its default (port 3000, host NULL, limits as above). */
void sio_config_defaults(struct sio_config *cfg);

/* ----- server lifetime ---------------------------------------------------- */

/* Creates the lws context, binds and listens. *out owned by the caller:
 * sio_server_destroy(). SYNC_EINVAL (bad config) or SYNC_EUNAVAIL (bind/TLS). */
int sio_server_create(const struct sio_config *cfg, struct sio_server **out,
                      struct sync_err *err);

/* Runs the loop on the calling thread until sio_server_stop(). SYNC_OK. */
int sio_server_run(struct sio_server *srv);

/* One loop iteration (tests, embedding): timeout_ms < 0 does not wait,
 * otherwise it waits for the next event or timer. Returns 1 when stop was
 * requested, 0 otherwise, <0 on a loop error. */
int sio_server_service(struct sio_server *srv, int timeout_ms);

/* Any thread or a signal handler: make sio_server_run() return soon. */
void sio_server_stop(struct sio_server *srv);

/* Any thread: make the loop call cfg.on_wake soon. Wake-ups coalesce. */
void sio_server_wake(struct sio_server *srv);

/* Loop thread, after run() returned: calls on_disconnect("server shutting
 * down") for every socket, closes every connection, timer and fd, frees all.
 * NULL ok. */
void sio_server_destroy(struct sio_server *srv);

int sio_server_port(const struct sio_server *srv);          /* the bound port */
void *sio_server_arg(const struct sio_server *srv);         /* cfg.arg */
struct lws_context *sio_server_lws(struct sio_server *srv);  /* escape hatch */

/* ----- namespaces ---------------------------------------------------------- */

/* What a client sent in its CONNECT. */
struct sio_connect_info {
    struct json_object *auth;    /* lent: the auth object, NULL when none was sent */
    const char *auth_json;       /* its raw JSON text (not NUL-terminated), NULL if none */
    size_t auth_len;
};

/* An EVENT or BINARY_EVENT from a client. */
struct sio_bin {
    const void *data;            /* lent for the callback; may be NULL when len is 0 */
    size_t len;
};
struct sio_event {
    const char *name;            /* event name, NUL-terminated (a numeric name as text) */
    size_t name_len;
    struct json_object *args;    /* lent: JSON array of the arguments after the name
                                    (may be empty); placeholders left in place */
    int has_ack;                 /* the client waits for sio_ack(s, ack_id, ...) */
    uint64_t ack_id;
    unsigned n_bin;              /* > 0: it carried binary attachments */
    const struct sio_bin *bin;   /* n_bin attachments in placeholder ("num") order */
};

struct sio_nsp_ops {
    /* A client asked to join. Answer exactly once, now or later, with
     * sio_accept() or sio_refuse(). Until then the socket gets no events,
     * and the client sends none; connect_timeout_ms bounds the wait. The
     * handshake query is sio_socket_query(). NULL: accepted at once. */
    void (*on_connect)(struct sio_socket *s, const struct sio_connect_info *ci, void *arg);
    /* An event on an accepted socket. Answer ev->has_ack with sio_ack(). */
    void (*on_event)(struct sio_socket *s, const struct sio_event *ev, void *arg);
    /* The socket is going away; last call with this handle. reason is one of
     * "client namespace disconnect", "server namespace disconnect",
     * "transport close", "transport error", "ping timeout", "parse error",
     * "send queue full", "server shutting down". sio_refuse() ends a
     * socket without this callback. */
    void (*on_disconnect)(struct sio_socket *s, const char *reason, void *arg);
};

/* Registers a namespace (name starts with '/', "/" is the main one). A
 * CONNECT to a namespace not registered is answered
 * 44<nsp>,{"message":"Invalid namespace"}. ops is copied. NULL on a bad name,
 * a duplicate or no memory. Owned by the server. */
struct sio_nsp *sio_nsp_add(struct sio_server *srv, const char *name,
                            const struct sio_nsp_ops *ops, void *arg);
struct sio_nsp *sio_nsp_find(struct sio_server *srv, const char *name);
const char *sio_nsp_name(const struct sio_nsp *nsp);

/* ----- one socket ----------------------------------------------------------- */

/* Accept a pending socket: sends 40{"sid":"<socket id>"}; from now on the
 * connection's message limit is max_payload. SYNC_EINVAL if not pending. */
int sio_accept(struct sio_socket *s);

/* Refuse a pending socket: sends 44{"message":<message>[,"data":<data_json>]}
 * (client: connect_error, no retry) and ends the socket WITHOUT calling
 * on_disconnect; s is invalid when this returns. data_json: NULL or JSON
 * text. SYNC_EINVAL if not pending. */
int sio_refuse(struct sio_socket *s, const char *message, const char *data_json);

enum sio_close {
    SIO_CLOSE_NAMESPACE = 0,     /* send 41: the client does NOT reconnect */
    SIO_CLOSE_TRANSPORT = 1,     /* close the whole connection without 41 (all its
                                    sockets): the client reconnects */
};
/* Calls on_disconnect (reason "server namespace disconnect") before it
 * returns, for every socket it ends. */
void sio_disconnect(struct sio_socket *s, enum sio_close how);

/* Queue a packet to one socket (takes its own ref; the caller keeps its).
 * SYNC_EINVAL if the socket is not accepted; SYNC_ETOOBIG when the queue
 * bound was passed: the connection is being closed (on_disconnect follows
 * with "send queue full"). */
int sio_send(struct sio_socket *s, struct sio_packet *p);

/* Convenience: build and send EVENT [event, ...args] (args: a JSON array or
 * NULL, borrowed). */
int sio_emit(struct sio_socket *s, const char *event, struct json_object *args);

/* As sio_emit, asking the client for an ack: on_ack(s, args, arg) runs once
 * with the client's ack arguments (array, lent), or with args NULL when the
 * socket ends first (then free what arg holds). */
typedef void (*sio_ack_cb)(struct sio_socket *s, struct json_object *args, void *arg);
int sio_emit_with_ack(struct sio_socket *s, const char *event, struct json_object *args,
                      sio_ack_cb on_ack, void *arg);

/* Answer a client's ack id: 3<id>[...args] (args: a JSON array or NULL). */
int sio_ack(struct sio_socket *s, uint64_t ack_id, struct json_object *args);
/* The same with raw bytes: args_json must be a JSON array text. n_bin > 0
 * sends BINARY_ACK; args_json then holds the placeholders. */
int sio_ack_raw(struct sio_socket *s, uint64_t ack_id, const char *args_json, size_t len,
                const struct sio_bin *bin, unsigned n_bin);

const char *sio_socket_id(const struct sio_socket *s);      /* the socket id sent in 40 */
uint64_t sio_socket_serial(const struct sio_socket *s);     /* unique, never reused, > 0 */
struct sio_socket *sio_socket_lookup(struct sio_server *srv, uint64_t serial); /* NULL: gone */
void *sio_socket_user(const struct sio_socket *s);
void sio_socket_set_user(struct sio_socket *s, void *user);
int sio_socket_accepted(const struct sio_socket *s);
struct sio_nsp *sio_socket_nsp(const struct sio_socket *s);
struct sio_server *sio_socket_server(const struct sio_socket *s);
/* A query parameter of the Engine.IO handshake request, URL-decoded and
 * NUL-terminated ("apiKey"); NULL when absent. */
const char *sio_socket_query(const struct sio_socket *s, const char *name);
const char *sio_socket_peer(const struct sio_socket *s);    /* peer IP text */
const char *sio_socket_transport(const struct sio_socket *s); /* "polling" / "websocket" */
size_t sio_socket_queued(const struct sio_socket *s);       /* unsent bytes of its connection */

/* ----- rooms (per namespace, by name) -------------------------------------- */

/* Only accepted sockets; joining twice is a no-op. A socket leaves all its
 * rooms when it ends. SYNC_EINVAL / SYNC_ENOMEM. */
int sio_join(struct sio_socket *s, const char *room);
int sio_leave(struct sio_socket *s, const char *room);
int sio_in_room(const struct sio_socket *s, const char *room);
size_t sio_room_size(struct sio_nsp *nsp, const char *room);

/* Sends p to every socket of room except `except` (NULL: none) for which
 * filter(s, arg) returns non-zero (filter NULL: all). Returns the number of
 * sockets it was queued to (sockets over their queue bound are being closed
 * and not counted). */
int sio_broadcast(struct sio_nsp *nsp, const char *room, struct sio_packet *p,
                  const struct sio_socket *except,
                  int (*filter)(struct sio_socket *s, void *arg), void *arg);

/* Calls fn(s, arg) for every member; stops early when fn returns non-zero
 * and returns that value; 0 otherwise. */
int sio_room_foreach(struct sio_nsp *nsp, const char *room,
                     int (*fn)(struct sio_socket *s, void *arg), void *arg);

/* ----- packets -------------------------------------------------------------- */

enum sio_type {
    SIO_CONNECT = 0, SIO_DISCONNECT = 1, SIO_EVENT = 2, SIO_ACK = 3,
    SIO_CONNECT_ERROR = 4, SIO_BINARY_EVENT = 5, SIO_BINARY_ACK = 6,
};

/* The general constructor. type: SIO_EVENT or SIO_ACK (turned into the
 * BINARY_ form when n_bin > 0; json must then hold n_bin placeholders),
 * or another type for the layer's own use. nsp NULL = "/". json: the
 * payload text (an array for EVENT/ACK), copied; may be NULL/0. ack_id < 0:
 * none. *out has one ref owned by the caller. SYNC_EINVAL/ETOOBIG/ENOMEM. */
int sio_packet_new(struct sio_packet **out, enum sio_type type, const char *nsp,
                   int64_t ack_id, const char *json, size_t json_len,
                   const struct sio_bin *bin, unsigned n_bin);

/* EVENT [event, ...args] in namespace nsp (NULL = "/"). args: a JSON array
 * or NULL, borrowed (serialised without escaping '/'). */
int sio_packet_new_event(struct sio_packet **out, const char *nsp, const char *event,
                         struct json_object *args);

struct sio_packet *sio_packet_ref(struct sio_packet *p);    /* +1, returns p */
void sio_packet_unref(struct sio_packet *p);                /* -1, frees at 0; NULL ok */
size_t sio_packet_wire_size(const struct sio_packet *p);    /* bytes it adds to a queue */

/* ----- the app's own timers and file descriptors ----------------------------- */

typedef void (*sio_timer_cb)(struct sio_timer *t, void *arg);
/* Owned by the caller: sio_timer_free(). NULL on no memory. */
struct sio_timer *sio_timer_new(struct sio_server *srv, sio_timer_cb cb, void *arg);
/* First run after first_ms, then every period_ms (0 = once). Restarting
 * replaces the previous schedule. */
void sio_timer_start(struct sio_timer *t, unsigned first_ms, unsigned period_ms);
void sio_timer_stop(struct sio_timer *t);
void sio_timer_free(struct sio_timer *t);                   /* stops it; NULL ok;
                                                               before sio_server_destroy */

enum { SIO_FD_READ = 1, SIO_FD_WRITE = 2, SIO_FD_CLOSED = 4 };
typedef void (*sio_fd_cb)(struct sio_fdw *w, int events, void *arg);
/* Watches fd (a socket or pipe) on the loop: cb(w, SIO_FD_READ) while it is
 * readable (level-triggered: consume it), cb(w, SIO_FD_WRITE) once after
 * sio_fd_want_write(), and finally cb(w, SIO_FD_CLOSED) when it was closed
 * (after sio_fd_close(), on hang-up, or at server destroy); w is freed after
 * that call. The server takes fd and closes it: adopt a dup() of a libpq
 * socket. On failure returns NULL and fd is closed. */
struct sio_fdw *sio_fd_adopt(struct sio_server *srv, int fd, sio_fd_cb cb, void *arg);
void sio_fd_want_write(struct sio_fdw *w);
void sio_fd_close(struct sio_fdw *w);                       /* CLOSED follows */

#endif
