/* internal.h - the structures shared by the files of the server layer.
 * Everything here is touched on the loop thread only, except
 * sio_server.stop and sio_server.wake. */
#ifndef SIO_INTERNAL_H
#define SIO_INTERNAL_H

#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>

#include <libwebsockets.h>

#include "buf.h"
#include "map.h"
#include "packet.h"
#include "sio.h"
#include "sio_server.h"

#define SIO_ID_LEN          20           /* base64url of 15 random bytes */
/* Bytes per lws_write. Small enough that what lws copies on a partial write
 * (PITFALLS 7) stays bounded per connection, large enough that a 1 MiB
 * broadcast is 64 writes, not 256. */
#define SIO_SEND_CHUNK      16384
/* A reassembly buffer larger than this is freed after its message rather
 * than kept for the next one: an idle socket holds at most this much. */
#define SIO_RX_KEEP_MAX     (64 * 1024)
#define SIO_WRITES_PER_CB   32           /* fragments per WRITEABLE callback */
#define SIO_QUERY_ARGS_MAX  64
#define SIO_QUERY_ARG_MAX   2048         /* one "name=value", decoded */
#define SIO_HTTP_HDR_MAX    1024         /* our response headers */
#define SIO_SMALL_BODY_MAX  SIO_HTTP_BODY_MAX   /* errors and app routes */
#define SIO_PEER_MAX        64
#define SIO_MS              ((lws_usec_t)1000)

/* ----- send queue: packet refs, the head partly sent ----- */
struct outq_item {
    struct outq_item *next;
    struct sio_packet *p;
};
struct outq {
    struct outq_item *head;
    struct outq_item **tail;
    size_t bytes;                 /* sum of wire sizes of the queued packets */
    unsigned part;                /* head: part being sent */
    size_t off;                   /* head: bytes of that part sent */
};
void eio_outq_init(struct outq *q);
int eio_outq_push(struct outq *q, struct sio_packet *p);          /* takes its own ref */
struct sio_packet *eio_outq_pop(struct outq *q);                  /* hands over the ref */
void eio_outq_clear(struct outq *q);

/* ----- query of the handshake request ----- */
struct sio_kv {
    char *name;
    char *value;
};
struct sio_query {
    struct sio_kv *kv;
    unsigned n;
};
int eio_query_read(struct lws *wsi, struct sio_query *q);         /* SYNC_OK / ENOMEM / EINVAL */
const char *eio_query_get(const struct sio_query *q, const char *name);
void eio_query_free(struct sio_query *q);
/* One argument of the current request into buf (NUL-terminated); NULL if
 * absent; a value that does not fit comes back as "\x7f" (matches nothing). */
const char *eio_query_arg(struct lws *wsi, const char *name, char *buf, size_t cap);

/* ----- one Engine.IO session ----- */
enum probe_state { PROBE_NONE = 0, PROBE_OPEN, PROBE_ANSWERED };

struct eio_conn {
    struct sio_server *srv;
    char sid[SIO_ID_LEN + 1];
    int websocket;                /* current transport: 0 polling, 1 websocket */
    int closed;
    int authed;                   /* a socket was accepted: limit is max_payload */
    int awaiting_pong;
    lws_usec_t ping_due;          /* when the current/next ping is due (monotonic) */
    int doomed;                   /* closing soon from sul_doom */
    int linger;                   /* closed by the client's "1" with no GET pending: the
                                     sid stays known briefly so the GET racing that POST
                                     gets its noop instead of a 400 */
    const char *doom_reason;
    struct lws *ws;               /* websocket transport */
    struct lws *probe;            /* websocket being probed for an upgrade */
    int probe_state;
    struct lws *get;              /* pending long-poll GET */
    struct lws *post;             /* POST being received */
    struct outq q;
    lws_sorted_usec_list_t sul_ping;
    lws_sorted_usec_list_t sul_connect;
    lws_sorted_usec_list_t sul_upgrade;
    lws_sorted_usec_list_t sul_doom;
    lws_sorted_usec_list_t sul_probe_get; /* noop to a GET that came during a probe */
    struct sio_query query;
    char peer[SIO_PEER_MAX];
    struct sio_socket *sockets;   /* one per joined namespace */
    struct sio_decoder rx;        /* binary packets waiting for attachments */
    struct eio_conn *dead_next;
};

