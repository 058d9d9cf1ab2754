"""Docker health check for the Airflow components with no HTTP health endpoint.

Usage: ``python /opt/dadkhah/docker/healthcheck.py DagProcessorJob|TriggererJob [MAX_AGE_S]``.

It asks what ``airflow jobs check --job-type X --hostname $HOSTNAME`` asks -- is a job of
this type, started in this container, running with a recent heartbeat? -- but reads the answer
straight from the metadata database. ``airflow jobs check`` imports all of Airflow first,
which takes 10-30 s on a busy host and made healthy containers report unhealthy; this takes
a fraction of a second. MAX_AGE_S defaults to Airflow's own threshold for the job type
(``[dag_processor] health_check_threshold`` / ``[triggerer] triggerer_health_check_threshold``,
both 30 s by default, read from the environment like Airflow does).
"""

from __future__ import annotations

import os
import socket
import sys

import psycopg

THRESHOLDS = {
    "DagProcessorJob": ("AIRFLOW__DAG_PROCESSOR__HEALTH_CHECK_THRESHOLD", 30.0),
    "TriggererJob": ("AIRFLOW__TRIGGERER__TRIGGERER_HEALTH_CHECK_THRESHOLD", 30.0),
    "SchedulerJob": ("AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_THRESHOLD", 30.0),
}


def libpq_url(sqlalchemy_url: str) -> str:
    """``postgresql+psycopg2://u:p@h/db`` -> ``postgresql://u:p@h/db`` (libpq has no drivers)."""
    scheme, sep, rest = sqlalchemy_url.partition("://")
    if not sep or not scheme.startswith("postgres"):
        raise SystemExit(f"healthcheck: not a PostgreSQL URL: {scheme}://...")
    return "postgresql://" + rest


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3) or argv[1] not in THRESHOLDS:
        print(f"usage: {argv[0]} {'|'.join(THRESHOLDS)} [MAX_AGE_S]", file=sys.stderr)
        return 2
    job_type = argv[1]
    variable, default = THRESHOLDS[job_type]
    max_age = float(argv[2]) if len(argv) == 3 else float(os.environ.get(variable, default))
    # Airflow names a job's host with socket.getfqdn(); in a container that is $HOSTNAME.
    hosts = sorted({socket.getfqdn(), os.environ.get("HOSTNAME", "")} - {""})
    url = libpq_url(os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
    with psycopg.connect(url, connect_timeout=10) as conn:
        row = conn.execute(
            "SELECT EXTRACT(EPOCH FROM now() - max(latest_heartbeat)) FROM job"
            " WHERE job_type = %s AND state = 'running' AND hostname = ANY(%s)",
            (job_type, hosts),
        ).fetchone()
    age = None if row is None or row[0] is None else float(row[0])
    if age is None:
        print(f"unhealthy: no running {job_type} on {', '.join(hosts)}")
        return 1
    if age > max_age:
        print(f"unhealthy: {job_type} last heartbeat {age:.0f} s ago (limit {max_age:.0f} s)")
        return 1
    print(f"healthy: {job_type} heartbeat {age:.1f} s ago")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
