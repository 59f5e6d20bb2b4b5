/* sio_client.c - the Engine.IO/Socket.IO client engine of sio-load: one
 * epoll loop over many WebSocket sockets (see sio_client.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sio_client.h"
#include "ws.h"

#define SC_IN_MAX     (96u << 20)       /* one message may be 32 MiB + JSON escaping */
#define SC_OUT_MAX    (96u << 20)
#define SC_MSG_MAX    (96u << 20)
#define SC_READ_CHUNK (256u << 10)

static void set_error(struct sc_ctx *x, const char *why, int idx)
{
    snprintf(x->last_error, sizeof x->last_error, "%s (socket %d)", why, idx);
}

static void arm(struct sc_ctx *x, struct sc_conn *c, int out)
{
    struct epoll_event ev;

    if (c->fd < 0 || c->want_out == out)
        return;
    c->want_out = out;
    ev.events = EPOLLIN | (out ? EPOLLOUT : 0u);
    ev.data.ptr = c;
    epoll_ctl(x->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static void kill_conn(struct sc_ctx *x, struct sc_conn *c, const char *why)
{
    if (c->state == SC_DEAD)
        return;
    if (c->state != SC_READY && c->state != SC_IDLE)
        x->opening--;
    if (c->state == SC_READY)
        x->ready--;
    if (why)
        set_error(x, why, c->idx);
    c->state = SC_DEAD;
    x->dead++;
    if (c->fd >= 0) {
        epoll_ctl(x->ep, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
        c->fd = -1;
    }
    bytes_free(&c->in);
    bytes_free(&c->msg);
    bytes_free(&c->out);
}

static void flush(struct sc_ctx *x, struct sc_conn *c)
{
    while (c->out.off < c->out.len) {
        ssize_t n = send(c->fd, c->out.data + c->out.off, c->out.len - c->out.off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                arm(x, c, 1);
                return;
            }
            kill_conn(x, c, "send failed");
            return;
        }
        c->out.off += (size_t)n;
    }
    c->out.off = c->out.len = 0;
    arm(x, c, 0);
}

static int send_text(struct sc_ctx *x, struct sc_conn *c, const char *s, size_t n)
{
    if (ws_frame(&c->out, WS_TEXT, s, n) != 0) {
        kill_conn(x, c, "send queue full");
        return -1;
    }
    if (!c->want_out)
        flush(x, c);
    return 0;
}

static int open_one(struct sc_ctx *x, struct sc_conn *c)
{
    struct epoll_event ev;

    c->fd = target_connect(&x->tgt);
    if (c->fd < 0) {
        c->state = SC_TCP;
        x->opening++;
        kill_conn(x, c, "connect failed");
        return -1;
    }
    c->state = SC_TCP;
    c->want_out = 1;
    c->msg_op = -1;
    c->t_start = now_us();
    x->opening++;
    ev.events = EPOLLIN | EPOLLOUT;
    ev.data.ptr = c;
    if (epoll_ctl(x->ep, EPOLL_CTL_ADD, c->fd, &ev) != 0) {
        kill_conn(x, c, "epoll_ctl failed");
        return -1;
    }
    return 0;
}

void sc_open_all(struct sc_ctx *x)
{
    while (x->next_open < x->n && x->opening < x->max_opening)
        open_one(x, &x->c[x->next_open++]);
}

/* ---- Engine.IO / Socket.IO messages -------------------------------------- */

static int parse_ack_id(const char **p, const char *end, uint64_t *id)
{
    int digits = 0;

    *id = 0;
    while (*p < end && **p >= '0' && **p <= '9' && digits < 19) {
        *id = *id * 10 + (uint64_t)(**p - '0');
        (*p)++;
        digits++;
    }
    return digits;
}

static void on_message(struct sc_ctx *x, struct sc_conn *c, const char *m, size_t n)
{
    const char *p, *end = m + n;
    uint64_t id;

    if (n == 0) {
        x->protocol_errors++;
        return;
    }
    switch (m[0]) {
    case '0':                           /* open */
        if (c->state != SC_OPEN_WAIT) {
            x->protocol_errors++;
            return;
        }
        c->state = SC_CONNECT_WAIT;
        send_text(x, c, "40", 2);
        return;
    case '2':                           /* ping */
        send_text(x, c, "3", 1);
        return;
    case '1':
    case '6':
        return;
    case '4':
        break;
    default:
        x->protocol_errors++;
        return;
    }
    if (n < 2) {
        x->protocol_errors++;
        return;
    }
    p = m + 2;
    switch (m[1]) {
    case '0':                           /* CONNECT reply */
        if (c->state == SC_CONNECT_WAIT && n > 2 && memmem(m, n, "\"sid\"", 5)) {
            c->state = SC_READY;
            c->t_ready = now_us();
            x->opening--;
            x->ready++;
        } else {
            x->protocol_errors++;
        }
        return;
    case '4': {                         /* CONNECT_ERROR */
        char msg[100];
        snprintf(msg, sizeof msg, "connect error %.*s", (int)(n > 80 ? 80 : n), m);
        kill_conn(x, c, msg);
        return;
    }
    case '1':
        kill_conn(x, c, "disconnected by the server");
        return;
    case '2': {                         /* EVENT [id] ["name", args...] */
        const char *q;
        parse_ack_id(&p, end, &id);
        if (p + 2 > end || p[0] != '[' || p[1] != '"') {
            x->protocol_errors++;
            return;
        }
        q = memchr(p + 2, '"', (size_t)(end - p - 2));
        if (!q) {
            x->protocol_errors++;
            return;
        }
        c->events++;
        if (x->cb.on_event) {
            const char *args = q + 1;
            const char *aend = end;
            if (args < aend && *args == ',')
                args++;
            while (aend > args && aend[-1] != ']')
                aend--;
            if (aend > args)
                aend--;
            x->cb.on_event(x, c, p + 2, (size_t)(q - p - 2), args, (size_t)(aend - args), n);
        }
        return;
    }
    case '3':                           /* ACK id [...] */
        if (!parse_ack_id(&p, end, &id)) {
            x->protocol_errors++;
            return;
        }
        c->acks++;
        if (x->cb.on_ack)
            x->cb.on_ack(x, c, id, p, (size_t)(end - p));
        return;
    default:
        x->protocol_errors++;
        return;
    }
}

/* Parses every complete frame in c->in. */
static void on_frames(struct sc_ctx *x, struct sc_conn *c)
{
    while (c->state != SC_DEAD && c->in.off < c->in.len) {
        struct ws_frame f;
        int rc = ws_parse(c->in.data + c->in.off, c->in.len - c->in.off, SC_MSG_MAX, &f);
        if (rc == 0)
            break;
        if (rc < 0) {
            kill_conn(x, c, "bad frame");
            return;
        }
        if (f.opcode == WS_PING) {
            if (ws_frame(&c->out, WS_PONG, f.payload, f.len) == 0)
                flush(x, c);
        } else if (f.opcode == WS_CLOSE) {
            kill_conn(x, c, "closed by the server");
            return;
        } else if (f.opcode == WS_PONG) {
            /* unsolicited: ignored */
        } else if (f.opcode == WS_CONT) {
            if (c->msg_op < 0 || bytes_append(&c->msg, f.payload, f.len) != 0) {
                kill_conn(x, c, "bad continuation");
                return;
            }
            if (f.fin) {
                if (c->msg_op == WS_TEXT)
                    on_message(x, c, c->msg.data, c->msg.len);
                c->msg.len = 0;
                c->msg_op = -1;
            }
        } else {
            if (c->msg_op >= 0) {
                kill_conn(x, c, "new message inside a fragmented one");
                return;
            }
            if (f.fin) {
                if (f.opcode == WS_TEXT)
                    on_message(x, c, f.payload, f.len);
            } else {
                c->msg_op = f.opcode;
                c->msg.len = 0;
                if (bytes_append(&c->msg, f.payload, f.len) != 0) {
                    kill_conn(x, c, "message too large");
                    return;
                }
            }
        }
        if (c->state == SC_DEAD)
            return;
        c->in.off += f.size;
    }
    if (c->state == SC_DEAD)
        return;
    if (c->in.off == c->in.len)
        c->in.off = c->in.len = 0;
    else if (c->in.cap - c->in.len < SC_READ_CHUNK / 2)
        bytes_compact(&c->in);
}

static void on_readable(struct sc_ctx *x, struct sc_conn *c)
{
    for (int rounds = 0; rounds < 16 && c->state != SC_DEAD; rounds++) {
        ssize_t n;
        if (bytes_reserve(&c->in, SC_READ_CHUNK) != 0) {
            bytes_compact(&c->in);
            if (bytes_reserve(&c->in, SC_READ_CHUNK) != 0) {
                kill_conn(x, c, "receive buffer full");
                return;
            }
        }
        n = recv(c->fd, c->in.data + c->in.len, c->in.cap - c->in.len, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                kill_conn(x, c, "receive failed");
            return;
        }
        if (n == 0) {
            kill_conn(x, c, "connection closed by the server");
            return;
        }
        c->in.len += (size_t)n;
        x->bytes_in += n;
        if (c->state == SC_UPGRADE) {
            size_t used = 0;
            int status = 0, rc = ws_response(c->in.data, c->in.len, c->key, &used, &status);
            if (rc == 0)
                continue;
            if (rc < 0) {
                char why[64];
                snprintf(why, sizeof why, "upgrade refused (HTTP %d)", status);
                kill_conn(x, c, why);
                return;
            }
            c->in.off = used;
            c->state = SC_OPEN_WAIT;
        }
        on_frames(x, c);
        if ((size_t)n < SC_READ_CHUNK / 2)
            return;
    }
}

static void on_writable(struct sc_ctx *x, struct sc_conn *c)
{
    if (c->state == SC_TCP) {
        int err = 0;
        socklen_t el = sizeof err;
        struct bytes *o = &c->out;
        struct bytes pq;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
        if (err) {
            kill_conn(x, c, "connect failed");
            return;
        }
        bytes_init(&pq, 1 << 16);
        if (bytes_printf(&pq, "%s%s", x->path, x->query) != 0 ||
            ws_request(o, x->tgt.hostport, pq.data, c->key) != 0) {
            bytes_free(&pq);
            kill_conn(x, c, "out of memory");
            return;
        }
        bytes_free(&pq);
        c->state = SC_UPGRADE;
    }
    flush(x, c);
}

int sc_poll(struct sc_ctx *x, int timeout_ms)
{
    struct epoll_event evs[512];
    int n = epoll_wait(x->ep, evs, 512, timeout_ms);

    if (n < 0)
        return errno == EINTR ? 0 : -1;
    for (int i = 0; i < n; i++) {
        struct sc_conn *c = evs[i].data.ptr;
        if (c->state == SC_DEAD)
            continue;
        if (evs[i].events & (EPOLLOUT | EPOLLERR))
            on_writable(x, c);
        if (c->state != SC_DEAD && (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
            on_readable(x, c);
    }
    sc_open_all(x);
    return n;
}

void sc_wait_ready(struct sc_ctx *x, int64_t deadline_us)
{
    sc_open_all(x);
    while (x->ready + x->dead < x->n && now_us() < deadline_us)
        sc_poll(x, 20);
}

uint64_t sc_emit(struct sc_ctx *x, struct sc_conn *c, const char *event, int with_ack,
                 const char *head, size_t hlen, const char *body, size_t blen, const char *tail)
{
    struct bytes pre;
    uint64_t id = 0;
    int rc;

    if (c->state != SC_READY)
        return 0;
    bytes_init(&pre, SC_OUT_MAX);
    if (with_ack)
        id = c->next_ack++;
    if (with_ack)
        rc = bytes_printf(&pre, "42%llu[\"%s\",", (unsigned long long)id, event);
    else
        rc = bytes_printf(&pre, "42[\"%s\",", event);
    rc = rc || bytes_append(&pre, head, hlen) || bytes_append(&pre, body, blen) ||
         (tail && bytes_append(&pre, tail, strlen(tail))) || bytes_append(&pre, "]", 1);
    if (rc == 0)
        rc = ws_frame(&c->out, WS_TEXT, pre.data, pre.len);
    bytes_free(&pre);
    if (rc != 0) {
        kill_conn(x, c, "cannot queue a message");
        return 0;
    }
    if (!c->want_out)
        flush(x, c);
    return with_ack ? id : 0;
}

int sc_init(struct sc_ctx *x, const char *url, const char *path, const char *key, int n)
{
    struct bytes q;

    memset(x, 0, sizeof *x);
    x->ep = -1;
    if (target_parse(url, &x->tgt) != 0)
        return -1;
    x->path = path;
    bytes_init(&q, 1 << 16);
    if (bytes_printf(&q, "?EIO=4&transport=websocket&apiKey=") || url_encode(&q, key, strlen(key)) ||
        bytes_append(&q, "", 1)) {
        bytes_free(&q);
        return -1;
    }
    x->query = q.data;
    x->n = n;
    x->max_opening = 64;
    x->c = calloc((size_t)(n ? n : 1), sizeof *x->c);
    x->ep = epoll_create1(EPOLL_CLOEXEC);
    if (!x->c || x->ep < 0) {
        fprintf(stderr, "sio-load: out of resources\n");
        return -1;
    }
    for (int i = 0; i < n; i++) {
        struct sc_conn *c = &x->c[i];
        c->fd = -1;
        c->idx = i;
        c->msg_op = -1;
        bytes_init(&c->out, SC_OUT_MAX);
        bytes_init(&c->in, SC_IN_MAX);
        bytes_init(&c->msg, SC_MSG_MAX);
    }
    return 0;
}

void sc_free(struct sc_ctx *x)
{
    if (x->c)
        for (int i = 0; i < x->n; i++) {
            struct sc_conn *c = &x->c[i];
            if (c->fd >= 0)
                close(c->fd);
            bytes_free(&c->in);
            bytes_free(&c->out);
            bytes_free(&c->msg);
        }
    free(x->c);
    free(x->query);
    if (x->ep >= 0)
        close(x->ep);
    memset(x, 0, sizeof *x);
    x->ep = -1;
}
