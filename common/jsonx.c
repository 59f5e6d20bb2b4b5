/* jsonx.c - json-c with our limits. Parsing is strict, depth-capped and
 * UTF-8 checked, over exactly len bytes; serialising never escapes '/'. */
#include "jsonx.h"

#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "limits.h"
#include "rules.h"

#define JSONX_LEN_MAX ((size_t)INT_MAX)   /* json-c takes an int length */

static bool all_space(const char *buf, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++)
        if (buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\n' && buf[i] != '\r')
            return false;
    return true;
}

/* One strict parse of buf[0..len). Returns the tokener's verdict:
 * json_tokener_success (*out set, NULL for a JSON null), json_tokener_continue
 * (the input ended inside the value) or an error, with *end its offset;
 * *nomem when no tokener could be made. */
static enum json_tokener_error parse_once(const char *buf, size_t len, json_object **out,
                                          size_t *end, bool *nomem)
{
    struct json_tokener *tok;
    enum json_tokener_error e;
    json_object *o;

    *out = NULL;
    *end = 0;
    *nomem = false;
    tok = json_tokener_new_ex(SYNC_JSON_MAX_DEPTH);
    if (!tok) {
        *nomem = true;
        return json_tokener_error_size;
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    o = json_tokener_parse_ex(tok, buf, (int)len);
    e = json_tokener_get_error(tok);
    *end = json_tokener_get_parse_end(tok);
    if (e == json_tokener_continue) {
        /* A top-level number or literal ("12", "true", "null") is complete
         * only once json-c sees a terminator: feed it an end of input. */
        o = json_tokener_parse_ex(tok, "", 1);
        e = json_tokener_get_error(tok);
        if (e != json_tokener_success)
            e = json_tokener_continue;
        *end = len;
    }
    json_tokener_free(tok);
    if (e != json_tokener_success) {
        json_object_put(o);
        return e;
    }
    *out = o;
    return e;
}

/* json-c takes NaN, Infinity and 1e999 even in strict mode: none is JSON.
 * Recursion is bounded by SYNC_JSON_MAX_DEPTH. */
static bool all_finite(json_object *o)
{
    size_t i, n;

    switch (json_object_get_type(o)) {
    case json_type_double:
        return isfinite(json_object_get_double(o));
    case json_type_array:
        n = json_object_array_length(o);
        for (i = 0; i < n; i++)
            if (!all_finite(json_object_array_get_idx(o, i)))
                return false;
        return true;
    case json_type_object: {
        json_object_object_foreach(o, k, v) {
            (void)k;
            if (!all_finite(v))
                return false;
        }
        return true;
    }
    default:
        return true;
    }
}

json_object *jsonx_parse(const char *buf, size_t len, struct sync_err *err)
{
    enum json_tokener_error e, e2;
    json_object *o = NULL, *prefix = NULL;
    size_t end = 0, end2 = 0;
    bool nomem = false;

    if (len >= JSONX_LEN_MAX) {
        sync_err_set(err, SYNC_ETOOBIG, "JSON text is too large");
        return NULL;
    }
    if (!buf || all_space(buf, len)) {
        sync_err_set(err, SYNC_EINVAL, "empty JSON");
        return NULL;
    }
    /* json-c's own UTF-8 check lets overlongs, surrogates and F5..F7 through */
    end = utf8_check(buf, len);
    if (end != len) {
        sync_err_set(err, SYNC_EINVAL, "invalid JSON at byte %zu: not valid UTF-8", end);
        return NULL;
    }
    e = parse_once(buf, len, &o, &end, &nomem);
    if (e == json_tokener_success && end < len) {
        /* json-c stops at a NUL byte as at the end of input */
        json_object_put(o);
        sync_err_set(err, SYNC_EINVAL, "invalid JSON at byte %zu: unexpected data after the value",
                     end);
        return NULL;
    }
    if (e == json_tokener_success && !all_finite(o)) {
        json_object_put(o);
        sync_err_set(err, SYNC_EINVAL, "invalid JSON: NaN, Infinity and out-of-range numbers are not JSON");
        return NULL;
    }
    if (e == json_tokener_success) {
        sync_err_set(err, SYNC_OK, "%s", o ? "" : "JSON null");
        return o;
    }
    if (nomem) {
        sync_err_set(err, SYNC_ENOMEM, "out of memory parsing JSON");
        return NULL;
    }
    if (e == json_tokener_continue) {
        sync_err_set(err, SYNC_EINVAL, "truncated JSON");
        return NULL;
    }
    /* Strict mode reports data after a complete value as an unexpected
     * character; tell it apart by parsing what came before it. */
    if (e == json_tokener_error_parse_unexpected && end > 0 && end < len) {
        e2 = parse_once(buf, end, &prefix, &end2, &nomem);
        json_object_put(prefix);
        if (e2 == json_tokener_success) {
            sync_err_set(err, SYNC_EINVAL, "invalid JSON at byte %zu: unexpected data after the value",
                         end);
            return NULL;
        }
    }
    sync_err_set(err, SYNC_EINVAL, "invalid JSON at byte %zu: %s", end, json_tokener_error_desc(e));
    return NULL;
}

json_object *jsonx_parse_object(const char *buf, size_t len, struct sync_err *err)
{
    json_object *o = jsonx_parse(buf, len, err);

    if (!o) {
        if (!err || err->rc == SYNC_OK)
            sync_err_set(err, SYNC_EINVAL, "expected a JSON object, got null");
        return NULL;
    }
    if (!json_object_is_type(o, json_type_object)) {
        sync_err_set(err, SYNC_EINVAL, "expected a JSON object, got %s",
                     json_type_to_name(json_object_get_type(o)));
        json_object_put(o);
        return NULL;
    }
    return o;
}

const char *jsonx_text(json_object *o, size_t *len)
{
    const char *s;
    size_t n = 0;

    s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
                                          &n);
    if (len)
        *len = s ? n : 0;
    return s;
}

