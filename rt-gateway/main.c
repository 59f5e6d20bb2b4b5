/* main.c - sync-gateway: configuration, signals, run (see gateway.h). */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "gateway.h"
#include "log.h"

static struct gw *volatile running;

static void on_signal(int sig)
{
    struct gw *g = running;

    (void)sig;
    if (g)
        gw_stop(g);                 /* signal-safe: sets a flag, wakes the loop */
}

int main(int argc, char **argv)
{
    struct sync_config cfg;
    struct sync_err err = { 0 };
    struct sigaction sa;
    struct gw *g = NULL;

    log_set_name("sync-gateway");
    if (argc > 1) {
        fprintf(stderr, "usage: sync-gateway (configured by the environment: DATABASE_URL, "
                        "SYNC_GATEWAY_LISTEN, SYNC_GATEWAY_PATH, SYNC_MAX_PAYLOAD, "
                        "CORS_ORIGINS, SYNC_TLS_CERT, SYNC_TLS_KEY, LOG_LEVEL)\n");
        return strcmp(argv[1], "--help") == 0 ? 0 : 2;
    }
    if (config_load(&cfg, CONFIG_NEED_DB, &err) != SYNC_OK) {
        log_error("%s", err.msg);
        return 1;
    }
    log_set_level(cfg.log_level);

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);

    if (gw_create(&cfg, &g, &err) != SYNC_OK) {
        log_error("cannot start: %s", err.msg);
        config_free(&cfg);
        return 1;
    }
    running = g;
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    log_info("listening on %s:%d%s%s (max payload %zu bytes)", cfg.gw_host, gw_port(g),
             cfg.gw_path, cfg.tls_cert ? " with TLS" : "", cfg.max_payload);
    gw_run(g);
    log_info("stopping");

    running = NULL;
    gw_destroy(g);
    config_free(&cfg);
    log_info("stopped");
    return 0;
}
