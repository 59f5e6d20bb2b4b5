/* test_misc.c - buf (ceiling and growth), log (one escaped line per call,
 * levels, key masking, threads), config (DESIGN §7 defaults and errors) and
 * isotime (toISOString both ways). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "cutest.h"
#include "err.h"
#include "isotime.h"
#include "limits.h"
#include "log.h"

/* ---- buf --------------------------------------------------------------- */

static void test_buf_basic(void)
{
    struct buf b;

    buf_init(&b, 1024);
    CU_ASSERT_PTR_NULL(b.data);
    CU_ASSERT_EQUAL(b.len, 0);
    CU_ASSERT_EQUAL(b.max, 1024);
    CU_ASSERT_EQUAL(buf_append(&b, "hello", 5), SYNC_OK);
    CU_ASSERT_EQUAL(buf_append(&b, ", ", 2), SYNC_OK);
    CU_ASSERT_EQUAL(buf_appendf(&b, "%s %d%c", "world", 42, '!'), SYNC_OK);
    CU_ASSERT_EQUAL(b.len, 16);
    CU_ASSERT_STRING_EQUAL(b.data, "hello, world 42!");   /* NUL-terminated */
    CU_ASSERT_EQUAL(buf_append(&b, "x\0y", 3), SYNC_OK);  /* binary bytes kept */
    CU_ASSERT_EQUAL(b.len, 19);
    CU_ASSERT_EQUAL(memcmp(b.data + 16, "x\0y", 4), 0);
    CU_ASSERT_EQUAL(buf_append(&b, NULL, 0), SYNC_OK);
    CU_ASSERT_EQUAL(b.len, 19);
    buf_free(&b);
    CU_ASSERT_PTR_NULL(b.data);
    CU_ASSERT_EQUAL(b.len, 0);
    CU_ASSERT_EQUAL(b.max, 1024);
    buf_free(NULL);
}

static void test_buf_ceiling(void)
{
    struct buf b;
    char block[100];

    memset(block, 'a', sizeof(block));
    buf_init(&b, 250);
    CU_ASSERT_EQUAL(buf_append(&b, block, 100), SYNC_OK);
    CU_ASSERT_EQUAL(buf_append(&b, block, 100), SYNC_OK);
    CU_ASSERT_EQUAL(buf_append(&b, block, 51), SYNC_ETOOBIG);    /* 251 > 250 */
    CU_ASSERT_EQUAL(b.len, 200);                                 /* unchanged */
    CU_ASSERT_EQUAL(b.data[200], '\0');
    CU_ASSERT_EQUAL(buf_append(&b, block, 50), SYNC_OK);         /* exactly max */
    CU_ASSERT_EQUAL(b.len, 250);
    CU_ASSERT_EQUAL(buf_append(&b, block, 1), SYNC_ETOOBIG);
    CU_ASSERT_EQUAL(buf_append(&b, block, 0), SYNC_OK);
    CU_ASSERT_EQUAL(buf_appendf(&b, "%c", 'x'), SYNC_ETOOBIG);
    CU_ASSERT_EQUAL(b.len, 250);
    CU_ASSERT_TRUE(b.cap <= b.max + 1);                          /* growth capped at max */
    /* sizes that would overflow len + n are refused, never wrapped */
    CU_ASSERT_EQUAL(buf_append(&b, block, SIZE_MAX), SYNC_ETOOBIG);
    CU_ASSERT_EQUAL(buf_append(&b, block, SIZE_MAX - 100), SYNC_ETOOBIG);
    CU_ASSERT_EQUAL(b.len, 250);
    buf_free(&b);

    buf_init(&b, 0);
    CU_ASSERT_EQUAL(buf_append(&b, "", 0), SYNC_OK);
    CU_ASSERT_EQUAL(buf_append(&b, "a", 1), SYNC_ETOOBIG);
    CU_ASSERT_EQUAL(buf_appendf(&b, "%s", ""), SYNC_OK);
    CU_ASSERT_EQUAL(b.len, 0);
    buf_free(&b);

    buf_init(&b, 10);
    CU_ASSERT_EQUAL(buf_appendf(&b, "%d", 123456789), SYNC_OK);  /* 9 */
    CU_ASSERT_EQUAL(buf_appendf(&b, "%d", 12), SYNC_ETOOBIG);
    CU_ASSERT_STRING_EQUAL(b.data, "123456789");
    CU_ASSERT_EQUAL(buf_appendf(&b, "%d", 1), SYNC_OK);
    CU_ASSERT_STRING_EQUAL(b.data, "1234567891");
    buf_free(&b);
}

static void test_buf_growth(void)
{
    struct buf b;
    size_t i, grows = 0, last_cap = 0;
    int ok = 1;

    /* one byte at a time up to the ceiling: capacity grows geometrically
     * (few reallocations), always holds len + NUL, never passes max + 1 */
    buf_init(&b, 100000);
    for (i = 0; i < 100000; i++) {
        if (buf_append(&b, "z", 1) != SYNC_OK || b.cap < b.len + 1 || b.cap > b.max + 1)
            ok = 0;
        if (b.cap != last_cap) {
            grows++;
            last_cap = b.cap;
        }
    }
    CU_ASSERT_TRUE(ok);
    CU_ASSERT_EQUAL(b.len, 100000);
    CU_ASSERT_EQUAL(b.cap, 100001);
    CU_ASSERT_TRUE(grows <= 20);
    CU_ASSERT_EQUAL(buf_append(&b, "z", 1), SYNC_ETOOBIG);
    buf_free(&b);

    /* no ceiling to speak of */
    buf_init(&b, SIZE_MAX);
    CU_ASSERT_EQUAL(buf_append(&b, "abc", 3), SYNC_OK);
    CU_ASSERT_TRUE(b.cap >= 4 && b.cap <= 4096);
    CU_ASSERT_EQUAL(buf_append(&b, "abc", SIZE_MAX - 2), SYNC_ETOOBIG);
    buf_free(&b);
}

