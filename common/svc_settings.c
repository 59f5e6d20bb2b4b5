/* svc_settings.c - the settings namespace: plain upserts and deletes, never
 * broadcast, no seq and no change rows (DESIGN §2). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "rules.h"
#include "svc_rows.h"

int svc_settings_list(struct sync_db *db, const char *store_id, struct sync_file_list *out,
                      struct sync_err *err)
{
    struct db_param p[1] = { DBP(store_id) };
    PGresult *res;
    int rc = SYNC_OK, rows;

    memset(out, 0, sizeof *out);
    if ((rc = svc_check_id(store_id, "store", err)) != SYNC_OK)
        return rc;
    res = db_exec(db, "settings_list", 1, p, PGRES_TUPLES_OK, err);
    if (!res)
        return err->rc;
    rows = PQntuples(res);
    out->items = calloc((size_t)(rows ? rows : 1), sizeof *out->items);
    if (!out->items)
        rc = sync_err_set(err, SYNC_ENOMEM, "out of memory");
    for (int r = 0; rc == SYNC_OK && r < rows; r++) {
        if (row_file(res, r, 0, &out->items[r]) != SYNC_OK)
            rc = sync_err_set(err, SYNC_ENOMEM, "out of memory");
        else
            out->n++;
    }
    out->total = (long long)out->n;
    PQclear(res);
    if (rc != SYNC_OK)
        sync_file_list_clear(out);
    return rc;
}

int svc_settings_put(struct sync_db *db, const char *store_id, const char *path, size_t path_len,
                     const char *content, size_t content_len, struct sync_write_result *out,
                     struct sync_err *err)
{
    char hash[72], size[24];
    struct path_meta m;
    struct db_param p[7];
    PGresult *res;
    const char *outcome;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = svc_check_id(store_id, "store", err)) != SYNC_OK ||
        (rc = rules_check_path(path, path_len, err)) != SYNC_OK)
        return rc;
    if (!content)
        return sync_err_set(err, SYNC_EINVAL, "content is required");
    if ((rc = rules_check_content(content, content_len, err)) != SYNC_OK)
        return rc;
    hash_content(content, content_len, hash);
    snprintf(size, sizeof size, "%zu", content_len);
    svc_path_meta(path, path_len, &m);
    p[0] = DBP(store_id);
    p[1] = DBP_LEN(path, path_len);
    p[2] = DBP_LEN(content, content_len);
    p[3] = DBP(hash);
    p[4] = DBP(size);
    p[5] = DBP(m.binary ? "t" : "f");
    p[6] = DBP(m.has_ext ? m.ext : NULL);
    res = db_exec(db, "settings_put", 7, p, PGRES_TUPLES_OK, err);
    if (!res)
        return err->rc;
    outcome = PQgetvalue(res, 0, 0);
    if (strcmp(outcome, "no_store") == 0) {
        rc = sync_err_set(err, SYNC_ENOTFOUND, "store not found");
    } else {
        struct sync_file *f = &out->file;
        out->outcome = strcmp(outcome, "created") == 0   ? OUTCOME_CREATED
                       : strcmp(outcome, "updated") == 0 ? OUTCOME_UPDATED
                                                         : OUTCOME_UNCHANGED;
        f->path = svc_strndup(path, path_len);
        memcpy(f->hash, hash, sizeof f->hash);
        f->size = (long long)content_len;
        f->is_binary = m.binary;
        f->extension = m.has_ext ? strdup(m.ext) : NULL;
        row_copy(res, 0, 1, f->created_at, sizeof f->created_at);
        row_copy(res, 0, 2, f->updated_at, sizeof f->updated_at);
        if (!f->path || (m.has_ext && !f->extension)) {
            sync_file_clear(f);
            rc = sync_err_set(err, SYNC_ENOMEM, "out of memory");
        }
    }
    PQclear(res);
    return rc;
}

int svc_settings_delete(struct sync_db *db, const char *store_id, const char *path, size_t path_len,
                        struct sync_err *err)
{
    struct db_param p[2] = { DBP(store_id), DBP_LEN(path, path_len) };
    PGresult *res;
    int rc;

    if ((rc = svc_check_id(store_id, "store", err)) != SYNC_OK ||
        (rc = rules_check_path(path, path_len, err)) != SYNC_OK)
        return rc;
    res = db_exec(db, "settings_delete", 2, p, PGRES_COMMAND_OK, err);
    if (!res)
        return err->rc;
    PQclear(res);
    return SYNC_OK;
}

int svc_settings_delete_all(struct sync_db *db, const char *store_id, long long *count,
                            struct sync_err *err)
{
    struct db_param p[1] = { DBP(store_id) };
    PGresult *res;
    int rc;

    *count = 0;
    if ((rc = svc_check_id(store_id, "store", err)) != SYNC_OK)
        return rc;
    res = db_exec(db, "settings_delete_all", 1, p, PGRES_COMMAND_OK, err);
    if (!res)
        return err->rc;
    *count = strtoll(PQcmdTuples(res), NULL, 10);
    PQclear(res);
    return SYNC_OK;
}
