/* gw_stores.c - the shared table of stores with sockets (chained hash). */
#include "gw_stores.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"

#define GW_STORES_BUCKETS 256

struct gw_store {
    struct gw_store *next;
    char id[SYNC_UUID_LEN + 1];
    size_t nsockets;
    long long last_seq;
    bool dirty;
    uint64_t gen;
};

static size_t bucket_of(const struct gw_stores *t, const char *id)
{
    uint64_t h = 1469598103934665603ull;     /* FNV-1a */

    for (; *id; id++)
        h = (h ^ (unsigned char)*id) * 1099511628211ull;
    return (size_t)(h % t->nbuckets);
}

static struct gw_store **find_slot(struct gw_stores *t, const char *id)
{
    struct gw_store **pp = &t->buckets[bucket_of(t, id)];

    while (*pp && strcmp((*pp)->id, id) != 0)
        pp = &(*pp)->next;
    return pp;
}

int gw_stores_init(struct gw_stores *t)
{
    memset(t, 0, sizeof *t);
    t->nbuckets = GW_STORES_BUCKETS;
    t->buckets = calloc(t->nbuckets, sizeof *t->buckets);
    if (!t->buckets)
        return SYNC_ENOMEM;
    if (pthread_mutex_init(&t->mu, NULL) != 0) {
        free(t->buckets);
        t->buckets = NULL;
        return SYNC_ENOMEM;
    }
    t->next_gen = 1;
    return SYNC_OK;
}

void gw_stores_destroy(struct gw_stores *t)
{
    size_t i;

    if (!t->buckets)
        return;
    for (i = 0; i < t->nbuckets; i++) {
        struct gw_store *e = t->buckets[i];
        while (e) {
            struct gw_store *nx = e->next;
            free(e);
            e = nx;
        }
    }
    free(t->buckets);
    t->buckets = NULL;
    pthread_mutex_destroy(&t->mu);
}

int gw_stores_attach(struct gw_stores *t, const char *store_id, long long start_seq,
                     bool *created)
{
    struct gw_store **pp, *e;
    int rc = SYNC_OK;

    *created = false;
    if (strlen(store_id) != SYNC_UUID_LEN)
        return SYNC_EINVAL;
    pthread_mutex_lock(&t->mu);
    pp = find_slot(t, store_id);
    if (*pp) {
        (*pp)->nsockets++;
    } else {
        e = calloc(1, sizeof *e);
        if (!e) {
            rc = SYNC_ENOMEM;
        } else {
            memcpy(e->id, store_id, SYNC_UUID_LEN + 1);
            e->nsockets = 1;
            e->last_seq = start_seq;
            e->dirty = true;
            e->gen = t->next_gen++;
            *pp = e;
            t->n++;
            t->ndirty++;
            *created = true;
        }
    }
    pthread_mutex_unlock(&t->mu);
    return rc;
}

void gw_stores_detach(struct gw_stores *t, const char *store_id)
{
    struct gw_store **pp, *e;

    pthread_mutex_lock(&t->mu);
    pp = find_slot(t, store_id);
    e = *pp;
    if (e && --e->nsockets == 0) {
        *pp = e->next;
        if (e->dirty)
            t->ndirty--;
        t->n--;
        free(e);
    }
    pthread_mutex_unlock(&t->mu);
}

bool gw_stores_notify(struct gw_stores *t, const char *store_id, long long seq)
{
    struct gw_store *e;

    pthread_mutex_lock(&t->mu);
    e = *find_slot(t, store_id);
    if (e && seq > e->last_seq && !e->dirty) {
        e->dirty = true;
        t->ndirty++;
    }
    pthread_mutex_unlock(&t->mu);
    return e != NULL;
}

void gw_stores_mark_all(struct gw_stores *t)
{
    size_t i;

    pthread_mutex_lock(&t->mu);
    for (i = 0; i < t->nbuckets; i++)
        for (struct gw_store *e = t->buckets[i]; e; e = e->next)
            e->dirty = true;
    t->ndirty = t->n;
    pthread_mutex_unlock(&t->mu);
}

bool gw_stores_next_dirty(struct gw_stores *t, struct gw_store_ref *out)
{
    bool found = false;
    size_t i;

    pthread_mutex_lock(&t->mu);
    for (i = 0; t->ndirty > 0 && i < t->nbuckets && !found; i++) {
        for (struct gw_store *e = t->buckets[i]; e; e = e->next) {
            if (!e->dirty)
                continue;
            e->dirty = false;
            t->ndirty--;
            memcpy(out->store_id, e->id, sizeof out->store_id);
            out->last_seq = e->last_seq;
            out->gen = e->gen;
            found = true;
            break;
        }
    }
    pthread_mutex_unlock(&t->mu);
    return found;
}

bool gw_stores_advance(struct gw_stores *t, const struct gw_store_ref *ref, long long new_seq,
                       void (*commit)(void *arg), void *arg)
{
    struct gw_store *e;
    bool ok;

    pthread_mutex_lock(&t->mu);
    e = *find_slot(t, ref->store_id);
    ok = e && e->gen == ref->gen && e->last_seq == ref->last_seq && new_seq >= e->last_seq;
    if (ok) {
        e->last_seq = new_seq;
        if (commit)
            commit(arg);
    }
    pthread_mutex_unlock(&t->mu);
    return ok;
}

void gw_stores_redirty(struct gw_stores *t, const struct gw_store_ref *ref)
{
    struct gw_store *e;

    pthread_mutex_lock(&t->mu);
    e = *find_slot(t, ref->store_id);
    if (e && e->gen == ref->gen && !e->dirty) {
        e->dirty = true;
        t->ndirty++;
    }
    pthread_mutex_unlock(&t->mu);
}

size_t gw_stores_count(struct gw_stores *t)
{
    size_t n;

    pthread_mutex_lock(&t->mu);
    n = t->n;
    pthread_mutex_unlock(&t->mu);
    return n;
}

long long gw_stores_last_seq(struct gw_stores *t, const char *store_id)
{
    struct gw_store *e;
    long long v;

    pthread_mutex_lock(&t->mu);
    e = *find_slot(t, store_id);
    v = e ? e->last_seq : -1;
    pthread_mutex_unlock(&t->mu);
    return v;
}
