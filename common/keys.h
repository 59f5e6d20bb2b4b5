/* keys.h - API key format, generation and hashing (DESIGN §4). Pure apart
 * from RAND_bytes. */
#ifndef SYNC_KEYS_H
#define SYNC_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include "err.h"
#include "limits.h"

/* sk_store_<first 6 hex of the store id, dashes removed, lower-cased>_<32
 * base64url chars (no padding) from 24 random bytes>: 48 characters. out gets
 * the key + NUL. SYNC_EINVAL when store_id is not a UUID; SYNC_ENOMEM if
 * RAND_bytes fails. */
int key_generate(const char *store_id, char out[SYNC_KEY_MAX + 1], struct sync_err *err);
/* Shape checks only (no database). A store key is exactly the shape above. */
bool key_is_store_form(const char *key, size_t len);
/* sk_admin_, SYNC_ADMIN_KEY_MIN..SYNC_ADMIN_KEY_MAX chars, printable ASCII
 * without spaces. */
bool key_is_admin_form(const char *key, size_t len);
/* SHA-256 hex of the key, as stored in api_keys.key_hash. */
void key_hash(const char *key, size_t len, char out[65]);
/* First 16 characters (api_keys.key_prefix); fewer when the key is shorter. */
void key_prefix(const char *key, size_t len, char out[SYNC_KEY_PREFIX_LEN + 1]);

/* Permissions, as a bit set; names as in the SQL enum. */
enum {
    PERM_READ = 1,
    PERM_WRITE = 2,
    PERM_SETTINGS_READ = 4,
    PERM_SETTINGS_WRITE = 8,
};
/* "read" -> PERM_READ; 0 when unknown. */
unsigned perm_from_name(const char *s, size_t len);
/* "read,write,settings_read,settings_write" (no spaces) -> bits; SYNC_EINVAL
 * on an empty list or item, an unknown name or a duplicate. */
int perm_parse_list(const char *s, size_t len, unsigned *out, struct sync_err *err);
/* PostgreSQL array literal "{read,write}" of the bits, in enum order ("{}"
 * for none), into out. */
void perm_to_pg_array(unsigned perms, char out[64]);
/* "{read,write}" from PostgreSQL -> bits; unknown names are ignored, text
 * that is not an array literal (or NULL) gives 0. */
unsigned perm_from_pg_array(const char *s);

#endif
