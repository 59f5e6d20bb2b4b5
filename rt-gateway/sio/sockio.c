/* sockio.c - Socket.IO v5 on one Engine.IO connection: namespace CONNECTs,
 * events, acks, binary reassembly and the life of struct sio_socket. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "err.h"
#include "internal.h"

#define CONNECT_REPLY_MAX (SIO_NSP_MAX + 64)

static struct sio_socket *conn_socket(struct eio_conn *c, const char *nsp, size_t len)
{
    struct sio_socket *s;

    for (s = c->sockets; s; s = s->conn_next)
        if (strlen(s->nsp->name) == len && memcmp(s->nsp->name, nsp, len) == 0)
            return s;
    return NULL;
}

static struct sio_nsp *nsp_lookup(struct sio_server *srv, const char *name, size_t len)
{
    struct sio_nsp *n;

    for (n = srv->nsps; n; n = n->next)
        if (strlen(n->name) == len && memcmp(n->name, name, len) == 0)
            return n;
    return NULL;
}

/* Sends a Socket.IO packet built from parts on one conn. */
static int send_raw(struct eio_conn *c, enum sio_type type, const char *nsp, int64_t ack,
                    const char *json, size_t json_len)
{
    struct sio_packet *p = NULL;
    int rc = sio_packet_new(&p, type, nsp, ack, json, json_len, NULL, 0);

    if (rc == SYNC_OK)
        rc = eio_conn_send(c, p);
    sio_packet_unref(p);
    if (rc == SYNC_OK)
        eio_conn_kick(c);
    return rc;
}

static int refuse_nsp(struct eio_conn *c, const char *nsp, size_t nsp_len)
{
    static const char body[] = "{\"message\":\"Invalid namespace\"}";
    char name[SIO_NSP_MAX + 1];

    memcpy(name, nsp, nsp_len);
    name[nsp_len] = '\0';
    if (memchr(name, '\0', nsp_len))
        return SYNC_EINVAL;
    return send_raw(c, SIO_CONNECT_ERROR, name, -1, body, sizeof(body) - 1);
}

static void fail_acks(struct sio_socket *s)
{
    struct pending_ack *a;

    while ((a = s->acks) != NULL) {
        s->acks = a->next;
        if (a->cb)
            a->cb(s, NULL, a->arg);
        free(a);
    }
}

/* Ends a socket: acks fail, on_disconnect (if notify), rooms left; freed later. */
static void socket_end(struct sio_socket *s, const char *reason, int notify)
{
    struct sio_socket **pp;
    struct sio_server *srv = s->srv;
    struct eio_conn *c = s->conn;

    if (s->gone)
        return;
    fail_acks(s);
    if (notify && s->nsp->ops.on_disconnect)
        s->nsp->ops.on_disconnect(s, reason, s->nsp->arg);
    s->gone = 1;
    fail_acks(s);                           /* any asked for during on_disconnect */
    sio_room_leave_all(s);
    sio_map_del(&srv->sockets, &s->serial, sizeof(s->serial));
    if (c) {
        for (pp = &c->sockets; *pp; pp = &(*pp)->conn_next) {
            if (*pp == s) {
                *pp = s->conn_next;
                break;
            }
        }
    }
    s->conn = NULL;
    s->dead_next = srv->dead_sockets;
    srv->dead_sockets = s;
}

void sio_sock_free(struct sio_socket *s)
{
    free(s);
}

void sio_sock_conn_closed(struct eio_conn *c, const char *reason)
{
    while (c->sockets)
        socket_end(c->sockets, reason, 1);
}

