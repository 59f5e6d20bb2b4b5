/* tcp_floor.c - `sio-load tcp`: the machine's own cost of a delivery, to
 * compare the gateway's CPU per delivery with. One writer thread sends
 * --size byte messages round-robin to --conns loopback TCP connections
 * (write() calls of at most --chunk bytes, like a server writing WebSocket
 * fragments); a reader thread drains them all with epoll. Reports the
 * writer's CPU time (user + system, CLOCK_THREAD_CPUTIME_ID) per message:
 * no server can deliver a message over loopback TCP for less. */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "load.h"

#define MAX_CONNS 4096

struct tcp_run {
    int *rfd;
    int n;
    volatile int stop;
    long long bytes_read;
};

static int64_t thread_cpu_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void *reader(void *arg)
{
    struct tcp_run *t = arg;
    struct epoll_event evs[256];
    static char buf[1 << 18];
    int ep = epoll_create1(EPOLL_CLOEXEC);

    if (ep < 0)
        return NULL;
    for (int i = 0; i < t->n; i++) {
        struct epoll_event ev = { .events = EPOLLIN, .data.fd = t->rfd[i] };
        epoll_ctl(ep, EPOLL_CTL_ADD, t->rfd[i], &ev);
    }
    while (!t->stop) {
        int k = epoll_wait(ep, evs, 256, 50);
        for (int i = 0; i < k; i++) {
            ssize_t r;
            while ((r = recv(evs[i].data.fd, buf, sizeof buf, MSG_DONTWAIT)) > 0)
                t->bytes_read += r;
        }
    }
    close(ep);
    return NULL;
}

int cmd_tcp(int argc, char **argv)
{
    static const char *const known[] = { "size", "conns", "seconds", "chunk", NULL };
    struct opts o;
    struct tcp_run t;
    struct sockaddr_in a;
    socklen_t al = sizeof a;
    pthread_t th;
    long long size, chunk, msgs = 0;
    int conns, lfd, rc = 1;
    int *wfd = NULL;
    double seconds;
    char *msg = NULL;
    int64_t c0, c1, t0, t1;

    opts_init(&o, argc, argv);
    size = opt_ll(&o, "size", 1024, 1, 64 << 20);
    conns = (int)opt_ll(&o, "conns", 100, 1, MAX_CONNS);
    seconds = opt_double(&o, "seconds", 2, 0.1, 60);
    chunk = opt_ll(&o, "chunk", 65536, 1, 64 << 20);
    if (!opts_check(&o, known)) {
        fprintf(stderr, "usage: sio-load tcp [--size BYTES] [--conns N] [--seconds S] [--chunk BYTES]\n");
        return 2;
    }
    memset(&t, 0, sizeof t);
    t.n = conns;
    t.rfd = calloc((size_t)conns, sizeof *t.rfd);
    wfd = calloc((size_t)conns, sizeof *wfd);
    msg = malloc((size_t)size);
    lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (!t.rfd || !wfd || !msg || lfd < 0)
        goto out;
    fill_content(msg, (size_t)size, "");
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(lfd, MAX_CONNS) != 0 ||
        getsockname(lfd, (struct sockaddr *)&a, &al) != 0)
        goto out;
    for (int i = 0; i < conns; i++) {
        wfd[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (wfd[i] < 0 || connect(wfd[i], (struct sockaddr *)&a, sizeof a) != 0)
            goto out;
        t.rfd[i] = accept(lfd, NULL, NULL);
        if (t.rfd[i] < 0)
            goto out;
    }
    if (pthread_create(&th, NULL, reader, &t) != 0)
        goto out;
    t0 = now_us();
    c0 = thread_cpu_us();
    while (now_us() - t0 < (int64_t)(seconds * 1e6)) {
        int fd = wfd[msgs % conns];
        for (long long off = 0; off < size;) {
            size_t n = (size_t)(size - off < chunk ? size - off : chunk);
            ssize_t w = send(fd, msg + off, n, MSG_NOSIGNAL);
            if (w < 0) {
                if (errno == EINTR)
                    continue;
                t.stop = 1;
                pthread_join(th, NULL);
                goto out;
            }
            off += w;
        }
        msgs++;
    }
    c1 = thread_cpu_us();
    t1 = now_us();
    t.stop = 1;
    pthread_join(th, NULL);
    printf("size=%lld conns=%d chunk=%lld messages=%lld seconds=%.3f msgs_per_s=%.0f "
           "cpu_us_per_msg=%.3f\n", size, conns, chunk, msgs, (double)(t1 - t0) / 1e6,
           msgs / ((double)(t1 - t0) / 1e6), msgs ? (double)(c1 - c0) / (double)msgs : 0);
    rc = 0;
out:
    if (rc)
        perror("sio-load tcp");
    if (t.rfd)
        for (int i = 0; i < conns; i++) {
            if (t.rfd[i] > 0)
                close(t.rfd[i]);
            if (wfd && wfd[i] > 0)
                close(wfd[i]);
        }
    if (lfd >= 0)
        close(lfd);
    free(t.rfd);
    free(wfd);
    free(msg);
    return rc;
}
