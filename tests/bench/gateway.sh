# gateway.sh - the gateway part of `make bench`, sourced by run.sh once
# sync-gateway is up (GW_URL, GW_PID, ACK_KEY, FAN_KEY, LOAD, RUN, SECS set).
# Sockets connect straight to the gateway (no web server in between), as
# sio-load WebSocket clients with ?EIO=4&transport=websocket&apiKey=KEY.

# gw NAME SUBCOMMAND ARGS...: one bounded sio-load run against the gateway.
gw() {
    local name=$1 out
    shift
    if [ -n "$GW_BROKEN" ]; then
        rec "$name" skipped=1
        say "  $name: skipped ($GW_BROKEN)"
        return 0
    fi
    in_budget "$name" $((SECS + 10)) || return 0
    out=$(timeout -k 5 $((SECS * 2 + 60)) "$LOAD" "$@" --url "$GW_URL" --pid "$GW_PID" \
          --ready-timeout 20 2>"$RUN/$name.err")
    if ! kill -0 "$GW_PID" 2>/dev/null; then
        GW_BROKEN="the gateway died during $name"
    elif printf '%s' "$out" | grep -qE '(^| )(ready|connected)=0( |$)'; then
        GW_BROKEN="no socket could connect in $name"
    fi
    if [ -z "$out" ]; then
        out="failed=1"
        sed 's/^/    /' "$RUN/$name.err" | tail -3 >&2
    elif [ -s "$RUN/$name.err" ]; then
        sed 's/^/    /' "$RUN/$name.err" | tail -3 >&2
    fi
    rec "$name" $out
    say "  $name: $(printf '%s' "$out" | tr ' ' '\n' |
        grep -E '^(rate|p50_ms|p99_ms|deliveries_per_s|cpu_us_per_(op|delivery)|errors|missing|bad|delta_kb|connected|rss_growth_kb)=' | tr '\n' ' ')"
}

GW_BROKEN=""
kill -0 "$GW_PID" 2>/dev/null || GW_BROKEN="the gateway died before its measurements"

say "gateway: memory of 1,000 idle sockets"
gw gw_idle idle --key "$FAN_KEY" --sockets 1000 --hold 2

say "gateway: sequential acks, alternating with pgbench of the same transaction at 1 client"
# (the limit measured again here: the REST loads have grown the tables)
if [ -z "$GW_BROKEN" ] && in_budget gw_ack $((2 * SECS + 10)); then
    psql_q -c CHECKPOINT >/dev/null
    mkdir -p "$RUN/ack"
    for k in $(seq 1 "$SLICES"); do
        pgb_slice pg_write_c1_s1_gw pg_write.sql prepared 1 -D nclients=1 -D nstores=1 \
            -D paths=100000 -D content="$CONTENT_1K"
        timeout -k 5 60 "$LOAD" ack --url "$GW_URL" --pid "$GW_PID" --key "$ACK_KEY" --seconds 1 \
            --size 1024 --inflight 1 --paths 100 --ready-timeout 20 --lat-file "$RUN/ack/lat" \
            >>"$RUN/ack/outs" 2>>"$RUN/ack/err"
    done
    pgb_rec pg_write_c1_s1_gw 1
    sums=$(awk '{ delete f
                  for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2]; v[kv[1]] += kv[2] }
                  cpu += f["acks"] * f["cpu_us_per_op"] }
           END { printf "acks=%d errors=%d lost=%d seconds=%.3f rate=%.1f cpu_us_per_op=%.1f protocol_errors=%d",
                 v["acks"], v["errors"], v["lost"], v["seconds"], (v["seconds"] > 0 ? v["acks"] / v["seconds"] : 0),
                 (v["acks"] ? cpu / v["acks"] : 0), v["protocol_errors"] }' "$RUN/ack/outs" 2>/dev/null)
    read -r n p50 p90 p99 < <(pct "$RUN/ack/lat")
    [ "$(grep -c . "$RUN/ack/outs" 2>/dev/null)" = "$SLICES" ] || sums="$sums failed=1"
    rec gw_ack $sums p50_ms="$p50" p90_ms="$p90" p99_ms="$p99" slices="$SLICES"
    [ -s "$RUN/ack/err" ] && sed 's/^/    /' "$RUN/ack/err" | tail -3 >&2
    say "  gw_ack: $sums p50_ms=$p50 p99_ms=$p99"
