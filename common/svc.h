/* svc.h - the services: the only code that reads or writes the tables.
 * Every file mutation is DESIGN §2: one transaction, one round trip (a SQL
 * function of sql/), seq bump + change + change row + NOTIFY.
 * All ids are canonical UUID strings; every call returns SYNC_OK or SYNC_E*
 * and fills err. Strings in results are owned by the result and freed with
 * its _free/_clear function. */
#ifndef SYNC_SVC_H
#define SYNC_SVC_H

#include <stdbool.h>
#include <stddef.h>
#include "db.h"
#include "err.h"
#include "keys.h"
#include "limits.h"

#define NS_VAULT "vault"
#define NS_SETTINGS "settings"

/* ---- authentication --------------------------------------------------- */
struct sync_auth {
    bool admin;                     /* the ADMIN_API_KEY */
    char key_id[SYNC_UUID_LEN + 1];
    char store_id[SYNC_UUID_LEN + 1];
    unsigned perms;                 /* PERM_* bits */
};
/* Resolves a key: admin (constant-time compare with admin_key, may be NULL),
 * or a store key by hash (refreshing last_used_at at most once a minute).
 * SYNC_EUNAUTH (missing/malformed/unknown), SYNC_EREVOKED, SYNC_EUNAVAIL. */
int svc_auth(struct sync_db *db, const char *admin_key, const char *key, size_t len,
             struct sync_auth *out, struct sync_err *err);

/* ---- files -------------------------------------------------------------- */
struct sync_file {
    char *path;
    char *content;                  /* NULL when not loaded */
    size_t content_len;
    char hash[SYNC_HASH_LEN + 1];
    long long size;
    bool is_binary;
    char *extension;                /* NULL = no extension */
    char created_at[SYNC_TS_LEN + 1];
    char updated_at[SYNC_TS_LEN + 1];
    char expires_at[SYNC_TS_LEN + 1];   /* "" when live */
    long long seq;                  /* seq of the file's last change (0 for settings) */
};
void sync_file_clear(struct sync_file *f);      /* frees members, not f */

struct sync_file_list {
    struct sync_file *items;
    size_t n;
    long long total;                /* of the filtered set, all pages */
};
void sync_file_list_clear(struct sync_file_list *l);

struct sync_list_query {
    const char *prefix;             /* path prefix, NULL = any */
    const char *path_contains;      /* case-sensitive substring */
    const char *content_contains;   /* case-insensitive, text files only */
    const char *extensions;         /* comma list, case-insensitive */
    int is_binary;                  /* -1 any, 0, 1 */
    bool include_deleted;
    int limit;                      /* 1..1000 */
    long long offset;               /* >= 0 */
};

/* One live file with content. SYNC_ENOTFOUND if absent or tombstoned. */
int svc_file_get(struct sync_db *db, const char *store_id, const char *ns, const char *path,
                 struct sync_file *out, struct sync_err *err);
/* A page without content, ordered by path (bytewise). */
int svc_file_list(struct sync_db *db, const char *store_id, const char *ns,
                  const struct sync_list_query *q, struct sync_file_list *out, struct sync_err *err);

enum sync_write_mode {
    WRITE_UPSERT,       /* PUT / modified-file */
    WRITE_CREATE,       /* POST: SYNC_ECONFLICT when a live file exists */
    WRITE_CREATE_ONLY,  /* PUT + If-None-Match: *: SYNC_EPRECOND when live */
    WRITE_TOUCH,        /* created-file: empty file unless live (then unchanged) */
};
enum sync_outcome { OUTCOME_CREATED, OUTCOME_UPDATED, OUTCOME_UNCHANGED };

struct sync_write {
    const char *store_id;
    const char *path;   size_t path_len;
    const char *content; size_t content_len;   /* ignored for WRITE_TOUCH */
    const char *origin;                         /* socket id or NULL (REST) */
    enum sync_write_mode mode;
    const char *if_match;                       /* NULL, or the expected hash */
};
struct sync_write_result {
    enum sync_outcome outcome;
    long long seq;                  /* 0 when nothing changed */
    struct sync_file file;          /* state after the write, without content */
};

/* Validates path and content (rules.h) and writes. SYNC_ECONFLICT (409),
 * SYNC_EPRECOND (412, err->detail = current hash or "" when none),
 * SYNC_EINVAL, SYNC_ENOTFOUND (store gone). */
int svc_file_write(struct sync_db *db, const struct sync_write *w,
                   struct sync_write_result *out, struct sync_err *err);
/* Soft delete; *seq = 0 when nothing live was there. */
int svc_file_delete(struct sync_db *db, const char *store_id, const char *path, size_t path_len,
                    const char *origin, long long *seq, struct sync_err *err);
/* Soft-deletes every live file, one change (own seq) each; *count deleted. */
int svc_file_delete_all(struct sync_db *db, const char *store_id, const char *origin,
                        long long *count, struct sync_err *err);
/* Rename per DESIGN §4; out->file is the file at new_path. */
int svc_file_rename(struct sync_db *db, const char *store_id,
                    const char *old_path, size_t old_len, const char *new_path, size_t new_len,
                    const char *origin, struct sync_write_result *out, struct sync_err *err);

