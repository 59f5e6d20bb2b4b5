# front.sh - a real web server on loopback in front of sync-api.
#
# Source it (bash). Used by the HTTP test suites; written to be reused by any
# runner that needs lighttpd, nginx (or, later, Apache) before sync-api.
# Everything listens on 127.0.0.1 only, keeps its files (configs, logs, pid
# files, temp files, sockets) inside the directory it is given, and is stopped
# by pid, never by name.
#
# Inputs (environment):
#   SYNC_BIN_DIR   directory holding sync-api (default: build)
#   DATABASE_URL, ADMIN_API_KEY, and optionally CORS_ORIGINS, LOG_LEVEL,
#   SYNC_TOMBSTONE_DAYS, ASAN_OPTIONS, UBSAN_OPTIONS, LSAN_OPTIONS: handed to
#   sync-api (lighttpd gets them in its config: spawned programs see no other).
#
# Functions (each returns non-zero with a message on stderr on failure):
#   front_free_port                     prints a TCP port free on 127.0.0.1
#   front_start_api DIR ADDR            sync-api --listen ADDR in the background
#                                       (ADDR: 127.0.0.1:PORT or unix:/abs/path)
#   front_start_lighttpd DIR PORT [N]   lighttpd whose mod_fastcgi spawns N
#                                       sync-api processes (bin-path; default 2)
#   front_start_nginx DIR PORT          sync-api --listen unix:DIR/sync-api.sock,
#                                       then nginx with fastcgi_pass to it
#   front_wait_http URL [SECONDS]       waits until URL answers 200 (default 15 s)
#   front_stop                          stops everything started here, newest
#                                       first, by pid; idempotent; safe in a trap
#
# Set after a start:
#   FRONT_URL          http://127.0.0.1:PORT
#   FRONT_ACCESS_LOG   one line per request: STATUS "METHOD URI PROTOCOL"
#   FRONT_ERROR_LOG    the web server's error log
#   FRONT_API_LOG      sync-api's stderr (its one-line log)
#   FRONT_API_SOCKET   unix socket of a sync-api started with front_start_api
#   FRONT_PIDS         pids to stop (front_stop empties it)
#
# Access logs hold STATUS "METHOD PATH PROTOCOL": the path without its query
# string, as the shipped deploy configs log it, because clients may put their
# API key there (?apiKey=, the socket.io plugin's way).
#
# Every front passes the raw request line on: lighttpd is told not to refuse
# %00 and invalid UTF-8 itself, so sync-api's strict checks are what answer.
# Every front sends every path to sync-api (not only /api/v1 and /health), so
# unknown routes get sync-api's JSON 404 rather than a web server page, and
# allows request bodies up to 64 MiB so that sync-api itself answers the 413
# of a body over 32 MiB (with its JSON error) instead of the web server.
#
# Running as root: lighttpd and the sync-api processes it spawns keep root;
# nginx runs its workers as www-data (its master stays root), so sync-api's
# unix socket is created with mode 0666 and DIR must be traversable (0755).

FRONT_PIDS=${FRONT_PIDS:-}
FRONT_URL=""
FRONT_ACCESS_LOG=""
FRONT_ERROR_LOG=""
FRONT_API_LOG=""
FRONT_API_SOCKET=""
FRONT_BODY_MAX_MB=64

_front_api_bin() {
    local b="${SYNC_BIN_DIR:-build}/sync-api"
    [ -x "$b" ] || { echo "front: $b not found (make first)" >&2; return 1; }
    (cd "$(dirname "$b")" && printf '%s/sync-api\n' "$(pwd)")
}

# The variables sync-api reads, as NAME=VALUE lines (only those set).
_front_api_env() {
    local v
    for v in DATABASE_URL ADMIN_API_KEY CORS_ORIGINS LOG_LEVEL SYNC_TOMBSTONE_DAYS \
             ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
        if [ -n "${!v:-}" ]; then
            printf '%s=%s\n' "$v" "${!v}"
        fi
    done
}

# A lighttpd/nginx string literal: backslash and double quote escaped.
_front_quote() {
    local s=${1//\\/\\\\}
    printf '"%s"' "${s//\"/\\\"}"
}

# Below the kernel's ephemeral range: outgoing connections take their local
# ports from that range, so a port picked inside it can be taken before the
# server binds it ("Address already in use"). Checked with ss (any socket
# on the port, listening or not) when it is there.
front_free_port() {
    local p i lo
    lo=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null)
    [ "${lo:-0}" -gt 12000 ] || lo=32768
    for i in $(seq 1 100); do
        p=$((10000 + RANDOM % (lo - 10000)))
        if command -v ss >/dev/null 2>&1; then
            [ -z "$(ss -Htan "sport = :$p" 2>/dev/null)" ] || continue
        fi
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    echo "front: no free port found" >&2
    return 1
}

