/* svc_changes.c - the changes feed (REST), the broadcast feed (gateway) and
 * the purge of old tombstones and changes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc_rows.h"

/* seq, kind, path, old_path, hash, size, at, origin from column c0 */
static int row_change(const PGresult *res, int r, int c0, struct sync_change *c)
{
    int oom = 0;

    memset(c, 0, sizeof *c);
    c->seq = row_ll(res, r, c0, 0);
    row_copy(res, r, c0 + 1, c->kind, sizeof c->kind);
    c->path = row_strdup(res, r, c0 + 2, &oom);
    c->old_path = row_strdup(res, r, c0 + 3, &oom);
    row_copy(res, r, c0 + 4, c->hash, sizeof c->hash);
    c->size = row_ll(res, r, c0 + 5, -1);
    row_copy(res, r, c0 + 6, c->at, sizeof c->at);
    c->origin = row_strdup(res, r, c0 + 7, &oom);
    return oom ? SYNC_ENOMEM : SYNC_OK;
}

static void change_clear(struct sync_change *c)
{
    free(c->path);
    free(c->old_path);
    free(c->origin);
    memset(c, 0, sizeof *c);
}

int svc_changes_since(struct sync_db *db, const char *store_id, long long since, int limit,
                      struct sync_change_page *out, struct sync_err *err)
{
    char s_since[24], s_limit[16];
    struct db_param p[3];
    PGresult *res;
    long long purged;
    int rc = SYNC_OK, rows;

    memset(out, 0, sizeof *out);
    if ((rc = svc_check_id(store_id, "store", err)) != SYNC_OK)
        return rc;
    if (since < 0 || limit < 1 || limit > SYNC_CHANGES_LIMIT_MAX)
        return sync_err_set(err, SYNC_EINVAL, "since must be >= 0 and limit 1..%d",
                            SYNC_CHANGES_LIMIT_MAX);
    snprintf(s_since, sizeof s_since, "%lld", since);
    snprintf(s_limit, sizeof s_limit, "%d", limit);
    p[0] = DBP(store_id);
    p[1] = DBP(s_since);
    p[2] = DBP(s_limit);
    res = db_exec(db, "changes_since", 3, p, PGRES_TUPLES_OK, err);
    if (!res)
        return err->rc;
    rows = PQntuples(res);
    if (rows == 0) {
        PQclear(res);
        return sync_err_set(err, SYNC_ENOTFOUND, "store not found");
    }
    out->latest_seq = row_ll(res, 0, 0, 0);
    purged = row_ll(res, 0, 1, 0);
    /* changes after `since` were purged, or the cursor is from another history */
    out->resync = since < purged || since > out->latest_seq;
    out->items = calloc((size_t)rows, sizeof *out->items);
    if (!out->items)
        rc = sync_err_set(err, SYNC_ENOMEM, "out of memory");
    for (int r = 0; rc == SYNC_OK && !out->resync && r < rows; r++) {
        if (PQgetisnull(res, r, 2))
            continue;
        if (row_change(res, r, 2, &out->items[out->n]) != SYNC_OK) {
            change_clear(&out->items[out->n]);
            rc = sync_err_set(err, SYNC_ENOMEM, "out of memory");
        } else {
            out->n++;
        }
    }
    PQclear(res);
    if (rc != SYNC_OK)
        sync_change_page_clear(out);
    return rc;
}

int svc_feed_since(struct sync_db *db, const char *store_id, long long after, int limit,
                   struct sync_feed *out, struct sync_err *err)
{
    char s_after[24], s_limit[16];
    struct db_param p[3];
    PGresult *res;
    int rc = SYNC_OK, rows;

    memset(out, 0, sizeof *out);
    if ((rc = svc_check_id(store_id, "store", err)) != SYNC_OK)
        return rc;
    snprintf(s_after, sizeof s_after, "%lld", after);
    snprintf(s_limit, sizeof s_limit, "%d", limit);
    p[0] = DBP(store_id);
    p[1] = DBP(s_after);
    p[2] = DBP(s_limit);
    res = db_exec(db, "feed_since", 3, p, PGRES_TUPLES_OK, err);
    if (!res)
        return err->rc;
    rows = PQntuples(res);
    out->items = calloc((size_t)(rows ? rows : 1), sizeof *out->items);
    if (!out->items)
        rc = sync_err_set(err, SYNC_ENOMEM, "out of memory");
    for (int r = 0; rc == SYNC_OK && r < rows; r++) {
        struct sync_feed_item *it = &out->items[r];
        int oom = row_change(res, r, 0, &it->change) != SYNC_OK;
        it->has_file = row_bool(res, r, 8);
        if (it->has_file) {
            struct sync_file *f = &it->file;
            f->path = strdup(it->change.path ? it->change.path : "");
            row_copy(res, r, 9, f->hash, sizeof f->hash);
            f->size = row_ll(res, r, 10, 0);
            f->is_binary = row_bool(res, r, 11);
            f->extension = row_strdup(res, r, 12, &oom);
            row_copy(res, r, 13, f->created_at, sizeof f->created_at);
            row_copy(res, r, 14, f->updated_at, sizeof f->updated_at);
            f->seq = row_ll(res, r, 15, 0);
            f->content_len = (size_t)PQgetlength(res, r, 16);
            f->content = row_strdup(res, r, 16, &oom);     /* NULL: superseded */
            oom |= !f->path;
        }
        out->n++;
        if (oom)
            rc = sync_err_set(err, SYNC_ENOMEM, "out of memory");
    }
    PQclear(res);
    if (rc != SYNC_OK)
        sync_feed_clear(out);
    return rc;
}

int svc_purge(struct sync_db *db, int days, long long *files, long long *changes,
              struct sync_err *err)
{
    char s_days[16];
    struct db_param p[1];
    PGresult *res;

    *files = *changes = 0;
    if (days < 1)
        return sync_err_set(err, SYNC_EINVAL, "days must be >= 1");
    snprintf(s_days, sizeof s_days, "%d", days);
    p[0] = DBP(s_days);
    res = db_exec(db, "purge", 1, p, PGRES_TUPLES_OK, err);
    if (!res)
        return err->rc;
    *files = row_ll(res, 0, 0, 0);
    *changes = row_ll(res, 0, 1, 0);
    PQclear(res);
    return SYNC_OK;
}