/* ---- settings namespace: plain upsert/delete, no seq, no NOTIFY ---------- */
int svc_settings_list(struct sync_db *db, const char *store_id, struct sync_file_list *out,
                      struct sync_err *err);       /* all, without content */
int svc_settings_put(struct sync_db *db, const char *store_id, const char *path, size_t path_len,
                     const char *content, size_t content_len, struct sync_write_result *out,
                     struct sync_err *err);
/* SYNC_OK also when absent. */
int svc_settings_delete(struct sync_db *db, const char *store_id, const char *path, size_t path_len,
                        struct sync_err *err);
int svc_settings_delete_all(struct sync_db *db, const char *store_id, long long *count,
                            struct sync_err *err);

/* ---- changes feed ------------------------------------------------------- */
struct sync_change {
    long long seq;
    char kind[10];                  /* created|modified|deleted|renamed */
    char *path;
    char *old_path;                 /* NULL unless renamed */
    char hash[SYNC_HASH_LEN + 1];   /* "" when null */
    long long size;                 /* -1 when null */
    char at[SYNC_TS_LEN + 1];
    char *origin;                   /* NULL for REST */
};
struct sync_change_page {
    struct sync_change *items;
    size_t n;
    long long latest_seq;
    bool resync;
};
void sync_change_page_clear(struct sync_change_page *p);
int svc_changes_since(struct sync_db *db, const char *store_id, long long since, int limit,
                      struct sync_change_page *out, struct sync_err *err);

/* For the gateway's broadcast: changes of a store after `after`, at most
 * limit, each with the file's current state when the change is
 * created/modified/renamed and the file is live. The content is loaded only
 * for a rename and for the file's latest change (file.seq == change.seq): a
 * created/modified change superseded by a later one has content NULL, as
 * the later change carries the newer state. */
struct sync_feed_item {
    struct sync_change change;
    bool has_file;
    struct sync_file file;          /* with content */
};
struct sync_feed {
    struct sync_feed_item *items;
    size_t n;
};
void sync_feed_clear(struct sync_feed *f);
int svc_feed_since(struct sync_db *db, const char *store_id, long long after, int limit,
                   struct sync_feed *out, struct sync_err *err);

/* ---- stores ------------------------------------------------------------- */
struct sync_store {
    char id[SYNC_UUID_LEN + 1];
    char *name;
    char created_at[SYNC_TS_LEN + 1];
    char updated_at[SYNC_TS_LEN + 1];
    long long file_count;           /* live files */
    long long total_size;           /* of live files */
    long long seq;
};
void sync_store_clear(struct sync_store *s);
void sync_store_array_free(struct sync_store *a, size_t n);
int svc_store_create(struct sync_db *db, const char *name, size_t len, struct sync_store *out,
                     struct sync_err *err);
int svc_store_get(struct sync_db *db, const char *id, struct sync_store *out, struct sync_err *err);
int svc_store_list(struct sync_db *db, struct sync_store **items, size_t *n, struct sync_err *err);
/* Cascades; NOTIFY sync_revoked so gateways close the store's sockets. */
int svc_store_delete(struct sync_db *db, const char *id, struct sync_err *err);

/* ---- keys --------------------------------------------------------------- */
struct sync_key {
    char id[SYNC_UUID_LEN + 1];
    char store_id[SYNC_UUID_LEN + 1];
    char *name;
    unsigned perms;
    char prefix[SYNC_KEY_PREFIX_LEN + 1];
    char created_at[SYNC_TS_LEN + 1];
    char last_used_at[SYNC_TS_LEN + 1];     /* "" = null */
    char revoked_at[SYNC_TS_LEN + 1];       /* "" = null */
};
void sync_key_clear(struct sync_key *k);
void sync_key_array_free(struct sync_key *a, size_t n);
/* Creates a key; the full key goes to key_out once and is never stored. */
int svc_key_create(struct sync_db *db, const char *store_id, const char *name, size_t name_len,
                   unsigned perms, struct sync_key *out, char key_out[SYNC_KEY_MAX + 1],
                   struct sync_err *err);
int svc_key_get(struct sync_db *db, const char *store_id, const char *key_id, struct sync_key *out,
                struct sync_err *err);
int svc_key_list(struct sync_db *db, const char *store_id, struct sync_key **items, size_t *n,
                 struct sync_err *err);
/* Sets revoked_at (idempotent); NOTIFY sync_revoked. SYNC_ENOTFOUND if no such key. */
int svc_key_revoke(struct sync_db *db, const char *store_id, const char *key_id,
                   struct sync_err *err);

/* ---- maintenance -------------------------------------------------------- */
/* Deletes expired tombstones and changes older than `days`. */
int svc_purge(struct sync_db *db, int days, long long *files, long long *changes,
              struct sync_err *err);

/* Channel names the gateway LISTENs on. Payloads:
 *   sync_changes  {"store":"<uuid>","seq":<n>}   store committed up to seq n
 *   sync_revoked  {"key":"<uuid>"} or {"store":"<uuid>"} */
#define SYNC_CHANNEL_CHANGES "sync_changes"
#define SYNC_CHANNEL_REVOKED "sync_revoked"

#endif
