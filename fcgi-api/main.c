/* main.c - sync-api: the REST API as a FastCGI program (libfcgi, fcgiapp.h).
 *
 *   sync-api                      FastCGI socket on fd 0: spawned by lighttpd's
 *                                 mod_fastcgi (bin-path) or by spawn-fcgi
 *   sync-api --listen HOST:PORT   listens itself (nginx, Apache mod_proxy_fcgi)
 *   sync-api --listen unix:PATH [--socket-mode 0660]
 *
 * Configuration comes from the environment (DESIGN §7). One request at a
 * time, one PostgreSQL connection per process; run several processes for
 * concurrency. SIGTERM/SIGINT finish the request in hand and exit. */
#include <errno.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "api.h"
#include "isotime.h"
#include "log.h"

#define LISTEN_BACKLOG_DEFAULT 128
#define SOCKET_MODE_DEFAULT    0666     /* nginx workers run as another user */
#define WRITE_CHUNK            (1 << 20)

static volatile sig_atomic_t stopping;

static void on_stop(int sig)
{
    (void)sig;
    stopping = 1;
    FCGX_ShutdownPending();
}

/* ---- libfcgi adapters for the pure request/response code ------------------ */

static const char *fcgi_param(void *ctx, const char *name)
{
    return FCGX_GetParam(name, (FCGX_ParamArray)ctx);
}

static int fcgi_read(void *ctx, char *buf, int n)
{
    FCGX_Stream *in = ctx;
    int got = FCGX_GetStr(buf, n, in);

    if (got < n && FCGX_GetError(in) != 0)
        return -1;
    return got;
}

static int fcgi_write(void *ctx, const char *buf, size_t n)
{
    FCGX_Stream *out = ctx;

    while (n > 0) {
        int chunk = n > WRITE_CHUNK ? WRITE_CHUNK : (int)n;
        if (FCGX_PutStr(buf, chunk, out) != chunk)
            return -1;
        buf += chunk;
        n -= (size_t)chunk;
    }
    return 0;
}

static void serve(struct api_ctx *ctx, FCGX_Request *req)
{
    static const char oom[] =
        "Status: 500 Internal Server Error\r\nContent-Type: application/json; charset=utf-8\r\n"
        "Content-Length: 62\r\n\r\n"
        "{\"error\":{\"code\":\"INTERNAL_ERROR\",\"message\":\"out of memory\"}}";
    struct request rq;
    struct response rs;
    int64_t t0 = iso_now_ms();

    if (request_init(&rq, fcgi_param, req->envp) != SYNC_OK) {
        request_free(&rq);
        fcgi_write(req->out, oom, sizeof oom - 1);
        return;
    }
    resp_init(&rs);
    api_handle(ctx, &rq, fcgi_read, req->in, &rs);
    if (resp_send(&rs, strcmp(rq.method, "HEAD") != 0, fcgi_write, req->out) != 0)
        log_debug("client went away before the answer was written");
    log_debug("%s %s -> %d (%lld ms)", rq.method, rq.path ? rq.path : "(bad path)", rs.status,
              (long long)(iso_now_ms() - t0));
    resp_free(&rs);
    request_free(&rq);
}

/* ---- start-up -------------------------------------------------------------- */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: sync-api [--listen HOST:PORT | --listen unix:PATH] [--socket-mode MODE]\n"
            "                [--backlog N]\n"
            "Without --listen the FastCGI socket is fd 0 (lighttpd bin-path, spawn-fcgi).\n"
            "Environment: DATABASE_URL (required), ADMIN_API_KEY, CORS_ORIGINS, LOG_LEVEL,\n"
            "SYNC_TOMBSTONE_DAYS.\n");
}

struct options {
    const char *listen;         /* NULL: fd 0 */
    unsigned socket_mode;
    int backlog;
};

static int parse_args(int argc, char **argv, struct options *o)
{
    o->listen = NULL;
    o->socket_mode = SOCKET_MODE_DEFAULT;
    o->backlog = LISTEN_BACKLOG_DEFAULT;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            exit(0);
        } else if (strcmp(a, "--version") == 0) {
            printf("sync-api %s\n", SYNC_VERSION);
            exit(0);
        } else if (strcmp(a, "--listen") == 0 && i + 1 < argc) {
            o->listen = argv[++i];
        } else if (strcmp(a, "--socket-mode") == 0 && i + 1 < argc) {
            char *end = NULL;
            unsigned long m = strtoul(argv[++i], &end, 8);
            if (!end || *end || m > 0777) {
                fprintf(stderr, "sync-api: --socket-mode takes an octal mode such as 0660\n");
                return -1;
            }
            o->socket_mode = (unsigned)m;
        } else if (strcmp(a, "--backlog") == 0 && i + 1 < argc) {
            char *end = NULL;
            long b = strtol(argv[++i], &end, 10);
            if (!end || *end || b < 1 || b > 65535) {
                fprintf(stderr, "sync-api: --backlog takes 1..65535\n");
                return -1;
            }
            o->backlog = (int)b;
        } else {
            usage(stderr);
            return -1;
        }
    }
    return 0;
}

