-- A list page of 100 with its total: list_sql of common/svc_files.c with the
-- filters of GET /api/v1/files?limit=100&offset=N (include_deleted false,
-- every other filter NULL). sync-api sends it unnamed with parameters, so it
-- is planned per call with those values; run it with -M extended.
\set o random(0, :files / 100 - 1) * 100
SELECT c.total, f.path, f.hash, f.size, f.is_binary, f.extension,
       sync_iso(f.created_at), sync_iso(f.updated_at), sync_iso(f.expires_at), f.seq
  FROM (SELECT count(*) AS total FROM files WHERE
    store_id = :store AND namespace = 'vault' AND (false OR expires_at IS NULL)
    AND (NULL::text IS NULL OR path LIKE NULL) AND (NULL::text IS NULL OR path LIKE NULL)
    AND (NULL::text IS NULL OR (NOT is_binary AND content ILIKE NULL))
    AND (NULL::text IS NULL OR extension = ANY (string_to_array(NULL, ',')))
    AND (NULL::boolean IS NULL OR is_binary = NULL)) c
  LEFT JOIN LATERAL (SELECT path FROM files WHERE
    store_id = :store AND namespace = 'vault' AND (false OR expires_at IS NULL)
    AND (NULL::text IS NULL OR path LIKE NULL) AND (NULL::text IS NULL OR path LIKE NULL)
    AND (NULL::text IS NULL OR (NOT is_binary AND content ILIKE NULL))
    AND (NULL::text IS NULL OR extension = ANY (string_to_array(NULL, ',')))
    AND (NULL::boolean IS NULL OR is_binary = NULL)
    ORDER BY path LIMIT 100 OFFSET :o) p ON true
  LEFT JOIN files f ON f.store_id = :store AND f.namespace = 'vault' AND f.path = p.path
 ORDER BY p.path;
