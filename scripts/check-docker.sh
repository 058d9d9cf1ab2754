#!/usr/bin/env bash
# Static checks of the Docker setup. They need no Docker engine, so CI can run them anywhere.
#
#  1. docker-compose.yml is valid for `docker-compose config` (v1.29, apt's package), and for
#     `docker compose` v2 when that is installed, with and without the celery profile, and
#     with .env.example as its settings.
#  2. Without those settings it refuses to start (no built-in passwords), and every ${VAR}
#     it reads is documented in .env.example.
#  3. It has the services, health checks, start order, volumes and ports the docs promise
#     (the replay service published on loopback by default).
#  4. The Dockerfile installs the run-time lock, requirements/runtime.txt: every pin in it is
#     the pin the tests run with (requirements/lock.txt), it holds every direct dependency of
#     pyproject.toml at its pin and no test, lint or embedded-database package; the same Airflow
#     and Python versions; then the project itself, with a pinned build backend. Everything it
#     COPYs exists and is not excluded by .dockerignore.
#
# Usage: scripts/check-docker.sh. On a fresh Debian/Ubuntu machine it must run as root: it
# installs docker-compose (apt) if that is missing. It exits non-zero on the first problem.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() {
    echo "check-docker: FAIL: $*" >&2
    exit 1
}
step() { echo "check-docker: $*"; }

# --- tools ---------------------------------------------------------------------------
if ! command -v docker-compose >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        step "installing docker-compose (apt)"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-compose >/dev/null
    else
        fail "docker-compose is not installed (as root: apt-get install --no-install-recommends docker-compose)"
    fi
fi
command -v python3 >/dev/null 2>&1 || fail "python3 is needed"
python3 -c "import yaml" 2>/dev/null || fail "python3 needs PyYAML (apt-get install python3-yaml)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
: >"$tmp/empty.env"

for f in docker-compose.yml Dockerfile .dockerignore .env.example docker/postgres/init-databases.sql \
    docker/healthcheck.py requirements/lock.txt requirements/runtime.txt pyproject.toml; do
    [ -f "$f" ] || fail "$f is missing"
done

# Compose reads .env from the project folder by itself; pass the settings explicitly instead,
# and keep the caller's environment out of it.
compose() {
    env -i PATH="$PATH" HOME="${HOME:-/root}" docker-compose --project-directory . -f docker-compose.yml "$@"
}

# --- 1. the compose file is valid ---------------------------------------------------------
step "docker-compose $(docker-compose version --short 2>/dev/null || echo '?'): config -q"
compose --env-file .env.example config -q || fail "docker-compose.yml is not valid (see above)"
compose --env-file .env.example --profile celery --profile cli config -q ||
    fail "docker-compose.yml is not valid with the celery and cli profiles (see above)"
if docker compose version >/dev/null 2>&1; then
    step "docker compose $(docker compose version --short): config -q"
    env -i PATH="$PATH" HOME="${HOME:-/root}" docker compose --env-file .env.example -f docker-compose.yml \
        --profile celery --profile cli config -q || fail "docker compose (v2) rejects docker-compose.yml"
fi

# --- 2. no built-in credentials; every setting documented -----------------------------------
step "refuses to start without settings"
if compose --env-file "$tmp/empty.env" config -q 2>"$tmp/noenv.err"; then
    fail "docker-compose.yml works with no .env: a password must have a built-in default"
fi
grep -q "set .* in .env" "$tmp/noenv.err" || fail "unexpected error without settings: $(cat "$tmp/noenv.err")"

step "every \${VAR} in docker-compose.yml is in .env.example"
missing=""
for var in $(grep -oE '(^|[^$])\$\{[A-Za-z_][A-Za-z0-9_]*' docker-compose.yml | sed -E 's/.*\$\{//' | sort -u); do
    grep -qE "^${var}=" .env.example || missing="$missing $var"
done
[ -z "$missing" ] || fail "not documented in .env.example:$missing"
for var in AIRFLOW_EXECUTOR COMPOSE_PROFILES; do
    grep -qE "^${var}=" .env.example || fail "$var is missing from .env.example"
