/* poll.c - the HTTP long-polling transport and every HTTP answer of the
 * layer: handshake, held GETs answered from the send queue in fragments,
 * POST bodies (bounded) split into Engine.IO packets, the documented error
 * codes, and CORS. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eio.h"
#include "err.h"
#include "internal.h"

#define ARG_MAX        64
#define ORIGIN_MAX     256
#define REQ_HDRS_MAX   256
#define CT_TEXT        "text/plain; charset=UTF-8"
#define CT_JSON        "application/json"

static struct sio_server *srv_of(struct lws *wsi)
{
    return lws_context_user(lws_get_context(wsi));
}

int eio_http_check_path(struct sio_server *srv, struct lws *wsi)
{
    char *uri = NULL;
    int len = 0;

    if (lws_http_get_uri_and_method(wsi, &uri, &len) < 0 || !uri || len < 0)
        return SYNC_EINVAL;
    if ((size_t)len != strlen(srv->path) || memcmp(uri, srv->path, (size_t)len) != 0)
        return SYNC_ENOTFOUND;
    return SYNC_OK;
}

static void resp_clear(struct http_resp *r)
{
    eio_outq_clear(&r->items);
    memset(r, 0, sizeof(*r));
    eio_outq_init(&r->items);
}

static int origin_allowed(const struct sio_server *srv, const char *origin)
{
    unsigned i;

    if (!origin[0])
        return 0;
    if (srv->cors_any)
        return 1;
    for (i = 0; i < srv->n_origins; i++)
        if (strcmp(srv->origins[i], origin) == 0)
            return 1;
    return 0;
}

/* Starts an answer; the body is written from HTTP_WRITEABLE. */
void eio_poll_answer_small(struct lws *wsi, unsigned status, const char *ctype,
                       const char *body, size_t len, int close_after)
{
    struct pss *pss = lws_wsi_user(wsi);
    struct http_resp *r;

    if (!pss || pss->resp.active)
        return;
    r = &pss->resp;
    resp_clear(r);
    if (len > sizeof(r->small))
        len = sizeof(r->small);
    r->active = 1;
    r->status = status;
    r->ctype = ctype;
    /* A request with a body is the connection's last: lws 4.1 spins
     * forever (the whole loop) when another request is pipelined behind
     * a body it has read. socket.io-client never pipelines; it opens a
     * new connection for its next POST. */
    r->close_after = close_after || pss->method == LWSHUMETH_POST;
    if (len)
        memcpy(r->small, body, len);
    r->small_len = len;
    r->total = len;
    lws_callback_on_writable(wsi);
}

void eio_poll_answer_error(struct lws *wsi, unsigned status, int code, const char *message)
{
    char body[SIO_SMALL_BODY_MAX];
    int n = snprintf(body, sizeof(body), "{\"code\":%d,\"message\":\"%s\"}", code, message);

    if (n < 0 || (size_t)n >= sizeof(body))
        n = 0;
    eio_poll_answer_small(wsi, status, CT_JSON, body, (size_t)n, 0);
}

/* Moves queued packets into the pending GET's answer. */
void eio_poll_answer_get(struct eio_conn *c)
{
    struct sio_server *srv = c->srv;
    struct lws *wsi = c->get;
    struct pss *pss = wsi ? lws_wsi_user(wsi) : NULL;
    struct http_resp *r;
    struct sio_packet *p;
    const char *d;
    size_t len, records = 0;
    unsigned i;

    if (!pss || pss->resp.active || !c->q.head)
        return;
    r = &pss->resp;
    resp_clear(r);
    while (c->q.head && (records == 0 || r->total < srv->cfg.max_payload)) {
        p = c->q.head->p;
        for (i = 0; i <= p->n_bin; i++) {
            if (sio_pkt_part_poll(p, i, &d, &len) != SYNC_OK) {
                resp_clear(r);
                eio_conn_close(c, "transport error", 0);
                return;
            }
            r->total += len + (records ? 1 : 0);
            records++;
        }
        p = eio_outq_pop(&c->q);
        if (eio_outq_push(&r->items, p) != SYNC_OK) {
            sio_packet_unref(p);
            resp_clear(r);
            eio_conn_close(c, "transport error", 0);
            return;
        }
        sio_packet_unref(p);
    }
    r->active = 1;
    r->status = 200;
    r->ctype = CT_TEXT;
    r->no_store = 1;
    r->cur = r->items.head;
    c->get = NULL;
    pss->conn = NULL;
    lws_callback_on_writable(wsi);
}

