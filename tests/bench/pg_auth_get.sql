-- What sync-api sends PostgreSQL per GET /api/v1/files?path=: the key lookup
-- (statement "auth" of common/db_stmts.c; its last_used_at refresh writes at
-- most once a minute) and then file_get, two round trips.
\set n random(1, :files)
WITH k AS (SELECT id, store_id, permissions, revoked_at, last_used_at
             FROM api_keys WHERE key_hash = :keyhash),
t AS (UPDATE api_keys a SET last_used_at = now() FROM k
       WHERE a.id = k.id AND k.revoked_at IS NULL
         AND (k.last_used_at IS NULL OR k.last_used_at < now() - interval '60 seconds')
      RETURNING a.id)
SELECT id, store_id, permissions::text, revoked_at IS NOT NULL FROM k;
SELECT path, hash, size, is_binary, extension, sync_iso(created_at), sync_iso(updated_at),
       sync_iso(expires_at), seq, content
  FROM files
 WHERE store_id = :store AND namespace = 'vault' AND path = 'notes/' || :n || '.md'
   AND expires_at IS NULL;
