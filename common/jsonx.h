/* jsonx.h - json-c with our limits: strict, depth-capped, UTF-8 checked
 * parsing with an explicit length; plain serialisation without "\/". */
#ifndef SYNC_JSONX_H
#define SYNC_JSONX_H

#include <json-c/json.h>
#include <stddef.h>
#include "err.h"

/* Parses exactly len bytes (len < INT_MAX) as one JSON value: strict,
 * nesting at most SYNC_JSON_MAX_DEPTH levels (json-c counts a scalar inside
 * a container as a level too: "[[]]" is 2, "[[1]]" is 3), the whole text
 * valid UTF-8 (no
 * overlongs or surrogates), numbers finite (no NaN/Infinity). Caller owns the
 * result (json_object_put). On failure NULL and err: SYNC_EINVAL with "empty
 * JSON", "truncated JSON", "invalid JSON at byte N: unexpected data after the
 * value" (trailing garbage) or "invalid JSON at byte N: <reason>";
 * SYNC_ETOOBIG for len >= INT_MAX. A JSON null also gives NULL, with
 * err->rc == SYNC_OK: use jsonx_parse_object when an object is required.
 * A "\u0000" escape parses: strings may hold NUL bytes (see
 * rules_check_content). */
json_object *jsonx_parse(const char *buf, size_t len, struct sync_err *err);
/* Same, but the value must be an object (else NULL + SYNC_EINVAL). */
json_object *jsonx_parse_object(const char *buf, size_t len, struct sync_err *err);

/* Plain text of o, without escaping '/' (NULL o gives "null"). The string is
 * lent by o: valid until o changes or is freed; never free it. */
const char *jsonx_text(json_object *o, size_t *len);

/* Member key of obj as a string: SYNC_OK (*s lent by obj, *len its bytes,
 * which may include NULs), SYNC_ENOTFOUND when the key is absent, SYNC_EINVAL
 * when it is present but not a string (JSON null counts as not a string) or
 * obj is not an object. */
int jsonx_get_str(json_object *obj, const char *key, const char **s, size_t *len);

/* Adds key -> value to obj (NULL value = JSON null), taking value; returns
 * -1 (value freed) on failure, also when obj is not an object. */
int jsonx_add(json_object *obj, const char *key, json_object *value);
/* Shorthands, 0 or -1: a string of len bytes, or JSON null when s is NULL. */
int jsonx_add_str(json_object *obj, const char *key, const char *s, size_t len);
int jsonx_add_cstr(json_object *obj, const char *key, const char *s);   /* NULL -> null */
int jsonx_add_int(json_object *obj, const char *key, long long v);
int jsonx_add_bool(json_object *obj, const char *key, int v);

/* Only these keys in obj (NULL-terminated list)? 0 yes; otherwise -1 and
 * *bad = the first other key (lent). */
int jsonx_only_keys(json_object *obj, const char *const *allowed, const char **bad);

#endif
