#!/usr/bin/env bash
# Replays every committed fuzz corpus through its target (normal build, no
# libFuzzer): a finding once fixed stays fixed. One test per input.
set -u
cd "$SYNC_ROOT"
pass=0
fail=0
for bin in "$SYNC_BIN_DIR"/fuzz/fuzz_*; do
    [ -x "$bin" ] || continue
    name=$(basename "$bin")
    dir="tests/fuzz/corpus/${name#fuzz_}"
    if [ ! -d "$dir" ]; then
        echo "$name: no corpus in $dir"
        fail=$((fail + 1))
        continue
    fi
    out=$("$bin" "$dir" 2>&1)
    rc=$?
    line=$(echo "$out" | tail -n 1)
    p=$(echo "$line" | sed -nE 's/^([0-9]+) passed, ([0-9]+) failed$/\1/p')
    f=$(echo "$line" | sed -nE 's/^([0-9]+) passed, ([0-9]+) failed$/\2/p')
    if [ "$rc" -ne 0 ] || [ -z "$p" ]; then
        echo "$name: exit $rc"
        echo "$out" | tail -n 20
        fail=$((fail + 1))
    else
        echo "$name: $p inputs replayed"
        pass=$((pass + p))
        fail=$((fail + f))
    fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