else
    rec gw_ack skipped=1
    rec pg_write_c1_s1_gw skipped=1
fi
gw gw_inflight ack --key "$ACK_KEY" --seconds "$SECS" --size 1024 --inflight 32 --paths 1000

say "gateway: sio-load against socket.io-client receivers"
CHECK_MSGS=20
rm -f "$RUN/check-ready"
if [ -n "$GW_BROKEN" ] || ! in_budget gw_check 40; then
    rec gw_check skipped=1
else
    timeout -k 5 60 node "$ROOT/tests/bench/sio-check.cjs" recv "$GW_URL" "$FAN_KEY" check "$CHECK_MSGS" \
        "$RUN/check-node.json" "$RUN/check-ready" 50 2>"$RUN/check-node.err" &
    CHECK_PID=$!
    BG_PIDS="$CHECK_PID"
    for _ in $(seq 1 150); do
        [ -e "$RUN/check-ready" ] && break
        kill -0 "$CHECK_PID" 2>/dev/null || break
        sleep 0.1
    done
    if [ -e "$RUN/check-ready" ]; then
        # 64 KiB messages: several WebSocket frames each if the gateway fragments
        timeout -k 5 60 "$LOAD" fanout --url "$GW_URL" --key "$FAN_KEY" --sockets 10 --size 65536 \
            --messages "$CHECK_MSGS" --verify 10 --tag check --log "$RUN/check-c.log" --ready-timeout 20 \
            >"$RUN/check-c.out" 2>"$RUN/check-c.err"
        c_rc=$?
        wait "$CHECK_PID"
        cmp_out=$(node "$ROOT/tests/bench/sio-check.cjs" compare "$RUN/check-c.log" "$RUN/check-node.json" 2>"$RUN/check-cmp.err")
        rec gw_check $cmp_out c_receivers=10 c_ok=$((c_rc == 0))
        detail=$(tr '\n' ' ' <"$RUN/check-cmp.err")
        if [ "$c_rc" != 0 ]; then
            rec gw_check same=0
            detail="sio-load fanout failed: $(tr '\n' ' ' <"$RUN/check-c.err") $detail"
        fi
        [ -n "$detail" ] && rec_text gw_check detail "$detail"
    else
        kill -TERM "$CHECK_PID" 2>/dev/null
        wait "$CHECK_PID" 2>/dev/null
        rec gw_check same=0 events=0 node_receivers=0 c_receivers=10
        rec_text gw_check detail "socket.io-client receivers did not connect: $(tail -c 300 "$RUN/check-node.err")"
    fi
    BG_PIDS=""
fi
say "  gw_check: $(grep '"gw_check"' "$RES" | tr '\n' ' ')"

say "gateway: fan-out"
for size in 1k 100k 1m; do
    case $size in
    1k) bytes=1024 msgs=2000 ;;
    100k) bytes=102400 msgs=500 ;;
    1m) bytes=1048576 msgs=100 ;;
    esac
    [ "$size" = 1k ] && tcp_floor 1024
    [ "$size" = 1m ] && tcp_floor 1048576
    for n in 10 100 500; do
        gw "gw_fan_${size}_${n}" fanout --key "$FAN_KEY" --sockets "$n" --size "$bytes" \
            --messages "$msgs" --seconds "$SECS" --inflight 1 --timeout 20 --verify 2 \
            --tag "$size-$n"
    done
done
rec gw_end rss_kb="$(rss_kb "$GW_PID")" alive="$(kill -0 "$GW_PID" 2>/dev/null && echo 1 || echo 0)"
[ -n "$GW_BROKEN" ] && rec_text gw_end broken "$GW_BROKEN"
