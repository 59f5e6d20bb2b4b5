#!/usr/bin/env bash
# 50-deploy.sh - the production configs in deploy/, as shipped:
#
#  1. each web server's own syntax check of its config (plain and TLS),
#     rendered with this run's paths and ports by substitution of the
#     shipped values (render() fails if one is left over), so what is
#     checked is what ships; systemd-analyze verify of the units;
#  2. end to end on loopback: the sync-api pool from
#     deploy/spawn-fcgi/sync-api.sh and sync-gateway on free ports against
#     the throwaway database, then lighttpd, nginx and Apache with the
#     shipped configs (each plain and with TLS, each on its own ports); the
#     real socket.io-client (tests/node/front-e2e.mjs) connects through each
#     front's port over WebSocket, long-polling and polling->upgrade and gets
#     the events of REST writes made through the same port (and 10 MiB
#     notes both ways); REST errors and the body limit through each front;
#     HTTP -> HTTPS redirects; a 30 s idle connection through each front.
#
# Needs (from tests/run-all.sh; standalone it makes its own cluster):
# DATABASE_URL, SYNC_BIN_DIR, TEST_TMP. Prints "N passed, N failed" last.
# Every process it starts is stopped by pid on exit, also on failure.
set -u
ROOT=${SYNC_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$ROOT" || exit 1
# shellcheck source=../lib/front.sh
. tests/lib/front.sh
# shellcheck source=../lib/pg.sh
. tests/lib/pg.sh

B=$(cd "${SYNC_BIN_DIR:-build}" && pwd) || { echo "0 passed, 1 failed"; exit 1; }
OWN_TMP=0
if [ -z "${TEST_TMP:-}" ]; then
    TEST_TMP=$(mktemp -d /tmp/sync-deploy.XXXXXX)
    chmod 755 "$TEST_TMP"
    OWN_TMP=1
fi
T=$(mktemp -d "$TEST_TMP/deploy.XXXXXX")
chmod 755 "$T"

pass=0
fail=0
# check NAME COMMAND...: one test.
check() {
    if "${@:2}"; then pass=$((pass + 1)); echo "ok - $1"
    else fail=$((fail + 1)); echo "not ok - $1"; fi
}
# quiet_ok LOG COMMAND...: COMMAND succeeds; its output goes to LOG (shown on failure).
quiet_ok() {
    local log=$1
    shift
    "$@" >"$log" 2>&1 && return 0
    echo "  --- $* failed:"; sed 's/^/  | /' "$log" | head -30
    return 1
}

POOL_PIDFILE=$T/pool/sync-api.pid
OWN_PG=0
cleanup() {
    front_stop
    if [ -f "$POOL_PIDFILE" ]; then
        SYNC_API_PIDFILE=$POOL_PIDFILE SYNC_API_SOCKET=$T/pool/sync-api.sock \
            sh deploy/spawn-fcgi/sync-api.sh stop >/dev/null 2>&1
    fi
    [ "$OWN_PG" = 1 ] && pg_destroy
    [ "$OWN_TMP" = 1 ] && rm -rf "$TEST_TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

IS_ROOT=0
[ "$(id -u)" = 0 ] && IS_ROOT=1
WEB_USER=www-data
id "$WEB_USER" >/dev/null 2>&1 || WEB_USER=nobody

USED_PORTS=" "
# new_port VAR: a loopback port nobody listens on, not handed out before in
# this run, below the kernel's ephemeral range (32768+) so that no outgoing
# connection holds it by the time a server binds it.
new_port() {
    local p i
    for i in $(seq 1 200); do
        p=$((20000 + RANDOM % 12000))
        case $USED_PORTS in *" $p "*) continue ;; esac
        [ -z "$(ss -Hltn "sport = :$p" 2>/dev/null)" ] || continue
        USED_PORTS="$USED_PORTS$p "
        printf -v "$1" '%s' "$p"
        return 0
    done
    echo "no free port" >&2
    return 1
}

new_port GW_PORT
SOCK=$T/pool/sync-api.sock
BIN=$T/bin
ENVF=$T/env
CERT=$T/tls/cert.pem
KEY=$T/tls/key.pem

# The values a reader adapts, swapped for this run's. Ports and include
# paths differ per front (their own sed arguments).
COMMON_SED=(
    -e "s|/run/sync-server/sync-api.sock|$SOCK|g"
    -e "s|127\.0\.0\.1:3007|127.0.0.1:$GW_PORT|g"
    -e "s|\"port\" => 3007|\"port\" => $GW_PORT|g"
    -e "s|/etc/letsencrypt/live/sync.example.com/fullchain.pem|$CERT|g"
    -e "s|/etc/letsencrypt/live/sync.example.com/privkey.pem|$KEY|g"
    -e "s|/opt/sync-server/bin|$BIN|g"
    -e "s|/etc/sync-server/env|$ENVF|g"
)
# A shipped value on a line that is not a comment: the rendering missed it.
PROD_VALUES='/run/sync-server|:3007\b|=> 3007\b|/etc/letsencrypt|/opt/sync-server|/etc/sync-server|/etc/nginx/snippets|/etc/apache2/sync-server|/var/log|APACHE_LOG_DIR|:443\b|:80\b|\[::\]|listen (80|443)\b'

# render SRC DST [SED ARGS...]: deploy/SRC with this run's values into DST.
render() {
    local src=$1 dst=$2 left
    shift 2
    mkdir -p "$(dirname "$dst")"
    sed "${COMMON_SED[@]}" "$@" "deploy/$src" >"$dst" || return 1
    left=$(grep -nE "$PROD_VALUES" "$dst" | grep -vE '^[0-9]+:[[:space:]]*#')
    if [ -n "$left" ]; then
        echo "  render: deploy/$src keeps production values:"; echo "$left" | sed 's/^/  | /'
        return 1
    fi
}

# ---- set-up: binaries any user can run, a certificate, the env file ----------

mkdir -p "$BIN" "$T/pool" "$T/tls"
for b in sync-api sync-gateway syncctl; do
    [ -x "$B/$b" ] && cp "$B/$b" "$BIN/"
done
chmod 755 "$BIN" "$T/pool" "$T/tls"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
    -keyout "$KEY" -out "$CERT" >"$T/tls/openssl.log" 2>&1 ||
    { cat "$T/tls/openssl.log"; echo "0 passed, 1 failed"; exit 1; }
# as in production: the key readable by root only (servers load it before
# dropping privileges)
chmod 600 "$KEY"
cp deploy/env.example "$ENVF"

echo "== deploy/env.example (at ${SECONDS}s)"
# every variable the programs read (common/config.c), and DESIGN §7's
vars=$(sed -n 's/.*env("\([A-Z_]*\)").*/\1/p' common/config.c | sort -u)
for v in $(printf '%s\n' $vars DATABASE_URL ADMIN_API_KEY CORS_ORIGINS LOG_LEVEL SYNC_GATEWAY_LISTEN \
           SYNC_GATEWAY_PATH SYNC_MAX_PAYLOAD SYNC_TOMBSTONE_DAYS SYNC_TLS_CERT SYNC_TLS_KEY | sort -u); do
    check "env.example documents $v" grep -qE "^#?$v=" deploy/env.example
done
check "env.example reads in a POSIX shell with set -a" \
    quiet_ok "$T/env-sh.log" sh -c "set -a; . '$ENVF'; [ -n \"\$DATABASE_URL\" ]"

# ---- 1. syntax checks ------------------------------------------------------------

# lighttpd: the shipped snippets inside a minimal main config like Debian's
# (a www-data server as root). lighttpd_conf DIR PORT [TLS_PORT]
lighttpd_conf() {
    local dir=$1 port=$2 tls=${3:-} inc
    mkdir -p "$dir/www" "$dir/tmp" "$dir/log"
    chmod 755 "$dir"
    render lighttpd/sync-server.conf "$dir/sync-server.conf" || return 1
    inc="include \"$dir/sync-server.conf\""
    if [ -n "$tls" ]; then
        render lighttpd/sync-server-tls.conf "$dir/sync-server-tls.conf" \
            -e "s|\"socket\"\] == \":443\"|\"socket\"] == \"127.0.0.1:$tls\"|" \
            -e '/"\[::\]:443"/d' || return 1
        inc="$inc
include \"$dir/sync-server-tls.conf\""
    fi
    {
        echo 'server.modules = ( "mod_access", "mod_accesslog" )'
        echo "server.bind = \"127.0.0.1\""
        echo "server.port = $port"
        echo "server.document-root = \"$dir/www\""
        echo "server.upload-dirs = ( \"$dir/tmp\" )"
        echo "server.errorlog = \"$dir/log/error.log\""
        echo "accesslog.filename = \"$dir/log/access.log\""
        echo 'accesslog.format = "%s \"%r\""'
        if [ "$IS_ROOT" = 1 ]; then
            echo "server.username = \"$WEB_USER\""
            echo "server.groupname = \"$(id -gn "$WEB_USER")\""
        fi
        echo "$inc"
    } >"$dir/lighttpd.conf"
    [ "$IS_ROOT" = 1 ] && chown -R "$WEB_USER" "$dir/tmp" "$dir/log"
    return 0
}

# nginx: the shipped site and routes in a minimal nginx.conf.
# nginx_conf DIR SITE PORT [TLS_PORT]
nginx_conf() {
    local dir=$1 site=$2 port=$3 tls=${4:-}
    mkdir -p "$dir/log"
    chmod 755 "$dir"
    render nginx/sync-server-routes.conf "$dir/sync-server-routes.conf" \
        -e "s|/var/log/nginx/access.log|$dir/log/access.log|" || return 1
    render "nginx/$site" "$dir/site.conf" \
        -e "s|/etc/nginx/snippets/sync-server-routes.conf|$dir/sync-server-routes.conf|" \
        -e "s|/var/log/nginx/access.log|$dir/log/access.log|" \
        -e "s|listen 80;|listen 127.0.0.1:$port;|" \
        -e "s|listen 443 |listen 127.0.0.1:${tls:-0} |" \
        -e '/listen \[::\]:/d' || return 1
    cp /etc/nginx/fastcgi_params "$dir/fastcgi_params" || return 1
    {
        [ "$IS_ROOT" = 1 ] && echo "user $WEB_USER;"
        echo "worker_processes 1;"
        echo "pid $dir/nginx.pid;"
        echo "error_log $dir/log/error.log error;     # Debian's level"
        echo "events { worker_connections 512; }"
        echo "http {"
        echo "    log_format front '\$status \"\$request\"';"
        echo "    access_log $dir/log/access.log front;"
        # nginx creates these itself, owned by its workers' user
        for t in client_body fastcgi proxy scgi uwsgi; do
            echo "    ${t}_temp_path $dir/tmp-$t;"
        done
        echo "    include $dir/site.conf;"
        echo "}"
    } >"$dir/nginx.conf"
}

# Apache: the shipped site and routes in a minimal apache2.conf with Debian's
# defaults that matter here (event MPM, mod_reqtimeout, Timeout 300) and the
# modules the site's own "a2enmod" line names. apache_conf DIR SITE PORT [TLS_PORT]
apache_conf() {
    local dir=$1 site=$2 port=$3 tls=${4:-} mods m
    mkdir -p "$dir/log" "$dir/run"
    chmod 755 "$dir"
    render apache/sync-server-routes.conf "$dir/routes.conf" \
        -e "s|\${APACHE_LOG_DIR}/sync-server-access.log|$dir/log/access.log|" || return 1
    render "apache/$site" "$dir/site.conf" \
        -e "s|/etc/apache2/sync-server/routes.conf|$dir/routes.conf|" \
        -e "s|\${APACHE_LOG_DIR}/sync-server-access.log|$dir/log/access.log|" \
        -e "s|\*:80>|*:$port>|" \
        -e "s|\*:443>|*:${tls:-0}>|" || return 1
    mods=$(sed -n 's/^#[[:space:]]*a2enmod[[:space:]]\+//p' "deploy/apache/$site" | head -n 1)
    [ -n "$mods" ] || { echo "  deploy/apache/$site names no modules (# a2enmod ...)"; return 1; }
    {
        echo "ServerRoot \"$dir\""
        echo "DefaultRuntimeDir \"$dir/run\""
        echo "PidFile \"$dir/run/apache2.pid\""
        echo "Mutex file:$dir/run default"
        echo "ServerName 127.0.0.1"
        if [ "$IS_ROOT" = 1 ]; then
            echo "User $WEB_USER"
            echo "Group $(id -gn "$WEB_USER")"
        fi
        echo "ErrorLog \"$dir/log/error.log\""
        echo "LogLevel warn"
        echo "LogFormat \"%>s \\\"%r\\\"\" front"
        echo "CustomLog \"$dir/log/server-access.log\" front"
        echo "Timeout 300"
        echo "KeepAlive On"
        echo "Listen 127.0.0.1:$port"
        [ -n "$tls" ] && echo "Listen 127.0.0.1:$tls"
        for m in mpm_event authz_core reqtimeout alias $mods; do
            echo "LoadModule ${m}_module /usr/lib/apache2/modules/mod_$m.so"
        done
        echo "RequestReadTimeout header=20-40,MinRate=500 body=20,MinRate=500"
        case " $mods " in
        *" ssl "*)
            echo "LoadModule socache_shmcb_module /usr/lib/apache2/modules/mod_socache_shmcb.so"
            echo "SSLSessionCache shmcb:$dir/run/ssl_scache(512000)"
            ;;
        esac
        echo "Include \"$dir/site.conf\""
    } >"$dir/apache2.conf"
}

