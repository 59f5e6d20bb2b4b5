#!/usr/bin/env bash
# 51-make-run.sh - the life cycle of `make run` (deploy/run.sh) with its own
# state directory (SYNC_VAR_DIR) and free loopback ports:
#
#   first start: private cluster created, migrated, admin key made once
#   (mode 600), one origin serving REST and Socket.IO; the printed curl
#   commands work; the realtime path through the origin (socket.io-client,
#   WebSocket, polling, upgrade); a second instance refuses to start; a
#   taken port is a one-line error naming it, before anything starts;
#   SIGTERM stops every process it started (by the pids it recorded) and
#   PostgreSQL cleanly, and frees the port;
#   second start, on a pseudo-terminal: same key, the data survived; a
#   Ctrl-C typed there stops everything;
#   after a SIGKILL of run.sh: the next start stops what was left behind;
#   with DATABASE_URL and ADMIN_API_KEY set: no cluster, that key.
#
# Needs SYNC_BIN_DIR (with sync-api, sync-gateway, syncctl). Prints
# "N passed, N failed" last; everything it starts is stopped on exit.
set -u
ROOT=${SYNC_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$ROOT" || exit 1
B=$(cd "${SYNC_BIN_DIR:-build}" && pwd) || { echo "0 passed, 1 failed"; exit 1; }
OWN_TMP=0
if [ -z "${TEST_TMP:-}" ]; then
    TEST_TMP=$(mktemp -d /tmp/sync-make-run.XXXXXX)
    OWN_TMP=1
fi
T=$(mktemp -d "$TEST_TMP/make-run.XXXXXX")
chmod 755 "$TEST_TMP" "$T"
# the external database of the last test (run-all's, when there is one)
OUTER_DATABASE_URL=${DATABASE_URL:-}

pass=0
fail=0
check() {
    if "${@:2}"; then pass=$((pass + 1)); echo "ok - $1"
    else fail=$((fail + 1)); echo "not ok - $1"; fi
}

RUN_PID=""
ALL_PIDS=""         # every pid any run.sh recorded, for the exit trap
cleanup() {
    local p
    if [ -n "$RUN_PID" ] && kill -0 "$RUN_PID" 2>/dev/null; then
        kill -TERM "$RUN_PID" 2>/dev/null
        for _ in $(seq 1 200); do kill -0 "$RUN_PID" 2>/dev/null || break; sleep 0.1; done
    fi
    for p in $ALL_PIDS; do
        alive "$p" && kill -KILL "$p" 2>/dev/null
    done
    [ "$OWN_TMP" = 1 ] && rm -rf "$TEST_TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# alive PID: running (a zombie is not).
alive() {
    local st
    st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
    case $st in Z*|"") return 1 ;; esac
}

USED_PORTS=" "
new_port() {
    local p
    for _ in $(seq 1 200); do
        p=$((20000 + RANDOM % 12000))
        case $USED_PORTS in *" $p "*) continue ;; esac
        [ -z "$(ss -Hltn "sport = :$p" 2>/dev/null)" ] || continue
        USED_PORTS="$USED_PORTS$p "
        printf -v "$1" '%s' "$p"
        return 0
    done
    return 1
}
listening() { [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]; }

# The state directory sits in a private (0700) directory, as a clone in
# /root does: as root, PostgreSQL's user must still reach var/pg.
mkdir -m 700 "$T/home"
VAR=$T/home/var
new_port HTTP_PORT
new_port GW_PORT
URL="http://127.0.0.1:$HTTP_PORT"

# start_run LOG [ENV=VALUE...]: run.sh in the background, in its own process
# group (as under a terminal), with the var dir and ports of this suite.
start_run() {
    local log=$1
    shift
    setsid env -u DATABASE_URL -u ADMIN_API_KEY SYNC_VAR_DIR="$VAR" SYNC_HTTP_LISTEN="127.0.0.1:$HTTP_PORT" \
        SYNC_GATEWAY_LISTEN="127.0.0.1:$GW_PORT" SYNC_API_PROCS=3 "$@" \
        bash deploy/run.sh "$B" >"$log" 2>&1 &
    RUN_PID=$!
}

