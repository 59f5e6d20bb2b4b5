-- The DESIGN §2 write transaction exactly as sync-api and the gateway send it
-- (statement "file_write" of common/db_stmts.c: one call, one round trip,
-- NOTIFY included): a 1 KiB upsert at a random path, the hash always new so
-- that it is never a no-op. Stores have fixed ids ...-<n as 12 digits>;
-- client c writes to store (c + r * nclients) % nstores: with as many clients
-- as stores each client has its own store, one client visits them all.
\set n random(1, :paths)
\set s (:client_id + random(0, :nstores - 1) * :nclients) % :nstores
SELECT * FROM sync_file_write(('00000000-0000-4000-8000-' || lpad(:s, 12, '0'))::uuid,
    'pg/' || :n || '.md', :content, 'sha256:' || md5(random()::text) || md5(random()::text),
    1024, false, 'md', NULL, 'upsert', NULL);
