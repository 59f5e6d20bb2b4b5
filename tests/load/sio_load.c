/* sio_load.c - the Socket.IO subcommands of sio-load.
 *
 *   ack     one socket writes modified-file events of --size bytes, --inflight
 *           at a time (1: sequential), for --seconds; ack latency and rate,
 *           gateway CPU per write (--pid)
 *   fanout  --sockets receivers and one writer in one store; the writer emits
 *           --messages files of --size bytes (new path each), --inflight at a
 *           time; for each, emit -> receipt by the last receiver. Receivers
 *           0..--verify-1 check every event's content against its hash and
 *           size; every receiver checks that seq only grows. With --pid:
 *           gateway CPU per delivery and its RSS (sampled every 5 ms).
 *           --log FILE: the events of receiver 0, one per line
 *           (event path seq hash size), for the socket.io-client cross-check.
 *           --room R: against the sio layer's conformance server instead of
 *           the gateway (no database): receivers send join {room}, the writer
 *           sends to-room {room, seq, size, hash, path, content} without ack
 *           and receivers get room-message events
 *   idle    --sockets sockets connected and held --hold seconds; the gateway's
 *           RSS before and after (--pid)
 *
 * Sockets get --ready-timeout seconds (30) to connect.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sio_client.h"

#define MAX_SOCKETS    20000
#define MAX_INFLIGHT   1024
#define RSS_EVERY_US   5000

static const char *const common_opts[] = { "url", "path", "key", "seconds", "size", "inflight",
                                           "paths", "pid", "sockets", "messages", "timeout",
                                           "verify", "log", "tag", "hold", "seed", "room",
                                           "ready-timeout", "lat-file", NULL };

struct common {
    const char *url, *path, *key;
    double seconds;
    long long size, inflight, paths, sockets, messages, verify, pid;
    double timeout, hold;
    int64_t ready_us;           /* how long sockets may take to connect */
    const char *log, *tag, *room;
    const char *lat_file;       /* ack: every latency appended, µs per line */
};

static int parse_common(int argc, char **argv, struct common *o, const char *usage)
{
    struct opts op;

    opts_init(&op, argc, argv);
    o->url = opt_str(&op, "url", NULL);
    o->path = opt_str(&op, "path", "/socket.io/");
    o->key = opt_str(&op, "key", NULL);
    o->seconds = opt_double(&op, "seconds", 3, 0.1, 600);
    o->size = opt_ll(&op, "size", 1024, 0, 32 << 20);
    o->inflight = opt_ll(&op, "inflight", 1, 1, MAX_INFLIGHT);
    o->paths = opt_ll(&op, "paths", 100, 1, 1000000);
    o->sockets = opt_ll(&op, "sockets", 10, 1, MAX_SOCKETS);
    o->messages = opt_ll(&op, "messages", 100, 1, 1000000);
    o->verify = opt_ll(&op, "verify", 2, 0, MAX_SOCKETS);
    o->pid = opt_ll(&op, "pid", 0, 0, 1 << 30);
    o->timeout = opt_double(&op, "timeout", 15, 0.1, 600);
    o->hold = opt_double(&op, "hold", 1, 0, 600);
    o->ready_us = (int64_t)(opt_double(&op, "ready-timeout", 30, 0.1, 600) * 1e6);
    o->log = opt_str(&op, "log", NULL);
    o->tag = opt_str(&op, "tag", NULL);
    o->room = opt_str(&op, "room", NULL);
    o->lat_file = opt_str(&op, "lat-file", NULL);
    rng_seed((uint64_t)opt_ll(&op, "seed", now_us() ^ getpid(), 0, INT64_MAX));
    if (!opts_check(&op, common_opts) || !o->url || !o->key) {
        fprintf(stderr, "%s", usage);
        return -1;
    }
    return 0;
}

static double cpu_us(long long t0, long long t1)
{
    return t0 < 0 || t1 < 0 ? -1 : (double)(t1 - t0) / ticks_per_sec() * 1e6;
}

/* ---- ack ------------------------------------------------------------------ */

struct ack_run {
    int64_t sent[MAX_INFLIGHT * 4];
    int inflight;
    long long acks, errors;
    struct samples lat;
};

static void ack_on_ack(struct sc_ctx *x, struct sc_conn *c, uint64_t id, const char *args,
                       size_t alen)
{
    struct ack_run *a = x->ud;

    (void)c;
    samples_add(&a->lat, now_us() - a->sent[id % (MAX_INFLIGHT * 4)]);
    a->inflight--;
    a->acks++;
    if (!memmem(args, alen, "\"success\":true", 14))
        a->errors++;
}

