#!/bin/sh
# sync-api.sh start|stop - the sync-api FastCGI pool with spawn-fcgi, for a
# host without systemd (with systemd, prefer deploy/systemd/sync-api.socket).
# It creates the unix socket that the nginx, Apache and lighttpd configs in
# deploy/ pass FastCGI requests to, and forks SYNC_API_PROCS processes that
# share it.
#
# Settings (environment; defaults in brackets):
#   SYNC_ENV_FILE         configuration to read first [/etc/sync-server/env];
#                         "-" reads none (the environment is used as it is)
#   SYNC_API_BIN          [/opt/sync-server/bin/sync-api]
#   SYNC_API_SOCKET       [/run/sync-server/sync-api.sock]
#   SYNC_API_PIDFILE      [/run/sync-server/sync-api.pid] the processes' pids
#   SYNC_API_PROCS        [4] processes; each serves one request at a time
#   SYNC_API_USER         [sync] as root: the account the processes run as
#                         (create it with: adduser --system --group sync)
#   SYNC_API_SOCKET_OWNER [www-data] as root: the web server's account, owner
#                         of the socket (mode 0660); nginx and Apache need it
#
# The same command by hand, as root:
#   set -a; . /etc/sync-server/env; set +a
#   spawn-fcgi -s /run/sync-server/sync-api.sock -M 0660 -U www-data -G www-data \
#       -u sync -F 4 -P /run/sync-server/sync-api.pid -- /opt/sync-server/bin/sync-api
set -eu

env_file=${SYNC_ENV_FILE:-/etc/sync-server/env}
bin=${SYNC_API_BIN:-/opt/sync-server/bin/sync-api}
sock=${SYNC_API_SOCKET:-/run/sync-server/sync-api.sock}
pidfile=${SYNC_API_PIDFILE:-/run/sync-server/sync-api.pid}
procs=${SYNC_API_PROCS:-4}
user=${SYNC_API_USER:-sync}
owner=${SYNC_API_SOCKET_OWNER:-www-data}

die() { echo "sync-api.sh: $*" >&2; exit 1; }

# The pids of the pool, one per line (spawn-fcgi ends the file without a
# newline, so read it whole rather than line by line).
pool_pids() {
    [ -f "$pidfile" ] && tr -s ' \n' '\n\n' <"$pidfile" | grep -E '^[0-9]+$' || true
}

stop() {
    pids=$(pool_pids)
    [ -n "$pids" ] || { echo "sync-api.sh: not running (no pids in $pidfile)"; return 0; }
    for p in $pids; do kill -TERM "$p" 2>/dev/null || true; done
    # each finishes the request in hand, then exits
    i=0
    while [ $i -lt 100 ]; do
        alive=""
        for p in $pids; do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done
        [ -z "$alive" ] && break
        sleep 0.1
        i=$((i + 1))
    done
    for p in $alive; do kill -KILL "$p" 2>/dev/null || true; done
    rm -f "$pidfile" "$sock"
}

start() {
    command -v spawn-fcgi >/dev/null 2>&1 || die "spawn-fcgi is not installed (apt-get install spawn-fcgi)"
    [ -x "$bin" ] || die "$bin is not an executable (set SYNC_API_BIN)"
    case $procs in ''|*[!0-9]*) die "SYNC_API_PROCS must be a number" ;; esac
    for p in $(pool_pids); do
        kill -0 "$p" 2>/dev/null && die "already running (pid $p in $pidfile); stop it first"
    done
    if [ "$env_file" != "-" ]; then
        [ -r "$env_file" ] || die "cannot read $env_file (set SYNC_ENV_FILE, or - for none)"
        set -a
        # shellcheck disable=SC1090
        . "$env_file"
        set +a
    fi
    [ -n "${DATABASE_URL:-}" ] || die "DATABASE_URL is not set (in $env_file or the environment)"
    mkdir -p "$(dirname "$sock")" "$(dirname "$pidfile")"
    if [ "$(id -u)" = 0 ]; then
        id "$user" >/dev/null 2>&1 || die "no account '$user' (adduser --system --group $user, or set SYNC_API_USER)"
        set -- -M 0660 -U "$owner" -G "$(id -gn "$owner")" -u "$user"
    else
        # cannot hand the socket to another account: let any local user in
        set -- -M 0666
    fi
    rm -f "$sock"
    spawn-fcgi -s "$sock" "$@" -F "$procs" -P "$pidfile" -- "$bin" >/dev/null ||
        die "spawn-fcgi failed"
    echo "sync-api.sh: $procs processes on unix:$sock (pids in $pidfile)"
}

case ${1:-} in
start) start ;;
stop) stop ;;
restart) stop; start ;;
*) echo "usage: sync-api.sh start|stop|restart" >&2; exit 2 ;;
esac
