#!/usr/bin/env bash
# 71-faults-kill.sh - processes killed with SIGKILL mid-work.
#
# 1. sync-api under lighttpd (mod_fastcgi, 2 processes it spawns): two large
#    PUTs (8 MiB of content each) are held inside their write transaction by
#    a psql session that holds the store's row lock, so both processes are
#    provably mid-request; one of them is killed with SIGKILL, then the lock
#    is released. The other PUT must complete; the next requests must be
#    served at once (by the surviving process); lighttpd must spawn a
#    replacement; the killed PUT's file is either absent or complete (the
#    write is one transaction).
# 2. The same with max-procs 1: the only process is killed mid-request; the
#    next request must be served (lighttpd notices and respawns it).
# 3. sync-gateway killed with SIGKILL under connected socket.io clients, REST
#    writes while it is down, a new gateway on the same port: see
#    tests/node/fault-gwkill.mjs.
set -u
. "$(dirname "$0")/../faults/lib.sh"
fl_init faults-kill

store=$(fl_store faults-kill) || fl_abort "store create"
read -r key _ <<<"$(fl_key "$store" read,write writer)" || fl_abort "key create"
read -r rkey _ <<<"$(fl_key "$store" read reader)" || fl_abort "key create"

# big_body FILE PATH: a PUT body with 8 MiB of content.
big_body() {
    node -e '
        const [file, p] = process.argv.slice(1);
        const line = "0123456789abcdefghijklmnopqrstuvwxyz ".repeat(3) + "\n";
        let c = p + "\n";
        while (c.length < 8 * 1024 * 1024) c += line;
        require("fs").writeFileSync(file, JSON.stringify({ path: p, content: c }));
        require("fs").writeFileSync(file + ".hash", "sha256:" + require("crypto").createHash("sha256").update(c).digest("hex"));
    ' "$1" "$2"
}

# lock_store: a psql session holding the store's row lock (every write of the
# store waits on it); sets LOCK_PID. unlock_store ends it.
lock_store() {
    PGAPPNAME=fault-lock timeout -k 2 90 "$PG_BIN/psql" -qAtX \
        -c "BEGIN" -c "SELECT 1 FROM stores WHERE id = '$store' FOR UPDATE" \
        -c "SELECT pg_sleep(80)" >/dev/null 2>&1 &
    LOCK_PID=$!
    fl_bg "$LOCK_PID"
    local i
    for i in $(seq 1 100); do
        [ "$(fl_psql -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'fault-lock' AND query LIKE '%pg_sleep%'")" = 1 ] && return 0
        sleep 0.05
    done
    return 1
}
unlock_store() {
    fl_psql -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'fault-lock'" >/dev/null
    wait "$LOCK_PID" 2>/dev/null
}
# waiting_writes N: until N backends wait on a lock (at most 30 s).
waiting_writes() {
    local i
    for i in $(seq 1 300); do
        [ "$(fl_psql -c "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()")" -ge "$1" ] && return 0
        sleep 0.1
    done
    return 1
}
# put_bg NAME: the big PUT of NAME in the background (status in $WORK/NAME.status).
put_bg() {
    big_body "$WORK/$1.json" "big/$1.md"
    ( curl -s -o "$WORK/$1.resp" -w '%{http_code}' -m 90 -X PUT -H "X-API-Key: $key" \
        -H 'Content-Type: application/json' --data-binary "@$WORK/$1.json" \
        "$FRONT_URL/api/v1/files" >"$WORK/$1.status" 2>/dev/null ) &
    fl_bg $!
    PUT_PID=$!
}
# served N: N requests in a row (health, a small PUT, a GET), all answered 2xx.
served() {
    local i s bad=0 t0 t1
    t0=$(date +%s%N)
    for i in $(seq 1 "$1"); do
        s=$(curl -s -o /dev/null -w '%{http_code}' -m 20 "$FRONT_URL/health")
        [ "$s" = 200 ] || { bad=$((bad + 1)); echo "# health: $s"; }
        s=$(curl -s -o /dev/null -w '%{http_code}' -m 20 -X PUT -H "X-API-Key: $key" \
            -H 'Content-Type: application/json' --data "{\"path\":\"next/$2-$i.md\",\"content\":\"$i\"}" \
            "$FRONT_URL/api/v1/files")
        [ "$s" = 201 ] || { bad=$((bad + 1)); echo "# put: $s"; }
        s=$(curl -s -o /dev/null -w '%{http_code}' -m 20 -H "X-API-Key: $key" \
            "$FRONT_URL/api/v1/files?path=next/$2-$i.md")
        [ "$s" = 200 ] || { bad=$((bad + 1)); echo "# get: $s"; }
    done
    t1=$(date +%s%N)
    echo "# $(($1 * 3)) requests after the kill in $(( (t1 - t0) / 1000000 )) ms, $bad not 2xx"
    [ "$bad" -eq 0 ]
}
# atomic NAME [present]: the PUT's file is absent or holds the whole
# content ("present": it must be there).
atomic() {
    local h want
    want=$(cat "$WORK/$1.json.hash")
    h=$(fl_psql -c "SELECT hash FROM files WHERE store_id = '$store' AND path = 'big/$1.md'")
    echo "# big/$1.md (answered $(cat "$WORK/$1.status" 2>/dev/null)): ${h:-absent}"
    if [ "${2:-}" = present ]; then [ "$h" = "$want" ]; else [ -z "$h" ] || [ "$h" = "$want" ]; fi
}
# respawned WANT VICTIM: lighttpd runs WANT sync-api processes again, none the victim.
respawned() {
    local i pids t0=$(date +%s%N)
    for i in $(seq 1 150); do
        pids=$(fl_api_pids)
        if [ "$(echo $pids | wc -w)" -eq "$1" ] && ! echo " $pids " | grep -q " $2 "; then
            echo "# lighttpd runs $1 sync-api processes again ($pids) after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
            return 0
        fi
        sleep 0.1
    done
    echo "# sync-api processes now: $pids"
    return 1
}

