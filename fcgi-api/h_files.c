/* h_files.c - /api/v1/files: the vault namespace. Every mutation is one call
 * of the common write path (svc_file_*), which commits a change row and a
 * pg_notify, so REST writes reach socket clients like socket writes do.
 *
 * Request bodies: unknown members are ignored, not refused. Clients (the
 * Obsidian plugin among them) may send extra fields such as an encoding or a
 * client timestamp; refusing them would break a client for no gain, and
 * every member we do read is checked strictly (present, and a string). */
#include <string.h>

#include "api.h"
#include "hash.h"
#include "jsonx.h"
#include "rules.h"
#include "view.h"

/* A syntactically valid content hash that no content has in practice: sent
 * instead of an If-Match value that is not a hash, so that the write path
 * answers 412 with the file's real current hash. */
static const char NO_HASH[] =
    "sha256:0000000000000000000000000000000000000000000000000000000000000000";

/* Query members that select the listing rather than one file. */
static const char *const LIST_PARAMS[] = {
    "limit", "offset", "include_deleted", "extension", "content_contains", "path_contains",
    "is_binary", NULL,
};

void files_answer(struct call *c, int status, const struct sync_file *f, bool with_content)
{
    call_json(c, status, view_file(f, with_content));
}

static bool check_path(struct call *c, const char *what, const char *path, size_t len)
{
    struct sync_err err = {0};

    if (rules_check_path(path, len, &err) == SYNC_OK)
        return true;
    call_error(c, 400, "VALIDATION_ERROR", "%s: %s", what, err.msg);
    return false;
}

void files_get_one(struct call *c, const char *ns, const char *path, size_t len)
{
    struct sync_file f;
    struct sync_err err = {0};
    char etag[SYNC_HASH_LEN + 3];
    int rc;

    if (!check_path(c, "path", path, len))
        return;
    rc = svc_file_get(c->ctx->db, c->auth.store_id, ns, path, &f, &err);
    if (rc != SYNC_OK) {
        call_fail(c, &err);
        return;
    }
    snprintf(etag, sizeof etag, "\"%s\"", f.hash);
    if (c->rq->if_none_match && etag_list_matches(c->rq->if_none_match, f.hash, strlen(f.hash)))
        resp_empty(c->rs, 304);
    else
        files_answer(c, 200, &f, true);
    resp_header(c->rs, "ETag", etag);
    sync_file_clear(&f);
}

/* An optional string filter: absent or empty is "no filter". */
static const char *filter(struct call *c, const char *name)
{
    size_t len;
    const char *v = call_param(c, name, &len);

    return (v && len) ? v : NULL;
}

/* An optional boolean filter; false (answered 400) when malformed. */
static bool bool_param(struct call *c, const char *name, int *out)
{
    size_t len;
    const char *v = call_param(c, name, &len);
    bool b;

    if (!v)
        return true;
    if (query_bool(v, len, &b) != SYNC_OK) {
        call_error(c, 400, "VALIDATION_ERROR", "%s must be true, false, 1 or 0", name);
        return false;
    }
    *out = b;
    return true;
}

static void files_list(struct call *c)
{
    struct sync_list_query q;
    struct sync_file_list l = {0};
    struct sync_err err = {0};
    long long limit = SYNC_LIST_LIMIT_DEFAULT, offset = 0;
    int include_deleted = 0, is_binary = -1;
    json_object *root = NULL, *arr = NULL;

    if (!int_param(c, "limit", 1, SYNC_LIST_LIMIT_MAX, &limit) ||
        !int_param(c, "offset", 0, API_OFFSET_MAX, &offset) ||
        !bool_param(c, "include_deleted", &include_deleted) ||
        !bool_param(c, "is_binary", &is_binary))
        return;
    memset(&q, 0, sizeof q);
    q.prefix = filter(c, "path");
    q.path_contains = filter(c, "path_contains");
    q.content_contains = filter(c, "content_contains");
    q.extensions = filter(c, "extension");
    q.is_binary = is_binary;
    q.include_deleted = include_deleted != 0;
    q.limit = (int)limit;
    q.offset = offset;
    if (svc_file_list(c->ctx->db, c->auth.store_id, NS_VAULT, &q, &l, &err) != SYNC_OK) {
        call_fail(c, &err);
        return;
    }
    arr = view_file_array(&l);
    root = arr ? json_object_new_object() : NULL;
    /* jsonx_add takes arr also when it fails (root NULL included) */
    if (!arr || jsonx_add(root, "files", arr) != 0 || jsonx_add_int(root, "total", l.total) != 0 ||
        jsonx_add_int(root, "limit", limit) != 0 || jsonx_add_int(root, "offset", offset) != 0) {
        json_object_put(root);
        root = NULL;
    }
    call_json(c, 200, root);
    sync_file_list_clear(&l);
}