/* Opens the listening socket of --listen; -1 with a logged reason. For a
 * unix socket, *unix_path is set so that it can be removed at exit. */
static int open_listen(const struct options *o, const char **unix_path)
{
    const char *addr = o->listen;
    int fd;

    *unix_path = NULL;
    if (strncmp(addr, "unix:", 5) == 0) {
        struct stat st;
        addr += 5;
        if (!*addr || addr[0] != '/') {
            log_error("--listen unix:PATH needs an absolute path");
            return -1;
        }
        /* a socket left by a previous run would make bind() fail */
        if (lstat(addr, &st) == 0 && S_ISSOCK(st.st_mode))
            unlink(addr);
        fd = FCGX_OpenSocket(addr, o->backlog);
        if (fd < 0) {
            log_error("cannot listen on unix:%s: %s", addr, strerror(errno));
            return -1;
        }
        if (chmod(addr, (mode_t)o->socket_mode) != 0) {
            log_error("cannot chmod %s: %s", addr, strerror(errno));
            close(fd);
            return -1;
        }
        *unix_path = addr;
        log_info("listening on unix:%s (mode %04o)", addr, o->socket_mode);
        return fd;
    }
    {
        const char *colon = strrchr(addr, ':');
        char *end = NULL;
        long port = colon ? strtol(colon + 1, &end, 10) : 0;
        if (!colon || !end || *end || port < 1 || port > 65535) {
            log_error("--listen takes HOST:PORT or unix:PATH, not '%s'", addr);
            return -1;
        }
    }
    fd = FCGX_OpenSocket(addr, o->backlog);
    if (fd < 0) {
        log_error("cannot listen on %s: %s", addr, strerror(errno));
        return -1;
    }
    log_info("listening on %s", addr);
    return fd;
}

int main(int argc, char **argv)
{
    struct api_ctx ctx;
    struct options opt;
    struct sync_err err = {0};
    struct sigaction sa;
    FCGX_Request req;
    const char *unix_path = NULL;
    int sock = 0, rc;

    log_set_name("sync-api");
    if (parse_args(argc, argv, &opt) != 0)
        return 2;
    memset(&ctx, 0, sizeof ctx);
    if (config_load(&ctx.cfg, CONFIG_NEED_DB, &err) != SYNC_OK) {
        log_error("%s", err.msg);
        return 1;
    }
    log_set_level(ctx.cfg.log_level);
    ctx.started_ms = iso_now_ms();

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;            /* no SA_RESTART: accept() returns */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (FCGX_Init() != 0) {
        log_error("cannot initialise libfcgi");
        config_free(&ctx.cfg);
        return 1;
    }
    if (opt.listen) {
        sock = open_listen(&opt, &unix_path);
        if (sock < 0) {
            config_free(&ctx.cfg);
            return 1;
        }
    } else if (FCGX_IsCGI()) {
        log_error("fd 0 is not a FastCGI socket: start me from a web server, spawn-fcgi, "
                  "or with --listen HOST:PORT | unix:PATH");
        config_free(&ctx.cfg);
        return 2;
    }

    rc = db_open_retry(ctx.cfg.database_url, API_DB_START_WAIT_MS, &ctx.db, &err);
    if (rc == SYNC_OK)
        db_set_tombstone_days(ctx.db, ctx.cfg.tombstone_days);
    else
        log_warn("%s; answering 503 until it is reachable", err.msg);

    if (FCGX_InitRequest(&req, sock, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
        log_error("cannot initialise the FastCGI request");
        db_close(ctx.db);
        config_free(&ctx.cfg);
        return 1;
    }
    log_info("ready (pid %ld)", (long)getpid());
    while (!stopping) {
        if (FCGX_Accept_r(&req) < 0) {
            if (!stopping)
                log_error("accept failed: %s", strerror(errno));
            break;
        }
        serve(&ctx, &req);
        FCGX_Finish_r(&req);
    }
    FCGX_Free(&req, 1);
    if (unix_path)
        unlink(unix_path);
    db_close(ctx.db);
    config_free(&ctx.cfg);
    log_info("stopped");
    return 0;
}
