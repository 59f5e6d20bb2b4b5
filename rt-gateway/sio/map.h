/* map.h - a small chained hash map from byte keys to pointers (loop thread).
 * Keys are copied; values are borrowed. */
#ifndef SIO_MAP_H
#define SIO_MAP_H

#include <stddef.h>

struct map_entry;
struct map {
    struct map_entry **slots;
    size_t nslots;           /* power of two, 0 until the first put */
    size_t count;
};

void sio_map_init(struct map *m);
void sio_map_free(struct map *m);                 /* frees entries, not values */
void *sio_map_get(const struct map *m, const void *key, size_t klen);
/* SYNC_OK, SYNC_ECONFLICT (key present; unchanged) or SYNC_ENOMEM. */
int sio_map_put(struct map *m, const void *key, size_t klen, void *val);
void *sio_map_del(struct map *m, const void *key, size_t klen);   /* the value or NULL */
/* Calls fn(val, arg) for each value; fn must not change the map. */
void sio_map_each(const struct map *m, void (*fn)(void *val, void *arg), void *arg);

#endif
