/* svc_auth.c - who is calling: the admin key, or a store key by its hash. */
#include <string.h>

#include "hash.h"
#include "keys.h"
#include "svc_rows.h"

int svc_auth(struct sync_db *db, const char *admin_key, const char *key, size_t len,
             struct sync_auth *out, struct sync_err *err)
{
    struct db_param p[1];
    char h[65];
    PGresult *res;
    int rc;

    memset(out, 0, sizeof *out);
    if (!key || len == 0)
        return sync_err_set(err, SYNC_EUNAUTH, "missing API key");
    if (admin_key && key_is_admin_form(key, len)) {
        /* constant time: the admin key is a password */
        if (hash_equal_ct(key, len, admin_key, strlen(admin_key))) {
            out->admin = true;
            return SYNC_OK;
        }
        return sync_err_set(err, SYNC_EUNAUTH, "invalid API key");
    }
    if (!key_is_store_form(key, len))
        return sync_err_set(err, SYNC_EUNAUTH, "invalid API key");

    key_hash(key, len, h);
    p[0] = DBP(h);
    res = db_exec(db, "auth", 1, p, PGRES_TUPLES_OK, err);
    if (!res)
        return err->rc;
    if (PQntuples(res) != 1) {
        rc = sync_err_set(err, SYNC_EUNAUTH, "invalid API key");
    } else if (row_bool(res, 0, 3)) {
        rc = sync_err_set(err, SYNC_EREVOKED, "API key revoked");
    } else {
        row_copy(res, 0, 0, out->key_id, sizeof out->key_id);
        row_copy(res, 0, 1, out->store_id, sizeof out->store_id);
        out->perms = perm_from_pg_array(PQgetvalue(res, 0, 2));
        rc = SYNC_OK;
    }
    PQclear(res);
    return rc;
}
