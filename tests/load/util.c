/* util.c - options, clocks, buffers, latency samples, /proc readings,
 * loopback-only addresses and a small JSON scanner for sio-load. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "load.h"

/* ---- options ------------------------------------------------------------ */

void opts_init(struct opts *o, int argc, char **argv)
{
    o->argc = argc;
    o->argv = argv;
    o->bad = 0;
}

const char *opt_str(struct opts *o, const char *name, const char *def)
{
    for (int i = 0; i + 1 < o->argc; i++)
        if (strncmp(o->argv[i], "--", 2) == 0 && strcmp(o->argv[i] + 2, name) == 0)
            return o->argv[i + 1];
    return def;
}

long long opt_ll(struct opts *o, const char *name, long long def, long long min, long long max)
{
    const char *s = opt_str(o, name, NULL);
    char *end = NULL;
    long long v;

    if (!s)
        return def;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || !end || end == s || *end || v < min || v > max) {
        fprintf(stderr, "sio-load: --%s takes an integer in %lld..%lld\n", name, min, max);
        o->bad = 1;
        return def;
    }
    return v;
}

double opt_double(struct opts *o, const char *name, double def, double min, double max)
{
    const char *s = opt_str(o, name, NULL);
    char *end = NULL;
    double v;

    if (!s)
        return def;
    errno = 0;
    v = strtod(s, &end);
    if (errno || !end || end == s || *end || !(v >= min && v <= max)) {
        fprintf(stderr, "sio-load: --%s takes a number in %g..%g\n", name, min, max);
        o->bad = 1;
        return def;
    }
    return v;
}

int opts_check(struct opts *o, const char *const *known)
{
    for (int i = 0; i < o->argc; i += 2) {
        int ok = 0;
        if (strncmp(o->argv[i], "--", 2) == 0 && i + 1 < o->argc)
            for (const char *const *k = known; *k; k++)
                if (strcmp(o->argv[i] + 2, *k) == 0)
                    ok = 1;
        if (!ok) {
            fprintf(stderr, "sio-load: unknown or incomplete option '%s'\n", o->argv[i]);
            return 0;
        }
    }
    return !o->bad;
}

/* ---- time, randomness --------------------------------------------------- */

int64_t now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

void rng_seed(uint64_t seed)
{
    rng_state = seed ? seed : 0x9e3779b97f4a7c15ULL;
}

uint64_t rng_next(void)                 /* splitmix64 */
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint64_t rng_below(uint64_t n)
{
    return n ? rng_next() % n : 0;
}

/* ---- bytes -------------------------------------------------------------- */

void bytes_init(struct bytes *b, size_t max)
{
    memset(b, 0, sizeof *b);
    b->max = max;
}

void bytes_free(struct bytes *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = b->off = 0;
}

int bytes_reserve(struct bytes *b, size_t extra)
{
    size_t want, cap;
    char *d;

    if (extra > b->max - b->len)
        return -1;
    want = b->len + extra;
    if (want <= b->cap)
        return 0;
    cap = b->cap ? b->cap : 4096;
    while (cap < want)
        cap = cap > b->max / 2 ? b->max : cap * 2;
    d = realloc(b->data, cap);
    if (!d)
        return -1;
    b->data = d;
    b->cap = cap;
    return 0;
}

int bytes_append(struct bytes *b, const void *p, size_t n)
{
    if (bytes_reserve(b, n) != 0)
        return -1;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

int bytes_printf(struct bytes *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || bytes_reserve(b, (size_t)n + 1) != 0)
        return -1;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

void bytes_consume(struct bytes *b, size_t n)
{
    b->off += n;
    if (b->off >= b->len)
        b->off = b->len = 0;
}

void bytes_compact(struct bytes *b)
{
    if (b->off == 0)
        return;
    memmove(b->data, b->data + b->off, b->len - b->off);
    b->len -= b->off;
    b->off = 0;
}

/* ---- samples ------------------------------------------------------------ */

void samples_add(struct samples *s, int64_t us)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1024;
        uint32_t *p = realloc(s->us, cap * sizeof *p);
        if (!p)
            return;                     /* a lost sample, never a crash */
        s->us = p;
        s->cap = cap;
    }
    s->us[s->n++] = us < 0 ? 0 : us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return x < y ? -1 : x > y;
}

