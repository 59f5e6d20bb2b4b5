#!/usr/bin/env bash
# run.sh BUILD_DIR - the whole sync server on one origin, in the foreground
# (`make run`). Ctrl-C or SIGTERM stops every process it started.
#
#   PostgreSQL 15   a private cluster in $SYNC_VAR_DIR/pg, kept between runs
#                   (unless DATABASE_URL is set: then that database is used)
#   sync-gateway    on SYNC_GATEWAY_LISTEN (default 127.0.0.1:3007)
#   lighttpd        on SYNC_HTTP_LISTEN (default 127.0.0.1:8080), with
#                   deploy/lighttpd/sync-server.conf: /api/v1/* and /health
#                   to sync-api (mod_fastcgi spawns SYNC_API_PROCS of them),
#                   /socket.io/ to the gateway (mod_proxy with upgrade)
#
# Environment (all optional):
#   SYNC_HTTP_LISTEN     HOST:PORT or PORT of the one origin [127.0.0.1:8080]
#   SYNC_GATEWAY_LISTEN  the gateway's own address [127.0.0.1:3007]
#   SYNC_API_PROCS       sync-api processes [4]
#   SYNC_VAR_DIR         state: cluster, admin key, generated configs [./var]
#   DATABASE_URL         use this database instead of the private cluster
#   ADMIN_API_KEY        use this admin key instead of $SYNC_VAR_DIR/admin.key
#   and the rest of DESIGN §7 (deploy/env.example), handed to the programs
#
# Files in $SYNC_VAR_DIR: admin.key (mode 600, made once), make-run.pid (the
# lock: this script's pid while it runs), pg/ (the cluster), run/ (configs,
# logs, sockets, and run/pids: "NAME PID" of every process started).
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PROG="run.sh"

die() { echo "$PROG: $*" >&2; exit 1; }

[ $# -ge 1 ] || die "usage: run.sh BUILD_DIR"
BIN=$(cd "$1" 2>/dev/null && pwd) || die "no build directory '$1' (run: make)"
for b in sync-api sync-gateway syncctl; do
    [ -x "$BIN/$b" ] || die "$BIN/$b is missing (run: make)"
done
command -v lighttpd >/dev/null || die "lighttpd is not installed (run: make deps)"
command -v curl >/dev/null || die "curl is not installed (run: make deps)"

VAR=${SYNC_VAR_DIR:-$ROOT/var}
mkdir -p "$VAR" || die "cannot create $VAR"
VAR=$(cd "$VAR" && pwd)
RUN=$VAR/run
LOCK=$VAR/make-run.pid
PIDS=$RUN/pids
PROCS=${SYNC_API_PROCS:-4}
case $PROCS in ''|*[!0-9]*|0) die "SYNC_API_PROCS must be a positive number" ;; esac

# split_listen VAR_NAME VALUE: sets L_HOST (no brackets), L_PORT, L_BIND (as
# lighttpd writes it), L_CONNECT (a host to connect to: 127.0.0.1 for 0.0.0.0)
split_listen() {
    local name=$1 v=$2
    case $v in
    *[!0-9]*) ;;
    *) v="127.0.0.1:$v" ;;
    esac
    case $v in
    \[*\]:*) L_HOST=${v%%]:*}; L_HOST=${L_HOST#[}; L_PORT=${v##*]:} ;;
    *:*:*) die "$name: write an IPv6 address as [ADDR]:PORT, not '$v'" ;;
    *:*) L_HOST=${v%:*}; L_PORT=${v##*:} ;;
    *) die "$name must be HOST:PORT, not '$v'" ;;
    esac
    case $L_PORT in ''|*[!0-9]*) die "$name: bad port in '$v'" ;; esac
    [ "$L_PORT" -ge 1 ] && [ "$L_PORT" -le 65535 ] || die "$name: port $L_PORT is out of range"
    [ -n "$L_HOST" ] || die "$name: no host in '$v'"
    L_BIND=$L_HOST
    L_CONNECT=$L_HOST
    case $L_HOST in
    *:*) L_BIND="[$L_HOST]"; L_CONNECT="[$L_HOST]"; [ "$L_HOST" = "::" ] && L_CONNECT="[::1]" ;;
    0.0.0.0) L_CONNECT=127.0.0.1 ;;
    esac
}

