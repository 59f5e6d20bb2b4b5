/* svc_keys.c - store keys: create (the key shown once), get, list, revoke. */
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "rules.h"
#include "svc_rows.h"

/* id, store_id, name, permissions, prefix, created, last_used, revoked */
static int row_key(const PGresult *res, int r, struct sync_key *k)
{
    int oom = 0;

    memset(k, 0, sizeof *k);
    row_copy(res, r, 0, k->id, sizeof k->id);
    row_copy(res, r, 1, k->store_id, sizeof k->store_id);
    k->name = row_strdup(res, r, 2, &oom);
    k->perms = perm_from_pg_array(PQgetvalue(res, r, 3));
    row_copy(res, r, 4, k->prefix, sizeof k->prefix);
    row_copy(res, r, 5, k->created_at, sizeof k->created_at);
    row_copy(res, r, 6, k->last_used_at, sizeof k->last_used_at);
    row_copy(res, r, 7, k->revoked_at, sizeof k->revoked_at);
    return oom ? SYNC_ENOMEM : SYNC_OK;
}

int svc_key_create(struct sync_db *db, const char *store_id, const char *name, size_t name_len,
                   unsigned perms, struct sync_key *out, char key_out[SYNC_KEY_MAX + 1],
                   struct sync_err *err)
{
    char h[65], prefix[SYNC_KEY_PREFIX_LEN + 1], arr[64];
    struct db_param p[5];
    PGresult *res;
    int rc;

    memset(out, 0, sizeof *out);
    key_out[0] = '\0';
    rc = svc_check_id(store_id, "store", err);
    if (rc != SYNC_OK)
        return rc;
    rc = rules_check_name(name, name_len, err);
    if (rc != SYNC_OK)
        return rc;
    if (perms == 0 || perms > (PERM_READ | PERM_WRITE | PERM_SETTINGS_READ | PERM_SETTINGS_WRITE))
        return sync_err_set(err, SYNC_EINVAL, "permissions must be a non-empty list");
    rc = key_generate(store_id, key_out, err);
    if (rc != SYNC_OK)
        return rc;
    key_hash(key_out, strlen(key_out), h);
    key_prefix(key_out, strlen(key_out), prefix);
    perm_to_pg_array(perms, arr);
    p[0] = DBP(store_id);
    p[1] = DBP_LEN(name, name_len);
    p[2] = DBP(h);
    p[3] = DBP(prefix);
    p[4] = DBP(arr);
    res = db_exec(db, "key_create", 5, p, PGRES_TUPLES_OK, err);
    if (!res) {
        key_out[0] = '\0';
        return err->rc;
    }
    rc = row_key(res, 0, out);
    PQclear(res);
    if (rc != SYNC_OK) {
        /* the row exists but its key cannot be shown: it is unusable, say so */
        key_out[0] = '\0';
        sync_key_clear(out);
        return sync_err_set(err, rc, "out of memory");
    }
    return SYNC_OK;
}

int svc_key_get(struct sync_db *db, const char *store_id, const char *key_id, struct sync_key *out,
                struct sync_err *err)
{
    struct db_param p[2] = { DBP(store_id), DBP(key_id) };
    PGresult *res;
    int rc;

    memset(out, 0, sizeof *out);
    if (svc_check_id(store_id, "store", err) != SYNC_OK || svc_check_id(key_id, "key", err) != SYNC_OK)
        return err->rc;
    res = db_exec(db, "key_get", 2, p, PGRES_TUPLES_OK, err);
    if (!res)
        return err->rc;
    if (PQntuples(res) != 1)
        rc = sync_err_set(err, SYNC_ENOTFOUND, "key not found");
    else
        rc = row_key(res, 0, out) == SYNC_OK ? SYNC_OK : sync_err_set(err, SYNC_ENOMEM, "out of memory");
    PQclear(res);
    if (rc != SYNC_OK)
        sync_key_clear(out);
    return rc;
}

int svc_key_list(struct sync_db *db, const char *store_id, struct sync_key **items, size_t *n,
                 struct sync_err *err)
{
    struct db_param p[1] = { DBP(store_id) };
    struct sync_store st;
    struct sync_key *a;
    PGresult *res;
    size_t rows, i;
    int rc = SYNC_OK;

    *items = NULL;
    *n = 0;
    /* an unknown store is a 404, not an empty list */
    rc = svc_store_get(db, store_id, &st, err);
    if (rc != SYNC_OK)
        return rc;
    sync_store_clear(&st);
    res = db_exec(db, "key_list", 1, p, PGRES_TUPLES_OK, err);
    if (!res)
        return err->rc;
    rows = (size_t)PQntuples(res);
    a = calloc(rows ? rows : 1, sizeof *a);
    if (!a) {
        PQclear(res);
        return sync_err_set(err, SYNC_ENOMEM, "out of memory");
    }
    for (i = 0; i < rows && rc == SYNC_OK; i++)
        rc = row_key(res, (int)i, &a[i]);
    PQclear(res);
    if (rc != SYNC_OK) {
        sync_key_array_free(a, rows);
        return sync_err_set(err, rc, "out of memory");
    }
    *items = a;
    *n = rows;
    return SYNC_OK;
}

int svc_key_revoke(struct sync_db *db, const char *store_id, const char *key_id,
                   struct sync_err *err)
{
    struct db_param p[2] = { DBP(store_id), DBP(key_id) };
    PGresult *res;
    int rc;

    if (svc_check_id(store_id, "store", err) != SYNC_OK || svc_check_id(key_id, "key", err) != SYNC_OK)
        return err->rc;
    res = db_exec(db, "key_revoke", 2, p, PGRES_TUPLES_OK, err);
    if (!res)
        return err->rc;
    rc = row_bool(res, 0, 0) ? SYNC_OK : sync_err_set(err, SYNC_ENOTFOUND, "key not found");
    PQclear(res);
    return rc;
}
