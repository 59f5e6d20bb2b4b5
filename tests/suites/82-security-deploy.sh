#!/usr/bin/env bash
# 82-security-deploy.sh - the programs run unprivileged.
#
# 1. The systemd units in deploy/systemd/: every service runs as a dynamic or
#    named non-root user (DynamicUser=yes or User=<not root>), with
#    NoNewPrivileges=yes, ProtectSystem=strict|full, no capabilities, and no
#    ExecStart that escapes the user ("+" / "!" prefixes).
#    deploy/spawn-fcgi/sync-api.sh drops to a non-root user (-u) as root.
# 2. sync-api and sync-gateway started the way those units start them: as an
#    unprivileged user (nobody, when the suite runs as root) with
#    no_new_privs; checked in /proc/PID/status; then they serve reads, writes
#    and pushes (tests/node/sec-unpriv.mjs).
set -u
. "$(dirname "$0")/../faults/lib.sh"
fl_init security-deploy

# unit_value FILE KEY: the last value of KEY= in FILE (systemd: the last wins).
unit_value() {
    sed -nE "s/^[[:space:]]*$2=[[:space:]]*(.*)$/\1/p" "$1" | tail -n 1
}

units=$(ls deploy/systemd/*.service 2>/dev/null)
for want in sync-api@.service sync-gateway.service; do
    check "deploy/systemd/$want exists" [ -f "deploy/systemd/$want" ]
done
for u in $units; do
    name=$(basename "$u")
    dyn=$(unit_value "$u" DynamicUser)
    user=$(unit_value "$u" User)
    group=$(unit_value "$u" Group)
    if [ "$dyn" = yes ] || { [ -n "$user" ] && [ "$user" != root ] && [ "$user" != 0 ]; }; then r=0; else r=1; fi
    check "$name: runs as an unprivileged user (DynamicUser=${dyn:-unset}, User=${user:-unset})" [ "$r" -eq 0 ]
    check "$name: not User=root / Group=root" [ "$user" != root ] && [ "$user" != 0 ] && [ "$group" != root ] && [ "$group" != 0 ]
    check "$name: NoNewPrivileges=yes" [ "$(unit_value "$u" NoNewPrivileges)" = yes ]
    ps=$(unit_value "$u" ProtectSystem)
    check "$name: ProtectSystem=strict or full (${ps:-unset})" [ "$ps" = strict ] || [ "$ps" = full ]
    caps=$(grep -E '^[[:space:]]*(CapabilityBoundingSet|AmbientCapabilities)=' "$u" | grep -vE '=[[:space:]]*$' | grep -v '=~' || true)
    check "$name: no capabilities granted${caps:+ ($caps)}" [ -z "$caps" ] 
    check "$name: CapabilityBoundingSet= empty" [ -n "$(grep -E '^[[:space:]]*CapabilityBoundingSet=[[:space:]]*$' "$u")" ]
    n=$(grep -cE '^[[:space:]]*Exec[A-Za-z]*=[[:space:]]*[-@:]*[+!]' "$u")
    check "$name: no Exec line with the + or ! prefix (full privileges)" [ "$n" -eq 0 ]
    check "$name: no PermissionsStartOnly" [ -z "$(grep -E '^[[:space:]]*PermissionsStartOnly=' "$u")" ]
done
sf=deploy/spawn-fcgi/sync-api.sh
if [ -f "$sf" ]; then
    def=$(sed -nE 's/^user=\$\{SYNC_API_USER:-([^}]*)\}.*/\1/p' "$sf")
    check "spawn-fcgi script: its default user is not root (${def:-none found})" [ -n "$def" ] && [ "$def" != root ]
fi

# ---- 2. the programs, unprivileged ----------------------------------------------------------
if [ "$(id -u)" = 0 ]; then
    RUNAS="setpriv --reuid=nobody --regid=nogroup --clear-groups --no-new-privs --"
    want_uid=$(id -u nobody)
else
    RUNAS="setpriv --no-new-privs --"
    want_uid=$(id -u)
fi
# the unprivileged user must reach the binaries and the database socket
store=$(fl_store unpriv) || fl_abort "store create"
read -r key _ <<<"$(fl_key "$store" read,write unpriv)" || fl_abort "key create"
port=$(fl_free_port) || fl_abort "free port"
# shellcheck disable=SC2086
$RUNAS "$B/sync-api" --listen "127.0.0.1:$port" >>"$WORK/sync-api.log" 2>&1 &
api_pid=$!
fl_bg "$api_pid"
for _ in $(seq 1 100); do fl_listening "$port" && break; kill -0 "$api_pid" 2>/dev/null || break; sleep 0.05; done
check "sync-api starts unprivileged" fl_listening "$port"

# proc_ok PID NAME: real/effective/saved uid is want_uid, NoNewPrivs is 1, no capabilities.
proc_ok() {
    local st uids nnp capeff
    st=$(cat "/proc/$1/status" 2>/dev/null) || return 1
    uids=$(echo "$st" | sed -nE 's/^Uid:[[:space:]]+(.*)$/\1/p' | tr -s ' \t' ' ')
    nnp=$(echo "$st" | sed -nE 's/^NoNewPrivs:[[:space:]]+([0-9]+)$/\1/p')
    capeff=$(echo "$st" | sed -nE 's/^CapEff:[[:space:]]+([0-9a-f]+)$/\1/p')
    echo "# $2: Uid $uids, NoNewPrivs $nnp, CapEff $capeff"
    [ "$uids" = "$want_uid $want_uid $want_uid $want_uid" ] && [ "$nnp" = 1 ] && [ "$capeff" = 0000000000000000 ]
}
check "sync-api runs as uid $want_uid with no_new_privs and no capabilities" proc_ok "$api_pid" sync-api

GW_URL=""
if [ "$FL_HAVE_GW" = 1 ]; then
    gport=$(fl_free_port) || fl_abort "free port"
    # shellcheck disable=SC2086
    SYNC_GATEWAY_LISTEN="127.0.0.1:$gport" $RUNAS "$B/sync-gateway" >>"$WORK/gateway.log" 2>&1 &
    gw_pid=$!
    FL_GW_PIDS="$FL_GW_PIDS $gw_pid"
    for _ in $(seq 1 200); do
        grep -q 'LISTEN on' "$WORK/gateway.log" && fl_listening "$gport" && break
        kill -0 "$gw_pid" 2>/dev/null || break
        sleep 0.05
    done
    check "sync-gateway starts unprivileged" fl_listening "$gport"
    check "sync-gateway runs as uid $want_uid with no_new_privs and no capabilities" proc_ok "$gw_pid" sync-gateway
    GW_URL="http://127.0.0.1:$gport"
fi
# the spawn-fcgi script, run as root the way its header says: its pool must
# not keep root
if [ -f "$sf" ] && [ "$(id -u)" = 0 ] && command -v spawn-fcgi >/dev/null; then
    sfenv="SYNC_ENV_FILE=- SYNC_API_BIN=$B/sync-api SYNC_API_SOCKET=$WORK/sf/sync-api.sock
           SYNC_API_PIDFILE=$WORK/sf/sync-api.pid SYNC_API_PROCS=2 SYNC_API_USER=nobody
           SYNC_API_SOCKET_OWNER=nobody"
    # shellcheck disable=SC2086
    env $sfenv sh "$sf" start >"$WORK/spawn-fcgi.log" 2>&1
    sfpids=$(tr -s ' \n' '  ' <"$WORK/sf/sync-api.pid" 2>/dev/null)
    for p in $sfpids; do fl_bg "$p"; done
    check "spawn-fcgi script (as root): started 2 processes ($sfpids)" [ "$(echo $sfpids | wc -w)" -eq 2 ]
    for p in $sfpids; do
        st=$(sed -nE 's/^Uid:[[:space:]]+(.*)$/\1/p' "/proc/$p/status" 2>/dev/null | tr -s ' \t' ' ')
        check "spawn-fcgi script: process $p runs as nobody (Uid $st)" [ "$st" = "$(id -u nobody) $(id -u nobody) $(id -u nobody) $(id -u nobody)" ]
    done
    got=$(node tests/http/fcgi-get.mjs "$WORK/sf/sync-api.sock" /health 2>&1)
    check "spawn-fcgi script: its pool answers /health (${got%% *})" [ "${got%% *}" = 200 ]
    # shellcheck disable=SC2086
    env $sfenv sh "$sf" stop >>"$WORK/spawn-fcgi.log" 2>&1
fi

export FCGI_ADDR="127.0.0.1:$port" GW_URL KEY=$key
fl_node unpriv tests/node/sec-unpriv.mjs

fl_cleanup
fl_sanitizer_check "sync-api" "$WORK/sync-api.log" "$WORK/spawn-fcgi.log"
[ "$FL_HAVE_GW" = 1 ] && fl_sanitizer_check "sync-gateway" "$WORK/gateway.log"
fl_summary