static int on_connect(struct eio_conn *c, const struct sio_parsed *p, struct json_object *auth)
{
    struct sio_server *srv = c->srv;
    struct sio_connect_info ci;
    struct sio_socket *s;
    struct sio_nsp *nsp;
    int rc;

    if (conn_socket(c, p->nsp, p->nsp_len))
        return SYNC_EINVAL;                 /* already joined: protocol error */
    nsp = nsp_lookup(srv, p->nsp, p->nsp_len);
    if (!nsp)
        return refuse_nsp(c, p->nsp, p->nsp_len);
    s = calloc(1, sizeof(*s));
    if (!s)
        return SYNC_ENOMEM;
    s->srv = srv;
    s->conn = c;
    s->nsp = nsp;
    s->serial = ++srv->next_serial;
    sio_random_id(s->id);
    rc = sio_map_put(&srv->sockets, &s->serial, sizeof(s->serial), s);
    if (rc != SYNC_OK) {
        free(s);
        return rc;
    }
    s->conn_next = c->sockets;
    c->sockets = s;
    ci.auth = auth;
    ci.auth_json = auth ? p->json : NULL;
    ci.auth_len = auth ? p->json_len : 0;
    if (nsp->ops.on_connect)
        nsp->ops.on_connect(s, &ci, nsp->arg);
    else
        sio_accept(s);
    return SYNC_OK;
}

static int on_event(struct sio_socket *s, const struct sio_parsed *p, struct json_object *arr,
                    const struct sio_decoder *rx)
{
    struct sio_bin bins[SIO_ATTACH_MAX];
    struct json_object *args = NULL, *name, *el;
    struct sio_event ev;
    size_t i, n;
    int rc = SYNC_OK;

    memset(&ev, 0, sizeof(ev));
    name = json_object_array_get_idx(arr, 0);
    ev.name = json_object_get_string(name);    /* numbers come out as their text */
    ev.name_len = strlen(ev.name);
    if (json_object_is_type(name, json_type_string))
        ev.name_len = (size_t)json_object_get_string_len(name);
    args = json_object_new_array();
    if (!args)
        return SYNC_ENOMEM;
    n = json_object_array_length(arr);
    for (i = 1; i < n; i++) {
        el = json_object_array_get_idx(arr, i);
        if (json_object_array_add(args, json_object_get(el)) != 0) {
            json_object_put(el);
            rc = SYNC_ENOMEM;
            goto out;
        }
    }
    ev.args = args;
    ev.has_ack = p->has_ack;
    ev.ack_id = p->ack_id;
    if (rx) {
        for (i = 0; i < rx->got; i++) {
            bins[i].data = rx->bin[i];
            bins[i].len = rx->bin_len[i];
        }
        ev.n_bin = rx->got;
        ev.bin = bins;
    }
    if (s->nsp->ops.on_event)
        s->nsp->ops.on_event(s, &ev, s->nsp->arg);
out:
    json_object_put(args);
    return rc;
}

static void on_ack(struct sio_socket *s, const struct sio_parsed *p, struct json_object *arr)
{
    struct pending_ack **pa, *a;

    for (pa = &s->acks; *pa; pa = &(*pa)->next) {
        if ((*pa)->id == p->ack_id) {
            a = *pa;
            *pa = a->next;
            if (a->cb)
                a->cb(s, arr, a->arg);
            free(a);
            return;
        }
    }
    /* unknown ids are ignored */
}

/* A complete packet (binary ones with their attachments in rx). */
static int dispatch(struct eio_conn *c, const struct sio_parsed *p, const struct sio_decoder *rx)
{
    struct json_object *j = NULL;
    struct sio_socket *s;
    int rc;

    rc = sio_check(p, &j);
    if (rc != SYNC_OK)
        goto out;
    if (p->type == SIO_CONNECT) {
        rc = on_connect(c, p, j);
        goto out;
    }
    s = conn_socket(c, p->nsp, p->nsp_len);
    if (!s || p->type == SIO_CONNECT_ERROR) {
        rc = SYNC_EINVAL;                 /* not joined, or a client CONNECT_ERROR */
        goto out;
    }
    if (p->type == SIO_DISCONNECT) {
        socket_end(s, "client namespace disconnect", 1);
        goto out;
    }
    if (!s->accepted) {
        rc = SYNC_EINVAL;                 /* nothing may come before our CONNECT reply */
        goto out;
    }
    if (p->type == SIO_EVENT || p->type == SIO_BINARY_EVENT)
        rc = on_event(s, p, j, rx);
    else
        on_ack(s, p, j);
out:
    json_object_put(j);
    return rc;
}

