-- 001_init.sql - the data model (DESIGN §3) and the one write path (DESIGN §2).
--
-- Every file mutation is one call of a function below: it locks the store's
-- row, decides from the file's current state (race-free: writers to a store
-- are serialised by that lock), bumps the store's seq, changes the file in a
-- single statement, appends the change row and NOTIFYs, all in the caller's
-- one transaction and one client round trip.

CREATE TYPE permission AS ENUM ('read', 'write', 'settings_read', 'settings_write');

CREATE TABLE stores (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 255),
    seq         bigint NOT NULL DEFAULT 0,
    -- highest seq whose change row was purged: a feed cursor below it must resync
    purged_seq  bigint NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    store_id     uuid NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    name         text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 255),
    key_hash     char(64) NOT NULL UNIQUE,
    key_prefix   text NOT NULL,
    permissions  permission[] NOT NULL CHECK (cardinality(permissions) > 0),
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX api_keys_store ON api_keys (store_id);

-- Paths sort and compare bytewise (COLLATE "C"): listings are ordered the same
-- on every server, and prefix searches can use the btree.
CREATE TABLE files (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    store_id    uuid NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    namespace   text NOT NULL DEFAULT 'vault' CHECK (namespace IN ('vault', 'settings')),
    path        text COLLATE "C" NOT NULL,
    content     text NOT NULL,
    hash        varchar(71) NOT NULL,
    size        integer NOT NULL,
    is_binary   boolean NOT NULL DEFAULT false,
    extension   text,
    seq         bigint NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz,
    UNIQUE (store_id, namespace, path)
);
CREATE INDEX files_extension ON files (store_id, namespace, extension);
CREATE INDEX files_expires ON files (expires_at) WHERE expires_at IS NOT NULL;
-- Live listings and their total are index-only scans of this one.
CREATE INDEX files_live ON files (store_id, namespace, path) WHERE expires_at IS NULL;
-- Keep the visibility map fresh so those scans stay index-only.
ALTER TABLE files SET (autovacuum_vacuum_scale_factor = 0.02,
                       autovacuum_analyze_scale_factor = 0.02);

CREATE TABLE changes (
    store_id  uuid NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    seq       bigint NOT NULL,
    kind      text NOT NULL CHECK (kind IN ('created', 'modified', 'deleted', 'renamed')),
    path      text COLLATE "C" NOT NULL,
    old_path  text COLLATE "C",
    hash      varchar(71),
    size      integer,
    origin    text,
    at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (store_id, seq)
);
CREATE INDEX changes_at ON changes (at);

-- JavaScript's toISOString() form.
CREATE FUNCTION sync_iso(t timestamptz) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;

CREATE FUNCTION sync_notify(p_store uuid, p_seq bigint) RETURNS void
LANGUAGE sql AS $$
    SELECT pg_notify('sync_changes', '{"store":"' || p_store || '","seq":' || p_seq || '}')
$$;

-- sha256 of the empty string: the hash of every tombstone and of an empty file.
CREATE FUNCTION sync_empty_hash() RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'::text
$$;

-- Write one file of the vault.
--   p_mode: 'upsert' | 'create' (conflict when live) | 'create_only' (If-None-Match: *)
--           | 'touch' (created-file: empty file unless live)
-- o_outcome: created | updated | unchanged | conflict | precondition | no_store
-- o_current_hash: the live file's hash for conflict/precondition (NULL when none).
CREATE FUNCTION sync_file_write(p_store uuid, p_path text, p_content text, p_hash text,
                                p_size integer, p_binary boolean, p_ext text, p_origin text,
                                p_mode text, p_if_match text)
RETURNS TABLE (o_outcome text, o_seq bigint, o_current_hash text, o_hash text, o_size integer,
               o_binary boolean, o_ext text, o_created text, o_updated text)
LANGUAGE plpgsql AS $$
DECLARE
    v_found  boolean;
    v_live   boolean := false;
    v_hash   text;
    v_size   integer;
    v_binary boolean;
    v_ext    text;
    v_cre    timestamptz;
    v_upd    timestamptz;
    v_seq    bigint;
