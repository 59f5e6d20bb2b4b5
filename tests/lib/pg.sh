# pg.sh - a throwaway PostgreSQL 15 cluster for tests and the local runner.
# Source it, then: pg_create DIR; pg_start; ...; pg_stop; pg_destroy.
# As root the server runs as the unprivileged "postgres" user (initdb refuses root).
# It listens on a unix socket inside DIR only, so no port can collide.
# Exports DATABASE_URL, PGHOST, PGPORT, PGUSER, PGDATABASE for the programs under test.

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_DIR=""
PG_PORT=${PG_PORT:-5432}

pg_as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# pg_create DIR [fsync]: initdb into DIR/data (fsync off unless the 2nd arg is "fsync").
pg_create() {
    PG_DIR=$1
    local fsync=${2:-nofsync}
    mkdir -p "$PG_DIR/sock" "$PG_DIR/data" || return 1
    chmod 755 "$PG_DIR" "$PG_DIR/sock"
    if [ "$(id -u)" = 0 ]; then
        # every parent must be traversable by the server's user
        chown postgres: "$PG_DIR/data" "$PG_DIR/sock" || return 1
    fi
    chmod 700 "$PG_DIR/data"
    pg_as_owner "$PG_BIN/initdb" -D "$PG_DIR/data" -U sync -A trust -E UTF8 \
        --locale=C.UTF-8 --no-sync >"$PG_DIR/initdb.log" 2>&1 || {
        cat "$PG_DIR/initdb.log" >&2; return 1; }
    {
        echo "listen_addresses = ''"
        echo "unix_socket_directories = '$PG_DIR/sock'"
        echo "port = $PG_PORT"
        echo "max_connections = 300"
        echo "shared_buffers = 128MB"
        echo "autovacuum_naptime = 10s"
        if [ "$fsync" != fsync ]; then
            echo "fsync = off"
            echo "synchronous_commit = off"
            echo "full_page_writes = off"
        fi
    } >>"$PG_DIR/data/postgresql.conf"
    pg_export
}

pg_export() {
    export PGHOST="$PG_DIR/sock" PGPORT="$PG_PORT" PGUSER=sync PGDATABASE=sync
    export DATABASE_URL="postgresql://sync@/sync?host=$PG_DIR/sock&port=$PG_PORT"
}

pg_start() {
    pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/data/server.log" -w -t 30 start >/dev/null || {
        tail -20 "$PG_DIR/data/server.log" >&2; return 1; }
    if ! "$PG_BIN/psql" -qAtX -d postgres -c "select 1 from pg_database where datname='sync'" | grep -q 1; then
        "$PG_BIN/createdb" sync || return 1
    fi
}

# pg_stop [mode]: fast by default; "immediate" simulates a crash.
pg_stop() {
    [ -n "$PG_DIR" ] && [ -f "$PG_DIR/data/postmaster.pid" ] || return 0
    pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m "${1:-fast}" -w -t 30 stop >/dev/null 2>&1
}

pg_destroy() {
    pg_stop
    [ -n "$PG_DIR" ] && rm -rf "$PG_DIR"
    PG_DIR=""
}