# conf_front NAME: NAME's config rendered for its ports (PORT, TLS).
conf_front() {
    case $1 in
    lighttpd)     lighttpd_conf "$T/lighttpd" "${PORT[lighttpd]}" ;;
    lighttpd-tls) lighttpd_conf "$T/lighttpd-tls" "${PORT[lighttpd-tls]}" "${TLS[lighttpd-tls]}" ;;
    nginx)        nginx_conf "$T/nginx" sync-server.conf "${PORT[nginx]}" ;;
    nginx-tls)    nginx_conf "$T/nginx-tls" sync-server-tls.conf "${PORT[nginx-tls]}" "${TLS[nginx-tls]}" ;;
    apache)       apache_conf "$T/apache" sync-server.conf "${PORT[apache]}" ;;
    apache-tls)   apache_conf "$T/apache-tls" sync-server-tls.conf "${PORT[apache-tls]}" "${TLS[apache-tls]}" ;;
    esac
}

echo "== syntax checks of the shipped configs (at ${SECONDS}s)"
declare -A PORT TLS
for f in lighttpd nginx apache; do
    new_port "PORT[$f]"; new_port "PORT[$f-tls]"; new_port "TLS[$f-tls]"
done

if conf_front lighttpd; then
    check "lighttpd -tt: sync-server.conf" quiet_ok "$T/lighttpd/check.log" lighttpd -tt -f "$T/lighttpd/lighttpd.conf"
    check "lighttpd -tt: says nothing (no warning)" [ ! -s "$T/lighttpd/check.log" ]
