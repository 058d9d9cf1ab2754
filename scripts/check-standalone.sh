#!/usr/bin/env bash
# Checks scripts/airflow-standalone.sh as a user would meet it, without a browser:
#
#   1. a database marked as another checkout's is refused, with a clear message, before
#      anything starts;
#   2. started with database names of its own (created when missing, one of them given as a
#      full URL) and a free port, it serves the UI and API, and every socket that any of its
#      processes listens on is on 127.0.0.1 (ss -ltnp): no 0.0.0.0, no [::], no log server;
#   3. AIRFLOW_HOME is 0700 and the JWT secret, airflow.cfg and the admin password file 0600;
#   4. one SIGTERM to the script's PID stops everything it started: no process is left and the
#      port is free.
#
# Usage: scripts/check-standalone.sh (about 2-4 minutes; needs the PostgreSQL server the tests
# use: DADKHAH_PG_SERVER_URL, default postgresql://postgres@127.0.0.1:5432). Its scratch
# databases and AIRFLOW_HOME are removed afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
t0=$SECONDS
say() { echo "check-standalone: [$((SECONDS - t0))s] $*"; }
fail() {
    echo "check-standalone: FAIL: $*" >&2
    exit 1
}
command -v ss >/dev/null || fail "ss (iproute2) is needed"
scripts/bootstrap.sh
PY="$ROOT/.venv/bin/python"
server_url="${DADKHAH_PG_SERVER_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
tag="standalone_check_$$_$RANDOM"
work=$(mktemp -d "${TMPDIR:-/tmp}/dadkhah-standalone.XXXXXX")
script_pid=""

sql() { # sql STATEMENT: on the server's maintenance database
    "$PY" - "$server_url" "$1" <<'PY'
import sys

from sqlalchemy import create_engine, text

from pipeline.db import normalise_url

engine = create_engine(normalise_url(sys.argv[1]), isolation_level="AUTOCOMMIT")
with engine.connect() as conn:
    result = conn.execute(text(sys.argv[2]))
    if result.returns_rows:
        for row in result:
            print(*row)
PY
}
cleanup() {
    local rc=$?
    trap - EXIT
    if [ -n "$script_pid" ] && kill -0 "$script_pid" 2>/dev/null; then kill -TERM "$script_pid" 2>/dev/null || true; sleep 5; fi
    for db in "${tag}_airflow" "${tag}_data" "${tag}_taken"; do
        sql "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
    done
    rm -rf "$work"
    exit "$rc"
}
trap cleanup EXIT

# --- 1. another checkout's database is refused -----------------------------------------------
sql "CREATE DATABASE \"${tag}_taken\"" >/dev/null
sql "COMMENT ON DATABASE \"${tag}_taken\" IS 'dadkhah airflow-standalone: elsewhere:/srv/other-checkout'" >/dev/null
if AIRFLOW_HOME="$work/refused" DADKHAH_AIRFLOW_DB_NAME="${tag}_taken" DADKHAH_DB_NAME="${tag}_data" \
    timeout 120 scripts/airflow-standalone.sh >"$work/refused.log" 2>&1; then
    fail "it started on a database that belongs to another checkout"
fi
grep -q "belongs to another checkout (elsewhere:/srv/other-checkout)" "$work/refused.log" ||
    fail "no clear message for a database of another checkout: $(tail -5 "$work/refused.log")"
say "refuses another checkout's database: $(grep -o "database '[^']*' .*belongs to another checkout" "$work/refused.log")"

