# lib.sh - what the fault and security suites (tests/suites/7x-faults-*.sh,
# 8x-security-*.sh) share: counters, the throwaway database of run-all.sh,
# lighttpd + sync-api (tests/lib/front.sh), sync-gateway on a loopback port,
# stores and keys, the node drivers, and the stop-by-pid cleanup.
#
# Source it from a suite (bash), then call fl_init NAME. Needs what
# tests/run-all.sh exports: SYNC_BIN_DIR, TEST_TMP, SYNC_ROOT, DATABASE_URL,
# ADMIN_API_KEY, TEST_PG_DIR.
#
# Every process started here is recorded and stopped by pid on any exit
# (fl_cleanup runs from the EXIT trap); PostgreSQL is started again if a
# suite left it stopped, so the suites after it find it running.

ROOT=${SYNC_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
B=${SYNC_BIN_DIR:-$ROOT/build}
cd "$ROOT" || exit 2
# shellcheck source=../lib/pg.sh
. tests/lib/pg.sh
# shellcheck source=../lib/front.sh
. tests/lib/front.sh

pass=0
fail=0
FL_BG_PIDS=""          # helpers (node drivers, samplers): stopped first
FL_GW_PIDS=""          # every gateway started (also killed ones: harmless)
FL_SQL_RESET=""        # SQL run against the database by fl_cleanup
FL_NAME=""
WORK=""

ok()  { pass=$((pass + 1)); echo "ok - $*"; }
bad() { fail=$((fail + 1)); echo "not ok - $*"; }
# check NAME COMMAND...: one test, passed when COMMAND succeeds.
check() {
    if "${@:2}"; then ok "$1"; else bad "$1"; fi
}

# fl_summary: the suite's last line; exit status 0 only when nothing failed.
fl_summary() {
    echo "$pass passed, $fail failed"
    [ "$fail" -eq 0 ]
    exit $?
}

# fl_abort MESSAGE: a set-up step failed; what ran so far still counts.
fl_abort() {
    bad "$1"
    fl_summary
}

# _fl_stop PID: TERM, up to 5 s, then KILL; reaps it when it is our child.
_fl_stop() {
    local pid=$1 i
    [ -n "$pid" ] || return 0
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
    kill -TERM "$pid" 2>/dev/null
    for i in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 0
}

fl_cleanup() {
    local pid
    for pid in $FL_BG_PIDS; do _fl_stop "$pid"; done
    FL_BG_PIDS=""
    for pid in $FL_GW_PIDS; do _fl_stop "$pid"; done
    FL_GW_PIDS=""
    front_stop
    if [ -n "${PG_DIR:-}" ] && [ ! -f "$PG_DIR/data/postmaster.pid" ]; then
        echo "# PostgreSQL was left stopped: starting it for the suites after this one"
        pg_start >/dev/null 2>&1 || pg_start
    fi
    if [ -n "$FL_SQL_RESET" ]; then
        "$PG_BIN/psql" -qAtX -c "$FL_SQL_RESET" >/dev/null 2>&1
        "$PG_BIN/psql" -qAtX -c "SELECT pg_reload_conf()" >/dev/null 2>&1
    fi
}

# fl_init NAME: counters, WORK directory, the database, the EXIT trap.
fl_init() {
    FL_NAME=$1
    PG_DIR=${TEST_PG_DIR:-}
    if [ -z "$PG_DIR" ] || [ -z "${ADMIN_API_KEY:-}" ] || [ -z "${TEST_TMP:-}" ]; then
        echo "run me through tests/run-all.sh (TEST_PG_DIR, ADMIN_API_KEY, TEST_TMP)"
        echo "0 passed, 1 failed"
        exit 1
    fi
    pg_export
    export SYNC_BIN_DIR=$B
    WORK=$(mktemp -d "$TEST_TMP/$FL_NAME.XXXXXX")
    chmod 755 "$WORK"
    trap fl_cleanup EXIT
    trap 'exit 130' INT TERM
    for b in sync-api syncctl; do
        [ -x "$B/$b" ] || fl_abort "$B/$b was not built"
    done
    # Until sync-gateway lands (rt-gateway/main.c), the suites run their
    # REST parts only; once its source is there, a missing binary fails.
    FL_HAVE_GW=1
    if [ ! -x "$B/sync-gateway" ]; then
        [ -f rt-gateway/main.c ] && fl_abort "$B/sync-gateway was not built"
        FL_HAVE_GW=0
        echo "# sync-gateway is not part of the tree yet: its parts of $FL_NAME are skipped"
    fi
    [ -d tests/node/node_modules/socket.io-client ] || fl_abort "node modules missing: make node-deps"
    # pg_start may be needed later: make sure the cluster is up now
    [ -f "$PG_DIR/data/postmaster.pid" ] || pg_start || fl_abort "PostgreSQL is not running"
}

fl_bg() {
    FL_BG_PIDS="$FL_BG_PIDS $1"
}

fl_psql() {
    "$PG_BIN/psql" -qAtX -v ON_ERROR_STOP=1 "$@"
}

# fl_is_asan: the binaries under test carry ASan (slower, more memory).
fl_is_asan() {
    grep -qa '__asan_init' "$B/sync-gateway" 2>/dev/null
}

# fl_rss_kb PID: VmRSS in KiB (0 when gone).
fl_rss_kb() {
    sed -nE 's/^VmRSS:[[:space:]]+([0-9]+) kB/\1/p' "/proc/$1/status" 2>/dev/null || echo 0
}

# fl_store NAME: prints a new store's id.
fl_store() {
    "$B/syncctl" store create "$1" 2>>"$WORK/syncctl.log"
}

# fl_key STORE PERMS [NAME]: prints "KEY KEY_ID".
fl_key() {
    local out err id
    out=$("$B/syncctl" key create "$1" --name "${3:-fault}" --perm "$2" 2>"$WORK/key.err") || {
        cat "$WORK/key.err" >&2; return 1; }
    id=$(grep -oE 'key [0-9a-f-]{36}' "$WORK/key.err" | head -n 1 | cut -c5-)
    [ -n "$id" ] || { cat "$WORK/key.err" >&2; return 1; }
    echo "$out $id"
}

# fl_front DIR [PROCS]: lighttpd spawning PROCS sync-api processes; sets
# FRONT_URL (front.sh).
# fl_free_port: a loopback port nothing uses, below the kernel's ephemeral
# range (outgoing connections take their local ports from that range, so a
# port picked there can be taken before the server binds it).
fl_free_port() {
    local lo p i
    lo=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null)
    [ "${lo:-0}" -gt 12000 ] || lo=32768
    for i in $(seq 1 200); do
        p=$((10000 + RANDOM % (lo - 10000)))
        [ -z "$(ss -Htan "sport = :$p" 2>/dev/null)" ] && { echo "$p"; return 0; }
    done
    front_free_port
}

