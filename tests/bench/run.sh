#!/usr/bin/env bash
# run.sh BUILD_DIR - `make bench`: the server against the machine's own limits,
# measured in one run, printed as one table (tests/bench/report.js) and kept
# as JSON under bench/results/.
#
# It starts its own stack: a throwaway PostgreSQL 15 with fsync on, lighttpd
# with BENCH_API_PROCS sync-api processes (mod_fastcgi), and sync-gateway when
# it is built. Limits and product figures come from the same run:
#   limits    pg_test_fsync; pgbench of the exact write transaction (1/16
#             clients x one/16 stores), of file_get and of the list page + total;
#             loopback TCP send cost (sio-load tcp), the floor of a delivery
#   REST      PUT/GET/list through lighttpd with sio-load http, the plugin's
#             initial sync of 10,000 files, sync-api CPU per request and RSS
#   gateway   socket acks, writes in flight, fan-out to 10/100/500 sockets of
#             1 KiB/100 KiB/1 MiB, memory of idle sockets and of a broadcast,
#             and a cross-check of sio-load against socket.io-client receivers
#
# Every load is bounded in time and on loopback only; every server started
# here is stopped by pid on exit, also on failure or Ctrl-C.
#
# Environment: BENCH_SECONDS (per load, default 5), BENCH_API_PROCS (4),
# BENCH_BUDGET (seconds for this script, default 480: with the build, make
# bench stays under 10 minutes; a load that would start past it is skipped
# and shown as such), BENCH_KEEP=1 keeps the run directory, BENCH_RESULTS
# (default bench/results).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
B=$(cd "${1:-build-bench}" 2>/dev/null && pwd) || { echo "bench: build directory ${1:-build-bench} missing (make BENCH=1 all)"; exit 2; }
. tests/lib/pg.sh
if [ -f tests/lib/front.sh ]; then
    . tests/lib/front.sh
else
    echo "bench: tests/lib/front.sh is missing (it starts lighttpd)"; exit 2
fi

export SYNC_BIN_DIR="$B"           # front.sh starts this build's sync-api
SECS=${BENCH_SECONDS:-5}
API_PROCS=${BENCH_API_PROCS:-4}
RESULTS_DIR=${BENCH_RESULTS:-$ROOT/bench/results}
LOAD="$B/sio-load"
PGBIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
T0=$(date +%s.%N)
BUDGET_END=$(( $(date +%s) + ${BENCH_BUDGET:-480} ))

RUN=$(mktemp -d /tmp/sync-bench.XXXXXX)
chmod 755 "$RUN"
RES="$RUN/results.jsonl"
: >"$RES"
GW_PID=""
BG_PIDS=""

cleanup() {
    local p
    for p in $BG_PIDS; do
        kill -TERM "$p" 2>/dev/null
    done
    if [ -n "$GW_PID" ]; then
        kill -TERM "$GW_PID" 2>/dev/null
        for _ in $(seq 1 50); do kill -0 "$GW_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$GW_PID" 2>/dev/null
        wait "$GW_PID" 2>/dev/null
    fi
    front_stop
    pg_destroy
    if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "bench: files kept in $RUN"; else rm -rf "$RUN"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)"

say() { printf '== %s\n' "$*" >&2; }

# rec NAME [key=value ...]: one JSON line into the results (numbers stay numbers).
rec() {
    local name=$1
    shift
    printf '%s\n' "$*" | awk -v name="$name" '
        function q(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); return "\"" s "\"" }
        { out = "{\"name\":" q(name)
          for (i = 1; i <= NF; i++) {
              k = $i; sub(/=.*/, "", k); v = substr($i, length(k) + 2)
              if (k == "") continue
              if (v ~ /^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$/) out = out "," q(k) ":" v
              else out = out "," q(k) ":" q(v)
          }
          print out "}" }' >>"$RES"
}

# rec_text NAME KEY TEXT: a free-text value (spaces kept).
rec_text() {
    node -e 'console.log(JSON.stringify({name: process.argv[1], [process.argv[2]]: process.argv[3]}))' \
        "$1" "$2" "$3" >>"$RES"
}

psql_q() { "$PGBIN/psql" -qAtX -v ON_ERROR_STOP=1 "$@"; }