int sio_sock_on_text(struct eio_conn *c, const char *data, size_t len)
{
    struct sio_parsed p;
    int rc = sio_decoder_text(&c->rx, data, len, &p);

    if (rc == SIO_DEC_PACKET)
        return dispatch(c, &p, NULL);
    return rc;                            /* SIO_DEC_MORE == SYNC_OK, or an error */
}

int sio_sock_on_binary(struct eio_conn *c, const unsigned char *data, size_t len)
{
    struct sio_parsed p;
    int rc = sio_decoder_binary(&c->rx, data, len, eio_conn_limit(c), &p);

    if (rc == SIO_DEC_PACKET) {
        rc = dispatch(c, &p, &c->rx);
        sio_decoder_reset(&c->rx);
    }
    return rc;
}

/* ----- public calls on one socket ----- */

int sio_accept(struct sio_socket *s)
{
    char reply[CONNECT_REPLY_MAX];
    struct eio_conn *c;
    int n, rc;

    if (!s || s->gone || s->accepted || !s->conn)
        return SYNC_EINVAL;
    c = s->conn;
    n = snprintf(reply, sizeof(reply), "{\"sid\":\"%s\"}", s->id);
    if (n < 0 || (size_t)n >= sizeof(reply))
        return SYNC_EINVAL;
    rc = send_raw(c, SIO_CONNECT, s->nsp->name, -1, reply, (size_t)n);
    if (rc != SYNC_OK)
        return rc;
    s->accepted = 1;
    if (!c->authed) {
        c->authed = 1;
        lws_sul_cancel(&c->sul_connect);
    }
    return SYNC_OK;
}

int sio_refuse(struct sio_socket *s, const char *message, const char *data_json)
{
    struct json_object *o = NULL, *m, *d = NULL;
    struct sio_server *srv;
    const char *txt;
    size_t n;
    int rc;

    if (!s || s->gone || s->accepted || !s->conn || !message)
        return SYNC_EINVAL;
    srv = s->srv;
    sio_srv_enter(srv);
    rc = SYNC_ENOMEM;
    o = json_object_new_object();
    m = json_object_new_string(message);
    if (!o || !m || json_object_object_add(o, "message", m) != 0) {
        json_object_put(m);
        goto out;
    }
    if (data_json) {
        d = sio_json_parse(data_json, strlen(data_json));
        if (!d) {
            rc = SYNC_EINVAL;
            goto out;
        }
        if (json_object_object_add(o, "data", d) != 0) {
            json_object_put(d);
            goto out;
        }
    }
    txt = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN |
                                                   JSON_C_TO_STRING_NOSLASHESCAPE, &n);
    rc = send_raw(s->conn, SIO_CONNECT_ERROR, s->nsp->name, -1, txt, n);
    socket_end(s, "refused", 0);
out:
    json_object_put(o);
    sio_srv_leave(srv);
    return rc;
}

void sio_disconnect(struct sio_socket *s, enum sio_close how)
{
    struct sio_server *srv;
    struct eio_conn *c;

    if (!s || s->gone || !s->conn)
        return;
    srv = s->srv;
    c = s->conn;
    sio_srv_enter(srv);
    if (how == SIO_CLOSE_TRANSPORT) {
        eio_conn_close(c, "server namespace disconnect", 0);
    } else {
        if (s->accepted)
            send_raw(c, SIO_DISCONNECT, s->nsp->name, -1, NULL, 0);
        socket_end(s, "server namespace disconnect", 1);
    }
    sio_srv_leave(srv);
}

int sio_send(struct sio_socket *s, struct sio_packet *p)
{
    int rc;

    if (!s || !p || s->gone || !s->accepted || !s->conn)
        return SYNC_EINVAL;
    rc = eio_conn_send(s->conn, p);
    if (rc == SYNC_OK)
        eio_conn_kick(s->conn);
    return rc;
}

int sio_emit(struct sio_socket *s, const char *event, struct json_object *args)
{
    struct sio_packet *p = NULL;
    int rc;

    if (!s || s->gone)
        return SYNC_EINVAL;
    rc = sio_packet_new_event(&p, s->nsp->name, event, args);
    if (rc == SYNC_OK)
        rc = sio_send(s, p);
    sio_packet_unref(p);
    return rc;
}

