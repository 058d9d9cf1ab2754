#!/usr/bin/env bash
# Regenerate the two locks from pyproject.toml, keeping every pin that still fits:
#   requirements/lock.txt     everything: run time, Airflow, the embedded database, the dev tools.
#                             scripts/bootstrap.sh installs it; the tests run against it.
#   requirements/replay.txt   the replay server (pywb) alone, from requirements/replay.in.
#   requirements/runtime.txt  run time and Airflow only: what the Docker image installs. It is
#                             compiled with lock.txt as constraints, so every package it holds has
#                             exactly the version the tests ran with (scripts/check-docker.sh checks).
# After changing a pin in pyproject.toml: requirements/compile.sh, then scripts/bootstrap.sh.
# To move every transitive pin to its newest version: requirements/compile.sh --upgrade.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh >/dev/null 2>&1 || true   # for .venv/bin/uv; a broken lock is fixed below
uv=.venv/bin/uv
[ -x "$uv" ] || { echo "compile.sh: .venv/bin/uv is missing (run scripts/bootstrap.sh)" >&2; exit 1; }
export UV_CUSTOM_COMPILE_COMMAND="requirements/compile.sh"
"$uv" pip compile -q "$@" pyproject.toml --extra airflow --extra embedded --extra dev -p 3.11 \
    -o requirements/lock.txt
"$uv" pip compile -q pyproject.toml --extra airflow -p 3.11 -c requirements/lock.txt \
    -o requirements/runtime.txt
# pywb's own environment (pipeline/replay/server.py): a lock of its own, with hashes, because
# its pins clash with lock.txt.
"$uv" pip compile -q "$@" requirements/replay.in -p 3.11 --generate-hashes -o requirements/replay.txt
# The constraint is in every entry's "via": drop it, the header says so once.
sed -i -e '/^    #   -c requirements\/lock.txt$/d' -e 's|^#    requirements/compile.sh$|#    requirements/compile.sh (pinned to requirements/lock.txt)|' requirements/runtime.txt
echo "compile.sh: requirements/lock.txt ($(grep -c '^[a-z]' requirements/lock.txt) packages)," \
    "requirements/runtime.txt ($(grep -c '^[a-z]' requirements/runtime.txt) packages)"