# --- 2. start it: own names (one as a full URL), a free port --------------------------------
port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
data_url=$("$PY" -c 'import sys; from sqlalchemy.engine import make_url
print(make_url(sys.argv[1]).set(database=sys.argv[2]).render_as_string(hide_password=False))' "$server_url" "${tag}_data")
export AIRFLOW_HOME="$work/airflow-home"
AIRFLOW_PORT=$port DADKHAH_AIRFLOW_DB_NAME="${tag}_airflow" DADKHAH_DATABASE_URL="$data_url" \
    DADKHAH_ARCHIVE_DIR="$work/archive" DADKHAH_DATA_DIR="$work/data" DADKHAH_INGEST_SCHEDULE=none \
    scripts/airflow-standalone.sh >"$work/standalone.log" 2>&1 &
script_pid=$!
say "started scripts/airflow-standalone.sh as PID $script_pid on port $port"
deadline=$((SECONDS + 300))
until curl -fsS "http://127.0.0.1:$port/api/v2/monitor/health" >"$work/health.json" 2>/dev/null; do
    kill -0 "$script_pid" 2>/dev/null || fail "it exited early: $(tail -30 "$work/standalone.log")"
    [ "$SECONDS" -lt "$deadline" ] || fail "the API server did not answer in 300 s: $(tail -30 "$work/standalone.log")"
    sleep 2
done
say "API server answers: $(cat "$work/health.json")"
for db in "${tag}_airflow" "${tag}_data"; do
    [ "$(sql "SELECT count(*) FROM pg_database WHERE datname = '$db'")" = 1 ] || fail "database $db was not created"
done
say "created both databases (${tag}_airflow by name, ${tag}_data from a full URL)"
# The scheduler, DAG processor and triggerer take a little longer than the API server.
for _ in $(seq 60); do
    [ -s "$AIRFLOW_HOME/simple_auth_manager_passwords.json.generated" ] &&
        grep -q "scheduler |" "$work/standalone.log" && grep -q "triggerer |" "$work/standalone.log" && break
    sleep 2
done
sleep 20 # let every component open whatever it opens

# Every process it started: the script's descendants and every member of their process groups.
descendants() {
    ps -eo pid=,ppid=,pgid= | "$PY" -c '
import sys
rows = [tuple(map(int, line.split())) for line in sys.stdin if line.strip()]
root = int(sys.argv[1])
found, frontier = {root}, [root]
while frontier:
    parent = frontier.pop()
    for pid, ppid, _ in rows:
        if ppid == parent and pid not in found:
            found.add(pid)
            frontier.append(pid)
own = {pgid for pid, _, pgid in rows if pid == root}  # shared with this checker: not a component group
groups = {pgid for pid, _, pgid in rows if pid in found and pid != root} - own
found |= {pid for pid, _, pgid in rows if pgid in groups}
print(" ".join(map(str, sorted(found))))' "$1"
}
procs=$(descendants "$script_pid")
say "$(wc -w <<<"$procs") processes: $(ps -o comm= -p "${procs// /,}" | sort | uniq -c | tr -s ' \n' ' ')"
ss -ltnpH >"$work/ss.txt"
listening=$("$PY" - "$procs" "$work/ss.txt" <<'PY'
import re
import sys

mine = set(map(int, sys.argv[1].split()))
for line in open(sys.argv[2], encoding="utf-8"):
    pids = {int(p) for p in re.findall(r"pid=(\d+)", line)}
    if pids & mine:
        print(line.split()[3])
PY
)
[ -n "$listening" ] || fail "ss shows no listening socket of its processes: $(cat "$work/ss.txt")"
say "listening: $(tr '\n' ' ' <<<"$listening")"
while read -r address; do
    case "$address" in
    127.0.0.1:*) ;;
    *) fail "a process listens on $address, not on loopback only" ;;
    esac
done <<<"$listening"
grep -qx "127.0.0.1:$port" <<<"$listening" || fail "the API server does not listen on 127.0.0.1:$port"

# --- 3. file modes -------------------------------------------------------------------------------
mode() { stat -c %a "$1"; }
[ "$(mode "$AIRFLOW_HOME")" = 700 ] || fail "AIRFLOW_HOME is $(mode "$AIRFLOW_HOME"), not 700"
for secret in .jwt_secret airflow.cfg simple_auth_manager_passwords.json.generated; do
    [ -e "$AIRFLOW_HOME/$secret" ] || fail "$secret was not written"
    [ "$(mode "$AIRFLOW_HOME/$secret")" = 600 ] || fail "$secret is $(mode "$AIRFLOW_HOME/$secret"), not 600"
done
[ "$(tr -d '\n' <"$AIRFLOW_HOME/.jwt_secret" | wc -c)" -ge 64 ] || fail "the JWT secret is shorter than 64 bytes"
other=$(find "$AIRFLOW_HOME" ! -type l -perm /077 -printf '%m %p\n' | head -5)
[ -z "$other" ] || fail "files others can read: $other"
say "AIRFLOW_HOME 700; .jwt_secret, airflow.cfg, password file 600; nothing readable by others"

# --- 4. one signal stops everything ----------------------------------------------------------------
procs=$(descendants "$script_pid")
s0=$SECONDS
kill -TERM "$script_pid"
for _ in $(seq 90); do kill -0 "$script_pid" 2>/dev/null || break; sleep 1; done
kill -0 "$script_pid" 2>/dev/null && fail "the script did not exit within 90 s of SIGTERM"
script_pid=""
sleep 1
left=""
for pid in $procs; do
    # A zombie has ended (it holds nothing, only its exit status), whoever is late to reap it:
    # in containers and sandboxes PID 1 often reaps nothing.
    state=$(ps -o stat= -p "$pid" 2>/dev/null | cut -c1 || true)
    if [ -n "$state" ] && [ "$state" != Z ]; then left="$left $(ps -o pid=,args= -p "$pid" | cut -c1-100)"; fi
done
[ -z "$left" ] || fail "processes left after SIGTERM:$left"
ss -ltnH "sport = :$port" | grep -q . && fail "port $port is still held after SIGTERM"
say "one SIGTERM stopped all $(wc -w <<<"$procs") processes in $((SECONDS - s0)) s; port $port free"
say "OK"
