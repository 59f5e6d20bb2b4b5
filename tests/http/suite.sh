# suite.sh - one HTTP suite: a web server in front of sync-api (tests/lib/front.sh),
# the driver over HTTP (tests/http/run.sh), then checks of the run's logs.
# Sourced by tests/suites/3x-http-*.sh; prints "N passed, N failed" last and
# returns non-zero on any failure. Everything it starts is stopped by pid on
# exit, also on failure or Ctrl-C.
#
# Needs (exported by tests/run-all.sh): DATABASE_URL, ADMIN_API_KEY,
# SYNC_BIN_DIR, TEST_TMP; TEST_PG_DIR enables the database outage test.

# check NAME COMMAND...: one more test of the suite (counts in pass/fail).
check() {
    if "${@:2}"; then pass=$((pass + 1)); echo "ok - $1"
    else fail=$((fail + 1)); echo "not ok - $1"; fi
}

# startup_checks DIR: how sync-api starts and refuses to start, without a web
# server: one clear line for a bad configuration, spawn-fcgi.
startup_checks() {
    local dir=$1 bin out rc port pid i got
    bin="$SYNC_BIN_DIR/sync-api"
    mkdir -p "$dir"
    out=$(env -u DATABASE_URL "$bin" --listen 127.0.0.1:1 2>&1 </dev/null); rc=$?
    check "startup: no DATABASE_URL stops it with one line ($out)" \
        [ "$rc" -ne 0 -a "$(printf '%s\n' "$out" | wc -l)" -eq 1 -a -n "$(echo "$out" | grep DATABASE_URL)" ]
    out=$(ADMIN_API_KEY=sk_admin_short "$bin" --listen 127.0.0.1:1 2>&1 </dev/null); rc=$?
    check "startup: a malformed ADMIN_API_KEY stops it with one line ($out)" \
        [ "$rc" -ne 0 -a "$(printf '%s\n' "$out" | wc -l)" -eq 1 -a -n "$(echo "$out" | grep ADMIN_API_KEY)" ]
    out=$("$bin" 2>&1 </dev/null); rc=$?
    check "startup: fd 0 not a FastCGI socket stops it with one line ($out)" \
        [ "$rc" -eq 2 -a "$(printf '%s\n' "$out" | wc -l)" -eq 1 ]
    out=$("$bin" --no-such-option 2>&1 </dev/null); rc=$?
    check "startup: an unknown option is exit 2 with the usage" [ "$rc" -eq 2 ]
    # spawn-fcgi binds the port, then runs sync-api on it as fd 0 (-n: no fork,
    # so $! is sync-api itself); another port if that one was taken meanwhile
    local try
    got=""
    for try in 1 2 3; do
        port=$(front_free_port) || return 1
        spawn-fcgi -n -a 127.0.0.1 -p "$port" -- "$bin" >>"$dir/spawn-fcgi.log" 2>&1 &
        pid=$!
        for i in $(seq 1 100); do
            kill -0 "$pid" 2>/dev/null || break
            got=$(node tests/http/fcgi-get.mjs "127.0.0.1:$port" /health 2>&1)
            case $got in 200*) break ;; esac
            sleep 0.1
        done
        case $got in 200*) break ;; esac
        echo "spawn-fcgi on port $port: ${got:-exited}; its log:"
        cat "$dir/spawn-fcgi.log"
        _front_kill "$pid"
    done
    check "startup: spawned by spawn-fcgi, it answers /health ($got)" [ "${got%% *}" = 200 ]
    _front_kill "$pid"
    check "startup: spawn-fcgi's sync-api stopped by SIGTERM" grep -q 'INFO sync-api: stopped' "$dir/spawn-fcgi.log"
}

http_suite() {
    local front=$1 dir port sock line drv_pass drv_fail n
    pass=0
    fail=0
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

    startup_checks "$dir/startup"

    port=$(front_free_port) || { echo "0 passed, 1 failed"; return 1; }
    case $front in
    lighttpd) front_start_lighttpd "$dir" "$port" 2 && sock="$dir/sync-api.sock-0" ;;
    nginx)    front_start_nginx "$dir" "$port" && sock=$FRONT_API_SOCKET ;;
    *)        echo "unknown front $front" >&2; false ;;
    esac || { echo "cannot start $front in front of sync-api"; echo "0 passed, 1 failed"; return 1; }
    echo "== $front on $FRONT_URL"

    export API_BASE_URL=$FRONT_URL FRONT_NAME=$front
    [ -S "$sock" ] && export FCGI_SOCKET=$sock
    if [ "$front" = nginx ]; then
        # the direct FastCGI tests go to a sync-api listening on TCP itself
        local tport
        tport=$(front_free_port) && front_start_api "$dir/tcp" "127.0.0.1:$tport" &&
            export FCGI_SOCKET="127.0.0.1:$tport"
    fi
    echo "== direct FastCGI tests on $FCGI_SOCKET"
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
    local api_logs
    api_logs=$(find "$dir" -name 'sync-api*.log' -not -path '*/startup/*' | sort)
    n=$(grep -cE '^(500|502|504) ' "$FRONT_ACCESS_LOG")
    check "$front access log: no 500/502/504 answer in $(wc -l <"$FRONT_ACCESS_LOG") requests" [ "$n" -eq 0 ]
    [ "$n" -eq 0 ] || grep -E '^(500|502|504) ' "$FRONT_ACCESS_LOG" | head -20
    n=$(grep -cE '^(400|404|405|413) ' "$FRONT_ACCESS_LOG")
    check "$front access log: the bad inputs reached sync-api ($n 4xx lines)" [ "$n" -gt 100 ]
    local alive=0 p
    for p in $api_pids; do kill -0 "$p" 2>/dev/null && alive=$((alive + 1)); done
    check "$front and sync-api still running after the whole run (no exit on an outage)" \
        [ "$alive" -eq "$(echo $api_pids | wc -w)" ]
    # sanitizer reports (leaks) come at exit: read the logs once all stopped
    front_stop
    # shellcheck disable=SC2086
    n=$(cat $api_logs "$dir"/startup/*.log "$FRONT_ERROR_LOG" | grep -cE 'AddressSanitizer|LeakSanitizer|runtime error:')
    check "sync-api under $front: no sanitizer report" [ "$n" -eq 0 ]
    # shellcheck disable=SC2086
    [ "$n" -eq 0 ] || grep -h -A20 -E 'AddressSanitizer|LeakSanitizer|runtime error:' $api_logs | head -60
    # shellcheck disable=SC2086
    n=$(cat $api_logs | grep -c 'ERROR sync-api')
    check "sync-api under $front: no ERROR line in its log" [ "$n" -eq 0 ]
    # shellcheck disable=SC2086
    [ "$n" -eq 0 ] || grep -h 'ERROR sync-api' $api_logs | head -10
    # shellcheck disable=SC2086
    if cat $api_logs | grep -q 'sk_store_[0-9a-f]\{6\}_[A-Za-z0-9_-]\{32\}\|sk_admin_[0-9a-f]\{20\}'; then n=1; else n=0; fi
    check "sync-api under $front: no full key in its log" [ "$n" -eq 0 ]
    local want=0 f
    n=0
    for f in $api_logs; do
        want=$((want + $(grep -c 'INFO sync-api: ready' "$f")))
        n=$((n + $(grep -c 'INFO sync-api: stopped' "$f")))
    done
    check "sync-api under $front: every process stopped cleanly on SIGTERM ($n of $want)" [ "$n" -eq "$want" -a "$n" -ge 1 ]

    echo "$pass passed, $fail failed"
    [ "$fail" -eq 0 ]
}
