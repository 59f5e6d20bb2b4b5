/* db_stmts.c - every prepared statement, by name. Parameters only: no SQL is
 * ever built from input. File mutations are calls of the sql/ functions so
 * that each costs one round trip (DESIGN §2). */
#include <string.h>

#include "db_stmts.h"

#define FILE_COLS "path, hash, size, is_binary, extension, sync_iso(created_at), " \
                  "sync_iso(updated_at), sync_iso(expires_at), seq"

const struct db_stmt db_stmts[] = {
    /* $1 key hash. last_used_at is refreshed at most once a minute, in the
     * same statement (a data-modifying CTE runs even when unreferenced). */
    { "auth",
      "WITH k AS (SELECT id, store_id, permissions, revoked_at, last_used_at "
      "             FROM api_keys WHERE key_hash = $1), "
      "t AS (UPDATE api_keys a SET last_used_at = now() FROM k "
      "       WHERE a.id = k.id AND k.revoked_at IS NULL "
      "         AND (k.last_used_at IS NULL OR k.last_used_at < now() - interval '60 seconds') "
      "      RETURNING a.id) "
      "SELECT id, store_id, permissions::text, revoked_at IS NOT NULL FROM k", 1 },

    { "file_get",
      "SELECT " FILE_COLS ", content FROM files "
      " WHERE store_id = $1 AND namespace = $2 AND path = $3 AND expires_at IS NULL", 3 },

    { "file_write",
      "SELECT * FROM sync_file_write($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)", 10 },
    { "file_delete", "SELECT * FROM sync_file_delete($1, $2, $3, $4)", 4 },
    { "file_delete_all", "SELECT * FROM sync_file_delete_all($1, $2, $3)", 3 },
    { "file_rename", "SELECT * FROM sync_file_rename($1, $2, $3, $4, $5, $6, $7)", 7 },

    { "settings_put", "SELECT * FROM sync_settings_put($1, $2, $3, $4, $5, $6, $7)", 7 },
    { "settings_delete",
      "DELETE FROM files WHERE store_id = $1 AND namespace = 'settings' AND path = $2", 2 },
    { "settings_delete_all",
      "DELETE FROM files WHERE store_id = $1 AND namespace = 'settings'", 1 },
    { "settings_list",
      "SELECT " FILE_COLS " FROM files WHERE store_id = $1 AND namespace = 'settings' "
      "   AND expires_at IS NULL ORDER BY path", 1 },

    /* head, purge mark, and the page; one row with NULL change columns when empty */
    { "changes_since",
      "SELECT s.seq, s.purged_seq, c.seq, c.kind, c.path, c.old_path, c.hash, c.size, "
      "       sync_iso(c.at), c.origin "
      "  FROM stores s LEFT JOIN LATERAL ("
      "       SELECT * FROM changes WHERE store_id = s.id AND seq > $2 ORDER BY seq LIMIT $3"
      "  ) c ON true WHERE s.id = $1 ORDER BY c.seq", 3 },

    /* the gateway's broadcast source: each change with the file's state now;
     * the content only where it will be sent (a created/modified change that
     * a later one superseded is skipped, so its content is not read) */
    { "feed_since",
      "SELECT c.seq, c.kind, c.path, c.old_path, c.hash, c.size, sync_iso(c.at), c.origin, "
      "       f.path IS NOT NULL, f.hash, f.size, f.is_binary, f.extension, "
      "       sync_iso(f.created_at), sync_iso(f.updated_at), f.seq, "
      "       CASE WHEN c.kind = 'renamed' OR f.seq = c.seq THEN f.content END "
      "  FROM changes c LEFT JOIN files f "
      "    ON c.kind <> 'deleted' AND f.store_id = c.store_id AND f.namespace = 'vault' "
      "   AND f.path = c.path AND f.expires_at IS NULL "
      " WHERE c.store_id = $1 AND c.seq > $2 ORDER BY c.seq LIMIT $3", 3 },

    { "store_create",
      "INSERT INTO stores (name) VALUES ($1) "
      "RETURNING id, name, sync_iso(created_at), sync_iso(updated_at), 0, 0, seq", 1 },
    { "store_get",
      "SELECT s.id, s.name, sync_iso(s.created_at), sync_iso(s.updated_at), "
      "       coalesce(f.n, 0), coalesce(f.total, 0), s.seq "
      "  FROM stores s LEFT JOIN LATERAL ("
      "       SELECT count(*) AS n, sum(size) AS total FROM files "
      "        WHERE store_id = s.id AND namespace = 'vault' AND expires_at IS NULL) f ON true "
      " WHERE s.id = $1", 1 },
    { "store_list",
      "SELECT s.id, s.name, sync_iso(s.created_at), sync_iso(s.updated_at), "
      "       coalesce(f.n, 0), coalesce(f.total, 0), s.seq "
      "  FROM stores s LEFT JOIN LATERAL ("
      "       SELECT count(*) AS n, sum(size) AS total FROM files "
      "        WHERE store_id = s.id AND namespace = 'vault' AND expires_at IS NULL) f ON true "
      " ORDER BY s.created_at, s.id", 0 },
    { "store_delete", "SELECT sync_store_delete($1)", 1 },

    { "key_create",
      "INSERT INTO api_keys (store_id, name, key_hash, key_prefix, permissions) "
      "VALUES ($1, $2, $3, $4, $5::permission[]) "
      "RETURNING id, store_id, name, permissions::text, key_prefix, sync_iso(created_at), "
      "          sync_iso(last_used_at), sync_iso(revoked_at)", 5 },
    { "key_get",
      "SELECT id, store_id, name, permissions::text, key_prefix, sync_iso(created_at), "
      "       sync_iso(last_used_at), sync_iso(revoked_at) "
      "  FROM api_keys WHERE store_id = $1 AND id = $2", 2 },
    { "key_list",
      "SELECT id, store_id, name, permissions::text, key_prefix, sync_iso(created_at), "
      "       sync_iso(last_used_at), sync_iso(revoked_at) "
      "  FROM api_keys WHERE store_id = $1 ORDER BY created_at, id", 1 },
    { "key_revoke", "SELECT sync_key_revoke($1, $2)", 2 },

    { "purge", "SELECT * FROM sync_purge($1)", 1 },
    { "ping", "SELECT 1", 0 },
};

const int db_nstmts = (int)(sizeof db_stmts / sizeof db_stmts[0]);

int db_stmt_find(const char *name)
{
    for (int i = 0; i < db_nstmts; i++)
        if (strcmp(db_stmts[i].name, name) == 0)
            return i;
    return -1;
}