# start_run_tty LOG: run.sh as the foreground job of a pseudo-terminal
# (script(1)), whose input is the fifo on fd 7: writing ^C there is a Ctrl-C
# typed at a terminal (the line discipline signals the foreground group).
start_run_tty() {
    local log=$1
    rm -f "$T/tty-in"
    mkfifo "$T/tty-in"
    # (a script's background job starts with SIGINT ignored, which a shell
    # cannot trap; a terminal's foreground job has the default: restore it)
    setsid script -qfec "env --default-signal=INT -u DATABASE_URL -u ADMIN_API_KEY SYNC_VAR_DIR='$VAR' \
        SYNC_HTTP_LISTEN=127.0.0.1:$HTTP_PORT SYNC_GATEWAY_LISTEN=127.0.0.1:$GW_PORT SYNC_API_PROCS=3 \
        bash deploy/run.sh '$B'" /dev/null <"$T/tty-in" >"$log" 2>&1 &
    RUN_PID=$!
    exec 7>"$T/tty-in"
}

# wait_ready LOG: until run.sh printed its banner (and /health is 200), or
# it exited; 90 s at most (the first start runs initdb).
wait_ready() {
    local log=$1
    for _ in $(seq 1 900); do
        if grep -q 'Sync server running at' "$log" 2>/dev/null &&
            [ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$URL/health")" = 200 ]; then
            return 0
        fi
        kill -0 "$RUN_PID" 2>/dev/null || { echo "  run.sh exited:"; tail -n 15 "$log" | sed 's/^/  | /'; return 1; }
        sleep 0.1
    done
    echo "  run.sh not ready after 90 s:"; tail -n 15 "$log" | sed 's/^/  | /'
    return 1
}

# recorded_pids: what run.sh wrote while it runs ("NAME PID" lines).
recorded_pids() { awk '{ print $2 }' "$VAR/run/pids" 2>/dev/null | tr '\n' ' '; }

# stop_run SIGNAL HOW: sends SIGNAL (to run.sh, or to its whole process
# group for HOW=group, as Ctrl-C does) and checks that everything went.
stop_run() {
    local sig=$1 how=$2 pids rc left="" p t0 secs what="SIG$1 to run.sh"
    [ "$how" = tty ] && what="Ctrl-C typed at its terminal"
    pids=$(recorded_pids)
    ALL_PIDS="$ALL_PIDS $pids"
    t0=$(date +%s%N)
    [ -f "$VAR/make-run.pid" ] && pids="$pids $(cat "$VAR/make-run.pid")"     # run.sh itself
    case $how in
    tty) printf '\003' >&7 ;;
    *) kill -"$sig" "$RUN_PID" ;;
    esac
    for _ in $(seq 1 300); do kill -0 "$RUN_PID" 2>/dev/null || break; sleep 0.1; done
    secs=$(( ($(date +%s%N) - t0) / 1000000 ))
    rc=none
    if ! kill -0 "$RUN_PID" 2>/dev/null; then wait "$RUN_PID" 2>/dev/null; rc=$?; fi
    check "$what: run.sh exits within 30 s, status 0 (${secs} ms, status $rc)" \
        bash -c "! kill -0 $RUN_PID 2>/dev/null && [ '$rc' = 0 ]"
    for p in $pids; do alive "$p" && left="$left $p($(cat /proc/"$p"/comm 2>/dev/null))"; done
    check "$what: none of the $(echo $pids | wc -w) recorded processes is left (${left:-none})" [ -z "$left" ]
    check "$what: port $HTTP_PORT and the gateway's $GW_PORT are free" \
        bash -c "! { [ -n \"\$(ss -Hltn 'sport = :$HTTP_PORT')\" ] || [ -n \"\$(ss -Hltn 'sport = :$GW_PORT')\" ]; }"
    check "$what: lock and pid list removed" bash -c "[ ! -e '$VAR/make-run.pid' ] && [ ! -e '$VAR/run/pids' ]"
    if [ -d "$VAR/pg/data" ]; then
        check "$what: PostgreSQL shut down cleanly (no postmaster.pid, 'shut down' logged)" \
            bash -c "[ ! -e '$VAR/pg/data/postmaster.pid' ] && tail -n 3 '$VAR/pg/data/server.log' | grep -q 'database system is shut down'"
    fi
    RUN_PID=""
}