else check "lighttpd: render sync-server.conf" false; fi
if conf_front lighttpd-tls; then
    check "lighttpd -tt: sync-server.conf + sync-server-tls.conf (loads the certificate)" \
        quiet_ok "$T/lighttpd-tls/check.log" lighttpd -tt -f "$T/lighttpd-tls/lighttpd.conf"
    check "lighttpd -tt with TLS: says nothing (no warning)" [ ! -s "$T/lighttpd-tls/check.log" ]
else check "lighttpd: render sync-server-tls.conf" false; fi

if conf_front nginx; then
    check "nginx -t: sync-server.conf + sync-server-routes.conf" \
        quiet_ok "$T/nginx/check.log" nginx -t -q -p "$T/nginx" -c "$T/nginx/nginx.conf" -e "$T/nginx/log/error.log"
else check "nginx: render sync-server.conf" false; fi
if conf_front nginx-tls; then
    check "nginx -t: sync-server-tls.conf + sync-server-routes.conf (loads the certificate)" \
        quiet_ok "$T/nginx-tls/check.log" nginx -t -q -p "$T/nginx-tls" -c "$T/nginx-tls/nginx.conf" -e "$T/nginx-tls/log/error.log"
else check "nginx: render sync-server-tls.conf" false; fi

apache_syntax() {
    local dir=$1 out
    out=$(apache2 -t -f "$dir/apache2.conf" 2>&1) || { echo "  | $out"; return 1; }
    [ "$out" = "Syntax OK" ] || { echo "  | $out"; return 1; }
}
if conf_front apache; then
    check "apache2 -t: sync-server.conf + routes.conf with the modules it names" apache_syntax "$T/apache"
