#!/usr/bin/env bash
# run-all.sh BUILD_DIR [unit] - runs every test suite against one throwaway
# PostgreSQL cluster and ends with the line "N passed, N failed".
#
#   unit programs  BUILD_DIR/tests/test_*   (CUnit, see tests/unit/cutest.h)
#   suites         tests/suites/*.sh        (integration: real web servers,
#                                            the real socket.io client, faults;
#                                            SUITES='50-*' runs only those)
# Each prints its own "N passed, N failed" as its last such line and exits
# non-zero on failure; a program that crashes or prints no summary counts as
# one failure. The cluster is torn down on any exit, also on Ctrl-C.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=$(cd "$ROOT/${1:-build}" && pwd) || exit 2
MODE=${2:-all}
cd "$ROOT"
. tests/lib/pg.sh

TEST_TMP=$(mktemp -d /tmp/sync-test.XXXXXX)
chmod 755 "$TEST_TMP"
LOGS="$TEST_TMP/logs"
mkdir -p "$LOGS"
cleanup() {
    pg_destroy
    if [ "${KEEP_TEST_TMP:-0}" = 1 ]; then echo "test files kept in $TEST_TMP"; else rm -rf "$TEST_TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export SYNC_BIN_DIR="$B" TEST_TMP SYNC_ROOT="$ROOT"
export ADMIN_API_KEY="sk_admin_$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
export LOG_LEVEL=${LOG_LEVEL:-info}
# ASan: leaks are errors; UBSan: print a stack and fail.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=86}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:exitcode=86}

total_pass=0
total_fail=0
failed_names=()

# record NAME RC LOGFILE: adds the suite's own summary line to the totals.
record() {
    local name=$1 rc=$2 log=$3 line p f
    line=$(grep -E '^([A-Za-z-]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    if [ -z "$line" ]; then
        p=0; f=1
        echo "  $name: no summary line (exit $rc), counted as a failure"
    else
        p=$(echo "$line" | sed -E 's/^([A-Za-z-]+: )?([0-9]+) passed.*/\2/')
        f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
        if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
            f=1
            echo "  $name: exit $rc with no failed test reported, counted as a failure"
        fi
    fi
    total_pass=$((total_pass + p))
    total_fail=$((total_fail + f))
    if [ "$f" -ne 0 ]; then
        failed_names+=("$name")
        echo "---- $name: last lines of its output ----"
        tail -n 40 "$log"
        echo "---- end of $name ----"
    fi
    printf '%-28s %4d passed, %d failed\n' "$name" "$p" "$f"
}

echo "== throwaway PostgreSQL cluster"
pg_create "$TEST_TMP/pg" && pg_start || { echo "cannot start PostgreSQL"; echo "0 passed, 1 failed"; exit 1; }
export TEST_PG_DIR="$PG_DIR"
"$B/syncctl" migrate >"$LOGS/migrate.log" 2>&1 || {
    cat "$LOGS/migrate.log"; echo "0 passed, 1 failed"; exit 1; }

echo "== unit and database tests (CUnit)"
for t in "$B"/tests/test_*; do
    [ -x "$t" ] || continue
    name=$(basename "$t")
    timeout -k 5 300 "$t" >"$LOGS/$name.log" 2>&1
    record "$name" $? "$LOGS/$name.log"
done

if [ "$MODE" = all ]; then
    echo "== integration suites"
    for s in tests/suites/${SUITES:-*}.sh; do
        [ -f "$s" ] || continue
        name=$(basename "$s" .sh)
        timeout -k 10 600 bash "$s" >"$LOGS/$name.log" 2>&1
        record "$name" $? "$LOGS/$name.log"
    done
fi

if [ ${#failed_names[@]} -gt 0 ]; then
    echo "failed: ${failed_names[*]}"
fi
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
