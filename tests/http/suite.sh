# suite.sh - one HTTP suite: a web server in front of sync-api (tests/lib/front.sh),
# the driver over HTTP (tests/http/run.sh), then checks of the run's logs.
# Sourced by tests/suites/3x-http-*.sh; prints "N passed, N failed" last and
# returns non-zero on any failure. Everything it starts is stopped by pid on
# exit, also on failure or Ctrl-C.
#
# Needs (exported by tests/run-all.sh): DATABASE_URL, ADMIN_API_KEY,
# SYNC_BIN_DIR, TEST_TMP; TEST_PG_DIR enables the database outage test.

http_suite() {
    local front=$1 dir port sock line pass=0 fail=0 drv_pass drv_fail n
    ROOT=${SYNC_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
    cd "$ROOT" || return 1
    # shellcheck source=../lib/front.sh
    . tests/lib/front.sh
    if [ -z "${TEST_TMP:-}" ]; then
        TEST_TMP=$(mktemp -d /tmp/sync-http.XXXXXX)
        chmod 755 "$TEST_TMP"
    fi
    export SYNC_BIN_DIR=${SYNC_BIN_DIR:-$ROOT/build}
    dir="$TEST_TMP/http-$front"
    rm -rf "$dir"
    trap 'front_stop' EXIT
    trap 'exit 130' INT TERM

    check() {       # check NAME COMMAND...: one more test of this suite
        if "${@:2}"; then pass=$((pass + 1)); echo "ok - $1"
        else fail=$((fail + 1)); echo "not ok - $1"; fi
    }

    port=$(front_free_port) || { echo "0 passed, 1 failed"; return 1; }
    case $front in
    lighttpd) front_start_lighttpd "$dir" "$port" 2 && sock="$dir/sync-api.sock-0" ;;
    nginx)    front_start_nginx "$dir" "$port" && sock=$FRONT_API_SOCKET ;;
    *)        echo "unknown front $front" >&2; false ;;
    esac || { echo "cannot start $front in front of sync-api"; echo "0 passed, 1 failed"; return 1; }
    echo "== $front on $FRONT_URL"

    export API_BASE_URL=$FRONT_URL FRONT_NAME=$front
    [ -S "$sock" ] && export FCGI_SOCKET=$sock
    if [ -n "${TEST_PG_DIR:-}" ]; then
        export SYNC_TEST_PG_STOP="bash -c '. \"$ROOT/tests/lib/pg.sh\"; PG_DIR=\"$TEST_PG_DIR\"; pg_stop fast'"
        export SYNC_TEST_PG_START="bash -c '. \"$ROOT/tests/lib/pg.sh\"; PG_DIR=\"$TEST_PG_DIR\"; pg_start'"
    fi
    api_pids=$(echo "$FRONT_PIDS")

    bash tests/http/run.sh | tee "$dir/driver.log"
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$dir/driver.log" | tail -n 1)
    drv_pass=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')
    drv_fail=$(echo "$line" | sed -E 's/.* ([0-9]+) failed$/\1/')
    pass=$((pass + ${drv_pass:-0}))
    fail=$((fail + ${drv_fail:-1}))

    echo "== checks of the $front run's logs"
    n=$(grep -cE '^(500|502|504) ' "$FRONT_ACCESS_LOG")
    check "$front access log: no 500/502/504 answer in $(wc -l <"$FRONT_ACCESS_LOG") requests" [ "$n" -eq 0 ]
    [ "$n" -eq 0 ] || grep -E '^(500|502|504) ' "$FRONT_ACCESS_LOG" | head -20
    n=$(grep -cE '^(400|404|405|413) ' "$FRONT_ACCESS_LOG")
    check "$front access log: the bad inputs reached sync-api ($n 4xx lines)" [ "$n" -gt 100 ]
    n=$(cat "$FRONT_API_LOG" "$FRONT_ERROR_LOG" | grep -cE 'AddressSanitizer|LeakSanitizer|runtime error:')
    check "sync-api under $front: no sanitizer report" [ "$n" -eq 0 ]
    [ "$n" -eq 0 ] || grep -A20 -E 'AddressSanitizer|LeakSanitizer|runtime error:' "$FRONT_API_LOG" | head -60
    n=$(grep -c 'ERROR sync-api' "$FRONT_API_LOG")
    check "sync-api under $front: no ERROR line in its log" [ "$n" -eq 0 ]
    [ "$n" -eq 0 ] || grep 'ERROR sync-api' "$FRONT_API_LOG" | head -10
    if grep -q 'sk_store_[0-9a-f]\{6\}_[A-Za-z0-9_-]\{32\}' "$FRONT_API_LOG"; then n=1; else n=0; fi
    check "sync-api under $front: no full key in its log" [ "$n" -eq 0 ]
    local alive=0 p
    for p in $api_pids; do kill -0 "$p" 2>/dev/null && alive=$((alive + 1)); done
    check "$front and sync-api still running after the whole run (no exit on an outage)" \
        [ "$alive" -eq "$(echo $api_pids | wc -w)" ]
    front_stop
    n=$(grep -c 'INFO sync-api: stopped' "$FRONT_API_LOG")
    check "sync-api under $front: stopped cleanly on SIGTERM" [ "$n" -ge 1 ]

    echo "$pass passed, $fail failed"
    [ "$fail" -eq 0 ]
}
