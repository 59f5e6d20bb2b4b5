/* server.c - the lws context, the one protocol callback that serves both
 * polling HTTP and WebSocket (PITFALLS 1), wake-ups, the deferred frees,
 * namespaces and the server's life. */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "internal.h"
#include "limits.h"

#define RX_BUF_SIZE   (64 * 1024)      /* per service thread, PITFALLS 8 */
#define RX_CONN_BUF_SIZE 4096           /* per connection */
#define DEFAULT_PATH  "/socket.io/"

void sio_config_defaults(struct sio_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->port = 3000;
    cfg->path = DEFAULT_PATH;
    cfg->max_payload = SYNC_MAX_PAYLOAD_DEFAULT;
    cfg->preauth_max = SYNC_PREAUTH_MAX;
    cfg->send_queue_max = SYNC_SEND_QUEUE_MAX;
    cfg->ping_interval_ms = 25000;
    cfg->ping_timeout_ms = 20000;
    cfg->connect_timeout_ms = 45000;
    cfg->upgrade_timeout_ms = 10000;
}

/* ----- deferred frees ----- */

void sio_srv_enter(struct sio_server *srv)
{
    srv->depth++;
}

void sio_srv_leave(struct sio_server *srv)
{
    struct sio_socket *s;
    struct eio_conn *c;

    if (--srv->depth > 0)
        return;
    while (srv->dead_sockets || srv->dead_conns) {
        while ((s = srv->dead_sockets) != NULL) {
            srv->dead_sockets = s->dead_next;
            sio_sock_free(s);
        }
        while ((c = srv->dead_conns) != NULL) {
            srv->dead_conns = c->dead_next;
            eio_conn_free(c);
        }
    }
}

/* ----- lws callbacks ----- */

static void on_cancel(struct sio_server *srv)
{
    if (!atomic_exchange(&srv->wake, 0) || !srv->cfg.on_wake)
        return;
    sio_srv_enter(srv);
    srv->cfg.on_wake(srv, srv->cfg.arg);
    sio_srv_leave(srv);
}

