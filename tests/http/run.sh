#!/usr/bin/env bash
# run.sh - runs the HTTP driver (api.test.mjs, node:test) against one front
# and prints node's result as "N passed, N failed" (cancelled tests count as
# failed; skipped ones as neither). Exit status: 0 only when nothing failed.
#
# Environment: API_BASE_URL, ADMIN_API_KEY, DATABASE_URL, FRONT_NAME and the
# optional FCGI_SOCKET, SYNC_TEST_PG_STOP, SYNC_TEST_PG_START (see the driver).
# Extra arguments go to node (e.g. --test-name-pattern=cors).
set -u
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp "${TEST_TMP:-/tmp}/http-driver.XXXXXX")
node --test --test-reporter=tap --test-timeout=120000 "$@" "$here/api.test.mjs" >"$out" 2>&1
rc=$?
# the failures, with their messages, then the summary
grep -nE '^(not ok|# (tests|pass|fail|cancelled|skipped))' "$out" | head -200
if grep -q '^not ok' "$out"; then
    echo "---- failure details ----"
    awk '/^not ok/{p=1} /^ok /{p=0} p' "$out" | head -400
fi
get() { sed -nE "s/^# $1 ([0-9]+)\$/\\1/p" "$out" | tail -n 1; }
pass=$(get pass); fail=$(get fail); cancelled=$(get cancelled)
pass=${pass:-0}; fail=$((${fail:-0} + ${cancelled:-0}))
if [ -z "$(get tests)" ]; then
    echo "the driver printed no summary (exit $rc):"
    tail -n 30 "$out"
    fail=$((fail + 1))
fi
[ "${KEEP_DRIVER_LOG:-0}" = 1 ] && echo "driver output kept in $out" || rm -f "$out"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$rc" -eq 0 ]