else check "apache: render sync-server.conf" false; fi
if conf_front apache-tls; then
    check "apache2 -t: sync-server-tls.conf + routes.conf (loads the certificate)" apache_syntax "$T/apache-tls"
else check "apache: render sync-server-tls.conf" false; fi

# The same files inside Debian's own main configs (as `lighty-enable-mod`
# and sites-enabled/ put them), with their paths moved into this run's dir.
if [ -f /etc/lighttpd/lighttpd.conf ]; then
    d=$T/lighttpd-debian
    mkdir -p "$d/log" "$d/tmp" "$d/www"
    [ "$IS_ROOT" = 1 ] && chown "$WEB_USER" "$d/log" "$d/tmp"
    sed -e "s|^server.document-root .*|server.document-root = \"$d/www\"|" \
        -e "s|^server.upload-dirs .*|server.upload-dirs = ( \"$d/tmp\" )|" \
        -e "s|^server.errorlog .*|server.errorlog = \"$d/log/error.log\"|" \
        -e "s|^server.pid-file .*|server.pid-file = \"$d/lighttpd.pid\"|" \
        -e "s|^server.port .*|server.port = ${PORT[lighttpd]}|" \
        -e "s|^include \"/etc/lighttpd/conf-enabled/\*.conf\"|include \"$T/lighttpd-tls/sync-server.conf\"\ninclude \"$T/lighttpd-tls/sync-server-tls.conf\"|" \
        /etc/lighttpd/lighttpd.conf >"$d/lighttpd.conf"
    check "lighttpd -tt: both snippets in Debian's lighttpd.conf (conf-enabled/)" \
        quiet_ok "$d/check.log" lighttpd -tt -f "$d/lighttpd.conf"
    check "lighttpd -tt in Debian's lighttpd.conf: says nothing (no warning)" [ ! -s "$d/check.log" ]
