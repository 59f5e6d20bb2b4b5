/* test_sio_server.c - the server API as the gateway uses it, driven from
 * one thread: a server on a free loopback port, serviced between the steps
 * of a tiny HTTP long-polling client (no framing needed). Covers async
 * accept/refuse, events and acks both ways, rooms with exclude and filter,
 * the send-queue bound, disconnects, lookups by serial, timers, wake-ups
 * from another thread, adopted fds and the destroy sequence. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cutest.h"
#include "err.h"
#include "sio/sio_server.h"

#define RESP_MAX 65536

/* ----- what the callbacks saw ----- */

static struct {
    struct sio_socket *pending[64];
    int n_pending;
    char last_event[64];
    char last_args[256];
    int last_has_ack;
    unsigned long long last_ack;
    int events;
    char disc_reason[64];
    int disconnects;
    int acks;
    char ack_args[128];
    int ack_null;
    int wakes;
    int timer_runs;
    int fd_reads, fd_closed;
} seen;

static struct sio_server *srv;
static struct sio_nsp *root;

static void on_connect(struct sio_socket *s, const struct sio_connect_info *ci, void *arg)
{
    (void)ci;
    (void)arg;
    if (seen.n_pending < 64)
        seen.pending[seen.n_pending++] = s;    /* answered later, as a worker would */
}

static void on_event(struct sio_socket *s, const struct sio_event *ev, void *arg)
{
    size_t n;
    const char *t;

    (void)s;
    (void)arg;
    seen.events++;
    snprintf(seen.last_event, sizeof(seen.last_event), "%s", ev->name);
    t = json_object_to_json_string_length(ev->args, JSON_C_TO_STRING_PLAIN, &n);
    snprintf(seen.last_args, sizeof(seen.last_args), "%s", t);
    seen.last_has_ack = ev->has_ack;
    seen.last_ack = (unsigned long long)ev->ack_id;
}

static void on_disconnect(struct sio_socket *s, const char *reason, void *arg)
{
    (void)s;
    (void)arg;
    seen.disconnects++;
    snprintf(seen.disc_reason, sizeof(seen.disc_reason), "%s", reason);
}

static void on_wake(struct sio_server *sv, void *arg)
{
    (void)sv;
    (void)arg;
    seen.wakes++;
}

/* ----- a polling client on the same thread ----- */

static void service_ms(int ms)
{
    struct timespec ts = { 0, 1000000 };
    int i;

    for (i = 0; i < ms; i++) {
        sio_server_service(srv, -1);
        nanosleep(&ts, NULL);
    }
}

/* One HTTP request; returns the status and copies the body into out. */
static int http(const char *method, const char *query, const char *body, char *out, size_t cap)
{
    struct sockaddr_in a;
    char req[2048], resp[RESP_MAX];
    size_t rl = 0, sent = 0, reqlen;
    int fd, status = -1, i;
    ssize_t n;
    char *hdr_end;

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)sio_server_port(srv));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    fcntl(fd, F_SETFL, O_NONBLOCK);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    n = snprintf(req, sizeof(req),
                 "%s /socket.io/?%s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                 "Content-Length: %zu\r\n\r\n%s",
                 method, query, body ? strlen(body) : 0, body ? body : "");
    reqlen = (size_t)n;
    for (i = 0; i < 5000; i++) {           /* at most ~5 s */
        sio_server_service(srv, -1);
        if (sent < reqlen) {
            n = send(fd, req + sent, reqlen - sent, MSG_NOSIGNAL);
            if (n > 0)
                sent += (size_t)n;
        }
        n = recv(fd, resp + rl, sizeof(resp) - 1 - rl, 0);
        if (n == 0)
            break;
        if (n > 0)
            rl += (size_t)n;
        else
            poll(NULL, 0, 1);
    }
    close(fd);
    resp[rl] = '\0';
    if (rl > 12 && strncmp(resp, "HTTP/1.1 ", 9) == 0)
        status = (int)strtol(resp + 9, NULL, 10);
    hdr_end = strstr(resp, "\r\n\r\n");
    if (out && cap) {
        snprintf(out, cap, "%s", hdr_end ? hdr_end + 4 : "");
    }
    return status;
}

struct client {
    char sid[32];
    char q[96];
};