void h_files_get(struct call *c)
{
    size_t len;
    const char *path;
    bool list = false;

    if (!call_query(c))
        return;
    for (size_t i = 0; LIST_PARAMS[i]; i++)
        list = list || query_has(&c->rq->query, LIST_PARAMS[i]);
    path = call_param(c, "path", &len);
    /* ?path=P alone reads one file; any listing parameter makes it a prefix */
    if (path && !list)
        files_get_one(c, NS_VAULT, path, len);
    else
        files_list(c);
}

/* The If-Match hash of a PUT (unquoted); false when answered already. */
static bool if_match_hash(struct call *c, const char *path, char out[SYNC_HASH_LEN + 1])
{
    const char *h = c->rq->if_match;
    struct sync_err err = {0};
    struct sync_file f;
    int rc;

    if (etag_is_star(h)) {
        /* "any current file": the current hash, which the write re-checks
         * under the store lock, so a concurrent change still gives 412 */
        rc = svc_file_get(c->ctx->db, c->auth.store_id, NS_VAULT, path, &f, &err);
        if (rc == SYNC_ENOTFOUND) {
            sync_err_set(&err, SYNC_EPRECOND, "no file exists at this path");
            call_fail(c, &err);
            return false;
        }
        if (rc != SYNC_OK) {
            call_fail(c, &err);
            return false;
        }
        memcpy(out, f.hash, SYNC_HASH_LEN + 1);
        sync_file_clear(&f);
        return true;
    }
    if (etag_single(h, out, SYNC_HASH_LEN + 1) < 0 || !hash_is_valid(out, strlen(out)))
        memcpy(out, NO_HASH, sizeof NO_HASH);
    return true;
}

static void files_write(struct call *c, enum sync_write_mode mode)
{
    struct sync_write w;
    struct sync_write_result res;
    struct sync_err err = {0};
    char expect[SYNC_HASH_LEN + 1];
    const char *path, *content;
    size_t plen, clen;

    if (!body_str(c, "path", &path, &plen) || !body_str(c, "content", &content, &clen))
        return;
    if (!check_path(c, "path", path, plen))
        return;
    memset(&w, 0, sizeof w);
    w.store_id = c->auth.store_id;
    w.path = path;
    w.path_len = plen;
    w.content = content;
    w.content_len = clen;
    w.origin = NULL;
    w.mode = mode;
    if (mode != WRITE_CREATE && c->rq->if_match) {
        if (!if_match_hash(c, path, expect))
            return;
        w.if_match = expect;
    }
    if (mode != WRITE_CREATE && etag_is_star(c->rq->if_none_match))
        w.mode = WRITE_CREATE_ONLY;
    if (svc_file_write(c->ctx->db, &w, &res, &err) != SYNC_OK) {
        call_fail(c, &err);
        return;
    }
    files_answer(c, res.outcome == OUTCOME_CREATED ? 201 : 200, &res.file, false);
    sync_file_clear(&res.file);
}

void h_files_post(struct call *c)
{
    files_write(c, WRITE_CREATE);
}

void h_files_put(struct call *c)
{
    files_write(c, WRITE_UPSERT);
}

void h_files_patch(struct call *c)
{
    struct sync_write_result res;
    struct sync_err err = {0};
    const char *path, *npath;
    size_t plen, nlen;

    if (!body_str(c, "path", &path, &plen) || !body_str(c, "newPath", &npath, &nlen))
        return;
    if (!check_path(c, "path", path, plen) || !check_path(c, "newPath", npath, nlen))
        return;
    if (svc_file_rename(c->ctx->db, c->auth.store_id, path, plen, npath, nlen, NULL, &res,
                        &err) != SYNC_OK) {
        call_fail(c, &err);
        return;
    }
    files_answer(c, 200, &res.file, false);
    sync_file_clear(&res.file);
}

void h_files_delete(struct call *c)
{
    struct sync_err err = {0};
    const char *path;
    size_t len;
    long long seq;

    if (!call_query(c))
        return;
    path = call_param(c, "path", &len);
    if (!path) {
        call_error(c, 400, "VALIDATION_ERROR", "'path' is required (DELETE /files/all deletes all)");
        return;
    }
    if (!check_path(c, "path", path, len))
        return;
    if (svc_file_delete(c->ctx->db, c->auth.store_id, path, len, NULL, &seq, &err) != SYNC_OK) {
        call_fail(c, &err);
        return;
    }
    resp_empty(c->rs, 204);
}

void h_files_delete_all(struct call *c)
{
    struct sync_err err = {0};
    long long n;
    json_object *o;

    if (svc_file_delete_all(c->ctx->db, c->auth.store_id, NULL, &n, &err) != SYNC_OK) {
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