done

# --- 3. the promised shape ------------------------------------------------------------------
step "services, health checks, start order, volumes, ports"
compose --env-file .env.example --profile celery --profile cli config >"$tmp/celery.yml" ||
    fail "docker-compose config (celery and cli profiles) failed"
python3 - "$tmp/celery.yml" <<'PY' || fail "docker-compose.yml does not have the expected shape (see above)"
import sys

import yaml

config = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
services = config["services"]
problems = []


def check(condition, message):
    if not condition:
        problems.append(message)


def seconds(duration):
    """A compose duration ("30s", "1m", "1m30s") in seconds."""
    import re

    units = {"h": 3600, "m": 60, "s": 1, "ms": 0.001}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|h|m|s)", duration)
    return sum(float(n) * units[u] for n, u in parts)


def mounts(service):
    """Volume entries as "source:target" (compose v1 prints strings, v2 mappings)."""
    out = []
    for v in services.get(service, {}).get("volumes", []):
        out.append(f"{v.get('source')}:{v.get('target')}" if isinstance(v, dict) else str(v))
    return out


airflow = ["airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer"]
for name in ["postgres", "airflow-init", *airflow, "redis", "airflow-worker"]:
    check(name in services, f"service {name} is missing")
for name in ["postgres", *airflow, "redis", "airflow-worker"]:
    check("healthcheck" in services.get(name, {}), f"{name} has no healthcheck")
for name in [*airflow, "airflow-worker"]:
    deps = services.get(name, {}).get("depends_on", {})
    check(
        deps.get("postgres", {}).get("condition") == "service_healthy",
        f"{name} must wait for a healthy postgres",
    )
    check(
        deps.get("airflow-init", {}).get("condition") == "service_completed_successfully",
        f"{name} must wait for airflow-init to finish",
    )
    env = services.get(name, {}).get("environment", {})
    check(env.get("AIRFLOW_CONN_DADKHAH_DB", "").startswith("postgresql://"), f"{name}: no dadkhah_db")
    check(env.get("AIRFLOW__API_AUTH__JWT_SECRET"), f"{name}: no shared JWT secret")
    check(any("/opt/dadkhah/config" in v for v in mounts(name)), f"{name}: config/ is not mounted")
    check(any(v.startswith("dadkhah-data:") for v in mounts(name)), f"{name}: no archive volume")
    timeout = str(services.get(name, {}).get("healthcheck", {}).get("timeout", "0s"))
    check(seconds(timeout) >= 30, f"{name}: health check timeout {timeout} is too short for a busy host (>= 30s)")
    test = " ".join(map(str, services.get(name, {}).get("healthcheck", {}).get("test", [])))
    check("airflow jobs check" not in test, f"{name}: `airflow jobs check` takes 10-30 s to import")
cli = services.get("airflow-cli", {})
check(cli.get("profiles") == ["cli"], "airflow-cli must be in the cli profile")
check("airflow-init" not in (cli.get("depends_on") or {}),
      "airflow-cli must not depend on airflow-init (a dadkhah command would re-run the init)")
check("postgres" in (cli.get("depends_on") or {}), "airflow-cli must wait for postgres")
init = services.get("airflow-init", {})
init_script = " ".join(map(str, init.get("command", [])))
for needed in ("airflow db migrate", "dadkhah db upgrade", "passwords.json"):
    check(needed in init_script, f"airflow-init does not run {needed!r}")
worker = services.get("airflow-worker", {})
check("container_name" not in worker and not worker.get("ports"), "airflow-worker cannot be scaled")
check(worker.get("profiles") == ["celery"], "airflow-worker must be in the celery profile")
check(services.get("redis", {}).get("profiles") == ["celery"], "redis must be in the celery profile")
ports = [str(p.get("published", p) if isinstance(p, dict) else p) for p in
         services.get("airflow-apiserver", {}).get("ports", [])]
