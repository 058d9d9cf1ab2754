"""One ingestion pass: outlets -> child crawl process -> stored articles and a report.

The same functions serve the CLI, the demo, the benchmark and the Airflow tasks.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from pipeline import __version__
from pipeline.config import OutletConfig, load_outlets
from pipeline.crawl_child import ChildResult, Terminated, run_crawl_child, sigterm_as_exception
from pipeline.db import DatabaseUnavailable, check_schema, get_engine
from pipeline.evidence.chain import seal_after_crawl
from pipeline.replay.index import index_after_crawl
from pipeline.runs import RunLease, stats_from_fetches
from pipeline.settings import Settings
from pipeline.storage import finish_run, interrupt_unhandled, save_outlet_run, upsert_outlet

log = logging.getLogger("dadkhah.ingest")

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
# Outlet run states: finished (succeeded), failed, skipped (another crawl held the outlet),
# interrupted (Ctrl-C, SIGTERM, or a dead process).
SUCCEEDED = "finished"


@dataclass
class PassReport:
    run_id: int
    run_uid: str
    status: str  # finished (every outlet succeeded) | failed | interrupted
    outlets: dict[str, dict[str, Any]] = field(default_factory=dict)

    def total(self, key: str) -> int:
        return sum(int(report.get(key, 0)) for report in self.outlets.values())

    def failed_outlets(self) -> list[str]:
        """The outlets that did not succeed in this pass (failed, skipped or interrupted)."""
        return [name for name, report in self.outlets.items() if report.get("status") != SUCCEEDED]

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "run_uid": self.run_uid,
            "status": self.status,
            "new_articles": self.total("stored"),
            "totals": {key: self.total(key) for key in REPORT_KEYS},
            "failed_outlets": self.failed_outlets(),
            "outlets": json.loads(json.dumps(self.outlets, default=str)),
        }


class PassInterrupted(Exception):
    """The pass was stopped by Ctrl-C or SIGTERM; ``report`` says what it had stored."""

    def __init__(self, report: PassReport, why: str) -> None:
        super().__init__(f"run {report.run_id} interrupted ({why}): {report.total('stored')} new articles")
        self.report = report
        self.why = why


def software_versions() -> dict[str, str]:
    from importlib.metadata import version

    names = ("scrapy", "trafilatura", "htmldate", "warcio", "isal", "sqlalchemy")
    return {"dadkhah": __version__, **{n: version(n) for n in names}}


def _outlet_config_json(outlet: OutletConfig) -> dict[str, Any]:
    return outlet.model_dump(mode="json")


def _crawl(job: dict[str, Any], timeout: float | None) -> ChildResult:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as fh:
        json.dump(job, fh)
        job_path = fh.name
    try:
        return run_crawl_child(
            job_path,
            echo=bool(job.get("stream_logs")),
            timeout=timeout,
            profile=os.environ.get("DADKHAH_PROFILE_CRAWL"),  # a path: cProfile stats go there
        )
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
    labels: dict[str, str] | None = None,
    log_level: str = "WARNING",
) -> PassReport:
    """Discover, fetch, extract, deduplicate and store new articles of the chosen outlets.

    Raises ConfigError for a bad config, DatabaseUnavailable for an unreachable database and
    PassInterrupted (after closing the run as interrupted) on Ctrl-C or SIGTERM; page-level
    failures are recorded and counted, never raised. ``labels`` are kept with the run's
    stats (e.g. the Airflow run id). ``log_level`` is the crawl child's level for Scrapy's
    and the extraction libraries' own lines (dadkhah's progress lines are always logged).
    """
    config = load_outlets(outlets_file or settings.outlets_file)
    selected = config.select(outlet_names)
    # Never migrates: `dadkhah db upgrade` does, when asked. get_engine checks the schema
    # itself; an engine the caller made is checked here.
    if engine is None:
        engine = get_engine(settings)
    else:
        check_schema(engine)
    run_uid = run_uid or uuid.uuid4().hex
    names = [o.name for o in selected]
    lease = RunLease(
        engine, run_uid=run_uid, trigger=trigger, outlets=names, software=software_versions(), labels=labels
    )
    try:
        lease.close_abandoned_runs()
        return _pass(
            settings,
            engine,
            lease.run_id,
            run_uid,
            config,
            selected,
            max_articles,
            stream_logs,
            timeout,
            labels,
            log_level,
        )
    finally:
        lease.release()


def _pass(
    settings, engine, run_id, run_uid, config, selected, max_articles, stream_logs, timeout, labels, log_level
):
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
        "outlets": list(outlet_ids),
        "outlet_ids": outlet_ids,
        "run_id": run_id,
        "run_uid": run_uid,
        "max_articles": max_articles,
        "user_agent": settings.user_agent,
        "software": f"dadkhah/{__version__}",
        "stream_logs": stream_logs,
        "log_level": log_level,
    }
    extra = dict(labels or {})  # kept in the run's stats from its start (RunLease) to its end
    try:
        with sigterm_as_exception():
            child = _crawl(job, timeout)
    except BaseException as exc:  # Ctrl-C, SIGTERM, or the caller's own time limit (Airflow)
        if isinstance(exc, Terminated):
            why = "SIGTERM"
        elif isinstance(exc, KeyboardInterrupt):
            why = "SIGINT (Ctrl-C)"
        else:
            why = f"{type(exc).__name__}: {exc}"
        report = _collect(engine, run_id, run_uid, outlet_ids, None, interrupted=why)
        finish_run(engine, run_id, status="interrupted", stats=_run_stats(report, extra | {"error": why}))
        if isinstance(exc, KeyboardInterrupt | Terminated):
            raise PassInterrupted(report, why) from None
        raise
    seal_after_crawl(engine, settings)  # the chain of custody over the files just closed
    index_after_crawl(settings)  # their records, replayable (`dadkhah replay`)
    report = _collect(engine, run_id, run_uid, outlet_ids, child)
    finish_run(engine, run_id, status=report.status, stats=_run_stats(report, extra))
    _assess_health(engine, run_id)
    return report


def _assess_health(engine: Engine, run_id: int) -> None:
    """Every pass ends with a health verdict per outlet; a health failure never breaks it."""
    from pipeline.health import assess_outlets

    try:
        assess_outlets(engine, run_id=run_id)
    except Exception as exc:  # noqa: BLE001 - reported, the pass's own result stands
        log.warning("outlet health not assessed: %s: %s", type(exc).__name__, exc)


def _run_stats(report: PassReport, extra: dict[str, Any]) -> dict[str, Any]:
    stats: dict[str, Any] = {k: report.total(k) for k in REPORT_KEYS}
    stats["failed_outlets"] = report.failed_outlets()
    return stats | extra


_OUTLET_RUNS = text("SELECT outlet_id, status, stats, error FROM outlet_runs WHERE run_id = :run_id")


def _collect(
    engine: Engine,
    run_id: int,
    run_uid: str,
    outlet_ids: dict[str, int],
    child: ChildResult | None,
    *,
    interrupted: str | None = None,
) -> PassReport:
    """The pass's report from what the crawl recorded; outlets the child left unclosed are
    closed here (failed, or interrupted), with the counts their fetch log holds."""
    try:
        with engine.connect() as conn:
            rows = {row.outlet_id: row for row in conn.execute(_OUTLET_RUNS, {"run_id": run_id})}
    except DBAPIError as exc:
        raise DatabaseUnavailable(f"the database became unavailable during the crawl: {exc}") from exc
    if child is not None and child.returncode == 3:  # spiders.run.EXIT_DATABASE_UNAVAILABLE
        raise DatabaseUnavailable(
            "the database became unavailable during the crawl, which stopped: "
            + (child.last_error or "see the log")
        )
    if interrupted or child is None or child.returncode != 0:
        # Answers the stopped crawl had fetched and not handled are fetched again next pass.
        stopped = f"interrupted by {interrupted}" if interrupted else "the crawl process ended"
        interrupt_unhandled(engine, run_id, stopped)
    report = PassReport(run_id=run_id, run_uid=run_uid, status=SUCCEEDED)
    for name, outlet_id in outlet_ids.items():
        row = rows.get(outlet_id)
        if row is None or row.status == "running":
            with engine.connect() as conn:
                stats = stats_from_fetches(conn, run_id, outlet_id)
            if interrupted:
                status, error = "interrupted", f"interrupted by {interrupted}"
            else:
                status = "failed"
                error = child.describe() if child else "the crawl process ended before this outlet"
            save_outlet_run(
                engine,
                run_id=run_id,
                outlet_id=outlet_id,
                status=status,
                stats=stats,
                error=error,
                finished=True,
            )
            report.outlets[name] = {**stats, "status": status, "error": error}
        else:
            report.outlets[name] = {**(row.stats or {}), "status": row.status, "error": row.error}
    statuses = {r["status"] for r in report.outlets.values()}
    if interrupted or "interrupted" in statuses:
        report.status = "interrupted"
    elif statuses - {SUCCEEDED}:
        report.status = "failed"
    return report


def ingest_outlet(
    outlet_name: str,
    *,
    settings: Settings,
    max_articles: int | None = None,
    trigger: str = "airflow",
    run_uid: str | None = None,
    labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Crawl ONE outlet in a child process and return its report (used by Airflow tasks).

    Raises when the outlet did not succeed, so that the task fails (and retries)."""
    report = ingest(
        settings,
        outlet_names=[outlet_name],
        max_articles=max_articles,
        trigger=trigger,
        run_uid=run_uid,
        stream_logs=False,
        labels=labels,
    )
    outlet_report = report.outlets[outlet_name]
    if outlet_report.get("status") != SUCCEEDED:
        raise OutletFailed(outlet_name, outlet_report)
    return {"outlet": outlet_name, "run_id": report.run_id, **outlet_report}


class OutletFailed(RuntimeError):
    def __init__(self, outlet: str, report: dict[str, Any]) -> None:
        super().__init__(f"outlet {outlet!r} {report.get('status')}: {report.get('error')}")
        self.outlet = outlet
        self.report = report
