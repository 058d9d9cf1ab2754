"""Extract incident mentions from stored articles and keep the register in PostgreSQL.

The register is a consumer of the one work queue (``pipeline.workqueue``, consumer
``incidents``): an inserted article and a stored version whose title, text, date or language
changed queue an event, and a run drains them, re-reading an article only when its current
version is newer than its extraction (an event already covered is dropped unread). The whole
archive is walked (``pending_articles``, an anti-join) only under an extractor version not yet
swept (``work_consumers.swept``), or with ``reextract``. For each batch, under one
transaction-level advisory lock (one resolver at a time): the articles' old mentions are
removed, the open incidents are loaded into the resolver, the new mentions assigned (creating
or merging incidents), and every touched incident's register row is recomputed from its
mentions. Independent sources are then recounted only for incidents whose articles changed
cluster since the last run (the change feed, from ``work_consumers.changes_read``). Rerunning
with nothing changed reads no article; a crash mid-batch rolls the batch back whole, its
events still queued.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, delete, func, insert, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection

from pipeline import workqueue
from pipeline.incidents.extract import EXTRACTOR_VERSION, ArticleInput, examined, extract_mentions
from pipeline.incidents.register import Source, summarise
from pipeline.incidents.resolve import IncidentState, Resolver, step
from schema.models import (
    Article,
    ArticleCluster,
    Incident,
    IncidentExtraction,
    IncidentMention,
    IncidentMerge,
    Outlet,
)

log = logging.getLogger(__name__)

LOCK_KEY = 72417014  # pg_advisory_xact_lock: one incident resolver at a time
_articles = Article.__table__
_outlets = Outlet.__table__
_extractions = IncidentExtraction.__table__
_incidents = Incident.__table__
_mentions = IncidentMention.__table__
_merges = IncidentMerge.__table__
_clusters = ArticleCluster.__table__


def outlet_type(affiliation: str | None) -> str:
    """The kind of source an outlet is, from its configured affiliation text."""
    a = (affiliation or "").lower()
    if any(w in a for w in ("state media", "state-run", "judiciary", "official", "government")):
        return "state_media"
    if any(w in a for w in ("human-rights", "human rights", "rights group", "ngo")):
        return "rights_group"
    if "united nations" in a or "un body" in a:
        return "un_body"
    return "independent_media"


def _article_query():
    """An article with what the extractor reads and its current extraction's versions."""
    return select(
        _articles.c.article_id,
        _articles.c.title,
        _articles.c.text,
        _articles.c.language,
        _articles.c.published_at,
        _articles.c.first_seen_at,
        _articles.c.current_version,
        _outlets.c.affiliation,
        _extractions.c.article_version.label("extracted_version"),
        _extractions.c.extractor_version,
    ).select_from(
        _articles.join(_outlets, _outlets.c.outlet_id == _articles.c.outlet_id).outerjoin(
            _extractions, _extractions.c.article_id == _articles.c.article_id
        )
    )


def _outdated(row) -> bool:
    """Whether the article's extraction is missing, of an older text or another extractor."""
    return (
        row.extracted_version is None
        or row.current_version > row.extracted_version
        or row.extractor_version != EXTRACTOR_VERSION
    )


def pending_articles(
    conn: Connection, *, after_id: int = -1, limit: int = 200, everything: bool = False
) -> list:
    """Articles whose stored text (or the extractor) is newer than their incident extraction.

    The walk of the whole archive (a sweep), in article-id order from ``after_id``; runs
    otherwise take their work from the queue.
    """
    query = (
        _article_query()
        .where(_articles.c.article_id > after_id)
        .order_by(_articles.c.article_id)
        .limit(limit)
    )
    if not everything:
        query = query.where(
            or_(
                _extractions.c.article_id.is_(None),
                _articles.c.current_version > _extractions.c.article_version,
                _extractions.c.extractor_version != EXTRACTOR_VERSION,
            )
        )
    return conn.execute(query).all()


def _published(row) -> date | None:
    when = row.published_at or row.first_seen_at
    return when.date() if when is not None else None


def _new_counts() -> dict[str, Any]:
    return {
        "examined": 0,
        "mentions": 0,
        "incidents_created": 0,
        "incidents_merged": 0,
        "incidents_updated": 0,
        "independent_recounted": 0,
        "events": 0,
        "swept": False,
    }


def _config() -> dict[str, str]:
    return {"extractor_version": EXTRACTOR_VERSION}


def _idle(conn: Connection) -> bool:
    """Swept under this extractor, nothing queued, no change since the last recount: three
    index look-ups, whatever the archive size."""
    read = conn.execute(
        text("SELECT changes_read FROM work_consumers WHERE name = :c"), {"c": workqueue.INCIDENTS}
    ).scalar_one()
    return (
        workqueue.swept(conn, workqueue.INCIDENTS) == _config()
        and not workqueue.pending(conn, workqueue.INCIDENTS, limit=1)
        and read is not None
        and read >= _last_change(conn)
    )


