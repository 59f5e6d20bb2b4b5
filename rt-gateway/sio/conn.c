/* conn.c - one Engine.IO session: the send queue, the heartbeat, the
 * connect and upgrade timeouts, and the Engine.IO packets of the current
 * transport. The transports (ws.c, poll.c) feed it and drain its queue. */
#include <stdlib.h>
#include <string.h>

#include "eio.h"
#include "err.h"
#include "internal.h"

#define OPEN_PACKET_MAX 256

static struct eio_conn *from_sul(lws_sorted_usec_list_t *sul, size_t off)
{
    return (struct eio_conn *)(void *)((char *)sul - off);
}

static void schedule(struct eio_conn *c, lws_sorted_usec_list_t *sul, sul_cb_t cb,
                     unsigned ms)
{
    lws_sul_schedule(c->srv->ctx, 0, sul, cb, (lws_usec_t)ms * SIO_MS);
}

static void on_ping_timer(lws_sorted_usec_list_t *sul)
{
    struct eio_conn *c = from_sul(sul, offsetof(struct eio_conn, sul_ping));
    struct sio_server *srv = c->srv;

    sio_srv_enter(srv);
    if (c->closed) {
        /* nothing */
    } else if (c->awaiting_pong) {
        eio_conn_close(c, "ping timeout", 0);
    } else {
        /* the timeout counts from when the ping was due, not from when this
         * callback ran: a late loop must not stretch pingInterval+pingTimeout */
        lws_usec_t late = lws_now_usecs() - c->ping_due, wait;
        wait = (lws_usec_t)srv->cfg.ping_timeout_ms * SIO_MS;
        wait = late > 0 ? (late < wait ? wait - late : 0) : wait;
        c->awaiting_pong = 1;
        lws_sul_schedule(srv->ctx, 0, &c->sul_ping, on_ping_timer, wait);
        if (eio_conn_send(c, srv->pkt_ping) == SYNC_OK)
            eio_conn_kick(c);
    }
    sio_srv_leave(srv);
}

static void on_connect_timer(lws_sorted_usec_list_t *sul)
{
    struct eio_conn *c = from_sul(sul, offsetof(struct eio_conn, sul_connect));
    struct sio_server *srv = c->srv;

    sio_srv_enter(srv);
    if (!c->closed && !c->authed)
        eio_conn_close(c, "transport close", 0);
    sio_srv_leave(srv);
}

static void on_upgrade_timer(lws_sorted_usec_list_t *sul)
{
    struct eio_conn *c = from_sul(sul, offsetof(struct eio_conn, sul_upgrade));
    struct sio_server *srv = c->srv;
    struct pss *pss;

    sio_srv_enter(srv);
    if (!c->closed && c->probe) {
        pss = lws_wsi_user(c->probe);
        if (pss)
            pss->conn = NULL;
        eio_ws_request_close(c->probe, 0);
        c->probe = NULL;
        c->probe_state = PROBE_NONE;
        if (c->get && c->q.head)
            eio_poll_answer_get(c);           /* polling goes on */
    }
    sio_srv_leave(srv);
}

static void on_doom_timer(lws_sorted_usec_list_t *sul)
{
    struct eio_conn *c = from_sul(sul, offsetof(struct eio_conn, sul_doom));
    struct sio_server *srv = c->srv;

    sio_srv_enter(srv);
    if (!c->closed)
        eio_conn_close(c, c->doom_reason ? c->doom_reason : "transport error", 0);
    sio_srv_leave(srv);
}

void eio_conn_probe_start(struct eio_conn *c, struct lws *wsi)
{
    c->probe = wsi;
    c->probe_state = PROBE_OPEN;
    schedule(c, &c->sul_upgrade, on_upgrade_timer, c->srv->cfg.upgrade_timeout_ms);
}

#define PROBE_GET_RECHECK_MS 100
#define LINGER_MS            1000

static void on_linger_timer(lws_sorted_usec_list_t *sul)
{
    struct eio_conn *c = from_sul(sul, offsetof(struct eio_conn, sul_doom));
    struct sio_server *srv = c->srv;

    sio_srv_enter(srv);
    eio_conn_linger_end(c);
    sio_srv_leave(srv);
}

static void on_probe_get_timer(lws_sorted_usec_list_t *sul)
{
    struct eio_conn *c = from_sul(sul, offsetof(struct eio_conn, sul_probe_get));
    struct sio_server *srv = c->srv;
    struct pss *pss;

    sio_srv_enter(srv);
    if (!c->closed && c->get && c->probe_state == PROBE_ANSWERED) {
        pss = lws_wsi_user(c->get);
        if (pss)
            pss->conn = NULL;
        eio_poll_answer_small(c->get, 200, "text/plain; charset=UTF-8", "6", 1, 0);
        c->get = NULL;
    }
    sio_srv_leave(srv);
}

