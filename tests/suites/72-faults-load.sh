#!/usr/bin/env bash
# 72-faults-load.sh - hostile and broken peers against the realtime side.
#
# 0. The sio layer (conformance-server, and sync-gateway): 200 TCP
#    connections opened and closed without sending a byte must not kill it;
#    requests pipelined behind a POST body must not stop its loop
#    (tests/node/fault-pipeline.mjs).
# 1. A client that stops reading while 100 MiB of events are queued for it is
#    dropped; the gateway's RSS stays bounded (tests/node/fault-stall.mjs).
# 2. 1,000 connections that never send a byte and 1,000 that send garbage do
#    not stop a well-behaved client: its write->ack p99 stays under 1 s
#    (tests/node/fault-flood.mjs).
# 3. 200 sockets connecting at once with wrong keys are all refused with
#    connect_error INVALID_KEY; the right key still works
#    (tests/node/fault-badkeys.mjs).
# Loopback only; every load is bounded in count and time.
set -u
. "$(dirname "$0")/../faults/lib.sh"
fl_init faults-load

# file descriptors: 2,000 peer sockets in node and as many in the gateway
want_fds=8192
if [ "$(ulimit -n)" -lt "$want_fds" ]; then
    ulimit -n "$want_fds" 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null
fi
echo "# open files limit: $(ulimit -n)"

# empty_conns PORT N: N TCP connections opened and closed without a byte.
empty_conns() {
    local i
    for i in $(seq 1 "$2"); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
    done
}

# ---- 0. empty connections -------------------------------------------------------------
if [ -x "$B/conformance-server" ]; then
    "$B/conformance-server" --port 0 >"$WORK/conformance.log" 2>&1 &
    cpid=$!
    fl_bg "$cpid"
    cport=""
    for _ in $(seq 1 100); do
        cport=$(sed -nE 's/^conformance-server listening on [0-9.]+:([0-9]+)$/\1/p' "$WORK/conformance.log" | head -n 1)
        [ -n "$cport" ] && break
        sleep 0.05
    done
    if [ -n "$cport" ]; then
        empty_conns "$cport" 200
        sleep 0.5
        check "sio (conformance-server): alive after 200 connections closed without a byte" kill -0 "$cpid"
        fl_node pipeline-sio tests/node/fault-pipeline.mjs "http://127.0.0.1:$cport" conformance-server
    else
        bad "conformance-server starts"
    fi
    _fl_stop "$cpid"
fi

if [ "$FL_HAVE_GW" != 1 ]; then
    fl_cleanup
    fl_summary
fi

fl_front "$WORK/front" 2 || fl_abort "lighttpd + sync-api start"
# ASan keeps freed memory in quarantine (256 MiB by default): keep it small so
# that the RSS bound measures the gateway, not the sanitizer.
FL_GW_ENV="ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=16"
fl_gateway_start "$WORK/gateway.log" || fl_abort "sync-gateway starts"
echo "# lighttpd on $FRONT_URL, sync-gateway pid $GW_PID on $GW_URL"
empty_conns "$GW_PORT" 200
sleep 0.5
check "sync-gateway: alive after 200 connections closed without a byte" kill -0 "$GW_PID"
kill -0 "$GW_PID" 2>/dev/null || fl_abort "sync-gateway died: cannot go on"
fl_node pipeline-gw tests/node/fault-pipeline.mjs "$GW_URL" sync-gateway

store=$(fl_store faults-load) || fl_abort "store create"
read -r wkey _ <<<"$(fl_key "$store" read,write writer)" || fl_abort "key create"
read -r rkey _ <<<"$(fl_key "$store" read reader)" || fl_abort "key create"
export API_URL=$FRONT_URL GW_URL GW_PID GW_LOG=$WORK/gateway.log WKEY=$wkey RKEY=$rkey STORE=$store
export PSQL=$PG_BIN/psql

# ---- 1. a client that stops reading -------------------------------------------------------
# the bound: 64 MiB of queue + 64 MiB of slack over the idle gateway
export RSS_BOUND_MB=128 EVENTS=100 EVENT_BYTES=1048576
fl_node stall tests/node/fault-stall.mjs
check "sync-gateway alive after the stalled client" kill -0 "$GW_PID"

# ---- 2. 1,000 silent and 1,000 garbage connections ------------------------------------------
export IDLE=1000 GARBAGE=1000 WRITES=300
if ! fl_node flood tests/node/fault-flood.mjs && kill -0 "$GW_PID" 2>/dev/null; then
    # alive but failing: show where its loop is (a spin or a block)
    if command -v gdb >/dev/null; then
        echo "# sync-gateway's loop thread after the failed flood:"
        gdb -p "$GW_PID" -batch -ex "thread 1" -ex "bt 12" -ex "frame 1" -ex "info args" 2>/dev/null |
            grep -E '^#|^(wsi|reason|user|pss) =' | sed 's/^/#   /' | head -20
    fi
fi
check "sync-gateway alive after the flood" kill -0 "$GW_PID"

# ---- 3. 200 wrong keys at once -----------------------------------------------------------------
read -r revoked revoked_id <<<"$(fl_key "$store" read,write revoked)" || fl_abort "key create"
"$B/syncctl" key revoke "$store" "$revoked_id" >>"$WORK/syncctl.log" 2>&1 || fl_abort "key revoke"
export REVOKED_KEY=$revoked
fl_node badkeys tests/node/fault-badkeys.mjs
check "sync-gateway alive after the wrong keys" kill -0 "$GW_PID"

fl_cleanup
fl_sanitizer_check "sync-api" "$FRONT_API_LOG"
fl_sanitizer_check "sync-gateway" "$WORK/gateway.log"
fl_summary
