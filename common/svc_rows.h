/* svc_rows.h - internal to the services: turning result rows into structs. */
#ifndef SYNC_SVC_ROWS_H
#define SYNC_SVC_ROWS_H

#include <libpq-fe.h>
#include "svc.h"

/* malloc'd copy of a value; NULL for SQL NULL. *oom set when a copy failed. */
char *row_strdup(const PGresult *res, int r, int c, int *oom);
/* Copies a value into a fixed buffer ("" for NULL), truncating never: values
 * that would not fit are a schema bug and come out empty. */
void row_copy(const PGresult *res, int r, int c, char *dst, size_t size);
long long row_ll(const PGresult *res, int r, int c, long long if_null);
bool row_bool(const PGresult *res, int r, int c);

/* The 9 columns of FILE_COLS (path .. seq) from column c0; SYNC_OK/ENOMEM. */
int row_file(const PGresult *res, int r, int c0, struct sync_file *f);

/* Is s a canonical UUID? Ids that are not give NOT_FOUND before any query. */
int svc_check_id(const char *id, const char *what, struct sync_err *err);

/* What the rules derive from a path: its extension and whether it is binary. */
struct path_meta {
    char ext[SYNC_PATH_MAX_BYTES + 1];
    bool has_ext;
    bool binary;
};
void svc_path_meta(const char *path, size_t len, struct path_meta *m);

/* NUL-terminated copy of (s, len), or NULL. */
char *svc_strndup(const char *s, size_t len);

#endif