front_wait_http() {
    local url=$1 secs=${2:-15} i code
    for i in $(seq 1 $((secs * 10))); do
        code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$url" 2>/dev/null)
        [ "$code" = 200 ] && return 0
        sleep 0.1
    done
    echo "front: $url did not answer 200 within ${secs}s (last status: ${code:-none})" >&2
    return 1
}

# _front_wait_file PATH SECONDS: until PATH exists.
_front_wait_file() {
    local i
    for i in $(seq 1 $(($2 * 10))); do
        [ -e "$1" ] && return 0
        sleep 0.1
    done
    return 1
}

front_start_api() {
    local dir=$1 addr=$2 bin pid
    bin=$(_front_api_bin) || return 1
    mkdir -p "$dir" && chmod 755 "$dir" || return 1
    FRONT_API_LOG="$dir/sync-api.log"
    "$bin" --listen "$addr" >>"$FRONT_API_LOG" 2>&1 &
    pid=$!
    FRONT_PIDS="$pid $FRONT_PIDS"
    case $addr in
    unix:*)
        FRONT_API_SOCKET=${addr#unix:}
        _front_wait_file "$FRONT_API_SOCKET" 15 || {
            echo "front: sync-api did not create $FRONT_API_SOCKET" >&2
            tail -5 "$FRONT_API_LOG" >&2
            return 1
        }
        ;;
    *)
        local i
        for i in $(seq 1 150); do
            (exec 3<>"/dev/tcp/${addr%:*}/${addr##*:}") 2>/dev/null && break
            sleep 0.1
        done
        ;;
    esac
    kill -0 "$pid" 2>/dev/null || {
        echo "front: sync-api exited at start:" >&2
        tail -5 "$FRONT_API_LOG" >&2
        return 1
    }
}

