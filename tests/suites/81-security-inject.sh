#!/usr/bin/env bash
# 81-security-inject.sh - SQL and LIKE injection strings in every parameter,
# through lighttpd + sync-api and sync-gateway: tests/node/sec-inject.mjs.
# Everything must be stored or matched literally, byte for byte.
set -u
. "$(dirname "$0")/../faults/lib.sh"
fl_init security-inject

fl_front "$WORK/front" 2 || fl_abort "lighttpd + sync-api start"
GW_URL=""
if [ "$FL_HAVE_GW" = 1 ]; then
    fl_gateway_start "$WORK/gateway.log" || fl_abort "sync-gateway starts"
fi
echo "# lighttpd on $FRONT_URL, sync-gateway on ${GW_URL:-(none)}"
export API_URL=$FRONT_URL GW_URL PSQL=$PG_BIN/psql
fl_node inject tests/node/sec-inject.mjs
[ "$FL_HAVE_GW" = 1 ] && check "sync-gateway still running" kill -0 "$GW_PID"
n=$(grep -cE '^(500|502|504) ' "$FRONT_ACCESS_LOG")
check "lighttpd: no 500/502/504 answer in $(wc -l <"$FRONT_ACCESS_LOG") requests" [ "$n" -eq 0 ]

fl_cleanup
fl_sanitizer_check "sync-api" "$FRONT_API_LOG"
[ "$FL_HAVE_GW" = 1 ] && fl_sanitizer_check "sync-gateway" "$WORK/gateway.log"
fl_summary
