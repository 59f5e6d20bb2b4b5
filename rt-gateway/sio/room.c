/* room.c - rooms of a namespace: named sets of accepted sockets. A walk
 * (broadcast, foreach) may end sockets; members removed meanwhile are only
 * marked and unlinked when the last walk of the room finishes. */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "internal.h"

#define ROOM_NAME_MAX 1024

static struct sio_room *room_get(struct sio_nsp *nsp, const char *name)
{
    size_t n = strlen(name);

    if (n == 0 || n > ROOM_NAME_MAX)
        return NULL;
    return sio_map_get(&nsp->rooms, name, n);
}

static void room_free(struct sio_room *r)
{
    struct member *m, *nx;

    for (m = r->head; m; m = nx) {
        nx = m->next;
        free(m);
    }
    free(r->name);
    free(r);
}

/* Unlinks members marked dead and drops the room once empty. */
static void room_sweep(struct sio_room *r)
{
    struct member *m, *nx;

    if (r->walking)
        return;
    if (r->has_dead) {
        for (m = r->head; m; m = nx) {
            nx = m->next;
            if (m->s)
                continue;
            if (m->prev)
                m->prev->next = m->next;
            else
                r->head = m->next;
            if (m->next)
                m->next->prev = m->prev;
            free(m);
        }
        r->has_dead = 0;
    }
    if (r->count == 0) {
        sio_map_del(&r->nsp->rooms, r->name, r->name_len);
        room_free(r);
    }
}

int sio_join(struct sio_socket *s, const char *name)
{
    struct sio_room *r;
    struct member *m;
    size_t n;

    if (!s || !name || s->gone || !s->accepted)
        return SYNC_EINVAL;
    n = strlen(name);
    if (n == 0 || n > ROOM_NAME_MAX)
        return SYNC_EINVAL;
    if (sio_in_room(s, name))
        return SYNC_OK;
    r = sio_map_get(&s->nsp->rooms, name, n);
    if (!r) {
        r = calloc(1, sizeof(*r));
        if (!r)
            return SYNC_ENOMEM;
        r->nsp = s->nsp;
        r->name = strdup(name);
        r->name_len = n;
        if (!r->name || sio_map_put(&s->nsp->rooms, name, n, r) != SYNC_OK) {
            free(r->name);
            free(r);
            return SYNC_ENOMEM;
        }
    }
    m = calloc(1, sizeof(*m));
    if (!m) {
        if (r->count == 0 && !r->head)
            room_sweep(r);
        return SYNC_ENOMEM;
    }
    m->room = r;
    m->s = s;
    m->next = r->head;                /* a walk in progress does not see it: fine */
    if (r->head)
        r->head->prev = m;
    r->head = m;
    r->count++;
    m->s_next = s->rooms;
    s->rooms = m;
    return SYNC_OK;
}

static void member_remove(struct member *m)
{
    struct sio_room *r = m->room;

    m->s = NULL;
    r->count--;
    r->has_dead = 1;
    room_sweep(r);                    /* frees m unless a walk is running */
}

int sio_leave(struct sio_socket *s, const char *name)
{
    struct member **pm, *m;

    if (!s || !name)
        return SYNC_EINVAL;
    for (pm = &s->rooms; *pm; pm = &(*pm)->s_next) {
        m = *pm;
        if (strcmp(m->room->name, name) == 0) {
            *pm = m->s_next;
            member_remove(m);
            return SYNC_OK;
        }
    }
    return SYNC_OK;
}

int sio_in_room(const struct sio_socket *s, const char *name)
{
    const struct member *m;

    if (!s || !name)
        return 0;
    for (m = s->rooms; m; m = m->s_next)
        if (strcmp(m->room->name, name) == 0)
            return 1;
    return 0;
}

void sio_room_leave_all(struct sio_socket *s)
{
    struct member *m;

    while ((m = s->rooms) != NULL) {
        s->rooms = m->s_next;
        member_remove(m);
    }
}

size_t sio_room_size(struct sio_nsp *nsp, const char *name)
{
    struct sio_room *r = nsp && name ? room_get(nsp, name) : NULL;

    return r ? r->count : 0;
}

struct bcast {
    struct sio_packet *p;
    const struct sio_socket *except;
    int (*filter)(struct sio_socket *s, void *arg);
    void *arg;
    int sent;
};

static int bcast_one(struct sio_socket *s, void *arg)
{
    struct bcast *b = arg;

    if (s == b->except)
        return 0;
    if (b->filter && !b->filter(s, b->arg))
        return 0;
    if (s->gone)
        return 0;                     /* the filter may have disconnected it */
    if (sio_send(s, b->p) == SYNC_OK)
        b->sent++;
    return 0;
}

int sio_room_foreach(struct sio_nsp *nsp, const char *name,
                     int (*fn)(struct sio_socket *s, void *arg), void *arg)
{
    struct sio_room *r;
    struct member *m;
    int rc = 0;

    if (!nsp || !name || !fn)
        return 0;
    r = room_get(nsp, name);
    if (!r)
        return 0;
    sio_srv_enter(nsp->srv);
    r->walking++;
    for (m = r->head; m && rc == 0; m = m->next) {
        if (m->s && !m->s->gone)
            rc = fn(m->s, arg);
    }
    r->walking--;
    room_sweep(r);
    sio_srv_leave(nsp->srv);
    return rc;
}

int sio_broadcast(struct sio_nsp *nsp, const char *room, struct sio_packet *p,
                  const struct sio_socket *except,
                  int (*filter)(struct sio_socket *s, void *arg), void *arg)
{
    struct bcast b = { p, except, filter, arg, 0 };

    if (!nsp || !room || !p)
        return SYNC_EINVAL;
    sio_room_foreach(nsp, room, bcast_one, &b);
    return b.sent;
}

static void room_free_cb(void *val, void *arg)
{
    (void)arg;
    room_free(val);
}

void sio_nsp_rooms_free(struct sio_nsp *nsp)
{
    sio_map_each(&nsp->rooms, room_free_cb, NULL);
    sio_map_free(&nsp->rooms);
}