/* Copies the next bytes of the body into dst. */
static size_t resp_fill(struct http_resp *r, unsigned char *dst, size_t cap)
{
    const char *d;
    size_t n = 0, len, take;

    if (r->small_len) {
        take = r->small_len - r->sent < cap ? r->small_len - r->sent : cap;
        memcpy(dst, r->small + r->sent, take);
        return take;
    }
    while (n < cap && r->cur) {
        if (r->sep) {
            dst[n++] = EIO_RS;
            r->sep = 0;
            continue;
        }
        if (sio_pkt_part_poll(r->cur->p, r->part, &d, &len) != SYNC_OK)
            break;                        /* made in eio_poll_answer_get: cannot fail */
        take = len - r->off < cap - n ? len - r->off : cap - n;
        memcpy(dst + n, d + r->off, take);
        n += take;
        r->off += take;
        if (r->off == len) {
            r->off = 0;
            if (++r->part > r->cur->p->n_bin) {
                r->part = 0;
                r->cur = r->cur->next;
            }
            r->sep = r->cur != NULL;
        }
    }
    return n;
}

static int add_header(struct lws *wsi, const char *name, const char *value,
                      unsigned char **p, unsigned char *end)
{
    return lws_add_http_header_by_name(wsi, (const unsigned char *)name,
                                       (const unsigned char *)value, (int)strlen(value), p, end);
}

static int write_headers(struct sio_server *srv, struct lws *wsi, struct pss *pss)
{
    struct http_resp *r = &pss->resp;
    unsigned char *start = srv->scratch + LWS_PRE, *p = start;
    unsigned char *end = start + SIO_SEND_CHUNK;

    if (lws_add_http_common_headers(wsi, r->status, r->ctype, r->total, &p, end))
        return -1;
    if (r->no_store && add_header(wsi, "cache-control:", "no-store", &p, end))
        return -1;
    /* lws says nothing when there is a length; clients that asked to close
     * (the Node client does) would otherwise reuse a dying socket */
    if ((pss->req_close || r->close_after) && add_header(wsi, "connection:", "close", &p, end))
        return -1;
    if (origin_allowed(srv, pss->origin)) {
        if (add_header(wsi, "access-control-allow-origin:", pss->origin, &p, end) ||
            add_header(wsi, "access-control-allow-credentials:", "true", &p, end) ||
            add_header(wsi, "vary:", "Origin", &p, end))
            return -1;
        if (pss->method == LWSHUMETH_OPTIONS &&
            (add_header(wsi, "access-control-allow-methods:", "GET, POST", &p, end) ||
             (pss->req_headers[0] &&
              add_header(wsi, "access-control-allow-headers:", pss->req_headers, &p, end))))
            return -1;
    }
    if (lws_finalize_write_http_header(wsi, start, &p, end))
        return -1;
    return 0;
}

static int resp_write(struct sio_server *srv, struct lws *wsi, struct pss *pss)
{
    struct http_resp *r = &pss->resp;
    unsigned char *buf = srv->scratch + LWS_PRE;
    int budget = SIO_WRITES_PER_CB, close_after;
    size_t n;

    if (!r->active)
        return 0;
    if (!r->headers_sent) {
        if (write_headers(srv, wsi, pss) < 0)
            return -1;
        r->headers_sent = 1;
    }
    while (r->sent < r->total) {
        if (budget-- <= 0 || lws_send_pipe_choked(wsi)) {
            lws_callback_on_writable(wsi);
            return 0;
        }
        n = resp_fill(r, buf, SIO_SEND_CHUNK);
        if (n == 0)
            return -1;
        if (lws_write(wsi, buf, n, r->sent + n == r->total ? LWS_WRITE_HTTP_FINAL
                                                             : LWS_WRITE_HTTP) < (int)n)
            return -1;
        r->sent += n;
    }
    close_after = r->close_after;
    resp_clear(r);
    buf_free(&pss->body);
    if (close_after)
        return -1;
    if (lws_http_transaction_completed(wsi))
        return -1;
    return 0;
}

static int request_wants_close(struct lws *wsi)
{
    char v[64];
    int n = lws_hdr_copy(wsi, v, sizeof(v), WSI_TOKEN_CONNECTION);

    return n > 0 && strcasestr(v, "close") != NULL;
}

static unsigned hold_secs(const struct sio_server *srv)
{
    return (srv->cfg.ping_interval_ms + srv->cfg.ping_timeout_ms) / 1000 + 10;
}

static void on_get(struct sio_server *srv, struct lws *wsi, struct pss *pss, struct eio_conn *c)
{
    if (c->get) {
        /* two GETs at once: this one 400, the first gets "1", session closed */
        eio_poll_answer_small(wsi, 400, NULL, NULL, 0, 0);
        eio_conn_close(c, "transport error", 0);
        return;
    }
    c->get = wsi;
    pss->conn = c;
    lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, (int)hold_secs(srv));
    if (c->probe_state == PROBE_ANSWERED) {
        eio_conn_probe_hold_get(c);
        return;
    }
    if (c->q.head)
        eio_poll_answer_get(c);
}

