/* svc_rows.c - result rows to structs, and the free functions of svc.h. */
#include <stdlib.h>
#include <string.h>

#include "rules.h"
#include "svc_rows.h"

char *row_strdup(const PGresult *res, int r, int c, int *oom)
{
    char *s;

    if (PQgetisnull(res, r, c))
        return NULL;
    s = strdup(PQgetvalue(res, r, c));
    if (!s)
        *oom = 1;
    return s;
}

void row_copy(const PGresult *res, int r, int c, char *dst, size_t size)
{
    size_t n;

    dst[0] = '\0';
    if (PQgetisnull(res, r, c))
        return;
    n = (size_t)PQgetlength(res, r, c);
    if (n >= size)
        return;
    memcpy(dst, PQgetvalue(res, r, c), n);
    dst[n] = '\0';
}

long long row_ll(const PGresult *res, int r, int c, long long if_null)
{
    if (PQgetisnull(res, r, c))
        return if_null;
    return strtoll(PQgetvalue(res, r, c), NULL, 10);
}

bool row_bool(const PGresult *res, int r, int c)
{
    return !PQgetisnull(res, r, c) && PQgetvalue(res, r, c)[0] == 't';
}

int row_file(const PGresult *res, int r, int c0, struct sync_file *f)
{
    int oom = 0;

    memset(f, 0, sizeof *f);
    f->path = row_strdup(res, r, c0, &oom);
    row_copy(res, r, c0 + 1, f->hash, sizeof f->hash);
    f->size = row_ll(res, r, c0 + 2, 0);
    f->is_binary = row_bool(res, r, c0 + 3);
    f->extension = row_strdup(res, r, c0 + 4, &oom);
    row_copy(res, r, c0 + 5, f->created_at, sizeof f->created_at);
    row_copy(res, r, c0 + 6, f->updated_at, sizeof f->updated_at);
    row_copy(res, r, c0 + 7, f->expires_at, sizeof f->expires_at);
    f->seq = row_ll(res, r, c0 + 8, 0);
    if (oom) {
        sync_file_clear(f);
        return SYNC_ENOMEM;
    }
    return SYNC_OK;
}

int svc_check_id(const char *id, const char *what, struct sync_err *err)
{
    if (!id || !rules_is_uuid(id, strlen(id)))
        return sync_err_set(err, SYNC_ENOTFOUND, "%s not found", what);
    return SYNC_OK;
}

void svc_path_meta(const char *path, size_t len, struct path_meta *m)
{
    int n = rules_extension(path, len, m->ext, sizeof m->ext);

    m->has_ext = n > 0;
    if (!m->has_ext)
        m->ext[0] = '\0';
    m->binary = m->has_ext && rules_is_binary_ext(m->ext, (size_t)n);
}

char *svc_strndup(const char *s, size_t len)
{
    char *d = malloc(len + 1);

    if (!d)
        return NULL;
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

void sync_file_clear(struct sync_file *f)
{
    if (!f)
        return;
    free(f->path);
    free(f->content);
    free(f->extension);
    memset(f, 0, sizeof *f);
}

void sync_file_list_clear(struct sync_file_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        sync_file_clear(&l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}

void sync_change_page_clear(struct sync_change_page *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++) {
        free(p->items[i].path);
        free(p->items[i].old_path);
        free(p->items[i].origin);
    }
    free(p->items);
    memset(p, 0, sizeof *p);
}

void sync_feed_clear(struct sync_feed *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n; i++) {
        free(f->items[i].change.path);
        free(f->items[i].change.old_path);
        free(f->items[i].change.origin);
        sync_file_clear(&f->items[i].file);
    }
    free(f->items);
    memset(f, 0, sizeof *f);
}

void sync_store_clear(struct sync_store *s)
{
    if (!s)
        return;
    free(s->name);
    memset(s, 0, sizeof *s);
}

void sync_store_array_free(struct sync_store *a, size_t n)
{
    for (size_t i = 0; a && i < n; i++)
        sync_store_clear(&a[i]);
    free(a);
}

void sync_key_clear(struct sync_key *k)
{
    if (!k)
        return;
    free(k->name);
    memset(k, 0, sizeof *k);
}

void sync_key_array_free(struct sync_key *a, size_t n)
{
    for (size_t i = 0; a && i < n; i++)
        sync_key_clear(&a[i]);
    free(a);
}
