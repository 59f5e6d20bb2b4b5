#!/usr/bin/env bash
# run.sh BUILD_DIR SECONDS - runs every libFuzzer target for SECONDS each,
# starting from its committed seed corpus (tests/fuzz/corpus/<name>/, the
# protocol vectors included). Any crash, leak, timeout or out-of-memory is a
# finding: the run fails and names the reproducer file.
set -u
cd "$(dirname "$0")/../.."
B=$1
SECONDS_EACH=${2:-60}
work="$B/fuzz-work"
mkdir -p "$work"
pass=0
fail=0
for bin in "$B"/fuzz/fuzz_*; do
    [ -x "$bin" ] || continue
    name=$(basename "$bin")
    seeds="tests/fuzz/corpus/${name#fuzz_}"
    corpus="$work/corpus-${name#fuzz_}"
    mkdir -p "$corpus" "$work/findings-$name"
    echo "== $name for ${SECONDS_EACH}s"
    if timeout -k 10 $((SECONDS_EACH + 120)) "$bin" -max_total_time="$SECONDS_EACH" \
        -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
        -artifact_prefix="$work/findings-$name/" "$corpus" $( [ -d "$seeds" ] && echo "$seeds" ) \
        >"$work/$name.log" 2>&1; then
        runs=$(grep -E '^stat::number_of_executed_units' "$work/$name.log" | awk '{print $2}')
        echo "   clean: ${runs:-?} runs in ${SECONDS_EACH}s"
        pass=$((pass + 1))
    else
        echo "   FINDING: see $work/$name.log and $work/findings-$name/"
        grep -E 'ERROR|invariant|SUMMARY' "$work/$name.log" | head -5
        fail=$((fail + 1))
    fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