split_listen SYNC_HTTP_LISTEN "${SYNC_HTTP_LISTEN:-127.0.0.1:8080}"
HTTP_HOST=$L_HOST HTTP_PORT=$L_PORT HTTP_BIND=$L_BIND
URL="http://$L_CONNECT:$L_PORT"
split_listen SYNC_GATEWAY_LISTEN "${SYNC_GATEWAY_LISTEN:-127.0.0.1:3007}"
GW_HOST=$L_HOST GW_PORT=$L_PORT GW_CONNECT=$L_CONNECT
[ "$GW_PORT" != "$HTTP_PORT" ] || die "SYNC_HTTP_LISTEN and SYNC_GATEWAY_LISTEN use the same port $GW_PORT"

# ---- processes ---------------------------------------------------------------

# alive PID: a live process (a zombie, already dead but not reaped, is not).
alive() {
    local st
    st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
    case $st in Z*|"") return 1 ;; esac
    return 0
}

# stop_pid PID NAME [SIGNAL]: SIGTERM (or SIGNAL), up to 10 s, then SIGKILL.
stop_pid() {
    local pid=$1 name=$2 i
    alive "$pid" || return 0
    kill -"${3:-TERM}" "$pid" 2>/dev/null
    for i in $(seq 1 100); do
        alive "$pid" || return 0
        sleep 0.1
    done
    echo "$PROG: $name (pid $pid) still runs after 10 s, killing it" >&2
    kill -KILL "$pid" 2>/dev/null
}

# record NAME PID: appends to the pid list the tests and a later run read.
record() { echo "$1 $2" >>"$PIDS"; }

# Processes of a previous run that died without cleaning up (SIGKILL, power
# cut): the recorded pids still alive under the recorded program name.
stop_leftovers() {
    local name pid comm
    [ -f "$PIDS" ] || return 0
    # newest first: the web server and the gateway before the database
    while read -r name pid; do
        [ -n "$pid" ] && alive "$pid" || continue
        comm=$(cat "/proc/$pid/comm" 2>/dev/null) || continue
        [ "${comm:0:15}" = "${name:0:15}" ] || continue
        echo "$PROG: stopping $name (pid $pid) left by an earlier run"
        # PostgreSQL: SIGINT is its fast (clean) shutdown
        if [ "$name" = postgres ]; then stop_pid "$pid" "$name" INT; else stop_pid "$pid" "$name"; fi
    done < <(tac "$PIDS")
    rm -f "$PIDS"
}

# ---- the lock: one instance per var directory ------------------------------

take_lock() {
    local other
    if ! (set -o noclobber; echo $$ >"$LOCK") 2>/dev/null; then
        other=$(cat "$LOCK" 2>/dev/null)
        if [ -n "$other" ] && alive "$other" &&
            tr '\0' ' ' <"/proc/$other/cmdline" 2>/dev/null | grep -q 'run\.sh'; then
            die "already running (pid $other, lock $LOCK); stop it first (Ctrl-C in its terminal, or: kill $other)"
        fi
        rm -f "$LOCK"
        (set -o noclobber; echo $$ >"$LOCK") 2>/dev/null ||
            die "another run.sh took $LOCK just now"
    fi
}

# listening PORT: something listens on PORT (any address). Asks the kernel
# (ss) rather than connecting: a bare connect is noise to a server.
listening() {
    if command -v ss >/dev/null; then
        [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]
    else
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
    fi
}

LOCKED=0
STARTED=0
PG_OURS=0
LT_PID=""
GW_PID=""

