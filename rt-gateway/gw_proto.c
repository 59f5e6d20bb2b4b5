/* gw_proto.c - client event validation, acks and the server->client event
 * payloads (DESIGN §6). Pure: json-c and the rules only. */
#include "gw_proto.h"

#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "jsonx.h"
#include "limits.h"
#include "rules.h"

static const struct {
    const char *name;
    enum gw_op op;
} op_names[] = {
    { "created-file", GW_OP_CREATED },
    { "modified-file", GW_OP_MODIFIED },
    { "deleted-file", GW_OP_DELETED },
    { "renamed-file", GW_OP_RENAMED },
};

enum gw_op gw_op_from_name(const char *name, size_t len)
{
    size_t i;

    if (!name)
        return GW_OP_UNKNOWN;
    for (i = 0; i < sizeof op_names / sizeof op_names[0]; i++)
        if (strlen(op_names[i].name) == len && memcmp(op_names[i].name, name, len) == 0)
            return op_names[i].op;
    return GW_OP_UNKNOWN;
}

const char *gw_op_name(enum gw_op op)
{
    size_t i;

    for (i = 0; i < sizeof op_names / sizeof op_names[0]; i++)
        if (op_names[i].op == op)
            return op_names[i].name;
    return "";
}

/* A required string member that must be a valid path. */
static int get_path(json_object *o, const char *key, const char **s, size_t *len,
                    struct sync_err *err)
{
    struct sync_err perr = { 0 };
    int rc = jsonx_get_str(o, key, s, len);

    if (rc == SYNC_ENOTFOUND)
        return sync_err_set(err, SYNC_EINVAL, "%s is required", key);
    if (rc != SYNC_OK)
        return sync_err_set(err, SYNC_EINVAL, "%s must be a string", key);
    if (rules_check_path(*s, *len, &perr) != SYNC_OK)
        return sync_err_set(err, SYNC_EINVAL, "%s: %s", key, perr.msg);
    return SYNC_OK;
}

int gw_request_parse(enum gw_op op, json_object *args, unsigned n_bin, struct gw_request *out,
                     struct sync_err *err)
{
    json_object *o;
    int rc;

    memset(out, 0, sizeof *out);
    out->op = op;
    if (op == GW_OP_UNKNOWN)
        return sync_err_set(err, SYNC_EINVAL, "unknown event");
    if (n_bin > 0)
        return sync_err_set(err, SYNC_EINVAL,
                            "binary attachments are not accepted: send content as base64 text");
    if (!args || !json_object_is_type(args, json_type_array) ||
        json_object_array_length(args) < 1)
        return sync_err_set(err, SYNC_EINVAL, "payload must be an object");
    o = json_object_array_get_idx(args, 0);
    if (!o || !json_object_is_type(o, json_type_object))
        return sync_err_set(err, SYNC_EINVAL, "payload must be an object");

    switch (op) {
    case GW_OP_CREATED:
    case GW_OP_DELETED:
        return get_path(o, "path", &out->path, &out->path_len, err);
    case GW_OP_MODIFIED:
        if ((rc = get_path(o, "path", &out->path, &out->path_len, err)) != SYNC_OK)
            return rc;
        rc = jsonx_get_str(o, "content", &out->content, &out->content_len);
        if (rc == SYNC_ENOTFOUND)
            return sync_err_set(err, SYNC_EINVAL, "content is required");
        if (rc != SYNC_OK)
            return sync_err_set(err, SYNC_EINVAL, "content must be a string");
        return SYNC_OK;
    case GW_OP_RENAMED:
        if ((rc = get_path(o, "oldPath", &out->path, &out->path_len, err)) != SYNC_OK)
            return rc;
        return get_path(o, "newPath", &out->new_path, &out->new_len, err);
    default:
        return sync_err_set(err, SYNC_EINVAL, "unknown event");
    }
}

const char *gw_ack_code(int rc)
{
    switch (rc) {
    case SYNC_EINVAL:
    case SYNC_ETOOBIG:
        return "VALIDATION_ERROR";
    case SYNC_EFORBIDDEN:
    case SYNC_ENOTFOUND:
    case SYNC_EUNAUTH:
    case SYNC_EREVOKED:
        return "FORBIDDEN";
    case SYNC_EUNAVAIL:
        return "UNAVAILABLE";
    default:
        return "INTERNAL_ERROR";
    }
}

const char *gw_auth_refusal(int rc)
{
    switch (rc) {
    case SYNC_EUNAUTH:
    case SYNC_EINVAL:
    case SYNC_ENOTFOUND:
        return "INVALID_KEY";
    case SYNC_EREVOKED:
        return "KEY_REVOKED";
    default:
        return "UNAVAILABLE";
    }
}

/* [obj], taking obj; NULL (obj freed) on failure. */
static json_object *wrap(json_object *obj)
{
    json_object *a;

    if (!obj)
        return NULL;
    a = json_object_new_array();
    if (!a || json_object_array_add(a, obj) != 0) {
        json_object_put(obj);
        json_object_put(a);
        return NULL;
    }
    return a;
}

