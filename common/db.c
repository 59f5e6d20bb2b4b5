/* db.c - one libpq connection, its statements prepared on first use, and the
 * mapping of PostgreSQL failures to SYNC_E* codes. */
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "db_stmts.h"
#include "limits.h"

#define DB_CONNECT_TIMEOUT "3"
#define DB_MAX_STMTS 64

struct sync_db {
    PGconn *conn;
    char *url;
    int tombstone_days;
    unsigned connects;                      /* successful connections so far */
    unsigned char prepared[DB_MAX_STMTS];   /* per statement, on this connection */
};

_Static_assert(DB_MAX_STMTS >= 32, "statement table too small");

/* Server notices ("relation already exists, skipping") are not errors and
 * must not reach a terminal or a log from inside the library. */
static void ignore_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static int connect_once(struct sync_db *db, struct sync_err *err)
{
    const char *keys[] = { "dbname", "connect_timeout", NULL };
    const char *vals[] = { db->url, DB_CONNECT_TIMEOUT, NULL };

    if (db->conn)
        PQfinish(db->conn);
    memset(db->prepared, 0, sizeof db->prepared);
    db->conn = PQconnectdbParams(keys, vals, 1);
    if (!db->conn)
        return sync_err_set(err, SYNC_ENOMEM, "out of memory connecting to the database");
    if (PQstatus(db->conn) != CONNECTION_OK) {
        const char *m = PQerrorMessage(db->conn);
        size_t n = strcspn(m, "\n");
        return sync_err_set(err, SYNC_EUNAVAIL, "database unavailable: %.*s", (int)n, m);
    }
    PQsetNoticeProcessor(db->conn, ignore_notice, NULL);
    db->connects++;
    return SYNC_OK;
}

int db_open(const char *url, struct sync_db **out, struct sync_err *err)
{
    struct sync_db *db;
    int rc;

    *out = NULL;
    if (!url || !*url)
        return sync_err_set(err, SYNC_EINVAL, "DATABASE_URL is not set");
    db = calloc(1, sizeof *db);
    if (!db)
        return sync_err_set(err, SYNC_ENOMEM, "out of memory");
    db->url = strdup(url);
    db->tombstone_days = SYNC_TOMBSTONE_DAYS_DEFAULT;
    if (!db->url) {
        free(db);
        return sync_err_set(err, SYNC_ENOMEM, "out of memory");
    }
    rc = connect_once(db, err);
    if (rc != SYNC_OK) {
        db_close(db);
        return rc;
    }
    *out = db;
    return SYNC_OK;
}

static void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int db_open_retry(const char *url, int max_wait_ms, struct sync_db **out, struct sync_err *err)
{
    int64_t deadline = now_ms() + max_wait_ms;
    int backoff = 100;

    for (;;) {
        int rc = db_open(url, out, err);
        if (rc != SYNC_EUNAVAIL || now_ms() + backoff > deadline)
            return rc;
        sleep_ms(backoff);
        backoff = backoff * 2 > 2000 ? 2000 : backoff * 2;
    }
}

void db_close(struct sync_db *db)
{
    if (!db)
        return;
    if (db->conn)
        PQfinish(db->conn);
    free(db->url);
    free(db);
}

/* A server that went away (restart, idle timeout) leaves the connection
 * looking OK until the next query fails. Its end-of-stream is already
 * readable, though: consume what is there without sending anything, so the
 * status tells the truth before a request is spent on a dead connection.
 * Notifications read here are dropped: not for a LISTENing connection. */
static void notice_close(struct sync_db *db)
{
    struct pollfd pfd;
    int guard = 8;

    if (!db->conn || PQstatus(db->conn) != CONNECTION_OK)
        return;
    pfd.fd = PQsocket(db->conn);
    pfd.events = POLLIN;
    while (pfd.fd >= 0 && guard-- > 0 && poll(&pfd, 1, 0) > 0) {
        PGnotify *n;
        if (!PQconsumeInput(db->conn) || PQstatus(db->conn) != CONNECTION_OK)
            return;
        while ((n = PQnotifies(db->conn)) != NULL)
            PQfreemem(n);
        pfd.fd = PQsocket(db->conn);
    }
}

int db_ensure(struct sync_db *db, struct sync_err *err)
{
    notice_close(db);
    if (db->conn && PQstatus(db->conn) == CONNECTION_OK)
        return SYNC_OK;
    return connect_once(db, err);
}

int db_ping(struct sync_db *db, struct sync_err *err)
{
    PGresult *res = db_exec(db, "ping", 0, NULL, PGRES_TUPLES_OK, err);

    if (!res)
        return err->rc;
    PQclear(res);
    return SYNC_OK;
}

unsigned db_connects(const struct sync_db *db)
{
    return db->connects;
}

PGconn *db_conn(struct sync_db *db)
{
    return db->conn;
}

void db_set_tombstone_days(struct sync_db *db, int days)
{
    db->tombstone_days = days;
}

int db_tombstone_days(const struct sync_db *db)
{
    return db->tombstone_days;
}

/* SQLSTATE classes that mean "the database is not there" rather than "your
 * request is wrong": connection exceptions, shutdown, cannot connect now. */
