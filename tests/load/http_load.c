/* http_load.c - `sio-load http MODE`: closed-loop HTTP/1.1 load against the
 * REST API through the web server, N keep-alive connections with one request
 * in flight each (no pipelining), from one epoll loop.
 *
 *   put   PUT /api/v1/files {path, content} of --size bytes; connection c
 *         writes to key (c + r * conns) % nkeys (r random), so 16 connections
 *         on 16 keys are 16 independent stores, 1 connection visits them all
 *   get   GET /api/v1/files?path=PREFIX<n>SUFFIX, n random in 1..--paths
 *   list  GET /api/v1/files?limit=L&offset=<random multiple of L below --files>
 *   sync  the plugin's initial sync: pages of --page with include_deleted=true
 *         one after another until a short page, then GET ?path= of every
 *         listed file with --inflight requests in flight; prints its seconds
 *
 * Output: one line of key=value pairs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "load.h"

#define IN_MAX       (64u << 20)
#define OUT_MAX      (64u << 20)
#define MAX_CONNS    1024
#define MAX_KEYS     256
#define MAX_RETRIES  3
#define GRACE_US     10000000           /* in-flight requests after the deadline */
#define BACKOFF_US   20000              /* a connection that failed waits this long */

enum mode { M_PUT, M_GET, M_LIST, M_SYNC };

struct hconn {
    int fd;
    int idx;
    int busy;                   /* a request is in flight */
    int connecting;
    int retries;
    int64_t t0;
    int64_t idle_until;         /* back-off after a failed connection */
    struct bytes out;           /* the request in flight (kept for a retry) */
    size_t out_sent;
    struct bytes in;
};

struct run {
    struct target tgt;
    enum mode mode;
    int nconns;
    struct hconn *c;
    int ep;
    const char *keys[MAX_KEYS];
    int nkeys;
    char *keybuf;
    long long size, paths, files, limit, page;
    const char *prefix, *suffix;
    int64_t deadline;
    int stopping;
    char *content;
    struct bytes body;          /* scratch for a PUT body */
    unsigned long long counter;
    /* results */
    struct samples lat;
    long long ok, errors, retried, bytes_in, statuses[6];
    /* sync */
    int sync_listing;           /* 1 while pages are being read */
    long long sync_offset;
    char **sync_paths;
    size_t sync_n, sync_cap, sync_next, sync_done;
    long long sync_pages;
    int sync_failed;
};

/* ---- requests ----------------------------------------------------------- */

static int finish_head(struct run *r, struct bytes *o, const char *key, size_t body_len, int has_body)
{
    if (bytes_printf(o, " HTTP/1.1\r\nHost: %s\r\nX-API-Key: %s\r\n", r->tgt.hostport, key) != 0)
        return -1;
    if (has_body &&
        bytes_printf(o, "Content-Type: application/json\r\nContent-Length: %zu\r\n", body_len) != 0)
        return -1;
    return bytes_append(o, "\r\n", 2);
}

/* Builds the next request of connection c into c->out; 1 built, 0 none now. */
static int next_request(struct run *r, struct hconn *c)
{
    struct bytes *o = &c->out;
    const char *key = r->keys[0];

    o->len = o->off = 0;
    c->out_sent = 0;
    switch (r->mode) {
    case M_PUT: {
        uint64_t pick = ((uint64_t)c->idx + rng_below((uint64_t)r->nkeys) * (uint64_t)r->nconns) %
                        (uint64_t)r->nkeys;
        char tag[48];
        int tl;
        key = r->keys[pick];
        /* every write changes the content: an equal hash would be a no-op */
        tl = snprintf(tag, sizeof tag, "w%llu-%016llx ", ++r->counter,
                      (unsigned long long)rng_next());
        memcpy(r->content, tag, (size_t)tl < (size_t)r->size ? (size_t)tl : (size_t)r->size);
        r->body.len = 0;
        if (bytes_printf(&r->body, "{\"path\":\"%s%llu%s\",\"content\":\"", r->prefix,
                         (unsigned long long)(1 + rng_below((uint64_t)r->paths)), r->suffix) ||
            bytes_append(&r->body, r->content, (size_t)r->size) ||
            bytes_append(&r->body, "\"}", 2) || bytes_printf(o, "PUT /api/v1/files") ||
            finish_head(r, o, key, r->body.len, 1) || bytes_append(o, r->body.data, r->body.len))
            return -1;
        return 1;
    }
    case M_GET:
        if (bytes_printf(o, "GET /api/v1/files?path=") ||
            url_encode(o, r->prefix, strlen(r->prefix)) ||
            bytes_printf(o, "%llu", (unsigned long long)(1 + rng_below((uint64_t)r->paths))) ||
            url_encode(o, r->suffix, strlen(r->suffix)) || finish_head(r, o, key, 0, 0))
            return -1;
        return 1;
    case M_LIST: {
        uint64_t pages = (uint64_t)(r->files / r->limit);
        if (bytes_printf(o, "GET /api/v1/files?limit=%lld&offset=%llu", r->limit,
                         (unsigned long long)(rng_below(pages ? pages : 1) * (uint64_t)r->limit)) ||
            finish_head(r, o, key, 0, 0))
            return -1;
        return 1;
    }
    case M_SYNC:
        if (r->sync_listing) {
            if (c->idx != 0)
                return 0;
            if (bytes_printf(o, "GET /api/v1/files?limit=%lld&offset=%lld&include_deleted=true",
                             r->page, r->sync_offset) ||
                finish_head(r, o, key, 0, 0))
                return -1;
            return 1;
        }
        if (r->sync_next >= r->sync_n)
            return 0;
        if (bytes_printf(o, "GET /api/v1/files?path=") ||
            bytes_append(o, r->sync_paths[r->sync_next], strlen(r->sync_paths[r->sync_next])) ||
            finish_head(r, o, key, 0, 0))
            return -1;
        r->sync_next++;
        return 1;
    }
    return 0;
}