int jsonx_get_str(json_object *obj, const char *key, const char **s, size_t *len)
{
    json_object *v = NULL;

    *s = NULL;
    if (len)
        *len = 0;
    if (!json_object_is_type(obj, json_type_object))
        return SYNC_EINVAL;
    if (!json_object_object_get_ex(obj, key, &v))
        return SYNC_ENOTFOUND;
    if (!json_object_is_type(v, json_type_string))
        return SYNC_EINVAL;         /* also JSON null */
    *s = json_object_get_string(v);
    if (len)
        *len = (size_t)json_object_get_string_len(v);
    return SYNC_OK;
}

int jsonx_add(json_object *obj, const char *key, json_object *value)
{
    if (!key || !json_object_is_type(obj, json_type_object)) {
        json_object_put(value);
        return -1;
    }
    if (json_object_object_add(obj, key, value) != 0) {
        json_object_put(value);     /* add failed: value is still ours */
        return -1;
    }
    return 0;
}

int jsonx_add_str(json_object *obj, const char *key, const char *s, size_t len)
{
    json_object *v;

    if (!s)
        return jsonx_add(obj, key, NULL);
    if (len >= JSONX_LEN_MAX)
        return -1;
    v = json_object_new_string_len(s, (int)len);
    if (!v)
        return -1;
    return jsonx_add(obj, key, v);
}

int jsonx_add_cstr(json_object *obj, const char *key, const char *s)
{
    return jsonx_add_str(obj, key, s, s ? strlen(s) : 0);
}

int jsonx_add_int(json_object *obj, const char *key, long long v)
{
    json_object *o = json_object_new_int64((int64_t)v);

    if (!o)
        return -1;
    return jsonx_add(obj, key, o);
}

int jsonx_add_bool(json_object *obj, const char *key, int v)
{
    json_object *o = json_object_new_boolean(v ? 1 : 0);

    if (!o)
        return -1;
    return jsonx_add(obj, key, o);
}

int jsonx_only_keys(json_object *obj, const char *const *allowed, const char **bad)
{
    struct json_object_iterator it, itend;
    const char *k;
    size_t i;

    *bad = NULL;
    if (!json_object_is_type(obj, json_type_object))
        return -1;
    it = json_object_iter_begin(obj);
    itend = json_object_iter_end(obj);
    while (!json_object_iter_equal(&it, &itend)) {
        k = json_object_iter_peek_name(&it);
        for (i = 0; allowed && allowed[i]; i++)
            if (strcmp(allowed[i], k) == 0)
                break;
        if (!allowed || !allowed[i]) {
            *bad = k;
            return -1;
        }
        json_object_iter_next(&it);
    }
    return 0;
}
