/* svc_files.c - the vault's files: read, list, and the mutations, each one
 * call of a sql/ function (DESIGN §2: one transaction, one round trip). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "hash.h"
#include "rules.h"
#include "svc_rows.h"

static const char *mode_name(enum sync_write_mode m)
{
    switch (m) {
    case WRITE_CREATE:      return "create";
    case WRITE_CREATE_ONLY: return "create_only";
    case WRITE_TOUCH:       return "touch";
    case WRITE_UPSERT:
    default:                return "upsert";
    }
}

/* Fills out->file from a write/rename result row whose file columns start at
 * c0 (hash, size, binary, ext, created, updated). */
static int result_file(const PGresult *res, int c0, const char *path, size_t path_len,
                       struct sync_write_result *out, struct sync_err *err)
{
    int oom = 0;
    struct sync_file *f = &out->file;

    f->path = svc_strndup(path, path_len);
    row_copy(res, 0, c0, f->hash, sizeof f->hash);
    f->size = row_ll(res, 0, c0 + 1, 0);
    f->is_binary = row_bool(res, 0, c0 + 2);
    f->extension = row_strdup(res, 0, c0 + 3, &oom);
    row_copy(res, 0, c0 + 4, f->created_at, sizeof f->created_at);
    row_copy(res, 0, c0 + 5, f->updated_at, sizeof f->updated_at);
    f->seq = out->seq;
    if (!f->path || oom) {
        sync_file_clear(f);
        return sync_err_set(err, SYNC_ENOMEM, "out of memory");
    }
    return SYNC_OK;
}

int svc_file_write(struct sync_db *db, const struct sync_write *w,
                   struct sync_write_result *out, struct sync_err *err)
{
    const char *content = w->mode == WRITE_TOUCH ? "" : w->content;
    size_t clen = w->mode == WRITE_TOUCH ? 0 : w->content_len;
    struct path_meta m;
    char hash[72], size[24];
    struct db_param p[10];
    PGresult *res;
    const char *outcome;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = svc_check_id(w->store_id, "store", err)) != SYNC_OK ||
        (rc = rules_check_path(w->path, w->path_len, err)) != SYNC_OK)
        return rc;
    if (!content)
        return sync_err_set(err, SYNC_EINVAL, "content is required");
    if ((rc = rules_check_content(content, clen, err)) != SYNC_OK)
        return rc;
    if (w->if_match && !hash_is_valid(w->if_match, strlen(w->if_match)))
        return sync_err_set(err, SYNC_EPRECOND, "If-Match is not a content hash");

    hash_content(content, clen, hash);
    snprintf(size, sizeof size, "%zu", clen);
    svc_path_meta(w->path, w->path_len, &m);
    p[0] = DBP(w->store_id);
    p[1] = DBP_LEN(w->path, w->path_len);
    p[2] = DBP_LEN(content, clen);
    p[3] = DBP(hash);
    p[4] = DBP(size);
    p[5] = DBP(m.binary ? "t" : "f");
    p[6] = DBP(m.has_ext ? m.ext : NULL);
    p[7] = DBP(w->origin);
    p[8] = DBP(mode_name(w->mode));
    p[9] = DBP(w->if_match);
    res = db_exec(db, "file_write", 10, p, PGRES_TUPLES_OK, err);
    if (!res)
        return err->rc;

    outcome = PQgetvalue(res, 0, 0);
    if (strcmp(outcome, "no_store") == 0) {
        rc = sync_err_set(err, SYNC_ENOTFOUND, "store not found");
    } else if (strcmp(outcome, "conflict") == 0) {
        rc = sync_err_set(err, SYNC_ECONFLICT, "a file already exists at this path");
        row_copy(res, 0, 2, err->detail, sizeof err->detail);
    } else if (strcmp(outcome, "precondition") == 0) {
        rc = sync_err_set(err, SYNC_EPRECOND, "the file's current hash does not match");
        row_copy(res, 0, 2, err->detail, sizeof err->detail);
    } else {
        out->outcome = strcmp(outcome, "created") == 0   ? OUTCOME_CREATED
                       : strcmp(outcome, "updated") == 0 ? OUTCOME_UPDATED
                                                         : OUTCOME_UNCHANGED;
        out->seq = row_ll(res, 0, 1, 0);
        rc = result_file(res, 3, w->path, w->path_len, out, err);
    }
    PQclear(res);
    return rc;
}

