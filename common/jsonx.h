/* jsonx.h - json-c with our limits: strict, depth-capped, UTF-8 checked
 * parsing with an explicit length; plain serialisation without "\/". */
#ifndef SYNC_JSONX_H
#define SYNC_JSONX_H

#include <json-c/json.h>
#include <stddef.h>
#include "err.h"

/* Parses exactly len bytes as one JSON value. Caller owns the result
 * (json_object_put). NULL + SYNC_EINVAL ("invalid JSON at byte N",
 * "truncated JSON") on failure. Note a JSON null parses to NULL too: use
 * jsonx_parse_object when an object is required. */
json_object *jsonx_parse(const char *buf, size_t len, struct sync_err *err);
/* Same, but the value must be an object. */
json_object *jsonx_parse_object(const char *buf, size_t len, struct sync_err *err);

/* Plain text of o, without escaping '/'. The string is lent by o. */
const char *jsonx_text(json_object *o, size_t *len);

/* Member key of obj as a string. SYNC_OK, SYNC_ENOTFOUND (absent or null
 * when allow_null... no: absent), SYNC_EINVAL (not a string). s is lent by obj. */
int jsonx_get_str(json_object *obj, const char *key, const char **s, size_t *len);

/* Adds key -> value to obj, taking value; returns -1 (value freed) on failure. */
int jsonx_add(json_object *obj, const char *key, json_object *value);
/* Shorthands: a string of len bytes, or JSON null when s is NULL. */
int jsonx_add_str(json_object *obj, const char *key, const char *s, size_t len);
int jsonx_add_cstr(json_object *obj, const char *key, const char *s);   /* NULL -> null */
int jsonx_add_int(json_object *obj, const char *key, long long v);
int jsonx_add_bool(json_object *obj, const char *key, int v);

/* Only these keys in obj (NULL-terminated list)? 0 yes; otherwise -1 and
 * *bad = the first other key (lent). */
int jsonx_only_keys(json_object *obj, const char *const *allowed, const char **bad);

#endif
