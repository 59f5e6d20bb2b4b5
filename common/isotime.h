/* isotime.h - JavaScript's toISOString() form: 2024-01-15T10:00:00.000Z. */
#ifndef SYNC_ISOTIME_H
#define SYNC_ISOTIME_H

#include <stddef.h>
#include <stdint.h>

/* ms since the epoch (UTC) -> 24 chars + NUL. Returns 0, or -1 out of range
 * (years outside 0000..9999). */
int iso_format_ms(int64_t ms, char out[25]);
/* Parses exactly that form (and only it); 0 or -1. */
int iso_parse_ms(const char *s, size_t len, int64_t *ms);
/* Now, in ms since the epoch. */
int64_t iso_now_ms(void);

#endif