static void days_param(struct sync_db *db, char buf[16])
{
    snprintf(buf, 16, "%d", db_tombstone_days(db));
}

int svc_file_delete(struct sync_db *db, const char *store_id, const char *path, size_t path_len,
                    const char *origin, long long *seq, struct sync_err *err)
{
    char days[16];
    struct db_param p[4];
    PGresult *res;
    int rc;

    *seq = 0;
    if ((rc = svc_check_id(store_id, "store", err)) != SYNC_OK ||
        (rc = rules_check_path(path, path_len, err)) != SYNC_OK)
        return rc;
    days_param(db, days);
    p[0] = DBP(store_id);
    p[1] = DBP_LEN(path, path_len);
    p[2] = DBP(origin);
    p[3] = DBP(days);
    res = db_exec(db, "file_delete", 4, p, PGRES_TUPLES_OK, err);
    if (!res)
        return err->rc;
    if (strcmp(PQgetvalue(res, 0, 0), "no_store") == 0) {
        rc = sync_err_set(err, SYNC_ENOTFOUND, "store not found");
    } else {
        *seq = row_ll(res, 0, 1, 0);
        rc = SYNC_OK;
    }
    PQclear(res);
    return rc;
}

int svc_file_delete_all(struct sync_db *db, const char *store_id, const char *origin,
                        long long *count, struct sync_err *err)
{
    char days[16];
    struct db_param p[3];
    PGresult *res;
    int rc;

    *count = 0;
    if ((rc = svc_check_id(store_id, "store", err)) != SYNC_OK)
        return rc;
    days_param(db, days);
    p[0] = DBP(store_id);
    p[1] = DBP(origin);
    p[2] = DBP(days);
    res = db_exec(db, "file_delete_all", 3, p, PGRES_TUPLES_OK, err);
    if (!res)
        return err->rc;
    if (strcmp(PQgetvalue(res, 0, 0), "no_store") == 0) {
        rc = sync_err_set(err, SYNC_ENOTFOUND, "store not found");
    } else {
        *count = row_ll(res, 0, 1, 0);
        rc = SYNC_OK;
    }
    PQclear(res);
    return rc;
}

int svc_file_rename(struct sync_db *db, const char *store_id,
                    const char *old_path, size_t old_len, const char *new_path, size_t new_len,
                    const char *origin, struct sync_write_result *out, struct sync_err *err)
{
    struct path_meta m;
    char days[16];
    struct db_param p[7];
    PGresult *res;
    const char *outcome;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = svc_check_id(store_id, "store", err)) != SYNC_OK)
        return rc;
    if ((rc = rules_check_path(old_path, old_len, err)) != SYNC_OK)
        return sync_err_set(err, rc, "oldPath: %s", err->msg);
    if ((rc = rules_check_path(new_path, new_len, err)) != SYNC_OK)
        return sync_err_set(err, rc, "newPath: %s", err->msg);
    svc_path_meta(new_path, new_len, &m);
    days_param(db, days);
    p[0] = DBP(store_id);
    p[1] = DBP_LEN(old_path, old_len);
    p[2] = DBP_LEN(new_path, new_len);
    p[3] = DBP(m.binary ? "t" : "f");
    p[4] = DBP(m.has_ext ? m.ext : NULL);
    p[5] = DBP(origin);
    p[6] = DBP(days);
    res = db_exec(db, "file_rename", 7, p, PGRES_TUPLES_OK, err);
    if (!res)
        return err->rc;
    outcome = PQgetvalue(res, 0, 0);
    if (strcmp(outcome, "no_store") == 0) {
        rc = sync_err_set(err, SYNC_ENOTFOUND, "store not found");
    } else {
        out->outcome = strcmp(outcome, "created") == 0   ? OUTCOME_CREATED
                       : strcmp(outcome, "renamed") == 0 ? OUTCOME_UPDATED
                                                         : OUTCOME_UNCHANGED;
        out->seq = row_ll(res, 0, 1, 0);
        rc = result_file(res, 2, new_path, new_len, out, err);
    }
    PQclear(res);
    return rc;
}