json_object *gw_ack_ok(const char *hash)
{
    json_object *o = json_object_new_object();
    int bad;

    if (!o)
        return NULL;
    bad = jsonx_add_bool(o, "success", 1);
    if (hash)
        bad |= jsonx_add_cstr(o, "hash", hash);
    if (bad) {
        json_object_put(o);
        return NULL;
    }
    return wrap(o);
}

json_object *gw_ack_error(const char *code, const char *message)
{
    json_object *o = json_object_new_object();
    json_object *e = json_object_new_object();
    int bad;

    if (!o || !e) {
        json_object_put(o);
        json_object_put(e);
        return NULL;
    }
    bad = jsonx_add_cstr(e, "code", code);
    bad |= jsonx_add_cstr(e, "message", message ? message : "");
    bad |= jsonx_add_bool(o, "success", 0);
    if (bad) {
        json_object_put(e);
        json_object_put(o);
        return NULL;
    }
    if (jsonx_add(o, "error", e) != 0) {
        json_object_put(o);
        return NULL;
    }
    return wrap(o);
}

/* Adds content, hash, size, isBinary, extension of file f. */
static int add_file_state(json_object *o, const struct sync_file *f)
{
    int bad = 0;

    bad |= jsonx_add_str(o, "content", f->content ? f->content : "",
                         f->content ? f->content_len : 0);
    bad |= jsonx_add_cstr(o, "hash", f->hash);
    bad |= jsonx_add_int(o, "size", f->size);
    bad |= jsonx_add_bool(o, "isBinary", f->is_binary);
    bad |= jsonx_add_cstr(o, "extension", f->extension);
    return bad ? SYNC_ENOMEM : SYNC_OK;
}

/* The state of an empty file at path (a renamed change whose new path was
 * emptied since): empty content, its hash, size 0, the path's own
 * isBinary/extension. */
static int add_empty_state(json_object *o, const char *path)
{
    char ext[SYNC_PATH_MAX_BYTES + 1];
    char h[72];
    size_t len = path ? strlen(path) : 0;
    int n = path ? rules_extension(path, len, ext, sizeof ext) : 0;
    int bad = 0;

    hash_content("", 0, h);
    bad |= jsonx_add_str(o, "content", "", 0);
    bad |= jsonx_add_cstr(o, "hash", h);
    bad |= jsonx_add_int(o, "size", 0);
    bad |= jsonx_add_bool(o, "isBinary", n > 0 && rules_is_binary_ext(ext, (size_t)n));
    bad |= jsonx_add_cstr(o, "extension", n > 0 ? ext : NULL);
    return bad ? SYNC_ENOMEM : SYNC_OK;
}

int gw_event_build(const struct sync_feed_item *it, const char **name, json_object **args)
{
    const struct sync_change *c = &it->change;
    const struct sync_file *f = &it->file;
    json_object *o;
    int bad = 0;

    *name = NULL;
    *args = NULL;
    if (strcmp(c->kind, "created") == 0 || strcmp(c->kind, "modified") == 0) {
        bool created = c->kind[0] == 'c';
        if (!it->has_file || f->seq > c->seq)
            return GW_EVENT_SKIP;
        o = json_object_new_object();
        if (!o)
            return SYNC_ENOMEM;
        bad |= jsonx_add_cstr(o, "path", c->path);
        bad |= add_file_state(o, f);
        bad |= created ? jsonx_add_cstr(o, "createdAt", f->created_at)
                       : jsonx_add_cstr(o, "updatedAt", f->updated_at);
        *name = created ? "file-created" : "file-modified";
    } else if (strcmp(c->kind, "deleted") == 0) {
        o = json_object_new_object();
        if (!o)
            return SYNC_ENOMEM;
        bad |= jsonx_add_cstr(o, "path", c->path);
        bad |= jsonx_add_cstr(o, "deletedAt", c->at);
        *name = "file-deleted";
    } else if (strcmp(c->kind, "renamed") == 0) {
        o = json_object_new_object();
        if (!o)
            return SYNC_ENOMEM;
        bad |= jsonx_add_cstr(o, "oldPath", c->old_path);
        bad |= jsonx_add_cstr(o, "newPath", c->path);
        if (it->has_file) {
            bad |= add_file_state(o, f);
            bad |= jsonx_add_cstr(o, "updatedAt", f->updated_at);
        } else {
            bad |= add_empty_state(o, c->path);
            bad |= jsonx_add_cstr(o, "updatedAt", c->at);
        }
        *name = "file-renamed";
    } else {
        return SYNC_EINVAL;
    }
    bad |= jsonx_add_int(o, "seq", c->seq);
    if (bad) {
        json_object_put(o);
        *name = NULL;
        return SYNC_ENOMEM;
    }
    *args = wrap(o);
    if (!*args) {
        *name = NULL;
        return SYNC_ENOMEM;
    }
    return GW_EVENT_SEND;
}