# bench_port: a free TCP port below the ephemeral range (the loads open
# thousands of client connections whose local ports would collide), checked
# with ss without connecting to it.
bench_port() {
    local lo hi p
    read -r lo hi </proc/sys/net/ipv4/ip_local_port_range
    for _ in $(seq 1 200); do
        if [ "$lo" -gt 12000 ]; then p=$((10000 + RANDOM % (lo - 10000))); else p=$((hi + 1 + RANDOM % (65000 - hi))); fi
        [ -z "$(ss -Htan "( sport = :$p or dport = :$p )" 2>/dev/null)" ] && { echo "$p"; return 0; }
    done
    front_free_port
}

# tcp_floor SIZE: the kernel's CPU per SIZE-byte message sent over loopback
# TCP to 500 connections, the floor of a gateway delivery (measured right
# before the fan-out it is compared with).
tcp_floor() {
    local out
    in_budget "tcp_$1" 5 || return 0
    out=$(timeout -k 5 30 "$LOAD" tcp --size "$1" --conns 500 --seconds 2)
    rec "tcp_$1" $out
    say "  loopback TCP floor: $out"
}

# in_budget NAME SECONDS: true if a load of about SECONDS still fits in the
# time budget; otherwise records NAME as skipped.
in_budget() {
    if [ $(( $(date +%s) + $2 )) -le "$BUDGET_END" ]; then return 0; fi
    rec "$1" skipped=1
    say "  $1: skipped (time budget)"
    return 1
}