static int open_session(struct client *c)
{
    char body[512], *p;

    if (http("GET", "apiKey=k_1&EIO=4&transport=polling", NULL, body, sizeof(body)) != 200)
        return -1;
    p = strstr(body, "\"sid\":\"");
    if (!p || body[0] != '0')
        return -1;
    snprintf(c->sid, sizeof(c->sid), "%.20s", p + 7);
    snprintf(c->q, sizeof(c->q), "EIO=4&transport=polling&sid=%s&apiKey=k_1", c->sid);
    return 0;
}

static int post(struct client *c, const char *body)
{
    char out[64];

    return http("POST", c->q, body, out, sizeof(out));
}

/* A GET that the server answers at once because something is queued. */
static int get(struct client *c, char *out, size_t cap)
{
    return http("GET", c->q, NULL, out, cap);
}

/* Opens a session and joins "/", leaving the socket pending in seen. */
static struct sio_socket *join_pending(struct client *c)
{
    int before = seen.n_pending;

    if (open_session(c) != 0 || post(c, "40{\"token\":\"t\"}") != 200)
        return NULL;
    service_ms(5);
    return seen.n_pending == before + 1 ? seen.pending[before] : NULL;
}

static struct sio_socket *join(struct client *c)
{
    char body[256];
    struct sio_socket *s = join_pending(c);

    if (!s || sio_accept(s) != SYNC_OK)
        return NULL;
    if (get(c, body, sizeof(body)) != 200 || strncmp(body, "40{\"sid\":\"", 10) != 0)
        return NULL;
    return s;
}

/* ----- suite set-up ----- */

static int suite_init(void)
{
    static const struct sio_nsp_ops ops = { on_connect, on_event, on_disconnect };
    struct sync_err err = { 0 };
    struct sio_config cfg;

    sio_config_defaults(&cfg);
    cfg.host = "127.0.0.1";
    cfg.port = 0;
    cfg.send_queue_max = 4096;
    cfg.on_wake = on_wake;
    cfg.no_permessage_deflate = 1;
    if (sio_server_create(&cfg, &srv, &err) != SYNC_OK) {
        fprintf(stderr, "sio_server_create: %s\n", err.msg);
        return -1;
    }
    root = sio_nsp_add(srv, "/", &ops, NULL);
    return root ? 0 : -1;
}

static int suite_clean(void)
{
    int before = seen.disconnects;

    sio_server_destroy(srv);
    srv = NULL;
    /* sockets still open got their on_disconnect */
    return seen.disconnects > before ? 0 : -1;
}

/* ----- tests ----- */

static void test_config_and_namespaces(void)
{
    struct sio_config cfg;
    struct sio_server *bad = NULL;

    sio_config_defaults(&cfg);
    CU_ASSERT_EQUAL(cfg.port, 3000);
    CU_ASSERT_EQUAL(cfg.ping_interval_ms, 25000);
    CU_ASSERT_EQUAL(cfg.max_payload, 32u * 1024 * 1024);
    cfg.port = 70000;
    CU_ASSERT_EQUAL(sio_server_create(&cfg, &bad, NULL), SYNC_EINVAL);
    cfg.port = 0;
    cfg.tls_cert = "cert.pem";
    CU_ASSERT_EQUAL(sio_server_create(&cfg, &bad, NULL), SYNC_EINVAL);
    cfg.tls_cert = NULL;
    cfg.path = "socket.io";
    CU_ASSERT_EQUAL(sio_server_create(&cfg, &bad, NULL), SYNC_EINVAL);
    CU_ASSERT_PTR_NULL(bad);

    CU_ASSERT(sio_server_port(srv) > 0);
    CU_ASSERT_PTR_NOT_NULL(sio_server_lws(srv));
    CU_ASSERT_PTR_NULL(sio_nsp_add(srv, "/", NULL, NULL));          /* duplicate */
    CU_ASSERT_PTR_NULL(sio_nsp_add(srv, "admin", NULL, NULL));
    CU_ASSERT_PTR_NULL(sio_nsp_add(srv, "/a,b", NULL, NULL));
    CU_ASSERT_PTR_EQUAL(sio_nsp_find(srv, "/"), root);
    CU_ASSERT_STRING_EQUAL(sio_nsp_name(root), "/");
    CU_ASSERT_PTR_NULL(sio_nsp_find(srv, "/nope"));
    CU_ASSERT_PTR_NULL(sio_socket_lookup(srv, 987654321));
    CU_ASSERT_EQUAL(sio_room_size(root, "empty"), 0);
}