static void test_buf_reset_steal(void)
{
    struct buf b;
    size_t cap, len = 99;
    char *p;

    buf_init(&b, 64);
    CU_ASSERT_EQUAL(buf_append(&b, "abcdef", 6), SYNC_OK);
    cap = b.cap;
    buf_reset(&b);
    CU_ASSERT_EQUAL(b.len, 0);
    CU_ASSERT_EQUAL(b.cap, cap);                 /* memory kept */
    CU_ASSERT_STRING_EQUAL(b.data, "");
    CU_ASSERT_EQUAL(buf_append(&b, "xyz", 3), SYNC_OK);
    p = buf_steal(&b, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(len, 3);
    CU_ASSERT_STRING_EQUAL(p, "xyz");
    free(p);
    CU_ASSERT_PTR_NULL(b.data);
    CU_ASSERT_EQUAL(b.len, 0);
    CU_ASSERT_EQUAL(b.cap, 0);
    CU_ASSERT_EQUAL(b.max, 64);
    /* stealing an empty buffer gives a freeable "" */
    p = buf_steal(&b, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(len, 0);
    CU_ASSERT_STRING_EQUAL(p, "");
    free(p);
    /* still usable afterwards */
    CU_ASSERT_EQUAL(buf_append(&b, "again", 5), SYNC_OK);
    CU_ASSERT_STRING_EQUAL(b.data, "again");
    buf_reset(&b);
    buf_free(&b);
    buf_init(&b, 8);
    buf_reset(&b);                               /* on a buffer without memory */
    CU_ASSERT_EQUAL(b.len, 0);
    buf_free(&b);
}

/* ---- log --------------------------------------------------------------- */

/* stderr captured into a temporary file (O_APPEND, so threads' writes land
 * whole), read back by capture_end(). */
static int saved_stderr = -1, cap_fd = -1;

static void capture_begin(void)
{
    char name[] = "/tmp/test_misc_log.XXXXXX";

    cap_fd = mkstemp(name);
    CU_ASSERT_FATAL(cap_fd >= 0);
    unlink(name);
    CU_ASSERT_FATAL(fcntl(cap_fd, F_SETFL, O_APPEND) == 0);
    saved_stderr = dup(STDERR_FILENO);
    CU_ASSERT_FATAL(saved_stderr >= 0);
    CU_ASSERT_FATAL(dup2(cap_fd, STDERR_FILENO) == STDERR_FILENO);
}

/* Returns what was written (caller frees), *len its size. */
static char *capture_end(size_t *len)
{
    off_t size;
    char *s;
    ssize_t r;

    dup2(saved_stderr, STDERR_FILENO);
    close(saved_stderr);
    size = lseek(cap_fd, 0, SEEK_END);
    s = malloc((size_t)size + 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    r = pread(cap_fd, s, (size_t)size, 0);
    CU_ASSERT_EQUAL(r, size);
    s[r > 0 ? r : 0] = '\0';
    *len = r > 0 ? (size_t)r : 0;
    close(cap_fd);
    return s;
}

/* The line must be "<24-char timestamp> <tail>\n" and nothing else. */
static void check_line(int line, const char *out, size_t len, const char *tail)
{
    int64_t ms;
    size_t tl = strlen(tail);
    int ok = len == 25 + tl + 1 && iso_parse_ms(out, 24, &ms) == 0 && out[24] == ' ' &&
             memcmp(out + 25, tail, tl) == 0 && out[len - 1] == '\n' &&
             memchr(out, '\n', len) == out + len - 1;

    if (!ok)
        fprintf(stderr, "\n  line %d: logged \"%.*s\", want \"<ts> %s\\n\"\n", line, (int)len, out,
                tail);
    CU_ASSERT_TRUE(ok);
}

/* Logs one message at INFO and checks the escaped line. */
#define LOGGED(tail, ...)                                       \
    do {                                                        \
        size_t n_;                                              \
        char *o_;                                               \
        capture_begin();                                        \
        log_msg(LOG_INFO, __VA_ARGS__);                         \
        o_ = capture_end(&n_);                                  \
        check_line(__LINE__, o_, n_, tail);                     \
        free(o_);                                               \
    } while (0)

static void test_log_format(void)
{
    log_set_name("/usr/local/bin/unit-test");
    log_set_level(LOG_DEBUG);
    LOGGED("INFO unit-test: hello 42", "hello %d", 42);
    LOGGED("INFO unit-test: line1\\nline2\\n", "line1\nline2\n");
    LOGGED("INFO unit-test: a\\x0db\\x09c\\x01d\\x7fe\\x1b[31m", "a\rb\tc\x01" "d\x7f" "e\x1b[31m");
    LOGGED("INFO unit-test: nel\\u0085 c1\\u009f", "nel\xc2\x85 c1\xc2\x9f");
    LOGGED("INFO unit-test: bad\\xff\\xc3 ok", "bad\xff\xc3 ok");
    LOGGED("INFO unit-test: caf\xc3\xa9 \xf0\x9f\x98\x80 \xc2\xa0", "caf\xc3\xa9 \xf0\x9f\x98\x80 \xc2\xa0");
    LOGGED("INFO unit-test: back\\slash \"quotes\"", "%s", "back\\slash \"quotes\"");
    LOGGED("INFO unit-test: ", "%s", "");
    log_set_name("sync");
}

static void test_log_levels(void)
{
    size_t n;
    char *o;
    int e;

    CU_ASSERT_EQUAL(log_level_parse("debug"), LOG_DEBUG);
    CU_ASSERT_EQUAL(log_level_parse("info"), LOG_INFO);
    CU_ASSERT_EQUAL(log_level_parse("warn"), LOG_WARN);
    CU_ASSERT_EQUAL(log_level_parse("warning"), LOG_WARN);
    CU_ASSERT_EQUAL(log_level_parse("error"), LOG_ERROR);
    CU_ASSERT_EQUAL(log_level_parse("ERROR"), LOG_ERROR);
    CU_ASSERT_EQUAL(log_level_parse("Info"), LOG_INFO);
    CU_ASSERT_EQUAL(log_level_parse(""), -1);
    CU_ASSERT_EQUAL(log_level_parse("verbose"), -1);
    CU_ASSERT_EQUAL(log_level_parse("info "), -1);
    CU_ASSERT_EQUAL(log_level_parse(NULL), -1);

    log_set_level(LOG_WARN);
    CU_ASSERT_FALSE(log_enabled(LOG_DEBUG));
    CU_ASSERT_FALSE(log_enabled(LOG_INFO));
    CU_ASSERT_TRUE(log_enabled(LOG_WARN));
    CU_ASSERT_TRUE(log_enabled(LOG_ERROR));
    capture_begin();
    log_debug("hidden %d", 1);
    log_info("hidden %d", 2);
    log_warn("shown %d", 3);
    errno = EAGAIN;
    log_error("shown %d", 4);
    e = errno;
    o = capture_end(&n);
    CU_ASSERT_EQUAL(e, EAGAIN);                  /* errno preserved */
    CU_ASSERT_PTR_NULL(strstr(o, "hidden"));
    CU_ASSERT_PTR_NOT_NULL(strstr(o, " WARN sync: shown 3\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(o, " ERROR sync: shown 4\n"));
    free(o);
    log_set_level(LOG_DEBUG);
    capture_begin();
    log_debug("now %s", "visible");
    o = capture_end(&n);
    check_line(__LINE__, o, n, "DEBUG sync: now visible");
    free(o);
    log_set_level(LOG_INFO);
}

static void test_log_long(void)
{
    size_t n, big = 10000;
    char *msg = malloc(big + 1), *o;

    CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
    memset(msg, 'm', big);
    msg[big] = '\0';
    capture_begin();
    log_info("%s", msg);
    o = capture_end(&n);
    CU_ASSERT_TRUE(n < 4096);                    /* one write below PIPE_BUF */
    CU_ASSERT_TRUE(n > 2000);
    CU_ASSERT_EQUAL(memchr(o, '\n', n), o + n - 1);
    CU_ASSERT_EQUAL(memcmp(o + n - 4, "...\n", 4), 0);
    free(o);
    /* escaping that would pass the line limit is cut too, never split */
    memset(msg, '\n', big);
    capture_begin();
    log_info("%s", msg);
    o = capture_end(&n);
    CU_ASSERT_TRUE(n < 4096);
    CU_ASSERT_EQUAL(memchr(o, '\n', n), o + n - 1);
    CU_ASSERT_EQUAL(memcmp(o + n - 6, "\\n...\n", 6), 0);
    free(o);
    free(msg);
}

static void check_key(int line, const char *key, const char *want)
{
    char out[24];
    const char *r = log_key(key, key ? strlen(key) : 0, out);
    int ok = r == out && strcmp(out, want) == 0 && (!key || strlen(key) == 0 || !strstr(out, key));

    if (!ok)
        fprintf(stderr, "\n  line %d: log_key(\"%s\") = \"%s\", want \"%s\"\n", line,
                key ? key : "(null)", out, want);
    CU_ASSERT_TRUE(ok);
}

static void test_log_key(void)
{
    check_key(__LINE__, "sk_store_123e45_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "sk_store_123e45_...");
    check_key(__LINE__, "sk_admin_0123456789abcdef0123456789abcdef", "sk_admin_0123456...");
    check_key(__LINE__, "password-like-secret-value", "password-lik...");
    check_key(__LINE__, "sk_short", "sk_s...");                   /* never whole */
    check_key(__LINE__, "abc", "a...");
    check_key(__LINE__, "x", "...");
    check_key(__LINE__, "", "(none)");
    check_key(__LINE__, NULL, "(none)");
    check_key(__LINE__, "sk_store_\n\x01zz_AAAAAAAAAAAAAAAAAAAAAAAA", "sk_store_??zz_AA...");
    check_key(__LINE__, "sk_store_123e45_A", "sk_store_123e45_...");
    check_key(__LINE__, "sk_store_123e45_", "sk_store...");      /* 16 chars: half */
}

enum { LOG_THREADS = 8, LOG_PER_THREAD = 300 };

static void *log_worker(void *arg)
{
    int t = (int)(intptr_t)arg, i;

    for (i = 0; i < LOG_PER_THREAD; i++)
        log_info("thread %d message %d %s", t, i, "padding-padding-padding-padding-padding");
    return NULL;
}

static void test_log_threads(void)
{
    pthread_t th[LOG_THREADS];
    int counts[LOG_THREADS] = { 0 };
    size_t n, lines = 0, bad = 0;
    char *o, *p, *nl;
    int i;

    capture_begin();
    for (i = 0; i < LOG_THREADS; i++)
        CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL, log_worker, (void *)(intptr_t)i), 0);
    for (i = 0; i < LOG_THREADS; i++)
        pthread_join(th[i], NULL);
    o = capture_end(&n);
    for (p = o; p < o + n; p = nl + 1) {
        int64_t ms;
        int t = -1, k;
        nl = memchr(p, '\n', (size_t)(o + n - p));
        if (!nl) {
            bad++;
            break;
        }
        lines++;
        /* "<ts> INFO sync: thread T message I padding..." */
        if (iso_parse_ms(p, 24, &ms) != 0 || strncmp(p + 24, " INFO sync: thread ", 19) != 0 ||
            strncmp(nl - 39, "padding-padding-padding-padding-padding", 39) != 0) {
            bad++;
            continue;
        }
        k = p[43] - '0';
        t = (k >= 0 && k < LOG_THREADS) ? k : -1;
        if (t < 0)
            bad++;
        else
            counts[t]++;
    }
    if (bad || lines != LOG_THREADS * LOG_PER_THREAD)
        fprintf(stderr, "\n  %zu lines, %zu malformed\n", lines, bad);
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(lines, LOG_THREADS * LOG_PER_THREAD);
    for (i = 0; i < LOG_THREADS; i++)
        CU_ASSERT_EQUAL(counts[i], LOG_PER_THREAD);
    free(o);
}

/* ---- config ------------------------------------------------------------ */

static const char *const config_vars[] = {
    "DATABASE_URL", "ADMIN_API_KEY", "CORS_ORIGINS", "LOG_LEVEL", "SYNC_GATEWAY_LISTEN",
    "SYNC_GATEWAY_PATH", "SYNC_MAX_PAYLOAD", "SYNC_TOMBSTONE_DAYS", "SYNC_TLS_CERT",
    "SYNC_TLS_KEY", NULL,
};
static char *saved_env[sizeof(config_vars) / sizeof(config_vars[0])];

static int config_suite_init(void)
{
    size_t i;
    for (i = 0; config_vars[i]; i++) {
        const char *v = getenv(config_vars[i]);
        saved_env[i] = v ? strdup(v) : NULL;
    }
    return 0;
}

static int config_suite_clean(void)
{
    size_t i;
    for (i = 0; config_vars[i]; i++) {
        if (saved_env[i])
            setenv(config_vars[i], saved_env[i], 1);
        else
            unsetenv(config_vars[i]);
        free(saved_env[i]);
        saved_env[i] = NULL;
    }
    return 0;
}

static void env_clear(void)
{
    size_t i;
    for (i = 0; config_vars[i]; i++)
        unsetenv(config_vars[i]);
}

#define ADMIN_OK_KEY "sk_admin_0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_config_defaults(void)
{
    struct sync_config c;
    struct sync_err err = { 0 };

    env_clear();
    CU_ASSERT_EQUAL_FATAL(config_load(&c, 0, &err), SYNC_OK);
    CU_ASSERT_PTR_NULL(c.database_url);
    CU_ASSERT_PTR_NULL(c.admin_key);
    CU_ASSERT_STRING_EQUAL(c.cors_origins, "app://obsidian.md,capacitor://localhost,http://localhost");
    CU_ASSERT_EQUAL(c.log_level, LOG_INFO);
    CU_ASSERT_STRING_EQUAL(c.gw_host, "127.0.0.1");
    CU_ASSERT_EQUAL(c.gw_port, 3007);
    CU_ASSERT_STRING_EQUAL(c.gw_path, "/socket.io/");
    CU_ASSERT_EQUAL(c.max_payload, 32u * 1024 * 1024);
    CU_ASSERT_EQUAL(c.tombstone_days, 30);
    CU_ASSERT_PTR_NULL(c.tls_cert);
    CU_ASSERT_PTR_NULL(c.tls_key);
    config_free(&c);
    CU_ASSERT_PTR_NULL(c.cors_origins);
    config_free(&c);                             /* twice is fine */

    /* set to "" counts as unset */
    setenv("CORS_ORIGINS", "", 1);
    setenv("SYNC_TOMBSTONE_DAYS", "", 1);
    CU_ASSERT_EQUAL_FATAL(config_load(&c, 0, &err), SYNC_OK);
    CU_ASSERT_STRING_EQUAL(c.cors_origins, "app://obsidian.md,capacitor://localhost,http://localhost");
    CU_ASSERT_EQUAL(c.tombstone_days, 30);
    config_free(&c);
}

static void test_config_all_set(void)
{
    struct sync_config c;
    struct sync_err err = { 0 };

    env_clear();
    setenv("DATABASE_URL", "postgresql://sync@localhost/sync", 1);
    setenv("ADMIN_API_KEY", ADMIN_OK_KEY, 1);
    setenv("CORS_ORIGINS", "*", 1);
    setenv("LOG_LEVEL", "debug", 1);
    setenv("SYNC_GATEWAY_LISTEN", "0.0.0.0:8081", 1);
    setenv("SYNC_GATEWAY_PATH", "/rt/", 1);
    setenv("SYNC_MAX_PAYLOAD", "1048576", 1);
    setenv("SYNC_TOMBSTONE_DAYS", "7", 1);
    setenv("SYNC_TLS_CERT", "/etc/ssl/cert.pem", 1);
    setenv("SYNC_TLS_KEY", "/etc/ssl/key.pem", 1);
    CU_ASSERT_EQUAL_FATAL(config_load(&c, CONFIG_NEED_DB | CONFIG_NEED_ADMIN, &err), SYNC_OK);
    CU_ASSERT_STRING_EQUAL(c.database_url, "postgresql://sync@localhost/sync");
    CU_ASSERT_STRING_EQUAL(c.admin_key, ADMIN_OK_KEY);
    CU_ASSERT_STRING_EQUAL(c.cors_origins, "*");
    CU_ASSERT_EQUAL(c.log_level, LOG_DEBUG);
    CU_ASSERT_STRING_EQUAL(c.gw_host, "0.0.0.0");
    CU_ASSERT_EQUAL(c.gw_port, 8081);
    CU_ASSERT_STRING_EQUAL(c.gw_path, "/rt/");
    CU_ASSERT_EQUAL(c.max_payload, 1048576);
    CU_ASSERT_EQUAL(c.tombstone_days, 7);
    CU_ASSERT_STRING_EQUAL(c.tls_cert, "/etc/ssl/cert.pem");
    CU_ASSERT_STRING_EQUAL(c.tls_key, "/etc/ssl/key.pem");
    config_free(&c);
    env_clear();
}

/* Sets name=value on a clean environment and loads with flags. want_msg
 * NULL: success expected; else SYNC_EINVAL with that substring, one line,
 * and the struct left zeroed. */
static void check_config(int line, const char *name, const char *value, int flags,
                         const char *want_msg, struct sync_config *out)
{
    struct sync_config c;
    struct sync_err err = { 0 };
    int rc, ok;

    env_clear();
    if (name)
        setenv(name, value, 1);
    memset(&c, 0x5a, sizeof(c));
    rc = config_load(&c, flags, &err);
    if (want_msg)
        ok = rc == SYNC_EINVAL && err.rc == SYNC_EINVAL && strstr(err.msg, want_msg) &&
             !strchr(err.msg, '\n') && !c.cors_origins && !c.gw_host && !c.database_url;
    else
        ok = rc == SYNC_OK;
    if (!ok)
        fprintf(stderr, "\n  line %d: %s=\"%s\": config_load = %d \"%s\", want %s\n", line,
                name ? name : "-", value ? value : "", rc, rc ? err.msg : "",
                want_msg ? want_msg : "success");
    CU_ASSERT_TRUE(ok);
    if (out && rc == SYNC_OK)
        *out = c;
    else
        config_free(&c);
}
#define CONFIG_OK(n, v)       check_config(__LINE__, n, v, 0, NULL, NULL)
#define CONFIG_BAD(n, v, msg) check_config(__LINE__, n, v, 0, msg, NULL)

static void test_config_required(void)
{
    check_config(__LINE__, NULL, NULL, CONFIG_NEED_DB, "DATABASE_URL is not set", NULL);
    check_config(__LINE__, "DATABASE_URL", "", CONFIG_NEED_DB, "DATABASE_URL is not set", NULL);
    check_config(__LINE__, "DATABASE_URL", "dbname=sync", CONFIG_NEED_DB, NULL, NULL);
    check_config(__LINE__, NULL, NULL, CONFIG_NEED_ADMIN, "ADMIN_API_KEY is not set", NULL);
    check_config(__LINE__, "ADMIN_API_KEY", ADMIN_OK_KEY, CONFIG_NEED_ADMIN, NULL, NULL);
}

static void test_config_admin_key(void)
{
    const char *msg = "ADMIN_API_KEY must start with sk_admin_ and be at least 32 characters";
    char big[SYNC_ADMIN_KEY_MAX + 2];

    CONFIG_OK("ADMIN_API_KEY", "sk_admin_0123456789abcdefghijklm");          /* 32 */
    CONFIG_OK("ADMIN_API_KEY", ADMIN_OK_KEY);
    CONFIG_BAD("ADMIN_API_KEY", "sk_admin_0123456789abcdefghijkl", msg);     /* 31 */
    CONFIG_BAD("ADMIN_API_KEY", "sk_admin_short", msg);
    CONFIG_BAD("ADMIN_API_KEY", "sk_store_0123456789abcdef0123456789abcdef", msg);
    CONFIG_BAD("ADMIN_API_KEY", "0123456789abcdef0123456789abcdef0123456789", msg);
    CONFIG_BAD("ADMIN_API_KEY", "sk_admin_0123456789abcdef 0123456789abcdef", msg);
    memset(big, 'k', sizeof(big) - 1);
    memcpy(big, "sk_admin_", 9);
    big[SYNC_ADMIN_KEY_MAX] = '\0';
    CONFIG_OK("ADMIN_API_KEY", big);
    big[SYNC_ADMIN_KEY_MAX] = 'k';
    big[SYNC_ADMIN_KEY_MAX + 1] = '\0';
    CONFIG_BAD("ADMIN_API_KEY", big, msg);
}

static void test_config_log_level(void)
{
    struct sync_config c;

    check_config(__LINE__, "LOG_LEVEL", "WARN", 0, NULL, &c);
    CU_ASSERT_EQUAL(c.log_level, LOG_WARN);
    config_free(&c);
    check_config(__LINE__, "LOG_LEVEL", "error", 0, NULL, &c);
    CU_ASSERT_EQUAL(c.log_level, LOG_ERROR);
    config_free(&c);
    CONFIG_BAD("LOG_LEVEL", "loud", "LOG_LEVEL must be debug, info, warn or error");
    CONFIG_BAD("LOG_LEVEL", "3", "LOG_LEVEL");
}

static void check_listen(int line, const char *v, const char *host, int port)
{
    struct sync_config c;

    memset(&c, 0, sizeof(c));
    check_config(line, "SYNC_GATEWAY_LISTEN", v, 0, host ? NULL : "SYNC_GATEWAY_LISTEN must be HOST:PORT", &c);
    if (host) {
        int ok = c.gw_host && strcmp(c.gw_host, host) == 0 && c.gw_port == port;
        if (!ok)
            fprintf(stderr, "\n  line %d: \"%s\" -> \"%s\" %d\n", line, v,
                    c.gw_host ? c.gw_host : "(null)", c.gw_port);
        CU_ASSERT_TRUE(ok);
        config_free(&c);
    }
}
#define LISTEN_OK(v, h, p) check_listen(__LINE__, v, h, p)
#define LISTEN_BAD(v)      check_listen(__LINE__, v, NULL, 0)

static void test_config_listen(void)
{
    LISTEN_OK("127.0.0.1:3007", "127.0.0.1", 3007);
    LISTEN_OK("0.0.0.0:1", "0.0.0.0", 1);
    LISTEN_OK("localhost:65535", "localhost", 65535);
    LISTEN_OK("[::1]:3007", "::1", 3007);
    LISTEN_OK("[::]:8080", "::", 8080);
    LISTEN_OK("[fe80::1%eth0]:80", "fe80::1%eth0", 80);
    LISTEN_BAD(":3007");
    LISTEN_BAD("3007");
    LISTEN_BAD("localhost");
    LISTEN_BAD("localhost:");
    LISTEN_BAD("localhost:0");
    LISTEN_BAD("localhost:65536");
    LISTEN_BAD("localhost:-1");
    LISTEN_BAD("localhost:+80");
    LISTEN_BAD("localhost: 80");
    LISTEN_BAD("localhost:80 ");
    LISTEN_BAD("localhost:80x");
    LISTEN_BAD("localhost:99999999999999999999");
    LISTEN_BAD("::1:3007");
    LISTEN_BAD("[::1]3007");
    LISTEN_BAD("[::1]:");
    LISTEN_BAD("[]:80");
    LISTEN_BAD("[::1");
}

static void test_config_numbers(void)
{
    struct sync_config c;
    const char *mp = "SYNC_MAX_PAYLOAD must be a positive integer";
    const char *td = "SYNC_TOMBSTONE_DAYS must be an integer from 1 to 3650";

    check_config(__LINE__, "SYNC_MAX_PAYLOAD", "1", 0, NULL, &c);
    CU_ASSERT_EQUAL(c.max_payload, 1);
    config_free(&c);
    check_config(__LINE__, "SYNC_MAX_PAYLOAD", "1073741824", 0, NULL, &c);
    CU_ASSERT_EQUAL(c.max_payload, 1073741824u);
    config_free(&c);
    CONFIG_BAD("SYNC_MAX_PAYLOAD", "1073741825", mp);
    CONFIG_BAD("SYNC_MAX_PAYLOAD", "0", mp);
    CONFIG_BAD("SYNC_MAX_PAYLOAD", "-5", mp);
    CONFIG_BAD("SYNC_MAX_PAYLOAD", "32MiB", mp);
    CONFIG_BAD("SYNC_MAX_PAYLOAD", "1e6", mp);
    CONFIG_BAD("SYNC_MAX_PAYLOAD", " 5", mp);
    CONFIG_BAD("SYNC_MAX_PAYLOAD", "5 ", mp);
    CONFIG_BAD("SYNC_MAX_PAYLOAD", "+5", mp);
    CONFIG_BAD("SYNC_MAX_PAYLOAD", "0x10", mp);
    CONFIG_BAD("SYNC_MAX_PAYLOAD", "99999999999999999999", mp);
    CONFIG_BAD("SYNC_MAX_PAYLOAD", "abc", mp);

    check_config(__LINE__, "SYNC_TOMBSTONE_DAYS", "1", 0, NULL, &c);
    CU_ASSERT_EQUAL(c.tombstone_days, 1);
    config_free(&c);
    check_config(__LINE__, "SYNC_TOMBSTONE_DAYS", "3650", 0, NULL, &c);
    CU_ASSERT_EQUAL(c.tombstone_days, 3650);
    config_free(&c);
    CONFIG_BAD("SYNC_TOMBSTONE_DAYS", "0", td);
    CONFIG_BAD("SYNC_TOMBSTONE_DAYS", "3651", td);
    CONFIG_BAD("SYNC_TOMBSTONE_DAYS", "-1", td);
    CONFIG_BAD("SYNC_TOMBSTONE_DAYS", "30d", td);
    CONFIG_BAD("SYNC_TOMBSTONE_DAYS", "7.5", td);
}

static void test_config_path_tls(void)
{
    struct sync_config c;

    check_config(__LINE__, "SYNC_GATEWAY_PATH", "/engine", 0, NULL, &c);
    CU_ASSERT_STRING_EQUAL(c.gw_path, "/engine/");
    config_free(&c);
    check_config(__LINE__, "SYNC_GATEWAY_PATH", "/", 0, NULL, &c);
    CU_ASSERT_STRING_EQUAL(c.gw_path, "/");
    config_free(&c);
    CONFIG_BAD("SYNC_GATEWAY_PATH", "socket.io/", "SYNC_GATEWAY_PATH must start with '/'");
    CONFIG_BAD("SYNC_GATEWAY_PATH", "/a b/", "SYNC_GATEWAY_PATH");
    CONFIG_BAD("SYNC_TLS_CERT", "/etc/ssl/cert.pem", "SYNC_TLS_CERT and SYNC_TLS_KEY must be set together");
    CONFIG_BAD("SYNC_TLS_KEY", "/etc/ssl/key.pem", "SYNC_TLS_CERT and SYNC_TLS_KEY must be set together");
}

static void check_origin(int line, const char *list, const char *origin, size_t len, int want)
{
    int got = config_origin_allowed(list, origin, len);
    if (got != want)
        fprintf(stderr, "\n  line %d: config_origin_allowed(\"%s\", \"%.*s\") = %d\n", line,
                list ? list : "(null)", (int)len, origin ? origin : "", got);
    CU_ASSERT_EQUAL(got, want);
}
#define ORIGIN(list, o, want) check_origin(__LINE__, list, o, strlen(o), want)

static void test_config_origins(void)
{
    const char *def = "app://obsidian.md,capacitor://localhost,http://localhost";

    ORIGIN(def, "app://obsidian.md", 1);
    ORIGIN(def, "capacitor://localhost", 1);
    ORIGIN(def, "http://localhost", 1);
    ORIGIN(def, "http://localhost:8080", 0);
    ORIGIN(def, "https://localhost", 0);
    ORIGIN(def, "app://obsidian.md.evil.com", 0);
    ORIGIN(def, "app://obsidian", 0);
    ORIGIN(def, "APP://OBSIDIAN.MD", 0);
    ORIGIN(def, "https://evil.example", 0);
    ORIGIN(def, "", 0);
    ORIGIN(def, "null", 0);
    ORIGIN("*", "https://anything.example", 1);
    ORIGIN("*", "", 1);
    ORIGIN("https://a.example, *", "https://b.example", 1);
    ORIGIN(" https://a.example , https://b.example ,https://c.example", "https://b.example", 1);
    ORIGIN(" https://a.example , https://b.example ", "https://a.example", 1);
    ORIGIN("https://a.example,,", "", 0);
    ORIGIN("", "https://a.example", 0);
    ORIGIN("**", "https://a.example", 0);
    ORIGIN("https://a.example*", "https://a.example", 0);
    check_origin(__LINE__, def, "http://localhostXYZ", 16, 1);   /* length, not NUL */
    check_origin(__LINE__, def, "app://obsidian.md", 14, 0);
    check_origin(__LINE__, NULL, "x", 1, 0);
}

/* ---- isotime ----------------------------------------------------------- */

static void check_fmt(int line, int64_t ms, const char *want)
{
    char out[25];
    int rc;
    int64_t back = -42;

    memset(out, 'X', sizeof(out));
    rc = iso_format_ms(ms, out);
    if (!want) {
        if (rc != -1)
            fprintf(stderr, "\n  line %d: iso_format_ms(%lld) = %d \"%s\", want -1\n", line,
                    (long long)ms, rc, out);
        CU_ASSERT_EQUAL(rc, -1);
        return;
    }
    if (rc != 0 || strcmp(out, want) != 0)
        fprintf(stderr, "\n  line %d: iso_format_ms(%lld) = %d \"%.25s\", want \"%s\"\n", line,
                (long long)ms, rc, out, want);
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_STRING_EQUAL(out, want);
    CU_ASSERT_EQUAL(iso_parse_ms(want, strlen(want), &back), 0);
    if (back != ms)
        fprintf(stderr, "\n  line %d: iso_parse_ms(\"%s\") = %lld, want %lld\n", line, want,
                (long long)back, (long long)ms);
    CU_ASSERT_EQUAL(back, ms);
}
#define FMT(ms, want) check_fmt(__LINE__, ms, want)

static void test_iso_format(void)
{
    FMT(0, "1970-01-01T00:00:00.000Z");
    FMT(1, "1970-01-01T00:00:00.001Z");
    FMT(999, "1970-01-01T00:00:00.999Z");
    FMT(1999, "1970-01-01T00:00:01.999Z");           /* never rounded up */
    FMT(-1, "1969-12-31T23:59:59.999Z");             /* floor, not truncation */
    FMT(-999, "1969-12-31T23:59:59.001Z");
    FMT(-1000, "1969-12-31T23:59:59.000Z");
    FMT(-1001, "1969-12-31T23:59:58.999Z");
    FMT(1705312800000LL, "2024-01-15T10:00:00.000Z");
    FMT(1705312800123LL, "2024-01-15T10:00:00.123Z");
    FMT(1709210096789LL, "2024-02-29T12:34:56.789Z");   /* leap day */
    FMT(951782400000LL, "2000-02-29T00:00:00.000Z");    /* 400-year leap */
    FMT(-2203891200000LL, "1900-03-01T00:00:00.000Z");  /* 1900 had no Feb 29 */
    FMT(2147483648000LL, "2038-01-19T03:14:08.000Z");   /* past 32-bit time_t */
    FMT(-14182940000LL, "1969-07-20T20:17:40.000Z");
    FMT(-62135596800000LL, "0001-01-01T00:00:00.000Z");
    FMT(-62167219200000LL, "0000-01-01T00:00:00.000Z");
    FMT(253402300799999LL, "9999-12-31T23:59:59.999Z");
    FMT(253402300800000LL, NULL);
    FMT(-62167219200001LL, NULL);
    FMT(INT64_MAX, NULL);
    FMT(INT64_MIN, NULL);
}

static void check_parse_bad(int line, const char *s)
{
    int64_t ms = 12345;
    int rc = iso_parse_ms(s, strlen(s), &ms);

    if (rc != -1)
        fprintf(stderr, "\n  line %d: iso_parse_ms(\"%s\") = %d (%lld), want -1\n", line, s, rc,
                (long long)ms);
    CU_ASSERT_EQUAL(rc, -1);
}
#define ISO_BAD(s) check_parse_bad(__LINE__, s)

static void test_iso_parse_bad(void)
{
    int64_t ms;

    ISO_BAD("");
    ISO_BAD("2024-01-15T10:00:00Z");                 /* no milliseconds */
    ISO_BAD("2024-01-15T10:00:00.000");              /* no Z */
    ISO_BAD("2024-01-15T10:00:00.0000Z");
    ISO_BAD("2024-01-15T10:00:00.00Z");
    ISO_BAD("2024-01-15T10:00:00.000z");
    ISO_BAD("2024-01-15t10:00:00.000Z");
    ISO_BAD("2024-01-15 10:00:00.000Z");
    ISO_BAD("2024-01-15T10:00:00,000Z");
    ISO_BAD("2024-01-15T10:00:00.000+00:00");
    ISO_BAD("2024/01/15T10:00:00.000Z");
    ISO_BAD("+02024-01-15T10:00:00.000Z");
    ISO_BAD("2024-1-15T10:00:00.000Z ");
    ISO_BAD(" 2024-01-15T10:00:00.000Z");
    ISO_BAD("2024-01-15T10:00:00.000Z ");
    ISO_BAD("2O24-01-15T10:00:00.000Z");             /* letter O */
    ISO_BAD("2024-0a-15T10:00:00.000Z");
    ISO_BAD("2024-01-15T10:00:00.0a0Z");
    ISO_BAD("-024-01-15T10:00:00.000Z");
    ISO_BAD("2024-00-15T10:00:00.000Z");             /* month 0 */
    ISO_BAD("2024-13-15T10:00:00.000Z");             /* month 13 */
    ISO_BAD("2024-01-00T10:00:00.000Z");             /* day 0 */
    ISO_BAD("2024-01-32T10:00:00.000Z");             /* day 32 */
    ISO_BAD("2024-04-31T10:00:00.000Z");
    ISO_BAD("2024-02-30T10:00:00.000Z");             /* Feb 30 */
    ISO_BAD("2023-02-29T10:00:00.000Z");             /* not a leap year */
    ISO_BAD("1900-02-29T10:00:00.000Z");             /* century, not leap */
    ISO_BAD("2024-01-15T24:00:00.000Z");             /* hour 24 */
    ISO_BAD("2024-01-15T10:60:00.000Z");
    ISO_BAD("2024-01-15T10:00:60.000Z");             /* no leap seconds */
    ISO_BAD("2024-01-15T10:00:00.000Z\n");
    CU_ASSERT_EQUAL(iso_parse_ms("2024-01-15T10:00:00.000Zjunk", 24, &ms), 0);   /* len respected */
    CU_ASSERT_EQUAL(ms, 1705312800000LL);
    CU_ASSERT_EQUAL(iso_parse_ms("2024-01-15T10:00:00.000Z", 23, &ms), -1);
    CU_ASSERT_EQUAL(iso_parse_ms(NULL, 24, &ms), -1);
}

static void test_iso_parse_ok(void)
{
    int64_t ms = -5;

    CU_ASSERT_EQUAL(iso_parse_ms("2000-02-29T23:59:59.999Z", 24, &ms), 0);
    CU_ASSERT_EQUAL(ms, 951868799999LL);
    CU_ASSERT_EQUAL(iso_parse_ms("1970-01-01T00:00:00.000Z", 24, &ms), 0);
    CU_ASSERT_EQUAL(ms, 0);
    CU_ASSERT_EQUAL(iso_parse_ms("1969-12-31T23:59:59.000Z", 24, &ms), 0);
    CU_ASSERT_EQUAL(ms, -1000);                      /* timegm's -1, not an error */
    CU_ASSERT_EQUAL(iso_parse_ms("2024-12-31T23:59:59.999Z", 24, &ms), 0);
    CU_ASSERT_EQUAL(ms, 1735689599999LL);
}

/* Format then parse over many instants spread over the whole range. */
static void test_iso_roundtrip(void)
{
    uint64_t x = 0x9E3779B97F4A7C15ull;
    const int64_t lo = -62167219200000LL, span = 253402300799999LL - lo + 1;
    int i, bad = 0;

    for (i = 0; i < 100000; i++) {
        char out[25];
        int64_t ms, back = 0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        ms = lo + (int64_t)(x % (uint64_t)span);
        if (iso_format_ms(ms, out) != 0 || strlen(out) != 24 ||
            iso_parse_ms(out, 24, &back) != 0 || back != ms) {
            if (bad++ < 5)
                fprintf(stderr, "\n  %lld -> \"%s\" -> %lld\n", (long long)ms, out, (long long)back);
        }
    }
    CU_ASSERT_EQUAL(bad, 0);
}

static void test_iso_now(void)
{
    time_t before = time(NULL);
    int64_t now = iso_now_ms();
    time_t after = time(NULL);
    char out[25];
    int64_t back = 0;

    CU_ASSERT_TRUE(now / 1000 >= (int64_t)before && now / 1000 <= (int64_t)after);
    CU_ASSERT_EQUAL(iso_format_ms(now, out), 0);
    CU_ASSERT_EQUAL(iso_parse_ms(out, strlen(out), &back), 0);
    CU_ASSERT_EQUAL(back, now);                      /* milliseconds kept exactly */
    CU_ASSERT_TRUE(iso_now_ms() >= now);
}

static CU_TestInfo buf_tests[] = {
    { "append, appendf, free", test_buf_basic },
    { "ceiling checked before growth", test_buf_ceiling },
    { "geometric growth capped at max", test_buf_growth },
    { "reset and steal", test_buf_reset_steal },
    CU_TEST_INFO_NULL,
};

static CU_TestInfo log_tests[] = {
    { "line format and escaping", test_log_format },
    { "levels and errno", test_log_levels },
    { "long messages cut, one line", test_log_long },
    { "log_key never shows a whole key", test_log_key },
    { "threads: whole lines only", test_log_threads },
    CU_TEST_INFO_NULL,
};

static CU_TestInfo config_tests[] = {
    { "defaults", test_config_defaults },
    { "every variable set", test_config_all_set },
    { "required variables", test_config_required },
    { "ADMIN_API_KEY form", test_config_admin_key },
    { "LOG_LEVEL", test_config_log_level },
    { "SYNC_GATEWAY_LISTEN host:port and [v6]:port", test_config_listen },
    { "SYNC_MAX_PAYLOAD and SYNC_TOMBSTONE_DAYS", test_config_numbers },
    { "SYNC_GATEWAY_PATH and TLS pair", test_config_path_tls },
    { "CORS origin matching", test_config_origins },
    CU_TEST_INFO_NULL,
};

static CU_TestInfo iso_tests[] = {
    { "format (and parse back)", test_iso_format },
    { "parse refuses every other form", test_iso_parse_bad },
    { "parse values", test_iso_parse_ok },
    { "round trip over the whole range", test_iso_roundtrip },
    { "now", test_iso_now },
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    { "buf", NULL, NULL, NULL, NULL, buf_tests },
    { "log", NULL, NULL, NULL, NULL, log_tests },
    { "config", config_suite_init, config_suite_clean, NULL, NULL, config_tests },
    { "isotime", NULL, NULL, NULL, NULL, iso_tests },
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    return cutest_run(suites);
}