static void on_post(struct sio_server *srv, struct lws *wsi, struct pss *pss, struct eio_conn *c)
{
    char ct[64];
    int clen;

    if (c->post) {
        eio_poll_answer_small(wsi, 400, NULL, NULL, 0, 0);
        eio_conn_close(c, "transport error", 0);
        return;
    }
    if (lws_hdr_copy(wsi, ct, sizeof(ct), WSI_TOKEN_HTTP_CONTENT_TYPE) > 0 &&
        strncmp(ct, "application/octet-stream", 24) == 0) {
        eio_poll_answer_small(wsi, 400, NULL, NULL, 0, 0);
        eio_conn_close(c, "transport error", 0);
        return;
    }
    clen = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH);
    if (clen > 0) {
        char num[24];
        unsigned long long v = 0;
        int i, n = lws_hdr_copy(wsi, num, sizeof(num), WSI_TOKEN_HTTP_CONTENT_LENGTH);
        for (i = 0; i < n; i++) {
            if (num[i] < '0' || num[i] > '9' || v > (1ull << 40))
                break;
            v = v * 10 + (unsigned)(num[i] - '0');
        }
        if (n <= 0 || i != n) {
            eio_poll_answer_small(wsi, 400, NULL, NULL, 0, 1);
            return;
        }
        if (v > eio_conn_limit(c)) {
            /* read and drop a body of sane size so the client sees the 413
             * (answering early and closing makes it fail with EPIPE) */
            if (v > 2 * (unsigned long long)srv->cfg.max_payload) {
                eio_poll_answer_small(wsi, 413, NULL, NULL, 0, 1);
                return;
            }
            pss->is_poll_post = 1;
            pss->body_too_big = 1;
            lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, 30);
            return;
        }
        if (v == 0)
            clen = 0;
    }
    if (clen <= 0) {
        /* no body: an empty payload is a protocol error, answered ok */
        eio_conn_close(c, "parse error", 0);
        eio_poll_answer_small(wsi, 200, "text/html", "ok", 2, 0);
        return;
    }
    c->post = wsi;
    pss->conn = c;
    pss->is_poll_post = 1;
    buf_init(&pss->body, eio_conn_limit(c));
    lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, 30);
}

/* A GET outside the Engine.IO path that the application answers (cfg.on_http).
 * 1 when an answer was started. */
static int answer_app_route(struct sio_server *srv, struct lws *wsi, struct pss *pss)
{
    char body[SIO_HTTP_BODY_MAX];
    size_t len = 0;
    unsigned status;
    char *uri = NULL;
    int ulen = 0;

    if (!srv->cfg.on_http || pss->method != LWSHUMETH_GET)
        return 0;
    if (lws_http_get_uri_and_method(wsi, &uri, &ulen) < 0 || !uri || ulen < 0)
        return 0;
    status = srv->cfg.on_http(srv, uri, (size_t)ulen, body, &len, srv->cfg.arg);
    if (status == 0 || len > sizeof body)
        return 0;
    eio_poll_answer_small(wsi, status, CT_JSON, body, len, 0);
    return 1;
}

