#!/usr/bin/env bash
# 20-protocol.sh - the Engine.IO/Socket.IO layer against the real
# socket.io-client 4.8.1: starts build/conformance-server on a free loopback
# port and runs tests/node/protocol.test.mjs with node's test runner.
# Prints node's counts as "N passed, N failed".
set -u
ROOT=${SYNC_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BIN=${SYNC_BIN_DIR:-$ROOT/build}
OWN_TMP=""
if [ -z "${TEST_TMP:-}" ]; then
    OWN_TMP=$(mktemp -d /tmp/sio-protocol.XXXXXX)
fi
TMP=${TEST_TMP:-$OWN_TMP}
LOG="$TMP/conformance-server.log"
TLS_LOG="$TMP/conformance-server-tls.log"
SERVER=""
TLS_SERVER=""

# stop_server: SIGTERM, wait up to 5 s, then SIGKILL; sets SERVER_RC.
SERVER_RC=""
stop_server() {
    [ -n "$SERVER" ] || return 0
    if kill -0 "$SERVER" 2>/dev/null; then
        kill "$SERVER" 2>/dev/null
        for _ in $(seq 50); do kill -0 "$SERVER" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$SERVER" 2>/dev/null
    fi
    wait "$SERVER" 2>/dev/null
    SERVER_RC=$?
    SERVER=""
}
finish() {
    stop_server
    if [ -n "$TLS_SERVER" ]; then
        kill "$TLS_SERVER" 2>/dev/null
        wait "$TLS_SERVER" 2>/dev/null
    fi
    [ -n "$OWN_TMP" ] && rm -rf "$OWN_TMP"
}
trap finish EXIT
trap 'exit 130' INT TERM

fail_early() {
    echo "$1"
    [ -f "$LOG" ] && tail -n 20 "$LOG"
    echo "0 passed, 1 failed"
    exit 1
}

[ -x "$BIN/conformance-server" ] || fail_early "no $BIN/conformance-server"
[ -d "$ROOT/tests/node/node_modules/socket.io-client" ] || fail_early "node modules missing: make node-deps"

"$BIN/conformance-server" --port 0 --max-payload 33554432 --ping-interval 25000 \
    --ping-timeout 20000 --connect-timeout 45000 --cors "https://allowed.example" \
    >"$LOG" 2>&1 &
SERVER=$!

port=""
for _ in $(seq 100); do
    port=$(sed -nE 's/^conformance-server listening on [0-9.]+:([0-9]+)$/\1/p' "$LOG" | head -n 1)
    [ -n "$port" ] && break
    kill -0 "$SERVER" 2>/dev/null || break
    sleep 0.1
done
[ -n "$port" ] || fail_early "conformance-server did not start"
echo "conformance-server pid $SERVER on 127.0.0.1:$port"

# the same over TLS with a throwaway self-signed certificate
tls_url=""
tls_failed=0
if command -v openssl >/dev/null 2>&1 &&
   openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/tls-key.pem" -out "$TMP/tls-cert.pem" \
       -days 1 -subj "/CN=127.0.0.1" >/dev/null 2>&1; then
    "$BIN/conformance-server" --port 0 --ping-interval 25000 --ping-timeout 20000 \
        --tls-cert "$TMP/tls-cert.pem" --tls-key "$TMP/tls-key.pem" >"$TLS_LOG" 2>&1 &
    TLS_SERVER=$!
    for _ in $(seq 100); do
        tls_port=$(sed -nE 's/^conformance-server listening on [0-9.]+:([0-9]+)$/\1/p' "$TLS_LOG" | head -n 1)
        [ -n "$tls_port" ] && break
        kill -0 "$TLS_SERVER" 2>/dev/null || break
        sleep 0.1
    done
    [ -n "${tls_port:-}" ] && tls_url="https://127.0.0.1:$tls_port"
    [ -n "$tls_url" ] || { echo "TLS server did not start:"; cat "$TLS_LOG"; tls_failed=1; }
fi

out="$TMP/protocol-node.tap"
cd "$ROOT"
SIO_URL="http://127.0.0.1:$port" SIO_TLS_URL="$tls_url" timeout -k 5 300 \
    node --test --test-reporter=tap tests/node/protocol.test.mjs >"$out" 2>&1
rc=$?
cat "$out"

pass=$(sed -nE 's/^# pass ([0-9]+)$/\1/p' "$out" | tail -n 1)
fail=$(sed -nE 's/^# fail ([0-9]+)$/\1/p' "$out" | tail -n 1)
cancelled=$(sed -nE 's/^# cancelled ([0-9]+)$/\1/p' "$out" | tail -n 1)
pass=${pass:-0}
fail=$(( ${fail:-0} + ${cancelled:-0} + tls_failed ))
if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
    fail=1
fi
if ! kill -0 "$SERVER" 2>/dev/null; then
    echo "conformance-server died during the tests:"
    tail -n 30 "$LOG"
    fail=$((fail + 1))
fi
# a clean stop: exit 0 and nothing from the sanitizers (SAN=1 builds)
stop_server
if [ "$SERVER_RC" != 0 ] || grep -qE 'AddressSanitizer|LeakSanitizer|runtime error' "$LOG"; then
    echo "conformance-server did not stop cleanly (exit $SERVER_RC):"
    tail -n 40 "$LOG"
    fail=$((fail + 1))
else
    pass=$((pass + 1))
    echo "ok - conformance-server stopped cleanly"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
