"""Tag the articles that need it and store topics, evidence and facets.

State: ``article_taggings`` holds the current tagging of each article (taxonomy version,
method, topics, article version). History: ``article_topics`` and ``article_facets`` keep
one set of rows per (article, taxonomy version[, method]); rows of older versions are
never deleted, so every past tag can still be traced to the taxonomy that produced it.

Work comes from two places. New articles and new versions whose title or text changed are
tagging's events in the work queue (``pipeline.workqueue``, migration 0011): a run handles
those, in proportion to what changed. A run under another configuration than the last full
pass (taxonomy version, method or text cap; recorded in ``work_consumers.swept``), or with
``retag``, first walks the archive once: an article is then (re)examined when it has no
tagging, when its tagged version is older than its current one, when the taxonomy version or
method differs from the current one, or when it was tagged under another text cap that the
change affects (it was cut, or is longer than the new cap). The tagging records the cap and
how much of the text was read (``text_cap``, ``text_examined``, ``text_truncated``). After a
taxonomy change, an article whose result would be the same under the new version is *not*
re-tagged: its rows are carried forward to the new version unchanged (same scores, evidence
and ``tagged_at``). A new version whose title and text are unchanged (a date fixed, say)
queues nothing for tagging and is not re-tagged.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Engine,
    Integer,
    and_,
    delete,
    func,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Connection
from sqlalchemy.sql import Select

from pipeline import workqueue
from pipeline.tagging.linear import MODEL_FILE, linear_model_sha256, load_model
from pipeline.tagging.model import CombinedTagger
from pipeline.tagging.tagger import TEXT_CAP, TagResult
from pipeline.tagging.taxonomy import Taxonomy, TaxonomyError, load_taxonomy, matching_fingerprint
from schema.models import Article, ArticleFacet, ArticleTagging, ArticleTopic
from schema.models import Taxonomy as TaxonomyRow

log = logging.getLogger(__name__)

_articles = Article.__table__
_taggings = ArticleTagging.__table__
_topics = ArticleTopic.__table__
_facets = ArticleFacet.__table__
_taxonomies = TaxonomyRow.__table__


def register_taxonomy(conn: Connection, taxonomy: Taxonomy) -> None:
    """Store the taxonomy version (idempotent); refuse a known version with other content."""
    conn.execute(
        insert(_taxonomies)
        .values(
            version=taxonomy.version,
            sha256=taxonomy.sha256,
            source=taxonomy.source,
            content=taxonomy.content,
        )
        .on_conflict_do_nothing(index_elements=["version"])
    )
    stored = conn.execute(
        select(_taxonomies.c.sha256).where(_taxonomies.c.version == taxonomy.version)
    ).scalar_one()
    if stored != taxonomy.sha256:
        raise TaxonomyError(
            f"{taxonomy.source}: version {taxonomy.version!r} is already stored with different"
            " content; change `version` in the file whenever you change the taxonomy"
        )


def _stored_results(
    conn: Connection, keys: list[tuple[int, str, str]]
) -> dict[int, tuple[dict[str, tuple[float, list]], set[tuple]]]:
    """Current stored (topics -> (score, evidence), facet set) of (article, version, method)."""
    out: dict[int, tuple[dict[str, tuple[float, list]], set[tuple]]] = {a: ({}, set()) for a, _, _ in keys}
    if not keys:
        return out
    by_id = {a: (v, m) for a, v, m in keys}
    rows = conn.execute(
        select(
            _topics.c.article_id,
            _topics.c.taxonomy_version,
            _topics.c.method,
            _topics.c.topic,
            _topics.c.score,
            _topics.c.evidence,
        ).where(_topics.c.article_id.in_(list(by_id)))
    )
    for a, version, method, topic, score, evidence in rows:
        if by_id[a] == (version, method):
            out[a][0][topic] = (round(score, 6), evidence)
    rows = conn.execute(
        select(
            _facets.c.article_id,
            _facets.c.taxonomy_version,
            _facets.c.facet,
            _facets.c.value,
            _facets.c.start,
            _facets.c.end,
        ).where(_facets.c.article_id.in_(list(by_id)))
    )
    for a, version, facet, value, start, end in rows:
        if by_id[a][0] == version:
            out[a][1].add((facet, value, start, end))
    return out


def _same(result: TagResult, stored: tuple[dict[str, tuple[float, list]], set[tuple]]) -> bool:
    topics, facets = stored
    new_topics = {slug: (round(t.score, 6), t.evidence) for slug, t in result.topics.items()}
    new_facets = {(f.facet, f.value, f.start, f.end) for f in result.facets}
    return new_topics == topics and new_facets == facets


def _write(
    conn: Connection,
    article_id: int,
    article_version: int,
    taxonomy: Taxonomy,
    method: str,
    result: TagResult,
) -> None:
    """Replace this article's rows for (version, method) and point its tagging at them."""
    version = taxonomy.version
    conn.execute(
        delete(_topics).where(
            _topics.c.article_id == article_id,
            _topics.c.taxonomy_version == version,
            _topics.c.method == method,
            _topics.c.topic.not_in(list(result.topics) or [""]),
        )
    )
    if result.topics:
        stmt = insert(_topics).values(
            [
                {
                    "article_id": article_id,
                    "taxonomy_version": version,
                    "method": method,
                    "topic": slug,
                    "score": t.score,
                    "evidence": t.evidence,
                }
                for slug, t in sorted(result.topics.items())
            ]
        )
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["article_id", "taxonomy_version", "method", "topic"],
                set_={
                    "score": stmt.excluded.score,
                    "evidence": stmt.excluded.evidence,
                    "tagged_at": func.now(),
                },
            )
        )
    conn.execute(
        delete(_facets).where(_facets.c.article_id == article_id, _facets.c.taxonomy_version == version)
    )
    if result.facets:
        conn.execute(
            insert(_facets)
            .values(
                [
                    {
                        "article_id": article_id,
                        "taxonomy_version": version,
                        "facet": f.facet,
                        "value": f.value,
                        "start": f.start,
                        "end": f.end,
                        "matched": f.matched,
                    }
                    for f in result.facets
                ]
            )
            .on_conflict_do_nothing()
        )
    _point_tagging(
        conn,
        article_id,
        version,
        method,
        result.slugs,
        article_version,
        now=True,
        text=(result.text_cap, result.text_examined, result.text_truncated),
    )


