/* config.c - configuration from the environment (DESIGN §7). Every error is
 * one line that names the variable. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "limits.h"
#include "log.h"

#define CORS_DEFAULT    "app://obsidian.md,capacitor://localhost,http://localhost"
#define GW_LISTEN_DEFAULT "127.0.0.1:3007"
#define GW_PATH_DEFAULT "/socket.io/"

/* getenv, with an empty value taken as unset. */
static const char *env(const char *name)
{
    const char *v = getenv(name);

    return (v && *v) ? v : NULL;
}

static char *dup_str(const char *s, size_t n)
{
    char *p = malloc(n + 1);

    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

/* A whole decimal integer in [min, max]: no sign games, spaces, suffixes. */
static int parse_ll(const char *s, long long min, long long max, long long *out)
{
    char *end = NULL;
    long long v;

    if (!s || !*s || !((s[0] >= '0' && s[0] <= '9') || s[0] == '-'))
        return -1;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/* "HOST:PORT" or "[V6]:PORT" -> host (allocated, brackets removed), port. */
static int parse_listen(const char *v, char **host, int *port, struct sync_err *err)
{
    const char *colon, *hs, *he;
    long long p;

    if (v[0] == '[') {
        he = strchr(v, ']');
        if (!he || he == v + 1 || he[1] != ':')
            goto bad;
        hs = v + 1;
        colon = he + 1;
    } else {
        colon = strrchr(v, ':');
        if (!colon || colon == v || memchr(v, ':', (size_t)(colon - v)))
            goto bad;           /* no port, no host, or a bare IPv6 address */
        hs = v;
        he = colon;
    }
    if (parse_ll(colon + 1, 1, 65535, &p) != 0 || colon[1] == '-')
        goto bad;
    *host = dup_str(hs, (size_t)(he - hs));
    if (!*host)
        return sync_err_set(err, SYNC_ENOMEM, "out of memory");
    *port = (int)p;
    return SYNC_OK;
bad:
    return sync_err_set(err, SYNC_EINVAL,
                        "SYNC_GATEWAY_LISTEN must be HOST:PORT or [IPV6]:PORT with a port 1-65535");
}

/* Is every byte printable ASCII (no spaces or controls)? */
static int printable(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7F)
            return 0;
    return 1;
}

int config_load(struct sync_config *c, int flags, struct sync_err *err)
{
    const char *v;
    long long n;
    int rc, lvl;

    memset(c, 0, sizeof(*c));

    v = env("DATABASE_URL");
    if (v) {
        c->database_url = strdup(v);
        if (!c->database_url)
            goto nomem;
    } else if (flags & CONFIG_NEED_DB) {
        rc = sync_err_set(err, SYNC_EINVAL, "DATABASE_URL is not set");
        goto fail;
    }

    v = env("ADMIN_API_KEY");
    if (v) {
        if (!key_is_admin_form(v, strlen(v))) {
            rc = sync_err_set(err, SYNC_EINVAL,
                              "ADMIN_API_KEY must start with sk_admin_ and be at least %d "
                              "characters (at most %d, printable ASCII without spaces)",
                              SYNC_ADMIN_KEY_MIN, SYNC_ADMIN_KEY_MAX);
            goto fail;
        }
        c->admin_key = strdup(v);
        if (!c->admin_key)
            goto nomem;
    } else if (flags & CONFIG_NEED_ADMIN) {
        rc = sync_err_set(err, SYNC_EINVAL, "ADMIN_API_KEY is not set");
        goto fail;
    }

    v = env("CORS_ORIGINS");
    c->cors_origins = strdup(v ? v : CORS_DEFAULT);
    if (!c->cors_origins)
        goto nomem;

    v = env("LOG_LEVEL");
    c->log_level = LOG_INFO;
    if (v) {
        lvl = log_level_parse(v);
        if (lvl < 0) {
            rc = sync_err_set(err, SYNC_EINVAL, "LOG_LEVEL must be debug, info, warn or error");
            goto fail;
        }
        c->log_level = lvl;
    }

    v = env("SYNC_GATEWAY_LISTEN");
    rc = parse_listen(v ? v : GW_LISTEN_DEFAULT, &c->gw_host, &c->gw_port, err);
    if (rc != SYNC_OK)
        goto fail;

    v = env("SYNC_GATEWAY_PATH");
    if (!v)
        v = GW_PATH_DEFAULT;
    if (v[0] != '/' || !printable(v) || strlen(v) > 255) {
        rc = sync_err_set(err, SYNC_EINVAL,
                          "SYNC_GATEWAY_PATH must start with '/' (printable ASCII, no spaces)");
        goto fail;
    }
    {
        /* one trailing slash, as Engine.IO's own server normalises it */
        size_t len = strlen(v);
        int slash = v[len - 1] == '/';
        c->gw_path = malloc(len + (slash ? 1 : 2));
        if (!c->gw_path)
            goto nomem;
        memcpy(c->gw_path, v, len);
        if (!slash)
            c->gw_path[len++] = '/';
        c->gw_path[len] = '\0';
    }

    v = env("SYNC_MAX_PAYLOAD");
    c->max_payload = SYNC_MAX_PAYLOAD_DEFAULT;
    if (v) {
        if (parse_ll(v, 1, SYNC_MAX_PAYLOAD_LIMIT, &n) != 0) {
            rc = sync_err_set(err, SYNC_EINVAL,
                              "SYNC_MAX_PAYLOAD must be a positive integer of bytes, at most %lld",
                              (long long)SYNC_MAX_PAYLOAD_LIMIT);
            goto fail;
        }
        c->max_payload = (size_t)n;
    }

    v = env("SYNC_TOMBSTONE_DAYS");
    c->tombstone_days = SYNC_TOMBSTONE_DAYS_DEFAULT;
    if (v) {
        if (parse_ll(v, 1, SYNC_TOMBSTONE_DAYS_MAX, &n) != 0) {
            rc = sync_err_set(err, SYNC_EINVAL, "SYNC_TOMBSTONE_DAYS must be an integer from 1 to %d",
                              SYNC_TOMBSTONE_DAYS_MAX);
            goto fail;
        }
        c->tombstone_days = (int)n;
    }

    /* permessage-deflate costs CPU per recipient but shrinks markdown on
     * mobile links several-fold: offered unless turned off */
    v = env("SYNC_WS_DEFLATE");
    c->ws_deflate = 1;
    if (v) {
        if (strcmp(v, "1") == 0 || strcmp(v, "on") == 0 || strcmp(v, "true") == 0) {
            c->ws_deflate = 1;
        } else if (strcmp(v, "0") == 0 || strcmp(v, "off") == 0 || strcmp(v, "false") == 0) {
            c->ws_deflate = 0;
        } else {
            rc = sync_err_set(err, SYNC_EINVAL, "SYNC_WS_DEFLATE must be on or off");
            goto fail;
        }
    }

    v = env("SYNC_TLS_CERT");
    if (v) {
        c->tls_cert = strdup(v);
        if (!c->tls_cert)
            goto nomem;
    }
    v = env("SYNC_TLS_KEY");
    if (v) {
        c->tls_key = strdup(v);
        if (!c->tls_key)
            goto nomem;
    }
    if (!c->tls_cert != !c->tls_key) {
        rc = sync_err_set(err, SYNC_EINVAL, "SYNC_TLS_CERT and SYNC_TLS_KEY must be set together");
        goto fail;
    }
    return SYNC_OK;

nomem:
    rc = sync_err_set(err, SYNC_ENOMEM, "out of memory reading the configuration");
fail:
    config_free(c);
    return rc;
}

void config_free(struct sync_config *c)
{
    if (!c)
        return;
    free(c->database_url);
    free(c->admin_key);
    free(c->cors_origins);
    free(c->gw_host);
    free(c->gw_path);
    free(c->tls_cert);
    free(c->tls_key);
    memset(c, 0, sizeof(*c));
}

int config_origin_allowed(const char *list, const char *origin, size_t len)
{
    const char *p, *s, *e;

    if (!list || !origin)
        return 0;
    p = list;
    for (;;) {
        s = p;
        while (*p && *p != ',')
            p++;
        e = p;
        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        if (e - s == 1 && *s == '*')
            return 1;
        if (e > s && (size_t)(e - s) == len && memcmp(s, origin, len) == 0)
            return 1;
        if (!*p)
            break;
        p++;
    }
    return 0;
}