double samples_pct_ms(struct samples *s, double pct)
{
    size_t i;

    if (s->n == 0)
        return 0;
    qsort(s->us, s->n, sizeof *s->us, cmp_u32);
    /* nearest rank */
    i = (size_t)(pct / 100.0 * (double)s->n + 0.999999);
    if (i < 1)
        i = 1;
    if (i > s->n)
        i = s->n;
    return s->us[i - 1] / 1000.0;
}

int samples_dump(const struct samples *s, const char *path)
{
    FILE *f = fopen(path, "a");
    int rc = 0;

    if (!f)
        return -1;
    for (size_t i = 0; i < s->n; i++)
        if (fprintf(f, "%u\n", (unsigned)s->us[i]) < 0)
            rc = -1;
    if (fclose(f) != 0)
        rc = -1;
    return rc;
}

void samples_free(struct samples *s)
{
    free(s->us);
    memset(s, 0, sizeof *s);
}

/* ---- /proc -------------------------------------------------------------- */

static ssize_t read_small(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n;

    if (fd < 0)
        return -1;
    n = read(fd, buf, cap - 1);
    close(fd);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    return n;
}

long long proc_cpu_ticks(int pid)
{
    char path[64], buf[1024];
    const char *p;
    long long v[2] = { 0, 0 };
    int field = 2;                      /* the field after ")" is field 3 */

    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    if (read_small(path, buf, sizeof buf) < 0)
        return -1;
    p = strrchr(buf, ')');
    if (!p)
        return -1;
    p++;
    while (*p && field < 15) {
        while (*p == ' ')
            p++;
        field++;
        if (field == 14 || field == 15) {
            char *end = NULL;
            v[field - 14] = strtoll(p, &end, 10);
            p = end;
        } else {
            while (*p && *p != ' ')
                p++;
        }
    }
    return field == 15 ? v[0] + v[1] : -1;
}

long proc_rss_kb(int pid)
{
    char path[64], buf[256];
    char *end = NULL;
    const char *p;
    long pages;

    snprintf(path, sizeof path, "/proc/%d/statm", pid);
    if (read_small(path, buf, sizeof buf) < 0)
        return -1;
    p = strchr(buf, ' ');
    if (!p)
        return -1;
    pages = strtol(p + 1, &end, 10);
    return pages * (sysconf(_SC_PAGESIZE) / 1024);
}

double ticks_per_sec(void)
{
    long t = sysconf(_SC_CLK_TCK);

    return t > 0 ? (double)t : 100.0;
}

/* ---- addresses ---------------------------------------------------------- */

int target_parse(const char *url, struct target *t)
{
    const char *p = url, *colon, *slash;
    struct in_addr a4;
    struct in6_addr a6;
    char *end = NULL;
    size_t hl;
    long port;

    memset(t, 0, sizeof *t);
    if (strncmp(p, "http://", 7) == 0)
        p += 7;
    else if (strncmp(p, "ws://", 5) == 0)
        p += 5;
    else
        goto bad;
    slash = strchr(p, '/');
    if (!slash)
        slash = p + strlen(p);
    colon = NULL;
    for (const char *c = p; c < slash; c++)
        if (*c == ':')
            colon = c;
    if (!colon || colon == p)
        goto bad;
    hl = (size_t)(colon - p);
    if (*p == '[' && colon[-1] == ']') {
        p++;
        hl -= 2;
    }
    if (hl >= sizeof t->host)
        goto bad;
    memcpy(t->host, p, hl);
    t->host[hl] = '\0';
    port = strtol(colon + 1, &end, 10);
    if (end != slash || port < 1 || port > 65535)
        goto bad;
    t->port = (int)port;
    if (strcmp(t->host, "localhost") == 0)
        snprintf(t->host, sizeof t->host, "127.0.0.1");
    if (inet_pton(AF_INET, t->host, &a4) == 1) {
        if ((ntohl(a4.s_addr) >> 24) != 127) {
            fprintf(stderr, "sio-load: %s is not a loopback address; refusing\n", t->host);
            return -1;
        }
        snprintf(t->hostport, sizeof t->hostport, "%s:%d", t->host, t->port);
    } else if (inet_pton(AF_INET6, t->host, &a6) == 1) {
        if (!IN6_IS_ADDR_LOOPBACK(&a6)) {
            fprintf(stderr, "sio-load: %s is not a loopback address; refusing\n", t->host);
            return -1;
        }
        snprintf(t->hostport, sizeof t->hostport, "[%s]:%d", t->host, t->port);
    } else {
        goto bad;
    }
    return 0;
bad:
    fprintf(stderr, "sio-load: bad URL '%s' (want http://127.0.0.1:PORT)\n", url);
    return -1;
}

