/* db.h - one PostgreSQL connection with its prepared statements.
 * Not thread-safe: one struct sync_db per thread. */
#ifndef SYNC_DB_H
#define SYNC_DB_H

#include <libpq-fe.h>
#include "err.h"

struct sync_db;

/* Connects once and prepares every statement of common/ on the connection.
 * SYNC_EUNAVAIL when the server cannot be reached. Caller owns *out
 * (db_close). A NULL *out is never returned on SYNC_OK. */
int db_open(const char *url, struct sync_db **out, struct sync_err *err);
/* db_open with retries and exponential backoff (100 ms doubling to 2 s) for at
 * most max_wait_ms. */
int db_open_retry(const char *url, int max_wait_ms, struct sync_db **out, struct sync_err *err);
void db_close(struct sync_db *db);                       /* NULL ok */

/* Before each request: notices a connection the server has closed (without
 * sending anything) and, if it is broken, tries once to re-establish it (and
 * re-prepare). SYNC_OK or SYNC_EUNAVAIL. Never blocks longer than the
 * connect timeout (3 s). */
int db_ensure(struct sync_db *db, struct sync_err *err);

/* How many times this handle has connected (a change = it reconnected). */
unsigned db_connects(const struct sync_db *db);

/* One round trip that reads nothing (health checks). */
int db_ping(struct sync_db *db, struct sync_err *err);

/* The raw connection, for callers that LISTEN or poll (the gateway). */
PGconn *db_conn(struct sync_db *db);

/* A statement parameter: NUL-terminated text (len < 0), NULL for SQL NULL,
 * or len bytes sent in binary format (for text-typed parameters only: the
 * binary form of text is its bytes, so no NUL or strlen is needed). */
struct db_param {
    const char *v;
    int len;
};
#define DBP(s) ((struct db_param){ (s), -1 })
#define DBP_LEN(s, n) ((struct db_param){ (s), (int)(n) })

/* Runs a statement of common/'s table (prepared on first use on this
 * connection); returns the result or NULL with err set (SYNC_EUNAVAIL when
 * the connection broke, SYNC_EDB or a mapped SQLSTATE otherwise).
 * want is PGRES_TUPLES_OK or PGRES_COMMAND_OK. Caller PQclears. */
PGresult *db_exec(struct sync_db *db, const char *stmt, int n, const struct db_param *params,
                  ExecStatusType want, struct sync_err *err);
/* The same for a parameterised statement that is planned for its values each
 * time (filtered listings: a custom plan folds the absent filters away). */
PGresult *db_exec_sql(struct sync_db *db, const char *sql, int n, const struct db_param *params,
                      ExecStatusType want, struct sync_err *err);

/* Tombstone TTL used by the write functions (SYNC_TOMBSTONE_DAYS). */
void db_set_tombstone_days(struct sync_db *db, int days);
int db_tombstone_days(const struct sync_db *db);

/* Runs a plain SQL script (migrations, syncctl only: never user input). */
int db_exec_script(struct sync_db *db, const char *sql, struct sync_err *err);

#endif