/* ----- Socket.IO ----- */
struct pending_ack {
    struct pending_ack *next;
    uint64_t id;
    sio_ack_cb cb;
    void *arg;
};

struct member {                   /* a socket in a room */
    struct sio_room *room;
    struct sio_socket *s;         /* NULL once removed during a walk */
    struct member *prev, *next;   /* in the room */
    struct member *s_next;        /* in the socket's list */
};

struct sio_room {
    struct sio_nsp *nsp;
    char *name;
    size_t name_len;
    struct member *head;
    size_t count;                 /* live members */
    unsigned walking;             /* broadcasts/foreach in progress */
    int has_dead;
};

struct sio_socket {
    struct sio_server *srv;
    struct eio_conn *conn;        /* NULL once gone */
    struct sio_nsp *nsp;
    char id[SIO_ID_LEN + 1];
    uint64_t serial;
    int accepted;
    int gone;
    void *user;
    struct member *rooms;
    struct pending_ack *acks;
    uint64_t next_ack;
    struct sio_socket *conn_next;
    struct sio_socket *dead_next;
};

struct sio_nsp {
    struct sio_server *srv;
    char *name;
    struct sio_nsp_ops ops;
    void *arg;
    struct map rooms;             /* name -> struct sio_room */
    struct sio_nsp *next;
};

struct sio_timer {
    lws_sorted_usec_list_t sul;
    struct sio_server *srv;
    sio_timer_cb cb;
    void *arg;
    unsigned period_ms;
};

struct sio_fdw {
    struct sio_server *srv;
    struct lws *wsi;
    sio_fd_cb cb;
    void *arg;
    int closing;
    struct sio_fdw *prev, *next;
};

struct sio_server {
    struct sio_config cfg;        /* string fields point into the owned copies below */
    char *host, *path, *cert, *key;
    char **origins;               /* CORS allow-list */
    unsigned n_origins;
    int cors_any;
    struct lws_context *ctx;
    struct lws_vhost *vh;
    struct map conns;             /* sid -> struct eio_conn */
    struct map sockets;           /* serial -> struct sio_socket */
    struct sio_nsp *nsps;
    uint64_t next_serial;
    volatile sig_atomic_t stop;
    atomic_int wake;
    unsigned depth;               /* nesting of entry points; frees happen at 0 */
    struct eio_conn *dead_conns;
    struct sio_socket *dead_sockets;
    struct sio_fdw *fdws;
    struct sio_packet *pkt_ping;
    struct sio_packet *pkt_noop;
    struct sio_packet *pkt_close;
    unsigned char *scratch;       /* LWS_PRE + SIO_SEND_CHUNK, loop thread only */
    int destroying;
};

/* Entry points bracket themselves so that nothing is freed under a caller. */
void sio_srv_enter(struct sio_server *srv);
void sio_srv_leave(struct sio_server *srv);

void sio_random_id(char out[SIO_ID_LEN + 1]);

/* ----- per-wsi state (protocols[0]) ----- */
enum pss_kind { PSS_NONE = 0, PSS_HTTP, PSS_WS };

struct http_resp {
    int active;
    int headers_sent;
    int close_after;              /* close the TCP connection after it */
    unsigned status;
    const char *ctype;            /* static string or NULL */
    int no_store;
    char small[SIO_SMALL_BODY_MAX];
    size_t small_len;
    struct outq items;            /* packets of a GET answer */
    struct outq_item *cur;
    unsigned part;
    size_t off;
    int sep;                      /* a 0x1e is due before the next part */
    size_t total, sent;
};

