"""Which stored articles are due for a revisit, and what a revisit needs to know of each.

An article is due once its age (since ``first_seen_at``) passes a stage of its outlet's
``revisit.after_days`` (default 1, 7, 30, 180) and no conclusive revisit (any outcome but
``unreachable``) has been made since that stage came due: a stage is done once, an article
that missed several stages (revisits newly turned on) is checked once for the latest, and an
unreachable page is tried again on the next run. The clock is a parameter, so the schedule is
tested without waiting.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, text

from pipeline.config import OutletConfig

# The statement before 0017, kept as the definition the indexed selection is tested against
# (tests/test_revisit_due.py) and for ``due_only=False``: newest stage that has come due, per
# article (NULL while none has), and no conclusive revisit since.
_DUE_SINCE = """
    (SELECT max(a.first_seen_at + d * interval '1 day') FROM unnest(CAST(:days AS float8[])) AS d
      WHERE a.first_seen_at + d * interval '1 day' <= :now)
"""
_SELECT = text(
    f"""
    SELECT a.article_id, s.due_since
      FROM articles a
     CROSS JOIN LATERAL (SELECT {_DUE_SINCE} AS due_since) s
     WHERE a.outlet_id = :outlet_id
       AND (NOT :due_only OR (
            s.due_since IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM article_revisits r
                             WHERE r.article_id = a.article_id AND r.outcome <> 'unreachable'
                               AND r.checked_at >= s.due_since)))
     ORDER BY CASE WHEN :due_only THEN s.due_since END, a.last_checked_at NULLS FIRST, a.article_id
     LIMIT :max_rows
    """
)

# One stage's due articles, from the indexes of 0017. A stage holds the articles whose newest
# stage come due is this one: first_seen_at in (now - next, now - d]. Those never conclusively
# revisited are a range of ix_articles_revisit_never read in the selection's order (outlet_id
# leads the ORDER BY so that no index of first_seen_at alone offers that order), at most
# max_rows of them. Those whose last conclusive revisit came before the stage's age are a range
# of ix_articles_revisit_conclusive: all of them (no order, no limit: in a running archive they
# are the articles between two stages, however large the archive). Their stage is tested on
# first_seen_at + d, which no index holds: an index of first_seen_at would read the stage's
# whole range of the archive (every article of the last stage) to keep none.
_STAGE = """
    (SELECT a.article_id, a.first_seen_at + {d} AS due_since, a.last_checked_at
       FROM articles a
      WHERE a.outlet_id = :outlet_id AND a.last_conclusive_revisit_at IS NULL
        AND a.first_seen_at <= :now - {d}{younger}
      ORDER BY a.outlet_id, a.first_seen_at, a.last_checked_at NULLS FIRST, a.article_id
      LIMIT :max_rows)
    UNION ALL
    SELECT a.article_id, a.first_seen_at + {d} AS due_since, a.last_checked_at
      FROM articles a
     WHERE a.outlet_id = :outlet_id AND a.last_conclusive_revisit_at IS NOT NULL
       AND a.last_conclusive_revisit_at - a.first_seen_at < {d}
       AND a.first_seen_at + {d} <= :now{younger_due}
"""


def due_select(days: list[float] | tuple[float, ...]) -> tuple[Any, dict[str, float]]:
    """The due selection for these stages (``revisit.after_days``) and its stage parameters.

    Days are 24 hours (``d * interval '24 hours'``). Within a stage ``first_seen_at`` order is
    ``due_since`` order, so its first ``max_rows`` never-revisited articles hold all of them
    that can be among the selected; the union is sorted as the old statement sorted and limited
    again, so the rows and their order are the old statement's."""
    stages = sorted({float(d) for d in days})
    params = {f"d{k}": d for k, d in enumerate(stages)}
    parts = []
    for k in range(len(stages)):
        d = f"CAST(:d{k} AS float8) * interval '24 hours'"
        younger = (
            f" AND a.first_seen_at > :now - CAST(:d{k + 1} AS float8) * interval '24 hours'"
            if k + 1 < len(stages)
            else ""
        )
        younger_due = (
            f" AND a.first_seen_at + CAST(:d{k + 1} AS float8) * interval '24 hours' > :now"
            if k + 1 < len(stages)
            else ""
        )
        parts.append(_STAGE.format(d=d, younger=younger, younger_due=younger_due))
    if not parts:
        return text("SELECT NULL::bigint AS article_id, NULL::timestamptz AS due_since WHERE false"), params
    union = "\n    UNION ALL\n".join(parts)
    sql = f"""
    SELECT u.article_id, u.due_since
      FROM ({union}) u
     ORDER BY u.due_since, u.last_checked_at NULLS FIRST, u.article_id
     LIMIT :max_rows
    """
    return text(sql), params