/* ---- listing pages (sync) ----------------------------------------------- */

/* Keeps a listed path, URL-encoded, for the GET phase. Listed paths arrive
 * JSON-escaped; the benchmark's paths contain no escapes. */
static void keep_path(void *ud, const char *s, size_t n)
{
    struct run *r = ud;
    struct bytes b;

    if (r->sync_n == r->sync_cap) {
        size_t cap = r->sync_cap ? r->sync_cap * 2 : 1024;
        char **p = realloc(r->sync_paths, cap * sizeof *p);
        if (!p) {
            r->sync_failed = 1;
            return;
        }
        r->sync_paths = p;
        r->sync_cap = cap;
    }
    if (memchr(s, '\\', n))
        r->sync_failed = 1;             /* not expected in the benchmark's data */
    bytes_init(&b, 1 << 16);
    if (url_encode(&b, s, n) || bytes_append(&b, "", 1)) {
        bytes_free(&b);
        r->sync_failed = 1;
        return;
    }
    r->sync_paths[r->sync_n++] = b.data;
}

static void sync_page_done(struct run *r, int status, const char *body, size_t len)
{
    size_t got;

    if (status != 200) {
        r->sync_failed = 1;
        r->sync_listing = 0;
        r->stopping = 1;
        return;
    }
    r->sync_pages++;
    got = json_each_path(body, len, keep_path, r);
    if ((long long)got < r->page) {
        r->sync_listing = 0;
    } else {
        r->sync_offset += r->page;
    }
}

/* ---- connections -------------------------------------------------------- */

static int conn_open(struct run *r, struct hconn *c)
{
    struct epoll_event ev;

    c->fd = target_connect(&r->tgt);
    if (c->fd < 0)
        return -1;
    c->connecting = 1;
    c->in.len = c->in.off = 0;
    ev.events = EPOLLIN | EPOLLOUT;
    ev.data.ptr = c;
    if (epoll_ctl(r->ep, EPOLL_CTL_ADD, c->fd, &ev) != 0) {
        close(c->fd);
        c->fd = -1;
        return -1;
    }
    return 0;
}