int target_connect(const struct target *t)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    int fd, one = 1;

    memset(&ss, 0, sizeof ss);
    if (strchr(t->host, ':')) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)t->port);
        inet_pton(AF_INET6, t->host, &s6->sin6_addr);
        sl = sizeof *s6;
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)t->port);
        inet_pton(AF_INET, t->host, &s4->sin_addr);
        sl = sizeof *s4;
    }
    fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&ss, sl) != 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    return fd;
}

/* ---- helpers ------------------------------------------------------------ */

void sha256_hex(const void *p, size_t n, char out[65])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[32];
    unsigned int mdlen = 0;

    EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL);
    for (unsigned i = 0; i < 32; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[64] = '\0';
}

void fill_content(char *out, size_t n, const char *tag)
{
    static const char alpha[] = "abcdefghijklmnopqrstuvwxyz0123456789 ";
    size_t tl = strlen(tag), i = 0;

    for (; i < n && i < tl; i++)
        out[i] = tag[i];
    for (; i < n; i++)
        out[i] = (i % 64 == 63) ? '.' : alpha[(i * 7 + tl) % (sizeof alpha - 1)];
}

int url_encode(struct bytes *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";

    if (bytes_reserve(b, n * 3) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
            b->data[b->len++] = (char)c;
        } else {
            b->data[b->len++] = '%';
            b->data[b->len++] = hex[c >> 4];
            b->data[b->len++] = hex[c & 15];
        }
    }
    return 0;
}

/* ---- JSON scanning ------------------------------------------------------ */

static const char *ws_skip(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* p at the opening quote; returns the position after the closing quote. */
static const char *str_skip(const char *p, const char *end)
{
    p++;
    for (;;) {
        const char *q = memchr(p, '"', (size_t)(end - p));
        const char *b;
        if (!q)
            return NULL;
        b = q;
        while (b > p && b[-1] == '\\')
            b--;
        if (((q - b) & 1) == 0)
            return q + 1;
        p = q + 1;
    }
}

const char *json_skip(const char *p, const char *end)
{
    int depth = 0;

    p = ws_skip(p, end);
    if (p >= end)
        return NULL;
    do {
        if (p >= end)
            return NULL;
        if (*p == '"') {
            p = str_skip(p, end);
            if (!p)
                return NULL;
        } else if (*p == '{' || *p == '[') {
            if (++depth > 64)
                return NULL;
            p++;
        } else if (*p == '}' || *p == ']') {
            if (--depth < 0)
                return NULL;
            p++;
        } else if (*p == ',' || *p == ':' || *p == ' ' || *p == '\n' || *p == '\r' ||
                   *p == '\t') {
            if (depth == 0)
                return NULL;
            p++;
        } else {
            /* number, true, false, null */
            while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != ':')
                p++;
        }
    } while (depth > 0);
    return p;
}

