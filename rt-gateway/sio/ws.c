/* ws.c - the WebSocket transport: upgrade checks, message reassembly
 * (bounded), the probe of a polling session, and fragmented sending out of
 * shared packets through a private LWS_PRE scratch buffer. */
#include <string.h>

#include "err.h"
#include "internal.h"

#define ARG_MAX 64

static struct sio_server *srv_of(struct lws *wsi)
{
    return lws_context_user(lws_get_context(wsi));
}

void eio_ws_request_close(struct lws *wsi, int code)
{
    struct pss *pss = lws_wsi_user(wsi);

    if (!pss)
        return;
    pss->close_pending = 1;
    pss->close_code = code;
    lws_callback_on_writable(wsi);
}

/* Refuses an upgrade with a status line (PITFALLS 5); lws then closes. */
static int refuse(struct lws *wsi, const char *why)
{
    lws_return_http_status(wsi, HTTP_STATUS_BAD_REQUEST, why);
    return -1;
}

static int ws_filter(struct sio_server *srv, struct lws *wsi)
{
    char arg[ARG_MAX];
    const char *v;
    struct eio_conn *c;

    if (eio_http_check_path(srv, wsi) != SYNC_OK)
        return refuse(wsi, "Not found");
    v = eio_query_arg(wsi, "transport", arg, sizeof(arg));
    if (!v || strcmp(v, "websocket") != 0)
        return refuse(wsi, "Transport unknown");
    v = eio_query_arg(wsi, "EIO", arg, sizeof(arg));
    if (!v || strcmp(v, "4") != 0)
        return refuse(wsi, "Unsupported protocol version");
    v = eio_query_arg(wsi, "sid", arg, sizeof(arg));
    if (v) {
        c = eio_conn_find(srv, v);
        if (!c || c->closed)
            return refuse(wsi, "Session ID unknown");
        /* already upgraded or being probed: accepted, then closed at once */
    }
    return 0;
}

static int ws_established(struct sio_server *srv, struct lws *wsi, struct pss *pss)
{
    char arg[ARG_MAX];
    struct eio_conn *c;
    const char *sid;
    int pmd;

    pmd = pss->pmd;                       /* set by CONFIRM_EXTENSION_OKAY */
    memset(pss, 0, sizeof(*pss));
    pss->pmd = pmd;
    pss->kind = PSS_WS;
    if (pmd) {
        /* a smaller deflate hash than zlib's default and 4 KiB output steps
         * instead of lws's 1 KiB. Not the window: lws 4.1.6 inflates the
         * client's messages with server_max_window_bits too ("invalid
         * distance too far back" on any match further than the window). */
        lws_set_extension_option(wsi, "permessage-deflate", "mem_level", "4");
        lws_set_extension_option(wsi, "permessage-deflate", "tx_buf_size", "12");
    }
    buf_init(&pss->rx, srv->cfg.max_payload);
    sid = eio_query_arg(wsi, "sid", arg, sizeof(arg));
    if (sid) {
        c = eio_conn_find(srv, sid);
        if (!c || c->closed)
            return -1;
        if (c->websocket || c->probe) {
            eio_ws_request_close(wsi, 0);
            return 0;
        }
        eio_conn_probe_start(c, wsi);
        pss->probe = 1;
        pss->conn = c;
        return 0;
    }
    if (eio_conn_new(srv, 1, wsi, &c) != SYNC_OK)
        return -1;
    c->ws = wsi;
    pss->conn = c;
    lws_callback_on_writable(wsi);
    return 0;
}

