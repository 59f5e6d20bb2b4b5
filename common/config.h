/* config.h - configuration from the environment (DESIGN §7), the same names
 * for every program. */
#ifndef SYNC_CONFIG_H
#define SYNC_CONFIG_H

#include <stddef.h>
#include "err.h"

struct sync_config {
    char *database_url;       /* DATABASE_URL */
    char *admin_key;          /* ADMIN_API_KEY, NULL when unset */
    char *cors_origins;       /* CORS_ORIGINS, comma list; default the three of §5 */
    int log_level;            /* LOG_LEVEL, default LOG_INFO (the caller applies it) */
    char *gw_host;            /* SYNC_GATEWAY_LISTEN host part (default 127.0.0.1);
                                 "[::1]:3007" gives "::1" */
    int gw_port;              /* ... port (default 3007) */
    char *gw_path;            /* SYNC_GATEWAY_PATH, default /socket.io/; always ends in '/' */
    size_t max_payload;       /* SYNC_MAX_PAYLOAD bytes, default 32 MiB, 1..SYNC_MAX_PAYLOAD_LIMIT */
    int tombstone_days;       /* SYNC_TOMBSTONE_DAYS, default 30, 1..3650 */
    int ws_deflate;           /* SYNC_WS_DEFLATE on|off (default on): offer permessage-deflate */
    char *tls_cert;           /* SYNC_TLS_CERT, NULL when unset */
    char *tls_key;            /* SYNC_TLS_KEY; both set or neither */
};

#define CONFIG_NEED_DB    1   /* DATABASE_URL must be set */
#define CONFIG_NEED_ADMIN 2   /* ADMIN_API_KEY must be set */

/* Fills c from the environment; a variable set to "" counts as unset. A
 * missing DATABASE_URL (when flags ask for it), a malformed ADMIN_API_KEY (set
 * but not key_is_admin_form) or any other bad value is SYNC_EINVAL with a
 * one-line message naming the variable. On failure c is left freed (zeroed). */
int config_load(struct sync_config *c, int flags, struct sync_err *err);
void config_free(struct sync_config *c);

/* Is origin (len bytes, not NUL-terminated) exactly one of the items of the
 * comma list (spaces around items ignored)? An item "*" allows any. 1 / 0. */
int config_origin_allowed(const char *list, const char *origin, size_t len);

#endif