cleanup() {
    local status=$? pid kids=""
    trap '' INT TERM HUP
    if [ -n "$LT_PID" ]; then
        # lighttpd stops the sync-api processes it spawned; any it leaves
        # behind are stopped by pid below
        kids=$(ps -o pid= --ppid "$LT_PID" 2>/dev/null)
        stop_pid "$LT_PID" lighttpd
        wait "$LT_PID" 2>/dev/null
    fi
    for pid in $kids $(awk '$1 == "sync-api" { print $2 }' "$PIDS" 2>/dev/null); do
        stop_pid "$pid" sync-api
    done
    if [ -n "$GW_PID" ]; then
        stop_pid "$GW_PID" sync-gateway
        wait "$GW_PID" 2>/dev/null
    fi
    if [ "$PG_OURS" = 1 ] && ! pg_stop; then
        echo "$PROG: PostgreSQL did not stop cleanly (see $PG_DIR/data/server.log)" >&2
        status=1
    fi
    if [ "$LOCKED" = 1 ]; then
        rm -f "$PIDS" "$LOCK"
        [ "$STARTED" = 1 ] && echo "$PROG: stopped"
    fi
    exit "$status"
}

take_lock
LOCKED=1
trap cleanup EXIT
# Ctrl-C, SIGTERM, or the terminal going away: a requested stop, status 0
# when it went cleanly (so `make run` does not report an error for it)
trap 'exit 0' INT TERM HUP

mkdir -p "$RUN/www" "$RUN/tmp" || die "cannot create $RUN"
chmod 755 "$VAR" "$RUN"
stop_leftovers
: >"$PIDS"

for p in "$HTTP_PORT" "$GW_PORT"; do
    if listening "$p"; then
        if [ "$p" = "$HTTP_PORT" ]; then
            die "port $p is already in use (SYNC_HTTP_LISTEN=$HTTP_HOST:$p): stop what uses it, or set SYNC_HTTP_LISTEN=127.0.0.1:OTHER_PORT"
        fi
        die "port $p is already in use (SYNC_GATEWAY_LISTEN=$GW_HOST:$p, the gateway's own port): stop what uses it, or set SYNC_GATEWAY_LISTEN=127.0.0.1:OTHER_PORT"
    fi
done

# ---- the database ------------------------------------------------------------

# As root, PostgreSQL runs as the postgres user, which must be able to reach
# $VAR/pg: every directory above it needs o+x (a clone under /root has not).
make_traversable() {
    local d=$1
    while [ "$d" != / ] && [ -n "$d" ]; do
        if ! runuser -u postgres -- test -x "$d" 2>/dev/null; then
            chmod o+x "$d" || die "cannot make $d traversable for the postgres user"
            echo "$PROG: note: made $d traversable (o+x) for the postgres user"
        fi
        d=$(dirname "$d")
    done
}

if [ -n "${DATABASE_URL:-}" ]; then
    echo "$PROG: using DATABASE_URL (no private cluster)"
else
    . "$ROOT/tests/lib/pg.sh"
    [ -x "$PG_BIN/initdb" ] || die "PostgreSQL 15 is not installed ($PG_BIN; run: make deps)"
    if [ "$(id -u)" = 0 ]; then
        id postgres >/dev/null 2>&1 || die "no postgres user (install postgresql-15: make deps)"
        make_traversable "$VAR"
    fi
    if [ -f "$VAR/pg/data/PG_VERSION" ]; then
        PG_DIR=$VAR/pg
        pg_export
        # a server left by a run that was killed: stop it, then start afresh
        if [ -f "$PG_DIR/data/postmaster.pid" ]; then
            pg_stop >/dev/null 2>&1
        fi
        echo "$PROG: starting PostgreSQL ($VAR/pg)"
    else
        # nothing usable there (an interrupted first run): start over
        rm -rf "$VAR/pg"
        echo "$PROG: creating the PostgreSQL cluster in $VAR/pg (first run)"
        pg_create "$VAR/pg" fsync || die "initdb failed (see above)"
    fi
    STARTED=1
    PG_OURS=1
    pg_start || die "PostgreSQL did not start (see $VAR/pg/data/server.log)"
    record postgres "$(head -n 1 "$PG_DIR/data/postmaster.pid")"
