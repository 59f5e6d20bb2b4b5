/* sio_client.h - many Engine.IO v4 / Socket.IO v5 client sockets over the
 * WebSocket transport, driven by one epoll loop (see sio_client.c).
 *
 * A socket opens with GET /socket.io/?EIO=4&transport=websocket&apiKey=KEY,
 * waits for the open packet, sends CONNECT to "/" (40) and is ready when the
 * CONNECT reply 40{"sid":…} arrives. Pings (2) are answered (3). Events and
 * acks are handed to the callbacks as views into the received message. */
#ifndef LOAD_SIO_CLIENT_H
#define LOAD_SIO_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "load.h"

enum sc_state { SC_IDLE, SC_TCP, SC_UPGRADE, SC_OPEN_WAIT, SC_CONNECT_WAIT, SC_READY, SC_DEAD };

struct sc_conn {
    int fd;
    int idx;
    int state;
    int want_out;               /* EPOLLOUT armed */
    char key[32];               /* Sec-WebSocket-Key */
    struct bytes out, in, msg;
    int msg_op;                 /* opcode of the message being reassembled, -1 none */
    uint64_t next_ack;
    int64_t t_start, t_ready;
    long long events, acks;
    void *ud;                   /* the subcommand's per-socket data */
};

struct sc_ctx;

struct sc_callbacks {
    /* name and args are views; args is the JSON text after the name (the
     * remaining array elements, starting after the comma, no closing ']') */
    void (*on_event)(struct sc_ctx *x, struct sc_conn *c, const char *name, size_t nlen,
                     const char *args, size_t alen, size_t msg_len);
    /* args: the ACK's JSON array, whole */
    void (*on_ack)(struct sc_ctx *x, struct sc_conn *c, uint64_t id, const char *args, size_t alen);
};

struct sc_ctx {
    struct target tgt;
    const char *path;           /* "/socket.io/" */
    char *query;                /* "?EIO=4&transport=websocket&apiKey=…" */
    int ep;
    struct sc_conn *c;
    int n;
    int next_open;              /* sockets [0, next_open) have been started */
    int opening;                /* in TCP/upgrade/open/connect */
    int max_opening;
    int ready, dead;
    struct sc_callbacks cb;
    void *ud;
    char last_error[160];
    long long protocol_errors;
    long long bytes_in;
};

/* n sockets, all with the same key. 0 or -1 (message on stderr). */
int sc_init(struct sc_ctx *x, const char *url, const char *path, const char *key, int n);
void sc_free(struct sc_ctx *x);
/* Starts the sockets that are not started yet, max_opening at a time as the
 * loop runs. */
void sc_open_all(struct sc_ctx *x);
/* One loop turn: waits up to timeout_ms for I/O and handles it. */
int sc_poll(struct sc_ctx *x, int timeout_ms);
/* Runs the loop until every socket is ready or dead, or the deadline. */
void sc_wait_ready(struct sc_ctx *x, int64_t deadline_us);
/* Sends 42<id>["event",<head><body>] as one text message; returns the ack
 * id used (with_ack) or 0. head/body are raw JSON fragments that together
 * form the remaining elements (e.g. "{\"path\":…,\"content\":\"", body, "\"}"
 * split as the caller likes: tail is appended after body). */
uint64_t sc_emit(struct sc_ctx *x, struct sc_conn *c, const char *event, int with_ack,
                 const char *head, size_t hlen, const char *body, size_t blen, const char *tail);

#endif