# A port that looked free can still be taken by the time lighttpd binds it:
# up to 3 ports are tried.
fl_front() {
    local port try
    for try in 1 2 3; do
        port=$(fl_free_port) || return 1
        front_start_lighttpd "$1" "$port" "${2:-2}" && return 0
        grep -q 'Address already in use' "$1/lighttpd-error.log" 2>/dev/null || return 1
        echo "# port $port was taken: another one"
        front_stop
        rm -rf "$1"
    done
    return 1
}

# fl_api_pids: the sync-api processes lighttpd spawned (its children).
fl_api_pids() {
    local lpid
    for lpid in $FRONT_PIDS; do
        ps -o pid= --ppid "$lpid" 2>/dev/null | tr -d ' '
    done | sort -n | tr '\n' ' '
}

# fl_listening PORT: something listens on 127.0.0.1:PORT (asked of the
# kernel, without connecting).
fl_listening() {
    ss -Hltn "sport = :$1" 2>/dev/null | grep -q .
}

# fl_gateway_start LOG [PORT]: sync-gateway on 127.0.0.1:PORT (a free one by
# default), up when its LISTEN connection is; sets GW_PID, GW_PORT, GW_URL.
# Extra environment for it in FL_GW_ENV (e.g. "ASAN_OPTIONS=...").
fl_gateway_start() {
    local log=$1 want=${2:-} try port i off
    for try in 1 2 3 4 5; do
        port=${want:-$(fl_free_port)} || return 1
        touch "$log"
        off=$(stat -c %s "$log")
        echo "# starting sync-gateway on 127.0.0.1:$port" >>"$log"
        # shellcheck disable=SC2086
        env ${FL_GW_ENV:-} SYNC_GATEWAY_LISTEN="127.0.0.1:$port" "$B/sync-gateway" \
            </dev/null >>"$log" 2>&1 &
        GW_PID=$!
        FL_GW_PIDS="$FL_GW_PIDS $GW_PID"
        # ready: it listens on the port and its LISTEN connection is up
        for i in $(seq 1 300); do
            kill -0 "$GW_PID" 2>/dev/null || break
            if [ "$(grep -c 'LISTEN on' "$log")" -gt "${FL_GW_LISTENS:-0}" ] &&
                fl_listening "$port"; then
                FL_GW_LISTENS=$(grep -c 'LISTEN on' "$log")
                GW_PORT=$port
                GW_URL="http://127.0.0.1:$port"
                return 0
            fi
            sleep 0.05
        done
        _fl_stop "$GW_PID"
        GW_PID=""
        # a start that failed (its port taken meanwhile) goes to a log of
        # its own, so that $log holds the runs that serve the tests
        echo "# a sync-gateway start on port $port failed: $(tail -c +$((off + 1)) "$log" | grep -m1 -E 'ERROR|cannot' | cut -c1-200)"
        tail -c +$((off + 1)) "$log" >>"$log.failed-starts"
        head -c "$off" "$log" >"$log.tmp" && mv "$log.tmp" "$log"
        [ -n "$want" ] && sleep 0.5
    done
    echo "sync-gateway did not start; its log:" >&2
    tail -n 20 "$log" >&2
    return 1
}