def _last_change(conn: Connection) -> int:
    return conn.execute(text("SELECT coalesce(max(change_id), 0) FROM article_changes")).scalar_one()


def extract_pending(
    engine: Engine, *, topics_file: str | None = None, batch_size: int = 200, reextract: bool = False
) -> dict[str, Any]:
    """Read the articles that changed, store their mentions, update the incidents. Counts.

    ``examined``: articles read; ``events``: queue events handled (read or found covered);
    ``swept``: whether the archive was walked; ``independent_recounted``: incidents whose
    independent-source count changed with their articles' clusters.
    """
    counts = _new_counts()
    with engine.connect() as conn:
        if not reextract and _idle(conn):
            return counts
        swept = workqueue.swept(conn, workqueue.INCIDENTS)
    if reextract or swept != _config():
        _sweep(engine, topics_file, batch_size, reextract, counts)
        with engine.begin() as conn:
            workqueue.set_swept(conn, workqueue.INCIDENTS, _config())
    _drain(engine, topics_file, batch_size, counts)
    with engine.begin() as conn:
        _lock_resolver(conn)
        counts["independent_recounted"] = recount_independent(conn)
    log.info("incidents: %s", counts)
    return counts


def _lock_resolver(conn) -> None:
    """Take the resolver's transaction-level advisory lock (held until the transaction ends):
    one incident resolver at a time."""
    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})


def _sweep(engine: Engine, topics_file: str | None, batch_size: int, everything: bool, counts: dict) -> None:
    """Walk the archive (a new extractor version, or ``reextract``): work proportional to it."""
    counts["swept"] = True
    last_id = -1
    while True:
        with engine.begin() as conn:
            _lock_resolver(conn)
            rows = pending_articles(conn, after_id=last_id, limit=batch_size, everything=everything)
            if not rows:
                return
            last_id = rows[-1].article_id
            _process_batch(conn, rows, topics_file, counts)


def _drain(engine: Engine, topics_file: str | None, batch_size: int, counts: dict) -> None:
    """Handle the register's queued events, oldest first: per batch, under the resolver lock,
    claim events, read their articles (after claiming: at least the text that caused each
    event), re-extract those whose extraction is outdated, and delete the events."""
    while True:
        with engine.begin() as conn:
            _lock_resolver(conn)
            events = workqueue.claim(conn, workqueue.INCIDENTS, batch_size)
            if not events:
                return
            ids = sorted({e.article_id for e in events})
            rows = conn.execute(
                _article_query().where(_articles.c.article_id.in_(ids)).order_by(_articles.c.article_id)
            ).all()
            todo = [r for r in rows if _outdated(r)]
            if todo:
                _process_batch(conn, todo, topics_file, counts)
            workqueue.done(conn, events)
            counts["events"] += len(events)


# Story clusters change after an incident was last recomputed (a later article bridges two
# clusters, a reprocessed text is placed again): the incidents with a mention of an article
# whose cluster changed after ``changes_read`` are recounted from the current membership;
# only those whose count changed are written. With no ``changes_read`` yet, every incident.
_RECOUNT_INDEPENDENT = """
    UPDATE incidents i SET independent_source_count = n.independent, updated_at = now()
      FROM (SELECT m.incident_id,
                   count(DISTINCT COALESCE('c' || ac.cluster_id, 'a' || m.article_id))::int AS independent
              FROM incident_mentions m
              LEFT JOIN article_clusters ac ON ac.article_id = m.article_id
             {where}
             GROUP BY m.incident_id) n
     WHERE n.incident_id = i.incident_id AND i.merged_into IS NULL
       AND i.independent_source_count IS DISTINCT FROM n.independent
"""
_CHANGED_CLUSTER = """
             WHERE m.incident_id IN (
                   SELECT cm.incident_id FROM article_changes ch
                     JOIN incident_mentions cm ON cm.article_id = ch.article_id
                    WHERE ch.change_id > :read AND ch.change_id <= :top AND ch.kind = 'cluster')
"""


def recount_independent(conn: Connection, *, full: bool = False) -> int:
    """Recount independent sources of the incidents whose articles changed cluster since the
    last recount (or all, with ``full`` or on the first run); the number whose count changed.
    Call under the resolver lock."""
    read = conn.execute(
        text("SELECT changes_read FROM work_consumers WHERE name = :c FOR UPDATE"),
        {"c": workqueue.INCIDENTS},
    ).scalar_one()
    top = _last_change(conn)
    if full or read is None:
        changed = conn.execute(text(_RECOUNT_INDEPENDENT.format(where=""))).rowcount
    elif top > read:
        changed = conn.execute(
            text(_RECOUNT_INDEPENDENT.format(where=_CHANGED_CLUSTER)), {"read": read, "top": top}
        ).rowcount
    else:
        changed = 0
    conn.execute(
        text("UPDATE work_consumers SET changes_read = :top WHERE name = :c"),
        {"top": top, "c": workqueue.INCIDENTS},
    )
    return changed


