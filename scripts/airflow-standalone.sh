#!/usr/bin/env bash
# Airflow's UI, scheduler, DAG processor and triggerer without Docker, running this
# repository's dags/ against a local PostgreSQL.
#
#   scripts/airflow-standalone.sh        # then open http://127.0.0.1:8080
#
# Safe by default:
#   - it listens on 127.0.0.1 only (AIRFLOW_HOST; 0.0.0.0 publishes the UI on every interface:
#     put an authenticating proxy in front first). No log server is started: with the local
#     executor the UI reads task logs from disk;
#   - everything it writes is private to you (umask 077): AIRFLOW_HOME is 0700, the JWT secret,
#     airflow.cfg and the admin password file are 0600 (older ones are fixed at start);
#   - each database it uses is marked with the checkout that owns it: a second checkout that
#     would share one stops with a clear message instead (set other names, or
#     DADKHAH_STANDALONE_SHARE_DB=1 to share on purpose);
#   - one signal (Ctrl-C, or `kill PID` with this script's PID) stops every process it started;
#     if one component dies, it stops the others and exits non-zero.
#
# It creates what is missing and reuses it on the next start:
#   - the virtualenv (scripts/bootstrap.sh);
#   - the databases DADKHAH_AIRFLOW_DB_NAME (default `airflow`: Airflow's metadata) and
#     DADKHAH_DB_NAME (default `dadkhah`: the data) on the server at DADKHAH_PG_SERVER_URL
#     (default postgresql://postgres@127.0.0.1:5432, the local server the tests use). Full URLs
#     in DADKHAH_AIRFLOW_DB_URL / DADKHAH_DATABASE_URL point either one elsewhere; a database
#     named in a URL is created too when missing (its user needs CREATEDB for that);
#   - AIRFLOW_HOME (default ./airflow-home: config, logs, secrets, the admin password).
# Other settings: AIRFLOW_PORT (default 8080), DADKHAH_OUTLETS_FILE (default
# config/outlets.yaml), DADKHAH_ARCHIVE_DIR (default ./data/archive), STANDALONE_STOP_SECONDS
# (default 30: how long the components get to stop before they are killed), and the DAG
# settings from .env.example (DADKHAH_INGEST_SCHEDULE etc.).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
umask 077

scripts/bootstrap.sh
PY="$ROOT/.venv/bin/python"
export PATH="$ROOT/.venv/bin:$PATH"
say() { echo "airflow-standalone: $*"; }

server_url="${DADKHAH_PG_SERVER_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
owner="$(hostname):$ROOT"

# ensure_database URL: creates the database URL names when missing, checks no other checkout
# owns it (marking it as this one's), and prints the URL.
ensure_database() {
    "$PY" - "$1" "$owner" "${DADKHAH_STANDALONE_SHARE_DB:-0}" <<'PY'
import sys

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from pipeline.db import normalise_url

url, owner, share = make_url(normalise_url(sys.argv[1])), sys.argv[2], sys.argv[3] == "1"
name, safe = url.database, url.render_as_string(hide_password=True)
marker = f"dadkhah airflow-standalone: {owner}"
if not name:
    sys.exit(f"airflow-standalone: no database name in {safe}")
try:
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        found = conn.execute(
            text("SELECT 1, shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = :n"),
            {"n": name},
        ).first()
        quoted = conn.dialect.identifier_preparer.quote(name)
        if found is None:
            conn.execute(text(f"CREATE DATABASE {quoted}"))
            print(f"airflow-standalone: created database {name!r}", file=sys.stderr)
        comment = found[1] if found else None
        if comment and comment.startswith("dadkhah airflow-standalone: ") and comment != marker and not share:
            sys.exit(
                f"airflow-standalone: database {name!r} ({safe}) belongs to another checkout "
                f"({comment.split(': ', 1)[1]}). Two installations sharing one database would run "
                "each other's DAGs and data: set DADKHAH_AIRFLOW_DB_NAME / DADKHAH_DB_NAME (or the "
                "URLs) to names of their own, or DADKHAH_STANDALONE_SHARE_DB=1 to share it on purpose."
            )
        if comment != marker and not share:
            try:
                conn.execute(text(f"COMMENT ON DATABASE {quoted} IS :m").bindparams(m=marker))
            except Exception as exc:  # noqa: BLE001 - not the owner: say so, go on
                print(f"airflow-standalone: cannot mark {name!r} as this checkout's: {exc}", file=sys.stderr)
    admin.dispose()
except SystemExit:
    raise
except Exception as exc:  # noqa: BLE001
    sys.exit(
        f"airflow-standalone: cannot reach or create the database {safe}: {exc}\n"
        "Start a local PostgreSQL or set DADKHAH_PG_SERVER_URL / DADKHAH_AIRFLOW_DB_URL / DADKHAH_DATABASE_URL."
    )
print(url.render_as_string(hide_password=False))
PY
}
with_database() { # with_database SERVER_URL NAME: the server's URL with another database
    "$PY" -c 'import sys; from sqlalchemy.engine import make_url
print(make_url(sys.argv[1]).set(database=sys.argv[2]).render_as_string(hide_password=False))' "$1" "$2"
}

# Airflow's metadata database (psycopg2 driver, as Airflow documents).
airflow_db=$(ensure_database "${DADKHAH_AIRFLOW_DB_URL:-$(with_database "$server_url" "${DADKHAH_AIRFLOW_DB_NAME:-airflow}")}")
airflow_db="${airflow_db/postgresql+psycopg:/postgresql+psycopg2:}"
airflow_db="${airflow_db/postgresql:/postgresql+psycopg2:}"

