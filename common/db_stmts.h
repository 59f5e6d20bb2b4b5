/* db_stmts.h - the table of prepared statements (the SQL of common/). */
#ifndef SYNC_DB_STMTS_H
#define SYNC_DB_STMTS_H

struct db_stmt {
    const char *name;
    const char *sql;
    int nparams;
};

extern const struct db_stmt db_stmts[];
extern const int db_nstmts;

/* Index of a statement by name, or -1. */
int db_stmt_find(const char *name);

#endif