check(any("8080" in p for p in ports), "the API server is not published on 8080")
check(services.get("postgres", {}).get("ports"), "postgres is not published on a host port")
check(any("docker-entrypoint-initdb.d" in v for v in mounts("postgres")), "postgres has no init script")
check(any(v.startswith("postgres-data:") for v in mounts("postgres")), "postgres data is not on a volume")
replay = services.get("replay", {})
check("healthcheck" in replay, "replay has no healthcheck")
check(any(v.startswith("dadkhah-data:") for v in mounts("replay")), "replay: no archive volume")
check("replay" in " ".join(map(str, replay.get("command", []))), "replay must run `dadkhah replay`")
check(
    replay.get("depends_on", {}).get("airflow-init", {}).get("condition") == "service_completed_successfully",
    "replay must wait for airflow-init (the migrations)",
)
replay_ports = [p.get("host_ip", "") if isinstance(p, dict) else str(p).split(":")[0] for p in replay.get("ports", [])]
check(replay_ports == ["127.0.0.1"], f"replay must be published on loopback by default, not {replay_ports}")
for volume in ("postgres-data", "dadkhah-data"):
    check(volume in (config.get("volumes") or {}), f"volume {volume} is not declared")
for problem in problems:
    print(f"  - {problem}", file=sys.stderr)
sys.exit(1 if problems else 0)
PY

# --- 4. the Dockerfile installs what the tests install ---------------------------------------
step "Dockerfile: the run-time lock, same Airflow and Python as the tests"
lock_airflow=$(grep -E '^apache-airflow==' requirements/lock.txt | cut -d= -f3)
[ -n "$lock_airflow" ] || fail "requirements/lock.txt does not pin apache-airflow"
docker_airflow=$(sed -nE 's/^ARG AIRFLOW_VERSION=([0-9.]+).*/\1/p' Dockerfile)
[ "$docker_airflow" = "$lock_airflow" ] ||
    fail "Dockerfile AIRFLOW_VERSION=$docker_airflow but requirements/lock.txt pins apache-airflow==$lock_airflow"
grep -q "\"apache-airflow==$lock_airflow\"" pyproject.toml ||
    fail "pyproject.toml does not pin apache-airflow==$lock_airflow"
lock_python=$(sed -nE 's/.* -p ([0-9]+\.[0-9]+).*/\1/p' requirements/lock.txt | head -1)
docker_python=$(sed -nE 's/^ARG PYTHON_VERSION=([0-9.]+).*/\1/p' Dockerfile)
[ -z "$lock_python" ] || [ "$docker_python" = "$lock_python" ] ||
    fail "Dockerfile PYTHON_VERSION=$docker_python but the lock was compiled for Python $lock_python"
grep -qE '^FROM apache/airflow:slim-\$\{AIRFLOW_VERSION\}-python\$\{PYTHON_VERSION\}' Dockerfile ||
    fail "Dockerfile must start FROM apache/airflow:slim-\${AIRFLOW_VERSION}-python\${PYTHON_VERSION}"
grep -qE 'pip install "apache-airflow==\$\{AIRFLOW_VERSION\}" -r requirements/runtime\.txt' Dockerfile ||
    fail "Dockerfile must install requirements/runtime.txt (with apache-airflow held at the image's version)"
grep -qE 'pip install --no-deps -e \.' Dockerfile || fail "Dockerfile must install the project (--no-deps -e .)"
grep -qE 'pip check' Dockerfile || fail "Dockerfile must end its install with pip check"

step "requirements/runtime.txt agrees with requirements/lock.txt and pyproject.toml"
python3 - <<'PY' || fail "the locks disagree (see above; requirements/compile.sh regenerates them)"
import re
import sys
import tomllib

norm = lambda n: re.sub(r"[-_.]+", "-", n).lower()  # noqa: E731