def _process_batch(conn: Connection, rows: list, topics_file: str | None, counts: dict) -> None:
    ids = [r.article_id for r in rows]
    # What these articles reported before, in order: when every source of an incident is
    # re-read in this batch, the resolver no longer sees the incident, and the id it held
    # must come back to the same article's mention of the same kind (ids keep their meaning).
    held: dict[int, list[tuple[str, int]]] = {}
    for article_id, kind, iid in conn.execute(
        select(_mentions.c.article_id, _mentions.c.kind, _mentions.c.incident_id)
        .where(_mentions.c.article_id.in_(ids))
        .order_by(_mentions.c.article_id, _mentions.c.seq)
    ):
        held.setdefault(article_id, []).append((kind, iid))
    touched: set[int] = {iid for pairs in held.values() for _, iid in pairs}
    conn.execute(delete(_mentions).where(_mentions.c.article_id.in_(ids)))
    extracted = []
    kinds: set[str] = set()
    for row in rows:
        article = ArticleInput(
            row.text or "", row.title or "", _published(row), row.language, outlet_type(row.affiliation)
        )
        found = [m.as_dict() for m in extract_mentions(article, topics_file=topics_file)]
        kinds.update(m["kind"] for m in found)
        extracted.append((row, found))
    created: list[int] = []
    reading: list[int] = [0]  # the article whose mentions are being assigned
    orphaned: set[int] = set()  # held by this batch only: free to come back

    def new_id(mention: dict) -> int:
        for kind, old in held.get(reading[0], ()):
            if kind == mention["kind"] and old in orphaned:
                orphaned.discard(old)
                conn.execute(
                    update(_incidents)
                    .where(_incidents.c.incident_id == old)
                    .values(step=step(mention["kind"], mention["stage"]))
                )
                return old
        iid = conn.execute(
            insert(_incidents)
            .values(kind=mention["kind"], step=step(mention["kind"], mention["stage"]))
            .returning(_incidents.c.incident_id)
        ).scalar_one()
        created.append(iid)
        return iid

    resolver = _load_resolver(conn, kinds, new_id)
    if touched:
        orphaned.update(
            conn.execute(
                select(_incidents.c.incident_id).where(
                    _incidents.c.incident_id.in_(sorted(touched - set(resolver.incidents))),
                    _incidents.c.merged_into.is_(None),
                )
            ).scalars()
        )
    order = sorted(extracted, key=lambda rf: (_published(rf[0]) or date.min, rf[0].article_id))
    for row, found in order:
        reading[0] = row.article_id
        n_merges = len(resolver.merges)
        for seq, m in enumerate(found):
            iid = resolver.assign(m, (row.article_id, seq))
            conn.execute(
                insert(_mentions).values(
                    article_id=row.article_id,
                    seq=seq,
                    article_version=row.current_version,
                    extractor_version=EXTRACTOR_VERSION,
                    incident_id=iid,
                    kind=m["kind"],
                    stage=m["stage"],
                    background=m["background"],
                    source_type=m["source_type"],
                    mention=m,
                )
            )
            touched.add(iid)
        for gone, keep in resolver.merges[n_merges:]:
            _record_merge(conn, gone, keep, row.article_id)
            touched.add(keep)
        conn.execute(_upsert_extraction(row, len(found)))
        counts["examined"] += 1
        counts["mentions"] += len(found)
    counts["incidents_created"] += len(created)
    counts["incidents_merged"] += len(resolver.merges)
    merged_away = {gone for gone, _ in resolver.merges}
    counts["incidents_updated"] += refresh_incidents(conn, touched - merged_away)


def _upsert_extraction(row, n: int):
    stmt = pg_insert(_extractions).values(
        article_id=row.article_id,
        article_version=row.current_version,
        extractor_version=EXTRACTOR_VERSION,
        mentions=n,
        text_examined=examined(row.text or ""),
    )
    return stmt.on_conflict_do_update(
        index_elements=["article_id"],
        set_={
            "article_version": stmt.excluded.article_version,
            "extractor_version": stmt.excluded.extractor_version,
            "mentions": stmt.excluded.mentions,
            "text_examined": stmt.excluded.text_examined,
            "extracted_at": func.now(),
        },
    )