cpu_ticks() {      # summed utime+stime of the given pids
    local t=0 p v
    for p in "$@"; do
        v=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$p/stat" 2>/dev/null) || continue
        t=$((t + ${v:-0}))
    done
    echo "$t"
}
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
anon_kb() { awk '/^RssAnon:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
# private memory (USS): what one more process of the same program costs
uss_kb() { awk '/^Private_(Clean|Dirty):/ { s += $2 } END { print s + 0 }' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0; }
pss_kb() { awk '/^Pss:/ { print $2 }' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0; }
CLK_TCK=$(getconf CLK_TCK)

# ---------------------------------------------------------------------------
say "machine"
# The load average says how busy the machine was with other work.
rec machine load_start="$(cut -d' ' -f1 /proc/loadavg)" cores="$(nproc)" mem_mb="$(free -m | awk '/^Mem:/ { print $2 }')" \
    kernel="$(uname -r)" clk_tck="$CLK_TCK" secs="$SECS" api_procs="$API_PROCS"
rec_text machine_cpu model "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
rec_text machine_pg version "$("$PGBIN/postgres" --version)"
rec_text machine_date date "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
rec_text machine_commit commit "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)$(git -C "$ROOT" diff --quiet 2>/dev/null || echo '+dirty')"

# ---------------------------------------------------------------------------
say "disk flush time (pg_test_fsync, first section only)"
mkdir -p "$RUN/fsync"
"$PGBIN/pg_test_fsync" -s 1 -f "$RUN/fsync/test.out" >"$RUN/fsync/out.txt" 2>&1 &
FS_PID=$!
BG_PIDS="$FS_PID"
for _ in $(seq 1 150); do
    grep -q 'two 8kB writes' "$RUN/fsync/out.txt" 2>/dev/null && break
    kill -0 "$FS_PID" 2>/dev/null || break
    sleep 0.1
done
kill -TERM "$FS_PID" 2>/dev/null
wait "$FS_PID" 2>/dev/null
BG_PIDS=""
fdatasync_us=$(awk '/one 8kB write/ { s = 1 } s && $1 == "fdatasync" { print $(NF-1); exit }' "$RUN/fsync/out.txt")
rec fsync fdatasync_us="${fdatasync_us:-0}"

# ---------------------------------------------------------------------------
say "PostgreSQL (fsync on)"
pg_create "$RUN/pg" fsync && pg_start || { echo "bench: cannot start PostgreSQL"; exit 1; }
export ADMIN_API_KEY="sk_admin_$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
export LOG_LEVEL=warn
"$B/syncctl" migrate >"$RUN/migrate.log" 2>&1 || { cat "$RUN/migrate.log"; exit 1; }

# Stores with fixed ids: 16 write stores ...-0..15, the read store (10,000
# files of 2 KiB), the ack store and the fan-out store.
sid() { printf '00000000-0000-4000-8000-%012d' "$1"; }
READ_STORE=$(sid 100)
ACK_STORE=$(sid 101)
FAN_STORE=$(sid 102)
{
    for i in $(seq 0 15); do echo "INSERT INTO stores (id, name) VALUES ('$(sid "$i")', 'write $i');"; done
    echo "INSERT INTO stores (id, name) VALUES ('$READ_STORE', 'read'), ('$ACK_STORE', 'ack'), ('$FAN_STORE', 'fanout');"
} | psql_q >/dev/null || exit 1
say "seeding 10,000 files of 2 KiB"
psql_q >/dev/null <<EOF || exit 1
SELECT count(*) FROM generate_series(1, 10000) i
 CROSS JOIN LATERAL (SELECT rpad('note ' || i || ' ', 2048, 'lorem ipsum dolor sit amet ') AS c) x
 CROSS JOIN LATERAL sync_file_write('$READ_STORE', 'notes/' || i || '.md', x.c,
       'sha256:' || encode(sha256(convert_to(x.c, 'UTF8')), 'hex'), 2048, false, 'md', NULL,
       'upsert', NULL) w;
VACUUM ANALYZE;
EOF

# ---------------------------------------------------------------------------
GW_STATE="not built"
GW_URL=""
# as the shipped units and make run start them (GnuTLS's eager init skipped)
export GNUTLS_NO_IMPLICIT_INIT=1
if [ -x "$B/sync-gateway" ]; then
    say "sync-gateway"
    GW_PORT=$(bench_port)
    SYNC_GATEWAY_LISTEN="127.0.0.1:$GW_PORT" "$B/sync-gateway" >>"$RUN/gateway.log" 2>&1 &
    GW_PID=$!
    GW_STATE="failed to start"
    for _ in $(seq 1 100); do
        kill -0 "$GW_PID" 2>/dev/null || break
        # checked without connecting: a bare connect+close is no request
        if [ -n "$(ss -Hltn "sport = :$GW_PORT" 2>/dev/null)" ]; then GW_STATE=up; break; fi
        sleep 0.1
    done
    if [ "$GW_STATE" = up ]; then
        GW_URL="http://127.0.0.1:$GW_PORT"
        sleep 0.5
        rec gw_start rss_kb="$(rss_kb "$GW_PID")" uss_kb="$(uss_kb "$GW_PID")"
    else
        tail -5 "$RUN/gateway.log" >&2
    fi
fi
rec_text gateway state "$GW_STATE"

say "lighttpd + $API_PROCS sync-api"
FRONT_PORT=$(bench_port)
front_start_lighttpd "$RUN/front" "$FRONT_PORT" "$API_PROCS" || { echo "bench: cannot start lighttpd"; exit 1; }
LIGHTTPD_PID=${FRONT_PIDS%% *}
API_PIDS=$(ps -o pid= --ppid "$LIGHTTPD_PID" | tr -d ' ' | tr '\n' ' ')
[ -n "$API_PIDS" ] || { echo "bench: no sync-api process under lighttpd"; exit 1; }

# One read+write key per store, made through the admin API.
make_key() {
    curl -s -m 5 -X POST -H "X-API-Key: $ADMIN_API_KEY" -H 'Content-Type: application/json' \
        -d '{"name":"bench","permissions":["read","write"]}' \
        "$FRONT_URL/api/v1/admin/stores/$1/keys" | sed -n 's/.*"key":"\([^"]*\)".*/\1/p'
}
WKEYS=()
for i in $(seq 0 15); do WKEYS+=("$(make_key "$(sid "$i")")"); done
READ_KEY=$(make_key "$READ_STORE")
ACK_KEY=$(make_key "$ACK_STORE")
FAN_KEY=$(make_key "$FAN_STORE")
for k in "${WKEYS[@]}" "$READ_KEY" "$ACK_KEY" "$FAN_KEY"; do
    [ -n "$k" ] || { echo "bench: could not create API keys"; tail -5 "$FRONT_API_LOG"; exit 1; }
done
ALL_WKEYS=$(IFS=,; echo "${WKEYS[*]}")

# ---------------------------------------------------------------------------
# pgbench: NAME SCRIPT MODE CLIENTS [-D ...]; TPS and p50 from the per-transaction log.
CONTENT_1K=$(head -c 768 /dev/urandom | base64 -w0 | head -c 1024)
# Every limit and the product figure it is compared with run in alternating
# one-second slices (limit, product, limit, product, ...), each aggregated
# over its slices, so that load from outside the benchmark (other work on a
# shared machine comes in bursts) weighs on both alike.
SLICES=$SECS

# pct FILE...: "n p50_ms p90_ms p99_ms" of the latencies (µs per line) in FILE...
pct() {
    cat "$@" 2>/dev/null | sort -n | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print 0, 0, 0, 0; exit }
        a = int(NR * 0.5 + 0.999999); b = int(NR * 0.9 + 0.999999); c = int(NR * 0.99 + 0.999999)
        printf "%d %.3f %.3f %.3f\n", NR, v[a] / 1000, v[b] / 1000, v[c] / 1000 }'
}