fi
if [ -f /etc/nginx/nginx.conf ]; then
    for v in nginx nginx-tls; do
        d=$T/$v-debian
        mkdir -p "$d"
        cp /etc/nginx/fastcgi_params "$d/"     # next to nginx.conf, as in /etc/nginx
        sed -e "s|^pid .*|pid $d/nginx.pid;|" \
            -e "s|^error_log .*|error_log $d/error.log;|" \
            -e "s|access_log /var/log/nginx/access.log;|access_log $d/access.log;|" \
            -e "s|include /etc/nginx/sites-enabled/\*;|include $T/$v/site.conf;|" \
            -e '\|include /etc/nginx/modules-enabled/|d' \
            /etc/nginx/nginx.conf >"$d/nginx.conf"
        check "nginx -t: the $v site in Debian's nginx.conf (sites-enabled/)" \
            quiet_ok "$d/check.log" nginx -t -q -p "$d" -c "$d/nginx.conf" -e "$d/error.log"
    done
fi

# The checks catch a broken file (so a pass above means something).
printf 'this is not a directive\n' >>"$T/lighttpd/sync-server.conf"
check "lighttpd -tt refuses a broken snippet" bash -c "! lighttpd -tt -f '$T/lighttpd/lighttpd.conf' >/dev/null 2>&1"
conf_front lighttpd
printf 'location { \n' >>"$T/nginx/sync-server-routes.conf"
check "nginx -t refuses a broken routes file" bash -c "! nginx -t -q -p '$T/nginx' -c '$T/nginx/nginx.conf' -e /dev/null >/dev/null 2>&1"
conf_front nginx
printf 'ProxyPass /x\n' >>"$T/apache/routes.conf"
check "apache2 -t refuses a broken routes file" bash -c "! apache2 -t -f '$T/apache/apache2.conf' >/dev/null 2>&1"
conf_front apache

