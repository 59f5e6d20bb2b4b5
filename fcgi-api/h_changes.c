/* h_changes.c - GET /api/v1/changes?since=N&limit=L: the change feed a
 * client pages through until it reaches latestSeq (DESIGN §5.1). */
#include <stdint.h>

#include "api.h"
#include "jsonx.h"
#include "view.h"

void h_changes_get(struct call *c)
{
    struct sync_change_page page = {0};
    struct sync_err err = {0};
    long long since = 0, limit = SYNC_CHANGES_LIMIT_MAX;
    json_object *root, *arr;
    size_t i;

    if (!call_query(c) || !int_param(c, "since", 0, INT64_MAX, &since) ||
        !int_param(c, "limit", 1, SYNC_CHANGES_LIMIT_MAX, &limit))
        return;
    if (svc_changes_since(c->ctx->db, c->auth.store_id, since, (int)limit, &page, &err) !=
        SYNC_OK) {
        call_fail(c, &err);
        return;
    }
    arr = json_object_new_array_ext((int)(page.n ? page.n : 1));
    for (i = 0; arr && i < page.n; i++) {
        json_object *o = view_change(&page.items[i]);
        if (!o || json_object_array_add(arr, o) != 0) {
            json_object_put(o);
            json_object_put(arr);
            arr = NULL;
        }
    }
    root = arr ? json_object_new_object() : NULL;
    if (!arr || jsonx_add(root, "changes", arr) != 0 ||
        jsonx_add_int(root, "latestSeq", page.latest_seq) != 0 ||
        jsonx_add_bool(root, "resync", page.resync) != 0) {
        json_object_put(root);
        root = NULL;
    }
    call_json(c, 200, root);
    sync_change_page_clear(&page);
}
