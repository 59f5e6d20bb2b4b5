/* test_svc.c - the services against the throwaway PostgreSQL of the test run
 * (DATABASE_URL). Each test makes its own store, so tests do not interfere. */
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>

#include "cutest.h"
#include "db.h"
#include "hash.h"
#include "migrate.h"
#include "svc.h"

static struct sync_db *db;
static PGconn *raw;          /* for looking behind the services' back */

static int suite_init(void)
{
    struct sync_err err = { 0 };
    const char *url = cutest_db_url();

    if (!url) {
        fprintf(stderr, "DATABASE_URL is not set: run through tests/run-all.sh\n");
        return -1;
    }
    if (db_open(url, &db, &err) != SYNC_OK) {
        fprintf(stderr, "db_open: %s\n", err.msg);
        return -1;
    }
    raw = PQconnectdb(url);
    return PQstatus(raw) == CONNECTION_OK ? 0 : -1;
}

static int suite_clean(void)
{
    db_close(db);
    PQfinish(raw);
    return 0;
}

/* A fresh store; its id into id[37]. */
static void new_store(char id[37])
{
    struct sync_err err = { 0 };
    struct sync_store s;
    int rc = svc_store_create(db, "test", 4, &s, &err);

    CU_ASSERT_EQUAL_FATAL(rc, SYNC_OK);
    memcpy(id, s.id, 37);
    sync_store_clear(&s);
}

/* One value of a query with one text parameter (test-only SQL). */
static long long sql_ll(const char *sql, const char *p1, const char *p2)
{
    const char *params[2] = { p1, p2 };
    PGresult *r = PQexecParams(raw, sql, p2 ? 2 : 1, NULL, params, NULL, NULL, 0);
    long long v = -1;

    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && !PQgetisnull(r, 0, 0))
        v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    else
        fprintf(stderr, "\n  sql_ll(%s): %s\n", sql, PQresultErrorMessage(r));
    PQclear(r);
    return v;
}

static char *sql_str(const char *sql, const char *p1, const char *p2)
{
    const char *params[2] = { p1, p2 };
    PGresult *r = PQexecParams(raw, sql, p2 ? 2 : 1, NULL, params, NULL, NULL, 0);
    char *v = NULL;

    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && !PQgetisnull(r, 0, 0))
        v = strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    return v;
}

static int put(const char *store, const char *path, const char *content, enum sync_write_mode mode,
               const char *if_match, struct sync_write_result *out)
{
    struct sync_err err = { 0 };
    struct sync_write w = { store, path, strlen(path), content, content ? strlen(content) : 0,
                            NULL, mode, if_match };
    struct sync_write_result tmp;
    int rc = svc_file_write(db, &w, out ? out : &tmp, &err);

    if (!out && rc == SYNC_OK)
        sync_file_clear(&tmp.file);
    return rc;
}

static long long store_seq(const char *store)
{
    return sql_ll("SELECT seq FROM stores WHERE id = $1", store, NULL);
}

static long long change_count(const char *store)
{
    return sql_ll("SELECT count(*) FROM changes WHERE store_id = $1", store, NULL);
}

/* ---- writes ---------------------------------------------------------------- */

static void test_create_update_unchanged(void)
{
    char s[37];
    struct sync_write_result r;
    char want[72];

    new_store(s);
    CU_ASSERT_EQUAL_FATAL(put(s, "notes/a.md", "hello", WRITE_UPSERT, NULL, &r), SYNC_OK);
    hash_content("hello", 5, want);
    CU_ASSERT_EQUAL(r.outcome, OUTCOME_CREATED);
    CU_ASSERT_EQUAL(r.seq, 1);
    CU_ASSERT_STRING_EQUAL(r.file.hash, want);
    CU_ASSERT_EQUAL(r.file.size, 5);
    CU_ASSERT_STRING_EQUAL(r.file.extension, "md");
    CU_ASSERT_FALSE(r.file.is_binary);
    CU_ASSERT_EQUAL(strlen(r.file.created_at), 24);
    sync_file_clear(&r.file);

    CU_ASSERT_EQUAL_FATAL(put(s, "notes/a.md", "hello 2", WRITE_UPSERT, NULL, &r), SYNC_OK);
    CU_ASSERT_EQUAL(r.outcome, OUTCOME_UPDATED);
    CU_ASSERT_EQUAL(r.seq, 2);
    sync_file_clear(&r.file);

    CU_ASSERT_EQUAL(put(s, "img/P.PNG", "aGVsbG8=", WRITE_UPSERT, NULL, &r), SYNC_OK);
    CU_ASSERT_TRUE(r.file.is_binary);
    CU_ASSERT_STRING_EQUAL(r.file.extension, "png");
    sync_file_clear(&r.file);
    CU_ASSERT_EQUAL(store_seq(s), 3);
    CU_ASSERT_EQUAL(change_count(s), 3);
}

