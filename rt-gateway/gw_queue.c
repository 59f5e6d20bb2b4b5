/* gw_queue.c - jobs and their locked FIFO. */
#include "gw_queue.h"

#include <stdlib.h>

#include "sio/sio_server.h"

struct gw_job *gw_job_new(enum gw_job_type type)
{
    struct gw_job *j = calloc(1, sizeof *j);

    if (j)
        j->type = type;
    return j;
}

void gw_job_free(struct gw_job *j)
{
    if (!j)
        return;
    free(j->key);
    free(j->path);
    free(j->new_path);
    free(j->content);
    free(j->origin);
    sio_packet_unref(j->pkt);
    free(j);
}

void gw_job_free_list(struct gw_job *j)
{
    while (j) {
        struct gw_job *nx = j->next;
        gw_job_free(j);
        j = nx;
    }
}

int gw_queue_init(struct gw_queue *q)
{
    q->head = NULL;
    q->tail = &q->head;
    q->n = 0;
    q->closed = false;
    if (pthread_mutex_init(&q->mu, NULL) != 0)
        return SYNC_ENOMEM;
    if (pthread_cond_init(&q->cv, NULL) != 0) {
        pthread_mutex_destroy(&q->mu);
        return SYNC_ENOMEM;
    }
    return SYNC_OK;
}

void gw_queue_destroy(struct gw_queue *q)
{
    gw_job_free_list(q->head);
    q->head = NULL;
    q->tail = &q->head;
    pthread_cond_destroy(&q->cv);
    pthread_mutex_destroy(&q->mu);
}

bool gw_queue_push(struct gw_queue *q, struct gw_job *j)
{
    bool ok;

    j->next = NULL;
    pthread_mutex_lock(&q->mu);
    ok = !q->closed;
    if (ok) {
        *q->tail = j;
        q->tail = &j->next;
        q->n++;
        pthread_cond_signal(&q->cv);
    }
    pthread_mutex_unlock(&q->mu);
    return ok;
}

struct gw_job *gw_queue_take_all(struct gw_queue *q)
{
    struct gw_job *j;

    pthread_mutex_lock(&q->mu);
    j = q->head;
    q->head = NULL;
    q->tail = &q->head;
    q->n = 0;
    pthread_mutex_unlock(&q->mu);
    return j;
}

struct gw_job *gw_queue_pop_wait(struct gw_queue *q)
{
    struct gw_job *j = NULL;

    pthread_mutex_lock(&q->mu);
    while (!q->closed && !q->head)
        pthread_cond_wait(&q->cv, &q->mu);
    if (!q->closed) {
        j = q->head;
        q->head = j->next;
        if (!q->head)
            q->tail = &q->head;
        q->n--;
        j->next = NULL;
    }
    pthread_mutex_unlock(&q->mu);
    return j;
}

void gw_queue_close(struct gw_queue *q)
{
    pthread_mutex_lock(&q->mu);
    q->closed = true;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

size_t gw_queue_len(struct gw_queue *q)
{
    size_t n;

    pthread_mutex_lock(&q->mu);
    n = q->n;
    pthread_mutex_unlock(&q->mu);
    return n;
}