# pgb_slice NAME SCRIPT MODE CLIENTS [-D ...]: one second of pgbench; its
# transactions and per-transaction latencies are kept for pgb_rec.
pgb_slice() {
    local name=$1 script=$2 mode=$3 clients=$4 d out n tps
    shift 4
    d="$RUN/pgb/$name"
    mkdir -p "$d"
    out=$(cd "$d" && timeout -k 5 30 "$PGBIN/pgbench" -n -M "$mode" -f "$ROOT/tests/bench/$script" \
          -c "$clients" -j $((clients < 2 ? 1 : 2)) -T 1 -l --log-prefix=tx "$@" sync 2>&1)
    n=$(printf '%s\n' "$out" | awk '/actually processed:/ { print $NF; exit }')
    tps=$(printf '%s\n' "$out" | awk '/^tps = / { print $3; exit }')
    if [ -z "$n" ] || [ -z "$tps" ]; then
        printf '%s\n' "$out" | tail -3 >&2
        return 1
    fi
    echo "$n $tps" >>"$d/acc"
    cat "$d"/tx.* | awk '{ print $3 }' >>"$d/lat"
    rm -f "$d"/tx.*
}

# pgb_rec NAME CLIENTS: TPS over all slices (transactions / their time) and
# latency percentiles from every transaction.
pgb_rec() {
    local name=$1 clients=$2 d="$RUN/pgb/$1" tps n p50 p90 p99
    tps=$(awk '{ n += $1; if ($2 > 0) t += $1 / $2 } END { printf "%.1f", (t > 0 ? n / t : 0) }' "$d/acc" 2>/dev/null)
    read -r n p50 p90 p99 < <(pct "$d/lat")
    rec "$name" tps="${tps:-0}" p50_ms="$p50" p90_ms="$p90" p99_ms="$p99" txns="$n" clients="$clients" \
        slices="$(wc -l <"$d/acc" 2>/dev/null || echo 0)"
    say "  $name: ${tps:-0} TPS, p50 $p50 ms"
}

# pgb NAME SCRIPT MODE CLIENTS [-D ...]: a limit on its own (SLICES seconds).
pgb() {
    local k
    in_budget "$1" $((SECS + 5)) || return 0
    for k in $(seq 1 "$SLICES"); do pgb_slice "$@"; done
    pgb_rec "$1" "$4"
}

# http_slice NAME sio-load-http-args...: one second of sio-load http; its
# output, latencies and the CPU time sync-api and lighttpd spent are kept.
http_slice() {
    local name=$1 d t0 t1 l0 l1 out
    shift
    d="$RUN/http/$name"
    mkdir -p "$d"
    t0=$(cpu_ticks $API_PIDS)
    l0=$(cpu_ticks "$LIGHTTPD_PID")
    out=$(timeout -k 5 90 "$LOAD" http "$@" --seconds 1 --url "$FRONT_URL" --lat-file "$d/lat")
    t1=$(cpu_ticks $API_PIDS)
    l1=$(cpu_ticks "$LIGHTTPD_PID")
    echo "$out api_ticks=$((t1 - t0)) lighttpd_ticks=$((l1 - l0))" >>"$d/outs"
}

# http_rec NAME: sums over the slices; rate = successful requests / time.
http_rec() {
    local name=$1 d="$RUN/http/$1" sums n p50 p90 p99
    sums=$(awk -v hz="$CLK_TCK" '{
            for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] += kv[2] } }
        END { ok = v["ok"]; s = v["seconds"]
              printf "requests=%d ok=%d errors=%d retried=%d seconds=%.3f rps=%.1f s2xx=%d s3xx=%d s4xx=%d s5xx=%d bytes_in=%d ",
                  v["requests"], ok, v["errors"], v["retried"], s, (s > 0 ? ok / s : 0),
                  v["s2xx"], v["s3xx"], v["s4xx"], v["s5xx"], v["bytes_in"]
              printf "api_cpu_ms=%.4f lighttpd_cpu_ms=%.4f",
                  (ok ? v["api_ticks"] * 1000 / hz / ok : 0), (ok ? v["lighttpd_ticks"] * 1000 / hz / ok : 0) }' \
        "$d/outs" 2>/dev/null)
    read -r n p50 p90 p99 < <(pct "$d/lat")
    rec "$name" $sums p50_ms="$p50" p90_ms="$p90" p99_ms="$p99" \
        slices="$(wc -l <"$d/outs" 2>/dev/null || echo 0)"
    say "  $name: $(printf '%s' "$sums" | tr ' ' '\n' | grep -E '^(rps|errors|api_cpu_ms)=' | tr '\n' ' ')p50_ms=$p50"
}