static void test_accept_events_acks(void)
{
    struct client c;
    struct sio_socket *s = join_pending(&c);
    struct json_object *args;
    char body[512];
    uint64_t serial;

    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_FALSE(sio_socket_accepted(s));
    CU_ASSERT(sio_socket_query(s, "apiKey") && strcmp(sio_socket_query(s, "apiKey"), "k_1") == 0);
    CU_ASSERT_PTR_NULL(sio_socket_query(s, "nope"));
    CU_ASSERT_STRING_EQUAL(sio_socket_transport(s), "polling");
    CU_ASSERT_STRING_EQUAL(sio_socket_peer(s), "127.0.0.1");
    CU_ASSERT_EQUAL(sio_emit(s, "early", NULL), SYNC_EINVAL);     /* not accepted yet */
    CU_ASSERT_EQUAL(sio_join(s, "r"), SYNC_EINVAL);
    serial = sio_socket_serial(s);
    CU_ASSERT_PTR_EQUAL(sio_socket_lookup(srv, serial), s);

    /* accepted later, as after a worker's answer */
    CU_ASSERT_EQUAL_FATAL(sio_accept(s), SYNC_OK);
    CU_ASSERT_EQUAL(sio_accept(s), SYNC_EINVAL);
    CU_ASSERT_EQUAL(get(&c, body, sizeof(body)), 200);
    CU_ASSERT(strncmp(body, "40{\"sid\":\"", 10) == 0 && strstr(body, sio_socket_id(s)));

    CU_ASSERT_EQUAL(post(&c, "4217[\"modified-file\",{\"path\":\"a/b.md\"},2]"), 200);
    CU_ASSERT_EQUAL(seen.events, 1);
    CU_ASSERT_STRING_EQUAL(seen.last_event, "modified-file");
    CU_ASSERT_STRING_EQUAL(seen.last_args, "[{\"path\":\"a\\/b.md\"},2]");
    CU_ASSERT(seen.last_has_ack && seen.last_ack == 17);

    args = json_object_new_array();
    json_object_array_add(args, json_object_new_string("ok/1"));
    CU_ASSERT_EQUAL(sio_ack(s, 17, args), SYNC_OK);
    CU_ASSERT_EQUAL(sio_emit(s, "note", args), SYNC_OK);
    json_object_put(args);
    CU_ASSERT_EQUAL(get(&c, body, sizeof(body)), 200);
    CU_ASSERT_STRING_EQUAL(body, "4317[\"ok/1\"]\x1e" "42[\"note\",\"ok/1\"]");

    CU_ASSERT_EQUAL(post(&c, "41"), 200);
    CU_ASSERT_STRING_EQUAL(seen.disc_reason, "client namespace disconnect");
    CU_ASSERT_PTR_NULL(sio_socket_lookup(srv, serial));
}

static void on_ack(struct sio_socket *s, struct json_object *args, void *arg)
{
    size_t n;

    (void)s;
    (void)arg;
    if (!args) {
        seen.ack_null++;
        return;
    }
    seen.acks++;
    snprintf(seen.ack_args, sizeof(seen.ack_args), "%s",
             json_object_to_json_string_length(args, JSON_C_TO_STRING_PLAIN, &n));
}

