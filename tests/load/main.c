/* main.c - sio-load: the benchmark's load client (see load.h).
 *
 *   sio-load http put|get|list|sync ...   REST load through the web server
 *   sio-load ack ...                      Socket.IO write acks, sequential or N in flight
 *   sio-load fanout ...                   one writer, N receivers: emit -> last receipt
 *   sio-load idle ...                     N idle sockets held open (gateway memory)
 *   sio-load tcp ...                      loopback TCP: the kernel's CPU per message sent
 *   sio-load selftest                     the pure parts, "N passed, N failed"
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "load.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: sio-load http|ack|fanout|idle|tcp|selftest [options]\n"
               "       sio-load COMMAND --help\n");
}

int cmd_selftest(int argc, char **argv)
{
    int pass = 0, fail = 0;

    (void)argc;
    (void)argv;
    util_selftest(&pass, &fail);
    ws_selftest(&pass, &fail);
    printf("%d passed, %d failed\n", pass, fail);
    return fail ? 1 : 0;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "http") == 0)
        return cmd_http(argc - 2, argv + 2);
    if (strcmp(argv[1], "ack") == 0)
        return cmd_ack(argc - 2, argv + 2);
    if (strcmp(argv[1], "fanout") == 0)
        return cmd_fanout(argc - 2, argv + 2);
    if (strcmp(argv[1], "idle") == 0)
        return cmd_idle(argc - 2, argv + 2);
    if (strcmp(argv[1], "tcp") == 0)
        return cmd_tcp(argc - 2, argv + 2);
    if (strcmp(argv[1], "selftest") == 0)
        return cmd_selftest(argc - 2, argv + 2);
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return 0;
    }
    usage(stderr);
    return 2;
}
