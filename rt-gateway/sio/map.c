/* map.c - chained hash map, FNV-1a, doubling at load 1. */
#include "map.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

struct map_entry {
    struct map_entry *next;
    uint64_t hash;
    void *val;
    size_t klen;
    unsigned char key[];
};

static uint64_t fnv1a(const void *key, size_t len)
{
    const unsigned char *p = key;
    uint64_t h = 1469598103934665603ull;
    size_t i;

    for (i = 0; i < len; i++) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}

void sio_map_init(struct map *m)
{
    m->slots = NULL;
    m->nslots = 0;
    m->count = 0;
}

void sio_map_free(struct map *m)
{
    struct map_entry *e, *nx;
    size_t i;

    for (i = 0; i < m->nslots; i++) {
        for (e = m->slots[i]; e; e = nx) {
            nx = e->next;
            free(e);
        }
    }
    free(m->slots);
    sio_map_init(m);
}

static struct map_entry **find(const struct map *m, const void *key, size_t klen, uint64_t h)
{
    struct map_entry **pe;

    if (m->nslots == 0)
        return NULL;
    for (pe = &m->slots[h & (m->nslots - 1)]; *pe; pe = &(*pe)->next)
        if ((*pe)->hash == h && (*pe)->klen == klen && memcmp((*pe)->key, key, klen) == 0)
            return pe;
    return NULL;
}

void *sio_map_get(const struct map *m, const void *key, size_t klen)
{
    struct map_entry **pe = find(m, key, klen, fnv1a(key, klen));

    return pe ? (*pe)->val : NULL;
}

static int grow(struct map *m)
{
    size_t n = m->nslots ? m->nslots * 2 : 16, i;
    struct map_entry **slots, *e, *nx;

    if (n > SIZE_MAX / sizeof(*slots))
        return SYNC_ENOMEM;
    slots = calloc(n, sizeof(*slots));
    if (!slots)
        return SYNC_ENOMEM;
    for (i = 0; i < m->nslots; i++) {
        for (e = m->slots[i]; e; e = nx) {
            nx = e->next;
            e->next = slots[e->hash & (n - 1)];
            slots[e->hash & (n - 1)] = e;
        }
    }
    free(m->slots);
    m->slots = slots;
    m->nslots = n;
    return SYNC_OK;
}

int sio_map_put(struct map *m, const void *key, size_t klen, void *val)
{
    uint64_t h = fnv1a(key, klen);
    struct map_entry *e;
    size_t slot;

    if (find(m, key, klen, h))
        return SYNC_ECONFLICT;
    if (m->count >= m->nslots && grow(m) != SYNC_OK)
        return SYNC_ENOMEM;
    if (klen > SIZE_MAX - sizeof(*e))
        return SYNC_ENOMEM;
    e = malloc(sizeof(*e) + klen);
    if (!e)
        return SYNC_ENOMEM;
    e->hash = h;
    e->val = val;
    e->klen = klen;
    memcpy(e->key, key, klen);
    slot = h & (m->nslots - 1);
    e->next = m->slots[slot];
    m->slots[slot] = e;
    m->count++;
    return SYNC_OK;
}

void *sio_map_del(struct map *m, const void *key, size_t klen)
{
    struct map_entry **pe = find(m, key, klen, fnv1a(key, klen)), *e;
    void *val;

    if (!pe)
        return NULL;
    e = *pe;
    *pe = e->next;
    val = e->val;
    free(e);
    m->count--;
    return val;
}

void sio_map_each(const struct map *m, void (*fn)(void *val, void *arg), void *arg)
{
    struct map_entry *e, *nx;
    size_t i;

    for (i = 0; i < m->nslots; i++) {
        for (e = m->slots[i]; e; e = nx) {
            nx = e->next;
            fn(e->val, arg);
        }
    }
}
