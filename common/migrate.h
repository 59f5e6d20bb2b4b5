/* migrate.h - schema migrations: sql/NNN_*.sql, compiled in by sql/embed.sh. */
#ifndef SYNC_MIGRATE_H
#define SYNC_MIGRATE_H

#include "db.h"
#include "err.h"

struct migration {
    const char *version;    /* file name without .sql, e.g. "001_init" */
    const char *sql;
};

extern const struct migration migrations[];
extern const int migrations_count;

/* Applies every migration not yet in schema_migrations, in order, each in its
 * own transaction with its record; a failed one is rolled back whole and
 * stops the run. Concurrent runs are serialised by an advisory lock.
 * *applied = how many ran (0 when up to date). on_apply, if set, is called
 * with each version before it runs. */
int migrate_apply(struct sync_db *db, int *applied, void (*on_apply)(const char *version),
                  struct sync_err *err);

/* Versions recorded in the database: count of applied ones. */
int migrate_status(struct sync_db *db, int *applied_count, struct sync_err *err);

#endif
