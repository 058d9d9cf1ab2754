"""One revisit run: the due (or all) stored articles of the chosen outlets fetched again.

The same function serves ``dadkhah revisit`` and the ``dadkhah_revisit`` DAG. The run is a
``crawl_runs`` row (trigger ``revisit:…``) so its fetches and WARC files say who made them;
it writes no ``outlet_runs`` (those are ingestion passes, judged by outlet health). Each outlet
is revisited by one run at a time (an advisory lock; another run finds it ``skipped``).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from pipeline import __version__
from pipeline.config import ConfigError, OutletConfig, load_outlets
from pipeline.crawl_child import ChildResult, Terminated, run_crawl_child, sigterm_as_exception
from pipeline.db import DatabaseUnavailable, check_schema, get_engine
from pipeline.evidence.chain import seal_after_crawl
from pipeline.ingest import software_versions
from pipeline.locks import REVISIT_LOCK_NAMESPACE, drop_lock_connection, try_lock
from pipeline.revisit.schedule import load_targets, select_articles
from pipeline.runs import RunLease
from pipeline.settings import Settings
from pipeline.storage import finish_run

log = logging.getLogger("dadkhah.revisit")

OUTCOMES = ("unchanged", "edited", "removed", "unreachable")
CHANGES = ("edited", "removed", "restored")
Clock = Callable[[], datetime]


def utc_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class RevisitReport:
    run_id: int | None
    run_uid: str
    status: str  # finished | failed | interrupted
    checked_at: datetime
    outlets: dict[str, dict[str, Any]] = field(default_factory=dict)

    def total(self, key: str) -> int:
        return sum(int(o.get(key, 0)) for o in self.outlets.values())

    def failed_outlets(self) -> list[str]:
        return [name for name, o in self.outlets.items() if o.get("status") != "finished"]

    def as_dict(self) -> dict[str, Any]:
        keys = ("selected", *OUTCOMES, "not_checked", *(f"changes_{c}" for c in CHANGES))
        return {
            "run_id": self.run_id,
            "run_uid": self.run_uid,
            "status": self.status,
            "checked_at": self.checked_at.isoformat(),
            "totals": {k: self.total(k) for k in keys},
            "failed_outlets": self.failed_outlets(),
            "outlets": self.outlets,
        }


class RevisitInterrupted(Exception):
    def __init__(self, report: RevisitReport, why: str) -> None:
        super().__init__(f"revisit run {report.run_id} interrupted ({why})")
        self.report = report
        self.why = why


def select_outlets(
    settings: Settings, names: list[str] | None, outlets_file: Path | None
) -> list[OutletConfig]:
    """The outlets to revisit: the enabled ones with revisits on, or exactly the named ones
    (a named outlet with revisits off is a usage error)."""
    config = load_outlets(outlets_file or settings.outlets_file)
    selected = config.select(names)
    off = [o.name for o in selected if not o.revisit.enabled]
    if names and off:
        raise ConfigError(
            f"{config.source}: revisits are off for {', '.join(map(repr, off))} (revisit: false)"
        )
    return [o for o in selected if o.revisit.enabled]


_OUTLET_IDS = text("SELECT name, outlet_id FROM outlets WHERE name = ANY(CAST(:names AS text[]))")
_RESULTS = text(
    """
    SELECT article_id, outcome, change FROM article_revisits
     WHERE run_id = :run_id AND article_id = ANY(CAST(:ids AS bigint[]))
    """
)


def revisit(
    settings: Settings,
    *,
    outlet_names: list[str] | None = None,
    outlets_file: Path | None = None,
    due_only: bool = False,
    clock: Clock = utc_clock,
    trigger: str = "revisit:cli",
    run_uid: str | None = None,
    engine: Engine | None = None,
    stream_logs: bool = True,
    timeout: float | None = None,
    log_level: str = "WARNING",
) -> RevisitReport:
    """Revisit the selected outlets' articles (with ``due_only``, those the schedule says are
    due at ``clock()``); return what was found. Raises ConfigError, DatabaseUnavailable, and
    RevisitInterrupted (after closing the run) on Ctrl-C or SIGTERM."""
    selected = select_outlets(settings, outlet_names, outlets_file)
    outlets_path = Path(outlets_file or settings.outlets_file)
    if engine is None:
        engine = get_engine(settings)
    else:
        check_schema(engine)
    now = clock()
    run_uid = run_uid or uuid.uuid4().hex
    with engine.connect() as conn:
        known = dict(conn.execute(_OUTLET_IDS, {"names": [o.name for o in selected]}).all())
    report = RevisitReport(None, run_uid, "finished", now)
    locks = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        targets: dict[str, list] = {}
        outlet_ids: dict[str, int] = {}
        for outlet in selected:
            if outlet.name not in known:  # never crawled: nothing stored to revisit
                report.outlets[outlet.name] = _outlet_report(0, status="finished")
                continue
            if not try_lock(locks, REVISIT_LOCK_NAMESPACE, known[outlet.name]):
                report.outlets[outlet.name] = _outlet_report(
                    0, status="skipped", error="skipped: another revisit run of this outlet is in progress"
                )
                continue
            ids = select_articles(engine, known[outlet.name], outlet, now, due_only=due_only)
            outlet_ids[outlet.name] = known[outlet.name]
            targets[outlet.name] = load_targets(engine, ids)
        if not any(targets.values()):
            for name in outlet_ids:
                report.outlets[name] = _outlet_report(0, status="finished")
            report.status = "failed" if report.failed_outlets() else "finished"
            return report
        lease = RunLease(
            engine,
            run_uid=run_uid,
            trigger=trigger,
            outlets=list(outlet_ids),
            software=software_versions(),
            labels={"kind": "revisit", "due_only": str(due_only).lower(), "checked_at": now.isoformat()},
        )
        try:
            report.run_id = lease.run_id
            lease.close_abandoned_runs()  # runs a killed process left open (revisits included)
            _crawl_and_collect(
                settings,
                engine,
                report,
                outlets_path,
                outlet_ids,
                targets,
                now,
                stream_logs,
                timeout,
                log_level,
            )
        finally:
            lease.release()
        return report
    finally:
        drop_lock_connection(locks)


def _outlet_report(selected: int, *, status: str, error: str | None = None) -> dict[str, Any]:
    report: dict[str, Any] = {"selected": selected, **dict.fromkeys(OUTCOMES, 0), "not_checked": 0}
    report |= {f"changes_{c}": 0 for c in CHANGES}
    return report | {"status": status, "error": error}


def _crawl_and_collect(
    settings, engine, report, outlets_path, outlet_ids, targets, now, stream_logs, timeout, log_level
) -> None:
    job = {
        "database_url": engine.url.render_as_string(hide_password=False),
        "archive_dir": str(settings.archive_dir.resolve()),
        "outlets_file": str(outlets_path.resolve()),
        "outlets": list(outlet_ids),
        "outlet_ids": outlet_ids,
        "targets": {name: [t.as_json() for t in ts] for name, ts in targets.items()},
        "run_id": report.run_id,
        "run_uid": report.run_uid,
        "checked_at": now.isoformat(),
        "user_agent": settings.user_agent,
        "software": f"dadkhah/{__version__}",
        "log_level": log_level,
    }
    settings.archive_dir.mkdir(parents=True, exist_ok=True)
    try:
        with sigterm_as_exception():
            child = _run_child(job, stream_logs, timeout)
    except BaseException as exc:
        why = (
            "SIGTERM"
            if isinstance(exc, Terminated)
            else "SIGINT (Ctrl-C)"
            if isinstance(exc, KeyboardInterrupt)
            else f"{type(exc).__name__}: {exc}"
        )
        _collect(engine, report, targets, None, interrupted=why)
        finish_run(engine, report.run_id, status="interrupted", stats=report.as_dict() | {"error": why})
        if isinstance(exc, KeyboardInterrupt | Terminated):
            raise RevisitInterrupted(report, why) from None
        raise
    seal_after_crawl(engine, settings)  # the chain of custody over the files just closed
    _collect(engine, report, targets, child)
    finish_run(engine, report.run_id, status=report.status, stats=report.as_dict())


def _run_child(job: dict[str, Any], stream_logs: bool, timeout: float | None) -> ChildResult:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as fh:
        json.dump(job, fh)
        path = fh.name
    try:
        return run_crawl_child(path, echo=stream_logs, timeout=timeout, module="spiders.revisit_run")
    finally:
        os.unlink(path)


def _collect(
    engine, report: RevisitReport, targets, child: ChildResult | None, *, interrupted: str | None = None
):
    """Per outlet, what the run's revisit rows say; articles without one were not checked."""
    if child is not None and child.returncode == 3:  # spiders.run.EXIT_DATABASE_UNAVAILABLE
        raise DatabaseUnavailable(
            "the database became unavailable during the revisit: " + (child.last_error or "")
        )
    for name, outlet_targets in targets.items():
        ids = [t.article_id for t in outlet_targets]
        with engine.connect() as conn:
            rows = conn.execute(_RESULTS, {"run_id": report.run_id, "ids": ids}).all()
        outlet = _outlet_report(len(ids), status="finished")
        for _article_id, outcome, change in rows:
            outlet[outcome] += 1
            if change:
                outlet[f"changes_{change}"] += 1
        outlet["not_checked"] = len(set(ids) - {r.article_id for r in rows})
        if interrupted:
            outlet["status"], outlet["error"] = "interrupted", f"interrupted by {interrupted}"
        elif outlet["not_checked"]:
            outlet["status"] = "failed"
            why = child.describe() if child and child.returncode else "the crawl ended before them"
            outlet["error"] = f"{outlet['not_checked']} article(s) not checked: {why}"
        report.outlets[name] = outlet
    statuses = {o["status"] for o in report.outlets.values()}
    report.status = "interrupted" if interrupted else "failed" if statuses - {"finished"} else "finished"