static void test_server_asks_for_acks(void)
{
    struct client c;
    struct sio_socket *s = join(&c);
    char body[512];

    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(sio_emit_with_ack(s, "question", NULL, on_ack, NULL), SYNC_OK);
    CU_ASSERT_EQUAL(sio_emit_with_ack(s, "question2", NULL, on_ack, NULL), SYNC_OK);
    CU_ASSERT_EQUAL(get(&c, body, sizeof(body)), 200);
    CU_ASSERT_STRING_EQUAL(body, "420[\"question\"]\x1e" "421[\"question2\"]");
    CU_ASSERT_EQUAL(post(&c, "430[{\"a\":1}]"), 200);
    CU_ASSERT_EQUAL(seen.acks, 1);
    CU_ASSERT_STRING_EQUAL(seen.ack_args, "[{\"a\":1}]");
    CU_ASSERT_EQUAL(post(&c, "439[]"), 200);                    /* unknown id: ignored */
    CU_ASSERT_EQUAL(seen.acks, 1);
    /* the pending one is failed when the socket goes */
    sio_disconnect(s, SIO_CLOSE_NAMESPACE);
    CU_ASSERT_EQUAL(seen.ack_null, 1);
    CU_ASSERT_STRING_EQUAL(seen.disc_reason, "server namespace disconnect");
    CU_ASSERT_EQUAL(get(&c, body, sizeof(body)), 200);
    CU_ASSERT_STRING_EQUAL(body, "41");
}

static void test_odd_namespace(void)
{
    static const struct sio_nsp_ops ops = { on_connect, on_event, on_disconnect };
    struct sio_nsp *odd = sio_nsp_add(srv, "/a[b", &ops, NULL);
    struct sio_socket *s;
    struct client c;
    char body[256];

    CU_ASSERT_PTR_NOT_NULL_FATAL(odd);
    CU_ASSERT_EQUAL_FATAL(open_session(&c), 0);
    CU_ASSERT_EQUAL(post(&c, "40/a[b,"), 200);
    service_ms(5);
    s = seen.pending[seen.n_pending - 1];
    CU_ASSERT_PTR_EQUAL_FATAL(sio_socket_nsp(s), odd);
    CU_ASSERT_EQUAL(sio_accept(s), SYNC_OK);
    CU_ASSERT_EQUAL(sio_emit_with_ack(s, "q", NULL, on_ack, NULL), SYNC_OK);
    CU_ASSERT_EQUAL(get(&c, body, sizeof(body)), 200);
    CU_ASSERT(strstr(body, "\x1e" "42/a[b,0[\"q\"]") != NULL);
    /* a namespace nobody registered */
    CU_ASSERT_EQUAL(post(&c, "40/zz,"), 200);
    CU_ASSERT_EQUAL(get(&c, body, sizeof(body)), 200);
    CU_ASSERT_STRING_EQUAL(body, "44/zz,{\"message\":\"Invalid namespace\"}");
    sio_disconnect(s, SIO_CLOSE_TRANSPORT);
    CU_ASSERT_EQUAL(seen.ack_null, 2);                         /* its pending ack failed */
}

static void test_refuse(void)
{
    struct client c;
    struct sio_socket *s = join_pending(&c);
    char body[512];
    uint64_t serial;
    int disc = seen.disconnects;

    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    serial = sio_socket_serial(s);
    CU_ASSERT_EQUAL(sio_refuse(s, "UNAVAILABLE", "{\"retryAfterMs\":5000}"), SYNC_OK);
    CU_ASSERT_PTR_NULL(sio_socket_lookup(srv, serial));
    CU_ASSERT_EQUAL(seen.disconnects, disc);                    /* no on_disconnect */
    CU_ASSERT_EQUAL(get(&c, body, sizeof(body)), 200);
    CU_ASSERT_STRING_EQUAL(body, "44{\"message\":\"UNAVAILABLE\",\"data\":{\"retryAfterMs\":5000}}");
    /* the connection stays: the client may CONNECT again */
    CU_ASSERT_EQUAL(post(&c, "40"), 200);
    service_ms(5);
    CU_ASSERT_FATAL(seen.n_pending > 0 && seen.pending[seen.n_pending - 1] != s);
    s = seen.pending[seen.n_pending - 1];
    CU_ASSERT_EQUAL(sio_refuse(s, "INVALID_KEY", NULL), SYNC_OK);
    CU_ASSERT_EQUAL(get(&c, body, sizeof(body)), 200);
    CU_ASSERT_STRING_EQUAL(body, "44{\"message\":\"INVALID_KEY\"}");
}

static int only_tagged(struct sio_socket *s, void *arg)
{
    return sio_socket_user(s) == arg;
}

static int count_members(struct sio_socket *s, void *arg)
{
    (void)s;
    (*(int *)arg)++;
    return 0;
}