int cmd_ack(int argc, char **argv)
{
    static const char usage[] =
        "usage: sio-load ack --url http://127.0.0.1:PORT --key KEY [--path /socket.io/]\n"
        "         [--seconds S] [--size BYTES] [--inflight N] [--paths N] [--pid GATEWAY_PID]\n"
        "         [--lat-file FILE]\n";
    struct common o;
    struct sc_ctx x;
    struct ack_run *a = NULL;
    char *content = NULL;
    long long cpu0, cpu1, n = 0;
    int64_t t0, t1, deadline;
    int rc = 1;

    if (parse_common(argc, argv, &o, usage) != 0)
        return 2;
    if (sc_init(&x, o.url, o.path, o.key, 1) != 0)
        return 2;
    a = calloc(1, sizeof *a);
    content = malloc((size_t)o.size + 1);
    if (!a || !content)
        goto out;
    x.ud = a;
    x.cb.on_ack = ack_on_ack;
    sc_wait_ready(&x, now_us() + o.ready_us);
    if (x.ready != 1) {
        fprintf(stderr, "sio-load: the socket did not connect: %s\n", x.last_error);
        printf("acks=0 errors=1 ready=0\n");
        goto out;
    }
    cpu0 = o.pid ? proc_cpu_ticks((int)o.pid) : -1;
    t0 = now_us();
    deadline = t0 + (int64_t)(o.seconds * 1e6);
    for (;;) {
        int64_t now = now_us();
        if (now < deadline) {
            while (a->inflight < o.inflight && x.c[0].state == SC_READY) {
                char head[200], tag[40];
                uint64_t id;
                int hl;
                snprintf(tag, sizeof tag, "a%lld-%016llx ", n, (unsigned long long)rng_next());
                fill_content(content, (size_t)o.size, tag);
                hl = snprintf(head, sizeof head, "{\"path\":\"ack/%lld.md\",\"content\":\"",
                              n % o.paths);
                id = sc_emit(&x, &x.c[0], "modified-file", 1, head, (size_t)hl, content,
                             (size_t)o.size, "\"}");
                a->sent[id % (MAX_INFLIGHT * 4)] = now_us();
                a->inflight++;
                n++;
            }
        } else if (a->inflight == 0 || now > deadline + (int64_t)(o.timeout * 1e6)) {
            break;
        }
        if (x.c[0].state != SC_READY)
            break;
        sc_poll(&x, 10);
    }
    t1 = now_us();
    cpu1 = o.pid ? proc_cpu_ticks((int)o.pid) : -1;
    {
        double el = (double)(t1 - t0) / 1e6;
        double cpu = cpu_us(cpu0, cpu1);
        long long lost = a->inflight;
        printf("acks=%lld errors=%lld lost=%lld inflight=%lld seconds=%.3f rate=%.1f p50_ms=%.3f "
               "p90_ms=%.3f p99_ms=%.3f cpu_us_per_op=%.1f protocol_errors=%lld\n",
               a->acks, a->errors + lost, lost, o.inflight, el, el > 0 ? a->acks / el : 0,
               samples_pct_ms(&a->lat, 50), samples_pct_ms(&a->lat, 90),
               samples_pct_ms(&a->lat, 99), cpu >= 0 && a->acks ? cpu / a->acks : -1,
               x.protocol_errors);
        rc = a->errors + lost == 0 && a->acks > 0 && x.dead == 0 ? 0 : 1;
        if (o.lat_file && samples_dump(&a->lat, o.lat_file) != 0) {
            perror(o.lat_file);
            rc = 1;
        }
        if (x.dead)
            fprintf(stderr, "sio-load: %s\n", x.last_error);
    }
out:
    if (a)
        samples_free(&a->lat);
    free(a);
    free(content);
    sc_free(&x);
    return rc;
}

/* ---- fanout --------------------------------------------------------------- */

struct fmsg {
    int64_t t_emit, t_last;
    int received;
    int done;
};

struct recv_state {
    long long last_seq;
};

struct fan_run {
    struct common *o;
    struct fmsg *m;
    long long emitted, completed, outstanding;
    long long first_open;               /* messages below it are all done */
    long long deliveries, missing, bad, other_events, order_errors;
    struct recv_state *rs;
    int nrecv;
    char prefix[96];
    size_t prefix_len;
    struct samples lat, ack_lat;
    FILE *log;
    char bad_detail[160];
};

