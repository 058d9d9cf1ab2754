"""Airflow wiring for revisits: ``dadkhah_revisit``, daily, thin around ``pipeline.revisit``.

One task, ``revisit``: the due stored articles of every outlet with revisits on (or of the
outlets given in the trigger form) are fetched again in a child crawl process, exactly as
``dadkhah revisit --due-only`` does; the task fails when an outlet's revisit did not finish
(pages that did not answer are recorded as unreachable and retried on the next run, not a
failure). The database is resolved as for ``dadkhah_ingest`` (the ``dadkhah_db`` connection,
else ``DADKHAH_DATABASE_URL``), by that DAG file's own helper.

Knobs (environment, read at parse time): ``DADKHAH_REVISIT_SCHEDULE`` (default ``@daily``;
``none`` for manual runs only) and ``DADKHAH_REVISIT_TIMEOUT_SECONDS`` (default 6 hours).
"""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pendulum
from airflow.sdk import Param, dag, get_current_context, task

log = logging.getLogger("dadkhah.airflow")
START_DATE = pendulum.datetime(2026, 1, 1, tz="UTC")


def _schedule() -> str | None:
    value = os.environ.get("DADKHAH_REVISIT_SCHEDULE", "").strip() or "@daily"
    return None if value.lower() in ("none", "manual", "off") else value


def _timeout() -> timedelta:
    raw = os.environ.get("DADKHAH_REVISIT_TIMEOUT_SECONDS", "").strip()
    try:
        return timedelta(seconds=int(raw) if raw else 6 * 3600)
    except ValueError as exc:
        raise ValueError(f"DADKHAH_REVISIT_TIMEOUT_SECONDS must be an integer, got {raw!r}") from exc


def _settings():
    """``dadkhah_settings`` of dadkhah_pipeline.py (a DAG file, not a package: loaded by path),
    so both DAGs resolve the database one way."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "dadkhah_pipeline_dag_helpers", Path(__file__).with_name("dadkhah_pipeline.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.dadkhah_settings()


@dag(
    dag_id="dadkhah_revisit",
    description="Fetch due stored articles again; record edits (new versions) and takedowns.",
    schedule=_schedule(),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    tags=["dadkhah"],
    doc_md=__doc__,
    params={
        "outlets": Param(
            [],
            type="array",
            items={"type": "string"},
            title="Outlets",
            description="Outlet names to revisit. Empty: every enabled outlet with revisits on.",
        ),
    },
    default_args={"owner": "dadkhah", "retries": 0},
)
def dadkhah_revisit():
    @task(execution_timeout=_timeout())
    def revisit() -> dict[str, Any]:
        """Revisit the due articles; fail when an outlet's revisit did not finish."""
        from airflow.sdk.exceptions import AirflowFailException

        from pipeline.revisit.run import revisit as run_revisit

        context = get_current_context()
        names = list(context["params"].get("outlets") or []) or None
        uid = f"airflow-revisit:{context['run_id']}:try{context['ti'].try_number}"[:64]
        report = run_revisit(
            _settings(),
            outlet_names=names,
            due_only=True,
            trigger="revisit:airflow",
            run_uid=uid,
            stream_logs=False,
        )
        for name, outlet in report.outlets.items():
            log.info("outlet %r: %s", name, {k: v for k, v in outlet.items() if v})
        if report.failed_outlets():
            raise AirflowFailException(
                "revisit did not finish for: "
                + "; ".join(f"{n}: {report.outlets[n].get('error')}" for n in report.failed_outlets())
            )
        return report.as_dict()

    revisit()


dadkhah_revisit()
