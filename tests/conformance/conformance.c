/* conformance.c - the peer of the upstream Socket.IO protocol test-suite
 * (socketio/socket.io-protocol, test-suite/) on the sio layer, plus a few
 * extra namespaces and events that tests/node/protocol.test.mjs uses.
 *
 *   build/conformance-server [--host H] [--port N] [--max-payload BYTES]
 *       [--ping-interval MS] [--ping-timeout MS] [--connect-timeout MS]
 *       [--cors ORIGINS] [--tls-cert PEM --tls-key PEM] [--no-deflate]
 *
 * Defaults are the suite's: 127.0.0.1:3000, pingInterval 300, pingTimeout
 * 200, maxPayload 1000000, connectTimeout 1000.
 *
 * "/"        emits "auth" with the CONNECT auth, echoes "message" as
 *            "message-back", acks "message-with-ack" with its arguments
 *            (binary included); extras: "join" {room}, "to-room" {room, ...}
 *            broadcast to the room except the sender, "server-disconnect",
 *            "ask" (the server asks the client for an ack and reports it
 *            as "asked"), "queued" (acks the connection's unsent bytes).
 * "/custom"  emits "auth" with the CONNECT auth.
 * "/secure"  accepts only auth {"token":"good"} or query apiKey=good,
 *            decided on a worker thread (asynchronous accept/refuse);
 *            otherwise CONNECT_ERROR {"message":"INVALID_KEY"}.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "err.h"
#include "sio/sio_server.h"

static struct sio_server *g_srv;

static void on_signal(int sig)
{
    (void)sig;
    if (g_srv)
        sio_server_stop(g_srv);
}

/* ----- "/" and "/custom" ----- */

static void emit_auth(struct sio_socket *s, const struct sio_connect_info *ci)
{
    struct json_object *args = json_object_new_array();

    if (!args)
        return;
    if (ci->auth)
        json_object_array_add(args, json_object_get(ci->auth));
    else
        json_object_array_add(args, json_object_new_object());
    sio_emit(s, "auth", args);
    json_object_put(args);
}

static void main_connect(struct sio_socket *s, const struct sio_connect_info *ci, void *arg)
{
    (void)arg;
    if (sio_accept(s) == SYNC_OK)
        emit_auth(s, ci);
}

static const char *json_text(struct json_object *o, size_t *len)
{
    return json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN |
                                                    JSON_C_TO_STRING_NOSLASHESCAPE, len);
}

/* EVENT [name, ...args] keeping the attachments. */
static int send_event(struct sio_socket *s, const char *name, struct json_object *args,
                      const struct sio_bin *bin, unsigned n_bin)
{
    struct json_object *arr = json_object_new_array();
    struct sio_packet *p = NULL;
    const char *txt;
    size_t i, n, len;
    int rc = SYNC_ENOMEM;

    if (!arr)
        return rc;
    json_object_array_add(arr, json_object_new_string(name));
    n = args ? json_object_array_length(args) : 0;
    for (i = 0; i < n; i++)
        json_object_array_add(arr, json_object_get(json_object_array_get_idx(args, i)));
    txt = json_text(arr, &len);
    rc = sio_packet_new(&p, SIO_EVENT, sio_nsp_name(sio_socket_nsp(s)), -1, txt, len, bin, n_bin);
    if (rc == SYNC_OK)
        rc = sio_send(s, p);
    sio_packet_unref(p);
    json_object_put(arr);
    return rc;
}

static void on_asked(struct sio_socket *s, struct json_object *args, void *arg)
{
    (void)arg;
    if (args)
        send_event(s, "asked", args, NULL, 0);
}