def _record_merge(conn: Connection, gone: int, keep: int, article_id: int) -> None:
    """``gone`` is ``keep``: its mentions move, its row stays and points to ``keep``."""
    conn.execute(update(_mentions).where(_mentions.c.incident_id == gone).values(incident_id=keep))
    conn.execute(update(_incidents).where(_incidents.c.merged_into == gone).values(merged_into=keep))
    conn.execute(
        update(_incidents)
        .where(_incidents.c.incident_id == gone)
        .values(merged_into=keep, source_count=0, independent_source_count=0, updated_at=func.now())
    )
    conn.execute(insert(_merges).values(absorbed_id=gone, into_id=keep, article_id=article_id))


def _load_resolver(conn: Connection, kinds: set[str], new_id) -> Resolver:
    """Open incidents of these kinds, rebuilt from their stored mentions; ``new_id`` inserts
    an incident row for a mention that matches none."""
    resolver = Resolver(new_id)
    if not kinds:
        return resolver
    rows = conn.execute(
        select(
            _incidents.c.incident_id,
            _incidents.c.kind,
            _incidents.c.step,
            _mentions.c.mention,
            _mentions.c.article_id,
            _mentions.c.seq,
        )
        .select_from(_incidents.join(_mentions, _mentions.c.incident_id == _incidents.c.incident_id))
        .where(_incidents.c.merged_into.is_(None), _incidents.c.kind.in_(sorted(kinds)))
        .order_by(_incidents.c.incident_id, _mentions.c.mention_id)
    )
    for iid, kind, stp, mention, article_id, seq in rows:
        state = resolver.incidents.get(iid)
        if state is None:
            state = IncidentState(iid, kind, stp)
            resolver.load(state)
        state.add(mention, (article_id, seq))
    return resolver


def refresh_incidents(conn: Connection, incident_ids: set[int]) -> int:
    """Recompute the register row of each incident from its current mentions."""
    if not incident_ids:
        return 0
    rows = conn.execute(
        select(
            _mentions.c.incident_id,
            _mentions.c.article_id,
            _mentions.c.mention,
            _outlets.c.name,
            func.coalesce(_articles.c.published_at, _articles.c.first_seen_at),
            _clusters.c.cluster_id,
        )
        .select_from(
            _mentions.join(_articles, _articles.c.article_id == _mentions.c.article_id)
            .join(_outlets, _outlets.c.outlet_id == _articles.c.outlet_id)
            .outerjoin(_clusters, _clusters.c.article_id == _mentions.c.article_id)
        )
        .where(_mentions.c.incident_id.in_(sorted(incident_ids)))
        .order_by(_mentions.c.incident_id, _mentions.c.mention_id)
    ).all()
    by_incident: dict[int, list[Source]] = {i: [] for i in incident_ids}
    for iid, article_id, mention, outlet, published, cluster_id in rows:
        by_incident[iid].append(Source(article_id, mention, outlet, published, cluster_id))
    for iid, sources in by_incident.items():
        if sources:
            values = summarise(sources)
            values.pop("kind")
        else:  # every mention was withdrawn (its article re-read): the id stays, unlisted
            values = {"source_count": 0, "independent_source_count": 0, "outlets": []}
        conn.execute(
            update(_incidents).where(_incidents.c.incident_id == iid).values(**values, updated_at=func.now())
        )
    return len(by_incident)


def export_rows(
    engine: Engine, *, since: datetime | None = None, kind: str | None = None
) -> list[dict[str, Any]]:
    """``consumer.incidents`` rows (oldest event first), for ``dadkhah incidents``."""
    sql = "SELECT * FROM consumer.incidents WHERE true"
    params: dict[str, Any] = {}
    if since is not None:
        sql += " AND (event_date >= :since_date OR (event_date IS NULL AND first_reported_at >= :since))"
        params["since"] = since
        params["since_date"] = since.date()
    if kind is not None:
        sql += " AND kind = :kind"
        params["kind"] = kind
    sql += " ORDER BY event_date NULLS LAST, incident_id"
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(text(sql), params)]


# The monthly-count query the README documents (people, each incident once, by month of the
# event, kind, charge, ethnicity, gender and age group); tests run it as written here.
MONTHLY_COUNTS_SQL = """
SELECT date_trunc('month', i.event_date)::date AS month, i.kind, i.charge,
       v->>'ethnicity' AS ethnicity, v->>'gender' AS gender,
       CASE WHEN (v->>'age_at_offence')::int < 18 OR (v->>'age')::int < 18 THEN 'juvenile'
            WHEN v->>'age' IS NULL THEN 'unknown' ELSE 'adult' END AS age_group,
       sum((v->>'count')::int) AS people
  FROM consumer.incidents i CROSS JOIN LATERAL jsonb_array_elements(i.victims) v
 WHERE i.event_date_precision IN ('day', 'month')
 GROUP BY 1, 2, 3, 4, 5, 6
 ORDER BY 1, 2;
"""