static void test_rooms_and_broadcast(void)
{
    static int tag;
    struct client ca, cb, cc;
    struct sio_socket *a = join(&ca), *b = join(&cb), *c = join(&cc);
    struct sio_packet *p = NULL;
    char body[512];
    int n = 0;

    CU_ASSERT_FATAL(a && b && c);
    CU_ASSERT_EQUAL(sio_join(a, "store:1"), SYNC_OK);
    CU_ASSERT_EQUAL(sio_join(a, "store:1"), SYNC_OK);           /* twice: once */
    CU_ASSERT_EQUAL(sio_join(b, "store:1"), SYNC_OK);
    CU_ASSERT_EQUAL(sio_join(c, "store:1"), SYNC_OK);
    CU_ASSERT_EQUAL(sio_room_size(root, "store:1"), 3);
    CU_ASSERT(sio_in_room(b, "store:1"));
    CU_ASSERT_FALSE(sio_in_room(b, "store:2"));
    CU_ASSERT_EQUAL(sio_room_foreach(root, "store:1", count_members, &n), 0);
    CU_ASSERT_EQUAL(n, 3);

    sio_socket_set_user(b, &tag);
    sio_socket_set_user(c, &tag);
    CU_ASSERT_EQUAL_FATAL(sio_packet_new_event(&p, "/", "file-deleted", NULL), SYNC_OK);
    /* everyone tagged except c: only b */
    CU_ASSERT_EQUAL(sio_broadcast(root, "store:1", p, c, only_tagged, &tag), 1);
    /* everyone except a */
    CU_ASSERT_EQUAL(sio_broadcast(root, "store:1", p, a, NULL, NULL), 2);
    sio_packet_unref(p);
    CU_ASSERT_EQUAL(get(&cb, body, sizeof(body)), 200);
    CU_ASSERT_STRING_EQUAL(body, "42[\"file-deleted\"]\x1e" "42[\"file-deleted\"]");
    CU_ASSERT_EQUAL(get(&cc, body, sizeof(body)), 200);
    CU_ASSERT_STRING_EQUAL(body, "42[\"file-deleted\"]");

    CU_ASSERT_EQUAL(sio_leave(b, "store:1"), SYNC_OK);
    CU_ASSERT_EQUAL(sio_room_size(root, "store:1"), 2);
    sio_disconnect(c, SIO_CLOSE_TRANSPORT);                      /* the whole connection */
    CU_ASSERT_EQUAL(sio_room_size(root, "store:1"), 1);
    sio_disconnect(a, SIO_CLOSE_NAMESPACE);
    CU_ASSERT_EQUAL(sio_room_size(root, "store:1"), 0);
    sio_disconnect(b, SIO_CLOSE_NAMESPACE);
    service_ms(5);
}

static int disconnect_visited(struct sio_socket *s, void *arg)
{
    (void)arg;
    sio_disconnect(s, SIO_CLOSE_NAMESPACE);      /* allowed during a walk */
    return 0;
}

static void test_disconnect_during_walk(void)
{
    struct client ca, cb;
    struct sio_socket *a = join(&ca), *b = join(&cb);
    int disc = seen.disconnects;

    CU_ASSERT_FATAL(a && b);
    sio_join(a, "walk");
    sio_join(b, "walk");
    CU_ASSERT_EQUAL(sio_room_foreach(root, "walk", disconnect_visited, NULL), 0);
    CU_ASSERT_EQUAL(seen.disconnects, disc + 2);
    CU_ASSERT_EQUAL(sio_room_size(root, "walk"), 0);
    service_ms(5);
}

static void test_send_queue_bound(void)
{
    struct client c;
    struct sio_socket *s = join(&c);
    struct sio_packet *p = NULL;
    char big[1500];
    uint64_t serial;
    int i, rc = SYNC_OK;

    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    serial = sio_socket_serial(s);
    memset(big, 'x', sizeof(big));
    big[0] = '[';
    big[1] = '"';
    big[sizeof(big) - 2] = '"';
    big[sizeof(big) - 1] = ']';
    CU_ASSERT_EQUAL_FATAL(sio_packet_new(&p, SIO_EVENT, NULL, -1, big, sizeof(big), NULL, 0),
                          SYNC_OK);
    for (i = 0; i < 10 && rc == SYNC_OK; i++)
        rc = sio_send(s, p);                     /* nobody polls: it piles up */
    sio_packet_unref(p);
    CU_ASSERT_EQUAL(rc, SYNC_ETOOBIG);
    CU_ASSERT(sio_socket_queued(s) <= 4096);
    CU_ASSERT_PTR_EQUAL(sio_socket_lookup(srv, serial), s);   /* closed from the loop, later */
    service_ms(5);
    CU_ASSERT_PTR_NULL(sio_socket_lookup(srv, serial));
    CU_ASSERT_STRING_EQUAL(seen.disc_reason, "send queue full");
}

