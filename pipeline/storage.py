"""Idempotent writes of outlets, runs, fetches and articles.

Every write is an upsert keyed by a natural or idempotency key, inside a transaction, so
a crash or a rerun never duplicates or drops a row. Exact deduplication happens here: the
same canonical URL (any URL that ever led to an article) or the same normalised text
within one outlet is one article with several sources.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, select, text, update
from sqlalchemy.dialects.postgresql import insert

from pipeline.textnorm import content_sha256
from schema.models import (
    Article,
    ArticleSource,
    ArticleUrl,
    ArticleVersion,
    CrawlRun,
    Fetch,
    HttpCacheEntry,
    Outlet,
    OutletRun,
)


def utcnow() -> datetime:
    return datetime.now(UTC)


def upsert_outlet(
    conn: Connection,
    *,
    name: str,
    home: str,
    language: str,
    affiliation: str,
    config: dict[str, Any],
) -> int:
    """Insert or refresh an outlet row; return its id."""
    stmt = insert(Outlet).values(
        name=name, home=home, language=language, affiliation=affiliation, config=config
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[Outlet.name],
        set_={
            "home": stmt.excluded.home,
            "language": stmt.excluded.language,
            "affiliation": stmt.excluded.affiliation,
            "config": stmt.excluded.config,
            "updated_at": text("now()"),
        },
    ).returning(Outlet.outlet_id)
    return conn.execute(stmt).scalar_one()


def start_run(
    engine: Engine, *, run_uid: str, trigger: str, outlets: list[str], software: dict[str, str]
) -> int:
    with engine.begin() as conn:
        stmt = insert(CrawlRun).values(
            run_uid=run_uid, trigger=trigger, outlets=outlets, software=software, status="running"
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[CrawlRun.run_uid], set_={"status": "running"}
        ).returning(CrawlRun.run_id)
        return conn.execute(stmt).scalar_one()


def finish_run(engine: Engine, run_id: int, *, status: str, stats: dict[str, Any]) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(CrawlRun)
            .where(CrawlRun.run_id == run_id)
            .values(status=status, finished_at=utcnow(), stats=stats)
        )


def save_outlet_run(
    engine: Engine,
    *,
    run_id: int,
    outlet_id: int,
    status: str,
    stats: dict[str, Any],
    error: str | None = None,
    finished: bool = False,
) -> None:
    with engine.begin() as conn:
        stmt = insert(OutletRun).values(
            run_id=run_id,
            outlet_id=outlet_id,
            status=status,
            stats=stats,
            error=error,
            finished_at=utcnow() if finished else None,
        )
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=[OutletRun.run_id, OutletRun.outlet_id],
                set_={
                    "status": stmt.excluded.status,
                    "stats": stmt.excluded.stats,
                    "error": stmt.excluded.error,
                    "finished_at": stmt.excluded.finished_at,
                },
            )
        )


@dataclass
class FetchRecord:
    """One HTTP exchange (or refusal), as the fetch log stores it."""

    fetch_uid: str
    outlet_id: int
    run_id: int | None
    kind: str
    requested_url: str
    outcome: str
    fetched_at: datetime
    final_url: str | None = None
    discovered_from: str | None = None
    http_status: int | None = None
    error: str | None = None
    duration_ms: float | None = None
    content_type: str | None = None
    body_length: int | None = None
    raw_sha256: str | None = None
    warc_file: str | None = None
    warc_offset: int | None = None
    warc_length: int | None = None
    warc_record_id: str | None = None
    request_headers: dict[str, str] | None = None
    response_headers: dict[str, str] | None = None


def record_fetch(engine: Engine, record: FetchRecord) -> int:
    """Insert a fetch row (idempotent on fetch_uid); return its id."""
    values = {k: v for k, v in record.__dict__.items()}
    with engine.begin() as conn:
        stmt = insert(Fetch).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=[Fetch.fetch_uid], set_={"fetch_uid": stmt.excluded.fetch_uid}
        ).returning(Fetch.fetch_id)
        return conn.execute(stmt).scalar_one()


def set_fetch_outcome(engine: Engine, fetch_id: int, outcome: str, error: str | None = None) -> None:
    with engine.begin() as conn:
        conn.execute(update(Fetch).where(Fetch.fetch_id == fetch_id).values(outcome=outcome, error=error))


def known_article_for_urls(conn: Connection, urls: list[str]) -> int | None:
    if not urls:
        return None
    return conn.execute(select(ArticleUrl.article_id).where(ArticleUrl.url.in_(urls)).limit(1)).scalar()


# Outcomes that say a URL holds no article: not worth fetching again on the next run.
SETTLED_NON_ARTICLE = ("not_article", "not_html")


def known_url_reason(engine: Engine, url: str) -> str | None:
    """Why ``url`` need not be fetched: 'stored' (leads to an article) or a settled outcome."""
    with engine.connect() as conn:
        if known_article_for_urls(conn, [url]) is not None:
            return "stored"
        return conn.execute(
            select(Fetch.outcome)
            .where(
                Fetch.requested_url == url,
                Fetch.kind == "article",
                Fetch.outcome.in_(SETTLED_NON_ARTICLE),
            )
            .limit(1)
        ).scalar()


def load_validators(engine: Engine, urls: list[str]) -> dict[str, tuple[str | None, str | None]]:
    """ETag / Last-Modified per URL, for conditional GET."""
    if not urls:
        return {}
    with engine.connect() as conn:
        rows = conn.execute(
            select(HttpCacheEntry.url, HttpCacheEntry.etag, HttpCacheEntry.last_modified).where(
                HttpCacheEntry.url.in_(urls)
            )
        )
        return {row.url: (row.etag, row.last_modified) for row in rows}


def save_validators(
    engine: Engine, url: str, etag: str | None, last_modified: str | None, status: int
) -> None:
    with engine.begin() as conn:
        stmt = insert(HttpCacheEntry).values(
            url=url, etag=etag, last_modified=last_modified, last_status=status
        )
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=[HttpCacheEntry.url],
                set_={
                    "etag": stmt.excluded.etag,
                    "last_modified": stmt.excluded.last_modified,
                    "last_status": stmt.excluded.last_status,
                    "updated_at": text("now()"),
                },
            )
        )


@dataclass
class StoreResult:
    article_id: int
    outcome: str  # stored | duplicate
    match: str  # new | same_url | same_content


@dataclass
class ArticleData:
    """What extraction produced, plus the URLs that led to it."""

    canonical_url: str
    urls: list[str]
    title: str | None
    authors: list[str]
    published_at: datetime | None
    published_raw: str | None
    published_calendar: str | None
    published_method: str | None
    language: str | None
    site_name: str | None
    text: str
    extractor: str
    extractor_settings: dict[str, Any] = field(default_factory=dict)


def _link(conn: Connection, article_id: int, fetch_id: int, data: ArticleData, match: str) -> None:
    conn.execute(
        insert(ArticleSource)
        .values(article_id=article_id, fetch_id=fetch_id, url=data.urls[0], match=match)
        .on_conflict_do_nothing()
    )
    for url in dict.fromkeys([data.canonical_url, *data.urls]):
        conn.execute(insert(ArticleUrl).values(url=url, article_id=article_id).on_conflict_do_nothing())


def store_article(
    engine: Engine, *, outlet_id: int, fetch_id: int, data: ArticleData, seen_at: datetime
) -> StoreResult:
    """Store an extracted article once; link this fetch to it either way. Idempotent."""
    digest = content_sha256(data.text)
    settings_json = json.loads(json.dumps(data.extractor_settings, default=str))
    with engine.begin() as conn:
        existing = known_article_for_urls(conn, [data.canonical_url, *data.urls])
        match = "same_url"
        if existing is None:
            existing = conn.execute(
                select(Article.article_id).where(
                    Article.outlet_id == outlet_id, Article.content_sha256 == digest
                )
            ).scalar()
            match = "same_content"
        if existing is not None:
            _link(conn, existing, fetch_id, data, match)
            return StoreResult(existing, "duplicate", match)
        values = dict(
            outlet_id=outlet_id,
            canonical_url=data.canonical_url,
            title=data.title,
            authors=data.authors,
            published_at=data.published_at,
            published_raw=data.published_raw,
            published_calendar=data.published_calendar,
            published_method=data.published_method,
            language=data.language,
            site_name=data.site_name,
            text=data.text,
            content_sha256=digest,
            first_seen_at=seen_at,
            first_fetch_id=fetch_id,
            extractor=data.extractor,
            extractor_settings=settings_json,
            current_version=1,
        )
        article_id = conn.execute(
            insert(Article).values(**values).on_conflict_do_nothing().returning(Article.article_id)
        ).scalar()
        if article_id is None:
            # A concurrent writer stored the same story first: link to theirs.
            conn.rollback()
            return store_article(engine, outlet_id=outlet_id, fetch_id=fetch_id, data=data, seen_at=seen_at)
        conn.execute(
            insert(ArticleVersion)
            .values(
                article_id=article_id,
                version=1,
                fetch_id=fetch_id,
                extractor=data.extractor,
                extractor_settings=settings_json,
                title=data.title,
                authors=data.authors,
                published_at=data.published_at,
                published_raw=data.published_raw,
                published_calendar=data.published_calendar,
                published_method=data.published_method,
                language=data.language,
                text=data.text,
                content_sha256=digest,
                reason="ingest",
            )
            .on_conflict_do_nothing()
        )
        _link(conn, article_id, fetch_id, data, "new")
        return StoreResult(article_id, "stored", "new")