/* A complete message on a WebSocket probing an upgrade. */
static int probe_message(struct lws *wsi, struct pss *pss, const char *data, size_t len,
                         int binary)
{
    struct eio_conn *c = pss->conn;
    struct pss *gp;

    if (!binary && len == 6 && memcmp(data, "2probe", 6) == 0 &&
        c->probe_state == PROBE_OPEN) {
        c->probe_state = PROBE_ANSWERED;
        pss->send_pong_probe = 1;
        lws_callback_on_writable(wsi);
        /* the pending GET gets a noop so the client can pause polling;
         * like the reference, after a 100 ms re-check (a "5" already on its
         * way then makes it a 400: the session is upgraded) */
        if (c->get)
            eio_conn_probe_hold_get(c);
        return 0;
    }
    if (!binary && len == 1 && data[0] == '5' && c->probe_state == PROBE_ANSWERED) {
        lws_sul_cancel(&c->sul_upgrade);
        c->websocket = 1;
        c->ws = wsi;
        c->probe = NULL;
        c->probe_state = PROBE_NONE;
        pss->probe = 0;
        lws_sul_cancel(&c->sul_probe_get);
        if (c->get) {
            /* a GET sent after the probe (the one before got "6" above):
             * the session is on WebSocket now */
            gp = lws_wsi_user(c->get);
            if (gp)
                gp->conn = NULL;
            eio_poll_answer_error(c->get, 400, 3, "Bad request");
            c->get = NULL;
        }
        lws_callback_on_writable(wsi);      /* flush what polling left */
        return 0;
    }
    /* anything else ends the probe; the polling session goes on */
    c->probe = NULL;
    c->probe_state = PROBE_NONE;
    lws_sul_cancel(&c->sul_upgrade);
    pss->conn = NULL;
    if (c->get && c->q.head)
        eio_poll_answer_get(c);
    return -1;
}

static int ws_receive(struct sio_server *srv, struct lws *wsi, struct pss *pss,
                      const void *in, size_t len)
{
    struct eio_conn *c = pss->conn;
    size_t limit;
    int rc = 0;

    if (pss->close_pending)
        return -1;                        /* ignored while lws inflates: see below */
    if (!pss->rx_active) {
        pss->rx_active = 1;
        pss->rx_binary = lws_frame_is_binary(wsi);
    }
    limit = (c && !pss->probe) ? eio_conn_limit(c) : srv->cfg.preauth_max;
    if (len > limit - pss->rx.len || buf_append(&pss->rx, in, len) != SYNC_OK) {
        if (c) {
            pss->conn = NULL;
            if (c->ws == wsi)
                c->ws = NULL;
            if (c->probe == wsi) {
                c->probe = NULL;
                c->probe_state = PROBE_NONE;
            } else {
                eio_conn_close(c, "transport error", 0);
            }
        }
        /* lws 4.1.6 ignores -1 from RECEIVE while it inflates a
         * permessage-deflate message: close from WRITEABLE as well */
        buf_free(&pss->rx);
        eio_ws_request_close(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE);
        lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, NULL, 0);
        return -1;
    }
    if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi))
        return 0;

    /* one whole message */
    if (c && pss->probe) {
        rc = probe_message(wsi, pss, pss->rx.data ? pss->rx.data : "", pss->rx.len,
                           pss->rx_binary);
    } else if (c) {
        if (pss->rx_binary)
            eio_conn_on_binary(c, (const unsigned char *)(pss->rx.data ? pss->rx.data : ""),
                           pss->rx.len);
        else
            eio_conn_on_text(c, pss->rx.data ? pss->rx.data : "", pss->rx.len);
    }
    if (pss->rx.cap > SIO_RX_KEEP_MAX)
        buf_free(&pss->rx);               /* don't keep a 10 MiB buffer per idle socket */
    else
        buf_reset(&pss->rx);
    pss->rx_active = 0;
    pss->rx_binary = 0;
    if (rc < 0)
        return -1;
    if (pss->close_pending) {
        lws_close_reason(wsi, (enum lws_close_status)(pss->close_code ? pss->close_code
                                                      : LWS_CLOSE_STATUS_NORMAL), NULL, 0);
        return -1;
    }
    return 0;
}