BEGIN
    PERFORM 1 FROM stores WHERE id = p_store FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        o_outcome := 'no_store';
        RETURN NEXT;
        RETURN;
    END IF;

    SELECT f.hash, f.size, f.is_binary, f.extension, f.created_at, f.updated_at,
           f.expires_at IS NULL
      INTO v_hash, v_size, v_binary, v_ext, v_cre, v_upd, v_live
      FROM files f
     WHERE f.store_id = p_store AND f.namespace = 'vault' AND f.path = p_path;
    v_found := FOUND;
    v_live := v_found AND v_live;

    IF v_live AND (p_mode = 'create' OR p_mode = 'create_only') THEN
        o_outcome := CASE p_mode WHEN 'create' THEN 'conflict' ELSE 'precondition' END;
        o_current_hash := v_hash;
        RETURN NEXT;
        RETURN;
    END IF;
    IF p_if_match IS NOT NULL AND (NOT v_live OR v_hash <> p_if_match) THEN
        o_outcome := 'precondition';
        o_current_hash := CASE WHEN v_live THEN v_hash END;
        RETURN NEXT;
        RETURN;
    END IF;
    IF v_live AND (p_mode = 'touch' OR v_hash = p_hash) THEN
        -- no-op: no seq, no change row, no broadcast, updated_at untouched
        o_outcome := 'unchanged';
        o_hash := v_hash; o_size := v_size; o_binary := v_binary; o_ext := v_ext;
        o_created := sync_iso(v_cre); o_updated := sync_iso(v_upd);
        RETURN NEXT;
        RETURN;
    END IF;

    UPDATE stores SET seq = stores.seq + 1, updated_at = now()
     WHERE id = p_store RETURNING stores.seq INTO v_seq;

    INSERT INTO files AS f (store_id, namespace, path, content, hash, size, is_binary,
                            extension, seq)
    VALUES (p_store, 'vault', p_path, p_content, p_hash, p_size, p_binary, p_ext, v_seq)
    ON CONFLICT (store_id, namespace, path) DO UPDATE
       SET content = EXCLUDED.content, hash = EXCLUDED.hash, size = EXCLUDED.size,
           is_binary = EXCLUDED.is_binary, extension = EXCLUDED.extension,
           seq = EXCLUDED.seq, updated_at = now(), expires_at = NULL,
           -- a revived tombstone is a new file to its readers (same row id)
           created_at = CASE WHEN f.expires_at IS NULL THEN f.created_at ELSE now() END
    RETURNING f.created_at, f.updated_at INTO v_cre, v_upd;

    INSERT INTO changes (store_id, seq, kind, path, hash, size, origin)
    VALUES (p_store, v_seq, CASE WHEN v_live THEN 'modified' ELSE 'created' END,
            p_path, p_hash, p_size, p_origin);
    PERFORM sync_notify(p_store, v_seq);

    o_outcome := CASE WHEN v_live THEN 'updated' ELSE 'created' END;
    o_seq := v_seq;
    o_hash := p_hash; o_size := p_size; o_binary := p_binary; o_ext := p_ext;
    o_created := sync_iso(v_cre); o_updated := sync_iso(v_upd);
    RETURN NEXT;
END
$$;

-- Soft-delete one file. o_seq = 0 when nothing live was there (nothing recorded).
CREATE FUNCTION sync_file_delete(p_store uuid, p_path text, p_origin text, p_days integer)
RETURNS TABLE (o_outcome text, o_seq bigint)
LANGUAGE plpgsql AS $$
DECLARE
    v_seq bigint;
BEGIN
    PERFORM 1 FROM stores WHERE id = p_store FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        o_outcome := 'no_store'; o_seq := 0;
        RETURN NEXT;
        RETURN;
    END IF;
    PERFORM 1 FROM files
     WHERE store_id = p_store AND namespace = 'vault' AND path = p_path AND expires_at IS NULL;
    IF NOT FOUND THEN
        o_outcome := 'unchanged'; o_seq := 0;
        RETURN NEXT;
        RETURN;
    END IF;

    UPDATE stores SET seq = stores.seq + 1, updated_at = now()
     WHERE id = p_store RETURNING stores.seq INTO v_seq;
    UPDATE files
       SET content = '', hash = sync_empty_hash(), size = 0, seq = v_seq, updated_at = now(),
           expires_at = now() + make_interval(days => p_days)
     WHERE store_id = p_store AND namespace = 'vault' AND path = p_path;
    INSERT INTO changes (store_id, seq, kind, path, origin)
    VALUES (p_store, v_seq, 'deleted', p_path, p_origin);
    PERFORM sync_notify(p_store, v_seq);
    o_outcome := 'deleted'; o_seq := v_seq;
    RETURN NEXT;
END
$$;

-- Soft-delete every live file of a store, in path order, one change and one
-- seq each. One notification carries the last seq: a notification means
-- "the store has committed up to this seq".
CREATE FUNCTION sync_file_delete_all(p_store uuid, p_origin text, p_days integer)
RETURNS TABLE (o_outcome text, o_count bigint, o_seq bigint)
LANGUAGE plpgsql AS $$
DECLARE
    v_base bigint;
    v_n    bigint;
