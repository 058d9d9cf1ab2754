"""One ingestion pass: outlets -> child crawl process -> stored articles and a report.

The same functions serve the CLI, the demo, the benchmark and the Airflow tasks.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from pipeline import __version__
from pipeline.config import OutletConfig, load_outlets
from pipeline.db import get_engine, upgrade
from pipeline.settings import PROJECT_ROOT, Settings
from pipeline.storage import finish_run, save_outlet_run, start_run, upsert_outlet
from schema.models import OutletRun

REPORT_KEYS = (
    "discovered",
    "skipped_known",
    "fetched",
    "stored",
    "duplicate",
    "not_article",
    "not_modified",
    "failed",
)


@dataclass
class PassReport:
    run_id: int
    run_uid: str
    status: str
    outlets: dict[str, dict[str, Any]] = field(default_factory=dict)

    def total(self, key: str) -> int:
        return sum(int(report.get(key, 0)) for report in self.outlets.values())


def software_versions() -> dict[str, str]:
    from importlib.metadata import version

    names = ("scrapy", "trafilatura", "htmldate", "warcio", "isal", "sqlalchemy")
    return {"dadkhah": __version__, **{n: version(n) for n in names}}


def _outlet_config_json(outlet: OutletConfig) -> dict[str, Any]:
    return outlet.model_dump(mode="json")


def _crawl_in_child(job: dict[str, Any], timeout: float | None) -> tuple[int, str]:
    """Run spiders.run in a fresh interpreter; return (exit code, stderr tail)."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as fh:
        json.dump(job, fh)
        job_path = fh.name
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(PROJECT_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]),
    }
    try:
        profile = os.environ.get("DADKHAH_PROFILE_CRAWL")  # a path: write cProfile stats there
        # -P: the caller's working directory is not put on the path, so a file or folder there
        # named like one of dadkhah's packages cannot shadow it in the child.
        python = [sys.executable, "-P"]
        prefix = [*python, "-m", "cProfile", "-o", profile] if profile else python
        proc = subprocess.run(
            [*prefix, "-m", "spiders.run", job_path],
            env=env,
            stderr=None if job.get("stream_logs") else subprocess.PIPE,
            text=True,
            timeout=timeout,
            check=False,
        )
        return proc.returncode, (proc.stderr or "")[-4000:]
    except subprocess.TimeoutExpired:
        return -1, f"crawl exceeded its time limit of {timeout} s"
    finally:
        os.unlink(job_path)


def ingest(
    settings: Settings,
    *,
    outlet_names: list[str] | None = None,
    outlets_file: Path | None = None,
    max_articles: int | None = None,
    trigger: str = "cli",
    run_uid: str | None = None,
    stream_logs: bool = True,
    timeout: float | None = None,
    engine: Engine | None = None,
) -> PassReport:
    """Discover, fetch, extract, deduplicate and store new articles of the chosen outlets.

    Raises ConfigError for a bad config and DatabaseUnavailable for an unreachable database;
    page-level failures are recorded and counted, never raised.
    """
    config = load_outlets(outlets_file or settings.outlets_file)
    selected = config.select(outlet_names)
    engine = engine or get_engine(settings)
    upgrade(engine)
    run_uid = run_uid or uuid.uuid4().hex
    names = [o.name for o in selected]
    run_id = start_run(engine, run_uid=run_uid, trigger=trigger, outlets=names, software=software_versions())
    with engine.begin() as conn:
        outlet_ids = {
            o.name: upsert_outlet(
                conn,
                name=o.name,
                home=o.home,
                language=o.language,
                affiliation=o.affiliation,
                config=_outlet_config_json(o),
            )
            for o in selected
        }
    settings.archive_dir.mkdir(parents=True, exist_ok=True)
    job = {
        "database_url": engine.url.render_as_string(hide_password=False),
        "archive_dir": str(settings.archive_dir.resolve()),
        "outlets_file": str(Path(config.source).resolve()),
        "outlets": names,
        "outlet_ids": outlet_ids,
        "run_id": run_id,
        "run_uid": run_uid,
        "max_articles": max_articles,
        "user_agent": settings.user_agent,
        "software": f"dadkhah/{__version__}",
        "stream_logs": stream_logs,
    }
    try:
        code, tail = _crawl_in_child(job, timeout)
    except BaseException as exc:  # a task timeout or Ctrl-C: the child is killed, the run closed
        for outlet_id in outlet_ids.values():
            save_outlet_run(
                engine,
                run_id=run_id,
                outlet_id=outlet_id,
                status="failed",
                stats={},
                error=f"interrupted: {type(exc).__name__}: {exc}",
                finished=True,
            )
        finish_run(engine, run_id, status="interrupted", stats={"error": f"{type(exc).__name__}: {exc}"})
        raise
    report = PassReport(run_id=run_id, run_uid=run_uid, status="finished" if code == 0 else "failed")
    with engine.connect() as conn:
        table = OutletRun.__table__
        rows = conn.execute(select(table).where(table.c.run_id == run_id)).all()
        by_outlet = {row.outlet_id: row for row in rows}
    for name, outlet_id in outlet_ids.items():
        row = by_outlet.get(outlet_id)
        if row is None or row.status == "running":
            error = f"crawl process exited with code {code} before finishing this outlet: {tail}"
            save_outlet_run(
                engine,
                run_id=run_id,
                outlet_id=outlet_id,
                status="failed",
                stats=dict(row.stats) if row else {},
                error=error,
                finished=True,
            )
            report.outlets[name] = {**(row.stats if row else {}), "status": "failed", "error": error}
            report.status = "failed"
        else:
            report.outlets[name] = {**row.stats, "status": row.status}
    finish_run(engine, run_id, status=report.status, stats={k: report.total(k) for k in REPORT_KEYS})
    try:  # every pass ends with a health verdict per outlet; a health failure never breaks it
        from pipeline.health import assess_outlets

        assess_outlets(engine, run_id=run_id)
    except Exception as exc:  # noqa: BLE001 - reported, the pass's own result stands
        import logging

        logging.getLogger("dadkhah.health").warning(
            "outlet health not assessed: %s: %s", type(exc).__name__, exc
        )
    return report


def ingest_outlet(
    outlet_name: str,
    *,
    settings: Settings,
    max_articles: int | None = None,
    trigger: str = "airflow",
    run_uid: str | None = None,
) -> dict[str, Any]:
    """Crawl ONE outlet in a child process and return its report (used by Airflow tasks)."""
    report = ingest(
        settings, outlet_names=[outlet_name], max_articles=max_articles, trigger=trigger, run_uid=run_uid
    )
    outlet_report = report.outlets[outlet_name]
    if outlet_report.get("status") == "failed":
        raise RuntimeError(f"outlet {outlet_name!r}: {outlet_report.get('error')}")
    return {"outlet": outlet_name, "run_id": report.run_id, **outlet_report}
