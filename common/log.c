/* log.c - levelled one-line logging to stderr. Each line is built in a local
 * buffer and written with one write(), so lines from several threads never
 * interleave (a line stays under PIPE_BUF). */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "isotime.h"

#define LOG_LINE_MAX 4000        /* < PIPE_BUF: one atomic write on a pipe */
#define LOG_MSG_MAX  2048        /* the formatted message before escaping */
#define LOG_NAME_MAX 32

static atomic_int log_level = LOG_INFO;
static char log_name[LOG_NAME_MAX] = "sync";

int log_level_parse(const char *s)
{
    static const struct {
        const char *name;
        int level;
    } names[] = {
        { "debug", LOG_DEBUG }, { "info", LOG_INFO }, { "warn", LOG_WARN },
        { "warning", LOG_WARN }, { "error", LOG_ERROR },
    };
    size_t i;

    if (!s)
        return -1;
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcasecmp(s, names[i].name) == 0)
            return names[i].level;
    return -1;
}

void log_set_level(int level)
{
    if (level < LOG_DEBUG)
        level = LOG_DEBUG;
    if (level > LOG_ERROR)
        level = LOG_ERROR;
    atomic_store(&log_level, level);
}

/* Called once at start, before threads exist. */
void log_set_name(const char *program)
{
    const char *slash;
    size_t n;

    if (!program || !*program)
        return;
    slash = strrchr(program, '/');
    if (slash && slash[1])
        program = slash + 1;
    n = strlen(program);
    if (n >= sizeof(log_name))
        n = sizeof(log_name) - 1;
    memcpy(log_name, program, n);
    log_name[n] = '\0';
}

int log_enabled(int level)
{
    return level >= atomic_load(&log_level);
}

static const char *level_name(int level)
{
    switch (level) {
    case LOG_DEBUG: return "DEBUG";
    case LOG_INFO:  return "INFO";
    case LOG_WARN:  return "WARN";
    default:        return "ERROR";
    }
}

/* Length of a valid UTF-8 sequence at p (1..4), 0 if invalid; *cp gets it. */
static size_t utf8_seq(const unsigned char *p, size_t n, uint32_t *cp)
{
    uint32_t v;
    size_t need, i;

    if (p[0] < 0x80) {
        *cp = p[0];
        return 1;
    }
    if (p[0] < 0xC2 || p[0] > 0xF4)
        return 0;
    need = p[0] < 0xE0 ? 2 : p[0] < 0xF0 ? 3 : 4;
    if (n < need)
        return 0;
    v = p[0] & (need == 2 ? 0x1Fu : need == 3 ? 0x0Fu : 0x07u);
    for (i = 1; i < need; i++) {
        if ((p[i] & 0xC0u) != 0x80u)
            return 0;
        v = (v << 6) | (p[i] & 0x3Fu);
    }
    if ((need == 3 && v < 0x800) || (need == 4 && (v < 0x10000 || v > 0x10FFFF)) ||
        (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return need;
}

static const char hexd[] = "0123456789abcdef";

/* Appends msg to line[*o .. cap), escaped: "\n" for a newline, \xNN for other
 * control bytes and invalid UTF-8, \u00NN for C1 controls. Stops (with "...")
 * when the next piece does not fit. */
static int escape_into(char *line, size_t *o, size_t cap, const char *msg, size_t len)
{
    const unsigned char *p = (const unsigned char *)msg;
    size_t i = 0, k, pos = *o;
    uint32_t cp;
    char tmp[8];
    size_t tn;

    while (i < len) {
        k = utf8_seq(p + i, len - i, &cp);
        if (k == 0) {
            tmp[0] = '\\'; tmp[1] = 'x'; tmp[2] = hexd[p[i] >> 4]; tmp[3] = hexd[p[i] & 15];
            tn = 4;
            k = 1;
        } else if (cp == '\n') {
            tmp[0] = '\\'; tmp[1] = 'n';
            tn = 2;
        } else if (cp < 0x20 || cp == 0x7F) {
            tmp[0] = '\\'; tmp[1] = 'x'; tmp[2] = hexd[cp >> 4]; tmp[3] = hexd[cp & 15];
            tn = 4;
        } else if (cp >= 0x80 && cp <= 0x9F) {
            tmp[0] = '\\'; tmp[1] = 'u'; tmp[2] = '0'; tmp[3] = '0';
            tmp[4] = hexd[cp >> 4]; tmp[5] = hexd[cp & 15];
            tn = 6;
        } else {
            memcpy(tmp, p + i, k);
            tn = k;
        }
        if (tn > cap - pos - 3) {           /* keep room for "..." */
            memcpy(line + pos, "...", 3);
            *o = pos + 3;
            return 1;
        }
        memcpy(line + pos, tmp, tn);
        pos += tn;
        i += k;
    }
    *o = pos;
    return 0;
}

void log_msg(int level, const char *fmt, ...)
{
    char msg[LOG_MSG_MAX];
    char line[LOG_LINE_MAX];
    char ts[25];
    size_t o = 0, n, mlen;
    const char *lv;
    va_list ap;
    int saved = errno, r, cut;
    ssize_t w;

    if (!log_enabled(level))
        return;
    va_start(ap, fmt);
    r = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (r < 0) {
        r = 0;
        msg[0] = '\0';
    }
    mlen = (size_t)r < sizeof(msg) ? (size_t)r : sizeof(msg) - 1;

    if (iso_format_ms(iso_now_ms(), ts) != 0)
        memcpy(ts, "0000-00-00T00:00:00.000Z", 25);
    memcpy(line, ts, 24);
    o = 24;
    line[o++] = ' ';
    lv = level_name(level);
    n = strlen(lv);
    memcpy(line + o, lv, n);
    o += n;
    line[o++] = ' ';
    n = strlen(log_name);
    memcpy(line + o, log_name, n);
    o += n;
    line[o++] = ':';
    line[o++] = ' ';
    /* leave one byte for the newline */
    cut = escape_into(line, &o, sizeof(line) - 1, msg, mlen);
    if (!cut && (size_t)r >= sizeof(msg)) {
        memcpy(line + o, "...", 3);         /* cut by vsnprintf; escape_into left room */
        o += 3;
    }
    line[o++] = '\n';

    n = 0;
    while (n < o) {
        w = write(STDERR_FILENO, line + n, o - n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        n += (size_t)w;
    }
    errno = saved;
}

const char *log_key(const char *key, size_t len, char out[24])
{
    size_t keep, i;

    if (!key || len == 0) {
        memcpy(out, "(none)", 7);
        return out;
    }
    /* a key's first 16 characters are its stored prefix; anything else
     * keeps less, and nothing is ever shown whole */
    keep = (len >= 3 && memcmp(key, "sk_", 3) == 0) ? 16 : 12;
    if (keep >= len)
        keep = len / 2;
    for (i = 0; i < keep; i++) {
        unsigned char c = (unsigned char)key[i];
        out[i] = (c > ' ' && c < 0x7F) ? (char)c : '?';
    }
    memcpy(out + keep, "...", 4);
    return out;
}
