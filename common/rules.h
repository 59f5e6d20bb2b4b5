/* rules.h - the rules of DESIGN §4 shared by both front doors. Pure functions
 * over (pointer, length): inputs are never assumed NUL-terminated. */
#ifndef SYNC_RULES_H
#define SYNC_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include "err.h"

/* Valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
bool utf8_valid(const char *s, size_t len);
/* Length of the longest valid UTF-8 prefix of s: len when all of s is valid,
 * else the offset of the first bad byte. */
size_t utf8_check(const char *s, size_t len);
/* Code points in valid UTF-8. */
size_t utf8_chars(const char *s, size_t len);

/* Path: valid UTF-8, 1..1000 characters, none of < > : " | ? * \ or control
 * characters (C0, DEL, C1), no leading '/', no empty, "." or ".." segment, no
 * trailing '/'. SYNC_OK or SYNC_EINVAL with a message saying which rule. */
int rules_check_path(const char *path, size_t len, struct sync_err *err);

/* Extension of the last segment (text after its last dot), ASCII lower-cased,
 * NUL-terminated into out (outsz bytes). Returns its length, or 0 for "no
 * extension" (no dot, the name starts with its last dot as in ".gitignore",
 * or ends with a dot), or SYNC_ETOOBIG if it does not fit out (never
 * truncated; outsz = SYNC_PATH_MAX_BYTES + 1 always fits a path that passed
 * rules_check_path, not arbitrary longer input). */
int rules_extension(const char *path, size_t len, char *out, size_t outsz);

/* Is this extension one of DESIGN §4's binary list? (ASCII case ignored) */
bool rules_is_binary_ext(const char *ext, size_t len);

/* Content: at most SYNC_CONTENT_MAX bytes (else SYNC_ETOOBIG), no NUL
 * ("content contains a NUL character"), valid UTF-8 (else SYNC_EINVAL). */
int rules_check_content(const char *s, size_t len, struct sync_err *err);

/* A UUID in its canonical 8-4-4-4-12 hex form (either case). */
bool rules_is_uuid(const char *s, size_t len);

/* Name of a store or key: valid UTF-8, 1..255 characters, no control chars. */
int rules_check_name(const char *s, size_t len, struct sync_err *err);

#endif
