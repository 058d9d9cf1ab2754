"""One queue of "article changed" events for every step that derives data (migration 0011).

Each consumer (``work_consumers``: clustering, tagging, incidents; a later step is one more row naming the
article columns it reads) has its own pending events in ``work_queue``. An insert queues an
event for every consumer (a trigger); any code that stores a new version of an article calls
:func:`enqueue_changed` in the same transaction, and an event is queued for each consumer
that reads a column that changed. A consumer claims events (``FOR UPDATE SKIP LOCKED``, so
concurrent drainers never take the same event), reads the articles *after* claiming (so it
sees at least the text that caused each event) and deletes its events in the transaction that
stores its results: a crash leaves them pending, a rerun finds nothing done twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

CLUSTERING = "clustering"
TAGGING = "tagging"
INCIDENTS = "incidents"

# The article columns a consumer may derive from; a new version compares these.
WATCHED = ("title", "text", "published_at", "language")

# Two-int advisory locks (namespace, article) taken by a consumer while it works on an
# article; see pipeline/locks.py for the other namespaces.
ARTICLE_LOCK_NAMESPACE = 72417004


@dataclass(frozen=True)
class Event:
    event_id: int
    article_id: int
    article_version: int
    reason: str


def changed_fields(before: Mapping[str, Any] | Any, after: Mapping[str, Any]) -> list[str]:
    """The watched columns whose value differs between a stored row and a new version."""

    def get(row: Any, name: str) -> Any:
        return row[name] if isinstance(row, Mapping) else getattr(row, name)

    return [c for c in WATCHED if c in after and get(before, c) != after[c]]


def enqueue_changed(conn: Connection, article_id: int, fields: Iterable[str]) -> int:
    """Queue a "changed" event of ``article_id`` for every consumer reading one of ``fields``.

    Call it in the transaction that stores the new version, after the ``articles`` row is
    updated (the event records its ``current_version``). Nothing is queued when ``fields``
    is empty. Returns the number of events queued.
    """
    fields = sorted(set(fields))
    if not fields:
        return 0
    return conn.execute(
        text("SELECT public.dadkhah_enqueue_work(ARRAY[CAST(:a AS bigint)], 'changed', CAST(:f AS text[]))"),
        {"a": article_id, "f": fields},
    ).scalar_one()


def pending(conn: Connection, consumer: str, *, limit: int | None = None) -> list[Event]:
    """The consumer's pending events, oldest first, without locking them."""
    rows = conn.execute(
        text(
            "SELECT event_id, article_id, article_version, reason FROM work_queue "
            "WHERE consumer = :c ORDER BY event_id LIMIT :n"
        ),
        {"c": consumer, "n": limit},
    )
    return [Event(*r) for r in rows]


def claim(
    conn: Connection,
    consumer: str,
    limit: int,
    *,
    only: Sequence[int] | None = None,
    skip: Sequence[int] = (),
) -> list[Event]:
    """Lock up to ``limit`` of the consumer's pending events for this transaction.

    Events another transaction holds are skipped (``SKIP LOCKED``); ``only`` restricts to
    these event ids (those still pending), ``skip`` leaves these out.
    """
    rows = conn.execute(
        text(
            "SELECT event_id, article_id, article_version, reason FROM work_queue "
            "WHERE consumer = :c AND (CAST(:only AS bigint[]) IS NULL OR event_id = ANY(CAST(:only AS bigint[]))) "
            "  AND event_id <> ALL(CAST(:skip AS bigint[])) "
            "ORDER BY event_id LIMIT :n FOR UPDATE SKIP LOCKED"
        ),
        {"c": consumer, "n": limit, "only": None if only is None else list(only), "skip": list(skip)},
    )
    return [Event(*r) for r in rows]


def done(conn: Connection, events: Iterable[Event]) -> None:
    """Mark events handled: call in the transaction that stores their results."""
    ids = [e.event_id for e in events]
    if ids:
        conn.execute(
            text("DELETE FROM work_queue WHERE event_id = ANY(CAST(:ids AS bigint[]))"), {"ids": ids}
        )


def clear(conn: Connection, consumer: str) -> int:
    """Mark every pending event of the consumer handled (a full rebuild covers them)."""
    return conn.execute(text("DELETE FROM work_queue WHERE consumer = :c"), {"c": consumer}).rowcount


def lock_articles(conn: Connection, article_ids: Iterable[int]) -> list[int]:
    """The articles of ``article_ids`` this transaction now works on alone (try-locks, in id
    order): an article another worker holds is left to it."""
    ids = sorted(set(article_ids))
    if not ids:
        return []
    rows = conn.execute(
        text(
            "SELECT id FROM unnest(CAST(:ids AS bigint[])) WITH ORDINALITY AS t(id, o) "
            "WHERE pg_try_advisory_xact_lock(:ns, CAST(id % 2147483647 AS integer)) ORDER BY o"
        ),
        {"ids": ids, "ns": ARTICLE_LOCK_NAMESPACE},
    )
    return [r[0] for r in rows]


def swept(conn: Connection, consumer: str) -> dict | None:
    """The configuration under which the consumer last went through the whole archive."""
    return conn.execute(
        text("SELECT swept FROM work_consumers WHERE name = :c"), {"c": consumer}
    ).scalar_one()


def set_swept(conn: Connection, consumer: str, config: dict) -> None:
    conn.execute(
        text("UPDATE work_consumers SET swept = CAST(:s AS jsonb), swept_at = now() WHERE name = :c"),
        {"c": consumer, "s": _json(config)},
    )


def backlog(conn: Connection) -> dict[str, tuple[int, datetime | None]]:
    """Per consumer: pending events and the oldest one's time."""
    rows = conn.execute(
        text(
            "SELECT c.name, count(w.event_id), min(w.queued_at) FROM work_consumers c "
            "LEFT JOIN work_queue w ON w.consumer = c.name GROUP BY c.name ORDER BY c.name"
        )
    )
    return {name: (n, oldest) for name, n, oldest in rows}


def _json(value: dict) -> str:
    import json

    return json.dumps(value, sort_keys=True)