echo "== systemd units (at ${SECONDS}s)"
if command -v systemd-analyze >/dev/null; then
    mkdir -p "$T/systemd"
    units=""
    for u in deploy/systemd/*; do
        render "systemd/$(basename "$u")" "$T/systemd/$(basename "$u")" && units="$units $T/systemd/$(basename "$u")"
    done
    # verify needs the programs the units name; the gateway may not be built
    [ -x "$BIN/sync-gateway" ] || printf '#!/bin/sh\n' >"$BIN/sync-gateway"
    chmod 755 "$BIN"/*
    # shellcheck disable=SC2086
    check "systemd-analyze verify: $(ls deploy/systemd | tr '\n' ' ')" \
        quiet_ok "$T/systemd/verify.log" systemd-analyze verify $units
    check "systemd-analyze verify: says nothing (no unknown key, no bad value)" [ ! -s "$T/systemd/verify.log" ]
    [ -s "$T/systemd/verify.log" ] && sed 's/^/  | /' "$T/systemd/verify.log"
    [ -x "$B/sync-gateway" ] || rm -f "$BIN/sync-gateway"
    for u in sync-api@.service sync-gateway.service sync-purge.service; do
        check "$u: sandboxed (DynamicUser, ProtectSystem=strict, ProtectHome, NoNewPrivileges, PrivateTmp)" \
            bash -c "for k in DynamicUser=yes ProtectSystem=strict ProtectHome=yes NoNewPrivileges=yes PrivateTmp=yes \
                     EnvironmentFile=/etc/sync-server/env; do grep -qx \"\$k\" deploy/systemd/$u || exit 1; done"
    done
else
    echo "skip: systemd-analyze is not installed (apt-get install systemd); units not verified"
fi
check "spawn-fcgi/sync-api.sh: sh -n" sh -n deploy/spawn-fcgi/sync-api.sh

# ---- 2. end to end ---------------------------------------------------------------

# node_checks NAME [ENV=VALUE...] -- ARGS...: tests/node/front-e2e.mjs, each
# line it prints is one test of this suite.
node_checks() {
    local name=$1 log="$T/node-$1.log" rc n_ok n_bad
    shift
    local envs=()
    while [ "$1" != -- ]; do envs+=("$1"); shift; done
    shift
    env "${envs[@]}" timeout -k 5 240 node tests/node/front-e2e.mjs "$@" >"$log" 2>&1
    rc=$?
    count_node "$log" "$rc"
}
count_node() {
    local log=$1 rc=$2 n_ok n_bad
    sed 's/^/  /' "$log" | grep -v '^  \(ok\|not ok\) - ' | head -20
    grep -E '^(ok|not ok) - ' "$log"
    n_ok=$(grep -c '^ok - ' "$log")
    n_bad=$(grep -c '^not ok - ' "$log")
    pass=$((pass + n_ok))
    fail=$((fail + n_bad))
    if [ "$rc" -ne 0 ] && [ "$n_bad" -eq 0 ]; then
        fail=$((fail + 1)); echo "not ok - front-e2e.mjs ($log) exited $rc"
    fi
}

# http_code ARGS...: curl's status code (000: no answer).
http_code() { curl -s -o "$T/body" -m 30 -w '%{http_code}' "$@" 2>/dev/null; }

# rest_checks NAME URL: the REST side through a front.
rest_checks() {
    local f=$1 url=$2 code
    code=$(http_code "$url/health")
    check "$f: GET /health is 200 healthy ($code $(head -c 100 "$T/body"))" \
        bash -c "[ '$code' = 200 ] && grep -q '\"healthy\"' '$T/body'"
    code=$(http_code "$url/api/v1/files?path=a.md")
    check "$f: /api/v1 reaches sync-api (401 UNAUTHORIZED JSON without a key: $code)" \
        bash -c "[ '$code' = 401 ] && grep -q '\"UNAUTHORIZED\"' '$T/body'"
    code=$(http_code -X OPTIONS -H 'Origin: app://obsidian.md' -H 'Access-Control-Request-Method: PUT' \
        -D "$T/headers" "$url/api/v1/files")
    check "$f: a CORS preflight reaches sync-api (204 with Access-Control-Allow-Origin: $code)" \
        bash -c "[ '$code' = 204 ] && grep -qi '^access-control-allow-origin: app://obsidian.md' '$T/headers'"
    code=$(http_code -X PUT -H "X-API-Key: $STORE_KEY" -H 'Content-Type: application/json' \
        --data-binary @"$T/body-20m.json" "$url/api/v1/files")
    check "$f: a 20 MiB body reaches sync-api (its JSON error for a content over 10 MiB: $code)" \
        bash -c "[ '$code' = 413 ] || [ '$code' = 400 ]; grep -q '\"error\"' '$T/body'"
    code=$(http_code -X PUT -H "X-API-Key: $STORE_KEY" -H 'Content-Type: application/json' \
        --data-binary @"$T/body-33m.json" "$url/api/v1/files")
    check "$f: a body over 32 MiB is refused with 413 ($code)" [ "$code" = 413 ]
    # a long-polling POST from a client that sends "Expect: 100-continue"
    # (curl does for large bodies) is answered, not left waiting
    local sid
    sid=$(curl -s -m 5 "$url/socket.io/?EIO=4&transport=polling&apiKey=$STORE_KEY" | sed -n 's/.*"sid":"\([^"]*\)".*/\1/p')
    code=$(curl -s -o "$T/body" -m 5 -w '%{http_code}' -H 'Content-Type: text/plain;charset=UTF-8' \
        -H 'Expect: 100-continue' --data-binary '40' "$url/socket.io/?EIO=4&transport=polling&sid=$sid")
    check "$f: a polling POST with Expect: 100-continue is answered within 5 s ($code $(head -c 20 "$T/body"))" \
        bash -c "[ -n '$sid' ] && [ '$code' = 200 ]"
}

