#!/usr/bin/env bash
# Security checks over the build and the whole test run (this suite runs last):
#  - the admin key comparison goes through the constant-time call;
#  - no server log of the run holds a full API key (store keys have a
#    recognisable shape; the admin key is known), only prefixes.
set -u
cd "$SYNC_ROOT"
pass=0
fail=0
ok()  { echo "ok   $*"; pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }

obj="$SYNC_BIN_DIR/obj/common"
# svc_auth.o compares keys only through hash_equal_ct, which is CRYPTO_memcmp.
if nm -u "$obj/svc_auth.o" | grep -qw hash_equal_ct &&
   nm -u "$obj/hash.o" | grep -qw CRYPTO_memcmp; then
    ok "admin key compared with CRYPTO_memcmp (constant time)"
else
    bad "admin key comparison does not go through CRYPTO_memcmp"
fi
if nm -u "$obj/svc_auth.o" | grep -qwE 'memcmp|strcmp|strncmp|bcmp'; then
    bad "svc_auth.o calls a variable-time comparison"
else
    ok "svc_auth.o calls no variable-time comparison"
fi

# Every log file servers wrote during this run (suites keep theirs under
# TEST_TMP; the suites' own stdout in TEST_TMP/logs is not a server log).
mapfile -t logs < <(find "$TEST_TMP" -path "$TEST_TMP/logs" -prune -o -type f \
    \( -name '*.log' -o -name '*error*' -o -name '*stderr*' \) -print 2>/dev/null)
if [ ${#logs[@]} -eq 0 ]; then
    bad "no server logs found under the test directory"
else
    hits=$(grep -lE 'sk_store_[0-9a-f]{6}_[A-Za-z0-9_-]{32}' "${logs[@]}" 2>/dev/null | head -3)
    if [ -n "$hits" ]; then bad "a full store key in: $hits"; else ok "no full store key in ${#logs[@]} log files"; fi
    hits=$(grep -lF "$ADMIN_API_KEY" "${logs[@]}" 2>/dev/null | head -3)
    if [ -n "$hits" ]; then bad "the admin key in: $hits"; else ok "the admin key is in no log"; fi
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