def _point_tagging(
    conn: Connection,
    article_id: int,
    version: str,
    method: str,
    topics: list[str],
    article_version: int,
    *,
    now: bool,
    text: tuple[int | None, int, bool],
) -> None:
    """Point the article at its current tagging; ``text`` is (cap, examined, truncated)."""
    text_cap, text_examined, text_truncated = text
    stmt = insert(_taggings).values(
        article_id=article_id,
        taxonomy_version=version,
        method=method,
        topics=topics,
        article_version=article_version,
        text_cap=text_cap,
        text_examined=text_examined,
        text_truncated=text_truncated,
    )
    values: dict[str, Any] = {
        "taxonomy_version": stmt.excluded.taxonomy_version,
        "method": stmt.excluded.method,
        "topics": stmt.excluded.topics,
        "article_version": stmt.excluded.article_version,
        "text_cap": stmt.excluded.text_cap,
        "text_examined": stmt.excluded.text_examined,
        "text_truncated": stmt.excluded.text_truncated,
    }
    if now:
        values["tagged_at"] = func.now()
    conn.execute(stmt.on_conflict_do_update(index_elements=["article_id"], set_=values))


def _carry_forward(conn: Connection, article_id: int, old: str, new: str, method: str) -> None:
    """The new taxonomy version gives the same result: copy the rows, keep their times."""
    params = {"a": article_id, "old": old, "new": new, "m": method}
    conn.execute(
        text(
            "INSERT INTO article_topics"
            " (article_id, taxonomy_version, method, topic, score, evidence, tagged_at)"
            " SELECT article_id, :new, method, topic, score, evidence, tagged_at"
            "   FROM article_topics WHERE article_id = :a AND taxonomy_version = :old"
            "    AND method = :m"
            " ON CONFLICT DO NOTHING"
        ),
        params,
    )
    conn.execute(
        text(
            'INSERT INTO article_facets (article_id, taxonomy_version, facet, value, start, "end",'
            " matched)"
            ' SELECT article_id, :new, facet, value, start, "end", matched'
            "   FROM article_facets WHERE article_id = :a AND taxonomy_version = :old"
            " ON CONFLICT DO NOTHING"
        ),
        params,
    )
    conn.execute(update(_taggings).where(_taggings.c.article_id == article_id).values(taxonomy_version=new))