static int on_http(struct sio_server *srv, struct lws *wsi, struct pss *pss)
{
    char arg[ARG_MAX];
    const char *transport, *eio, *sid;
    struct eio_conn *c;
    char *uri;
    int ulen, rc;

    resp_clear(&pss->resp);
    buf_free(&pss->body);
    memset(pss, 0, sizeof(*pss));
    eio_outq_init(&pss->resp.items);
    pss->kind = PSS_HTTP;
    pss->method = lws_http_get_uri_and_method(wsi, &uri, &ulen);
    if (lws_hdr_copy(wsi, pss->origin, sizeof(pss->origin), WSI_TOKEN_ORIGIN) < 0)
        pss->origin[0] = '\0';
    pss->req_close = request_wants_close(wsi);

    rc = eio_http_check_path(srv, wsi);
    if (rc != SYNC_OK) {
        if (!answer_app_route(srv, wsi, pss))
            eio_poll_answer_small(wsi, 404, CT_TEXT, "Not found", 9, 0);
        return 0;
    }
    if (pss->method == LWSHUMETH_OPTIONS && origin_allowed(srv, pss->origin)) {
        if (lws_hdr_copy(wsi, pss->req_headers, sizeof(pss->req_headers),
                         WSI_TOKEN_HTTP_AC_REQUEST_HEADERS) < 0 ||
            strspn(pss->req_headers, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                     "0123456789-_, ") != strlen(pss->req_headers))
            pss->req_headers[0] = '\0';
        eio_poll_answer_small(wsi, 204, NULL, NULL, 0, 0);
        return 0;
    }
    transport = eio_query_arg(wsi, "transport", arg, sizeof(arg));
    if (!transport || (strcmp(transport, "polling") != 0 && strcmp(transport, "websocket") != 0)) {
        eio_poll_answer_error(wsi, 400, 0, "Transport unknown");
        return 0;
    }
    if (strcmp(transport, "websocket") == 0) {
        eio_poll_answer_error(wsi, 400, 3, "Bad request");      /* no Upgrade header */
        return 0;
    }
    eio = eio_query_arg(wsi, "EIO", arg, sizeof(arg));
    if (!eio || strcmp(eio, "4") != 0) {
        eio_poll_answer_error(wsi, 400, 5, "Unsupported protocol version");
        return 0;
    }
    sid = eio_query_arg(wsi, "sid", arg, sizeof(arg));
    if (!sid) {
        if (pss->method != LWSHUMETH_GET) {
            eio_poll_answer_error(wsi, 400, 2, "Bad handshake method");
            return 0;
        }
        if (eio_conn_new(srv, 0, wsi, &c) != SYNC_OK) {
            eio_poll_answer_small(wsi, 503, NULL, NULL, 0, 0);
            return 0;
        }
        c->get = wsi;
        pss->conn = c;
        eio_poll_answer_get(c);
        return 0;
    }
    c = eio_conn_find(srv, sid);
    if (c)
        eio_conn_expire(c);
    if (c && c->linger && pss->method == LWSHUMETH_GET) {
        eio_conn_linger_end(c);
        eio_poll_answer_small(wsi, 200, CT_TEXT, "6", 1, 0);
        return 0;
    }
    if (!c || c->closed) {
        eio_poll_answer_error(wsi, 400, 1, "Session ID unknown");
        return 0;
    }
    if (c->websocket) {
        eio_poll_answer_error(wsi, 400, 3, "Bad request");
        return 0;
    }
    if (pss->method == LWSHUMETH_GET)
        on_get(srv, wsi, pss, c);
    else if (pss->method == LWSHUMETH_POST)
        on_post(srv, wsi, pss, c);
    else
        eio_poll_answer_small(wsi, 500, NULL, NULL, 0, 0);
    return 0;
}

static void on_body(struct lws *wsi, struct pss *pss, const void *in, size_t len)
{
    if (!pss->is_poll_post || pss->body_too_big)
        return;
    if (buf_append(&pss->body, in, len) != SYNC_OK) {
        pss->body_too_big = 1;
        buf_free(&pss->body);
    }
    lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, 30);
}

static void on_body_done(struct lws *wsi, struct pss *pss)
{
    struct eio_conn *c = pss->conn;
    const char *rec;
    size_t pos = 0, rlen;
    int rc;

    if (!pss->is_poll_post)
        return;
    pss->conn = NULL;
    if (c && c->post == wsi)
        c->post = NULL;
    if (pss->body_too_big) {
        eio_poll_answer_small(wsi, 413, NULL, NULL, 0, 0);
        return;
    }
    while (c && !c->closed) {
        rc = eio_payload_next(pss->body.data ? pss->body.data : "", pss->body.len, &pos,
                              &rec, &rlen);
        if (rc == 0)
            break;
        if (rc < 0) {
            eio_conn_close(c, "parse error", 0);
            break;
        }
        if (eio_conn_on_text(c, rec, rlen) != SYNC_OK)
            break;
    }
    buf_free(&pss->body);
    eio_poll_answer_small(wsi, 200, "text/html", "ok", 2, 0);
}

static void on_http_closed(struct lws *wsi, struct pss *pss)
{
    struct eio_conn *c = pss->conn;

    if (c) {
        if (c->get == wsi)
            c->get = NULL;
        if (c->post == wsi)
            c->post = NULL;
    }
    pss->conn = NULL;
    resp_clear(&pss->resp);
    buf_free(&pss->body);
}

int eio_poll_callback(struct lws *wsi, enum lws_callback_reasons reason, struct pss *pss,
                  void *in, size_t len)
{
    struct sio_server *srv = srv_of(wsi);

    switch (reason) {
    case LWS_CALLBACK_HTTP:
        return on_http(srv, wsi, pss);
    case LWS_CALLBACK_HTTP_BODY:
        on_body(wsi, pss, in, len);
        return 0;
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        on_body_done(wsi, pss);
        return 0;
    case LWS_CALLBACK_HTTP_WRITEABLE:
        return resp_write(srv, wsi, pss);
    case LWS_CALLBACK_CLOSED_HTTP:
        if (pss && pss->kind == PSS_HTTP)   /* no pss: closed before a request */
            on_http_closed(wsi, pss);
        return 0;
    default:
        return 0;
    }
}
