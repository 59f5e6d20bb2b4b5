/* migrate.c - applies the compiled-in migrations, each in one transaction. */
#include <libpq-fe.h>
#include <stdlib.h>

#include "migrate.h"

/* Any constant: the key of the advisory lock that serialises migrators. */
#define MIGRATE_LOCK_KEY "7340183"

static void rollback(struct sync_db *db)
{
    PQclear(PQexec(db_conn(db), "ROLLBACK"));
}

/* 1 when version is recorded, 0 when not, < 0 on error. Inside the txn. */
static int is_applied(struct sync_db *db, const char *version, struct sync_err *err)
{
    struct db_param p[1] = { DBP(version) };
    PGresult *res = db_exec_sql(db, "SELECT 1 FROM schema_migrations WHERE version = $1", 1, p,
                                PGRES_TUPLES_OK, err);
    int n;

    if (!res)
        return err->rc;
    n = PQntuples(res);
    PQclear(res);
    return n > 0;
}

static int apply_one(struct sync_db *db, const struct migration *m, int *ran,
                     void (*on_apply)(const char *), struct sync_err *err)
{
    struct db_param p[1] = { DBP(m->version) };
    PGresult *res;
    int rc;

    *ran = 0;
    rc = db_exec_script(db,
                        "BEGIN; SELECT pg_advisory_xact_lock(" MIGRATE_LOCK_KEY "); "
                        "CREATE TABLE IF NOT EXISTS schema_migrations ("
                        "  version text PRIMARY KEY,"
                        "  applied_at timestamptz NOT NULL DEFAULT now())",
                        err);
    if (rc != SYNC_OK)
        goto fail;
    rc = is_applied(db, m->version, err);
    if (rc < 0)
        goto fail;
    if (rc == 0) {
        if (on_apply)
            on_apply(m->version);
        rc = db_exec_script(db, m->sql, err);
        if (rc != SYNC_OK) {
            sync_err_set(err, rc, "migration %s failed: %s", m->version, err->msg);
            goto fail;
        }
        res = db_exec_sql(db, "INSERT INTO schema_migrations (version) VALUES ($1)", 1, p,
                          PGRES_COMMAND_OK, err);
        if (!res) {
            rc = err->rc;
            goto fail;
        }
        PQclear(res);
        *ran = 1;
    }
    rc = db_exec_script(db, "COMMIT", err);
    if (rc != SYNC_OK)
        goto fail;
    return SYNC_OK;
fail:
    rollback(db);
    *ran = 0;
    return rc;
}

int migrate_apply(struct sync_db *db, int *applied, void (*on_apply)(const char *version),
                  struct sync_err *err)
{
    *applied = 0;
    for (int i = 0; i < migrations_count; i++) {
        int ran, rc = apply_one(db, &migrations[i], &ran, on_apply, err);
        if (rc != SYNC_OK)
            return rc;
        *applied += ran;
    }
    return SYNC_OK;
}

int migrate_status(struct sync_db *db, int *applied_count, struct sync_err *err)
{
    PGresult *res = db_exec_sql(db,
                                "SELECT count(*) FROM pg_tables WHERE tablename = 'schema_migrations'"
                                " AND schemaname = current_schema()",
                                0, NULL, PGRES_TUPLES_OK, err);
    int exists;

    *applied_count = 0;
    if (!res)
        return err->rc;
    exists = PQgetvalue(res, 0, 0)[0] == '1';
    PQclear(res);
    if (!exists)
        return SYNC_OK;
    res = db_exec_sql(db, "SELECT count(*) FROM schema_migrations", 0, NULL, PGRES_TUPLES_OK, err);
    if (!res)
        return err->rc;
    *applied_count = (int)strtol(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return SYNC_OK;
}