# fl_node_start NAME SCRIPT [ARGS...]: a node driver in the background
# (bounded by FL_NODE_SECS, 170 s by default), its output in $WORK/NAME.out;
# sets NODE_PID. fl_node_finish NAME waits for it, shows its output and adds
# its "N passed, N failed" to the suite's counts (no summary: one failure).
# fl_node NAME SCRIPT [ARGS...]: both.
fl_node_start() {
    local name=$1 script=$2
    shift 2
    timeout -k 5 "${FL_NODE_SECS:-170}" node "$script" "$@" >"$WORK/$name.out" 2>&1 &
    NODE_PID=$!
    fl_bg "$NODE_PID"
}

fl_node_finish() {
    local name=$1 rc line p f
    wait "$NODE_PID"
    rc=$?
    grep -vE '^(ok|not ok) - |^[0-9]+ passed, [0-9]+ failed$' "$WORK/$name.out" | sed "s/^/  [$name] /"
    grep -E '^(ok|not ok) - ' "$WORK/$name.out" | sed -E "s/^(ok|not ok) - /\1 - $name: /"
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$WORK/$name.out" | tail -n 1)
    if [ -z "$line" ]; then
        bad "$name: the driver printed no summary (exit $rc)"
        return 1
    fi
    p=${line%% passed*}
    f=${line#*passed, }
    f=${f%% failed*}
    pass=$((pass + p))
    fail=$((fail + f))
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        bad "$name: the driver exited with $rc"
    fi
    [ "$rc" -eq 0 ]
}

fl_node() {
    fl_node_start "$@"
    fl_node_finish "$1"
}

# fl_serve_requests DIR NODE_PID HANDLER: answers a driver's requests until it
# exits. The driver (tests/node/fault-lib.mjs askShell) creates DIR/req-NAME
# and waits for DIR/done-NAME; HANDLER NAME runs the request (its status goes
# into done-NAME). Bounded by the driver's own timeout.
fl_serve_requests() {
    local dir=$1 npid=$2 handler=$3 f name rc
    while kill -0 "$npid" 2>/dev/null; do
        for f in "$dir"/req-*; do
            [ -e "$f" ] || continue
            name=${f##*/req-}
            rm -f "$f"
            "$handler" "$name" >>"$WORK/requests.log" 2>&1
            rc=$?
            echo "$rc" >"$dir/done-$name.tmp" && mv "$dir/done-$name.tmp" "$dir/done-$name"
        done
        sleep 0.02
    done
}

# fl_sanitizer_check NAME LOG...: no ASan/UBSan/LSan report in the logs.
fl_sanitizer_check() {
    local name=$1 n
    shift
    n=$(cat "$@" 2>/dev/null | grep -cE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:')
    check "$name: no sanitizer report in its log" [ "$n" -eq 0 ]
    [ "$n" -eq 0 ] || grep -h -A15 -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$@" | head -40
}
