/* buf.c - a growable byte buffer with a ceiling. Invariant: len <= max, so
 * "n > max - len" is the overflow-free ceiling check. */
#include "buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

#define BUF_MIN_CAP 64

void buf_init(struct buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

void buf_free(struct buf *b)
{
    if (!b)
        return;
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

/* Room for n more bytes plus the NUL; the caller has checked the ceiling. */
static int buf_reserve(struct buf *b, size_t n)
{
    size_t need, cap, limit;
    char *p;

    if (b->len + n == SIZE_MAX)
        return SYNC_ENOMEM;                 /* no room for the NUL */
    need = b->len + n + 1;                  /* cannot overflow: len + n <= max */
    if (need <= b->cap)
        return SYNC_OK;
    /* geometric growth, never past what the ceiling can ever use */
    limit = b->max == SIZE_MAX ? SIZE_MAX : b->max + 1;
    cap = b->cap ? b->cap : BUF_MIN_CAP;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? SIZE_MAX : cap * 2;
    if (cap > limit)
        cap = limit;
    if (cap < need)
        cap = need;
    p = realloc(b->data, cap);
    if (!p)
        return SYNC_ENOMEM;
    b->data = p;
    b->cap = cap;
    return SYNC_OK;
}

int buf_append(struct buf *b, const void *p, size_t n)
{
    int rc;

    if (b->len > b->max || n > b->max - b->len)
        return SYNC_ETOOBIG;
    rc = buf_reserve(b, n);
    if (rc != SYNC_OK)
        return rc;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return SYNC_OK;
}

int buf_appendf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    int n, rc;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return SYNC_EINVAL;
    if (b->len > b->max || (size_t)n > b->max - b->len)
        return SYNC_ETOOBIG;
    rc = buf_reserve(b, (size_t)n);
    if (rc != SYNC_OK)
        return rc;
    va_start(ap, fmt);
    n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= b->cap - b->len) {
        b->data[b->len] = '\0';
        return SYNC_EINVAL;
    }
    b->len += (size_t)n;
    return SYNC_OK;
}

char *buf_steal(struct buf *b, size_t *len)
{
    char *p = b->data;

    if (!p) {
        p = malloc(1);
        if (!p) {
            if (len)
                *len = 0;
            return NULL;
        }
        p[0] = '\0';
    }
    if (len)
        *len = b->len;
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    return p;
}
