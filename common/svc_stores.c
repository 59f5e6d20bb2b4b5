/* svc_stores.c - stores: create, get, list, delete (cascading). */
#include <stdlib.h>
#include <string.h>

#include "rules.h"
#include "svc_rows.h"

/* id, name, created, updated, file_count, total_size, seq */
static int row_store(const PGresult *res, int r, struct sync_store *s)
{
    int oom = 0;

    memset(s, 0, sizeof *s);
    row_copy(res, r, 0, s->id, sizeof s->id);
    s->name = row_strdup(res, r, 1, &oom);
    row_copy(res, r, 2, s->created_at, sizeof s->created_at);
    row_copy(res, r, 3, s->updated_at, sizeof s->updated_at);
    s->file_count = row_ll(res, r, 4, 0);
    s->total_size = row_ll(res, r, 5, 0);
    s->seq = row_ll(res, r, 6, 0);
    return oom ? SYNC_ENOMEM : SYNC_OK;
}

int svc_store_create(struct sync_db *db, const char *name, size_t len, struct sync_store *out,
                     struct sync_err *err)
{
    struct db_param p[1] = { DBP_LEN(name, len) };
    PGresult *res;
    int rc;

    memset(out, 0, sizeof *out);
    rc = rules_check_name(name, len, err);
    if (rc != SYNC_OK)
        return rc;
    res = db_exec(db, "store_create", 1, p, PGRES_TUPLES_OK, err);
    if (!res)
        return err->rc;
    rc = row_store(res, 0, out);
    PQclear(res);
    if (rc != SYNC_OK) {
        sync_store_clear(out);
        return sync_err_set(err, rc, "out of memory");
    }
    return SYNC_OK;
}

int svc_store_get(struct sync_db *db, const char *id, struct sync_store *out, struct sync_err *err)
{
    struct db_param p[1] = { DBP(id) };
    PGresult *res;
    int rc;

    memset(out, 0, sizeof *out);
    rc = svc_check_id(id, "store", err);
    if (rc != SYNC_OK)
        return rc;
    res = db_exec(db, "store_get", 1, p, PGRES_TUPLES_OK, err);
    if (!res)
        return err->rc;
    if (PQntuples(res) != 1)
        rc = sync_err_set(err, SYNC_ENOTFOUND, "store not found");
    else if (row_store(res, 0, out) != SYNC_OK)
        rc = sync_err_set(err, SYNC_ENOMEM, "out of memory");
    PQclear(res);
    if (rc != SYNC_OK)
        sync_store_clear(out);
    return rc;
}

int svc_store_list(struct sync_db *db, struct sync_store **items, size_t *n, struct sync_err *err)
{
    PGresult *res;
    struct sync_store *a = NULL;
    size_t rows, i;
    int rc = SYNC_OK;

    *items = NULL;
    *n = 0;
    res = db_exec(db, "store_list", 0, NULL, PGRES_TUPLES_OK, err);
    if (!res)
        return err->rc;
    rows = (size_t)PQntuples(res);
    a = calloc(rows ? rows : 1, sizeof *a);
    if (!a) {
        PQclear(res);
        return sync_err_set(err, SYNC_ENOMEM, "out of memory");
    }
    for (i = 0; i < rows && rc == SYNC_OK; i++)
        rc = row_store(res, (int)i, &a[i]);
    PQclear(res);
    if (rc != SYNC_OK) {
        sync_store_array_free(a, rows);
        return sync_err_set(err, rc, "out of memory");
    }
    *items = a;
    *n = rows;
    return SYNC_OK;
}

int svc_store_delete(struct sync_db *db, const char *id, struct sync_err *err)
{
    struct db_param p[1] = { DBP(id) };
    PGresult *res;
    int rc;

    rc = svc_check_id(id, "store", err);
    if (rc != SYNC_OK)
        return rc;
    res = db_exec(db, "store_delete", 1, p, PGRES_TUPLES_OK, err);
    if (!res)
        return err->rc;
    rc = row_bool(res, 0, 0) ? SYNC_OK : sync_err_set(err, SYNC_ENOTFOUND, "store not found");
    PQclear(res);
    return rc;
}