static void main_event(struct sio_socket *s, const struct sio_event *ev, void *arg)
{
    struct json_object *first = json_object_array_length(ev->args) > 0
                                    ? json_object_array_get_idx(ev->args, 0) : NULL;
    struct json_object *room = NULL;
    const char *txt;
    size_t len;

    (void)arg;
    if (strcmp(ev->name, "message") == 0) {
        send_event(s, "message-back", ev->args, ev->bin, ev->n_bin);
    } else if (strcmp(ev->name, "message-with-ack") == 0 && ev->has_ack) {
        txt = json_text(ev->args, &len);
        sio_ack_raw(s, ev->ack_id, txt, len, ev->bin, ev->n_bin);
        return;
    } else if (strcmp(ev->name, "join") == 0 && first &&
               json_object_object_get_ex(first, "room", &room)) {
        sio_join(s, json_object_get_string(room));
    } else if (strcmp(ev->name, "to-room") == 0 && first &&
               json_object_object_get_ex(first, "room", &room)) {
        struct json_object *arr = json_object_new_array();
        struct sio_packet *p = NULL;
        json_object_array_add(arr, json_object_new_string("room-message"));
        json_object_array_add(arr, json_object_get(first));
        txt = json_text(arr, &len);
        if (sio_packet_new(&p, SIO_EVENT, "/", -1, txt, len, NULL, 0) == SYNC_OK)
            sio_broadcast(sio_socket_nsp(s), json_object_get_string(room), p, s, NULL, NULL);
        sio_packet_unref(p);
        json_object_put(arr);
    } else if (strcmp(ev->name, "server-disconnect") == 0) {
        sio_disconnect(s, SIO_CLOSE_NAMESPACE);
        return;
    } else if (strcmp(ev->name, "ask") == 0) {
        sio_emit_with_ack(s, "question", ev->args, on_asked, NULL);
    } else if (strcmp(ev->name, "queued") == 0 && ev->has_ack) {
        char buf[32];
        int n = snprintf(buf, sizeof(buf), "[%zu]", sio_socket_queued(s));
        sio_ack_raw(s, ev->ack_id, buf, (size_t)n, NULL, 0);
        return;
    }
    if (ev->has_ack)
        sio_ack(s, ev->ack_id, NULL);
}

/* ----- "/secure": accept or refuse from a worker thread's verdict ----- */

struct job {
    struct job *next;
    uint64_t serial;
    char token[64];
    int ok;
};

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct job *todo, *done;
    int quit;
} q = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, NULL, 0 };

static void *worker(void *arg)
{
    struct sio_server *srv = arg;
    struct job *j;

    pthread_mutex_lock(&q.mu);
    while (!q.quit) {
        if (!q.todo) {
            pthread_cond_wait(&q.cv, &q.mu);
            continue;
        }
        j = q.todo;
        q.todo = j->next;
        pthread_mutex_unlock(&q.mu);
        usleep(20000);                          /* "the database" */
        j->ok = strcmp(j->token, "good") == 0;
        pthread_mutex_lock(&q.mu);
        j->next = q.done;
        q.done = j;
        pthread_mutex_unlock(&q.mu);
        sio_server_wake(srv);                   /* the only call off the loop */
        pthread_mutex_lock(&q.mu);
    }
    pthread_mutex_unlock(&q.mu);
    return NULL;
}

static void secure_connect(struct sio_socket *s, const struct sio_connect_info *ci, void *arg)
{
    struct json_object *tok = NULL;
    const char *t = sio_socket_query(s, "apiKey");
    struct job *j = calloc(1, sizeof(*j));

    (void)arg;
    if (!j) {
        sio_refuse(s, "UNAVAILABLE", NULL);
        return;
    }
    if (ci->auth && json_object_object_get_ex(ci->auth, "token", &tok))
        t = json_object_get_string(tok);
    snprintf(j->token, sizeof(j->token), "%s", t ? t : "");
    j->serial = sio_socket_serial(s);
    pthread_mutex_lock(&q.mu);
    j->next = q.todo;
    q.todo = j;
    pthread_cond_signal(&q.cv);
    pthread_mutex_unlock(&q.mu);
}

static void on_wake(struct sio_server *srv, void *arg)
{
    struct job *j, *nx;
    struct sio_socket *s;

    (void)arg;
    pthread_mutex_lock(&q.mu);
    j = q.done;
    q.done = NULL;
    pthread_mutex_unlock(&q.mu);
    for (; j; j = nx) {
        nx = j->next;
        s = sio_socket_lookup(srv, j->serial);  /* NULL: it left meanwhile */
        if (s && j->ok) {
            if (sio_accept(s) == SYNC_OK)
                sio_emit(s, "welcome", NULL);
        } else if (s) {
            sio_refuse(s, "INVALID_KEY", NULL);
        }
        free(j);
    }
}

