#!/usr/bin/env bash
# Throwaway PostgreSQL + Redis + an S3-compatible store (moto) for the test suite.
#
# Source it and call `services_start` (sets DATABASE_URL / REDIS_URL /
# TEST_S3_ENDPOINT_URL and installs nothing), then `services_stop` (the caller's
# EXIT trap should do it).
#
# Run directly:
#   scripts/services.sh check          start all three, psql 'select 1', redis ping, S3 answer, stop
#   scripts/services.sh exec CMD ...   start all three, run CMD with their URLs, stop
#
# Nothing here touches a system-wide PostgreSQL cluster or Redis: the data
# directory, sockets, logs and pidfiles all live in one `mktemp -d` directory.
# The S3 server (moto, from .venv) keeps its buckets in memory; tests/storage/ uses it.

SERVICES_DIR=""
PG_BIN=""
PG_PORT=""
REDIS_PORT=""
MOTO_PORT=""
PG_STARTED=0
REDIS_STARTED=0
MOTO_STARTED=0
_SVC_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

_svc_log() { printf '[services] %s\n' "$*" >&2; }

# True when something accepts TCP connections on 127.0.0.1:$1.
_svc_port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Print the first free port starting from $1 (tries 50 ports).
_svc_free_port() {
    local port=$1 i
    for ((i = 0; i < 50; i++)); do
        if ! _svc_port_in_use "$port"; then
            echo "$port"
            return 0
        fi
        port=$((port + 1))
    done
    _svc_log "no free port found near $1"
    return 1
}