int svc_file_get(struct sync_db *db, const char *store_id, const char *ns, const char *path,
                 struct sync_file *out, struct sync_err *err)
{
    struct db_param p[3] = { DBP(store_id), DBP(ns), DBP(path) };
    PGresult *res;
    int rc, oom = 0;

    memset(out, 0, sizeof *out);
    if ((rc = svc_check_id(store_id, "store", err)) != SYNC_OK ||
        (rc = rules_check_path(path, strlen(path), err)) != SYNC_OK)
        return rc;
    res = db_exec(db, "file_get", 3, p, PGRES_TUPLES_OK, err);
    if (!res)
        return err->rc;
    if (PQntuples(res) != 1) {
        rc = sync_err_set(err, SYNC_ENOTFOUND, "file not found");
    } else if ((rc = row_file(res, 0, 0, out)) == SYNC_OK) {
        out->content_len = (size_t)PQgetlength(res, 0, 9);
        out->content = row_strdup(res, 0, 9, &oom);
        if (oom || !out->content)
            rc = sync_err_set(err, SYNC_ENOMEM, "out of memory");
    } else {
        sync_err_set(err, rc, "out of memory");
    }
    PQclear(res);
    if (rc != SYNC_OK)
        sync_file_clear(out);
    return rc;
}

/* LIKE pattern matching s literally: \ % _ escaped; pre/post are "" or "%". */
static int like_pattern(struct buf *b, const char *pre, const char *s, const char *post)
{
    int rc = buf_append(b, pre, strlen(pre));

    for (const char *c = s; rc == SYNC_OK && *c; c++) {
        if (*c == '\\' || *c == '%' || *c == '_')
            rc = buf_append(b, "\\", 1);
        if (rc == SYNC_OK)
            rc = buf_append(b, c, 1);
    }
    if (rc == SYNC_OK)
        rc = buf_append(b, post, strlen(post));
    return rc;
}

/* "MD, .txt ,png" -> "md,txt,png": lower-cased, trimmed, leading dots
 * dropped, empty items skipped. An empty result matches nothing. */
static int extension_list(struct buf *b, const char *s)
{
    int rc = SYNC_OK;
    const char *p = s;

    while (rc == SYNC_OK && *p) {
        const char *e = strchr(p, ',');
        const char *end = e ? e : p + strlen(p);
        const char *a = p;
        while (a < end && (*a == ' ' || *a == '.'))
            a++;
        while (end > a && end[-1] == ' ')
            end--;
        if (end > a) {
            if (b->len)
                rc = buf_append(b, ",", 1);
            for (const char *c = a; rc == SYNC_OK && c < end; c++) {
                char lc = (*c >= 'A' && *c <= 'Z') ? (char)(*c - 'A' + 'a') : *c;
                rc = buf_append(b, &lc, 1);
            }
        }
        p = e ? e + 1 : end + strlen(end);
    }
    if (rc == SYNC_OK && b->len == 0)
        rc = buf_append(b, ",", 1);    /* matches no extension */
    return rc;
}

#define LIST_FILTERS \
    "store_id = $1 AND namespace = $2 AND ($3::boolean OR expires_at IS NULL) " \
    "AND ($4::text IS NULL OR path LIKE $4) AND ($5::text IS NULL OR path LIKE $5) " \
    "AND ($6::text IS NULL OR (NOT is_binary AND content ILIKE $6)) " \
    "AND ($7::text IS NULL OR extension = ANY (string_to_array($7, ','))) " \
    "AND ($8::boolean IS NULL OR is_binary = $8)"

/* One round trip for the page and the exact total; planned per call so that
 * absent filters fold away and the live listing is an index-only scan of
 * files_live. The page is found on paths alone (index-only, LIMIT/OFFSET),
 * then only its rows are read: no sort of the whole filtered set's rows. */