void eio_conn_probe_hold_get(struct eio_conn *c)
{
    schedule(c, &c->sul_probe_get, on_probe_get_timer, PROBE_GET_RECHECK_MS);
}

int eio_conn_new(struct sio_server *srv, int websocket, struct lws *wsi, struct eio_conn **out)
{
    char open[OPEN_PACKET_MAX];
    struct sio_packet *p = NULL;
    struct eio_conn *c;
    int n, rc;

    *out = NULL;
    c = calloc(1, sizeof(*c));
    if (!c)
        return SYNC_ENOMEM;
    c->srv = srv;
    c->websocket = websocket;
    eio_outq_init(&c->q);
    lws_get_peer_simple(wsi, c->peer, sizeof(c->peer));
    rc = eio_query_read(wsi, &c->query);
    if (rc != SYNC_OK)
        goto fail;
    do {
        sio_random_id(c->sid);
        rc = sio_map_put(&srv->conns, c->sid, SIO_ID_LEN, c);
    } while (rc == SYNC_ECONFLICT);
    if (rc != SYNC_OK)
        goto fail;

    n = eio_open_packet(open, sizeof(open), c->sid, !websocket, srv->cfg.ping_interval_ms,
                        srv->cfg.ping_timeout_ms, srv->cfg.max_payload);
    rc = n < 0 ? n : sio_pkt_new_text(&p, open, (size_t)n);
    if (rc == SYNC_OK)
        rc = eio_outq_push(&c->q, p);
    sio_packet_unref(p);
    if (rc != SYNC_OK) {
        sio_map_del(&srv->conns, c->sid, SIO_ID_LEN);
        goto fail;
    }
    c->ping_due = lws_now_usecs() + (lws_usec_t)srv->cfg.ping_interval_ms * SIO_MS;
    schedule(c, &c->sul_ping, on_ping_timer, srv->cfg.ping_interval_ms);
    schedule(c, &c->sul_connect, on_connect_timer, srv->cfg.connect_timeout_ms);
    *out = c;
    return SYNC_OK;
fail:
    eio_query_free(&c->query);
    eio_outq_clear(&c->q);
    free(c);
    return rc;
}

struct eio_conn *eio_conn_find(struct sio_server *srv, const char *sid)
{
    size_t n = strlen(sid);

    if (n != SIO_ID_LEN)
        return NULL;
    return sio_map_get(&srv->conns, sid, n);
}

size_t eio_conn_limit(const struct eio_conn *c)
{
    return c->authed ? c->srv->cfg.max_payload : c->srv->cfg.preauth_max;
}

void eio_conn_doom(struct eio_conn *c, const char *reason)
{
    if (c->closed || c->doomed)
        return;
    c->doomed = 1;
    c->doom_reason = reason;
    schedule(c, &c->sul_doom, on_doom_timer, 0);
}

int eio_conn_send(struct eio_conn *c, struct sio_packet *p)
{
    if (c->closed)
        return SYNC_EINVAL;
    if (c->doomed)
        return SYNC_ETOOBIG;
    if (p->wire > c->srv->cfg.send_queue_max - c->q.bytes ||
        c->q.bytes > c->srv->cfg.send_queue_max) {
        eio_conn_doom(c, "send queue full");
        return SYNC_ETOOBIG;
    }
    return eio_outq_push(&c->q, p);
}

void eio_conn_kick(struct eio_conn *c)
{
    if (c->closed || !c->q.head)
        return;
    if (c->websocket) {
        if (c->ws)
            lws_callback_on_writable(c->ws);
    } else if (c->get && c->probe_state != PROBE_ANSWERED) {
        eio_poll_answer_get(c);
    }
}

#define EXPIRE_GRACE_US (5 * SIO_MS)

int eio_conn_expire(struct eio_conn *c)
{
    lws_usec_t deadline;

    if (c->closed || !c->awaiting_pong)
        return 0;
    deadline = c->ping_due + (lws_usec_t)c->srv->cfg.ping_timeout_ms * SIO_MS;
    if (lws_now_usecs() + EXPIRE_GRACE_US < deadline)
        return 0;
    eio_conn_close(c, "ping timeout", 0);
    return 1;
}

void eio_conn_on_pong(struct eio_conn *c)
{
    if (!c->awaiting_pong)
        return;                           /* an unsolicited pong is harmless */
    c->awaiting_pong = 0;
    c->ping_due = lws_now_usecs() + (lws_usec_t)c->srv->cfg.ping_interval_ms * SIO_MS;
    schedule(c, &c->sul_ping, on_ping_timer, c->srv->cfg.ping_interval_ms);
}