def select_articles(
    engine: Engine, outlet_id: int, outlet: OutletConfig, now: datetime, *, due_only: bool
) -> list[int]:
    """The outlet's articles to revisit now, at most ``max_per_run``: with ``due_only`` those
    the schedule says are due (most overdue first), else every stored article (those longest
    unchecked first)."""
    params = {
        "outlet_id": outlet_id,
        "days": list(outlet.revisit.after_days),
        "now": now,
        "due_only": due_only,
        "max_rows": outlet.revisit.max_per_run,
    }
    stmt = _SELECT
    if due_only:
        stmt, stages = due_select(outlet.revisit.after_days)
        params = {"outlet_id": outlet_id, "now": now, "max_rows": outlet.revisit.max_per_run, **stages}
    with engine.begin() as conn:
        # Its cost estimate can pass jit_above_cost (a stage's range estimated before the
        # conclusive index has statistics): compiling would cost ~50 ms for a few index reads.
        conn.execute(text("SET LOCAL jit = off"))
        return [row.article_id for row in conn.execute(stmt, params)]


@dataclass
class Target:
    """One article to revisit: where to ask, with which validators, and what it was."""

    article_id: int
    url: str
    status: str
    current_version: int
    title: str | None
    text_sha256: str  # of the current version's title and text (pipeline.revisit.compare)
    extractor: str
    published_at: str | None
    published_raw: str | None
    published_method: str | None
    ref_fetch_id: int | None  # the latest capture of the page as its current version has it
    ref_raw_sha256: str | None
    ref_warc_file: str | None
    ref_warc_offset: int | None
    etag: str | None
    last_modified: str | None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


# The reference capture: the latest 200 among the first fetch, the current version's fetch and
# the revisits that found the page unchanged or edited (never a not-found page's capture).
_TARGETS = text(
    """
    SELECT a.article_id, a.canonical_url, a.status, a.current_version, v.title, v.text,
           v.extractor, a.published_at, a.published_raw, a.published_method,
           ref.fetch_id, ref.final_url, ref.requested_url, ref.raw_sha256, ref.warc_file,
           ref.warc_offset, ref.response_headers
      FROM articles a
      JOIN article_versions v ON v.article_id = a.article_id AND v.version = a.current_version
      LEFT JOIN LATERAL (
        SELECT f.fetch_id, f.final_url, f.requested_url, f.raw_sha256, f.warc_file, f.warc_offset,
               f.response_headers
          FROM fetches f
         WHERE f.fetch_id IN (SELECT a.first_fetch_id UNION ALL SELECT v.fetch_id
                              UNION ALL SELECT r.fetch_id FROM article_revisits r
                               WHERE r.article_id = a.article_id AND r.outcome IN ('unchanged', 'edited'))
           AND f.http_status = 200 AND f.warc_file IS NOT NULL
         ORDER BY f.fetched_at DESC, f.fetch_id DESC
         LIMIT 1
      ) ref ON true
     WHERE a.article_id = ANY(CAST(:ids AS bigint[]))
     ORDER BY array_position(CAST(:ids AS bigint[]), a.article_id)
    """
)


def _header(headers: Any, name: str) -> str | None:
    if isinstance(headers, str):
        headers = json.loads(headers)
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return value
    return None


def load_targets(engine: Engine, article_ids: list[int]) -> list[Target]:
    """What the revisit spider needs of each article, in the order given."""
    from pipeline.revisit.compare import version_digest

    if not article_ids:
        return []
    with engine.connect() as conn:
        rows = conn.execute(_TARGETS, {"ids": list(article_ids)}).all()
    return [
        Target(
            article_id=row.article_id,
            url=row.final_url or row.requested_url or row.canonical_url,
            status=row.status,
            current_version=row.current_version,
            title=row.title,
            text_sha256=version_digest(row.title, row.text),
            extractor=row.extractor,
            published_at=row.published_at.isoformat() if row.published_at else None,
            published_raw=row.published_raw,
            published_method=row.published_method,
            ref_fetch_id=row.fetch_id,
            ref_raw_sha256=row.raw_sha256,
            ref_warc_file=row.warc_file,
            ref_warc_offset=row.warc_offset,
            etag=_header(row.response_headers, "etag"),
            last_modified=_header(row.response_headers, "last-modified"),
        )
        for row in rows
    ]
