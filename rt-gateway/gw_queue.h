/* gw_queue.h - the unit of work that moves between the loop thread, the
 * database workers and the listener, and the locked FIFO that carries it.
 *
 * The loop thread never waits on PostgreSQL: it fills a job, pushes it to a
 * worker's queue, and gets it back finished on the done queue (pushed from
 * any thread, followed by sio_server_wake(); the loop drains the whole queue
 * in on_wake because wake-ups coalesce). */
#ifndef GW_QUEUE_H
#define GW_QUEUE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "gw_proto.h"
#include "limits.h"
#include "svc.h"

struct sio_packet;

enum gw_job_type {
    /* loop -> worker -> loop */
    GW_JOB_AUTH,         /* key -> auth + the store's current seq */
    GW_JOB_WRITE,        /* one client event -> svc_file_* */
    GW_JOB_KEYCHECK,     /* store_id + key_id: still valid? (after a LISTEN outage) */
    /* listener -> loop */
    GW_JOB_BROADCAST,    /* pkt to room store:<store_id>, seq, origin */
    GW_JOB_REVOKE,       /* sync_revoked: key_id or store_id (the other empty) */
    GW_JOB_RECHECK,      /* the LISTEN connection was lost: re-validate live keys */
};

struct gw_job {
    struct gw_job *next;
    enum gw_job_type type;

    uint64_t serial;                      /* the socket (0: none) */
    bool has_ack;
    uint64_t ack_id;

    char store_id[SYNC_UUID_LEN + 1];
    char key_id[SYNC_UUID_LEN + 1];

    /* AUTH in */
    char *key;                            /* owned */
    size_t key_len;
    /* WRITE in (owned copies) */
    enum gw_op op;
    char *path;
    size_t path_len;
    char *new_path;
    size_t new_len;
    char *content;
    size_t content_len;
    char *origin;                         /* socket id; BROADCAST: change origin or NULL */
    size_t cost;                          /* bytes held, counted against the socket */

    /* results */
    int rc;                               /* SYNC_OK or SYNC_E* */
    struct sync_err err;
    struct sync_auth auth;                /* AUTH */
    long long seq;                        /* AUTH: store's seq; WRITE: change seq (0: none);
                                             BROADCAST: change seq */
    char hash[SYNC_HASH_LEN + 1];         /* WRITE created/modified */

    struct sio_packet *pkt;               /* BROADCAST, one ref owned */
};

/* calloc'ed job, or NULL. */
struct gw_job *gw_job_new(enum gw_job_type type);
/* Frees the job and what it owns; an unsent packet is unref'ed (allowed on
 * any thread only while no socket has seen it). NULL ok. */
void gw_job_free(struct gw_job *j);
void gw_job_free_list(struct gw_job *j);

/* A FIFO of jobs under a mutex; waiters sleep on a condition variable. */
struct gw_queue {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct gw_job *head;
    struct gw_job **tail;
    size_t n;
    bool closed;
};

int gw_queue_init(struct gw_queue *q);
/* Frees every job still queued. */
void gw_queue_destroy(struct gw_queue *q);
/* Appends j (takes it). Returns false (j untouched, still the caller's)
 * once the queue is closed. */
bool gw_queue_push(struct gw_queue *q, struct gw_job *j);
/* Takes the whole queue in order (NULL when empty); never waits. */
struct gw_job *gw_queue_take_all(struct gw_queue *q);
/* Waits for a job; NULL once the queue is closed (queued jobs are dropped
 * by gw_queue_destroy, not returned). */
struct gw_job *gw_queue_pop_wait(struct gw_queue *q);
/* Wakes every waiter; later pushes fail. */
void gw_queue_close(struct gw_queue *q);
size_t gw_queue_len(struct gw_queue *q);

#endif
