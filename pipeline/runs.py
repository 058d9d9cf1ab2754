"""Crawl runs that tell the truth about their end, even when their process died.

A run is opened on a connection of its own that holds a session-level advisory lock on the
run for as long as the pass lasts (taken in the transaction that creates the row, so no
other process ever sees the row unlocked while its owner lives). A later pass that finds a
run still `running` whose lock it can take knows the owner is dead (SIGKILL, a lost
machine): it closes that run and its outlets as `interrupted`, with the counts the fetch log
holds.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy import Connection, Engine, text

from pipeline.locks import RUN_LOCK_NAMESPACE, drop_lock_connection, try_lock
from pipeline.storage import INTERRUPT_UNHANDLED, utcnow

log = logging.getLogger("dadkhah.runs")

_START_RUN = text(
    """
    INSERT INTO crawl_runs (run_uid, trigger, outlets, software, status, stats)
    VALUES (:run_uid, :trigger, CAST(:outlets AS text[]), CAST(:software AS jsonb), 'running',
            CAST(:labels AS jsonb))
    ON CONFLICT (run_uid) DO UPDATE SET status = 'running', stats = crawl_runs.stats || EXCLUDED.stats
    RETURNING run_id
    """
)
_RUNNING = text("SELECT run_id FROM crawl_runs WHERE status = 'running' AND run_id <> :own ORDER BY run_id")
# Outcomes that are not failures of the exchange itself.
_NOT_FAILED = (
    "fetched",
    "stored",
    "duplicate",
    "parsed",
    "not_modified",
    "redirect",
    "retried",
    "not_article",
    "interrupted",
)
_FETCH_COUNTS = text(
    """
    SELECT outcome, kind, count(*) AS n FROM fetches
     WHERE run_id = :run_id AND outlet_id = :outlet_id GROUP BY outcome, kind
    """
)


def stats_from_fetches(conn: Connection, run_id: int, outlet_id: int) -> dict[str, Any]:
    """An outlet run's counts as its fetch log has them: the truth when the crawl died
    before it could report them itself."""
    stats: dict[str, Any] = {"stored": 0, "duplicate": 0, "not_article": 0, "fetched": 0, "failed": 0}
    failures: dict[str, int] = {}
    for outcome, kind, n in conn.execute(_FETCH_COUNTS, {"run_id": run_id, "outlet_id": outlet_id}):
        if kind == "article" and outcome not in ("retried", "interrupted"):
            stats["fetched"] += n
        if outcome in ("stored", "duplicate", "not_article"):
            stats[outcome] += n
        elif outcome not in _NOT_FAILED and kind != "robots":
            stats["failed"] += n
            failures[outcome] = failures.get(outcome, 0) + n
    stats["failures"] = failures
    stats["counted_from"] = "fetch log"
    return stats


class RunLease:
    """A crawl run row and the lock that says its owner is alive."""

    def __init__(
        self,
        engine: Engine,
        *,
        run_uid: str,
        trigger: str,
        outlets: list[str],
        software: dict,
        labels: dict[str, str] | None = None,
    ):
        self._conn = engine.connect()
        try:
            with self._conn.begin():
                params = {"run_uid": run_uid, "trigger": trigger, "outlets": list(outlets)}
                params["software"] = json.dumps(software)
                params["labels"] = json.dumps(labels or {})
                self.run_id: int = self._conn.execute(_START_RUN, params).scalar_one()
                self._conn.execute(
                    text("SELECT pg_advisory_lock(:ns, :key)"), {"ns": RUN_LOCK_NAMESPACE, "key": self.run_id}
                )
        except BaseException:
            self._conn.close()
            raise

    def close_abandoned_runs(self) -> list[int]:
        """Close as `interrupted` every run left `running` by a process that is gone."""
        closed: list[int] = []
        conn = self._conn
        candidates = list(conn.execute(_RUNNING, {"own": self.run_id}).scalars())
        conn.commit()
        for run_id in candidates:
            owner_gone = try_lock(conn, RUN_LOCK_NAMESPACE, run_id)
            conn.commit()
            if not owner_gone:
                continue  # its owner is alive
            try:
                if _close_abandoned(conn, run_id):
                    closed.append(run_id)
                conn.commit()
            except BaseException:
                conn.rollback()
                raise
            finally:
                conn.execute(
                    text("SELECT pg_advisory_unlock(:ns, :key)"), {"ns": RUN_LOCK_NAMESPACE, "key": run_id}
                )
                conn.commit()
        if closed:
            log.warning("closed %d crawl run(s) left running by a process that died: %s", len(closed), closed)
        return closed

    def release(self) -> None:
        drop_lock_connection(self._conn)


def _close_abandoned(conn: Connection, run_id: int) -> bool:
    """Close one abandoned run (its lock held by the caller); False if it had ended meanwhile."""
    why = "interrupted: the process running this crawl ended without closing it"
    still_running = conn.execute(
        text("SELECT 1 FROM crawl_runs WHERE run_id = :r AND status = 'running' FOR UPDATE"), {"r": run_id}
    ).first()
    if still_running is None:
        return False
    rows = conn.execute(
        text("SELECT outlet_id FROM outlet_runs WHERE run_id = :r AND status = 'running'"), {"r": run_id}
    ).scalars()
    conn.execute(
        INTERRUPT_UNHANDLED,
        {"run_id": run_id, "outlet_id": None, "error": f"{why} before this answer was handled"},
    )
    for outlet_id in list(rows):
        stats = stats_from_fetches(conn, run_id, outlet_id)
        conn.execute(
            text(
                "UPDATE outlet_runs SET status = 'interrupted', error = :error, finished_at = :now,"
                " stats = CAST(:stats AS jsonb) WHERE run_id = :r AND outlet_id = :o"
            ),
            {"error": why, "now": utcnow(), "stats": json.dumps(stats), "r": run_id, "o": outlet_id},
        )
    conn.execute(
        text(
            "UPDATE crawl_runs SET status = 'interrupted', finished_at = :now,"
            " stats = stats || CAST(:extra AS jsonb) WHERE run_id = :r"
        ),
        {"now": utcnow(), "extra": json.dumps({"error": why}), "r": run_id},
    )
    return True


_LABELLED_OUTLET_RUNS = text(
    """
    SELECT DISTINCT ON (o.name) o.name, r.status, r.error
      FROM crawl_runs c
      JOIN outlet_runs r ON r.run_id = c.run_id
      JOIN outlets o ON o.outlet_id = r.outlet_id
     WHERE c.stats ->> :key = :value
     ORDER BY o.name, r.started_at DESC, r.run_id DESC
    """
)


def outlet_runs_labelled(engine: Engine, key: str, value: str) -> dict[str, dict[str, Any]]:
    """The latest outlet run of each outlet among the crawl runs carrying a label (e.g. every
    try of every crawl task of one Airflow DAG run): its status and error."""
    with engine.connect() as conn:
        rows = conn.execute(_LABELLED_OUTLET_RUNS, {"key": key, "value": value})
        return {row.name: {"status": row.status, "error": row.error} for row in rows}