def _read_differently(cap: int | None) -> ColumnElement[bool]:
    """Taggings the tagger's text cap would change: tagged under another cap, and either cut
    by it or longer than the new one. Rows tagged before the cap (NULL) read the whole text
    and are left as they are; no article text is read to decide."""
    new_cap = literal(cap, Integer)
    return and_(
        _taggings.c.text_cap.is_distinct_from(new_cap),
        or_(_taggings.c.text_truncated.is_(True), _taggings.c.text_examined > new_cap),
    )


def _reads_differently(row: Any, cap: int | None) -> bool:
    """``_read_differently`` for one fetched row."""
    if row.tagged_id is None or row.text_cap == cap:
        return False
    return bool(row.text_truncated) or (
        cap is not None and row.text_examined is not None and row.text_examined > cap
    )


def _old_fingerprints(conn: Connection) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for version, content in conn.execute(select(_taxonomies.c.version, _taxonomies.c.content)):
        try:
            out[version] = matching_fingerprint(content)
        except Exception:  # noqa: BLE001 - an old, differently shaped file: compare per article
            out[version] = None
    return out


def _new_counts(version: str, method: str) -> dict[str, Any]:
    return {
        "taxonomy_version": version,
        "method": method,
        "examined": 0,
        "tagged": 0,
        "unchanged": 0,
        "facets": 0,
        "events": 0,
        "swept": False,
        "topics": Counter(),
    }


def _nothing_to_do(
    engine: Engine, file_sha256: str, text_cap: int | None, model_sha256: str | None = None
) -> dict[str, Any] | None:
    """The counts of an idle run when the archive was swept under this very file, method and
    cap and nothing is queued (without loading the taxonomy: that alone costs ~0.3 s)."""
    with engine.connect() as conn:
        swept = workqueue.swept(conn, workqueue.TAGGING) or {}
        # The method follows from the file (whether its model is enabled), so the file's hash
        # covers it.
        # The supervised layer's weights are a file of their own: retrained weights are a new method.
        if (swept.get("file_sha256"), swept.get("text_cap"), swept.get("model_sha256")) != (
            file_sha256,
            text_cap,
            model_sha256,
        ) or workqueue.pending(conn, workqueue.TAGGING, limit=1):
            return None
    counts = _new_counts(swept["taxonomy_version"], swept["method"])
    counts["topics"] = {}
    return counts