# True when an HTTP server on 127.0.0.1:$1 answers a request (any status).
_svc_http_answers() {
    (
        exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
        printf 'GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
        IFS= read -r -t 2 line <&3
        [[ "$line" == HTTP/* ]]
    ) 2>/dev/null
}

# Run a command as the postgres user when we are root (initdb refuses root).
_svc_as_pg() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

_svc_find_pg_bin() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -z "$dir" ] || [ ! -x "$dir/initdb" ]; then
        _svc_log "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin"
        return 1
    fi
    PG_BIN=$dir
}

services_start() {
    _svc_find_pg_bin
    command -v redis-server >/dev/null || { _svc_log "redis-server not found"; return 1; }

    SERVICES_DIR=$(mktemp -d /tmp/awards-services.XXXXXX)
    chmod 755 "$SERVICES_DIR"
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres:postgres "$SERVICES_DIR"
    fi

    PG_PORT=$(_svc_free_port "${PG_PORT_BASE:-54329}")
    REDIS_PORT=$(_svc_free_port "${REDIS_PORT_BASE:-63799}")

    # --- PostgreSQL -------------------------------------------------------
    _svc_log "initdb ($PG_BIN) in $SERVICES_DIR/pgdata"
    _svc_as_pg "$PG_BIN/initdb" -D "$SERVICES_DIR/pgdata" -U postgres --auth=trust \
        -E UTF8 --locale=C.UTF-8 >"$SERVICES_DIR/initdb.log" 2>&1 || {
        cat "$SERVICES_DIR/initdb.log" >&2
        return 1
    }
    _svc_log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
    # Mark as started before pg_ctl so a half-started server is still stopped.
    PG_STARTED=1
    _svc_as_pg "$PG_BIN/pg_ctl" -D "$SERVICES_DIR/pgdata" -l "$SERVICES_DIR/postgres.log" -w \
        -o "-k $SERVICES_DIR -p $PG_PORT -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >/dev/null || {
        cat "$SERVICES_DIR/postgres.log" >&2
        return 1
    }
    local i
    for ((i = 0; i < 60; i++)); do
        "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" && break
        sleep 0.5
    done
    "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" || {
        _svc_log "PostgreSQL did not become ready"
        return 1
    }
    "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres \
        -c "CREATE DATABASE awards OWNER postgres ENCODING 'UTF8' TEMPLATE template0" >/dev/null

    # --- Redis ------------------------------------------------------------
    _svc_log "starting redis-server on 127.0.0.1:$REDIS_PORT"
    REDIS_STARTED=1
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no \
        --daemonize yes --pidfile "$SERVICES_DIR/redis.pid" \
        --logfile "$SERVICES_DIR/redis.log" --dir "$SERVICES_DIR"
    for ((i = 0; i < 60; i++)); do
        [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = "PONG" ] && break
        sleep 0.2
    done
    [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = "PONG" ] || {
        _svc_log "redis-server did not answer PING"
        cat "$SERVICES_DIR/redis.log" >&2 || true
        return 1
    }

    # --- S3-compatible store (moto) ------------------------------------------
    local py=${PY:-${ROOT:-$_SVC_ROOT}/.venv/bin/python}
    MOTO_PORT=$(_svc_free_port "${MOTO_PORT_BASE:-59000}")
    _svc_log "starting moto S3 server on 127.0.0.1:$MOTO_PORT"
    MOTO_STARTED=1
    "$py" -m moto.server -H 127.0.0.1 -p "$MOTO_PORT" >"$SERVICES_DIR/moto.log" 2>&1 &
    echo $! >"$SERVICES_DIR/moto.pid"
    for ((i = 0; i < 150; i++)); do
        _svc_http_answers "$MOTO_PORT" && break
        sleep 0.2
    done
    _svc_http_answers "$MOTO_PORT" || {
        _svc_log "moto S3 server did not answer on port $MOTO_PORT"
        cat "$SERVICES_DIR/moto.log" >&2 || true
        return 1
    }

    export DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/awards"
    export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
    export TEST_S3_ENDPOINT_URL="http://127.0.0.1:$MOTO_PORT"
    _svc_log "DATABASE_URL=$DATABASE_URL REDIS_URL=$REDIS_URL TEST_S3_ENDPOINT_URL=$TEST_S3_ENDPOINT_URL"
}

# Idempotent; safe to call from an EXIT trap after a partial start.
services_stop() {
    if [ "$MOTO_STARTED" = 1 ]; then
        MOTO_STARTED=0
        local moto_pid
        moto_pid=$(cat "$SERVICES_DIR/moto.pid" 2>/dev/null || true)
        if [ -n "$moto_pid" ]; then
            kill "$moto_pid" 2>/dev/null || true
            local j
            for ((j = 0; j < 25; j++)); do
                kill -0 "$moto_pid" 2>/dev/null || break
                sleep 0.2
            done
            kill -0 "$moto_pid" 2>/dev/null && kill -9 "$moto_pid" 2>/dev/null || true
        fi
        unset TEST_S3_ENDPOINT_URL
    fi
    if [ "$REDIS_STARTED" = 1 ]; then
        REDIS_STARTED=0
        redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
        if [ -f "$SERVICES_DIR/redis.pid" ]; then
            local pid
            pid=$(cat "$SERVICES_DIR/redis.pid" 2>/dev/null || true)
            local i
            for ((i = 0; i < 25; i++)); do
                [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || break
                sleep 0.2
            done
            [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && kill "$pid" 2>/dev/null || true
        fi
    fi
    if [ "$PG_STARTED" = 1 ]; then
        PG_STARTED=0
        if [ -f "$SERVICES_DIR/pgdata/postmaster.pid" ]; then
            _svc_as_pg "$PG_BIN/pg_ctl" -D "$SERVICES_DIR/pgdata" -m fast -w stop \
                >/dev/null 2>&1 || true
        fi
    fi
    if [ -n "$SERVICES_DIR" ] && [ -d "$SERVICES_DIR" ]; then
        rm -rf "$SERVICES_DIR"
    fi
    SERVICES_DIR=""
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    trap services_stop EXIT
    case "${1:-}" in
        check)
            services_start
            dir=$SERVICES_DIR
            "$PG_BIN/psql" -X -h 127.0.0.1 -p "$PG_PORT" -U postgres -d awards -tAc 'select 1'
            redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping
            _svc_http_answers "$MOTO_PORT" && echo "S3 answers at $TEST_S3_ENDPOINT_URL"
            services_stop
            [ ! -e "$dir" ] || { _svc_log "temp dir $dir still exists"; exit 1; }
            ! _svc_port_in_use "$PG_PORT" || { _svc_log "port $PG_PORT still open"; exit 1; }
            ! _svc_port_in_use "$REDIS_PORT" || { _svc_log "port $REDIS_PORT still open"; exit 1; }
            ! _svc_port_in_use "$MOTO_PORT" || { _svc_log "port $MOTO_PORT still open"; exit 1; }
            _svc_log "check OK: the three services started, answered and stopped"
            ;;
        exec)
            shift
            [ $# -gt 0 ] || { echo "usage: $0 exec CMD [ARGS...]" >&2; exit 2; }
            services_start
            "$@"
            ;;
        *)
            echo "usage: $0 check | exec CMD [ARGS...]" >&2
            exit 2
            ;;
    esac
fi