static void timer_cb(struct sio_timer *t, void *arg)
{
    (void)arg;
    if (++seen.timer_runs == 3)
        sio_timer_stop(t);
}

static void test_timers(void)
{
    struct sio_timer *t = sio_timer_new(srv, timer_cb, NULL);

    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    sio_timer_start(t, 1, 2);
    service_ms(60);
    CU_ASSERT_EQUAL(seen.timer_runs, 3);
    sio_timer_start(t, 1, 0);                    /* once */
    service_ms(20);
    CU_ASSERT_EQUAL(seen.timer_runs, 4);
    sio_timer_free(t);
    sio_timer_free(NULL);
}

static void *waker(void *arg)
{
    int i;

    (void)arg;
    for (i = 0; i < 5; i++)
        sio_server_wake(srv);                    /* from another thread */
    return NULL;
}

static void test_wake_from_a_thread(void)
{
    pthread_t th;

    seen.wakes = 0;
    CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, waker, NULL), 0);
    pthread_join(th, NULL);
    service_ms(20);
    CU_ASSERT(seen.wakes >= 1 && seen.wakes <= 5);   /* wake-ups coalesce */
}

static void fd_cb(struct sio_fdw *w, int events, void *arg)
{
    char buf[16];
    int fd = *(int *)arg;

    (void)w;
    if (events & SIO_FD_READ) {
        seen.fd_reads++;
        if (read(fd, buf, sizeof(buf)) <= 0)
            seen.fd_reads += 100;
    }
    if (events & SIO_FD_CLOSED)
        seen.fd_closed++;
}

static void test_adopted_fd(void)
{
    static int rfd;
    struct sio_fdw *w;
    int p[2];

    CU_ASSERT_EQUAL_FATAL(pipe(p), 0);
    rfd = p[0];
    w = sio_fd_adopt(srv, p[0], fd_cb, &rfd);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    service_ms(5);
    CU_ASSERT_EQUAL(seen.fd_reads, 0);
    CU_ASSERT_EQUAL(write(p[1], "n", 1), 1);
    service_ms(10);
    CU_ASSERT_EQUAL(seen.fd_reads, 1);
    sio_fd_close(w);
    service_ms(10);
    CU_ASSERT_EQUAL(seen.fd_closed, 1);
    close(p[1]);
    CU_ASSERT_PTR_NULL(sio_fd_adopt(srv, -1, fd_cb, NULL));
}

static void test_leaves_open_sockets_for_destroy(void)
{
    struct client c;

    CU_ASSERT_PTR_NOT_NULL(join(&c));            /* suite_clean checks its on_disconnect */
}

int main(void)
{
    static CU_TestInfo tests[] = {
        { "config checks and namespaces", test_config_and_namespaces },
        { "asynchronous accept, events, acks", test_accept_events_acks },
        { "server-side acks, failed when the socket goes", test_server_asks_for_acks },
        { "refusal with a CONNECT_ERROR object", test_refuse },
        { "namespace names with odd characters", test_odd_namespace },
        { "rooms, broadcast with exclude and filter", test_rooms_and_broadcast },
        { "disconnecting inside a room walk", test_disconnect_during_walk },
        { "the send-queue bound closes the connection", test_send_queue_bound },
        { "timers", test_timers },
        { "wake-ups from another thread", test_wake_from_a_thread },
        { "adopted file descriptors", test_adopted_fd },
        { "destroy ends the sockets still open", test_leaves_open_sockets_for_destroy },
        CU_TEST_INFO_NULL,
    };
    static CU_SuiteInfo suites[] = {
        { "sio server", suite_init, suite_clean, NULL, NULL, tests },
        CU_SUITE_INFO_NULL,
    };

    return cutest_run(suites);
}