static void conn_close(struct run *r, struct hconn *c)
{
    if (c->fd >= 0) {
        epoll_ctl(r->ep, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
    }
    c->fd = -1;
}

static void want_out(struct run *r, struct hconn *c, int on)
{
    struct epoll_event ev;

    ev.events = EPOLLIN | (on ? EPOLLOUT : 0u);
    ev.data.ptr = c;
    epoll_ctl(r->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static int conn_flush(struct run *r, struct hconn *c)
{
    while (c->out_sent < c->out.len) {
        ssize_t n = send(c->fd, c->out.data + c->out_sent, c->out.len - c->out_sent, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                want_out(r, c, 1);
                return 0;
            }
            if (errno == EINTR)
                continue;
            return -1;
        }
        c->out_sent += (size_t)n;
    }
    want_out(r, c, 0);
    return 0;
}

static void start_next(struct run *r, struct hconn *c)
{
    int rc;

    if (r->stopping || now_us() >= r->deadline || now_us() < c->idle_until)
        return;
    rc = next_request(r, c);
    if (rc <= 0) {
        if (rc < 0) {
            r->errors++;
            r->stopping = 1;
        }
        return;
    }
    c->busy = 1;
    c->retries = 0;
    c->t0 = now_us();
    if (c->fd < 0 && conn_open(r, c) != 0) {
        r->errors++;
        c->busy = 0;
        c->idle_until = now_us() + BACKOFF_US;
        return;
    }
    if (!c->connecting && conn_flush(r, c) != 0) {
        r->errors++;
        c->busy = 0;
        conn_close(r, c);
    }
}

/* The connection broke with a request in flight and no answer yet: resend
 * it on a new connection (a keep-alive connection closed by the server). */
static void conn_retry(struct run *r, struct hconn *c)
{
    conn_close(r, c);
    if (!c->busy)
        return;
    if (c->in.len > 0 || ++c->retries > MAX_RETRIES || conn_open(r, c) != 0) {
        r->errors++;
        c->busy = 0;
        c->idle_until = now_us() + BACKOFF_US;
        return;
    }
    r->retried++;
    c->out_sent = 0;
}

/* Parses one complete response at c->in; 1 done (status, body view, whether
 * the server closes), 0 incomplete, -1 malformed. */
static int parse_response(struct hconn *c, int *status, const char **body, size_t *blen,
                          int *closing, size_t *consumed)
{
    const char *p = c->in.data, *end = c->in.data + c->in.len;
    const char *he = memmem(p, c->in.len, "\r\n\r\n", 4);
    const char *line;
    long long clen = -1;
    int chunked = 0;

    if (!he)
        return c->in.len > (1u << 16) ? -1 : 0;
    if (c->in.len < 12 || memcmp(p, "HTTP/1.", 7) != 0)
        return -1;
    *status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
    *closing = p[7] == '0';
    line = memchr(p, '\n', (size_t)(he - p));
    while (line && line < he) {
        const char *ls = line + 1, *le = memchr(ls, '\r', (size_t)(he + 2 - ls));
        size_t ll;
        if (!le)
            break;
        ll = (size_t)(le - ls);
        if (ll > 15 && strncasecmp(ls, "Content-Length:", 15) == 0)
            clen = strtoll(ls + 15, NULL, 10);
        else if (ll > 18 && strncasecmp(ls, "Transfer-Encoding:", 18) == 0 &&
                 memmem(ls, ll, "chunked", 7))
            chunked = 1;
        else if (ll > 11 && strncasecmp(ls, "Connection:", 11) == 0)
            *closing = memmem(ls, ll, "close", 5) != NULL;
        line = memchr(ls, '\n', (size_t)(he + 2 - ls));
    }
    p = he + 4;
    if (*status == 204 || *status == 304 || (*status >= 100 && *status < 200))
        clen = 0;
    if (chunked) {
        /* the body is left in place, chunk headers included: callers only
         * scan it for members, which chunk boundaries could split; sync-api
         * answers with a Content-Length, so this path is a fallback */
        const char *q = p;
        for (;;) {
            char *ne = NULL;
            const char *crlf = memmem(q, (size_t)(end - q), "\r\n", 2);
            long long n;
            if (!crlf)
                return 0;
            n = strtoll(q, &ne, 16);
            if (ne == q || n < 0)
                return -1;
            q = crlf + 2;
            if (end - q < n + 2)
                return 0;
            q += n + 2;
            if (n == 0)
                break;
        }
        *body = p;
        *blen = (size_t)(q - p);
        *consumed = (size_t)(q - c->in.data);
        return 1;
    }
    if (clen < 0)
        return -1;                      /* read-to-close bodies are not used here */
    if (end - p < clen)
        return 0;
    *body = p;
    *blen = (size_t)clen;
    *consumed = (size_t)(p - c->in.data) + (size_t)clen;
    return 1;
}

static void on_readable(struct run *r, struct hconn *c)
{
    for (;;) {
        ssize_t n;
        int status = 0, closing = 0, rc;
        const char *body = NULL;
        size_t blen = 0, consumed = 0;

        if (bytes_reserve(&c->in, 65536) != 0) {
            r->errors++;
            c->busy = 0;
            conn_close(r, c);
            return;
        }
        n = recv(c->fd, c->in.data + c->in.len, c->in.cap - c->in.len, 0);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            if (errno == EINTR)
                continue;
            conn_retry(r, c);
            return;
        }
        if (n == 0) {
            conn_retry(r, c);
            return;
        }
        c->in.len += (size_t)n;
        r->bytes_in += n;
        rc = parse_response(c, &status, &body, &blen, &closing, &consumed);
        if (rc == 0)
            continue;
        if (rc < 0 || !c->busy) {
            r->errors++;
            c->busy = 0;
            conn_close(r, c);
            return;
        }
        samples_add(&r->lat, now_us() - c->t0);
        c->busy = 0;
        if (status >= 200 && status < 300)
            r->ok++;
        else
            r->errors++;
        if (status >= 100 && status < 600)
            r->statuses[status / 100]++;
        if (r->mode == M_SYNC) {
            if (r->sync_listing && c->idx == 0)
                sync_page_done(r, status, body, blen);
            else if (status == 200)
                r->sync_done++;
            else
                r->sync_failed = 1;
        }
        c->in.len = c->in.off = 0;      /* one request in flight: nothing follows */
        (void)consumed;
        if (closing)
            conn_close(r, c);
        return;
    }
}

static int all_idle(struct run *r)
{
    for (int i = 0; i < r->nconns; i++)
        if (r->c[i].busy)
            return 0;
    return 1;
}

static int split_keys(struct run *r, const char *list)
{
    char *p;

    r->keybuf = strdup(list);
    if (!r->keybuf)
        return -1;
    p = r->keybuf;
    while (p && *p && r->nkeys < MAX_KEYS) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        if (*p)
            r->keys[r->nkeys++] = p;
        p = comma ? comma + 1 : NULL;
    }
    return r->nkeys > 0 ? 0 : -1;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: sio-load http put|get|list|sync --url http://127.0.0.1:PORT --key KEY[,KEY...]\n"
            "         [--conns N] [--seconds S] [--size BYTES] [--paths N] [--prefix P]\n"
            "         [--suffix S] [--files N] [--limit N] [--page N] [--inflight N] [--seed N]\n"
            "         [--lat-file FILE (appends every latency in µs, one per line)]\n");
}

