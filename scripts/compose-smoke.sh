#!/usr/bin/env bash
# The real Compose stack, end to end, on the fixture site:
#
#   1. serves the fixture site (pipeline/fixture_site) on the docker0 bridge address, where the
#      containers reach it, and writes its outlets.yaml (allow_private_network: true) into a
#      config folder of its own (DADKHAH_CONFIG_DIR), beside a copy of config/topics.yaml;
#   2. builds the image and brings the stack up under a project name of its own, on free host
#      ports, with fresh secrets and DADKHAH_INGEST_SCHEDULE=none (nothing runs by itself);
#   3. checks the UI lists both DAGs with no import errors, triggers dadkhah_ingest through the
#      REST API and waits for it, then for the dadkhah_process run that its asset event starts;
#   4. reads every task log of both runs through the REST API (what a user sees in the UI): no
#      line below WARNING may be logged as ERROR; checks rows in the consumer views, that WARC
#      file names are safe (no ':' or spaces, bounded), that `airflow-cli dadkhah status` works
#      without airflow-init, that every service is healthy, and that an article's replay_url
#      is served by the replay service;
#   5. tears everything down (containers, volumes, network, the fixture site), also on failure.
#
# Usage: scripts/compose-smoke.sh. It needs a Docker engine, Compose (`docker compose` or
# `docker-compose`) and the base images on the machine (no registry is contacted: build them or
# pull them first). Without them it prints why and exits 77 ("skipped"), so CI can say so.
# Env: SMOKE_KEEP=1 keeps the stack up afterwards (for a look; tear down with the printed
# command); SMOKE_TIMEOUT (default 1500) bounds the wait for each stage, in seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SKIP=77
t0=$SECONDS
say() { echo "compose-smoke: [$((SECONDS - t0))s] $*"; }
skip() {
    echo "compose-smoke: SKIPPED: $*"
    exit "$SKIP"
}
fail() {
    echo "compose-smoke: FAIL: $*" >&2
    exit 1
}

# --- what it needs ----------------------------------------------------------------------
command -v docker >/dev/null 2>&1 || skip "no docker command"
docker info >/dev/null 2>&1 || skip "no Docker engine is reachable (docker info fails)"
if docker compose version >/dev/null 2>&1; then
    COMPOSE=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
    COMPOSE=(docker-compose)
else
    skip "neither 'docker compose' nor 'docker-compose' is installed"
fi
airflow_version=$(sed -nE 's/^ARG AIRFLOW_VERSION=([0-9.]+).*/\1/p' Dockerfile)
python_version=$(sed -nE 's/^ARG PYTHON_VERSION=([0-9.]+).*/\1/p' Dockerfile)
missing=""
for image in "apache/airflow:slim-${airflow_version}-python${python_version}" postgres:16; do
    docker image inspect "$image" >/dev/null 2>&1 || missing="$missing $image"
done
[ -z "$missing" ] || skip "base image(s) not on this machine:$missing"
gateway=$(docker network inspect bridge --format '{{range .IPAM.Config}}{{.Gateway}}{{end}}' 2>/dev/null || true)
[ -n "$gateway" ] || gateway=$(ip -4 -o addr show docker0 2>/dev/null | awk '{split($4, a, "/"); print a[1]; exit}')
[ -n "$gateway" ] || skip "cannot find the docker0 bridge address"

scripts/bootstrap.sh
PY="$ROOT/.venv/bin/python"
work=$(mktemp -d "${TMPDIR:-/tmp}/dadkhah-smoke.XXXXXX")
project="dadkhah-smoke-$$"
image="dadkhah-airflow:smoke"
site_pid=""
compose() {
    # The settings come from the env file only: the caller's environment stays out of it.
    env -i PATH="$PATH" HOME="${HOME:-/root}" DOCKER_HOST="${DOCKER_HOST:-}" "${COMPOSE[@]}" \
        --project-directory "$ROOT" -f "$ROOT/docker-compose.yml" --env-file "$work/smoke.env" \
        -p "$project" "$@"
}
teardown() {
    local rc=$?
    trap - EXIT INT TERM
    if [ "${SMOKE_KEEP:-0}" = 1 ]; then
        say "kept; tear down with: ${COMPOSE[*]} --project-directory $ROOT -f $ROOT/docker-compose.yml" \
            "--env-file $work/smoke.env -p $project down -v; kill $site_pid; rm -rf $work"
        exit "$rc"
    fi
    if [ "$rc" != 0 ] && [ -f "$work/smoke.env" ]; then
        compose ps >&2 || true
        compose logs --no-color --tail 40 >&2 || true
    fi
    say "tearing down"
    [ ! -f "$work/smoke.env" ] || compose down -v --remove-orphans >/dev/null 2>&1 || true
    [ -z "$site_pid" ] || kill "$site_pid" 2>/dev/null || true
    rm -rf "$work"
    say "done (exit $rc)"
    exit "$rc"
}
trap teardown EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- 1. the fixture site, where the containers reach it -----------------------------------
mkdir -p "$work/config"
cp config/topics.yaml "$work/config/"
"$PY" - "$gateway" "$work/config" "$work/site.ready" >"$work/site.log" 2>&1 <<'PY' &
import signal
import sys
from pathlib import Path

