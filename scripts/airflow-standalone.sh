#!/usr/bin/env bash
# Airflow's UI, scheduler and DAGs without Docker: `airflow standalone` runs this repository's
# dags/ against a local PostgreSQL.
#
#   scripts/airflow-standalone.sh        # then open http://localhost:8080
#
# It creates what is missing and reuses it on the next start:
#   - the virtualenv (scripts/bootstrap.sh);
#   - the databases: `airflow` (Airflow's metadata) and `dadkhah` (the data), on the server
#     at DADKHAH_PG_SERVER_URL (default: postgresql://postgres@127.0.0.1:5432, the same
#     local server the tests use). Set DADKHAH_AIRFLOW_DB_URL or DADKHAH_DATABASE_URL to
#     point either one elsewhere;
#   - AIRFLOW_HOME (default ./airflow-home: config, logs, and the generated admin password,
#     which is also printed at start-up).
# Other settings: AIRFLOW_PORT (default 8080), DADKHAH_OUTLETS_FILE (default
# config/outlets.yaml), DADKHAH_ARCHIVE_DIR (default ./data/archive), and the DAG settings
# from .env.example (DADKHAH_INGEST_SCHEDULE etc.). Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

scripts/bootstrap.sh
PY="$ROOT/.venv/bin/python"
export PATH="$ROOT/.venv/bin:$PATH"

server_url="${DADKHAH_PG_SERVER_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"

# Prints the URL of database $2 on server $1, creating the database if needed.
ensure_database() {
    "$PY" - "$1" "$2" <<'PY'
import sys

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from pipeline.db import normalise_url

server, name = sys.argv[1], sys.argv[2]
url = make_url(normalise_url(server)).set(database=name)
admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
try:
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
            print(f"created database {name!r}", file=sys.stderr)
except Exception as exc:  # noqa: BLE001
    safe = url.render_as_string(hide_password=True)
    sys.exit(f"airflow-standalone: cannot reach PostgreSQL for {safe}: {exc}\n"
             "Start a local PostgreSQL or set DADKHAH_PG_SERVER_URL / DADKHAH_AIRFLOW_DB_URL.")
print(url.render_as_string(hide_password=False))
PY
}

# Airflow's metadata database (psycopg2 driver, as Airflow documents).
if [ -n "${DADKHAH_AIRFLOW_DB_URL:-}" ]; then
    airflow_db="$DADKHAH_AIRFLOW_DB_URL"
else
    airflow_db=$(ensure_database "$server_url" airflow)
fi
airflow_db="${airflow_db/postgresql+psycopg:/postgresql+psycopg2:}"
airflow_db="${airflow_db/postgresql:/postgresql+psycopg2:}"

# dadkhah's database, migrated to head; the DAGs get it as the connection `dadkhah_db`.
if [ -z "${DADKHAH_DATABASE_URL:-}" ]; then
    DADKHAH_DATABASE_URL=$(ensure_database "$server_url" dadkhah)
fi
export DADKHAH_DATABASE_URL
.venv/bin/dadkhah db upgrade
export AIRFLOW_CONN_DADKHAH_DB="${DADKHAH_DATABASE_URL/postgresql+psycopg:/postgresql:}"

export AIRFLOW_HOME="${AIRFLOW_HOME:-$ROOT/airflow-home}"
mkdir -p "$AIRFLOW_HOME"
port="${AIRFLOW_PORT:-8080}"
# One JWT secret for every component, kept across restarts.
secret_file="$AIRFLOW_HOME/.jwt_secret"
[ -s "$secret_file" ] || "$PY" -c "import secrets; print(secrets.token_urlsafe(32))" >"$secret_file"

export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="$airflow_db"
export AIRFLOW__CORE__DAGS_FOLDER="$ROOT/dags"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__EXECUTOR=LocalExecutor
export AIRFLOW__CORE__PARALLELISM="${AIRFLOW__CORE__PARALLELISM:-4}"
export AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="${AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION:-False}"
export AIRFLOW__API__PORT="$port"
export AIRFLOW__CORE__EXECUTION_API_SERVER_URL="http://localhost:$port/execution/"
export AIRFLOW__API_AUTH__JWT_SECRET
AIRFLOW__API_AUTH__JWT_SECRET=$(cat "$secret_file")
export DADKHAH_ARCHIVE_DIR="${DADKHAH_ARCHIVE_DIR:-$ROOT/data/archive}"
export DADKHAH_DATA_DIR="${DADKHAH_DATA_DIR:-$ROOT/data}"

echo "airflow-standalone: DAGs from $AIRFLOW__CORE__DAGS_FOLDER, AIRFLOW_HOME=$AIRFLOW_HOME"
echo "airflow-standalone: UI at http://localhost:$port (user admin; password printed below and in"
echo "                    $AIRFLOW_HOME/simple_auth_manager_passwords.json.generated)"
exec airflow standalone