int sio_emit_with_ack(struct sio_socket *s, const char *event, struct json_object *args,
                      sio_ack_cb cb, void *arg)
{
    struct sio_packet *p = NULL;
    struct pending_ack *a = NULL;
    struct buf json;
    int rc;

    if (!s || s->gone || !s->accepted || !s->conn || s->next_ack > SIO_ACK_MAX)
        return SYNC_EINVAL;
    buf_init(&json, (size_t)1 << 31);
    rc = sio_pkt_event_json(event, args, &json);
    if (rc != SYNC_OK)
        goto out;
    rc = sio_packet_new(&p, SIO_EVENT, s->nsp->name, (int64_t)s->next_ack, json.data, json.len,
                        NULL, 0);
    if (rc != SYNC_OK)
        goto out;
    a = calloc(1, sizeof(*a));
    if (!a) {
        rc = SYNC_ENOMEM;
        goto out;
    }
    rc = sio_send(s, p);
    if (rc != SYNC_OK)
        goto out;
    a->id = s->next_ack++;
    a->cb = cb;
    a->arg = arg;
    a->next = s->acks;
    s->acks = a;
    a = NULL;
out:
    free(a);
    buf_free(&json);
    sio_packet_unref(p);
    return rc;
}

int sio_ack_raw(struct sio_socket *s, uint64_t ack_id, const char *args_json, size_t len,
                const struct sio_bin *bin, unsigned n_bin)
{
    struct sio_packet *p = NULL;
    int rc;

    if (!s || s->gone || !s->accepted || ack_id > SIO_ACK_MAX)
        return SYNC_EINVAL;
    if (!args_json || len == 0) {
        args_json = "[]";
        len = 2;
    }
    rc = sio_packet_new(&p, SIO_ACK, s->nsp->name, (int64_t)ack_id, args_json, len, bin, n_bin);
    if (rc == SYNC_OK)
        rc = sio_send(s, p);
    sio_packet_unref(p);
    return rc;
}

int sio_ack(struct sio_socket *s, uint64_t ack_id, struct json_object *args)
{
    const char *txt = "[]";
    size_t n = 2;

    if (args && !json_object_is_type(args, json_type_array))
        return SYNC_EINVAL;
    if (args)
        txt = json_object_to_json_string_length(args, JSON_C_TO_STRING_PLAIN |
                                                          JSON_C_TO_STRING_NOSLASHESCAPE, &n);
    return sio_ack_raw(s, ack_id, txt, n, NULL, 0);
}

/* ----- accessors ----- */

const char *sio_socket_id(const struct sio_socket *s)
{
    return s->id;
}

uint64_t sio_socket_serial(const struct sio_socket *s)
{
    return s->serial;
}

struct sio_socket *sio_socket_lookup(struct sio_server *srv, uint64_t serial)
{
    struct sio_socket *s = sio_map_get(&srv->sockets, &serial, sizeof(serial));

    return (s && !s->gone) ? s : NULL;
}

void *sio_socket_user(const struct sio_socket *s)
{
    return s->user;
}

void sio_socket_set_user(struct sio_socket *s, void *user)
{
    s->user = user;
}

int sio_socket_accepted(const struct sio_socket *s)
{
    return s->accepted && !s->gone;
}

struct sio_nsp *sio_socket_nsp(const struct sio_socket *s)
{
    return s->nsp;
}

struct sio_server *sio_socket_server(const struct sio_socket *s)
{
    return s->srv;
}

const char *sio_socket_query(const struct sio_socket *s, const char *name)
{
    if (!s->conn || !name)
        return NULL;
    return eio_query_get(&s->conn->query, name);
}

const char *sio_socket_peer(const struct sio_socket *s)
{
    return s->conn ? s->conn->peer : "";
}

const char *sio_socket_transport(const struct sio_socket *s)
{
    if (!s->conn)
        return "";
    return s->conn->websocket ? "websocket" : "polling";
}

size_t sio_socket_queued(const struct sio_socket *s)
{
    return s->conn ? s->conn->q.bytes : 0;
}
