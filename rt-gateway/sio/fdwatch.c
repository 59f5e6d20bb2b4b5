/* fdwatch.c - the app's file descriptors on the loop, adopted as lws raw
 * files (PITFALLS 11: lws closes what it adopts). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

int sio_fdw_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
                 void *in, size_t len);

int sio_fdw_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
                 void *in, size_t len)
{
    struct sio_fdw *w;
    struct sio_server *srv;

    switch (reason) {
    case LWS_CALLBACK_RAW_RX_FILE:
    case LWS_CALLBACK_RAW_WRITEABLE_FILE:
        w = lws_get_opaque_user_data(wsi);
        if (!w)
            return 0;
        if (w->closing)
            return -1;
        srv = w->srv;
        sio_srv_enter(srv);
        w->cb(w, reason == LWS_CALLBACK_RAW_RX_FILE ? SIO_FD_READ : SIO_FD_WRITE, w->arg);
        sio_srv_leave(srv);
        return 0;
    case LWS_CALLBACK_RAW_CLOSE_FILE:
        w = lws_get_opaque_user_data(wsi);
        if (!w)
            return 0;
        lws_set_opaque_user_data(wsi, NULL);
        srv = w->srv;
        if (w->prev)
            w->prev->next = w->next;
        else
            srv->fdws = w->next;
        if (w->next)
            w->next->prev = w->prev;
        sio_srv_enter(srv);
        w->cb(w, SIO_FD_CLOSED, w->arg);
        sio_srv_leave(srv);
        free(w);
        return 0;
    default:
        return 0;
    }
}

struct sio_fdw *sio_fd_adopt(struct sio_server *srv, int fd, sio_fd_cb cb, void *arg)
{
    lws_adopt_desc_t d;
    struct sio_fdw *w;

    if (!srv || fd < 0 || !cb) {
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    w = calloc(1, sizeof(*w));
    if (!w) {
        close(fd);
        return NULL;
    }
    w->srv = srv;
    w->cb = cb;
    w->arg = arg;
    memset(&d, 0, sizeof(d));
    d.vh = srv->vh;
    d.type = LWS_ADOPT_RAW_FILE_DESC;
    d.fd.filefd = fd;
    d.vh_prot_name = "sio-fd";
    d.opaque = w;
    w->wsi = lws_adopt_descriptor_vhost_via_info(&d);   /* closes fd on failure */
    if (!w->wsi) {
        free(w);
        return NULL;
    }
    w->next = srv->fdws;
    if (w->next)
        w->next->prev = w;
    srv->fdws = w;
    return w;
}

void sio_fd_want_write(struct sio_fdw *w)
{
    if (w && w->wsi && !w->closing)
        lws_callback_on_writable(w->wsi);
}

void sio_fd_close(struct sio_fdw *w)
{
    if (!w || w->closing)
        return;
    w->closing = 1;
    lws_set_timeout(w->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}
