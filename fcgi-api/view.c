/* view.c - service results as the JSON of DESIGN §5. */
#include <string.h>

#include "jsonx.h"
#include "keys.h"
#include "view.h"

/* A timestamp or null when "". */
static int add_ts(json_object *o, const char *key, const char *ts)
{
    return jsonx_add_cstr(o, key, ts[0] ? ts : NULL);
}

json_object *view_file(const struct sync_file *f, bool with_content)
{
    json_object *o = json_object_new_object();
    int bad = 0;

    if (!o)
        return NULL;
    bad |= jsonx_add_cstr(o, "path", f->path);
    bad |= jsonx_add_cstr(o, "hash", f->hash);
    bad |= jsonx_add_int(o, "size", f->size);
    bad |= jsonx_add_bool(o, "isBinary", f->is_binary);
    bad |= jsonx_add_cstr(o, "extension", f->extension);
    bad |= add_ts(o, "createdAt", f->created_at);
    bad |= add_ts(o, "updatedAt", f->updated_at);
    if (f->expires_at[0])
        bad |= add_ts(o, "expiresAt", f->expires_at);
    if (with_content)
        bad |= jsonx_add_str(o, "content", f->content ? f->content : "",
                             f->content ? f->content_len : 0);
    if (bad) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

json_object *view_store(const struct sync_store *s)
{
    json_object *o = json_object_new_object();
    int bad = 0;

    if (!o)
        return NULL;
    bad |= jsonx_add_cstr(o, "id", s->id);
    bad |= jsonx_add_cstr(o, "name", s->name ? s->name : "");
    bad |= add_ts(o, "createdAt", s->created_at);
    bad |= add_ts(o, "updatedAt", s->updated_at);
    bad |= jsonx_add_int(o, "fileCount", s->file_count);
    bad |= jsonx_add_int(o, "totalSize", s->total_size);
    if (bad) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

json_object *view_perms(unsigned perms)
{
    static const struct { unsigned bit; const char *name; } names[] = {
        { PERM_READ, "read" },
        { PERM_WRITE, "write" },
        { PERM_SETTINGS_READ, "settings_read" },
        { PERM_SETTINGS_WRITE, "settings_write" },
    };
    json_object *a = json_object_new_array();
    size_t i;

    if (!a)
        return NULL;
    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        json_object *s;
        if (!(perms & names[i].bit))
            continue;
        s = json_object_new_string(names[i].name);
        if (!s || json_object_array_add(a, s) != 0) {
            json_object_put(s);
            json_object_put(a);
            return NULL;
        }
    }
    return a;
}

json_object *view_key(const struct sync_key *k, const char *full_key)
{
    json_object *o = json_object_new_object();
    int bad = 0;

    if (!o)
        return NULL;
    bad |= jsonx_add_cstr(o, "id", k->id);
    bad |= jsonx_add_cstr(o, "name", k->name ? k->name : "");
    bad |= jsonx_add(o, "permissions", view_perms(k->perms));
    bad |= add_ts(o, "createdAt", k->created_at);
    bad |= add_ts(o, "lastUsedAt", k->last_used_at);
    bad |= add_ts(o, "revokedAt", k->revoked_at);
    bad |= jsonx_add_cstr(o, "prefix", k->prefix);
    if (full_key)
        bad |= jsonx_add_cstr(o, "key", full_key);
    if (bad) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

json_object *view_change(const struct sync_change *ch)
{
    json_object *o = json_object_new_object();
    int bad = 0;

    if (!o)
        return NULL;
    bad |= jsonx_add_int(o, "seq", ch->seq);
    bad |= jsonx_add_cstr(o, "kind", ch->kind);
    bad |= jsonx_add_cstr(o, "path", ch->path);
    if (ch->old_path)
        bad |= jsonx_add_cstr(o, "oldPath", ch->old_path);
    if (ch->hash[0])
        bad |= jsonx_add_cstr(o, "hash", ch->hash);
    if (ch->size >= 0)
        bad |= jsonx_add_int(o, "size", ch->size);
    bad |= add_ts(o, "at", ch->at);
    if (bad) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

json_object *view_file_array(const struct sync_file_list *l)
{
    json_object *arr = json_object_new_array_ext((int)(l->n ? l->n : 1));

    for (size_t i = 0; arr && i < l->n; i++) {
        json_object *f = view_file(&l->items[i], false);
        if (!f || json_object_array_add(arr, f) != 0) {
            json_object_put(f);
            json_object_put(arr);
            arr = NULL;
        }
    }
    return arr;
}