echo "== first start (fresh state directory)"
start_run "$T/run1.log"
check "run.sh starts: banner printed and /health is 200 on $URL" wait_ready "$T/run1.log"
KEY=$(head -n 1 "$VAR/admin.key" 2>/dev/null)
check "admin key made in var/admin.key: mode 600, sk_admin_ + 32 characters or more" \
    bash -c "[ \"\$(stat -c %a '$VAR/admin.key')\" = 600 ] && [ '${KEY#sk_admin_}' != '$KEY' ] && [ ${#KEY} -ge 32 ]"
check "the banner shows the URL and the admin key" \
    bash -c "grep -q 'running at $URL' '$T/run1.log' && grep -qF '$KEY' '$T/run1.log'"
check "the lock holds run.sh's pid" bash -c "[ \"\$(cat '$VAR/make-run.pid')\" = $RUN_PID ]"
names=$(awk '{ print $1 }' "$VAR/run/pids" | sort | uniq -c | awk '{ printf "%s×%s ", $2, $1 }')
check "recorded pids: postgres, sync-gateway, lighttpd and 3 sync-api ($names)" \
    bash -c "[ \"\$(grep -c '^sync-api ' '$VAR/run/pids')\" = 3 ] && grep -q '^postgres ' '$VAR/run/pids' &&
             grep -q '^sync-gateway ' '$VAR/run/pids' && grep -q '^lighttpd ' '$VAR/run/pids'"
if [ "$(id -u)" = 0 ]; then
    check "as root, a 0700 directory above var/ made traversable for postgres, and said so" \
        bash -c "[ \"\$(stat -c %a '$T/home')\" = 701 ] && grep -q 'made $T/home traversable' '$T/run1.log'"
fi
check "a private cluster in var/pg with durable writes (fsync on)" \
    bash -c "[ -f '$VAR/pg/data/PG_VERSION' ] && ! grep -q '^fsync = off' '$VAR/pg/data/postgresql.conf'"

# The printed commands, as a user pastes them.
cmd1=$(grep -m 1 -E '^ +curl .*/api/v1/admin/stores -H' "$T/run1.log" | sed 's/^ *//')
out=$(bash -c "$cmd1" 2>&1)
STORE_ID=$(printf '%s' "$out" | node -e 'try { console.log(JSON.parse(require("fs").readFileSync(0, "utf8")).id || "") } catch { console.log("") }')
check "the printed 'create a store' command works (id $STORE_ID)" [ -n "$STORE_ID" ]
cmd2=$(grep -m 1 -E '^ +curl .*/stores/STORE_ID/keys' "$T/run1.log" | sed 's/^ *//; s/STORE_ID/'"$STORE_ID"'/')
out=$(bash -c "$cmd2" 2>&1)
STORE_KEY=$(printf '%s' "$out" | node -e 'try { console.log(JSON.parse(require("fs").readFileSync(0, "utf8")).key || "") } catch { console.log("") }')
check "the printed 'create a key' command works (read, write, settings_read, settings_write)" \
    bash -c "[ '${STORE_KEY#sk_store_}' != '$STORE_KEY' ] && printf '%s' '$out' | grep -q settings_write"

timeout -k 5 120 node tests/node/front-e2e.mjs "$URL" "$STORE_KEY" --label make-run >"$T/node1.log" 2>&1
rc=$?
grep -E '^(ok|not ok) - ' "$T/node1.log"
n_ok=$(grep -c '^ok - ' "$T/node1.log"); n_bad=$(grep -c '^not ok - ' "$T/node1.log")
pass=$((pass + n_ok)); fail=$((fail + n_bad))
[ "$rc" -ne 0 ] && [ "$n_bad" -eq 0 ] && { fail=$((fail + 1)); echo "not ok - front-e2e.mjs exited $rc"; sed 's/^/  | /' "$T/node1.log" | tail -5; }
n=$(grep -c "$STORE_KEY" "$VAR/run/access.log" 2>/dev/null)
check "lighttpd's access log holds no API key (the socket.io query string is not logged)" [ "${n:-0}" -eq 0 ]

echo "== a second instance, a taken port"
out=$(env -u DATABASE_URL SYNC_VAR_DIR="$VAR" SYNC_HTTP_LISTEN="127.0.0.1:$HTTP_PORT" timeout 20 bash deploy/run.sh "$B" 2>&1)
rc=$?
check "a second run.sh on the same state refuses: exit $rc, one line ($out)" \
    bash -c "[ $rc -ne 0 ] && [ \$(printf '%s\n' \"\$1\" | wc -l) = 1 ] && printf '%s' \"\$1\" | grep -q 'already running (pid $RUN_PID'" _ "$out"