def pins(path):
    text = open(path, encoding="utf-8").read()
    return {norm(n): v for n, v in re.findall(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==(\S+)", text, re.M)}


lock, runtime = pins("requirements/lock.txt"), pins("requirements/runtime.txt")
project = tomllib.load(open("pyproject.toml", "rb"))
problems = []
for name, version in sorted(runtime.items()):
    if lock.get(name) != version:
        problems.append(f"runtime.txt pins {name}=={version}, lock.txt {lock.get(name, 'nothing')}")
extras = project["project"].get("optional-dependencies", {})
wanted = {"runtime.txt": (runtime, project["project"]["dependencies"] + extras.get("airflow", [])),
          "lock.txt": (lock, [d for group in extras.values() for d in group] + project["project"]["dependencies"])}
for label, (locked, requirements) in wanted.items():
    for requirement in requirements:
        match = re.match(r"([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==(\S+)$", requirement.replace(" ", ""))
        if not match:
            problems.append(f"pyproject.toml: {requirement!r} is not pinned with ==")
        elif locked.get(norm(match[1])) != match[2]:
            problems.append(f"{label} has {match[1]}=={locked.get(norm(match[1]), 'nothing')}, pyproject.toml {match[2]}")
for dev_only in ("pytest", "pytest-timeout", "ruff", "pgserver"):
    if dev_only in runtime:
        problems.append(f"runtime.txt holds {dev_only}: the image must not carry it")
build = project["build-system"]["requires"]
for backend in ("setuptools", "wheel"):
    if not any(re.fullmatch(rf"{backend}==[0-9][\w.]*", r.replace(" ", "")) for r in build):
        problems.append(f"pyproject.toml build-system must pin {backend}== (found {build})")
if not isinstance(project["project"].get("license"), str):
    problems.append("pyproject.toml license must be an SPDX string (a table is deprecated)")
for problem in problems:
    print(f"  - {problem}", file=sys.stderr)
sys.exit(1 if problems else 0)
PY

# Extra pins (celery) must agree with the lock.
python3 - <<'PY' || fail "Dockerfile CELERY_REQUIREMENTS disagree with requirements/lock.txt"
import re
import sys

dockerfile = open("Dockerfile", encoding="utf-8").read().replace("\\\n", " ")
match = re.search(r'^ARG CELERY_REQUIREMENTS="([^"]*)"', dockerfile, re.M)
extra = dict(re.findall(r"([A-Za-z0-9_.\-]+)==([^\s]+)", match.group(1) if match else ""))
lock = dict(re.findall(r"^([A-Za-z0-9_.\-]+)==([^\s]+)", open("requirements/lock.txt").read(), re.M))
norm = lambda n: re.sub(r"[-_.]+", "-", n).lower()  # noqa: E731
lock = {norm(k): v for k, v in lock.items()}
bad = [f"{n}=={v} (lock: {lock[norm(n)]})" for n, v in extra.items() if lock.get(norm(n), v) != v]
for line in bad:
    print(f"  - {line}", file=sys.stderr)
if "apache-airflow-providers-celery" in lock and extra:
    print("  note: the lock now pins the celery provider: CELERY_REQUIREMENTS can be emptied")
sys.exit(1 if bad else 0)
PY

step "Dockerfile: every COPY source exists and is in the build context"
python3 - <<'PY' || fail "the Dockerfile copies something that is missing or excluded (see above)"
import fnmatch
import os
import re
import sys

ignored = [
    line.strip().rstrip("/")
    for line in open(".dockerignore", encoding="utf-8")
    if line.strip() and not line.startswith("#")
]
problems = []
for line in open("Dockerfile", encoding="utf-8"):
    if not line.startswith("COPY "):
        continue
    parts = [p for p in line.split()[1:] if not p.startswith("--")]
    for source in parts[:-1]:
        path = source.rstrip("/")
        if not os.path.exists(path):
            problems.append(f"COPY {source}: not found")
        for pattern in ignored:
            if fnmatch.fnmatch(path, pattern) or path.startswith(pattern + "/"):
                problems.append(f"COPY {source}: excluded by .dockerignore ({pattern})")
for problem in problems:
    print(f"  - {problem}", file=sys.stderr)
sys.exit(1 if problems else 0)
PY

step "scripts parse"
for script in scripts/airflow-standalone.sh scripts/compose-smoke.sh scripts/check-standalone.sh \
    requirements/compile.sh; do
    [ ! -f "$script" ] || bash -n "$script" || fail "$script has a syntax error"
done

step "OK"
