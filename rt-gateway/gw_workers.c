/* gw_workers.c - database worker threads: each owns one connection and one
 * FIFO of jobs; the loop never waits on them. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "gateway.h"
#include "log.h"
#include "svc.h"

struct gw_worker {
    struct gw *g;
    struct gw_queue q;
    pthread_t thread;
    bool started;
    struct sync_db *db;          /* NULL until the first connection succeeds */
    int index;
};

struct gw_workers {
    struct gw_worker *w;
    int n;
};

uint64_t gw_route_store(const char *store_id)
{
    uint64_t h = 1469598103934665603ull;     /* FNV-1a */

    for (; *store_id; store_id++)
        h = (h ^ (unsigned char)*store_id) * 1099511628211ull;
    return h;
}

/* A usable connection, or SYNC_EUNAVAIL. */
static int worker_db(struct gw_worker *w, struct sync_err *err)
{
    int rc;

    if (!w->db) {
        rc = db_open(w->g->cfg->database_url, &w->db, err);
        if (rc != SYNC_OK)
            return rc;
        db_set_tombstone_days(w->db, w->g->cfg->tombstone_days);
        return SYNC_OK;
    }
    return db_ensure(w->db, err);
}

static int run_auth(struct sync_db *db, struct gw *g, struct gw_job *j)
{
    struct sync_change_page page;
    int rc;

    rc = svc_auth(db, g->cfg->admin_key, j->key, j->key_len, &j->auth, &j->err);
    if (rc != SYNC_OK || j->auth.admin)
        return rc;
    /* where this socket's broadcasts start: the store's seq now */
    rc = svc_changes_since(db, j->auth.store_id, 0, 1, &page, &j->err);
    if (rc == SYNC_OK) {
        j->seq = page.latest_seq;
        sync_change_page_clear(&page);
    }
    return rc;
}

static int run_write(struct sync_db *db, struct gw_job *j)
{
    struct sync_write_result res;
    struct sync_write w;
    int rc;

    memset(&res, 0, sizeof res);
    j->seq = 0;
    j->hash[0] = '\0';
    switch (j->op) {
    case GW_OP_CREATED:
    case GW_OP_MODIFIED:
        memset(&w, 0, sizeof w);
        w.store_id = j->store_id;
        w.path = j->path;
        w.path_len = j->path_len;
        w.content = j->op == GW_OP_MODIFIED ? j->content : "";
        w.content_len = j->op == GW_OP_MODIFIED ? j->content_len : 0;
        w.origin = j->origin;
        w.mode = j->op == GW_OP_MODIFIED ? WRITE_UPSERT : WRITE_TOUCH;
        rc = svc_file_write(db, &w, &res, &j->err);
        if (rc == SYNC_OK) {
            j->seq = res.seq;
            memcpy(j->hash, res.file.hash, sizeof j->hash);
        }
        sync_file_clear(&res.file);
        return rc;
    case GW_OP_DELETED:
        return svc_file_delete(db, j->store_id, j->path, j->path_len, j->origin, &j->seq, &j->err);
    case GW_OP_RENAMED:
        rc = svc_file_rename(db, j->store_id, j->path, j->path_len, j->new_path, j->new_len,
                             j->origin, &res, &j->err);
        if (rc == SYNC_OK)
            j->seq = res.seq;
        sync_file_clear(&res.file);
        return rc;
    default:
        return sync_err_set(&j->err, SYNC_EINVAL, "unknown event");
    }
}

static int run_keycheck(struct sync_db *db, struct gw_job *j)
{
    struct sync_key k;
    int rc = svc_key_get(db, j->store_id, j->key_id, &k, &j->err);

    if (rc == SYNC_OK) {
        if (k.revoked_at[0])
            rc = sync_err_set(&j->err, SYNC_EREVOKED, "API key revoked");
        sync_key_clear(&k);
    }
    return rc;
}

static int run_once(struct gw_worker *w, struct gw_job *j)
{
    int rc = worker_db(w, &j->err);

    if (rc != SYNC_OK)
        return rc;
    switch (j->type) {
    case GW_JOB_AUTH:
        return run_auth(w->db, w->g, j);
    case GW_JOB_WRITE:
        return run_write(w->db, j);
    case GW_JOB_KEYCHECK:
        return run_keycheck(w->db, j);
    default:
        return sync_err_set(&j->err, SYNC_EINVAL, "not a worker job");
    }
}

/* Every job is idempotent (an upsert of the same content, a touch, a delete
 * and a repeated rename change nothing the second time; auth and key checks
 * only read), so a job that met a connection broken since its last use
 * (PostgreSQL restarted) runs once more on a fresh connection. */
static void run_job(struct gw_worker *w, struct gw_job *j)
{
    memset(&j->err, 0, sizeof j->err);
    j->rc = run_once(w, j);
    if (j->rc == SYNC_EUNAVAIL && w->db) {
        memset(&j->err, 0, sizeof j->err);
        j->rc = run_once(w, j);
    }
    if (j->rc == SYNC_EUNAVAIL)
        log_warn("worker %d: %s", w->index, j->err.msg);
}

static void *worker_main(void *arg)
{
    struct gw_worker *w = arg;
    struct sync_err err = { 0 };
    struct gw_job *j;

    /* connect before the first client needs it; a database that is down is
     * retried per job */
    if (worker_db(w, &err) != SYNC_OK)
        log_warn("worker %d: %s", w->index, err.msg);
    while ((j = gw_queue_pop_wait(&w->q)) != NULL) {
        run_job(w, j);
        gw_done(w->g, j);
    }
    return NULL;
}

int gw_workers_create(struct gw *g, int n, struct gw_workers **out, struct sync_err *err)
{
    struct gw_workers *ws;
    int i, rc = SYNC_OK;

    *out = NULL;
    ws = calloc(1, sizeof *ws);
    if (!ws)
        return sync_err_set(err, SYNC_ENOMEM, "out of memory");
    ws->w = calloc((size_t)n, sizeof *ws->w);
    if (!ws->w) {
        free(ws);
        return sync_err_set(err, SYNC_ENOMEM, "out of memory");
    }
    for (i = 0; i < n; i++) {
        struct gw_worker *w = &ws->w[i];

        w->g = g;
        w->index = i;
        if (gw_queue_init(&w->q) != SYNC_OK) {
            rc = sync_err_set(err, SYNC_ENOMEM, "out of memory");
            break;
        }
        ws->n = i + 1;
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
            rc = sync_err_set(err, SYNC_ENOMEM, "cannot start a worker thread");
            break;
        }
        w->started = true;
    }
    if (rc != SYNC_OK) {
        gw_workers_destroy(ws);
        return rc;
    }
    *out = ws;
    return SYNC_OK;
}

bool gw_workers_submit(struct gw_workers *ws, uint64_t route, struct gw_job *j)
{
    return gw_queue_push(&ws->w[route % (uint64_t)ws->n].q, j);
}

void gw_workers_destroy(struct gw_workers *ws)
{
    int i;

    if (!ws)
        return;
    for (i = 0; i < ws->n; i++)
        gw_queue_close(&ws->w[i].q);
    for (i = 0; i < ws->n; i++) {
        struct gw_worker *w = &ws->w[i];
        if (w->started)
            pthread_join(w->thread, NULL);
        gw_queue_destroy(&w->q);
        db_close(w->db);
    }
    free(ws->w);
    free(ws);
}
