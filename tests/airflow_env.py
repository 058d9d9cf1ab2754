"""Isolated Airflow settings for the tests: import this module BEFORE anything imports airflow.

Airflow reads its configuration when first imported, so the environment must be ready by
then. Importing this module points AIRFLOW_HOME at a fresh temporary directory with a SQLite
metadata database and makes this repository's ``dags/`` the DAGs folder, so the tests never
touch a developer's own Airflow installation. ``migrate_metadata_db()`` creates the tables
(idempotent; needed by ``dag.test()``, not by a DagBag import check).
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DAGS_FOLDER = ROOT / "dags"

if "airflow" in sys.modules and os.environ.get("DADKHAH_TEST_AIRFLOW_HOME") is None:
    raise RuntimeError("airflow was imported before tests/airflow_env.py: its settings would not apply")

if os.environ.get("DADKHAH_TEST_AIRFLOW_HOME") is None:
    _home = Path(tempfile.mkdtemp(prefix="dadkhah-airflow-"))
    if not os.environ.get("DADKHAH_KEEP_TEST_DB"):
        atexit.register(shutil.rmtree, _home, ignore_errors=True)
    os.environ["DADKHAH_TEST_AIRFLOW_HOME"] = str(_home)
AIRFLOW_HOME = Path(os.environ["DADKHAH_TEST_AIRFLOW_HOME"])

# Drop any AIRFLOW__*/AIRFLOW_CONN_* settings inherited from the developer's shell.
for _name in list(os.environ):
    if _name.startswith(("AIRFLOW__", "AIRFLOW_CONN_", "AIRFLOW_VAR_")):
        del os.environ[_name]

os.environ.update(
    {
        "AIRFLOW_HOME": str(AIRFLOW_HOME),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{AIRFLOW_HOME / 'airflow.db'}",
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        # No retries (and no waiting between them) in tests; a short per-outlet timeout.
        "DADKHAH_INGEST_RETRIES": "0",
        "DADKHAH_PROCESS_RETRIES": "0",
        "DADKHAH_INGEST_RETRY_DELAY_SECONDS": "1",
        "DADKHAH_OUTLET_TIMEOUT_SECONDS": os.environ.get("DADKHAH_OUTLET_TIMEOUT_SECONDS", "60"),
        "DADKHAH_INGEST_SCHEDULE": "@hourly",
    }
)

_migrated = False


def migrate_metadata_db() -> None:
    """Create Airflow's metadata tables in the test SQLite database (once per process)."""
    global _migrated
    if _migrated:
        return
    from airflow.utils.db import initdb

    initdb()
    _migrated = True