# start_front NAME: the web server on its rendered config, in the
# foreground (so its pid is the server's), stopped by pid on exit; waits
# for /health (over HTTPS for a TLS front). When a port was taken meanwhile
# (another program's), once more on new ports.
start_front() {
    local f=$1 dir=$T/$1 pid url code i try
    for try in 1 2; do
        : >"$dir/log/stderr.log"
        case $f in
        lighttpd*) lighttpd -D -f "$dir/lighttpd.conf" >>"$dir/log/stderr.log" 2>&1 & ;;
        nginx*) nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/log/error.log" -g 'daemon off;' >>"$dir/log/stderr.log" 2>&1 & ;;
        apache*) apache2 -f "$dir/apache2.conf" -DFOREGROUND >>"$dir/log/stderr.log" 2>&1 & ;;
        esac
        pid=$!
        FRONT_PIDS="$pid $FRONT_PIDS"
        url="http://127.0.0.1:${PORT[$f]}/health"
        [ -n "${TLS[$f]:-}" ] && url="https://127.0.0.1:${TLS[$f]}/health"
        for i in $(seq 1 200); do
            code=$(curl -s -o /dev/null -m 2 --cacert "$CERT" -w '%{http_code}' "$url" 2>/dev/null)
            [ "$code" = 200 ] && return 0
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        echo "  $f: $url answered ${code:-nothing}"
        tail -n 5 "$dir"/log/*.log | sed 's/^/  | /'
        grep -qiE 'in use|could not bind|make_sock' "$dir"/log/*.log 2>/dev/null || return 1
        [ "$try" = 1 ] || return 1
        echo "  $f: a port was taken; again on new ports"
        kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
        new_port "PORT[$f]"
        [ -n "${TLS[$f]:-}" ] && new_port "TLS[$f]"
        conf_front "$f" || return 1
    done
}

echo "== end to end through each front (at ${SECONDS}s)"
if [ ! -x "$B/sync-gateway" ]; then
    check "sync-gateway is built ($B/sync-gateway): needed for the end-to-end tests" false
    echo "$pass passed, $fail failed"
    exit 1
fi
if [ -z "${DATABASE_URL:-}" ]; then
    OWN_PG=1
    pg_create "$T/pg" && pg_start && "$BIN/syncctl" migrate >/dev/null 2>&1 ||
        { echo "cannot start a PostgreSQL cluster"; echo "$pass passed, $((fail + 1)) failed"; exit 1; }
fi
export DATABASE_URL

STORE_ID=$("$BIN/syncctl" store create deploy-e2e 2>"$T/syncctl.log")
STORE_KEY=$("$BIN/syncctl" key create "$STORE_ID" --name deploy-e2e --perm read,write,settings_read,settings_write 2>>"$T/syncctl.log")
check "syncctl: a store and its key for the tests" bash -c "[ -n '$STORE_ID' ] && [ '${STORE_KEY#sk_store_}' != '$STORE_KEY' ]" ||
    cat "$T/syncctl.log"
# request bodies: a 20 MiB content (sync-api refuses it: over 10 MiB), and
# 33 MiB (over every front's 32 MiB limit)
for n in 20 33; do
    { printf '{"path":"big.md","content":"'; head -c $((n * 1024 * 1024)) /dev/zero | tr '\0' x; printf '"}'; } >"$T/body-${n}m.json"
done

mkdir -p "$T/gateway"
SYNC_GATEWAY_LISTEN="127.0.0.1:$GW_PORT" "$BIN/sync-gateway" >"$T/gateway/gateway.log" 2>&1 &
GW_PID=$!
FRONT_PIDS="$GW_PID $FRONT_PIDS"
gw_listening() { [ -n "$(ss -Hltn "sport = :$GW_PORT")" ]; }
for i in $(seq 1 100); do
    gw_listening && break
    sleep 0.1
done
check "sync-gateway listens on 127.0.0.1:$GW_PORT" gw_listening || tail -5 "$T/gateway/gateway.log"

# the pool, as the script starts it in production: processes of an
# unprivileged account, the socket owned by the web servers' account
SYNC_ENV_FILE=- SYNC_API_BIN="$BIN/sync-api" SYNC_API_SOCKET="$SOCK" SYNC_API_PIDFILE="$POOL_PIDFILE" \
    SYNC_API_PROCS=3 SYNC_API_USER=nobody SYNC_API_SOCKET_OWNER="$WEB_USER" \
    sh deploy/spawn-fcgi/sync-api.sh start >"$T/pool/start.log" 2>"$T/pool/sync-api.log"
check "spawn-fcgi/sync-api.sh start: 3 processes on $SOCK" \
    bash -c "[ -S '$SOCK' ] && [ \$(tr -s '\n' ' ' <'$POOL_PIDFILE' | wc -w) = 3 ]" ||
    cat "$T/pool/start.log" "$T/pool/sync-api.log"
if [ "$IS_ROOT" = 1 ]; then
    check "spawn-fcgi/sync-api.sh: processes run as nobody, the socket belongs to $WEB_USER (0660)" \
        bash -c "[ \"\$(stat -c '%U %a' '$SOCK')\" = '$WEB_USER 660' ] &&
                 for p in \$(tr '\n' ' ' <'$POOL_PIDFILE'); do [ \"\$(ps -o user= -p \$p)\" = nobody ] || exit 1; done"
fi

for f in lighttpd nginx apache lighttpd-tls nginx-tls apache-tls; do
    check "$f: starts with the shipped config" start_front "$f"
done

# Connections left idle for 30 s (beyond Engine.IO's 25 s ping interval)
# through each plain front, on a store of their own so that nothing else
# reaches them meanwhile; they run while the tests below do.
IDLE_ID=$("$BIN/syncctl" store create deploy-idle 2>>"$T/syncctl.log")
IDLE_KEY=$("$BIN/syncctl" key create "$IDLE_ID" --name deploy-idle --perm read,write 2>>"$T/syncctl.log")
idle_pids=""
for f in lighttpd nginx apache; do
    for t in websocket polling; do
        timeout -k 5 120 node tests/node/front-e2e.mjs "http://127.0.0.1:${PORT[$f]}" "$IDLE_KEY" \
            --transports "$t" --idle 30 --label "$f-idle" >"$T/node-$f-idle-$t.log" 2>&1 &
        idle_pids="$idle_pids $!:$T/node-$f-idle-$t.log"
    done
done

for f in lighttpd nginx apache; do
    echo "== $f: http://127.0.0.1:${PORT[$f]} (at ${SECONDS}s)"
    rest_checks "$f" "http://127.0.0.1:${PORT[$f]}"
    node_checks "$f" -- "http://127.0.0.1:${PORT[$f]}" "$STORE_KEY" --big --label "$f"
done
for f in lighttpd-tls nginx-tls apache-tls; do
    echo "== $f: https://127.0.0.1:${TLS[$f]} (HTTP on ${PORT[$f]}) (at ${SECONDS}s)"
    code=$(http_code -D "$T/headers" "http://127.0.0.1:${PORT[$f]}/socket.io/?EIO=4&transport=polling&apiKey=$STORE_KEY")
    check "$f: plain HTTP redirects to HTTPS with 308 ($code $(grep -i '^location:' "$T/headers" | tr -d '\r' | sed 's/?.*//'))" \
        bash -c "[ '$code' = 308 ] && grep -qi '^location: https://' '$T/headers'"
    code=$(http_code --cacert "$CERT" "https://127.0.0.1:${TLS[$f]}/health")
    check "$f: GET /health over HTTPS is 200 ($code)" [ "$code" = 200 ]
    node_checks "$f" NODE_EXTRA_CA_CERTS="$CERT" -- "https://127.0.0.1:${TLS[$f]}" "$STORE_KEY" --label "$f"
