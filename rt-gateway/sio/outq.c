/* outq.c - a FIFO of packet refs. */
#include <stdlib.h>

#include "err.h"
#include "internal.h"

void eio_outq_init(struct outq *q)
{
    q->head = NULL;
    q->tail = &q->head;
    q->bytes = 0;
    q->part = 0;
    q->off = 0;
}

int eio_outq_push(struct outq *q, struct sio_packet *p)
{
    struct outq_item *it = malloc(sizeof(*it));

    if (!it)
        return SYNC_ENOMEM;
    it->next = NULL;
    it->p = sio_packet_ref(p);
    *q->tail = it;
    q->tail = &it->next;
    q->bytes += p->wire;
    return SYNC_OK;
}

struct sio_packet *eio_outq_pop(struct outq *q)
{
    struct outq_item *it = q->head;
    struct sio_packet *p;

    if (!it)
        return NULL;
    q->head = it->next;
    if (!q->head)
        q->tail = &q->head;
    p = it->p;
    q->bytes -= p->wire;
    q->part = 0;
    q->off = 0;
    free(it);
    return p;
}

void eio_outq_clear(struct outq *q)
{
    struct sio_packet *p;

    while ((p = eio_outq_pop(q)) != NULL)
        sio_packet_unref(p);
    eio_outq_init(q);
}