def tag_pending(
    engine: Engine,
    topics_file: Path | None = None,
    *,
    retag: bool = False,
    batch_size: int = 500,
    text_cap: int | None = TEXT_CAP,
    progress: Callable[[int, int], None] | None = None,
    model_file: Path = MODEL_FILE,
) -> dict:
    """Tag articles that need it; with ``retag`` re-tag every article. Returns counts.

    ``model_file`` holds the linear layer's weights (``pipeline.tagging.linear``); its hash
    is part of the method id, so retrained weights re-tag the archive like a method change.

    Handles tagging's queued events; walks the archive first only under a configuration not
    yet swept, or with ``retag`` (see the module docstring). With nothing queued and the
    archive swept under this very file, returns at once. The tagger reads at most
    ``text_cap`` characters of each text (``tagger.TEXT_CAP``); articles tagged under another
    cap are re-tagged when the change affects them.

    ``progress(done, total)`` is called after each batch (``total``: the articles to look
    at, counted once at the start of the walk and of the queue), so a long re-tag can say how
    far it has got.

    Counts: ``examined`` (articles looked at), ``tagged`` (new rows written), ``unchanged``
    (taxonomy changed but the result did not: carried forward), ``topics`` (slug -> number
    of articles tagged with it in this run), ``facets`` (facet hits written), ``events``
    (queue events handled), ``swept`` (whether the archive was walked), and the
    ``taxonomy_version`` and ``method`` used.
    """
    if topics_file is None:
        from pipeline.settings import Settings

        topics_file = Settings.from_env().topics_file
    file_sha256 = hashlib.sha256(Path(topics_file).read_bytes()).hexdigest()
    model_sha256 = linear_model_sha256(model_file)
    if not retag:
        idle = _nothing_to_do(engine, file_sha256, text_cap, model_sha256)
        if idle is not None:
            if progress is not None:
                progress(0, 0)
            return idle
    taxonomy = load_taxonomy(topics_file)
    tagger = CombinedTagger(taxonomy, text_cap=text_cap, linear=load_model(model_file))
    method = tagger.method
    version = taxonomy.version
    fingerprint = taxonomy.matching_fingerprint()

    with engine.begin() as conn:
        register_taxonomy(conn, taxonomy)
        fingerprints = _old_fingerprints(conn)

    counts = _new_counts(version, method)
    config = {"taxonomy_version": version, "method": method, "text_cap": tagger.text_cap}
    with engine.connect() as conn:
        swept = workqueue.swept(conn, workqueue.TAGGING) or {}
    sweeping = retag or {k: swept.get(k) for k in config} != config
    if sweeping:
        _sweep(engine, taxonomy, tagger, fingerprint, fingerprints, retag, batch_size, counts, progress)
    done = {**config, "file_sha256": file_sha256, "model_sha256": model_sha256}
    if swept != done:
        with engine.begin() as conn:
            workqueue.set_swept(conn, workqueue.TAGGING, done)
    # After a walk, the queue holds mostly events the walk already covered: progress is the
    # walk's; otherwise it is the queue's.
    _drain(
        engine,
        taxonomy,
        tagger,
        fingerprint,
        fingerprints,
        batch_size,
        counts,
        None if sweeping else progress,
    )
    counts["topics"] = dict(sorted(counts["topics"].items()))
    log.info(
        "tagging %s (%s): examined %d, tagged %d, unchanged %d",
        version,
        method,
        counts["examined"],
        counts["tagged"],
        counts["unchanged"],
    )
    return counts


def _rows_query(retag: bool, version: str, method: str, text_cap: int | None) -> Select:
    """Articles with their current tagging; unless ``retag``, only those the configuration
    (taxonomy version, method, text cap) or an unseen version would change."""
    query = select(
        _articles.c.article_id,
        _articles.c.title,
        _articles.c.text,
        _articles.c.current_version,
        _taggings.c.article_id.label("tagged_id"),
        _taggings.c.taxonomy_version,
        _taggings.c.method,
        _taggings.c.article_version,
        _taggings.c.text_cap,
        _taggings.c.text_examined,
        _taggings.c.text_truncated,
    ).select_from(_articles.outerjoin(_taggings, _taggings.c.article_id == _articles.c.article_id))
    if not retag:
        query = query.where(
            or_(
                _taggings.c.article_id.is_(None),
                _taggings.c.taxonomy_version != version,
                _taggings.c.method != method,
                _articles.c.current_version > _taggings.c.article_version,
                _read_differently(text_cap),
            )
        )
    return query


