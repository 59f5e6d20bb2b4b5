#!/usr/bin/env bash
# 80-security-stores.sh - store isolation and key revocation, through
# lighttpd + sync-api and sync-gateway: tests/node/sec-stores.mjs.
# Every key of store A against every REST route and socket event, aimed at
# store B's paths, filters and ids: B's rows and listings compared in full
# before and after. A revoked key: 401 at once on REST, its sockets closed
# within 1 s (measured); a deleted store's sockets too.
set -u
. "$(dirname "$0")/../faults/lib.sh"
fl_init security-stores

fl_front "$WORK/front" 2 || fl_abort "lighttpd + sync-api start"
GW_URL=""
if [ "$FL_HAVE_GW" = 1 ]; then
    fl_gateway_start "$WORK/gateway.log" || fl_abort "sync-gateway starts"
fi
echo "# lighttpd on $FRONT_URL, sync-gateway on ${GW_URL:-(none)}"
export API_URL=$FRONT_URL GW_URL PSQL=$PG_BIN/psql SYNCCTL=$B/syncctl
fl_node stores tests/node/sec-stores.mjs
[ "$FL_HAVE_GW" = 1 ] && check "sync-gateway still running" kill -0 "$GW_PID"

fl_cleanup
fl_sanitizer_check "sync-api" "$FRONT_API_LOG"
[ "$FL_HAVE_GW" = 1 ] && fl_sanitizer_check "sync-gateway" "$WORK/gateway.log"
fl_summary