static void fan_bad(struct fan_run *f, const char *what, int idx)
{
    f->bad++;
    if (!f->bad_detail[0])
        snprintf(f->bad_detail, sizeof f->bad_detail, "%s (socket %d)", what, idx);
}

static void fan_complete(struct fan_run *f, struct fmsg *m, int64_t now)
{
    (void)now;
    m->done = 1;
    f->outstanding--;
    f->completed++;
    if (m->received == f->nrecv)
        samples_add(&f->lat, m->t_last - m->t_emit);
    else
        f->missing += f->nrecv - m->received;
}

static void fan_on_event(struct sc_ctx *x, struct sc_conn *c, const char *name, size_t nlen,
                         const char *args, size_t alen, size_t msg_len)
{
    struct fan_run *f = x->ud;
    const char *end = args + alen;
    struct jstr path, hash, content;
    long long seq = -1, size = -1, k;
    int64_t now = now_us();
    struct fmsg *m;
    char *ke = NULL;

    (void)msg_len;
    if (c->idx >= f->nrecv)
        return;                         /* the writer: nothing expected */
    if (!((nlen == 12 && memcmp(name, "file-created", 12) == 0) ||
          (nlen == 13 && memcmp(name, "file-modified", 13) == 0) ||
          (f->o->room && nlen == 12 && memcmp(name, "room-message", 12) == 0))) {
        f->other_events++;
        return;
    }
    if (json_member(args, end, "path", &path, NULL) != 1 ||
        json_member(args, end, "seq", NULL, &seq) != 2) {
        fan_bad(f, "event without path or seq", c->idx);
        return;
    }
    if (seq <= f->rs[c->idx].last_seq)
        f->order_errors++;              /* seq must only grow for a client */
    f->rs[c->idx].last_seq = seq;
    if (path.len <= f->prefix_len || memcmp(path.p, f->prefix, f->prefix_len) != 0) {
        f->other_events++;
        return;
    }
    k = strtoll(path.p + f->prefix_len, &ke, 10);
    if (k < 0 || k >= f->emitted || !ke || *ke != '.') {
        fan_bad(f, "event for an unknown message", c->idx);
        return;
    }
    m = &f->m[k];
    if (c->idx < f->o->verify || (c->idx == 0 && f->log)) {
        char hex[65];
        int ok = json_member(args, end, "hash", &hash, NULL) == 1 &&
                 json_member(args, end, "content", &content, NULL) == 1 &&
                 json_member(args, end, "size", NULL, &size) == 2;
        if (!ok) {
            fan_bad(f, "event without hash, content or size", c->idx);
        } else {
            sha256_hex(content.p, content.len, hex);
            if (content.len != (size_t)f->o->size || size != f->o->size)
                fan_bad(f, "content of the wrong size", c->idx);
            else if (hash.len != 71 || memcmp(hash.p, "sha256:", 7) != 0 ||
                     memcmp(hash.p + 7, hex, 64) != 0)
                fan_bad(f, "content does not match its hash", c->idx);
        }
        if (c->idx == 0 && f->log)
            fprintf(f->log, "%.*s %.*s %lld %.*s %lld\n", (int)nlen, name, (int)path.len, path.p,
                    seq, ok ? (int)hash.len : 0, ok ? hash.p : "", size);
    }
    if (m->done)
        return;                         /* counted as missing already (timed out) */
    f->deliveries++;
    m->received++;
    m->t_last = now;
    if (m->received == f->nrecv)
        fan_complete(f, m, now);
}

static void fan_on_ack(struct sc_ctx *x, struct sc_conn *c, uint64_t id, const char *args,
                       size_t alen)
{
    struct fan_run *f = x->ud;

    (void)c;
    if ((long long)id < f->emitted)
        samples_add(&f->ack_lat, now_us() - f->m[id].t_emit);
    if (!memmem(args, alen, "\"success\":true", 14))
        fan_bad(f, "write not acknowledged with success", c->idx);
}

