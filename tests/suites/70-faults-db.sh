#!/usr/bin/env bash
# 70-faults-db.sh - PostgreSQL stopped and started again under a stream of
# writes: lighttpd + 2 sync-api processes and sync-gateway keep running while
# the database goes down twice (pg_ctl stop -m fast, then -m immediate, i.e. a
# crash), each time for OUTAGE_MS, and comes back. tests/node/fault-db.mjs
# writes through both front doors and checks that nothing acknowledged is
# lost, every refusal is a clear UNAVAILABLE, and every socket sees every
# change once and in order; this suite checks that both programs recovered
# without a restart (same pids) and logged no sanitizer report.
#
# Commits must survive the crash the way they do in production: the test
# cluster runs with synchronous_commit=off (run-all.sh), which lets an
# immediate stop lose the last acknowledged commits by design, so this suite
# turns it on for its duration (ALTER SYSTEM, reset on exit).
set -u
. "$(dirname "$0")/../faults/lib.sh"
fl_init faults-db

fl_psql -c "ALTER SYSTEM SET synchronous_commit = on" -c "SELECT pg_reload_conf()" >/dev/null ||
    fl_abort "cannot turn synchronous_commit on"
FL_SQL_RESET="ALTER SYSTEM RESET synchronous_commit"

fl_front "$WORK/front" 2 || fl_abort "lighttpd + sync-api start"
GW_URL="" GW_PID=""
if [ "$FL_HAVE_GW" = 1 ]; then
    fl_gateway_start "$WORK/gateway.log" || fl_abort "sync-gateway starts"
fi
echo "# lighttpd on $FRONT_URL, sync-gateway pid ${GW_PID:-(none)} on ${GW_URL:-(none)}"

store=$(fl_store faults-db) || fl_abort "store create"
read -r wkey _ <<<"$(fl_key "$store" read,write writer)" || fl_abort "key create"
read -r rkey _ <<<"$(fl_key "$store" read reader)" || fl_abort "key create"

api_before=$(fl_api_pids)
gw_before=$GW_PID
check "lighttpd spawned 2 sync-api processes ($api_before)" [ "$(echo $api_before | wc -w)" -eq 2 ]

handle() {
    case $1 in
    pg-stop-fast)      pg_stop fast ;;
    pg-stop-immediate) pg_stop immediate ;;
    pg-start)          pg_start ;;
    *)                 return 2 ;;
    esac
}

mkdir -p "$WORK/req"
export API_URL=$FRONT_URL GW_URL STORE=$store WKEY=$wkey RKEY=$rkey FAULT_DIR=$WORK/req
export PSQL=$PG_BIN/psql OUTAGE_MS=${OUTAGE_MS:-2000}
fl_node_start db tests/node/fault-db.mjs
fl_serve_requests "$WORK/req" "$NODE_PID" handle
fl_node_finish db

[ -f "$PG_DIR/data/postmaster.pid" ] || pg_start
api_after=$(fl_api_pids)
check "sync-api: the same processes before and after the outages ($api_before / $api_after)" \
    [ "$api_before" = "$api_after" ]
if [ "$FL_HAVE_GW" = 1 ]; then
    check "sync-gateway: the same process before and after the outages (pid $gw_before)" \
        kill -0 "$gw_before"
    n=$(grep -c 'LISTEN connection lost' "$WORK/gateway.log")
    check "sync-gateway noticed both LISTEN losses and listened again ($n lost, $(grep -c 'LISTEN on' "$WORK/gateway.log") LISTEN lines)" \
        [ "$n" -ge 2 ]
fi
n=$(grep -cE '^(500|502|504) ' "$FRONT_ACCESS_LOG")
check "lighttpd: no 500/502/504 answer in $(wc -l <"$FRONT_ACCESS_LOG") requests" [ "$n" -eq 0 ]
n=$(grep -c '^503 ' "$FRONT_ACCESS_LOG")
echo "# lighttpd answered $n requests 503"

# sanitizer reports come at exit: stop everything first
fl_cleanup
fl_sanitizer_check "sync-api" "$FRONT_API_LOG"
[ "$FL_HAVE_GW" = 1 ] && fl_sanitizer_check "sync-gateway" "$WORK/gateway.log"
fl_summary
