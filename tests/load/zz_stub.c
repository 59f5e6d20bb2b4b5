/* The Socket.IO subcommands, until the WebSocket client lands. */
#include <stdio.h>

#include "load.h"

static int later(const char *what)
{
    fprintf(stderr, "sio-load: %s is not implemented yet\n", what);
    return 2;
}

int cmd_ack(int argc, char **argv) { (void)argc; (void)argv; return later("ack"); }
int cmd_fanout(int argc, char **argv) { (void)argc; (void)argv; return later("fanout"); }
int cmd_idle(int argc, char **argv) { (void)argc; (void)argv; return later("idle"); }
int ws_selftest(int *pass, int *fail) { (void)pass; (void)fail; return 0; }