int cmd_fanout(int argc, char **argv)
{
    static const char usage[] =
        "usage: sio-load fanout --url http://127.0.0.1:PORT --key KEY [--path /socket.io/]\n"
        "         [--sockets N] [--size BYTES] [--messages M] [--seconds S] [--inflight W]\n"
        "         [--timeout S] [--verify N] [--pid GATEWAY_PID] [--log FILE] [--tag T]\n"
        "         [--room R]\n";
    struct common o;
    struct sc_ctx x;
    struct fan_run f;
    struct sc_conn *writer;
    char *content = NULL;
    long long cpu0 = -1, cpu1 = -1;
    long rss_before = -1, rss_peak = -1, rss_after = -1;
    int64_t t0, t_end, t_done, last_rss = 0, connect_t0;
    int rc = 1;

    memset(&f, 0, sizeof f);
    if (parse_common(argc, argv, &o, usage) != 0)
        return 2;
    f.o = &o;
    f.nrecv = (int)o.sockets;
    if (sc_init(&x, o.url, o.path, o.key, f.nrecv + 1) != 0)
        return 2;
    f.m = calloc((size_t)o.messages, sizeof *f.m);
    f.rs = calloc((size_t)f.nrecv, sizeof *f.rs);
    content = malloc((size_t)o.size + 1);
    if (!f.m || !f.rs || !content)
        goto out;
    for (int i = 0; i < f.nrecv; i++)
        f.rs[i].last_seq = -1;
    if (o.log) {
        f.log = fopen(o.log, "w");
        if (!f.log) {
            perror(o.log);
            goto out;
        }
    }
    snprintf(f.prefix, sizeof f.prefix, "fan/%s-%llx/", o.tag ? o.tag : "run",
             (unsigned long long)(rng_next() & 0xffffffffu));
    f.prefix_len = strlen(f.prefix);
    x.ud = &f;
    x.cb.on_event = fan_on_event;
    x.cb.on_ack = fan_on_ack;
    connect_t0 = now_us();
    sc_wait_ready(&x, connect_t0 + o.ready_us);
    writer = &x.c[f.nrecv];
    if (x.ready != x.n) {
        fprintf(stderr, "sio-load: %d of %d sockets connected: %s\n", x.ready, x.n, x.last_error);
        printf("sockets=%d ready=%d dead=%d deliveries=0 missing=%lld bad=1\n", f.nrecv, x.ready,
               x.dead, o.messages * o.sockets);
        goto out;
    }
    if (o.room) {
        char join[300];
        int jl = snprintf(join, sizeof join, "{\"room\":\"%s\"}", o.room);
        for (int i = 0; i < f.nrecv; i++)
            sc_emit(&x, &x.c[i], "join", 0, join, (size_t)jl, "", 0, NULL);
    }
    /* let the last CONNECT replies (and joins) settle before measuring */
    for (int64_t until = now_us() + 200000; now_us() < until;)
        sc_poll(&x, 20);
    rss_before = o.pid ? proc_rss_kb((int)o.pid) : -1;
    rss_peak = rss_before;
    cpu0 = o.pid ? proc_cpu_ticks((int)o.pid) : -1;
    t0 = now_us();
    t_end = t0 + (int64_t)(o.seconds * 1e6);
    t_done = t0;
    for (;;) {
        int64_t now = now_us();
        if (o.pid && now - last_rss >= RSS_EVERY_US) {
            long r = proc_rss_kb((int)o.pid);
            if (r > rss_peak)
                rss_peak = r;
            last_rss = now;
        }
        while (f.emitted < o.messages && now < t_end && f.outstanding < o.inflight &&
               writer->state == SC_READY) {
            char head[600], tag[48];
            long long k = f.emitted;
            int hl;
            snprintf(tag, sizeof tag, "m%lld-%016llx ", k, (unsigned long long)rng_next());
            fill_content(content, (size_t)o.size, tag);
            if (o.room) {
                char hex[65];
                sha256_hex(content, (size_t)o.size, hex);
                hl = snprintf(head, sizeof head, "{\"room\":\"%s\",\"seq\":%lld,\"size\":%lld,"
                              "\"hash\":\"sha256:%s\",\"path\":\"%s%lld.md\",\"content\":\"",
                              o.room, k + 1, o.size, hex, f.prefix, k);
            } else {
                hl = snprintf(head, sizeof head, "{\"path\":\"%s%lld.md\",\"content\":\"",
                              f.prefix, k);
            }
            if (hl < 0 || (size_t)hl >= sizeof head)
                break;
            f.m[k].t_emit = now_us();
            f.emitted++;
            f.outstanding++;
            sc_emit(&x, writer, o.room ? "to-room" : "modified-file", !o.room, head, (size_t)hl,
                    content, (size_t)o.size, "\"}");
            now = now_us();
        }
        /* time out messages that will not complete */
        while (f.first_open < f.emitted && f.m[f.first_open].done)
            f.first_open++;
        for (long long k = f.first_open; k < f.emitted; k++) {
            struct fmsg *m = &f.m[k];
            if (!m->done && now - m->t_emit > (int64_t)(o.timeout * 1e6))
                fan_complete(&f, m, now);
        }
        if (f.outstanding == 0 && (f.emitted >= o.messages || now >= t_end))
            break;
        if (writer->state != SC_READY && f.outstanding == 0)
            break;
        sc_poll(&x, 2);
    }
    cpu1 = o.pid ? proc_cpu_ticks((int)o.pid) : -1;
    for (long long k = 0; k < f.emitted; k++)
        if (f.m[k].t_last > t_done)
            t_done = f.m[k].t_last;
    rss_after = o.pid ? proc_rss_kb((int)o.pid) : -1;
    {
        double el = (double)(t_done - t0) / 1e6;
        double cpu = cpu_us(cpu0, cpu1);
        printf("sockets=%d size=%lld inflight=%lld messages=%lld deliveries=%lld missing=%lld "
               "bad=%lld order_errors=%lld other_events=%lld seconds=%.3f deliveries_per_s=%.0f "
               "p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f ack_p50_ms=%.3f "
               "cpu_us_per_delivery=%.3f rss_before_kb=%ld rss_peak_kb=%ld rss_after_kb=%ld "
               "rss_growth_kb=%ld dead=%d protocol_errors=%lld connect_s=%.3f\n",
               f.nrecv, o.size, o.inflight, f.emitted, f.deliveries, f.missing, f.bad,
               f.order_errors, f.other_events, el, el > 0 ? f.deliveries / el : 0,
               samples_pct_ms(&f.lat, 50), samples_pct_ms(&f.lat, 90), samples_pct_ms(&f.lat, 99),
               samples_pct_ms(&f.lat, 100), samples_pct_ms(&f.ack_lat, 50),
               cpu >= 0 && f.deliveries ? cpu / f.deliveries : -1, rss_before, rss_peak, rss_after,
               rss_peak >= 0 && rss_before >= 0 ? rss_peak - rss_before : -1, x.dead,
               x.protocol_errors, (double)(t0 - connect_t0) / 1e6);
        if (f.bad_detail[0])
            fprintf(stderr, "sio-load: first problem: %s\n", f.bad_detail);
        if (x.dead)
            fprintf(stderr, "sio-load: %d sockets died: %s\n", x.dead, x.last_error);
        rc = f.missing == 0 && f.bad == 0 && f.order_errors == 0 && x.dead == 0 &&
             f.deliveries > 0 ? 0 : 1;
    }
out:
    if (f.log)
        fclose(f.log);
    samples_free(&f.lat);
    samples_free(&f.ack_lat);
    free(f.m);
    free(f.rs);
    free(content);
    sc_free(&x);
    return rc;
}