static void test_noop_bumps_nothing(void)
{
    char s[37];
    struct sync_write_result r;
    char *upd_before, *upd_after;

    new_store(s);
    CU_ASSERT_EQUAL_FATAL(put(s, "a.md", "same", WRITE_UPSERT, NULL, NULL), SYNC_OK);
    upd_before = sql_str("SELECT updated_at::text FROM files WHERE store_id = $1", s, NULL);
    CU_ASSERT_EQUAL_FATAL(put(s, "a.md", "same", WRITE_UPSERT, NULL, &r), SYNC_OK);
    CU_ASSERT_EQUAL(r.outcome, OUTCOME_UNCHANGED);
    CU_ASSERT_EQUAL(r.seq, 0);
    CU_ASSERT_EQUAL(r.file.size, 4);
    sync_file_clear(&r.file);
    upd_after = sql_str("SELECT updated_at::text FROM files WHERE store_id = $1", s, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(upd_before);
    CU_ASSERT_PTR_NOT_NULL_FATAL(upd_after);
    CU_ASSERT_STRING_EQUAL(upd_before, upd_after);
    CU_ASSERT_EQUAL(store_seq(s), 1);
    CU_ASSERT_EQUAL(change_count(s), 1);
    free(upd_before);
    free(upd_after);
}

static void test_strict_create_and_preconditions(void)
{
    char s[37];
    struct sync_err err = { 0 };
    struct sync_write w;
    struct sync_write_result r;
    char h[72];

    new_store(s);
    CU_ASSERT_EQUAL(put(s, "a.md", "one", WRITE_CREATE, NULL, NULL), SYNC_OK);
    CU_ASSERT_EQUAL(put(s, "a.md", "two", WRITE_CREATE, NULL, NULL), SYNC_ECONFLICT);
    CU_ASSERT_EQUAL(put(s, "a.md", "two", WRITE_CREATE_ONLY, NULL, NULL), SYNC_EPRECOND);
    CU_ASSERT_EQUAL(put(s, "b.md", "two", WRITE_CREATE_ONLY, NULL, NULL), SYNC_OK);

    /* If-Match: the detail carries the current hash */
    hash_content("one", 3, h);
    w = (struct sync_write){ s, "a.md", 4, "three", 5, NULL, WRITE_UPSERT,
                             "sha256:0000000000000000000000000000000000000000000000000000000000000000" };
    CU_ASSERT_EQUAL(svc_file_write(db, &w, &r, &err), SYNC_EPRECOND);
    CU_ASSERT_STRING_EQUAL(err.detail, h);
    w.if_match = h;
    CU_ASSERT_EQUAL(svc_file_write(db, &w, &r, &err), SYNC_OK);
    CU_ASSERT_EQUAL(r.outcome, OUTCOME_UPDATED);
    sync_file_clear(&r.file);
    /* If-Match on a missing file: 412 with no current hash */
    w.path = "missing.md";
    w.path_len = 10;
    CU_ASSERT_EQUAL(svc_file_write(db, &w, &r, &err), SYNC_EPRECOND);
    CU_ASSERT_STRING_EQUAL(err.detail, "");
    CU_ASSERT_EQUAL(store_seq(s), 3);
}

static void test_touch(void)
{
    char s[37];
    struct sync_write_result r;
    char h[72];

    new_store(s);
    CU_ASSERT_EQUAL_FATAL(put(s, "a.md", NULL, WRITE_TOUCH, NULL, &r), SYNC_OK);
    CU_ASSERT_EQUAL(r.outcome, OUTCOME_CREATED);
    CU_ASSERT_EQUAL(r.file.size, 0);
    sync_file_clear(&r.file);
    CU_ASSERT_EQUAL(put(s, "a.md", "body", WRITE_UPSERT, NULL, NULL), SYNC_OK);
    /* created-file on a live file: left alone, its hash reported */
    CU_ASSERT_EQUAL_FATAL(put(s, "a.md", NULL, WRITE_TOUCH, NULL, &r), SYNC_OK);
    hash_content("body", 4, h);
    CU_ASSERT_EQUAL(r.outcome, OUTCOME_UNCHANGED);
    CU_ASSERT_STRING_EQUAL(r.file.hash, h);
    sync_file_clear(&r.file);
    CU_ASSERT_EQUAL(store_seq(s), 2);
}

static void test_validation(void)
{
    char s[37];
    struct sync_err err = { 0 };
    struct sync_write w;
    struct sync_write_result r;
    static const char nul[] = "a\0b";

    new_store(s);
    CU_ASSERT_EQUAL(put(s, "../x.md", "a", WRITE_UPSERT, NULL, NULL), SYNC_EINVAL);
    CU_ASSERT_EQUAL(put(s, "/x.md", "a", WRITE_UPSERT, NULL, NULL), SYNC_EINVAL);
    CU_ASSERT_EQUAL(put(s, "a//b", "a", WRITE_UPSERT, NULL, NULL), SYNC_EINVAL);
    CU_ASSERT_EQUAL(put("not-a-uuid", "a.md", "a", WRITE_UPSERT, NULL, NULL), SYNC_ENOTFOUND);
    CU_ASSERT_EQUAL(put("00000000-0000-0000-0000-000000000000", "a.md", "a", WRITE_UPSERT, NULL,
                        NULL), SYNC_ENOTFOUND);
    w = (struct sync_write){ s, "a.md", 4, nul, 3, NULL, WRITE_UPSERT, NULL };
    CU_ASSERT_EQUAL(svc_file_write(db, &w, &r, &err), SYNC_EINVAL);
    CU_ASSERT_EQUAL(store_seq(s), 0);
    CU_ASSERT_EQUAL(change_count(s), 0);
}

static void test_content_limit(void)
{
    char s[37];
    struct sync_err err = { 0 };
    struct sync_write_result r;
    size_t n = SYNC_CONTENT_MAX;
    char *big = malloc(n + 1);
    struct sync_write w;

    CU_ASSERT_PTR_NOT_NULL_FATAL(big);
    memset(big, 'x', n + 1);
    new_store(s);
    w = (struct sync_write){ s, "big.md", 6, big, n, NULL, WRITE_UPSERT, NULL };
    CU_ASSERT_EQUAL(svc_file_write(db, &w, &r, &err), SYNC_OK);
    CU_ASSERT_EQUAL(r.file.size, (long long)n);
    sync_file_clear(&r.file);
    w.content_len = n + 1;
    CU_ASSERT_EQUAL(svc_file_write(db, &w, &r, &err), SYNC_ETOOBIG);
    free(big);
}

/* ---- tombstones and renames --------------------------------------------- */

static void test_delete_and_revive_keeps_id(void)
{
    char s[37];
    struct sync_err err = { 0 };
    struct sync_write_result r;
    struct sync_file f;
    long long seq;
    char *id1, *id2;

    new_store(s);
    CU_ASSERT_EQUAL_FATAL(put(s, "a.md", "x", WRITE_UPSERT, NULL, NULL), SYNC_OK);
    id1 = sql_str("SELECT id::text FROM files WHERE store_id = $1 AND path = 'a.md'", s, NULL);
    CU_ASSERT_EQUAL(svc_file_delete(db, s, "a.md", 4, NULL, &seq, &err), SYNC_OK);
    CU_ASSERT_EQUAL(seq, 2);
    CU_ASSERT_EQUAL(svc_file_get(db, s, NS_VAULT, "a.md", &f, &err), SYNC_ENOTFOUND);
    CU_ASSERT_EQUAL(sql_ll("SELECT count(*) FROM files WHERE store_id = $1 AND path = 'a.md' "
                           "AND expires_at > now() + interval '29 days' AND size = 0", s, NULL), 1);
    /* deleting a tombstone or an absent path records nothing */
    CU_ASSERT_EQUAL(svc_file_delete(db, s, "a.md", 4, NULL, &seq, &err), SYNC_OK);
    CU_ASSERT_EQUAL(seq, 0);
    CU_ASSERT_EQUAL(svc_file_delete(db, s, "none.md", 7, NULL, &seq, &err), SYNC_OK);
    CU_ASSERT_EQUAL(seq, 0);
    CU_ASSERT_EQUAL(store_seq(s), 2);
    /* revive: same row, recorded as created */
    CU_ASSERT_EQUAL_FATAL(put(s, "a.md", "back", WRITE_CREATE, NULL, &r), SYNC_OK);
    CU_ASSERT_EQUAL(r.outcome, OUTCOME_CREATED);
    sync_file_clear(&r.file);
    id2 = sql_str("SELECT id::text FROM files WHERE store_id = $1 AND path = 'a.md'", s, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(id1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(id2);
    CU_ASSERT_STRING_EQUAL(id1, id2);
    CU_ASSERT_EQUAL(sql_ll("SELECT count(*) FROM changes WHERE store_id = $1 AND seq = 3 "
                           "AND kind = 'created'", s, NULL), 1);
    free(id1);
    free(id2);
}

static void test_rename_leaves_tombstone(void)
{
    char s[37];
    struct sync_err err = { 0 };
    struct sync_write_result r;
    struct sync_file f;
    char h[72];

    new_store(s);
    CU_ASSERT_EQUAL_FATAL(put(s, "old.md", "content", WRITE_UPSERT, NULL, NULL), SYNC_OK);
    CU_ASSERT_EQUAL_FATAL(svc_file_rename(db, s, "old.md", 6, "new.md", 6, NULL, &r, &err), SYNC_OK);
    hash_content("content", 7, h);
    CU_ASSERT_EQUAL(r.outcome, OUTCOME_UPDATED);
    CU_ASSERT_STRING_EQUAL(r.file.path, "new.md");
    CU_ASSERT_STRING_EQUAL(r.file.hash, h);
    sync_file_clear(&r.file);
    CU_ASSERT_EQUAL_FATAL(svc_file_get(db, s, NS_VAULT, "new.md", &f, &err), SYNC_OK);
    CU_ASSERT_STRING_EQUAL(f.content, "content");
    sync_file_clear(&f);
    CU_ASSERT_EQUAL(svc_file_get(db, s, NS_VAULT, "old.md", &f, &err), SYNC_ENOTFOUND);
    CU_ASSERT_EQUAL(sql_ll("SELECT count(*) FROM files WHERE store_id = $1 AND path = 'old.md' "
                           "AND expires_at IS NOT NULL", s, NULL), 1);
    CU_ASSERT_EQUAL(sql_ll("SELECT count(*) FROM changes WHERE store_id = $1 AND kind = 'renamed' "
                           "AND path = 'new.md' AND old_path = 'old.md'", s, NULL), 1);

    /* a rename onto a live file replaces it */
    CU_ASSERT_EQUAL_FATAL(put(s, "c.md", "c", WRITE_UPSERT, NULL, NULL), SYNC_OK);
    CU_ASSERT_EQUAL_FATAL(svc_file_rename(db, s, "new.md", 6, "c.md", 4, NULL, &r, &err), SYNC_OK);
    sync_file_clear(&r.file);
    CU_ASSERT_EQUAL_FATAL(svc_file_get(db, s, NS_VAULT, "c.md", &f, &err), SYNC_OK);
    CU_ASSERT_STRING_EQUAL(f.content, "content");
    sync_file_clear(&f);
}

static void test_repeated_rename_never_blanks(void)
{
    char s[37];
    struct sync_err err = { 0 };
    struct sync_write_result r;
    struct sync_file f;
    long long seq;

    new_store(s);
    CU_ASSERT_EQUAL_FATAL(put(s, "a.md", "precious", WRITE_UPSERT, NULL, NULL), SYNC_OK);
    CU_ASSERT_EQUAL_FATAL(svc_file_rename(db, s, "a.md", 4, "b.md", 4, NULL, &r, &err), SYNC_OK);
    sync_file_clear(&r.file);
    seq = store_seq(s);
    /* a second device repeats the rename */
    CU_ASSERT_EQUAL_FATAL(svc_file_rename(db, s, "a.md", 4, "b.md", 4, "dev2", &r, &err), SYNC_OK);
    CU_ASSERT_EQUAL(r.outcome, OUTCOME_UNCHANGED);
    CU_ASSERT_EQUAL(r.file.size, 8);
    sync_file_clear(&r.file);
    CU_ASSERT_EQUAL(store_seq(s), seq);
    CU_ASSERT_EQUAL_FATAL(svc_file_get(db, s, NS_VAULT, "b.md", &f, &err), SYNC_OK);
    CU_ASSERT_STRING_EQUAL(f.content, "precious");
    sync_file_clear(&f);
    /* neither path live: an empty file appears at the new path, as a creation */
    CU_ASSERT_EQUAL_FATAL(svc_file_rename(db, s, "x.md", 4, "y.md", 4, NULL, &r, &err), SYNC_OK);
    CU_ASSERT_EQUAL(r.outcome, OUTCOME_CREATED);
    CU_ASSERT_EQUAL(r.file.size, 0);
    sync_file_clear(&r.file);
    CU_ASSERT_EQUAL(sql_ll("SELECT count(*) FROM changes WHERE store_id = $1 AND kind = 'created' "
                           "AND path = 'y.md'", s, NULL), 1);
}

static void test_delete_all(void)
{
    char s[37];
    struct sync_err err = { 0 };
    long long n;

    new_store(s);
    CU_ASSERT_EQUAL(put(s, "b.md", "b", WRITE_UPSERT, NULL, NULL), SYNC_OK);
    CU_ASSERT_EQUAL(put(s, "a.md", "a", WRITE_UPSERT, NULL, NULL), SYNC_OK);
    CU_ASSERT_EQUAL(put(s, "c.md", "c", WRITE_UPSERT, NULL, NULL), SYNC_OK);
    CU_ASSERT_EQUAL(svc_file_delete(db, s, "c.md", 4, NULL, &n, &err), SYNC_OK);
    CU_ASSERT_EQUAL(svc_file_delete_all(db, s, NULL, &n, &err), SYNC_OK);
    CU_ASSERT_EQUAL(n, 2);
    CU_ASSERT_EQUAL(store_seq(s), 6);
    /* one deleted change per live file, each its own seq, in path order */
    CU_ASSERT_EQUAL(sql_ll("SELECT count(*) FROM changes WHERE store_id = $1 AND kind = 'deleted' "
                           "AND ((seq = 5 AND path = 'a.md') OR (seq = 6 AND path = 'b.md'))", s, NULL), 2);
    CU_ASSERT_EQUAL(svc_file_delete_all(db, s, NULL, &n, &err), SYNC_OK);
    CU_ASSERT_EQUAL(n, 0);
    CU_ASSERT_EQUAL(store_seq(s), 6);
}

/* ---- listing ------------------------------------------------------------ */

static void test_list_filters(void)
{
    char s[37];
    struct sync_err err = { 0 };
    struct sync_file_list l;
    struct sync_list_query q = { NULL, NULL, NULL, NULL, -1, false, 100, 0 };
    long long seq;

    new_store(s);
    CU_ASSERT_EQUAL(put(s, "notes/a.md", "Hello World", WRITE_UPSERT, NULL, NULL), SYNC_OK);
    CU_ASSERT_EQUAL(put(s, "notes/b.MD", "other", WRITE_UPSERT, NULL, NULL), SYNC_OK);
    CU_ASSERT_EQUAL(put(s, "notes_x/c.txt", "100% sure", WRITE_UPSERT, NULL, NULL), SYNC_OK);
    CU_ASSERT_EQUAL(put(s, "img/p.png", "aGVsbG8gd29ybGQ=", WRITE_UPSERT, NULL, NULL), SYNC_OK);
    CU_ASSERT_EQUAL(put(s, "gone.md", "x", WRITE_UPSERT, NULL, NULL), SYNC_OK);
    CU_ASSERT_EQUAL(svc_file_delete(db, s, "gone.md", 7, NULL, &seq, &err), SYNC_OK);

    CU_ASSERT_EQUAL_FATAL(svc_file_list(db, s, NS_VAULT, &q, &l, &err), SYNC_OK);
    CU_ASSERT_EQUAL(l.total, 4);
    CU_ASSERT_EQUAL_FATAL(l.n, 4);
    CU_ASSERT_STRING_EQUAL(l.items[0].path, "img/p.png");     /* bytewise order */
    CU_ASSERT_STRING_EQUAL(l.items[3].path, "notes_x/c.txt");
    sync_file_list_clear(&l);

    q.include_deleted = true;
    CU_ASSERT_EQUAL_FATAL(svc_file_list(db, s, NS_VAULT, &q, &l, &err), SYNC_OK);
    CU_ASSERT_EQUAL(l.total, 5);
    CU_ASSERT_STRING_EQUAL(l.items[0].path, "gone.md");
    CU_ASSERT_NOT_EQUAL(l.items[0].expires_at[0], '\0');
    sync_file_list_clear(&l);
    q.include_deleted = false;

    /* prefix: '_' is literal, not a wildcard */
    q.prefix = "notes_";
    CU_ASSERT_EQUAL_FATAL(svc_file_list(db, s, NS_VAULT, &q, &l, &err), SYNC_OK);
    CU_ASSERT_EQUAL(l.total, 1);
    sync_file_list_clear(&l);
    q.prefix = "notes/";
    CU_ASSERT_EQUAL_FATAL(svc_file_list(db, s, NS_VAULT, &q, &l, &err), SYNC_OK);
    CU_ASSERT_EQUAL(l.total, 2);
    sync_file_list_clear(&l);
    q.prefix = "%";
    CU_ASSERT_EQUAL_FATAL(svc_file_list(db, s, NS_VAULT, &q, &l, &err), SYNC_OK);
    CU_ASSERT_EQUAL(l.total, 0);
    sync_file_list_clear(&l);
    q.prefix = NULL;

    q.extensions = "MD";
    CU_ASSERT_EQUAL_FATAL(svc_file_list(db, s, NS_VAULT, &q, &l, &err), SYNC_OK);
    CU_ASSERT_EQUAL(l.total, 2);
    sync_file_list_clear(&l);
    q.extensions = "txt, png";
    CU_ASSERT_EQUAL_FATAL(svc_file_list(db, s, NS_VAULT, &q, &l, &err), SYNC_OK);
    CU_ASSERT_EQUAL(l.total, 2);
    sync_file_list_clear(&l);
    q.extensions = NULL;

    q.content_contains = "hello world";      /* case-insensitive */
    CU_ASSERT_EQUAL_FATAL(svc_file_list(db, s, NS_VAULT, &q, &l, &err), SYNC_OK);
    CU_ASSERT_EQUAL(l.total, 1);
    sync_file_list_clear(&l);
    q.content_contains = "100%";             /* '%' literal */
    CU_ASSERT_EQUAL_FATAL(svc_file_list(db, s, NS_VAULT, &q, &l, &err), SYNC_OK);
    CU_ASSERT_EQUAL(l.total, 1);
    sync_file_list_clear(&l);
    q.content_contains = "aGVsbG8";          /* binary files are not searched */
    CU_ASSERT_EQUAL_FATAL(svc_file_list(db, s, NS_VAULT, &q, &l, &err), SYNC_OK);
    CU_ASSERT_EQUAL(l.total, 0);
    sync_file_list_clear(&l);
    q.content_contains = NULL;

    q.path_contains = "A";                   /* case-sensitive */
    CU_ASSERT_EQUAL_FATAL(svc_file_list(db, s, NS_VAULT, &q, &l, &err), SYNC_OK);
    CU_ASSERT_EQUAL(l.total, 0);
    sync_file_list_clear(&l);
    q.path_contains = "'; DROP TABLE files; --";
    CU_ASSERT_EQUAL_FATAL(svc_file_list(db, s, NS_VAULT, &q, &l, &err), SYNC_OK);
    CU_ASSERT_EQUAL(l.total, 0);
    sync_file_list_clear(&l);
    q.path_contains = NULL;

    q.is_binary = 1;
    CU_ASSERT_EQUAL_FATAL(svc_file_list(db, s, NS_VAULT, &q, &l, &err), SYNC_OK);
    CU_ASSERT_EQUAL(l.total, 1);
    sync_file_list_clear(&l);
    q.is_binary = -1;

    /* paging: total is of the whole set, also past its end */
    q.limit = 1;
    q.offset = 1;
    CU_ASSERT_EQUAL_FATAL(svc_file_list(db, s, NS_VAULT, &q, &l, &err), SYNC_OK);
    CU_ASSERT_EQUAL(l.total, 4);
    CU_ASSERT_EQUAL_FATAL(l.n, 1);
    CU_ASSERT_STRING_EQUAL(l.items[0].path, "notes/a.md");
    sync_file_list_clear(&l);
    q.offset = 10;
    CU_ASSERT_EQUAL_FATAL(svc_file_list(db, s, NS_VAULT, &q, &l, &err), SYNC_OK);
    CU_ASSERT_EQUAL(l.total, 4);
    CU_ASSERT_EQUAL(l.n, 0);
    sync_file_list_clear(&l);
    q.limit = 0;
    CU_ASSERT_EQUAL(svc_file_list(db, s, NS_VAULT, &q, &l, &err), SYNC_EINVAL);
    q.limit = 1001;
    CU_ASSERT_EQUAL(svc_file_list(db, s, NS_VAULT, &q, &l, &err), SYNC_EINVAL);
}

/* ---- settings, changes, keys ------------------------------------------------ */

static void test_settings_namespace(void)
{
    char s[37];
    struct sync_err err = { 0 };
    struct sync_write_result r;
    struct sync_file_list l;
    struct sync_file f;
    long long n;

    new_store(s);
    CU_ASSERT_EQUAL_FATAL(svc_settings_put(db, s, "app.json", 8, "{}", 2, &r, &err), SYNC_OK);
    CU_ASSERT_EQUAL(r.outcome, OUTCOME_CREATED);
    sync_file_clear(&r.file);
    CU_ASSERT_EQUAL_FATAL(svc_settings_put(db, s, "app.json", 8, "{}", 2, &r, &err), SYNC_OK);
    CU_ASSERT_EQUAL(r.outcome, OUTCOME_UNCHANGED);
    sync_file_clear(&r.file);
    CU_ASSERT_EQUAL_FATAL(svc_settings_put(db, s, "app.json", 8, "{\"a\":1}", 7, &r, &err), SYNC_OK);
    CU_ASSERT_EQUAL(r.outcome, OUTCOME_UPDATED);
    sync_file_clear(&r.file);
    CU_ASSERT_EQUAL(svc_settings_put(db, s, "plugins/x/data.json", 19, "1", 1, &r, &err), SYNC_OK);
    sync_file_clear(&r.file);
    CU_ASSERT_EQUAL_FATAL(svc_file_get(db, s, NS_SETTINGS, "app.json", &f, &err), SYNC_OK);
    CU_ASSERT_STRING_EQUAL(f.content, "{\"a\":1}");
    sync_file_clear(&f);
    /* not in the vault, no seq, no change rows */
    CU_ASSERT_EQUAL(svc_file_get(db, s, NS_VAULT, "app.json", &f, &err), SYNC_ENOTFOUND);
    CU_ASSERT_EQUAL(store_seq(s), 0);
    CU_ASSERT_EQUAL(change_count(s), 0);
    CU_ASSERT_EQUAL_FATAL(svc_settings_list(db, s, &l, &err), SYNC_OK);
    CU_ASSERT_EQUAL(l.total, 2);
    sync_file_list_clear(&l);
    CU_ASSERT_EQUAL(svc_settings_delete(db, s, "app.json", 8, &err), SYNC_OK);
    CU_ASSERT_EQUAL(svc_settings_delete(db, s, "app.json", 8, &err), SYNC_OK);
    CU_ASSERT_EQUAL(svc_settings_delete_all(db, s, &n, &err), SYNC_OK);
    CU_ASSERT_EQUAL(n, 1);
}

static void test_changes_feed(void)
{
    char s[37];
    struct sync_err err = { 0 };
    struct sync_change_page p;
    struct sync_write_result r;

    new_store(s);
    CU_ASSERT_EQUAL(put(s, "a.md", "1", WRITE_UPSERT, NULL, NULL), SYNC_OK);
    CU_ASSERT_EQUAL(put(s, "a.md", "2", WRITE_UPSERT, NULL, NULL), SYNC_OK);
    CU_ASSERT_EQUAL(svc_file_rename(db, s, "a.md", 4, "b.md", 4, "sock-1", &r, &err), SYNC_OK);
    sync_file_clear(&r.file);
    CU_ASSERT_EQUAL_FATAL(svc_changes_since(db, s, 0, 2, &p, &err), SYNC_OK);
    CU_ASSERT_EQUAL(p.latest_seq, 3);
    CU_ASSERT_FALSE(p.resync);
    CU_ASSERT_EQUAL_FATAL(p.n, 2);
    CU_ASSERT_EQUAL(p.items[0].seq, 1);
    CU_ASSERT_STRING_EQUAL(p.items[0].kind, "created");
    CU_ASSERT_STRING_EQUAL(p.items[1].kind, "modified");
    sync_change_page_clear(&p);
    CU_ASSERT_EQUAL_FATAL(svc_changes_since(db, s, 2, 1000, &p, &err), SYNC_OK);
    CU_ASSERT_EQUAL_FATAL(p.n, 1);
    CU_ASSERT_STRING_EQUAL(p.items[0].kind, "renamed");
    CU_ASSERT_STRING_EQUAL(p.items[0].old_path, "a.md");
    CU_ASSERT_STRING_EQUAL(p.items[0].origin, "sock-1");
    sync_change_page_clear(&p);
    /* a cursor from another history */
    CU_ASSERT_EQUAL_FATAL(svc_changes_since(db, s, 99, 1000, &p, &err), SYNC_OK);
    CU_ASSERT_TRUE(p.resync);
    CU_ASSERT_EQUAL(p.n, 0);
    sync_change_page_clear(&p);
    /* purged changes: cursors below the purge mark resync */
    PQclear(PQexecParams(raw, "UPDATE changes SET at = now() - interval '40 days' "
                              "WHERE store_id = $1 AND seq <= 2", 1, NULL, (const char *[]){ s },
                         NULL, NULL, 0));
    {
        long long files, changes;
        CU_ASSERT_EQUAL(svc_purge(db, 30, &files, &changes, &err), SYNC_OK);
        CU_ASSERT_TRUE(changes >= 2);
    }
    CU_ASSERT_EQUAL_FATAL(svc_changes_since(db, s, 1, 1000, &p, &err), SYNC_OK);
    CU_ASSERT_TRUE(p.resync);
    sync_change_page_clear(&p);
    CU_ASSERT_EQUAL_FATAL(svc_changes_since(db, s, 2, 1000, &p, &err), SYNC_OK);
    CU_ASSERT_FALSE(p.resync);
    CU_ASSERT_EQUAL(p.n, 1);
    sync_change_page_clear(&p);
}

static void test_feed_carries_file_state(void)
{
    char s[37];
    struct sync_err err = { 0 };
    struct sync_feed f;
    long long seq;

    new_store(s);
    CU_ASSERT_EQUAL(put(s, "a.md", "first", WRITE_UPSERT, NULL, NULL), SYNC_OK);
    CU_ASSERT_EQUAL(put(s, "a.md", "second", WRITE_UPSERT, NULL, NULL), SYNC_OK);
    CU_ASSERT_EQUAL(svc_file_delete(db, s, "a.md", 4, NULL, &seq, &err), SYNC_OK);
    CU_ASSERT_EQUAL(put(s, "b.md", "bee", WRITE_UPSERT, NULL, NULL), SYNC_OK);
    CU_ASSERT_EQUAL(put(s, "b.md", "bee 2", WRITE_UPSERT, NULL, NULL), SYNC_OK);
    CU_ASSERT_EQUAL_FATAL(svc_feed_since(db, s, 0, 100, &f, &err), SYNC_OK);
    CU_ASSERT_EQUAL_FATAL(f.n, 5);
    CU_ASSERT_FALSE(f.items[0].has_file);            /* a.md is gone now */
    CU_ASSERT_STRING_EQUAL(f.items[2].change.kind, "deleted");
    CU_ASSERT_FALSE(f.items[2].has_file);
    /* seq 4 was superseded by seq 5: its row has the state, not the content */
    CU_ASSERT_TRUE_FATAL(f.items[3].has_file);
    CU_ASSERT_PTR_NULL(f.items[3].file.content);
    CU_ASSERT_EQUAL(f.items[3].file.seq, 5);
    CU_ASSERT_TRUE_FATAL(f.items[4].has_file);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f.items[4].file.content);
    CU_ASSERT_STRING_EQUAL(f.items[4].file.content, "bee 2");
    CU_ASSERT_EQUAL(f.items[4].file.content_len, 5);
    sync_feed_clear(&f);
}

static void test_keys_and_auth(void)
{
    char s[37], key[SYNC_KEY_MAX + 1];
    struct sync_err err = { 0 };
    struct sync_key k, *list;
    struct sync_auth a;
    size_t n;
    const char *admin = "sk_admin_0123456789abcdef0123456789abcdef";

    new_store(s);
    CU_ASSERT_EQUAL_FATAL(svc_key_create(db, s, "phone", 5, PERM_READ | PERM_WRITE, &k, key, &err),
                          SYNC_OK);
    CU_ASSERT_TRUE(key_is_store_form(key, strlen(key)));
    CU_ASSERT_EQUAL(strncmp(k.prefix, key, 16), 0);
    CU_ASSERT_EQUAL(k.perms, PERM_READ | PERM_WRITE);
    /* only the hash is stored */
    CU_ASSERT_EQUAL(sql_ll("SELECT count(*) FROM api_keys WHERE key_hash = encode(sha256($1::bytea), 'hex')",
                           key, NULL), 1);
    CU_ASSERT_EQUAL_FATAL(svc_auth(db, admin, key, strlen(key), &a, &err), SYNC_OK);
    CU_ASSERT_FALSE(a.admin);
    CU_ASSERT_STRING_EQUAL(a.store_id, s);
    CU_ASSERT_EQUAL(a.perms, PERM_READ | PERM_WRITE);
    CU_ASSERT_EQUAL(sql_ll("SELECT count(*) FROM api_keys WHERE id = $1 AND last_used_at IS NOT NULL",
                           k.id, NULL), 1);
    CU_ASSERT_EQUAL(svc_auth(db, admin, admin, strlen(admin), &a, &err), SYNC_OK);
    CU_ASSERT_TRUE(a.admin);
    CU_ASSERT_EQUAL(svc_auth(db, admin, "sk_admin_0123456789abcdef0123456789abcdeX", 41, &a, &err),
                    SYNC_EUNAUTH);
    CU_ASSERT_EQUAL(svc_auth(db, admin, "", 0, &a, &err), SYNC_EUNAUTH);
    CU_ASSERT_EQUAL(svc_auth(db, admin, "sk_store_000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 48, &a,
                             &err), SYNC_EUNAUTH);
    CU_ASSERT_EQUAL_FATAL(svc_key_list(db, s, &list, &n, &err), SYNC_OK);
    CU_ASSERT_EQUAL(n, 1);
    sync_key_array_free(list, n);
    CU_ASSERT_EQUAL(svc_key_revoke(db, s, k.id, &err), SYNC_OK);
    CU_ASSERT_EQUAL(svc_auth(db, admin, key, strlen(key), &a, &err), SYNC_EREVOKED);
    CU_ASSERT_EQUAL(svc_key_revoke(db, s, "00000000-0000-0000-0000-000000000000", &err),
                    SYNC_ENOTFOUND);
    sync_key_clear(&k);
    CU_ASSERT_EQUAL(svc_key_create(db, s, "", 0, PERM_READ, &k, key, &err), SYNC_EINVAL);
    CU_ASSERT_EQUAL(svc_store_delete(db, s, &err), SYNC_OK);
    CU_ASSERT_EQUAL(svc_store_delete(db, s, &err), SYNC_ENOTFOUND);
    CU_ASSERT_EQUAL(svc_store_delete(db, "nope", &err), SYNC_ENOTFOUND);
}

/* ---- notifications -------------------------------------------------------- */

/* Collects the notifications waiting on conn within ms. */
static int drain_notifies(PGconn *c, int ms, char payloads[][128], int max)
{
    int n = 0;
    for (;;) {
        PGnotify *nt;
        struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
        fd_set fds;
        PQconsumeInput(c);
        while ((nt = PQnotifies(c)) != NULL) {
            if (n < max)
                snprintf(payloads[n], 128, "%s", nt->extra);
            n++;
            PQfreemem(nt);
        }
        FD_ZERO(&fds);
        FD_SET(PQsocket(c), &fds);
        if (select(PQsocket(c) + 1, &fds, NULL, NULL, &tv) <= 0)
            return n;
    }
}

static void test_notify_once_per_change(void)
{
    char s[37], want[128], got[16][128];
    struct sync_err err = { 0 };
    struct sync_write_result r;
    PGconn *l = PQconnectdb(cutest_db_url());
    long long seq;
    int n;

    CU_ASSERT_EQUAL_FATAL(PQstatus(l), CONNECTION_OK);
    PQclear(PQexec(l, "LISTEN sync_changes"));
    new_store(s);
    CU_ASSERT_EQUAL(put(s, "a.md", "1", WRITE_UPSERT, NULL, NULL), SYNC_OK);     /* seq 1 */
    CU_ASSERT_EQUAL(put(s, "a.md", "1", WRITE_UPSERT, NULL, NULL), SYNC_OK);     /* no-op */
    CU_ASSERT_EQUAL(svc_file_rename(db, s, "a.md", 4, "b.md", 4, NULL, &r, &err), SYNC_OK); /* 2 */
    sync_file_clear(&r.file);
    CU_ASSERT_EQUAL(svc_file_delete(db, s, "b.md", 4, NULL, &seq, &err), SYNC_OK); /* 3 */
    CU_ASSERT_EQUAL(svc_file_delete(db, s, "b.md", 4, NULL, &seq, &err), SYNC_OK); /* nothing */
    CU_ASSERT_EQUAL(svc_settings_put(db, s, "app.json", 8, "{}", 2, &r, &err), SYNC_OK);
    sync_file_clear(&r.file);
    CU_ASSERT_EQUAL(put(s, "a.md", "x", WRITE_CREATE, NULL, NULL), SYNC_OK);      /* 4 */
    CU_ASSERT_EQUAL(put(s, "a.md", "y", WRITE_CREATE, NULL, NULL), SYNC_ECONFLICT);
    n = drain_notifies(l, 300, got, 16);
    CU_ASSERT_EQUAL_FATAL(n, 4);
    for (int i = 0; i < 4; i++) {
        snprintf(want, sizeof want, "{\"store\":\"%s\",\"seq\":%d}", s, i + 1);
        if (strcmp(got[i], want) != 0)
            fprintf(stderr, "\n  notification %d: got %s want %s\n", i, got[i], want);
        CU_ASSERT_STRING_EQUAL(got[i], want);
    }
    PQfinish(l);
}

/* ---- concurrency ---------------------------------------------------------- */

#define WRITERS 16
#define WRITES_EACH 25

struct writer {
    const char *store;
    int id;
    int same_path;
    int failures;
};

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    struct sync_db *mine = NULL;
    struct sync_err err = { 0 };
    char path[32], content[64];

    if (db_open(cutest_db_url(), &mine, &err) != SYNC_OK) {
        w->failures = WRITES_EACH;
        return NULL;
    }
    for (int i = 0; i < WRITES_EACH; i++) {
        struct sync_write_result r;
        struct sync_write wr;
        snprintf(path, sizeof path, w->same_path ? "shared.md" : "w%d.md", w->id);
        snprintf(content, sizeof content, "writer %d write %d", w->id, i);
        wr = (struct sync_write){ w->store, path, strlen(path), content, strlen(content), NULL,
                                  WRITE_UPSERT, NULL };
        if (svc_file_write(mine, &wr, &r, &err) != SYNC_OK || r.seq <= 0)
            w->failures++;
        else
            sync_file_clear(&r.file);
    }
    db_close(mine);
    return NULL;
}

static void test_concurrent_writers_gapless(void)
{
    char s[37];
    pthread_t t[2 * WRITERS];
    struct writer w[2 * WRITERS];
    int failures = 0;
    long long n = 2LL * WRITERS * WRITES_EACH;

    new_store(s);
    for (int i = 0; i < 2 * WRITERS; i++) {
        w[i] = (struct writer){ s, i, i < WRITERS, 0 };
        CU_ASSERT_EQUAL_FATAL(pthread_create(&t[i], NULL, writer_main, &w[i]), 0);
    }
    for (int i = 0; i < 2 * WRITERS; i++) {
        pthread_join(t[i], NULL);
        failures += w[i].failures;
    }
    CU_ASSERT_EQUAL(failures, 0);
    CU_ASSERT_EQUAL(store_seq(s), n);
    CU_ASSERT_EQUAL(change_count(s), n);
    /* seqs are exactly 1..n: no gaps, no duplicates (the primary key forbids those) */
    CU_ASSERT_EQUAL(sql_ll("SELECT count(DISTINCT seq) FROM changes WHERE store_id = $1 "
                           "AND seq BETWEEN 1 AND (SELECT seq FROM stores WHERE id = $1)", s, NULL), n);
    CU_ASSERT_EQUAL(sql_ll("SELECT max(seq) FROM changes WHERE store_id = $1", s, NULL), n);
    CU_ASSERT_EQUAL(sql_ll("SELECT count(*) FROM files WHERE store_id = $1", s, NULL), WRITERS + 1);
    /* each file's seq is its last change's */
    CU_ASSERT_EQUAL(sql_ll("SELECT count(*) FROM files f WHERE store_id = $1 AND seq = "
                           "(SELECT max(seq) FROM changes c WHERE c.store_id = f.store_id "
                           "AND c.path = f.path)", s, NULL), WRITERS + 1);
}

static void test_migrate_twice_is_noop(void)
{
    struct sync_err err = { 0 };
    int applied = -1, total = 0;

    CU_ASSERT_EQUAL(migrate_apply(db, &applied, NULL, &err), SYNC_OK);
    CU_ASSERT_EQUAL(applied, 0);
    CU_ASSERT_EQUAL(migrate_status(db, &total, &err), SYNC_OK);
    CU_ASSERT_EQUAL(total, migrations_count);
}

static CU_TestInfo write_tests[] = {
    { "create, update, unchanged", test_create_update_unchanged },
    { "no-op write bumps nothing", test_noop_bumps_nothing },
    { "strict create, If-None-Match, If-Match", test_strict_create_and_preconditions },
    { "created-file touch", test_touch },
    { "validation leaves nothing", test_validation },
    { "10 MiB content limit", test_content_limit },
    { "delete and revive keeps the row id", test_delete_and_revive_keeps_id },
    { "rename leaves a tombstone", test_rename_leaves_tombstone },
    { "repeated rename never blanks", test_repeated_rename_never_blanks },
    { "delete all", test_delete_all },
    CU_TEST_INFO_NULL,
};

static CU_TestInfo read_tests[] = {
    { "list filters and paging", test_list_filters },
    { "settings namespace", test_settings_namespace },
    { "changes feed and resync", test_changes_feed },
    { "broadcast feed carries file state", test_feed_carries_file_state },
    { "keys and auth", test_keys_and_auth },
    { "migrate twice is a no-op", test_migrate_twice_is_noop },
    CU_TEST_INFO_NULL,
};

static CU_TestInfo notify_tests[] = {
    { "one notification per change", test_notify_once_per_change },
    { "16+16 concurrent writers, gapless seqs", test_concurrent_writers_gapless },
    CU_TEST_INFO_NULL,
};

int main(void)
{
    CU_SuiteInfo suites[] = {
        { "services: writes", suite_init, suite_clean, NULL, NULL, write_tests },
        { "services: reads", suite_init, suite_clean, NULL, NULL, read_tests },
        { "services: notify and concurrency", suite_init, suite_clean, NULL, NULL, notify_tests },
        CU_SUITE_INFO_NULL,
    };
    return cutest_run(suites);
}