def _sweep(
    engine: Engine,
    taxonomy: Taxonomy,
    tagger: CombinedTagger,
    fingerprint: str,
    fingerprints: dict[str, str | None],
    retag: bool,
    batch_size: int,
    counts: dict[str, Any],
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Walk the whole archive (a new configuration, or ``retag``): work proportional to it."""
    counts["swept"] = True
    base = _rows_query(retag, taxonomy.version, tagger.method, tagger.text_cap)
    total = 0
    if progress is not None:
        with engine.connect() as conn:
            total = conn.execute(select(func.count()).select_from(base.subquery())).scalar_one()
        progress(0, total)
    start = counts["examined"]
    last_id = -1
    while True:
        with engine.begin() as conn:
            ids = list(
                conn.execute(
                    base.with_only_columns(_articles.c.article_id)
                    .where(_articles.c.article_id > last_id)
                    .order_by(_articles.c.article_id)
                    .limit(batch_size)
                ).scalars()
            )
            if not ids:
                return
            last_id = ids[-1]
            # Texts are read after the lock: a worker handling the same article meanwhile is
            # left to it (it reads a text at least as new).
            mine = workqueue.lock_articles(conn, ids)
            rows = conn.execute(
                base.where(_articles.c.article_id.in_(mine)).order_by(_articles.c.article_id)
            ).all()
            _tag_batch(conn, rows, taxonomy, tagger, fingerprint, fingerprints, retag, counts)
        if progress is not None:
            done = counts["examined"] - start
            progress(done, max(total, done))


def _drain(
    engine: Engine,
    taxonomy: Taxonomy,
    tagger: CombinedTagger,
    fingerprint: str,
    fingerprints: dict[str, str | None],
    batch_size: int,
    counts: dict[str, Any],
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Handle tagging's pending events (new articles, changed titles or texts), oldest first.

    Each batch: claim events (SKIP LOCKED), try-lock their articles, read them, tag those
    whose current tagging does not already cover the event's version under this
    configuration, and delete the events, all in one transaction. Events of an article
    another worker holds are left for a later run.
    """
    version, method, cap = taxonomy.version, tagger.method, tagger.text_cap
    total = 0
    if progress is not None:
        with engine.connect() as conn:
            total = workqueue.backlog(conn).get(workqueue.TAGGING, (0, None))[0]
        progress(0, total)
    left: list[int] = []
    while True:
        if progress is not None and counts["events"]:
            progress(counts["events"], max(total, counts["events"]))
        with engine.begin() as conn:
            events = workqueue.claim(conn, workqueue.TAGGING, batch_size, skip=left)
            if not events:
                return
            mine = set(workqueue.lock_articles(conn, [e.article_id for e in events]))
            left.extend(e.event_id for e in events if e.article_id not in mine)
            handled = [e for e in events if e.article_id in mine]
            needed: dict[int, int] = {}
            for e in handled:
                needed[e.article_id] = max(needed.get(e.article_id, 0), e.article_version)
            rows = conn.execute(
                _rows_query(True, version, method, cap)
                .where(_articles.c.article_id.in_(sorted(needed)))
                .order_by(_articles.c.article_id)
            ).all()
            todo = [
                r
                for r in rows
                if not (
                    r.tagged_id is not None
                    and r.taxonomy_version == version
                    and r.method == method
                    and not _reads_differently(r, cap)
                    and r.article_version >= needed[r.article_id]
                )
            ]
            _tag_batch(conn, todo, taxonomy, tagger, fingerprint, fingerprints, False, counts)
            workqueue.done(conn, handled)
            counts["events"] += len(handled)


def _tag_batch(
    conn: Connection,
    rows: list,
    taxonomy: Taxonomy,
    tagger: CombinedTagger,
    fingerprint: str,
    fingerprints: dict[str, str | None],
    retag: bool,
    counts: dict[str, Any],
) -> None:
    version, method = taxonomy.version, tagger.method
    # Articles whose only reason to be here is another taxonomy version: compare results.
    compare = [
        row
        for row in rows
        if not retag
        and row.tagged_id is not None
        and row.method == method
        and row.taxonomy_version != version
        and row.current_version <= row.article_version
        and not _reads_differently(row, tagger.text_cap)
    ]
    stored = _stored_results(conn, [(r.article_id, r.taxonomy_version, method) for r in compare])
    compare_ids = {r.article_id for r in compare}
    for row in rows:
        counts["examined"] += 1
        if row.article_id in compare_ids:
            same_rules = fingerprints.get(row.taxonomy_version) == fingerprint
            if same_rules:
                _carry_forward(conn, row.article_id, row.taxonomy_version, version, method)
                counts["unchanged"] += 1
                continue
            result = tagger.tag(row.title, row.text)
            if _same(result, stored[row.article_id]):
                _carry_forward(conn, row.article_id, row.taxonomy_version, version, method)
                counts["unchanged"] += 1
                continue
        else:
            result = tagger.tag(row.title, row.text)
        _write(conn, row.article_id, row.current_version, taxonomy, method, result)
        counts["tagged"] += 1
        counts["facets"] += len(result.facets)
        counts["topics"].update(result.topics.keys())