int cmd_http(int argc, char **argv)
{
    static const char *const known[] = { "url", "key", "conns", "seconds", "size", "paths",
                                         "prefix", "suffix", "files", "limit", "page",
                                         "inflight", "seed", "lat-file", NULL };
    struct run r;
    struct opts o;
    struct epoll_event evs[256];
    double seconds;
    int64_t t_start, t_end;
    int rc = 1;

    memset(&r, 0, sizeof r);
    r.ep = -1;
    if (argc < 1) {
        usage();
        return 2;
    }
    if (strcmp(argv[0], "put") == 0)
        r.mode = M_PUT;
    else if (strcmp(argv[0], "get") == 0)
        r.mode = M_GET;
    else if (strcmp(argv[0], "list") == 0)
        r.mode = M_LIST;
    else if (strcmp(argv[0], "sync") == 0)
        r.mode = M_SYNC;
    else {
        usage();
        return 2;
    }
    opts_init(&o, argc - 1, argv + 1);
    r.nconns = (int)opt_ll(&o, "conns", 1, 1, MAX_CONNS);
    if (r.mode == M_SYNC)
        r.nconns = (int)opt_ll(&o, "inflight", 8, 1, MAX_CONNS);
    seconds = opt_double(&o, "seconds", r.mode == M_SYNC ? 60 : 5, 0.1, 600);
    r.size = opt_ll(&o, "size", 1024, 0, 32 << 20);
    r.paths = opt_ll(&o, "paths", 10000, 1, 1000000000);
    r.files = opt_ll(&o, "files", 10000, 1, 1000000000);
    r.limit = opt_ll(&o, "limit", 100, 1, 1000);
    r.page = opt_ll(&o, "page", 1000, 1, 1000);
    r.prefix = opt_str(&o, "prefix", "bench/");
    r.suffix = opt_str(&o, "suffix", ".md");
    rng_seed((uint64_t)opt_ll(&o, "seed", now_us() ^ getpid(), 0, INT64_MAX));
    if (!opts_check(&o, known) || !opt_str(&o, "url", NULL) || !opt_str(&o, "key", NULL)) {
        usage();
        return 2;
    }
    if (target_parse(opt_str(&o, "url", NULL), &r.tgt) != 0 || split_keys(&r, opt_str(&o, "key", NULL)))
        return 2;
    r.content = malloc((size_t)r.size + 1);
    r.c = calloc((size_t)r.nconns, sizeof *r.c);
    r.ep = epoll_create1(EPOLL_CLOEXEC);
    if (!r.content || !r.c || r.ep < 0) {
        fprintf(stderr, "sio-load: out of resources\n");
        goto out;
    }
    fill_content(r.content, (size_t)r.size, "");
    bytes_init(&r.body, OUT_MAX);
    r.sync_listing = r.mode == M_SYNC;
    for (int i = 0; i < r.nconns; i++) {
        r.c[i].idx = i;
        r.c[i].fd = -1;
        bytes_init(&r.c[i].out, OUT_MAX);
        bytes_init(&r.c[i].in, IN_MAX);
    }
    t_start = now_us();
    r.deadline = t_start + (int64_t)(seconds * 1e6);
    for (int i = 0; i < r.nconns; i++)
        start_next(&r, &r.c[i]);
    for (;;) {
        int n, timeout;
        int64_t now = now_us();
        if (all_idle(&r)) {
            if (r.stopping || now >= r.deadline)
                break;
            if (r.mode == M_SYNC && !r.sync_listing && r.sync_next >= r.sync_n)
                break;
        }
        if (now >= r.deadline + GRACE_US)
            break;                      /* requests still in flight are errors */
        timeout = (int)((r.deadline - now) / 1000);
        timeout = timeout < 1 ? 1 : timeout > 100 ? 100 : timeout;
        n = epoll_wait(r.ep, evs, 256, timeout);
        if (n < 0 && errno != EINTR) {
            perror("sio-load: epoll_wait");
            goto out;
        }
        for (int i = 0; i < n; i++) {
            struct hconn *c = evs[i].data.ptr;
            if (c->fd < 0)
                continue;
            if (c->connecting && (evs[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
                int err = 0;
                socklen_t el = sizeof err;
                getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
                if (err) {
                    conn_retry(&r, c);
                    continue;
                }
                c->connecting = 0;
                if (c->busy && conn_flush(&r, c) != 0)
                    conn_retry(&r, c);
                continue;
            }
            if (evs[i].events & EPOLLOUT) {
                if (conn_flush(&r, c) != 0) {
                    conn_retry(&r, c);
                    continue;
                }
            }
            if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
                on_readable(&r, c);
        }
        /* every idle connection takes the next request (sync: a new page
         * or the GET phase may have opened up) */
        for (int i = 0; i < r.nconns; i++)
            if (!r.c[i].busy)
                start_next(&r, &r.c[i]);
    }
    t_end = now_us();
    for (int i = 0; i < r.nconns; i++)
        if (r.c[i].busy)
            r.errors++;
    {
        double el = (double)(t_end - t_start) / 1e6;
        long long done = r.ok + r.errors;
        double p50 = samples_pct_ms(&r.lat, 50), p90 = samples_pct_ms(&r.lat, 90);
        double p99 = samples_pct_ms(&r.lat, 99);
        printf("mode=%s conns=%d requests=%lld ok=%lld errors=%lld retried=%lld seconds=%.3f "
               "rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f bytes_in=%lld s2xx=%lld s3xx=%lld "
               "s4xx=%lld s5xx=%lld",
               argv[0], r.nconns, done, r.ok, r.errors, r.retried, el, el > 0 ? r.ok / el : 0,
               p50, p90, p99, r.bytes_in, r.statuses[2], r.statuses[3], r.statuses[4],
               r.statuses[5]);
        if (r.mode == M_SYNC)
            printf(" pages=%lld files=%zu fetched=%zu complete=%d", r.sync_pages, r.sync_n,
                   r.sync_done, !r.sync_failed && r.sync_done == r.sync_n && r.errors == 0);
        printf("\n");
    }
    rc = r.errors == 0 && r.ok > 0 ? 0 : 1;
    if (opt_str(&o, "lat-file", NULL) && samples_dump(&r.lat, opt_str(&o, "lat-file", NULL)) != 0) {
        perror(opt_str(&o, "lat-file", NULL));
        rc = 1;
    }
out:
    if (r.c)
        for (int i = 0; i < r.nconns; i++) {
            conn_close(&r, &r.c[i]);
            bytes_free(&r.c[i].out);
            bytes_free(&r.c[i].in);
        }
    for (size_t i = 0; i < r.sync_n; i++)
        free(r.sync_paths[i]);
    free(r.sync_paths);
    free(r.c);
    free(r.content);
    bytes_free(&r.body);
    free(r.keybuf);
    samples_free(&r.lat);
    if (r.ep >= 0)
        close(r.ep);
    return rc;
}