static const char list_sql[] =
    "SELECT c.total, f.path, f.hash, f.size, f.is_binary, f.extension, "
    "       sync_iso(f.created_at), sync_iso(f.updated_at), sync_iso(f.expires_at), f.seq "
    "  FROM (SELECT count(*) AS total FROM files WHERE " LIST_FILTERS ") c "
    "  LEFT JOIN LATERAL (SELECT path FROM files WHERE " LIST_FILTERS
    "                      ORDER BY path LIMIT $9 OFFSET $10) p ON true "
    "  LEFT JOIN files f ON f.store_id = $1 AND f.namespace = $2 AND f.path = p.path "
    " ORDER BY p.path";

int svc_file_list(struct sync_db *db, const char *store_id, const char *ns,
                  const struct sync_list_query *q, struct sync_file_list *out, struct sync_err *err)
{
    struct buf prefix, contains, content, exts;
    char limit[16], offset[24];
    struct db_param p[10];
    PGresult *res = NULL;
    int rc, rows;

    memset(out, 0, sizeof *out);
    buf_init(&prefix, SYNC_QUERY_MAX * 2 + 2);
    buf_init(&contains, SYNC_QUERY_MAX * 2 + 2);
    buf_init(&content, SYNC_QUERY_MAX * 2 + 2);
    buf_init(&exts, SYNC_QUERY_MAX + 2);
    if ((rc = svc_check_id(store_id, "store", err)) != SYNC_OK)
        goto out;
    if (q->limit < 1 || q->limit > SYNC_LIST_LIMIT_MAX || q->offset < 0) {
        rc = sync_err_set(err, SYNC_EINVAL, "limit must be 1..%d and offset >= 0",
                          SYNC_LIST_LIMIT_MAX);
        goto out;
    }
    if ((q->prefix && like_pattern(&prefix, "", q->prefix, "%") != SYNC_OK) ||
        (q->path_contains && like_pattern(&contains, "%", q->path_contains, "%") != SYNC_OK) ||
        (q->content_contains && like_pattern(&content, "%", q->content_contains, "%") != SYNC_OK) ||
        (q->extensions && extension_list(&exts, q->extensions) != SYNC_OK)) {
        rc = sync_err_set(err, SYNC_EINVAL, "filter too long");
        goto out;
    }
    snprintf(limit, sizeof limit, "%d", q->limit);
    snprintf(offset, sizeof offset, "%lld", q->offset);
    p[0] = DBP(store_id);
    p[1] = DBP(ns);
    p[2] = DBP(q->include_deleted ? "t" : "f");
    p[3] = DBP(q->prefix ? prefix.data : NULL);
    p[4] = DBP(q->path_contains ? contains.data : NULL);
    p[5] = DBP(q->content_contains ? content.data : NULL);
    p[6] = DBP(q->extensions ? exts.data : NULL);
    p[7] = DBP(q->is_binary < 0 ? NULL : q->is_binary ? "t" : "f");
    p[8] = DBP(limit);
    p[9] = DBP(offset);
    res = db_exec_sql(db, list_sql, 10, p, PGRES_TUPLES_OK, err);
    if (!res) {
        rc = err->rc;
        goto out;
    }
    rows = PQntuples(res);
    out->total = rows ? row_ll(res, 0, 0, 0) : 0;
    out->items = calloc((size_t)(rows ? rows : 1), sizeof *out->items);
    if (!out->items) {
        rc = sync_err_set(err, SYNC_ENOMEM, "out of memory");
        goto out;
    }
    for (int r = 0; r < rows; r++) {
        if (PQgetisnull(res, r, 1))
            continue;                   /* the one row of an empty page */
        if (row_file(res, r, 1, &out->items[out->n]) != SYNC_OK) {
            rc = sync_err_set(err, SYNC_ENOMEM, "out of memory");
            goto out;
        }
        out->n++;
    }
    rc = SYNC_OK;
out:
    PQclear(res);
    buf_free(&prefix);
    buf_free(&contains);
    buf_free(&content);
    buf_free(&exts);
    if (rc != SYNC_OK)
        sync_file_list_clear(out);
    return rc;
}