static int sio_lws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
                            void *in, size_t len)
{
    struct sio_server *srv;
    int rc;

    switch (reason) {
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        srv = lws_context_user(lws_get_context(wsi));
        if (srv)
            on_cancel(srv);
        return 0;
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
    case LWS_CALLBACK_CONFIRM_EXTENSION_OKAY:
    case LWS_CALLBACK_ESTABLISHED:
    case LWS_CALLBACK_RECEIVE:
    case LWS_CALLBACK_SERVER_WRITEABLE:
    case LWS_CALLBACK_CLOSED:
        if (!user && reason != LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION)
            return 0;                     /* a connection that never got its state */
        srv = lws_context_user(lws_get_context(wsi));
        sio_srv_enter(srv);
        rc = eio_ws_callback(wsi, reason, user, in, len);
        sio_srv_leave(srv);
        return rc;
    case LWS_CALLBACK_HTTP:
    case LWS_CALLBACK_HTTP_BODY:
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
    case LWS_CALLBACK_HTTP_WRITEABLE:
    case LWS_CALLBACK_CLOSED_HTTP:
        if (!user)
            return reason == LWS_CALLBACK_HTTP ? -1 : 0;
        srv = lws_context_user(lws_get_context(wsi));
        sio_srv_enter(srv);
        rc = eio_poll_callback(wsi, reason, user, in, len);
        sio_srv_leave(srv);
        return rc;                        /* never the dummy: PITFALLS 3 */
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

int sio_fdw_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
                 void *in, size_t len);

static const struct lws_protocols protocols[] = {
    /* rx_buffer_size is lws's buffer per connection: the layer reassembles
     * messages itself, so a small one keeps idle sockets cheap (a 64 KiB one
     * per connection made RSS creep with every connect/disconnect cycle).
     * tx_packet_size must then be given: 0 would cap every send() at
     * rx_buffer_size and split each fragment into copied remainders. */
    { "sio", sio_lws_callback, sizeof(struct pss), RX_CONN_BUF_SIZE, 0, NULL,
      SIO_SEND_CHUNK + LWS_PRE },
    { "sio-fd", sio_fdw_callback, 0, 0, 0, NULL, 0 },
    { NULL, NULL, 0, 0, 0, NULL, 0 },
};

static const struct lws_extension extensions[] = {
    { "permessage-deflate", lws_extension_callback_pm_deflate,
      "permessage-deflate; client_no_context_takeover; client_max_window_bits" },
    { NULL, NULL, NULL },
};

/* ----- config ----- */

static char *dup_or_null(const char *s)
{
    return (s && *s) ? strdup(s) : NULL;
}

static int parse_origins(struct sio_server *srv, const char *list)
{
    const char *p = list, *comma;
    size_t n;

    if (!list || !*list)
        return SYNC_OK;
    while (*p) {
        comma = strchr(p, ',');
        n = comma ? (size_t)(comma - p) : strlen(p);
        while (n && (*p == ' ' || *p == '\t')) {
            p++;
            n--;
        }
        while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        if (n == 1 && *p == '*') {
            srv->cors_any = 1;
        } else if (n) {
            char **o = realloc(srv->origins, (srv->n_origins + 1) * sizeof(*o));
            if (!o)
                return SYNC_ENOMEM;
            srv->origins = o;
            o[srv->n_origins] = strndup(p, n);
            if (!o[srv->n_origins])
                return SYNC_ENOMEM;
            srv->n_origins++;
        }
        if (!comma)
            break;
        p = comma + 1;
    }
    return SYNC_OK;
}

static int check_config(const struct sio_config *cfg, struct sync_err *err)
{
    if (cfg->port < 0 || cfg->port > 65535)
        return sync_err_set(err, SYNC_EINVAL, "port %d out of range", cfg->port);
    if (cfg->path && (cfg->path[0] != '/' || strlen(cfg->path) > 256))
        return sync_err_set(err, SYNC_EINVAL, "path must start with '/'");
    if (!cfg->tls_cert != !cfg->tls_key)
        return sync_err_set(err, SYNC_EINVAL, "TLS needs both a certificate and a key");
    if (cfg->max_payload > ((size_t)1 << 30) || cfg->preauth_max > ((size_t)1 << 30))
        return sync_err_set(err, SYNC_EINVAL, "message limit above 1 GiB");
    if (cfg->ping_interval_ms > 3600000 || cfg->ping_timeout_ms > 3600000)
        return sync_err_set(err, SYNC_EINVAL, "ping interval/timeout above one hour");
    return SYNC_OK;
}

static void server_free(struct sio_server *srv)
{
    struct sio_nsp *n;
    unsigned i;

    while ((n = srv->nsps) != NULL) {
        srv->nsps = n->next;
        sio_nsp_rooms_free(n);
        free(n->name);
        free(n);
    }
    sio_map_free(&srv->conns);
    sio_map_free(&srv->sockets);
    sio_packet_unref(srv->pkt_ping);
    sio_packet_unref(srv->pkt_noop);
    sio_packet_unref(srv->pkt_close);
    for (i = 0; i < srv->n_origins; i++)
        free(srv->origins[i]);
    free(srv->origins);
    free(srv->host);
    free(srv->path);
    free(srv->cert);
    free(srv->key);
    free(srv->scratch);
    free(srv);
}

int sio_server_create(const struct sio_config *cfg_in, struct sio_server **out,
                      struct sync_err *err)
{
    struct lws_context_creation_info info;
    struct sio_server *srv;
    struct sio_config d;
    int rc;

    *out = NULL;
    rc = check_config(cfg_in, err);
    if (rc != SYNC_OK)
        return rc;
    srv = calloc(1, sizeof(*srv));
    if (!srv)
        return sync_err_set(err, SYNC_ENOMEM, "out of memory");
    srv->cfg = *cfg_in;
    sio_config_defaults(&d);
#define DEF(f) do { if (!srv->cfg.f) srv->cfg.f = d.f; } while (0)
    DEF(max_payload);
    DEF(preauth_max);
    DEF(send_queue_max);
    DEF(ping_interval_ms);
    DEF(ping_timeout_ms);
    DEF(connect_timeout_ms);
    DEF(upgrade_timeout_ms);
#undef DEF
    if (srv->cfg.preauth_max > srv->cfg.max_payload)
        srv->cfg.preauth_max = srv->cfg.max_payload;
    sio_map_init(&srv->conns);
    sio_map_init(&srv->sockets);
    atomic_init(&srv->wake, 0);
    srv->host = dup_or_null(cfg_in->host);
    srv->path = strdup(cfg_in->path && *cfg_in->path ? cfg_in->path : DEFAULT_PATH);
    srv->cert = dup_or_null(cfg_in->tls_cert);
    srv->key = dup_or_null(cfg_in->tls_key);
    srv->scratch = malloc(LWS_PRE + SIO_SEND_CHUNK);
    if (!srv->path || !srv->scratch || (cfg_in->host && *cfg_in->host && !srv->host) ||
        (cfg_in->tls_cert && !srv->cert) || (cfg_in->tls_key && !srv->key) ||
        parse_origins(srv, cfg_in->cors_origins) != SYNC_OK ||
        sio_pkt_new_text(&srv->pkt_ping, "2", 1) != SYNC_OK ||
        sio_pkt_new_text(&srv->pkt_noop, "6", 1) != SYNC_OK ||
        sio_pkt_new_text(&srv->pkt_close, "1", 1) != SYNC_OK) {
        server_free(srv);
        return sync_err_set(err, SYNC_ENOMEM, "out of memory");
    }
    srv->cfg.host = srv->host;
    srv->cfg.path = srv->path;
    srv->cfg.tls_cert = srv->cert;
    srv->cfg.tls_key = srv->key;
    srv->cfg.cors_origins = NULL;

    lws_set_log_level(LLL_ERR, NULL);
    memset(&info, 0, sizeof(info));
    info.port = srv->cfg.port;
    info.iface = srv->host;
    info.protocols = protocols;
    if (!srv->cfg.no_permessage_deflate)
        info.extensions = extensions;
    info.pt_serv_buf_size = RX_BUF_SIZE;
    info.options = LWS_SERVER_OPTION_VALIDATE_UTF8 | LWS_SERVER_OPTION_DISABLE_IPV6;
    if (srv->host && strchr(srv->host, ':'))
        info.options &= ~(uint64_t)LWS_SERVER_OPTION_DISABLE_IPV6;
    if (srv->cert) {
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        info.ssl_cert_filepath = srv->cert;
        info.ssl_private_key_filepath = srv->key;
    }
    info.alpn = "http/1.1";
    info.user = srv;
    info.vhost_name = "sio";
    srv->ctx = lws_create_context(&info);
    if (!srv->ctx) {
        server_free(srv);
        return sync_err_set(err, SYNC_EUNAVAIL, "cannot listen on %s:%d",
                            cfg_in->host ? cfg_in->host : "*", cfg_in->port);
    }
    srv->vh = lws_get_vhost_by_name(srv->ctx, "sio");
    *out = srv;
    return SYNC_OK;
}

int sio_server_run(struct sio_server *srv)
{
    while (!srv->stop) {
        if (lws_service(srv->ctx, 0) < 0)
            break;
    }
    return SYNC_OK;
}

int sio_server_service(struct sio_server *srv, int timeout_ms)
{
    if (srv->stop)
        return 1;
    if (lws_service(srv->ctx, timeout_ms < 0 ? -1 : 0) < 0)
        return SYNC_EUNAVAIL;
    return srv->stop ? 1 : 0;
}

void sio_server_stop(struct sio_server *srv)
{
    srv->stop = 1;
    lws_cancel_service(srv->ctx);
}

void sio_server_wake(struct sio_server *srv)
{
    atomic_store(&srv->wake, 1);
    lws_cancel_service(srv->ctx);
}

static void close_conn_cb(void *val, void *arg)
{
    struct eio_conn *c = val;

    if (c->linger)
        eio_conn_linger_end(c);
    else
        eio_conn_close(c, arg, 0);
}

void sio_server_destroy(struct sio_server *srv)
{
    if (!srv)
        return;
    srv->destroying = 1;
    sio_srv_enter(srv);
    sio_map_each(&srv->conns, close_conn_cb, "server shutting down");
    sio_srv_leave(srv);
    lws_context_destroy(srv->ctx);
    srv->ctx = NULL;
    server_free(srv);
}

int sio_server_port(const struct sio_server *srv)
{
    return srv->vh ? lws_get_vhost_listen_port(srv->vh) : srv->cfg.port;
}

void *sio_server_arg(const struct sio_server *srv)
{
    return srv->cfg.arg;
}

struct lws_context *sio_server_lws(struct sio_server *srv)
{
    return srv->ctx;
}

/* ----- namespaces ----- */

struct sio_nsp *sio_nsp_find(struct sio_server *srv, const char *name)
{
    struct sio_nsp *n;

    if (!srv || !name)
        return NULL;
    for (n = srv->nsps; n; n = n->next)
        if (strcmp(n->name, name) == 0)
            return n;
    return NULL;
}

struct sio_nsp *sio_nsp_add(struct sio_server *srv, const char *name,
                            const struct sio_nsp_ops *ops, void *arg)
{
    struct sio_nsp *n;
    size_t len, i;

    if (!srv || !name || name[0] != '/' || sio_nsp_find(srv, name))
        return NULL;
    len = strlen(name);
    if (len > SIO_NSP_MAX)
        return NULL;
    for (i = 0; i < len; i++)
        if ((unsigned char)name[i] < 0x20 || name[i] == ',' || name[i] == 0x7f)
            return NULL;
    n = calloc(1, sizeof(*n));
    if (!n)
        return NULL;
    n->name = strdup(name);
    if (!n->name) {
        free(n);
        return NULL;
    }
    n->srv = srv;
    if (ops)
        n->ops = *ops;
    n->arg = arg;
    sio_map_init(&n->rooms);
    n->next = srv->nsps;
    srv->nsps = n;
    return n;
}

const char *sio_nsp_name(const struct sio_nsp *nsp)
{
    return nsp->name;
}