check "... and the first one still serves" \
    bash -c "[ \"\$(curl -s -o /dev/null -m 5 -w '%{http_code}' '$URL/health')\" = 200 ]"
new_port OTHER_GW
out=$(env -u DATABASE_URL SYNC_VAR_DIR="$T/var-b" SYNC_HTTP_LISTEN="127.0.0.1:$HTTP_PORT" \
    SYNC_GATEWAY_LISTEN="127.0.0.1:$OTHER_GW" timeout 20 bash deploy/run.sh "$B" 2>&1)
rc=$?
check "a taken port: exit $rc with one line naming port $HTTP_PORT ($out)" \
    bash -c "[ $rc -ne 0 ] && [ \$(printf '%s\n' \"\$1\" | wc -l) = 1 ] && printf '%s' \"\$1\" | grep -q 'port $HTTP_PORT'" _ "$out"
check "... checked before starting anything (no cluster, no lock, gateway port unused)" \
    bash -c "[ ! -e '$T/var-b/pg' ] && [ ! -e '$T/var-b/make-run.pid' ] && [ -z \"\$(ss -Hltn 'sport = :$OTHER_GW')\" ]"

stop_run TERM pid

echo "== second start, on a terminal: the data and the key survive; Ctrl-C"
start_run_tty "$T/run2.log"
check "run.sh starts again on the existing cluster" wait_ready "$T/run2.log"
check "the same admin key" bash -c "[ \"\$(head -n 1 '$VAR/admin.key')\" = '$KEY' ] && grep -qF '$KEY' '$T/run2.log'"
code=$(curl -s -o "$T/store.json" -m 5 -w '%{http_code}' -H "X-API-Key: $KEY" "$URL/api/v1/admin/stores/$STORE_ID")
check "the store made before the restart is still there ($code)" bash -c "[ '$code' = 200 ] && grep -q '$STORE_ID' '$T/store.json'"
code=$(curl -s -o /dev/null -m 5 -w '%{http_code}' -H "X-API-Key: $STORE_KEY" "$URL/api/v1/files?limit=1")
check "and so is its key ($code)" [ "$code" = 200 ]
stop_run INT tty
exec 7>&-

echo "== after run.sh was killed (SIGKILL): the next start cleans up"
start_run "$T/run3.log"
if wait_ready "$T/run3.log"; then
    killed=$(recorded_pids)
    ALL_PIDS="$ALL_PIDS $killed"
    kill -KILL "$RUN_PID"
    wait "$RUN_PID" 2>/dev/null
    start_run "$T/run4.log"
    check "run.sh starts over what a killed run left (stale lock, live processes)" wait_ready "$T/run4.log"
    check "... saying what it stopped" grep -q 'left by an earlier run' "$T/run4.log"
    left=""
    for p in $killed; do alive "$p" && left="$left $p"; done
    check "... and none of the killed run's processes is left (${left:-none})" [ -z "$left" ]
    stop_run TERM pid
else
    check "run.sh starts (third time)" false
fi

echo "== with DATABASE_URL and ADMIN_API_KEY set"
if [ -n "$OUTER_DATABASE_URL" ]; then
    VAR=$T/var-ext
    KEY2="sk_admin_$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
    start_run "$T/run5.log" DATABASE_URL="$OUTER_DATABASE_URL" ADMIN_API_KEY="$KEY2"
    check "run.sh starts on DATABASE_URL" wait_ready "$T/run5.log"
    check "... without a cluster of its own, nor an admin.key file" \
        bash -c "[ ! -e '$VAR/pg' ] && [ ! -e '$VAR/admin.key' ] && ! grep -q '^postgres ' '$VAR/run/pids'"
    code=$(curl -s -o /dev/null -m 5 -w '%{http_code}' -H "X-API-Key: $KEY2" "$URL/api/v1/admin/stores")
    check "... and ADMIN_API_KEY is the admin key ($code)" [ "$code" = 200 ]
    stop_run TERM pid
else
    echo "skip: no DATABASE_URL to test the external-database mode with (run it from tests/run-all.sh)"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
