#!/usr/bin/env bash
# Create or refresh ./.venv with the pinned dependencies (requirements/lock.txt) and the
# project itself. Fast when nothing changed; safe to run on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."

find_python() {
    for candidate in "${DADKHAH_PYTHON:-}" python3.13 python3.12 python3.11 python3; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

PYTHON=$(find_python) || {
    echo "dadkhah needs Python >= 3.11 (set DADKHAH_PYTHON to its path)" >&2
    exit 1
}

if [ ! -x .venv/bin/python ]; then
    if ! "$PYTHON" -m venv .venv 2>/dev/null; then
        rm -rf .venv
        if ! "$PYTHON" -m pip --version >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
            apt-get update -qq && apt-get install -y -qq python3-venv python3-pip >/dev/null
        fi
        "$PYTHON" -m venv .venv 2>/dev/null || {
            "$PYTHON" -m pip install -q --user uv && "$PYTHON" -m uv venv -q -p "$PYTHON" .venv
        }
    fi
fi

stamp=.venv/.dadkhah-installed
want=$(cat requirements/lock.txt pyproject.toml | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    if [ ! -x .venv/bin/uv ]; then
        if ! .venv/bin/python -m pip --version >/dev/null 2>&1; then
            .venv/bin/python -m ensurepip >/dev/null
        fi
        .venv/bin/python -m pip install -q uv==0.13.8
    fi
    # Byte-compile at install: some environments set PYTHONDONTWRITEBYTECODE, and every crawl
    # runs in a fresh interpreter that would otherwise recompile its imports each time.
    .venv/bin/uv pip install -q --compile-bytecode -p .venv/bin/python -r requirements/lock.txt -e .
    echo "$want" >"$stamp"
fi
