/* timer.c - the app's timers on the loop (lws_sul). */
#include <stdlib.h>

#include "internal.h"

static void timer_fire(lws_sorted_usec_list_t *sul)
{
    struct sio_timer *t = lws_container_of(sul, struct sio_timer, sul);
    struct sio_server *srv = t->srv;

    sio_srv_enter(srv);
    if (t->period_ms)
        lws_sul_schedule(srv->ctx, 0, &t->sul, timer_fire, (lws_usec_t)t->period_ms * SIO_MS);
    t->cb(t, t->arg);                     /* may free t */
    sio_srv_leave(srv);
}

struct sio_timer *sio_timer_new(struct sio_server *srv, sio_timer_cb cb, void *arg)
{
    struct sio_timer *t;

    if (!srv || !cb)
        return NULL;
    t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->srv = srv;
    t->cb = cb;
    t->arg = arg;
    return t;
}

void sio_timer_start(struct sio_timer *t, unsigned first_ms, unsigned period_ms)
{
    t->period_ms = period_ms;
    lws_sul_schedule(t->srv->ctx, 0, &t->sul, timer_fire, (lws_usec_t)first_ms * SIO_MS);
}

void sio_timer_stop(struct sio_timer *t)
{
    t->period_ms = 0;
    lws_sul_cancel(&t->sul);
}

void sio_timer_free(struct sio_timer *t)
{
    if (!t)
        return;
    sio_timer_stop(t);
    free(t);
}