# pair PGNAME "PGBENCH ARGS" HTTPNAME "SIO-LOAD ARGS": alternating slices.
# (Arguments are word-split; none of them contains spaces.)
pair() {
    local pgname=$1 pgargs=$2 hname=$3 hargs=$4 k
    in_budget "$pgname" $((2 * SECS + 10)) || { rec "$hname" skipped=1; return 0; }
    for k in $(seq 1 "$SLICES"); do
        # shellcheck disable=SC2086
        pgb_slice "$pgname" $pgargs
        # shellcheck disable=SC2086
        http_slice "$hname" $hargs
    done
    pgb_rec "$pgname" "$(echo $pgargs | cut -d' ' -f3)"
    http_rec "$hname"
}

say "the write transaction: pgbench and PUT /files through lighttpd, alternating"
for c in 1 16; do
    for s in 1 16; do
        if [ "$s" = 1 ]; then keys=${WKEYS[0]}; else keys=$ALL_WKEYS; fi
        psql_q -c CHECKPOINT >/dev/null
        pair "pg_write_c${c}_s${s}" \
            "pg_write.sql prepared $c -D nclients=$c -D nstores=$s -D paths=100000 -D content=$CONTENT_1K" \
            "rest_put_c${c}_s${s}" \
            "put --key $keys --conns $c --size 1024 --paths 100000 --prefix rest/ --suffix .md"
    done
done
say "one file: pgbench file_get and auth + file_get, GET /files?path="
pgb pg_auth_get_c16 pg_auth_get.sql prepared 16 -D store="$READ_STORE" -D files=10000 \
    -D keyhash="$(printf '%s' "$READ_KEY" | sha256sum | cut -d' ' -f1)"
pair pg_get_c16 "pg_get.sql prepared 16 -D store=$READ_STORE -D files=10000" \
    rest_get_c16 "get --key $READ_KEY --conns 16 --paths 10000 --prefix notes/ --suffix .md"
say "list page + total: pgbench list_sql and GET /files?limit=100&offset=, alternating"
pair pg_list_c16 "pg_list.sql extended 16 -D store=$READ_STORE -D files=10000" \
    rest_list_c16 "list --key $READ_KEY --conns 16 --files 10000 --limit 100"
say "initial sync as the plugin does it"
if in_budget rest_sync 10; then
    t0=$(cpu_ticks $API_PIDS)
    out=$(timeout -k 5 90 "$LOAD" http sync --key "$READ_KEY" --inflight 8 --page 1000 --seconds 60 \
          --url "$FRONT_URL")
    t1=$(cpu_ticks $API_PIDS)
    rec rest_sync $out api_ticks=$((t1 - t0))
    say "  rest_sync: $(printf '%s' "$out" | tr ' ' '\n' | grep -E '^(seconds|files|fetched|complete|errors)=' | tr '\n' ' ')"
fi
api_rss_max=0 api_uss_max=0 api_pss_max=0
for p in $API_PIDS; do
    r=$(rss_kb "$p"); u=$(uss_kb "$p"); q=$(pss_kb "$p")
    [ "${r:-0}" -gt "$api_rss_max" ] && api_rss_max=$r
    [ "${u:-0}" -gt "$api_uss_max" ] && api_uss_max=$u
    [ "${q:-0}" -gt "$api_pss_max" ] && api_pss_max=$q
done
rec api_mem rss_kb_max="$api_rss_max" uss_kb_max="$api_uss_max" pss_kb_max="$api_pss_max" \
    procs="$(echo $API_PIDS | wc -w)"

# ---------------------------------------------------------------------------
if [ "$GW_STATE" = up ]; then
    . "$ROOT/tests/bench/gateway.sh"
else
    say "loopback TCP: the kernel's CPU per message sent (the floor of a delivery)"
    tcp_floor 1024
    tcp_floor 1048576
fi

# ---------------------------------------------------------------------------
T1=$(date +%s.%N)
rec run seconds="$(awk -v a="$T0" -v b="$T1" 'BEGIN { printf "%.1f", b - a }')" \
    load_end="$(cut -d' ' -f1 /proc/loadavg)"
mkdir -p "$RESULTS_DIR"
node "$ROOT/tests/bench/report.js" "$RES" "$RESULTS_DIR"
