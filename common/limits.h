/* limits.h - every bound of the system, named once, next to its source. */

#ifndef SYNC_LIMITS_H
#define SYNC_LIMITS_H

/* DESIGN §4 */
#define SYNC_PATH_MAX_CHARS      1000                  /* characters, not bytes */
#define SYNC_PATH_MAX_BYTES      (SYNC_PATH_MAX_CHARS * 4)
#define SYNC_CONTENT_MAX         (10u * 1024 * 1024)   /* bytes once decoded */
#define SYNC_HASH_LEN            71                    /* "sha256:" + 64 hex */
#define SYNC_UUID_LEN            36
#define SYNC_TS_LEN              24                    /* 2024-01-15T10:00:00.000Z */
#define SYNC_KEY_RANDOM_BYTES    24
#define SYNC_KEY_MAX             64                    /* longest store key buffer (keys are 48) */
#define SYNC_KEY_PREFIX_LEN      16
#define SYNC_ADMIN_KEY_MIN       32
#define SYNC_ADMIN_KEY_MAX       256                   /* ADMIN_API_KEY comes from env: may be longer */
#define SYNC_NAME_MAX_CHARS      255                   /* store and key names */
#define SYNC_EXT_MAX             32                    /* rules_extension never truncates: a longer one is
                                                          SYNC_ETOOBIG for a buffer of SYNC_EXT_MAX + 1;
                                                          SYNC_PATH_MAX_BYTES + 1 always fits */

/* DESIGN §5 */
#define SYNC_BODY_MAX            (32u * 1024 * 1024)   /* REST body: 413 above */
#define SYNC_LIST_LIMIT_DEFAULT  100
#define SYNC_LIST_LIMIT_MAX      1000
#define SYNC_CHANGES_LIMIT_MAX   1000
#define SYNC_QUERY_MAX           8192                  /* bytes of a query string */

/* DESIGN §6 */
#define SYNC_MAX_PAYLOAD_DEFAULT (32u * 1024 * 1024)   /* Engine.IO maxPayload */
#define SYNC_MAX_PAYLOAD_LIMIT   (1024LL * 1024 * 1024) /* highest SYNC_MAX_PAYLOAD accepted (< INT_MAX for json-c) */
#define SYNC_PREAUTH_MAX         (64u * 1024)          /* before authentication */
#define SYNC_SEND_QUEUE_MAX      (64ull * 1024 * 1024) /* unsent bytes per client */

/* JSON */
#define SYNC_JSON_MAX_DEPTH      32

/* DESIGN §4: last_used_at refreshed at most this often */
#define SYNC_KEY_TOUCH_SECONDS   60
#define SYNC_TOMBSTONE_DAYS_DEFAULT 30
#define SYNC_TOMBSTONE_DAYS_MAX  3650

#endif
