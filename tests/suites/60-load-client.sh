#!/usr/bin/env bash
# 60-load-client.sh - smoke test of sio-load, the benchmark's load client
# (speed is never asserted here: that is `make bench`'s job).
#
#  1. its pure parts (sio-load selftest: WebSocket framing, JSON scanning,
#     percentiles, loopback-only addresses) and its refusal of other hosts;
#  2. HTTP: put/get/list/sync against lighttpd + sync-api on the throwaway
#     database, with no error and the sync fetching every listed file;
#  3. Socket.IO: fan-out through the sio layer's conformance server (every
#     event received, content matching its hash), and when sync-gateway is
#     built: acks, fan-out and idle sockets against it;
#  4. the loopback TCP floor measurement runs.
#
# Needs DATABASE_URL, ADMIN_API_KEY, SYNC_BIN_DIR, TEST_TMP (tests/run-all.sh).
# Every process it starts is stopped by pid on exit. Prints "N passed, N failed".
set -u
ROOT=${SYNC_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$ROOT" || exit 1
. tests/lib/front.sh

B=$(cd "${SYNC_BIN_DIR:-build}" && pwd) || { echo "0 passed, 1 failed"; exit 1; }
LOAD="$B/sio-load"
T=$(mktemp -d "${TEST_TMP:-/tmp}/load.XXXXXX")
chmod 755 "$T"
PIDS=""
cleanup() {
    local p
    for p in $PIDS; do
        kill -TERM "$p" 2>/dev/null
        for _ in $(seq 1 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    front_stop
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
not_ok() { fail=$((fail + 1)); echo "not ok - $1"; [ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/    /'; }
# wait_listen PORT: until something listens on 127.0.0.1:PORT (checked with
# ss, without connecting: a bare connect+close is not what this suite tests)
wait_listen() {
    for _ in $(seq 1 100); do
        [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ] && return 0
        sleep 0.1
    done
    return 1
}
# free_port: a free port below the ephemeral range (a port that a client
# connection of another test holds in TIME_WAIT cannot be bound)
free_port() {
    local lo hi p
    read -r lo hi </proc/sys/net/ipv4/ip_local_port_range
    for _ in $(seq 1 200); do
        if [ "$lo" -gt 12000 ]; then p=$((10000 + RANDOM % (lo - 10000))); else p=$((hi + 1 + RANDOM % (65000 - hi))); fi
        [ -z "$(ss -Htan "( sport = :$p or dport = :$p )" 2>/dev/null)" ] && { echo "$p"; return 0; }
    done
    front_free_port
}
# field OUTPUT KEY: the value of KEY=... in a sio-load result line
field() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -1; }
# expect NAME OUTPUT KEY=VALUE...: every pair as stated
expect() {
    local name=$1 out=$2 kv k v got
    shift 2
    for kv in "$@"; do
        k=${kv%%=*}
        v=${kv#*=}
        got=$(field "$out" "$k")
        if [ "$got" != "$v" ]; then
            not_ok "$name" "$k=$got, want $v; output: $out"
            return
        fi
    done
    ok "$name"
}

[ -x "$LOAD" ] || { not_ok "sio-load is built"; echo "$pass passed, $fail failed"; exit 1; }

# ---- 1. pure parts -------------------------------------------------------------
out=$("$LOAD" selftest 2>"$T/selftest.err")
if [ $? = 0 ] && printf '%s' "$out" | grep -qE '^[0-9]+ passed, 0 failed$'; then
    ok "selftest ($out)"
else
    not_ok "selftest" "$out $(cat "$T/selftest.err")"
fi
for url in http://192.0.2.1:80 http://example.com:80 http://10.1.2.3:8080; do
    "$LOAD" http get --url "$url" --key k --seconds 0.1 >/dev/null 2>&1
    if [ $? = 2 ]; then ok "refuses a non-loopback target ($url)"; else not_ok "refuses $url"; fi
done
"$LOAD" nope >/dev/null 2>&1
[ $? = 2 ] && ok "unknown subcommand: exit 2" || not_ok "unknown subcommand: exit 2"

# ---- 2. HTTP through lighttpd ----------------------------------------------------
STORE=$("$B/syncctl" store create load-smoke 2>"$T/syncctl.err" | grep -oE '[0-9a-f-]{36}' | head -1)
KEY=$("$B/syncctl" key create "$STORE" --name smoke --perm read,write 2>>"$T/syncctl.err" |
      grep -oE 'sk_store_[A-Za-z0-9_-]+' | head -1)
if [ -z "$STORE" ] || [ -z "$KEY" ]; then
    not_ok "store and key for the smoke test" "$(cat "$T/syncctl.err")"
    echo "$pass passed, $fail failed"
    exit 1
fi
PORT=$(free_port)
if front_start_lighttpd "$T/front" "$PORT" 2 >"$T/front.log" 2>&1; then
    out=$("$LOAD" http put --url "$FRONT_URL" --key "$KEY" --conns 2 --seconds 0.5 --paths 5 \
          --prefix smoke/ --suffix .md --size 300 2>&1)
    expect "http put: no error" "$out" errors=0 s4xx=0 s5xx=0
    [ "$(field "$out" ok)" -gt 0 ] 2>/dev/null && ok "http put: requests made" || not_ok "http put: requests made" "$out"
    out=$("$LOAD" http get --url "$FRONT_URL" --key "$KEY" --conns 4 --seconds 0.3 --paths 5 \
          --prefix smoke/ --suffix .md 2>&1)
    expect "http get of existing files: all 200" "$out" errors=0 s4xx=0
    out=$("$LOAD" http get --url "$FRONT_URL" --key "$KEY" --conns 1 --seconds 0.2 --paths 5 \
          --prefix missing/ --suffix .md 2>&1)
    [ "$(field "$out" errors)" = "$(field "$out" requests)" ] && [ "$(field "$out" s4xx)" -gt 0 ] &&
        ok "http get of missing files: counted as errors (404)" || not_ok "http get 404s" "$out"
    out=$("$LOAD" http get --url "$FRONT_URL" --key "sk_store_000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" \
          --conns 1 --seconds 0.2 --paths 5 --prefix smoke/ 2>&1)
    [ "$(field "$out" ok)" = 0 ] && [ "$(field "$out" s4xx)" -gt 0 ] &&
        ok "http with a bad key: 401s, no success" || not_ok "bad key" "$out"
    out=$("$LOAD" http list --url "$FRONT_URL" --key "$KEY" --conns 2 --seconds 0.3 --files 5 --limit 2 2>&1)
    expect "http list: no error" "$out" errors=0
    out=$("$LOAD" http sync --url "$FRONT_URL" --key "$KEY" --inflight 3 --page 2 --seconds 20 2>&1)
    expect "http sync: pages of 2 until a short page, every file fetched" "$out" \
        complete=1 files=5 fetched=5 pages=3 errors=0
else
    not_ok "lighttpd + sync-api start" "$(tail -5 "$T/front.log")"
fi

# ---- 3. Socket.IO -----------------------------------------------------------------
if [ -x "$B/conformance-server" ]; then
    CPORT=$(free_port)
    "$B/conformance-server" --port "$CPORT" --ping-interval 25000 --ping-timeout 20000 \
        --connect-timeout 45000 --max-payload 33554432 >"$T/conformance.log" 2>&1 &
    CPID=$!
    PIDS="$CPID $PIDS"
    wait_listen "$CPORT"
    for size in 100 200000; do
        out=$("$LOAD" fanout --url "http://127.0.0.1:$CPORT" --key x --room r --sockets 5 \
              --size "$size" --messages 5 --verify 5 --pid "$CPID" 2>&1)
        expect "fan-out of $size bytes to 5 sockets through the sio layer" "$out" \
            deliveries=25 missing=0 bad=0 order_errors=0 dead=0
    done
    out=$("$LOAD" idle --url "http://127.0.0.1:$CPORT" --key x --sockets 50 --hold 0.2 --pid "$CPID" 2>&1)
    expect "50 idle sockets through the sio layer" "$out" connected=50 dead=0
else
    not_ok "conformance-server is built"
fi

if [ -x "$B/sync-gateway" ]; then
    GPORT=$(free_port)
    SYNC_GATEWAY_LISTEN="127.0.0.1:$GPORT" LOG_LEVEL=warn "$B/sync-gateway" >"$T/gateway.log" 2>&1 &
    GPID=$!
    PIDS="$GPID $PIDS"
    wait_listen "$GPORT"
    GURL="http://127.0.0.1:$GPORT"
    out=$("$LOAD" ack --url "$GURL" --key "$KEY" --seconds 0.3 --size 500 --paths 3 2>&1)
    expect "gateway: sequential modified-file acks" "$out" errors=0 lost=0 protocol_errors=0
    out=$("$LOAD" ack --url "$GURL" --key "$KEY" --seconds 0.3 --size 500 --inflight 8 --paths 50 2>&1)
    expect "gateway: 8 writes in flight" "$out" errors=0 lost=0
    out=$("$LOAD" fanout --url "$GURL" --key "$KEY" --sockets 4 --size 70000 --messages 4 --verify 4 2>&1)
    expect "gateway: fan-out to 4 sockets, content matches its hash" "$out" \
        deliveries=16 missing=0 bad=0 order_errors=0 dead=0
    out=$("$LOAD" ack --url "$GURL" --key "sk_store_000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" --seconds 0.2 2>&1)
    printf '%s' "$out" | grep -q 'INVALID_KEY' && ok "gateway: a bad key is refused with INVALID_KEY" ||
        not_ok "gateway: bad key" "$out"
    out=$("$LOAD" idle --url "$GURL" --key "$KEY" --sockets 30 --hold 0.2 --pid "$GPID" 2>&1)
    expect "gateway: 30 idle sockets" "$out" connected=30 dead=0
fi

# ---- 4. loopback floor -------------------------------------------------------------
out=$("$LOAD" tcp --size 4096 --conns 3 --seconds 0.2 2>&1)
[ -n "$(field "$out" cpu_us_per_msg)" ] && [ "$(field "$out" messages)" -gt 0 ] 2>/dev/null &&
    ok "tcp floor measurement" || not_ok "tcp floor measurement" "$out"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