front_start_lighttpd() {
    local dir=$1 port=$2 procs=${3:-2} bin conf wrapper envlines line pid
    bin=$(_front_api_bin) || return 1
    command -v lighttpd >/dev/null || { echo "front: lighttpd is not installed" >&2; return 1; }
    mkdir -p "$dir/www" "$dir/tmp" && chmod 755 "$dir" || return 1
    FRONT_URL="http://127.0.0.1:$port"
    FRONT_ACCESS_LOG="$dir/access.log"
    FRONT_ERROR_LOG="$dir/lighttpd-error.log"
    FRONT_API_LOG="$dir/sync-api.log"
    : >"$FRONT_ACCESS_LOG"
    # The spawned program's stderr goes to its own log through this wrapper
    # (exec keeps the pid, so lighttpd still manages sync-api itself).
    wrapper="$dir/sync-api.sh"
    printf '#!/bin/sh\nexec %s "$@" 2>>%s\n' "$bin" "$FRONT_API_LOG" >"$wrapper"
    chmod 755 "$wrapper"
    envlines=""
    while IFS= read -r line; do
        envlines="$envlines        $(_front_quote "${line%%=*}") => $(_front_quote "${line#*=}"),
"
    done < <(_front_api_env)
    conf="$dir/lighttpd.conf"
    cat >"$conf" <<EOF
server.modules = ( "mod_access", "mod_fastcgi", "mod_accesslog" )
server.bind = "127.0.0.1"
server.port = $port
server.document-root = $(_front_quote "$dir/www")
server.errorlog = $(_front_quote "$FRONT_ERROR_LOG")
server.pid-file = $(_front_quote "$dir/lighttpd.pid")
server.upload-dirs = ( $(_front_quote "$dir/tmp") )
server.max-request-size = $((FRONT_BODY_MAX_MB * 1024))
server.tag = "lighttpd"
# lighttpd refuses %00 and invalid UTF-8 in a URL itself (an HTML 400); let
# them through so that sync-api's own checks answer with its JSON error.
server.http-parseopts = ( "url-invalid-utf8-reject" => "disable", "url-ctrls-reject" => "disable" )
accesslog.filename = $(_front_quote "$FRONT_ACCESS_LOG")
accesslog.format = "%s \"%m %U %H\""
fastcgi.server = (
    "/" => ((
        "socket" => $(_front_quote "$dir/sync-api.sock"),
        "bin-path" => $(_front_quote "$wrapper"),
        "max-procs" => $procs,
        "check-local" => "disable",
        "fix-root-scriptname" => "enable",
        "bin-environment" => (
$envlines        ),
    )),
)
EOF
    lighttpd -tt -f "$conf" >"$dir/lighttpd-check.log" 2>&1 || {
        echo "front: lighttpd refused its configuration:" >&2
        cat "$dir/lighttpd-check.log" >&2
        return 1
    }
    lighttpd -D -f "$conf" >>"$FRONT_ERROR_LOG" 2>&1 &
    pid=$!
    FRONT_PIDS="$pid $FRONT_PIDS"
    front_wait_http "$FRONT_URL/health" 20 || {
        tail -5 "$FRONT_ERROR_LOG" "$FRONT_API_LOG" >&2
        return 1
    }
}

front_start_nginx() {
    local dir=$1 port=$2 conf user_line="" pid t
    command -v nginx >/dev/null || { echo "front: nginx is not installed" >&2; return 1; }
    mkdir -p "$dir" && chmod 755 "$dir" || return 1
    front_start_api "$dir" "unix:$dir/sync-api.sock" || return 1
    FRONT_URL="http://127.0.0.1:$port"
    FRONT_ACCESS_LOG="$dir/access.log"
    FRONT_ERROR_LOG="$dir/nginx-error.log"
    : >"$FRONT_ACCESS_LOG"
    if [ "$(id -u)" = 0 ]; then
        if id www-data >/dev/null 2>&1; then user_line="user www-data;"; else user_line="user nobody;"; fi
    fi
    for t in body fastcgi proxy scgi uwsgi; do mkdir -p "$dir/nginx-tmp/$t"; done
    conf="$dir/nginx.conf"
    cat >"$conf" <<EOF
$user_line
worker_processes 1;
pid $dir/nginx.pid;
error_log $FRONT_ERROR_LOG warn;
events { worker_connections 256; }
http {
    log_format front '\$status "\$request_method \$uri \$server_protocol"';
    access_log $FRONT_ACCESS_LOG front;
    client_body_temp_path $dir/nginx-tmp/body;
    fastcgi_temp_path $dir/nginx-tmp/fastcgi;
    proxy_temp_path $dir/nginx-tmp/proxy;
    scgi_temp_path $dir/nginx-tmp/scgi;
    uwsgi_temp_path $dir/nginx-tmp/uwsgi;
    client_max_body_size ${FRONT_BODY_MAX_MB}m;
    server_tokens off;
    server {
        listen 127.0.0.1:$port;
        location / {
            fastcgi_param QUERY_STRING      \$query_string;
            fastcgi_param REQUEST_METHOD    \$request_method;
            fastcgi_param CONTENT_TYPE      \$content_type;
            fastcgi_param CONTENT_LENGTH    \$content_length;
            fastcgi_param SCRIPT_NAME       \$fastcgi_script_name;
            fastcgi_param REQUEST_URI       \$request_uri;
            fastcgi_param SERVER_PROTOCOL   \$server_protocol;
            fastcgi_param GATEWAY_INTERFACE CGI/1.1;
            fastcgi_param REMOTE_ADDR       \$remote_addr;
            fastcgi_param SERVER_NAME       \$server_name;
            fastcgi_param SERVER_PORT       \$server_port;
            fastcgi_pass unix:$dir/sync-api.sock;
        }
    }
}
EOF
    nginx -t -p "$dir" -c "$conf" -e "$FRONT_ERROR_LOG" >"$dir/nginx-check.log" 2>&1 || {
        echo "front: nginx refused its configuration:" >&2
        cat "$dir/nginx-check.log" >&2
        return 1
    }
    nginx -p "$dir" -c "$conf" -e "$FRONT_ERROR_LOG" -g 'daemon off;' >>"$FRONT_ERROR_LOG" 2>&1 &
    pid=$!
    FRONT_PIDS="$pid $FRONT_PIDS"
    front_wait_http "$FRONT_URL/health" 20 || {
        tail -5 "$FRONT_ERROR_LOG" "$FRONT_API_LOG" >&2
        return 1
    }
}

# _front_kill PID: TERM, up to 5 s, then KILL; also the children it leaves
# behind (lighttpd's spawned sync-api processes), found by parent pid.
_front_kill() {
    local pid=$1 kids i
    kill -0 "$pid" 2>/dev/null || return 0
    kids=$(ps -o pid= --ppid "$pid" 2>/dev/null | tr -d ' ')
    kill -TERM "$pid" 2>/dev/null
    for i in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    for pid in $kids; do
        for i in $(seq 1 30); do
            kill -0 "$pid" 2>/dev/null || break
            [ "$i" = 1 ] && kill -TERM "$pid" 2>/dev/null
            sleep 0.1
        done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    done
    return 0
}

front_stop() {
    local pid
    for pid in $FRONT_PIDS; do
        _front_kill "$pid"
    done
    FRONT_PIDS=""
}
