#!/usr/bin/env bash
# Full check: ruff, then pytest on SQLite, then pytest on PostgreSQL + Redis.
# Called by `make test` (which builds .venv first). Needs root (or sudo) only
# when Debian packages are missing.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

PY=${PY:-$ROOT/.venv/bin/python}
[ -x "$PY" ] || { echo "missing $PY; run 'make venv' first" >&2; exit 1; }

# shellcheck source=scripts/services.sh
source "$ROOT/scripts/services.sh"

# --- Debian packages ---------------------------------------------------------
# nginx: the two-node test (tests/deploy/) runs deploy/nginx/ in front of two gunicorn nodes.
# pango and WenQuanYi Micro Hei: the PDF documents (WeasyPrint); Zen Hei: the browser's pages.
bash "$ROOT/scripts/deb_packages.sh" postgresql redis-server chromium fonts-wqy-zenhei nginx \
    libpango-1.0-0 libpangoft2-1.0-0 fonts-wqy-microhei

# --- Lint (fails fast, before any service is started) ------------------------
echo "[test-all] ruff check . && ruff format --check ."
"$PY" -m ruff check .
"$PY" -m ruff format --check .

# --- Services ------------------------------------------------------------------
trap services_stop EXIT
# Don't let an outer DATABASE_URL / REDIS_URL leak into the SQLite run.
unset DATABASE_URL REDIS_URL
services_start
PG_DATABASE_URL=$DATABASE_URL
PG_REDIS_URL=$REDIS_URL
unset DATABASE_URL REDIS_URL

export REQUIRE_BROWSER=1
export CHROMIUM_PATH=${CHROMIUM_PATH:-/usr/bin/chromium}
export DJANGO_ALLOW_ASYNC_UNSAFE=true
mkdir -p artifacts

# Run pytest, map exit code 5 (nothing collected) to a failure.
# run_pytest LABEL [ENV-PREFIX...] [-- PYTEST-ARGS...]
run_pytest() {
    local label=$1
    shift
    local prefix=() extra=()
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do
        prefix+=("$1")
        shift
    done
    [ $# -gt 0 ] && shift && extra=("$@")
    echo
    echo "[test-all] ===== pytest ($label) ====="
    local rc=0
    "${prefix[@]}" "$PY" -m pytest "${extra[@]}" "${PYTEST_ARGS[@]}" || rc=$?
    if [ "$rc" -eq 5 ]; then
        echo "[test-all] pytest ($label): no tests were collected; treating as failure" >&2
    fi
    return "$rc"
}

# Extra pytest arguments can be passed through: scripts/test-all.sh -k foo -x
PYTEST_ARGS=("$@")

# The two passes run side by side (one core each; TEST_SERIAL=1 runs them one after the
# other): the SQLite pass writes to a log, shown when both are done.
sqlite_rc=0
sqlite_log=$(mktemp /tmp/awards-sqlite-pass.XXXXXX)
if [ "${TEST_SERIAL:-0}" = 1 ]; then
    run_pytest "SQLite, locmem cache" env -u DATABASE_URL -u REDIS_URL || sqlite_rc=$?
else
    echo "[test-all] pytest on SQLite runs beside the PostgreSQL pass; its output: $sqlite_log"
    run_pytest "SQLite, locmem cache" env -u DATABASE_URL -u REDIS_URL >"$sqlite_log" 2>&1 &
    sqlite_pid=$!
fi

# Only the PostgreSQL run: the real-worker, object-store and two-node tests must run there,
# not skip. Page-markup checks that no database engine changes (engine_neutral) ran above.
pg_rc=0
run_pytest "PostgreSQL + Redis" \
    env DATABASE_URL="$PG_DATABASE_URL" REDIS_URL="$PG_REDIS_URL" \
    REQUIRE_WORKER=1 REQUIRE_S3=1 REQUIRE_MULTINODE=1 \
    -- -m "not engine_neutral" || pg_rc=$?

if [ "${TEST_SERIAL:-0}" != 1 ]; then
    wait "$sqlite_pid" || sqlite_rc=$?
    cat "$sqlite_log"
fi
rm -f "$sqlite_log"

summary() {
    local label=$1 rc=$2
    if [ "$rc" -eq 0 ]; then
        echo "[test-all] PASS  $label"
    elif [ "$rc" -eq 5 ]; then
        echo "[test-all] FAIL  $label (exit 5: no tests collected)"
    else
        echo "[test-all] FAIL  $label (exit $rc)"
    fi
}
echo
echo "[test-all] ===== summary ====="
echo "[test-all] PASS  ruff check, ruff format --check"
summary "pytest on SQLite" "$sqlite_rc"
summary "pytest on PostgreSQL ($PG_DATABASE_URL) + Redis ($PG_REDIS_URL)" "$pg_rc"

if [ "$sqlite_rc" -ne 0 ] || [ "$pg_rc" -ne 0 ]; then
    exit 1
fi
