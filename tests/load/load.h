/* load.h - sio-load, the benchmark's load client: HTTP load against the REST
 * API and many Socket.IO receivers/senders against the gateway, from one
 * epoll loop per run so that the client is never the bottleneck.
 *
 * Every address it talks to must be on loopback (checked). Every run is
 * bounded in time. Results are one line of key=value pairs on stdout. */
#ifndef LOAD_H
#define LOAD_H

#include <stddef.h>
#include <stdint.h>

/* ---- options: --name value pairs ---------------------------------------- */

struct opts {
    int argc;
    char **argv;
    int bad;                    /* a malformed value was seen */
};

void opts_init(struct opts *o, int argc, char **argv);
const char *opt_str(struct opts *o, const char *name, const char *def);
long long opt_ll(struct opts *o, const char *name, long long def, long long min, long long max);
double opt_double(struct opts *o, const char *name, double def, double min, double max);
/* 1 if every argument was a known --name value pair (names listed, NULL-ended). */
int opts_check(struct opts *o, const char *const *known);

/* ---- time, randomness --------------------------------------------------- */

int64_t now_us(void);
void rng_seed(uint64_t seed);
uint64_t rng_next(void);
uint64_t rng_below(uint64_t n);         /* uniform in [0, n), n > 0 */

/* ---- growable byte buffer with a ceiling -------------------------------- */

struct bytes {
    char *data;
    size_t len, cap, max;
    size_t off;                 /* consumed prefix (readers) */
};

void bytes_init(struct bytes *b, size_t max);
void bytes_free(struct bytes *b);
int bytes_reserve(struct bytes *b, size_t extra);   /* 0, or -1 over max / no memory */
int bytes_append(struct bytes *b, const void *p, size_t n);
int bytes_printf(struct bytes *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void bytes_consume(struct bytes *b, size_t n);      /* drops n bytes at off */
void bytes_compact(struct bytes *b);                /* moves the unread part to the front */

/* ---- latency samples ---------------------------------------------------- */

struct samples {
    uint32_t *us;
    size_t n, cap;
};

void samples_add(struct samples *s, int64_t us);
double samples_pct_ms(struct samples *s, double pct);   /* sorts; 0 when empty */
void samples_free(struct samples *s);
/* Appends every sample (µs, one per line) to path; 0 or -1. */
int samples_dump(const struct samples *s, const char *path);

/* ---- /proc of another process ------------------------------------------- */

long long proc_cpu_ticks(int pid);      /* utime + stime, -1 if unreadable */
long proc_rss_kb(int pid);              /* resident set, -1 if unreadable */
double ticks_per_sec(void);

/* ---- addresses ---------------------------------------------------------- */

struct target {
    char host[64];
    int port;
    char hostport[80];          /* for the Host header */
};

/* Parses http://HOST:PORT[/] (or ws://); HOST must be a loopback address
 * (127.0.0.0/8, ::1 or localhost). 0, or -1 with a message on stderr. */
int target_parse(const char *url, struct target *t);
/* Non-blocking TCP connect (TCP_NODELAY set); fd or -1. */
int target_connect(const struct target *t);

/* ---- helpers ------------------------------------------------------------ */

void sha256_hex(const void *p, size_t n, char out[65]);
/* Fills out[0..n) with printable, JSON-safe filler that starts with tag. */
void fill_content(char *out, size_t n, const char *tag);
/* Appends s URL-encoded (everything but unreserved characters). */
int url_encode(struct bytes *b, const char *s, size_t n);

/* ---- JSON scanning (only what the load client needs) -------------------- */

struct jstr {
    const char *p;              /* view, between the quotes, still escaped */
    size_t len;
    int found;
};

/* Skips one JSON value at p; returns the end, or NULL if malformed. */
const char *json_skip(const char *p, const char *end);
/* In the object starting at p (after whitespace), finds the string member
 * key (1) or the number member (sets *num, returns 2). 0 absent, -1 bad. */
int json_member(const char *p, const char *end, const char *key, struct jstr *str, long long *num);
/* Finds every "path":"…" member in a JSON text, calling fn for each (used to
 * read listing pages; paths are compared still escaped). Returns the count. */
size_t json_each_path(const char *p, size_t len, void (*fn)(void *ud, const char *s, size_t n),
                      void *ud);

/* ---- subcommands -------------------------------------------------------- */

int cmd_http(int argc, char **argv);
int cmd_ack(int argc, char **argv);
int cmd_fanout(int argc, char **argv);
int cmd_idle(int argc, char **argv);
int cmd_tcp(int argc, char **argv);
int cmd_selftest(int argc, char **argv);

/* selftest pieces living next to the code they test */
int ws_selftest(int *pass, int *fail);
int util_selftest(int *pass, int *fail);

#endif
