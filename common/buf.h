/* buf.h - a growable byte buffer with a ceiling (curl's dynbuf idea).
 * Always NUL-terminated after its len bytes (for convenience, not as a length). */
#ifndef SYNC_BUF_H
#define SYNC_BUF_H

#include <stddef.h>

struct buf {
    char *data;      /* owned; NULL until the first append */
    size_t len;
    size_t cap;
    size_t max;      /* appends past this fail with SYNC_ETOOBIG */
};

void buf_init(struct buf *b, size_t max);
void buf_free(struct buf *b);                       /* back to empty; NULL ok */
void buf_reset(struct buf *b);                      /* len = 0, keeps memory */
/* SYNC_OK / ETOOBIG (len would pass max; b unchanged) / ENOMEM */
int  buf_append(struct buf *b, const void *p, size_t n);
int  buf_appendf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the bytes to the caller (free(); "" when nothing was appended) and
 * leaves b empty with the same max. NULL only when out of memory. */
char *buf_steal(struct buf *b, size_t *len);

#endif