BEGIN
    SELECT seq INTO v_base FROM stores WHERE id = p_store FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        o_outcome := 'no_store'; o_count := 0; o_seq := 0;
        RETURN NEXT;
        RETURN;
    END IF;

    WITH live AS (
        SELECT f.id, f.path, row_number() OVER (ORDER BY f.path) AS rn
          FROM files f
         WHERE f.store_id = p_store AND f.namespace = 'vault' AND f.expires_at IS NULL
    ), gone AS (
        UPDATE files f
           SET content = '', hash = sync_empty_hash(), size = 0, seq = v_base + live.rn,
               updated_at = now(), expires_at = now() + make_interval(days => p_days)
          FROM live
         WHERE f.id = live.id
        RETURNING live.path, live.rn
    )
    INSERT INTO changes (store_id, seq, kind, path, origin)
    SELECT p_store, v_base + gone.rn, 'deleted', gone.path, p_origin FROM gone;
    GET DIAGNOSTICS v_n = ROW_COUNT;

    o_outcome := 'deleted'; o_count := v_n; o_seq := 0;
    IF v_n > 0 THEN
        UPDATE stores SET seq = v_base + v_n, updated_at = now() WHERE id = p_store;
        PERFORM sync_notify(p_store, v_base + v_n);
        o_seq := v_base + v_n;
    END IF;
    RETURN NEXT;
END
$$;

-- Rename (DESIGN §4). o_outcome: renamed | created | unchanged | no_store.
-- The file at the new path is returned. p_binary / p_ext are those of p_new.
CREATE FUNCTION sync_file_rename(p_store uuid, p_old text, p_new text, p_binary boolean,
                                 p_ext text, p_origin text, p_days integer)
RETURNS TABLE (o_outcome text, o_seq bigint, o_hash text, o_size integer, o_binary boolean,
               o_ext text, o_created text, o_updated text)
LANGUAGE plpgsql AS $$
DECLARE
    v_content text;
    v_hash    text;
    v_size    integer;
    v_cre     timestamptz;
    v_upd     timestamptz;
    v_seq     bigint;
    v_kind    text;
BEGIN
    PERFORM 1 FROM stores WHERE id = p_store FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        o_outcome := 'no_store';
        RETURN NEXT;
        RETURN;
    END IF;

    SELECT f.content, f.hash, f.size, f.created_at INTO v_content, v_hash, v_size, v_cre
      FROM files f
     WHERE f.store_id = p_store AND f.namespace = 'vault' AND f.path = p_old
       AND f.expires_at IS NULL;

    IF NOT FOUND OR p_old = p_new THEN
        -- The old path is gone (a repeated rename) or is the new one: never
        -- blank a live file at the new path.
        SELECT f.hash, f.size, f.is_binary, f.extension, f.created_at, f.updated_at
          INTO o_hash, o_size, o_binary, o_ext, v_cre, v_upd
          FROM files f
         WHERE f.store_id = p_store AND f.namespace = 'vault' AND f.path = p_new
           AND f.expires_at IS NULL;
        IF FOUND THEN
            o_outcome := 'unchanged'; o_seq := 0;
            o_created := sync_iso(v_cre); o_updated := sync_iso(v_upd);
            RETURN NEXT;
            RETURN;
        END IF;
        v_content := ''; v_hash := sync_empty_hash(); v_size := 0; v_cre := now();
        v_kind := 'created';
    ELSE
        v_kind := 'renamed';
    END IF;

    UPDATE stores SET seq = stores.seq + 1, updated_at = now()
     WHERE id = p_store RETURNING stores.seq INTO v_seq;

    INSERT INTO files AS f (store_id, namespace, path, content, hash, size, is_binary,
                            extension, seq, created_at)
    VALUES (p_store, 'vault', p_new, v_content, v_hash, v_size, p_binary, p_ext, v_seq, v_cre)
    ON CONFLICT (store_id, namespace, path) DO UPDATE
       SET content = EXCLUDED.content, hash = EXCLUDED.hash, size = EXCLUDED.size,
           is_binary = EXCLUDED.is_binary, extension = EXCLUDED.extension,
           seq = EXCLUDED.seq, updated_at = now(), expires_at = NULL,
           created_at = EXCLUDED.created_at
    RETURNING f.created_at, f.updated_at INTO v_cre, v_upd;

    IF v_kind = 'renamed' THEN
        -- the old path stays as a tombstone so an offline device does not re-upload it
        UPDATE files
           SET content = '', hash = sync_empty_hash(), size = 0, seq = v_seq,
               updated_at = now(), expires_at = now() + make_interval(days => p_days)
         WHERE store_id = p_store AND namespace = 'vault' AND path = p_old;
    END IF;

    INSERT INTO changes (store_id, seq, kind, path, old_path, hash, size, origin)
    VALUES (p_store, v_seq, v_kind, p_new, CASE WHEN v_kind = 'renamed' THEN p_old END,
            v_hash, v_size, p_origin);
    PERFORM sync_notify(p_store, v_seq);

    o_outcome := CASE v_kind WHEN 'renamed' THEN 'renamed' ELSE 'created' END;
    o_seq := v_seq;
    o_hash := v_hash; o_size := v_size; o_binary := p_binary; o_ext := p_ext;
    o_created := sync_iso(v_cre); o_updated := sync_iso(v_upd);
    RETURN NEXT;
