-- One file by (store, namespace, path): statement "file_get" of
-- common/db_stmts.c, what GET /api/v1/files?path= runs after the key lookup.
\set n random(1, :files)
SELECT path, hash, size, is_binary, extension, sync_iso(created_at), sync_iso(updated_at),
       sync_iso(expires_at), seq, content
  FROM files
 WHERE store_id = :store AND namespace = 'vault' AND path = 'notes/' || :n || '.md'
   AND expires_at IS NULL;