static int write_fragment(struct sio_server *srv, struct lws *wsi, const unsigned char *data,
                          size_t n, int binary, int first, int last)
{
    unsigned char *buf = srv->scratch + LWS_PRE;
    int flags;

    if (n)
        memcpy(buf, data, n);
    flags = lws_write_ws_flags(binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT, first, last);
    if (lws_write(wsi, buf, n, (enum lws_write_protocol)flags) < (int)n)
        return -1;
    return 0;
}

static int ws_writeable(struct sio_server *srv, struct lws *wsi, struct pss *pss)
{
    const unsigned char *data;
    struct eio_conn *c = pss->conn;
    struct outq *q;
    size_t len, n;
    int binary, budget = SIO_WRITES_PER_CB;

    /* lws 4.1.6's permessage-deflate may keep compressed output back and
     * drain it itself on the next POLLOUT; a second lws_write in the same
     * callback would be spliced into that: one write per callback then */
    if (pss->pmd)
        budget = 1;

    if (pss->close_pending) {
        lws_close_reason(wsi, (enum lws_close_status)(pss->close_code ? pss->close_code
                                                      : LWS_CLOSE_STATUS_NORMAL), NULL, 0);
        return -1;
    }
    if (pss->send_pong_probe) {
        pss->send_pong_probe = 0;
        if (write_fragment(srv, wsi, (const unsigned char *)"3probe", 6, 0, 1, 1) < 0)
            return -1;
        if (c && c->q.head)
            lws_callback_on_writable(wsi);
        return 0;
    }
    if (!c || pss->probe || c->ws != wsi)
        return 0;
    /* a bounded number of fragments per callback: every other socket gets
     * its turn in between. lws calls this only when the socket can take a
     * write, so the first needs no choke check (a poll() per delivery) */
    q = &c->q;
    for (int first = 1; q->head && budget-- > 0 && (first || !lws_send_pipe_choked(wsi));
         first = 0) {
        sio_pkt_part_ws(q->head->p, q->part, &data, &len, &binary);
        if (len == 0 && pss->pmd) {
            /* lws 4.1.6 asserts on an empty compressed message: drop the
             * connection rather than the process */
            eio_conn_close(c, "transport error", 0);
            return -1;
        }
        n = len - q->off < SIO_SEND_CHUNK ? len - q->off : SIO_SEND_CHUNK;
        if (write_fragment(srv, wsi, data + q->off, n, binary, q->off == 0,
                           q->off + n == len) < 0)
            return -1;
        q->off += n;
        if (q->off == len) {
            q->off = 0;
            if (++q->part > q->head->p->n_bin)
                sio_packet_unref(eio_outq_pop(q));
        }
    }
    if (q->head)
        lws_callback_on_writable(wsi);
    return 0;
}

static void ws_closed(struct lws *wsi, struct pss *pss)
{
    struct eio_conn *c = pss->conn;

    pss->conn = NULL;
    if (c) {
        if (c->ws == wsi) {
            c->ws = NULL;
            eio_conn_close(c, "transport close", 0);
        } else if (c->probe == wsi) {
            c->probe = NULL;
            c->probe_state = PROBE_NONE;
            lws_sul_cancel(&c->sul_upgrade);
        }
    }
    buf_free(&pss->rx);
}

int eio_ws_callback(struct lws *wsi, enum lws_callback_reasons reason, struct pss *pss,
                void *in, size_t len)
{
    struct sio_server *srv = srv_of(wsi);

    switch (reason) {
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        return ws_filter(srv, wsi);
    case LWS_CALLBACK_CONFIRM_EXTENSION_OKAY:
        if (pss && in && strcmp(in, "permessage-deflate") == 0)
            pss->pmd = 1;
        return 0;
    case LWS_CALLBACK_ESTABLISHED:
        return ws_established(srv, wsi, pss);
    case LWS_CALLBACK_RECEIVE:
        return ws_receive(srv, wsi, pss, in, len);
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return ws_writeable(srv, wsi, pss);
    case LWS_CALLBACK_CLOSED:
        ws_closed(wsi, pss);
        return 0;
    default:
        return 0;
    }
}