fi

"$BIN/syncctl" migrate >"$RUN/migrate.log" 2>&1 || {
    cat "$RUN/migrate.log" >&2
    die "syncctl migrate failed"
}

# ---- the admin key -------------------------------------------------------------

KEY_SOURCE="ADMIN_API_KEY"
if [ -z "${ADMIN_API_KEY:-}" ]; then
    KEY_SOURCE="$VAR/admin.key"
    if [ ! -s "$VAR/admin.key" ]; then
        (umask 077 && printf 'sk_admin_%s\n' \
            "$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')" >"$VAR/admin.key") ||
            die "cannot write $VAR/admin.key"
    fi
    chmod 600 "$VAR/admin.key"
    ADMIN_API_KEY=$(head -n 1 "$VAR/admin.key")
fi
case $ADMIN_API_KEY in
sk_admin_*) [ ${#ADMIN_API_KEY} -ge 32 ] || die "the admin key in $KEY_SOURCE is shorter than 32 characters" ;;
*) die "the admin key in $KEY_SOURCE must start with sk_admin_" ;;
esac
export ADMIN_API_KEY DATABASE_URL
# libpq pulls in GnuTLS through libldap: skip its eager initialisation (RSS)
export GNUTLS_NO_IMPLICIT_INIT=1
export SYNC_GATEWAY_LISTEN="$GW_HOST:$GW_PORT"
case $GW_HOST in *:*) SYNC_GATEWAY_LISTEN="[$GW_HOST]:$GW_PORT" ;; esac

# ---- lighttpd's configuration ----------------------------------------------------