struct pss {
    int kind;
    struct eio_conn *conn;
    /* websocket */
    int pmd;                      /* permessage-deflate negotiated */
    int probe;
    int send_pong_probe;
    int close_pending;
    int close_code;               /* 0: bare close frame */
    struct buf rx;
    int rx_active;                /* a message is being reassembled */
    int rx_binary;
    /* http */
    int method;                   /* LWSHUMETH_* */
    int is_poll_get, is_poll_post;
    struct buf body;
    int body_too_big;
    char origin[256];             /* the request's Origin, for CORS */
    int req_close;                /* the request said "Connection: close" */
    char req_headers[256];        /* Access-Control-Request-Headers of a preflight */
    struct http_resp resp;
};

/* conn.c: Engine.IO session */
int eio_conn_new(struct sio_server *srv, int websocket, struct lws *wsi, struct eio_conn **out);
struct eio_conn *eio_conn_find(struct sio_server *srv, const char *sid);
/* Queue one packet; SYNC_ETOOBIG when over the bound (the conn is doomed). */
int eio_conn_send(struct eio_conn *c, struct sio_packet *p);
void eio_conn_kick(struct eio_conn *c);         /* ask the transport to write */
void eio_conn_close(struct eio_conn *c, const char *reason, int client_closed);
void eio_conn_doom(struct eio_conn *c, const char *reason);   /* close from a timer */
size_t eio_conn_limit(const struct eio_conn *c);               /* message size limit now */
/* Handle one Engine.IO text packet / one binary message from the current
 * transport. SYNC_OK or an error after which the conn is closed. */
int eio_conn_on_text(struct eio_conn *c, const char *data, size_t len);
int eio_conn_on_binary(struct eio_conn *c, const unsigned char *data, size_t len);
void eio_conn_on_pong(struct eio_conn *c);
void eio_conn_probe_start(struct eio_conn *c, struct lws *wsi);  /* arms upgradeTimeout */
/* A GET came while the probe waits for "5": like the reference, answer it
 * with a noop after a short re-check delay (the "5" may already be in). */
void eio_conn_probe_hold_get(struct eio_conn *c);
void eio_conn_free(struct eio_conn *c);
void eio_conn_linger_end(struct eio_conn *c);   /* forget the sid now */
/* Closes the conn ("ping timeout") if its pong is overdue or due within a
 * few ms: a request racing the timer in the same loop turn finds the
 * session closed, as it would a moment later. 1 if it closed it. */
int eio_conn_expire(struct eio_conn *c);

/* sockio.c: Socket.IO on a conn */
int sio_sock_on_text(struct eio_conn *c, const char *data, size_t len);
int sio_sock_on_binary(struct eio_conn *c, const unsigned char *data, size_t len);
void sio_sock_conn_closed(struct eio_conn *c, const char *reason);  /* ends every socket */
void sio_sock_free(struct sio_socket *s);

/* room.c */
void sio_room_leave_all(struct sio_socket *s);
void sio_nsp_rooms_free(struct sio_nsp *nsp);

/* ws.c / poll.c: transports */
int eio_ws_callback(struct lws *wsi, enum lws_callback_reasons reason, struct pss *pss,
                void *in, size_t len);
int eio_poll_callback(struct lws *wsi, enum lws_callback_reasons reason, struct pss *pss,
                  void *in, size_t len);
void eio_poll_answer_get(struct eio_conn *c);   /* write queued packets to the pending GET */
void eio_poll_answer_small(struct lws *wsi, unsigned status, const char *ctype,
                       const char *body, size_t len, int close_after);
void eio_poll_answer_error(struct lws *wsi, unsigned status, int code, const char *message);
void eio_ws_request_close(struct lws *wsi, int code);     /* 0: 1000 */
int eio_http_check_path(struct sio_server *srv, struct lws *wsi);

#endif