static int state_is_unavailable(const char *st)
{
    return st && (strncmp(st, "08", 2) == 0 || strcmp(st, "57P01") == 0 ||
                  strcmp(st, "57P02") == 0 || strcmp(st, "57P03") == 0 ||
                  strcmp(st, "53300") == 0);
}

/* Sets err from a failed result (res may be NULL); returns the code. */
static int db_fail(struct sync_db *db, PGresult *res, struct sync_err *err)
{
    const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *m = res ? PQresultErrorMessage(res) : PQerrorMessage(db->conn);
    int n = (int)strcspn(m ? m : "", "\n");

    /* An error without a SQLSTATE was made by libpq, not by the server: the
     * connection broke. libpq does not always say so in PQstatus: a
     * statement sent to a server that was just stopped -m immediate fails
     * with "server closed the connection unexpectedly" while the status is
     * still CONNECTION_OK. */
    if (PQstatus(db->conn) != CONNECTION_OK || state_is_unavailable(st) ||
        (res && PQresultStatus(res) == PGRES_FATAL_ERROR && !st))
        return sync_err_set(err, SYNC_EUNAVAIL, "database unavailable: %.*s", n, m ? m : "");
    if (st && strcmp(st, "23503") == 0)          /* foreign key: the store is gone */
        return sync_err_set(err, SYNC_ENOTFOUND, "store not found");
    if (st && strcmp(st, "23505") == 0)
        return sync_err_set(err, SYNC_ECONFLICT, "already exists");
    if (st && (strncmp(st, "22", 2) == 0 || strcmp(st, "23514") == 0))
        return sync_err_set(err, SYNC_EINVAL, "invalid value: %.*s", n, m);
    return sync_err_set(err, SYNC_EDB, "database error %s: %.*s", st ? st : "?", n, m ? m : "");
}

/* Splits params into libpq's parallel arrays (n <= DB_MAX_PARAMS). */
#define DB_MAX_PARAMS 16
struct pq_args {
    const char *values[DB_MAX_PARAMS];
    int lengths[DB_MAX_PARAMS];
    int formats[DB_MAX_PARAMS];
};

static void pq_args_fill(struct pq_args *a, int n, const struct db_param *params)
{
    for (int i = 0; i < n; i++) {
        a->values[i] = params[i].v;
        a->lengths[i] = params[i].len < 0 ? 0 : params[i].len;
        a->formats[i] = (params[i].v && params[i].len >= 0) ? 1 : 0;
    }
}

static PGresult *check_result(struct sync_db *db, PGresult *res, ExecStatusType want,
                              struct sync_err *err)
{
    if (res && PQresultStatus(res) == want)
        return res;
    db_fail(db, res, err);
    PQclear(res);
    return NULL;
}

PGresult *db_exec(struct sync_db *db, const char *stmt, int n, const struct db_param *params,
                  ExecStatusType want, struct sync_err *err)
{
    struct pq_args a;
    int i = db_stmt_find(stmt);

    if (i < 0 || db_stmts[i].nparams != n || n > DB_MAX_PARAMS || i >= DB_MAX_STMTS) {
        sync_err_set(err, SYNC_EDB, "unknown statement %s/%d", stmt, n);
        return NULL;
    }
    if (!db->conn || PQstatus(db->conn) != CONNECTION_OK) {
        sync_err_set(err, SYNC_EUNAVAIL, "database unavailable: not connected");
        return NULL;
    }
    if (!db->prepared[i]) {
        PGresult *p = PQprepare(db->conn, db_stmts[i].name, db_stmts[i].sql, n, NULL);
        if (!check_result(db, p, PGRES_COMMAND_OK, err))
            return NULL;
        PQclear(p);
        db->prepared[i] = 1;
    }
    pq_args_fill(&a, n, params);
    return check_result(db,
                        PQexecPrepared(db->conn, db_stmts[i].name, n, a.values, a.lengths,
                                       a.formats, 0),
                        want, err);
}

PGresult *db_exec_sql(struct sync_db *db, const char *sql, int n, const struct db_param *params,
                      ExecStatusType want, struct sync_err *err)
{
    struct pq_args a;

    if (n > DB_MAX_PARAMS) {
        sync_err_set(err, SYNC_EDB, "too many parameters");
        return NULL;
    }
    if (!db->conn || PQstatus(db->conn) != CONNECTION_OK) {
        sync_err_set(err, SYNC_EUNAVAIL, "database unavailable: not connected");
        return NULL;
    }
    pq_args_fill(&a, n, params);
    return check_result(db, PQexecParams(db->conn, sql, n, NULL, a.values, a.lengths, a.formats, 0),
                        want, err);
}

int db_exec_script(struct sync_db *db, const char *sql, struct sync_err *err)
{
    PGresult *res;

    if (!db->conn || PQstatus(db->conn) != CONNECTION_OK)
        return sync_err_set(err, SYNC_EUNAVAIL, "database unavailable: not connected");
    res = PQexec(db->conn, sql);
    if (!res || (PQresultStatus(res) != PGRES_COMMAND_OK &&
                 PQresultStatus(res) != PGRES_TUPLES_OK)) {
        int rc = db_fail(db, res, err);
        PQclear(res);
        return rc;
    }
    PQclear(res);
    return SYNC_OK;
}