from pipeline.fixture_site import FixtureSite

host, config, ready = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
site = FixtureSite(host=host).start()
site.write_outlets_yaml(config)
ready.write_text("\n".join(s.base_url for s in site.sites.values()), encoding="utf-8")
signal.sigwait({signal.SIGTERM, signal.SIGINT})
site.stop()
PY
site_pid=$!
for _ in $(seq 100); do [ -s "$work/site.ready" ] && break; sleep 0.1; done
[ -s "$work/site.ready" ] || fail "the fixture site did not start: $(cat "$work/site.log")"
chmod -R a+rX "$work/config" && chmod a+x "$work"
say "fixture site on $(tr '\n' ' ' <"$work/site.ready")"

# --- 2. the stack ----------------------------------------------------------------------
free_port() { "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
secret() { "$PY" -c "import secrets; print(secrets.token_urlsafe($1))"; }
api_port=$(free_port)
pg_port=$(free_port)
replay_port=$(free_port)
admin_password=$(secret 16)
cat >"$work/smoke.env" <<EOF
POSTGRES_USER=postgres
POSTGRES_PASSWORD=$(secret 16)
POSTGRES_BIND=127.0.0.1
POSTGRES_HOST_PORT=$pg_port
AIRFLOW_DB_NAME=airflow
AIRFLOW_DB_USER=airflow
AIRFLOW_DB_PASSWORD=$(secret 16)
DADKHAH_DB_NAME=dadkhah
DADKHAH_DB_USER=dadkhah
DADKHAH_DB_PASSWORD=$(secret 16)
AIRFLOW_ADMIN_USER=admin
AIRFLOW_ADMIN_PASSWORD=$admin_password
AIRFLOW_BIND=127.0.0.1
AIRFLOW_HOST_PORT=$api_port
REPLAY_BIND=127.0.0.1
REPLAY_HOST_PORT=$replay_port
DADKHAH_REPLAY_URL=http://127.0.0.1:$replay_port
AIRFLOW_JWT_SECRET=$(secret 64)
AIRFLOW_API_SECRET_KEY=$(secret 64)
AIRFLOW_FERNET_KEY=
AIRFLOW_UID=50000
AIRFLOW_EXECUTOR=LocalExecutor
COMPOSE_PROFILES=
AIRFLOW_PARALLELISM=8
AIRFLOW_DAGS_PAUSED_AT_CREATION=false
DADKHAH_IMAGE=$image
DADKHAH_CONFIG_DIR=$work/config
DADKHAH_INGEST_SCHEDULE=none
DADKHAH_INGEST_MAX_PARALLEL=3
DADKHAH_INGEST_RETRIES=0
DADKHAH_INGEST_RETRY_DELAY_SECONDS=30
DADKHAH_OUTLET_TIMEOUT_SECONDS=900
DADKHAH_PROCESS_RETRIES=0
DADKHAH_USER_AGENT=
EOF
say "building $image"
b0=$SECONDS
nice -n 10 env DOCKER_BUILDKIT="${DOCKER_BUILDKIT:-0}" docker build -q -t "$image" "$ROOT" >/dev/null ||
    fail "the image does not build"
build_s=$((SECONDS - b0))
size=$(docker image inspect "$image" --format '{{.Size}}')
say "built in ${build_s}s; image size $((size / 1000000)) MB"
u0=$SECONDS
say "docker compose up -d (project $project, UI on 127.0.0.1:$api_port)"
compose up -d >"$work/up.log" 2>&1 || fail "up failed: $(tail -20 "$work/up.log")"
up_s=$((SECONDS - u0))
say "up returned after ${up_s}s"

# --- 3.-4. the checks, through the REST API ------------------------------------------------
c0=$SECONDS
export SMOKE_API="http://127.0.0.1:$api_port" SMOKE_USER=admin SMOKE_PASSWORD="$admin_password"
export SMOKE_TIMEOUT="${SMOKE_TIMEOUT:-1500}"
"$PY" docker/compose_smoke.py || fail "the stack does not do what it should (see above)"
checks_s=$((SECONDS - c0))

# Rows in the consumer views (the contract other tools read).
counts=$(compose exec -T postgres psql -U dadkhah -d dadkhah -tAF ' ' -c \
    "SELECT (SELECT count(*) FROM consumer.articles), (SELECT count(*) FROM consumer.article_sources),
            (SELECT count(*) FROM consumer.fetches), (SELECT count(*) FROM consumer.article_topics),
            (SELECT count(*) FROM consumer.clusters)") || fail "cannot query the consumer views"
read -r n_articles n_sources n_fetches n_topics n_clusters <<<"$counts"
say "consumer views: articles=$n_articles article_sources=$n_sources fetches=$n_fetches article_topics=$n_topics clusters=$n_clusters"
[ "$n_articles" -gt 0 ] && [ "$n_sources" -gt 0 ] && [ "$n_fetches" -gt 0 ] && [ "$n_topics" -gt 0 ] ||
    fail "the consumer views lack rows after a successful ingest and process"

# Replay: an article's replay_url (the view) answers from the archive through the replay
# service; the index was brought up to date by the ingest tasks.
replay_url=$(compose exec -T postgres psql -U dadkhah -d dadkhah -tA -c \
    "SELECT replay_url FROM consumer.article_sources WHERE replay_url IS NOT NULL ORDER BY fetched_at LIMIT 1") ||
    fail "cannot read a replay_url"
replay_url=$(printf '%s' "$replay_url" | tr -d '\r')
case "$replay_url" in "http://127.0.0.1:$replay_port/dadkhah/"*) ;; *) fail "unexpected replay_url: $replay_url" ;; esac
raw_url=$(printf '%s' "$replay_url" | sed -E 's|/dadkhah/([0-9]{14})/|/dadkhah/\1id_/|')
"$PY" -c 'import sys, urllib.request; sys.stdout.buffer.write(urllib.request.urlopen(sys.argv[1], timeout=30).read())' \
    "$raw_url" >"$work/replayed.html" || fail "the replay service does not serve $raw_url"