done

echo "== connections idle for 30 s through each front: they stayed up (at ${SECONDS}s)"
for p in $idle_pids; do
    wait "${p%%:*}"
    count_node "${p#*:}" $?
done

echo "== logs (at ${SECONDS}s)"
front_stop      # lighttpd writes its access log out at exit
for f in lighttpd nginx apache lighttpd-tls nginx-tls apache-tls; do
    log=$T/$f/log/access.log
    n=$(grep -cE '(^|" )5[0-9][0-9] ' "$log" 2>/dev/null)
    check "$f access log: no 5xx answer in $(cat "$log" 2>/dev/null | wc -l) requests" [ "${n:-0}" -eq 0 ]
    [ "${n:-0}" -eq 0 ] || grep -E '(^|" )5[0-9][0-9] ' "$log" | head -5
    check "$f access log: /socket.io/ requests logged without the API key of their query string" \
        grep -q 'GET /socket.io/ ' "$log"
    n=$(cat "$T/$f"/log/*.log | grep -cE 'sk_store_[0-9a-f]{6}_[A-Za-z0-9_-]{32}')
    check "$f: no full API key in any of its logs ($(ls "$T/$f/log" | tr '\n' ' '))" [ "${n:-0}" -eq 0 ]
done
pool_pids=$(tr '\n' ' ' <"$POOL_PIDFILE")
SYNC_API_PIDFILE="$POOL_PIDFILE" SYNC_API_SOCKET="$SOCK" sh deploy/spawn-fcgi/sync-api.sh stop >/dev/null 2>&1
check "spawn-fcgi/sync-api.sh stop: every process of the pool gone, socket removed" \
    bash -c "for p in $pool_pids; do s=\$(ps -o stat= -p \$p) && case \$s in Z*) ;; *) exit 1 ;; esac; done; [ ! -e '$SOCK' ]"
n=$(cat "$T/pool/sync-api.log" "$T/gateway/gateway.log" | grep -cE 'AddressSanitizer|LeakSanitizer|runtime error:')
check "sync-api pool and sync-gateway: no sanitizer report" [ "$n" -eq 0 ]

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
