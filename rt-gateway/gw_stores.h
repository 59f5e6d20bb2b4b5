/* gw_stores.h - the stores that have sockets on this gateway, shared by the
 * loop thread (which attaches and detaches sockets) and the listener thread
 * (which fetches each store's changes after the last seq it delivered).
 *
 * An entry exists while at least one accepted socket of the store is
 * connected. Its last_seq is the highest seq whose events were handed to the
 * loop; it only grows while the entry lives, so no seq is fetched twice. An
 * entry is "dirty" when changes after last_seq may exist: a notification
 * named a higher seq, the entry was just created (a change may have been
 * notified before it existed), or the LISTEN connection was re-established
 * (notifications may have been lost). Every entry carries a generation so
 * the listener can tell that the entry it fetched for was dropped and
 * re-created meanwhile (then its results are dropped). All calls lock. */
#ifndef GW_STORES_H
#define GW_STORES_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "limits.h"

struct gw_store;

struct gw_stores {
    pthread_mutex_t mu;
    struct gw_store **buckets;
    size_t nbuckets;
    size_t n;             /* entries */
    size_t ndirty;
    uint64_t next_gen;
};

/* A copy of one dirty entry, for the listener to work on unlocked. */
struct gw_store_ref {
    char store_id[SYNC_UUID_LEN + 1];
    long long last_seq;
    uint64_t gen;
};

int gw_stores_init(struct gw_stores *t);
void gw_stores_destroy(struct gw_stores *t);

/* Loop: one more socket of store_id. A new entry starts at last_seq =
 * start_seq and dirty; *created tells the caller to poke the listener.
 * SYNC_OK / SYNC_ENOMEM. */
int gw_stores_attach(struct gw_stores *t, const char *store_id, long long start_seq,
                     bool *created);
/* Loop: one socket fewer; the entry goes with its last socket. */
void gw_stores_detach(struct gw_stores *t, const char *store_id);

/* Listener: a notification says store_id committed up to seq. Marks the
 * entry dirty when seq > last_seq. Returns true when the entry exists. */
bool gw_stores_notify(struct gw_stores *t, const char *store_id, long long seq);
/* Listener: marks every entry dirty (after a reconnect). */
void gw_stores_mark_all(struct gw_stores *t);
/* Listener: takes one dirty entry (clearing its flag) into *out; false when
 * none is dirty. */
bool gw_stores_next_dirty(struct gw_stores *t, struct gw_store_ref *out);
/* Listener: the changes after ref->last_seq up to new_seq were fetched. If
 * the entry still exists with the same generation and last_seq, advances
 * last_seq to new_seq and calls commit(arg) under the lock (so the packets
 * reach the loop before any later fetch's), returning true; otherwise the
 * results are stale: returns false. */
bool gw_stores_advance(struct gw_stores *t, const struct gw_store_ref *ref, long long new_seq,
                       void (*commit)(void *arg), void *arg);
/* Listener: the fetch for ref failed; keep it dirty for the next round. */
void gw_stores_redirty(struct gw_stores *t, const struct gw_store_ref *ref);

/* Counters for logs and health. */
size_t gw_stores_count(struct gw_stores *t);
/* Last seq handed to the loop for store_id; -1 when no entry. */
long long gw_stores_last_seq(struct gw_stores *t, const char *store_id);

#endif
