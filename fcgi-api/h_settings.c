/* h_settings.c - /api/v1/settings: the settings namespace (a vault's
 * .obsidian/ files, pushed and pulled by hand). Plain upserts and deletes:
 * no seq, no change rows, no notification (DESIGN §2). Same objects and
 * rules as /files; the list is every file, without paging. */
#include "api.h"
#include "jsonx.h"
#include "rules.h"
#include "view.h"

static bool check_path(struct call *c, const char *path, size_t len)
{
    struct sync_err err = {0};

    if (rules_check_path(path, len, &err) == SYNC_OK)
        return true;
    call_error(c, 400, "VALIDATION_ERROR", "path: %s", err.msg);
    return false;
}

void h_settings_get(struct call *c)
{
    struct sync_file_list l = {0};
    struct sync_err err = {0};
    json_object *root, *arr;
    const char *path;
    size_t len;

    if (!call_query(c))
        return;
    path = call_param(c, "path", &len);
    if (path) {
        files_get_one(c, NS_SETTINGS, path, len);
        return;
    }
    if (svc_settings_list(c->ctx->db, c->auth.store_id, &l, &err) != SYNC_OK) {
        call_fail(c, &err);
        return;
    }
    arr = view_file_array(&l);
    root = arr ? json_object_new_object() : NULL;
    if (!arr || jsonx_add(root, "settings", arr) != 0 ||
        jsonx_add_int(root, "total", l.total) != 0) {
        json_object_put(root);
        root = NULL;
    }
    call_json(c, 200, root);
    sync_file_list_clear(&l);
}

void h_settings_put(struct call *c)
{
    struct sync_write_result res;
    struct sync_err err = {0};
    const char *path, *content;
    size_t plen, clen;

    if (!body_str(c, "path", &path, &plen) || !body_str(c, "content", &content, &clen))
        return;
    if (!check_path(c, path, plen))
        return;
    if (svc_settings_put(c->ctx->db, c->auth.store_id, path, plen, content, clen, &res, &err) !=
        SYNC_OK) {
        call_fail(c, &err);
        return;
    }
    files_answer(c, res.outcome == OUTCOME_CREATED ? 201 : 200, &res.file, false);
    sync_file_clear(&res.file);
}

void h_settings_delete(struct call *c)
{
    struct sync_err err = {0};
    const char *path;
    size_t len;

    if (!call_query(c))
        return;
    path = call_param(c, "path", &len);
    if (!path) {
        call_error(c, 400, "VALIDATION_ERROR",
                   "'path' is required (DELETE /settings/all deletes all)");
        return;
    }
    if (!check_path(c, path, len))
        return;
    if (svc_settings_delete(c->ctx->db, c->auth.store_id, path, len, &err) != SYNC_OK) {
        call_fail(c, &err);
        return;
    }
    resp_empty(c->rs, 204);
}

void h_settings_delete_all(struct call *c)
{
    struct sync_err err = {0};
    long long n;
    json_object *o;

    if (svc_settings_delete_all(c->ctx->db, c->auth.store_id, &n, &err) != SYNC_OK) {
        call_fail(c, &err);
        return;
    }
    o = json_object_new_object();
    if (o && jsonx_add_int(o, "deleted", n) != 0) {
        json_object_put(o);
        o = NULL;
    }
    call_json(c, 200, o);
}
