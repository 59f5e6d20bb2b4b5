/* h_admin.c - /api/v1/admin/...: stores and their keys, with the admin key.
 * Ids in the path are canonical UUIDs by the time a handler runs (the route
 * table matches nothing else, so a malformed id is a 404). Unknown body
 * members are ignored, as for files (see h_files.c). */
#include <string.h>

#include "api.h"
#include "jsonx.h"
#include "keys.h"
#include "view.h"

/* {key: [view of each]} from an array of n items. */
typedef json_object *(*view_fn)(const void *item);

static json_object *view_store_any(const void *p)
{
    return view_store(p);
}

static json_object *view_key_any(const void *p)
{
    return view_key(p, NULL);
}

static void answer_list(struct call *c, const char *key, const void *items, size_t size,
                        size_t n, view_fn fn)
{
    json_object *root, *arr = json_object_new_array_ext((int)(n ? n : 1));
    size_t i;

    for (i = 0; arr && i < n; i++) {
        json_object *o = fn((const char *)items + i * size);
        if (!o || json_object_array_add(arr, o) != 0) {
            json_object_put(o);
            json_object_put(arr);
            arr = NULL;
        }
    }
    root = arr ? json_object_new_object() : NULL;
    if (!arr || jsonx_add(root, key, arr) != 0) {
        json_object_put(root);
        root = NULL;
    }
    call_json(c, 200, root);
}

void h_admin_stores_list(struct call *c)
{
    struct sync_store *a = NULL;
    struct sync_err err = {0};
    size_t n = 0;

    if (svc_store_list(c->ctx->db, &a, &n, &err) != SYNC_OK) {
        call_fail(c, &err);
        return;
    }
    answer_list(c, "stores", a, sizeof *a, n, view_store_any);
    sync_store_array_free(a, n);
}

void h_admin_store_get(struct call *c)
{
    struct sync_store st;
    struct sync_err err = {0};

    if (svc_store_get(c->ctx->db, c->id[0], &st, &err) != SYNC_OK) {
        call_fail(c, &err);
        return;
    }
    call_json(c, 200, view_store(&st));
    sync_store_clear(&st);
}

void h_admin_store_create(struct call *c)
{
    struct sync_store st;
    struct sync_err err = {0};
    const char *name;
    size_t len;

    if (!body_str(c, "name", &name, &len))
        return;
    if (svc_store_create(c->ctx->db, name, len, &st, &err) != SYNC_OK) {
        call_fail(c, &err);
        return;
    }
    call_json(c, 201, view_store(&st));
    sync_store_clear(&st);
}

void h_admin_store_delete(struct call *c)
{
    struct sync_err err = {0};

    if (svc_store_delete(c->ctx->db, c->id[0], &err) != SYNC_OK) {
        call_fail(c, &err);
        return;
    }
    resp_empty(c->rs, 204);
}

void h_admin_keys_list(struct call *c)
{
    struct sync_key *a = NULL;
    struct sync_err err = {0};
    size_t n = 0;

    if (svc_key_list(c->ctx->db, c->id[0], &a, &n, &err) != SYNC_OK) {
        call_fail(c, &err);
        return;
    }
    answer_list(c, "keys", a, sizeof *a, n, view_key_any);
    sync_key_array_free(a, n);
}

void h_admin_key_get(struct call *c)
{
    struct sync_key k;
    struct sync_err err = {0};

    if (svc_key_get(c->ctx->db, c->id[0], c->id[1], &k, &err) != SYNC_OK) {
        call_fail(c, &err);
        return;
    }
    call_json(c, 200, view_key(&k, NULL));
    sync_key_clear(&k);
}

/* "permissions": a non-empty array of distinct permission names. */
static bool body_perms(struct call *c, unsigned *out)
{
    json_object *v = NULL;
    size_t i, n;

    *out = 0;
    if (!json_object_object_get_ex(c->body, "permissions", &v)) {
        call_error(c, 400, "VALIDATION_ERROR", "'permissions' is required");
        return false;
    }
    if (!json_object_is_type(v, json_type_array)) {
        call_error(c, 400, "VALIDATION_ERROR", "'permissions' must be an array of names");
        return false;
    }
    n = json_object_array_length(v);
    if (n == 0) {
        call_error(c, 400, "VALIDATION_ERROR", "'permissions' must not be empty");
        return false;
    }
    for (i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(v, i);
        unsigned bit;
        if (!json_object_is_type(e, json_type_string)) {
            call_error(c, 400, "VALIDATION_ERROR", "'permissions' must be an array of names");
            return false;
        }
        bit = perm_from_name(json_object_get_string(e), (size_t)json_object_get_string_len(e));
        if (bit == 0) {
            call_error(c, 400, "VALIDATION_ERROR",
                       "unknown permission (read, write, settings_read, settings_write)");
            return false;
        }
        if (*out & bit) {
            call_error(c, 400, "VALIDATION_ERROR", "duplicate permission '%s'",
                       json_object_get_string(e));
            return false;
        }
        *out |= bit;
    }
    return true;
}

void h_admin_key_create(struct call *c)
{
    struct sync_key k;
    struct sync_err err = {0};
    char key[SYNC_KEY_MAX + 1];
    const char *name;
    size_t len;
    unsigned perms;

    if (!body_str(c, "name", &name, &len) || !body_perms(c, &perms))
        return;
    if (svc_key_create(c->ctx->db, c->id[0], name, len, perms, &k, key, &err) != SYNC_OK) {
        call_fail(c, &err);
        return;
    }
    call_json(c, 201, view_key(&k, key));
    explicit_bzero(key, sizeof key);
    sync_key_clear(&k);
}

void h_admin_key_revoke(struct call *c)
{
    struct sync_err err = {0};

    if (svc_key_revoke(c->ctx->db, c->id[0], c->id[1], &err) != SYNC_OK) {
        call_fail(c, &err);
        return;
    }
    resp_empty(c->rs, 204);
}