/* ----- main ----- */

static int parse_num(const char *s, unsigned long long max, unsigned long long *out)
{
    char *end;
    unsigned long long v;

    if (!s || !*s || *s == '-')
        return -1;
    v = strtoull(s, &end, 10);
    if (*end || v > max)
        return -1;
    *out = v;
    return 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: conformance-server [--host H] [--port N] [--max-payload BYTES]\n"
                    "  [--ping-interval MS] [--ping-timeout MS] [--connect-timeout MS]\n"
                    "  [--cors ORIGINS] [--tls-cert PEM --tls-key PEM] [--no-deflate]\n");
}

int main(int argc, char **argv)
{
    static const struct sio_nsp_ops main_ops = { main_connect, main_event, NULL };
    static const struct sio_nsp_ops custom_ops = { main_connect, NULL, NULL };
    static const struct sio_nsp_ops secure_ops = { secure_connect, main_event, NULL };
    struct sync_err err = { 0 };
    struct sio_config cfg;
    struct job *j;
    pthread_t th;
    unsigned long long v;
    int i, rc;

    sio_config_defaults(&cfg);
    cfg.host = "127.0.0.1";
    cfg.port = 3000;
    cfg.max_payload = 1000000;
    cfg.ping_interval_ms = 300;
    cfg.ping_timeout_ms = 200;
    cfg.connect_timeout_ms = 1000;
    cfg.on_wake = on_wake;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--no-deflate") == 0) {
            cfg.no_permessage_deflate = 1;
            continue;
        }
        if (!val) {
            usage();
            return 2;
        }
        i++;
        if (strcmp(a, "--host") == 0)
            cfg.host = val;
        else if (strcmp(a, "--cors") == 0)
            cfg.cors_origins = val;
        else if (strcmp(a, "--tls-cert") == 0)
            cfg.tls_cert = val;
        else if (strcmp(a, "--tls-key") == 0)
            cfg.tls_key = val;
        else if (parse_num(val, 1ull << 30, &v) != 0) {
            usage();
            return 2;
        } else if (strcmp(a, "--port") == 0 && v <= 65535)
            cfg.port = (int)v;
        else if (strcmp(a, "--max-payload") == 0 && v > 0)
            cfg.max_payload = (size_t)v;
        else if (strcmp(a, "--ping-interval") == 0 && v > 0)
            cfg.ping_interval_ms = (unsigned)v;
        else if (strcmp(a, "--ping-timeout") == 0 && v > 0)
            cfg.ping_timeout_ms = (unsigned)v;
        else if (strcmp(a, "--connect-timeout") == 0 && v > 0)
            cfg.connect_timeout_ms = (unsigned)v;
        else {
            usage();
            return 2;
        }
    }

    rc = sio_server_create(&cfg, &g_srv, &err);
    if (rc != SYNC_OK) {
        fprintf(stderr, "conformance-server: %s\n", err.msg);
        return 1;
    }
    if (!sio_nsp_add(g_srv, "/", &main_ops, NULL) ||
        !sio_nsp_add(g_srv, "/custom", &custom_ops, NULL) ||
        !sio_nsp_add(g_srv, "/secure", &secure_ops, NULL)) {
        fprintf(stderr, "conformance-server: cannot register namespaces\n");
        sio_server_destroy(g_srv);
        return 1;
    }
    if (pthread_create(&th, NULL, worker, g_srv) != 0) {
        fprintf(stderr, "conformance-server: cannot start the worker\n");
        sio_server_destroy(g_srv);
        return 1;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    printf("conformance-server listening on %s:%d\n", cfg.host ? cfg.host : "*",
           sio_server_port(g_srv));
    fflush(stdout);

    sio_server_run(g_srv);

    pthread_mutex_lock(&q.mu);
    q.quit = 1;
    pthread_cond_signal(&q.cv);
    pthread_mutex_unlock(&q.mu);
    pthread_join(th, NULL);
    sio_server_destroy(g_srv);
    while ((j = q.todo) != NULL) {
        q.todo = j->next;
        free(j);
    }
    while ((j = q.done) != NULL) {
        q.done = j->next;
        free(j);
    }
    return 0;
}