# ---- 1. two processes, one killed mid-request ---------------------------------------
fl_front "$WORK/front2" 2 || fl_abort "lighttpd + 2 sync-api start"
pids=$(fl_api_pids)
check "lighttpd spawned 2 sync-api processes ($pids)" [ "$(echo $pids | wc -w)" -eq 2 ]
victim=${pids%% *}
lock_store || fl_abort "a psql session holds the store's row lock"
put_bg p1; put1=$PUT_PID
put_bg p2; put2=$PUT_PID
check "both sync-api processes are inside their write transaction (2 writes wait on the lock)" waiting_writes 2
kill -KILL "$victim"
echo "# killed sync-api pid $victim mid-request"
sleep 0.2
unlock_store
wait "$put1" "$put2" 2>/dev/null
s1=$(cat "$WORK/p1.status" 2>/dev/null); s2=$(cat "$WORK/p2.status" 2>/dev/null)
echo "# the two big PUTs answered $s1 and $s2"
n2xx=0
for s in $s1 $s2; do case $s in 200|201) n2xx=$((n2xx + 1)) ;; esac; done
check "the PUT of the surviving process completed (2xx), the killed one did not ($s1, $s2)" [ "$n2xx" -eq 1 ]
killed=p1; kept=p2
case $s1 in 200|201) killed=p2; kept=p1 ;; esac
check "the killed PUT's file is absent or complete (never torn)" atomic "$killed"
check "the acknowledged PUT's file is there, complete" atomic "$kept" present
check "the next 60 requests are all served (health, PUT, GET)" served 20 two
check "lighttpd spawned a replacement for the killed sync-api" respawned 2 "$victim"
check "and the replacement serves too" served 5 two-again
front_stop

# ---- 2. one process, killed mid-request -------------------------------------------------
fl_front "$WORK/front1" 1 || fl_abort "lighttpd + 1 sync-api start"
pids=$(fl_api_pids)
check "lighttpd spawned 1 sync-api process ($pids)" [ "$(echo $pids | wc -w)" -eq 1 ]
lock_store || fl_abort "a psql session holds the store's row lock"
put_bg p3; put3=$PUT_PID
check "the sync-api process is inside its write transaction" waiting_writes 1
kill -KILL "$pids"
echo "# killed the only sync-api, pid $pids, mid-request"
sleep 0.2
unlock_store
wait "$put3" 2>/dev/null
echo "# the killed PUT answered $(cat "$WORK/p3.status" 2>/dev/null)"
check "the killed PUT's file is absent or complete" atomic p3
check "the next 30 requests are all served (lighttpd respawned sync-api)" served 10 one
check "lighttpd runs a new sync-api process" respawned 1 "$pids"
front_stop

# ---- 3. the gateway -------------------------------------------------------------------
[ "$FL_HAVE_GW" = 1 ] || { fl_cleanup; fl_sanitizer_check "sync-api" "$WORK"/front*/sync-api.log; fl_summary; }
store=$(fl_store faults-gwkill) || fl_abort "store create"
read -r key _ <<<"$(fl_key "$store" read,write writer)" || fl_abort "key create"
read -r rkey _ <<<"$(fl_key "$store" read reader)" || fl_abort "key create"
fl_front "$WORK/front-gw" 2 || fl_abort "lighttpd + sync-api start"
fl_gateway_start "$WORK/gateway.log" || fl_abort "sync-gateway starts"
echo "# sync-gateway pid $GW_PID on $GW_URL"
handle() {
    case $1 in
    gw-kill)
        kill -KILL "$GW_PID" && wait "$GW_PID" 2>/dev/null
        echo "# killed sync-gateway pid $GW_PID"
        return 0 ;;
    gw-start)
        fl_gateway_start "$WORK/gateway.log" "$GW_PORT" ;;
    *) return 2 ;;
    esac
}
mkdir -p "$WORK/req"
export API_URL=$FRONT_URL GW_URL STORE=$store WKEY=$key RKEY=$rkey FAULT_DIR=$WORK/req PSQL=$PG_BIN/psql
fl_node_start gwkill tests/node/fault-gwkill.mjs
fl_serve_requests "$WORK/req" "$NODE_PID" handle
fl_node_finish gwkill
echo "# gateway log: $(grep -c 'starting sync-gateway' "$WORK/gateway.log") starts"
check "the restarted gateway is still running" kill -0 "$GW_PID"

fl_cleanup
fl_sanitizer_check "sync-api" "$WORK"/front*/sync-api.log
fl_sanitizer_check "sync-gateway" "$WORK/gateway.log"
fl_summary
