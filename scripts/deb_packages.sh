#!/usr/bin/env bash
# Install the Debian packages given as arguments that are not installed yet.
# Used by `make run` (pango and a CJK font for the PDF documents) and scripts/test-all.sh.
# Needs root or sudo only when something is missing.
set -euo pipefail

missing=()
for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done
[ ${#missing[@]} -gt 0 ] || exit 0

echo "[deb_packages] installing Debian packages: ${missing[*]}"
SUDO=()
[ "$(id -u)" -eq 0 ] || SUDO=(sudo)
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "${missing[@]}"