/* ---- idle ----------------------------------------------------------------- */

int cmd_idle(int argc, char **argv)
{
    static const char usage[] =
        "usage: sio-load idle --url http://127.0.0.1:PORT --key KEY [--path /socket.io/]\n"
        "         [--sockets N] [--hold S] [--pid GATEWAY_PID]\n";
    struct common o;
    struct sc_ctx x;
    long before, after;
    int64_t t0, t_ready;
    int rc;

    if (parse_common(argc, argv, &o, usage) != 0)
        return 2;
    if (sc_init(&x, o.url, o.path, o.key, (int)o.sockets) != 0)
        return 2;
    before = o.pid ? proc_rss_kb((int)o.pid) : -1;
    t0 = now_us();
    sc_wait_ready(&x, t0 + o.ready_us);
    t_ready = now_us();
    for (int64_t until = now_us() + (int64_t)(o.hold * 1e6); now_us() < until;)
        sc_poll(&x, 50);
    after = o.pid ? proc_rss_kb((int)o.pid) : -1;
    printf("sockets=%lld connected=%d dead=%d connect_s=%.3f rss_before_kb=%ld rss_after_kb=%ld "
           "delta_kb=%ld per_socket_kb=%.2f protocol_errors=%lld\n",
           o.sockets, x.ready, x.dead, (double)(t_ready - t0) / 1e6, before, after,
           before >= 0 && after >= 0 ? after - before : -1,
           before >= 0 && after >= 0 && x.ready ? (double)(after - before) / x.ready : -1,
           x.protocol_errors);
    if (x.dead)
        fprintf(stderr, "sio-load: %d sockets died: %s\n", x.dead, x.last_error);
    rc = x.ready == (int)o.sockets ? 0 : 1;
    sc_free(&x);
    return rc;
}