END
$$;

-- Settings: a plain upsert with no seq, no change row and no NOTIFY; an equal
-- hash leaves the row (and updated_at) alone.
CREATE FUNCTION sync_settings_put(p_store uuid, p_path text, p_content text, p_hash text,
                                  p_size integer, p_binary boolean, p_ext text)
RETURNS TABLE (o_outcome text, o_created text, o_updated text)
LANGUAGE plpgsql AS $$
DECLARE
    v_cre timestamptz;
    v_upd timestamptz;
    v_ins boolean;
BEGIN
    PERFORM 1 FROM stores WHERE id = p_store;
    IF NOT FOUND THEN
        o_outcome := 'no_store';
        RETURN NEXT;
        RETURN;
    END IF;
    INSERT INTO files AS f (store_id, namespace, path, content, hash, size, is_binary, extension)
    VALUES (p_store, 'settings', p_path, p_content, p_hash, p_size, p_binary, p_ext)
    ON CONFLICT (store_id, namespace, path) DO UPDATE
       SET content = EXCLUDED.content, hash = EXCLUDED.hash, size = EXCLUDED.size,
           is_binary = EXCLUDED.is_binary, extension = EXCLUDED.extension,
           updated_at = now(), expires_at = NULL
     WHERE f.hash IS DISTINCT FROM EXCLUDED.hash OR f.expires_at IS NOT NULL
    RETURNING f.created_at, f.updated_at, (f.xmax = 0) INTO v_cre, v_upd, v_ins;
    IF NOT FOUND THEN
        SELECT f.created_at, f.updated_at INTO v_cre, v_upd FROM files f
         WHERE f.store_id = p_store AND f.namespace = 'settings' AND f.path = p_path;
        o_outcome := 'unchanged';
    ELSE
        o_outcome := CASE WHEN v_ins THEN 'created' ELSE 'updated' END;
    END IF;
    o_created := sync_iso(v_cre); o_updated := sync_iso(v_upd);
    RETURN NEXT;
END
$$;

-- Revocation and store deletion tell live gateways to close the sockets.
CREATE FUNCTION sync_key_revoke(p_store uuid, p_key uuid) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE api_keys SET revoked_at = coalesce(revoked_at, now())
     WHERE id = p_key AND store_id = p_store;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    PERFORM pg_notify('sync_revoked', '{"key":"' || p_key || '"}');
    RETURN true;
END
$$;

CREATE FUNCTION sync_store_delete(p_store uuid) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM stores WHERE id = p_store;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    PERFORM pg_notify('sync_revoked', '{"store":"' || p_store || '"}');
    RETURN true;
END
$$;

-- Expired tombstones, and changes older than the tombstone TTL; each store
-- remembers the highest purged seq so feed cursors below it resync.
CREATE FUNCTION sync_purge(p_days integer)
RETURNS TABLE (o_files bigint, o_changes bigint)
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM files WHERE expires_at IS NOT NULL AND expires_at < now();
    GET DIAGNOSTICS o_files = ROW_COUNT;
    WITH gone AS (
        DELETE FROM changes WHERE at < now() - make_interval(days => p_days)
        RETURNING store_id, seq
    ), top AS (
        SELECT store_id, max(seq) AS seq, count(*) AS n FROM gone GROUP BY store_id
    ), upd AS (
        UPDATE stores s SET purged_seq = greatest(s.purged_seq, top.seq)
          FROM top WHERE s.id = top.store_id
        RETURNING top.n
    )
    SELECT coalesce(sum(n), 0) INTO o_changes FROM upd;
    RETURN NEXT;
END
$$;