# lq STRING: a lighttpd string literal.
lq() {
    local s=${1//\\/\\\\}
    printf '"%s"' "${s//\"/\\\"}"
}

# The shipped config with its two settings lines pointed at this run: here
# lighttpd spawns the sync-api processes itself (bin-path) and hands them
# the variables below from its own environment.
ENV_COPY='"DATABASE_URL", "ADMIN_API_KEY", "CORS_ORIGINS", "LOG_LEVEL", "SYNC_TOMBSTONE_DAYS", "HOME", "PGPASSFILE", "PGSSLMODE", "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"'
API_LINE="var.sync_api_fastcgi = ( \"socket\" => $(lq "$RUN/sync-api.sock"), \"bin-path\" => $(lq "$BIN/sync-api"), \"max-procs\" => $PROCS, \"check-local\" => \"disable\", \"bin-copy-environment\" => ( $ENV_COPY ) )"
GW_LINE="var.sync_gateway_proxy = ( \"host\" => $(lq "$GW_CONNECT" | tr -d '[]'), \"port\" => $GW_PORT )"
awk -v api="$API_LINE" -v gw="$GW_LINE" '
    /^var\.sync_api_fastcgi[ \t]*=/ { print api; n++; next }
    /^var\.sync_gateway_proxy[ \t]*=/ { print gw; n++; next }
    { print }
    END { if (n != 2) exit 1 }
' "$ROOT/deploy/lighttpd/sync-server.conf" >"$RUN/sync-server.conf" ||
    die "deploy/lighttpd/sync-server.conf lacks its var.sync_api_fastcgi / var.sync_gateway_proxy lines"

cat >"$RUN/lighttpd.conf" <<EOF
# Generated by deploy/run.sh for this run; edit deploy/lighttpd/sync-server.conf.
server.modules = ( "mod_access", "mod_accesslog" )
server.bind = $(lq "$HTTP_BIND")
server.port = $HTTP_PORT
server.document-root = $(lq "$RUN/www")
server.upload-dirs = ( $(lq "$RUN/tmp") )
server.tag = "sync-server"
# no server.errorlog: errors (and sync-api's log lines) go to this terminal
accesslog.filename = $(lq "$RUN/access.log")
include $(lq "$RUN/sync-server.conf")
EOF
lighttpd -tt -f "$RUN/lighttpd.conf" >"$RUN/lighttpd-check.log" 2>&1 || {
    cat "$RUN/lighttpd-check.log" >&2
    die "lighttpd refused $RUN/lighttpd.conf"
}

# ---- start ---------------------------------------------------------------------

# Each program in its own session (setsid): a Ctrl-C reaches only this
# script, which then stops them in order (web server, gateway, database).
echo "$PROG: starting sync-gateway on $SYNC_GATEWAY_LISTEN"
STARTED=1
setsid "$BIN/sync-gateway" </dev/null &
GW_PID=$!
record sync-gateway "$GW_PID"
for i in $(seq 1 150); do
    listening "$GW_PORT" && break
    alive "$GW_PID" || die "sync-gateway exited at start (its log is above)"
    sleep 0.1
done
alive "$GW_PID" || die "sync-gateway exited at start (its log is above)"
listening "$GW_PORT" || die "sync-gateway does not listen on $SYNC_GATEWAY_LISTEN after 15 s"

echo "$PROG: starting lighttpd on $HTTP_BIND:$HTTP_PORT with $PROCS sync-api processes"
setsid lighttpd -D -f "$RUN/lighttpd.conf" </dev/null &
LT_PID=$!
record lighttpd "$LT_PID"
code=""
for i in $(seq 1 200); do
    code=$(curl -s -o "$RUN/health.json" -m 2 -w '%{http_code}' "$URL/health" 2>/dev/null)
    [ "$code" = 200 ] && break
    alive "$LT_PID" || die "lighttpd exited at start (its log is above)"
    sleep 0.1
done
[ "$code" = 200 ] || die "$URL/health answered ${code:-nothing} after 20 s: $(cat "$RUN/health.json" 2>/dev/null)"
for pid in $(ps -o pid= --ppid "$LT_PID"); do
    record sync-api "$pid"
done

# ---- tell the user ---------------------------------------------------------------

SHOWN_URL=$URL
case $HTTP_HOST in 0.0.0.0|::) SHOWN_URL="http://<this machine's address>:$HTTP_PORT" ;; esac
cat <<EOF

  Sync server running at $SHOWN_URL
    REST API     $SHOWN_URL/api/v1/   (health: $SHOWN_URL/health)
    Socket.IO    $SHOWN_URL/socket.io/
    Admin key    $ADMIN_API_KEY   (from $KEY_SOURCE)

  Create a store (one per vault), then a key for the Obsidian plugin:

    curl -s -X POST $URL/api/v1/admin/stores -H 'X-API-Key: $ADMIN_API_KEY' -H 'Content-Type: application/json' -d '{"name":"My vault"}'

    curl -s -X POST $URL/api/v1/admin/stores/STORE_ID/keys -H 'X-API-Key: $ADMIN_API_KEY' -H 'Content-Type: application/json' -d '{"name":"obsidian","permissions":["read","write","settings_read","settings_write"]}'

  (STORE_ID: the "id" of the first answer. The plugin takes the server URL and
  the "key" of the second answer.)

  Logs follow (PostgreSQL: ${PG_DIR:-external}${PG_DIR:+/data/server.log}, requests: $RUN/access.log).
  Ctrl-C stops everything.

EOF

# ---- run until told to stop, or until a program dies -------------------------

while :; do
    wait -n "$GW_PID" "$LT_PID"
    if ! alive "$GW_PID"; then
        wait "$GW_PID"; rc=$?; GW_PID=""
        die "sync-gateway exited (status $rc); stopping everything"
    fi
    if ! alive "$LT_PID"; then
        wait "$LT_PID"; rc=$?; LT_PID=""
        die "lighttpd exited (status $rc); stopping everything"
    fi
done
