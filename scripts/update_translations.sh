#!/usr/bin/env bash
# Extract gettext strings into locale/*/LC_MESSAGES/django.po, then compile the
# .mo files (which are committed). Needs GNU gettext (`apt-get install gettext`).
# Translate new msgids in locale/en/LC_MESSAGES/django.po and re-run.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

PY=${PY:-$ROOT/.venv/bin/python}
[ -x "$PY" ] || { echo "missing $PY; run 'make venv' first" >&2; exit 1; }
command -v msgfmt >/dev/null || {
    echo "msgfmt not found; install gettext (apt-get install -y gettext)" >&2
    exit 1
}

mkdir -p locale

"$PY" manage.py makemessages -l zh_Hans -l en \
    --ignore=.venv --ignore=staticfiles --ignore=var --ignore=artifacts \
    --no-obsolete
"$PY" manage.py compilemessages --ignore=.venv
