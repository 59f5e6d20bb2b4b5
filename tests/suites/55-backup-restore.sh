#!/usr/bin/env bash
# Backup and restore as the README tells an operator to do it: pg_dump -Fc of
# a live store, pg_restore into an empty database, and the restored server
# serves the same files to the same keys, with its change feed and seq intact.
set -u
cd "$SYNC_ROOT"
. tests/lib/front.sh
pass=0
fail=0
ok()  { echo "ok   $*"; pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }
dir="$TEST_TMP/backup"
mkdir -p "$dir"
chmod 755 "$dir"
trap 'front_stop' EXIT

api() {   # api METHOD PATH KEY [BODY] -> prints "STATUS BODY"
    local body=${4:-}
    curl -s -o "$dir/out" -w '%{http_code}' -X "$1" -H "X-API-Key: $3" \
        -H 'Content-Type: application/json' ${body:+--data-binary "$body"} "$FRONT_URL$2"
    printf ' '
    cat "$dir/out"
}

# Source database: a store with files, a tombstone, a rename, settings.
src_url=$DATABASE_URL
store=$("$SYNC_BIN_DIR/syncctl" store create "backup test" 2>/dev/null)
key=$("$SYNC_BIN_DIR/syncctl" key create "$store" --name laptop \
      --perm read,write,settings_read,settings_write 2>/dev/null)
[ -n "$store" ] && [ -n "$key" ] && ok "store and key created" || bad "store and key created"

port=$(front_free_port)
front_start_lighttpd "$dir/src" "$port" 1 && front_wait_http "$FRONT_URL/health" || bad "front on the source database"
for i in 1 2 3; do
    api PUT /api/v1/files "$key" "{\"path\":\"notes/n$i.md\",\"content\":\"note $i ✓ \\\"quoted\\\"\"}" >/dev/null
done
api PUT /api/v1/files "$key" '{"path":"img/p.png","content":"aGVsbG8="}' >/dev/null
api DELETE '/api/v1/files?path=notes/n3.md' "$key" >/dev/null
api PATCH /api/v1/files "$key" '{"path":"notes/n2.md","newPath":"notes/renamed.md"}' >/dev/null
api PUT /api/v1/settings "$key" '{"path":"app.json","content":"{\"theme\":\"dark\"}"}' >/dev/null
before_list=$(api GET '/api/v1/files?include_deleted=true&limit=1000' "$key" | sed -E 's/"expiresAt":"[^"]*"//g')
before_changes=$(api GET '/api/v1/changes?since=0' "$key")
before_settings=$(api GET '/api/v1/settings' "$key")
case "$before_list" in
    200*'"path":"notes/n1.md"'*'"path":"notes/n3.md"'*'"total":5'*) ok "source has files and a tombstone" ;;
    *) bad "source listing: $before_list" ;;
esac
front_stop

# Back up with the server's own tool, restore into a fresh database.
if pg_dump -Fc -f "$dir/sync.dump" "$src_url" 2>"$dir/dump.err"; then
    ok "pg_dump -Fc ($(stat -c %s "$dir/sync.dump") bytes)"
else
    bad "pg_dump: $(head -1 "$dir/dump.err")"
fi
createdb sync_restored 2>/dev/null || { dropdb sync_restored && createdb sync_restored; }
if pg_restore --no-owner -d sync_restored "$dir/sync.dump" 2>"$dir/restore.err"; then
    ok "pg_restore into an empty database"
else
    bad "pg_restore: $(head -1 "$dir/restore.err")"
fi
export DATABASE_URL="${src_url/\/sync\?//sync_restored?}"
if "$SYNC_BIN_DIR/syncctl" migrate 2>/dev/null | grep -q '^0 applied'; then
    ok "migrate on the restored database is a no-op"
else
    bad "migrate on the restored database applied something"
fi

front_start_lighttpd "$dir/dst" "$(front_free_port)" 1 || bad "front on the restored database"
front_wait_http "$FRONT_URL/health" || bad "front on the restored database"
after_list=$(api GET '/api/v1/files?include_deleted=true&limit=1000' "$key" | sed -E 's/"expiresAt":"[^"]*"//g')
after_changes=$(api GET '/api/v1/changes?since=0' "$key")
after_settings=$(api GET '/api/v1/settings' "$key")
[ "${after_list%% *}" = 200 ] && ok "the old key works on the restored server" || bad "old key refused: $after_list"
[ "$before_list" = "$after_list" ] && ok "same files, tombstones and timestamps" || bad "listings differ"
[ "$before_changes" = "$after_changes" ] && ok "same change feed and latestSeq" || bad "change feeds differ"
[ "$before_settings" = "$after_settings" ] && ok "same settings" || bad "settings differ"
got=$(api GET '/api/v1/files?path=notes/n1.md' "$key")
case "$got" in
    200*'"content":"note 1 ✓ \"quoted\""'*) ok "content byte for byte" ;;
    *) bad "content after restore: $got" ;;
esac
# the restored store keeps counting from its seq: no reuse of old numbers
got=$(api PUT /api/v1/files "$key" '{"path":"after.md","content":"x"}')
next=$(api GET '/api/v1/changes?since=0' "$key" | sed -nE 's/.*"latestSeq":([0-9]+).*/\1/p')
prev=$(echo "$before_changes" | sed -nE 's/.*"latestSeq":([0-9]+).*/\1/p')
[ -n "$prev" ] && [ "$next" = $((prev + 1)) ] && ok "seq continues after restore ($prev -> $next)" \
    || bad "seq after restore: $prev -> $next"
front_stop
dropdb sync_restored 2>/dev/null
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