int json_member(const char *p, const char *end, const char *key, struct jstr *str, long long *num)
{
    size_t kl = strlen(key);

    if (str)
        memset(str, 0, sizeof *str);
    p = ws_skip(p, end);
    if (p >= end || *p != '{')
        return -1;
    p = ws_skip(p + 1, end);
    if (p < end && *p == '}')
        return 0;
    while (p < end) {
        const char *k = p, *ke;
        int match;
        if (*p != '"')
            return -1;
        ke = str_skip(p, end);
        if (!ke)
            return -1;
        match = (size_t)(ke - k - 2) == kl && memcmp(k + 1, key, kl) == 0;
        p = ws_skip(ke, end);
        if (p >= end || *p != ':')
            return -1;
        p = ws_skip(p + 1, end);
        if (p >= end)
            return -1;
        if (match) {
            if (p < end && *p == '"') {
                const char *ve = str_skip(p, end);
                if (!ve)
                    return -1;
                if (str) {
                    str->p = p + 1;
                    str->len = (size_t)(ve - p - 2);
                    str->found = 1;
                }
                return 1;
            }
            if (num) {
                char *ne = NULL;
                *num = strtoll(p, &ne, 10);
                if (ne == p)
                    return -1;
            }
            return 2;
        }
        p = json_skip(p, end);
        if (!p)
            return -1;
        p = ws_skip(p, end);
        if (p < end && *p == ',') {
            p = ws_skip(p + 1, end);
            continue;
        }
        if (p < end && *p == '}')
            return 0;
        return -1;
    }
    return -1;
}

size_t json_each_path(const char *p, size_t len, void (*fn)(void *ud, const char *s, size_t n),
                      void *ud)
{
    static const char key[] = "\"path\":\"";
    const char *end = p + len;
    size_t count = 0;

    while (p < end) {
        const char *k = memmem(p, (size_t)(end - p), key, sizeof key - 1);
        const char *ve;
        if (!k)
            break;
        ve = str_skip(k + sizeof key - 2, end);
        if (!ve)
            break;
        fn(ud, k + sizeof key - 1, (size_t)(ve - k - (sizeof key - 1) - 1));
        count++;
        p = ve;
    }
    return count;
}

/* ---- self-test ---------------------------------------------------------- */

#define CHECK(cond) do { if (cond) (*pass)++; else { (*fail)++; \
    fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); } } while (0)

static void count_path(void *ud, const char *s, size_t n)
{
    (void)s;
    *(size_t *)ud += n;
}

int util_selftest(int *pass, int *fail)
{
    struct target t;
    struct jstr s;
    long long num = 0;
    struct samples sm = { 0 };
    struct bytes b;
    size_t total = 0;
    const char *obj = "{\"a\":[1,{\"path\":\"x\"}],\"path\":\"p\\\"q\",\"seq\":42,\"z\":true}";
    const char *end = obj + strlen(obj);
    char hex[65];

    CHECK(target_parse("http://127.0.0.1:8080", &t) == 0 && t.port == 8080);
    CHECK(target_parse("ws://localhost:3007/socket.io/", &t) == 0 && t.port == 3007);
    CHECK(target_parse("http://[::1]:99/", &t) == 0 && t.port == 99);
    CHECK(target_parse("http://10.0.0.1:80", &t) == -1);
    CHECK(target_parse("http://example.com:80", &t) == -1);
    CHECK(json_member(obj, end, "path", &s, NULL) == 1 && s.len == 4 && memcmp(s.p, "p\\\"q", 4) == 0);
    CHECK(json_member(obj, end, "seq", NULL, &num) == 2 && num == 42);
    CHECK(json_member(obj, end, "nope", &s, NULL) == 0);
    {
        const char *cut = "{\"a\":";
        CHECK(json_member(cut, cut + strlen(cut), "a", &s, NULL) == -1);
    }
    {
        const char *arr = "[1,[2,{\"]\":3}]] tail";
        CHECK(json_skip(arr, arr + strlen(arr)) == arr + 15);
    }
    CHECK(json_each_path(obj, strlen(obj), count_path, &total) == 2 && total == 5);
    for (int i = 1; i <= 100; i++)
        samples_add(&sm, i * 1000);
    CHECK(samples_pct_ms(&sm, 50) == 50.0);
    CHECK(samples_pct_ms(&sm, 99) == 99.0);
    samples_free(&sm);
    bytes_init(&b, 8);
    CHECK(bytes_append(&b, "12345678", 8) == 0);
    CHECK(bytes_append(&b, "9", 1) == -1);
    bytes_free(&b);
    sha256_hex("", 0, hex);
    CHECK(strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") == 0);
    CHECK(proc_rss_kb(getpid()) > 0 && proc_cpu_ticks(getpid()) >= 0);
    return 0;
}