[ -s "$work/replayed.html" ] || fail "the replay service served nothing for $raw_url"
say "replay: $replay_url served ($(wc -c <"$work/replayed.html") bytes as captured)"

# WARC file names: portable and bounded (no ':' or spaces from run ids or outlet names).
compose exec -T airflow-scheduler find /opt/dadkhah/data/archive -type f -name '*.warc*' >"$work/warcs.txt" ||
    fail "cannot list the archive"
[ -s "$work/warcs.txt" ] || fail "no WARC file in the archive volume"
unsafe=$(sed 's|.*/||' "$work/warcs.txt" | tr -d '\r' | grep -vE '^[A-Za-z0-9._-]{1,150}$' || true)
[ -z "$unsafe" ] || fail "unsafe WARC file names (want [A-Za-z0-9._-], at most 150 bytes):
$unsafe"
say "$(wc -l <"$work/warcs.txt") WARC files, names safe: $(sed 's|.*/||' "$work/warcs.txt" | head -3 | tr '\n' ' ')"

# The CLI service: seconds, without airflow-init.
s0=$SECONDS
compose run --rm -T airflow-cli dadkhah status >"$work/status.log" 2>&1 ||
    fail "airflow-cli dadkhah status failed: $(cat "$work/status.log")"
cli_s=$((SECONDS - s0))
grep -q "airflow-init" "$work/status.log" && fail "airflow-cli ran airflow-init: $(cat "$work/status.log")"
say "airflow-cli dadkhah status: ${cli_s}s"

# Health checks: every service healthy (the dag-processor and triggerer ones are the new fast checks).
for service in airflow-apiserver airflow-scheduler airflow-dag-processor airflow-triggerer postgres replay; do
    id=$(compose ps -q "$service")
    status=$(docker inspect --format '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$id")
    [ "$status" = healthy ] || fail "$service is $status: $(docker inspect --format '{{json .State.Health}}' "$id" | tail -c 600)"
done
h0=$SECONDS
compose exec -T airflow-dag-processor python /opt/dadkhah/docker/healthcheck.py DagProcessorJob ||
    fail "the dag-processor health check fails"
compose exec -T airflow-triggerer python /opt/dadkhah/docker/healthcheck.py TriggererJob ||
    fail "the triggerer health check fails"
say "every service healthy (dag-processor and triggerer checks run again: $((SECONDS - h0)) s for both)"
say "OK: build ${build_s}s, up ${up_s}s, trigger to process done ${checks_s}s, CLI ${cli_s}s, total $((SECONDS - t0))s, image $((size / 1000000)) MB"