# dadkhah's database, migrated to head; the DAGs get it as the connection `dadkhah_db`.
DADKHAH_DATABASE_URL=$(ensure_database "${DADKHAH_DATABASE_URL:-$(with_database "$server_url" "${DADKHAH_DB_NAME:-dadkhah}")}")
export DADKHAH_DATABASE_URL
.venv/bin/dadkhah db upgrade
export AIRFLOW_CONN_DADKHAH_DB="${DADKHAH_DATABASE_URL/postgresql+psycopg:/postgresql:}"

export AIRFLOW_HOME="${AIRFLOW_HOME:-$ROOT/airflow-home}"
mkdir -p "$AIRFLOW_HOME"
chmod 700 "$AIRFLOW_HOME"
host="${AIRFLOW_HOST:-127.0.0.1}"
port="${AIRFLOW_PORT:-8080}"
case "$host" in
0.0.0.0 | "") local_host=127.0.0.1 ;;
:: | "[::]") local_host="[::1]" ;;
*:*) local_host="[$host]" ;;
*) local_host="$host" ;;
esac
# One JWT secret for every component, kept across restarts. 64 bytes: Airflow signs with
# HMAC-SHA512 and warns on every token when the key is shorter.
secret_file="$AIRFLOW_HOME/.jwt_secret"
if [ ! -s "$secret_file" ] || [ "$(wc -c <"$secret_file")" -lt 65 ]; then
    "$PY" -c "import secrets; print(secrets.token_urlsafe(64))" >"$secret_file"
fi
passwords_file="$AIRFLOW_HOME/simple_auth_manager_passwords.json.generated"
for private in "$secret_file" "$passwords_file" "$AIRFLOW_HOME/airflow.cfg"; do
    [ ! -e "$private" ] || chmod 600 "$private"
done

export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="$airflow_db"
export AIRFLOW__CORE__DAGS_FOLDER="$ROOT/dags"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__EXECUTOR=LocalExecutor
export AIRFLOW__CORE__AUTH_MANAGER=airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE="$passwords_file"
export AIRFLOW__CORE__PARALLELISM="${AIRFLOW__CORE__PARALLELISM:-4}"
export AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="${AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION:-False}"
export AIRFLOW__API__HOST="$host"
export AIRFLOW__API__PORT="$port"
export AIRFLOW__CORE__EXECUTION_API_SERVER_URL="http://$local_host:$port/execution/"
export AIRFLOW__API_AUTH__JWT_SECRET
AIRFLOW__API_AUTH__JWT_SECRET=$(cat "$secret_file")
export DADKHAH_ARCHIVE_DIR="${DADKHAH_ARCHIVE_DIR:-$ROOT/data/archive}"
export DADKHAH_DATA_DIR="${DADKHAH_DATA_DIR:-$ROOT/data}"

say "migrating Airflow's database"
airflow db migrate >"$AIRFLOW_HOME/db-migrate.log" 2>&1 || {
    tail -20 "$AIRFLOW_HOME/db-migrate.log" >&2
    exit 1
}
[ ! -e "$AIRFLOW_HOME/airflow.cfg" ] || chmod 600 "$AIRFLOW_HOME/airflow.cfg"

# --- the components, each in a process group of its own ------------------------------------
pids=()
printer=""
stopping=0
stop_all() {
    [ "$stopping" = 0 ] || return 0
    stopping=1
    say "stopping ${#pids[@]} components"
    local pid deadline=$((SECONDS + ${STANDALONE_STOP_SECONDS:-30}))
    [ -z "$printer" ] || kill "$printer" 2>/dev/null || true
    for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do
        while kill -0 -- "-$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.5; done
        if kill -0 -- "-$pid" 2>/dev/null; then
            say "process group $pid did not stop in time: killing it"
            kill -KILL -- "-$pid" 2>/dev/null || true
        fi
    done
    wait 2>/dev/null || true
    say "stopped"
}
trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM
trap 'stop_all; exit 129' HUP
trap 'stop_all' EXIT

start() { # start NAME COMMAND...: runs COMMAND in its own session, output prefixed with NAME
    local name=$1
    shift
    setsid "$@" > >(exec sed -u "s/^/$name | /") 2>&1 </dev/null &
    pids+=("$!")
}
start api-server airflow api-server --host "$host" --port "$port"
start scheduler airflow scheduler --skip-serve-logs
start dag-processor airflow dag-processor
start triggerer airflow triggerer --skip-serve-logs
say "PID $$; started ${pids[*]} (one process group each)"
say "DAGs from $AIRFLOW__CORE__DAGS_FOLDER, AIRFLOW_HOME=$AIRFLOW_HOME"
say "UI at http://$local_host:$port (listening on $host); user admin, password in $passwords_file"

# Print the admin password once the API server has written it.
(
    for _ in $(seq 120); do
        if [ -s "$passwords_file" ]; then
            chmod 600 "$passwords_file"
            say "admin login: $(cat "$passwords_file")"
            exit 0
        fi
        sleep 1
    done
) &
printer=$!

# Run until a signal arrives or one component ends (then stop the others: no half stack).
set +e
wait -n "${pids[@]}"
rc=$?
set -e
[ "$stopping" = 1 ] || say "a component exited (code $rc): stopping the others"
stop_all
exit $((rc == 0 ? 1 : rc))