int eio_conn_on_text(struct eio_conn *c, const char *data, size_t len)
{
    struct eio_parsed ep;
    unsigned char *bin = NULL;
    size_t blen;
    int rc;

    rc = eio_parse(data, len, &ep);
    if (rc != SYNC_OK)
        goto bad;
    switch (ep.type) {
    case EIO_PONG:
        if (ep.len != 0)
            goto bad;
        eio_conn_on_pong(c);
        return SYNC_OK;
    case EIO_CLOSE:
        eio_conn_close(c, "transport close", 1);
        return SYNC_OK;
    case EIO_MESSAGE:
        if (ep.base64) {
            bin = malloc(eio_b64_decoded_max(ep.len));
            if (!bin) {
                rc = SYNC_ENOMEM;
                goto bad;
            }
            rc = eio_b64_decode(ep.data, ep.len, bin, eio_b64_decoded_max(ep.len), &blen);
            if (rc == SYNC_OK)
                rc = sio_sock_on_binary(c, bin, blen);
            free(bin);
            if (rc != SYNC_OK)
                goto bad;
            return SYNC_OK;
        }
        if (ep.len == 0)
            goto bad;                     /* "4" alone: nothing to decode */
        rc = sio_sock_on_text(c, ep.data, ep.len);
        if (rc != SYNC_OK)
            goto bad;
        return SYNC_OK;
    default:                              /* a client "2", "0", "5" or "6" */
        goto bad;
    }
bad:
    eio_conn_close(c, "parse error", 0);
    return rc != SYNC_OK ? rc : SYNC_EINVAL;
}

int eio_conn_on_binary(struct eio_conn *c, const unsigned char *data, size_t len)
{
    int rc = sio_sock_on_binary(c, data, len);

    if (rc != SYNC_OK)
        eio_conn_close(c, "parse error", 0);
    return rc;
}

void eio_conn_close(struct eio_conn *c, const char *reason, int client_closed)
{
    struct sio_server *srv = c->srv;
    struct pss *pss;

    if (c->closed)
        return;
    c->closed = 1;
    sio_sock_conn_closed(c, reason);
    lws_sul_cancel(&c->sul_ping);
    lws_sul_cancel(&c->sul_connect);
    lws_sul_cancel(&c->sul_upgrade);
    lws_sul_cancel(&c->sul_doom);
    lws_sul_cancel(&c->sul_probe_get);
    eio_outq_clear(&c->q);
    sio_decoder_reset(&c->rx);

    if (c->ws) {
        pss = lws_wsi_user(c->ws);
        if (pss)
            pss->conn = NULL;
        eio_ws_request_close(c->ws, 0);
        c->ws = NULL;
    }
    if (c->probe) {
        pss = lws_wsi_user(c->probe);
        if (pss)
            pss->conn = NULL;
        eio_ws_request_close(c->probe, 0);
        c->probe = NULL;
    }
    if (c->get) {
        /* a client close is acknowledged with a noop, a server close with "1" */
        client_closed = client_closed ? 2 : 0;    /* answered: no linger */
        pss = lws_wsi_user(c->get);
        if (pss)
            pss->conn = NULL;
        eio_poll_answer_small(c->get, 200, "text/plain; charset=UTF-8", client_closed ? "6" : "1",
                          1, 0);
        c->get = NULL;
    }
    if (c->post) {
        pss = lws_wsi_user(c->post);
        if (pss)
            pss->conn = NULL;          /* answered "ok" when its body is complete */
        c->post = NULL;
    }
    if (client_closed == 1 && !c->websocket && !srv->destroying) {
        c->linger = 1;
        schedule(c, &c->sul_doom, on_linger_timer, LINGER_MS);
        return;
    }
    sio_map_del(&srv->conns, c->sid, SIO_ID_LEN);
    c->dead_next = srv->dead_conns;
    srv->dead_conns = c;
}

void eio_conn_linger_end(struct eio_conn *c)
{
    struct sio_server *srv = c->srv;

    if (!c->linger)
        return;
    c->linger = 0;
    lws_sul_cancel(&c->sul_doom);
    sio_map_del(&srv->conns, c->sid, SIO_ID_LEN);
    c->dead_next = srv->dead_conns;
    srv->dead_conns = c;
}

void eio_conn_free(struct eio_conn *c)
{
    if (!c)
        return;
    eio_query_free(&c->query);
    eio_outq_clear(&c->q);
    sio_decoder_reset(&c->rx);
    free(c);
}
