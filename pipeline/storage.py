"""Idempotent writes of outlets, runs, fetches and articles.

Every write is an upsert keyed by a natural or idempotency key, inside a transaction, so
a crash or a rerun never duplicates or drops a row. Exact deduplication happens here: the
same canonical URL (any URL that ever led to an article) or the same normalised text
within one outlet is one article with several sources.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, TextClause, text

from pipeline.retry import NEVER_SETTLES, NOT_AN_ANSWER, RetryPolicy, UrlHistory, decide
from pipeline.textnorm import content_sha256


def utcnow() -> datetime:
    return datetime.now(UTC)


# Plain SQL throughout: the crawl child then needs no ORM (sqlalchemy.orm and the models
# cost ~90 ms of start-up per crawl). JSON goes in as text cast to jsonb.
_UPSERT_OUTLET = text(
    """
    INSERT INTO outlets (name, home, language, affiliation, config)
    VALUES (:name, :home, :language, :affiliation, CAST(:config AS jsonb))
    ON CONFLICT (name) DO UPDATE SET home = EXCLUDED.home, language = EXCLUDED.language,
        affiliation = EXCLUDED.affiliation, config = EXCLUDED.config, updated_at = now()
    RETURNING outlet_id
    """
)


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
    params = {"name": name, "home": home, "language": language, "affiliation": affiliation}
    return conn.execute(_UPSERT_OUTLET, params | {"config": json.dumps(config)}).scalar_one()


_FINISH_RUN = text(
    "UPDATE crawl_runs SET status = :status, finished_at = :finished_at, stats = CAST(:stats AS jsonb)"
    " WHERE run_id = :run_id"
)


def finish_run(engine: Engine, run_id: int, *, status: str, stats: dict[str, Any]) -> None:
    params = {"run_id": run_id, "status": status, "finished_at": utcnow(), "stats": json.dumps(stats)}
    with engine.begin() as conn:
        conn.execute(_FINISH_RUN, params)


_SAVE_OUTLET_RUN = text(
    """
    INSERT INTO outlet_runs (run_id, outlet_id, status, stats, error, finished_at)
    VALUES (:run_id, :outlet_id, :status, CAST(:stats AS jsonb), :error, :finished_at)
    ON CONFLICT (run_id, outlet_id) DO UPDATE SET status = EXCLUDED.status,
        stats = EXCLUDED.stats, error = EXCLUDED.error, finished_at = EXCLUDED.finished_at
    """
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
    params = {"run_id": run_id, "outlet_id": outlet_id, "status": status, "error": error}
    params |= {"stats": json.dumps(stats), "finished_at": utcnow() if finished else None}
    with engine.begin() as conn:
        conn.execute(_SAVE_OUTLET_RUN, params)


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


def autocommit(engine: Engine) -> Connection:
    """A pooled connection in autocommit mode: a single statement is its own transaction,
    so a one-statement write costs one round trip instead of BEGIN, statement, COMMIT."""
    return engine.connect().execution_options(isolation_level="AUTOCOMMIT")


class CrawlConnection:
    """One crawl's per-exchange statements on a held autocommit driver connection.

    A crawl issues its writes one at a time from the reactor thread; checking a pooled
    connection out and running each statement through SQLAlchemy cost more client CPU
    than the round trip. Each statement is still its own committed transaction, and a
    connection the server dropped is replaced once (every statement here is idempotent).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sql: dict[int, tuple[TextClause, str]] = {}  # id -> (statement, driver SQL)
        self._raw: Any = None  # a pooled connection, checked out at first use

    def execute(self, statement: TextClause, params: dict[str, Any]) -> Sequence[tuple]:
        """Run one statement; return its rows (none for a statement without a result)."""
        cached = self._sql.get(id(statement))
        if cached is None or cached[0] is not statement:  # the entry holds the statement alive
            cached = self._sql[id(statement)] = (
                statement,
                str(statement.compile(dialect=self.engine.dialect)),
            )
        sql = cached[1]
        dialect = self.engine.dialect
        for attempt in (1, 2):
            if self._raw is None:
                self._raw = self.engine.raw_connection()
                self._raw.driver_connection.autocommit = True
            cursor = self._raw.cursor()
            try:
                cursor.execute(sql, params)
                return cursor.fetchall() if cursor.description else ()
            except dialect.loaded_dbapi.Error as exc:
                if attempt == 2 or not dialect.is_disconnect(exc, self._raw.dbapi_connection, cursor):
                    raise
                self._raw.invalidate()
                self._raw = None
            finally:
                cursor.close()
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Give the connection back to the pool in its usual (transactional) mode."""
        raw, self._raw = self._raw, None
        if raw is None:
            return
        try:
            raw.driver_connection.autocommit = False
        except Exception:  # noqa: BLE001 - a broken connection is dropped, not pooled
            raw.invalidate()
        raw.close()


Database = Engine | CrawlConnection


def _rows(db: Database, statement: TextClause, params: dict[str, Any]) -> Sequence[tuple]:
    """Rows of one autocommitted statement, on the crawl's connection or a pooled one."""
    if isinstance(db, CrawlConnection):
        return db.execute(statement, params)
    with autocommit(db) as conn:
        result = conn.execute(statement, params)
        return result.all() if result.returns_rows else ()


_FETCH_COLUMNS = tuple(FetchRecord.__dataclass_fields__)
_JSON_COLUMNS = ("request_headers", "response_headers")
# Written as text, not an ORM insert: building that statement cost more than the round trip.
_INSERT_FETCH = text(
    f"""
    INSERT INTO fetches ({", ".join(_FETCH_COLUMNS)})
    VALUES ({", ".join(f"CAST(:{c} AS jsonb)" if c in _JSON_COLUMNS else f":{c}" for c in _FETCH_COLUMNS)})
    ON CONFLICT (fetch_uid) DO UPDATE SET fetch_uid = EXCLUDED.fetch_uid
    RETURNING fetch_id
    """
)


# The largest value of an integer column: an answer's status line may say anything.
_MAX_INT4 = 2**31 - 1


def pg_text(value: str | None) -> str | None:
    """``value`` as a PostgreSQL text or jsonb value can hold it: NUL, which neither may
    contain, becomes U+FFFD. What servers send (headers, status lines, error texts) reaches
    the fetch log this way; the WARC record keeps the exact bytes."""
    if value is None or "\x00" not in value:
        return value
    return value.replace("\x00", "\ufffd")


def pg_safe(value: Any) -> Any:
    """``pg_text`` applied to a string, or to each string of a list; anything else as it is."""
    if isinstance(value, str):
        return pg_text(value)
    if isinstance(value, list):
        return [pg_text(v) if isinstance(v, str) else v for v in value]
    return value


def pg_safe_extracted(extracted: Any) -> Any:
    """An extraction result (a dataclass) with ``pg_safe`` applied to its fields: what
    ingestion stores, so that a revisit or a reprocess compares and stores the same text."""
    fields = {f.name: getattr(extracted, f.name) for f in dataclasses.fields(extracted)}
    safe = {name: pg_safe(value) for name, value in fields.items()}
    changed = {name: value for name, value in safe.items() if value != fields[name]}
    return dataclasses.replace(extracted, **changed) if changed else extracted


def _pg_headers(headers: dict[str, str] | None) -> dict[str, str] | None:
    if headers is None:
        return None
    return {pg_text(k): pg_text(v) for k, v in headers.items()}  # type: ignore[misc]


def record_fetch(db: Database, record: FetchRecord) -> int:
    """Insert a fetch row (idempotent on fetch_uid), committed at once; return its id.

    Values from the answer that a column cannot hold (a NUL in a header, a status beyond
    an integer) are made to fit rather than failing the row, which would stop the crawl."""
    values = {k: pg_text(v) if isinstance(v, str) else v for k, v in record.__dict__.items()}
    status = values["http_status"]
    if status is not None and not 0 <= status <= _MAX_INT4:
        values["http_status"] = None
    for column in _JSON_COLUMNS:  # None is stored as JSON null, as the JSONB column type did
        values[column] = json.dumps(_pg_headers(values[column]))
    return _rows(db, _INSERT_FETCH, values)[0][0]


_SET_OUTCOME = text("UPDATE fetches SET outcome = :outcome, error = :error WHERE fetch_id = :fetch_id")

# Answers a crawl logged (``fetched``) and never got to handle: it was stopped first.
INTERRUPT_UNHANDLED = text(
    """
    UPDATE fetches SET outcome = 'interrupted', error = :error
     WHERE run_id = :run_id AND (CAST(:outlet_id AS integer) IS NULL OR outlet_id = :outlet_id)
       AND outcome = 'fetched' AND kind <> 'robots'
    """
)


def interrupt_unhandled(db: Database, run_id: int, why: str, outlet_id: int | None = None) -> None:
    """Mark the answers of a stopped crawl that were fetched but never handled (extracted,
    stored or parsed) as ``interrupted``: they say nothing about the page, so the next pass
    fetches them again (pipeline.retry), instead of their rows staying ``fetched`` and
    counting as a bad answer."""
    params = {
        "run_id": run_id,
        "outlet_id": outlet_id,
        "error": pg_text(f"{why} before this answer was handled"),
    }
    _rows(db, INTERRUPT_UNHANDLED, params)


def set_fetch_outcome(db: Database, fetch_id: int, outcome: str, error: str | None = None) -> None:
    _rows(db, _SET_OUTCOME, {"fetch_id": fetch_id, "outcome": outcome, "error": pg_text(error)})


# Per URL: whether it leads to an article, else its fetch history (two scans of
# ix_fetches_requested_url, so the cost is per URL, not per table).
_KNOWN_URLS = text(
    """
    SELECT u.url,
           EXISTS (SELECT 1 FROM article_urls WHERE url_key = dadkhah_url_key(u.url)) AS stored,
           h.passes, h.counted, h.last_at, a.outcome, a.http_status
      FROM unnest(CAST(:urls AS text[])) AS u(url)
      LEFT JOIN LATERAL (
        SELECT count(DISTINCT COALESCE(run_id, -fetch_id)) AS passes,
               count(DISTINCT COALESCE(run_id, -fetch_id))
                 FILTER (WHERE outcome <> ALL(CAST(:uncounted AS text[]))) AS counted,
               max(fetched_at) AS last_at
          FROM fetches WHERE requested_url = u.url AND kind = 'article'
      ) h ON true
      LEFT JOIN LATERAL (
        SELECT outcome, http_status FROM fetches
         WHERE requested_url = u.url AND kind = 'article' AND outcome <> ALL(CAST(:not_answers AS text[]))
         ORDER BY fetched_at DESC, fetch_id DESC LIMIT 1
      ) a ON true
    """
)


def known_urls_params(urls: list[str]) -> dict[str, list[str]]:
    """The parameters of ``_KNOWN_URLS`` for a batch of candidate URLs (also what
    bench/scale_known_urls.py explains)."""
    return {
        "urls": list(urls),
        "uncounted": sorted(NEVER_SETTLES | NOT_AN_ANSWER),
        "not_answers": sorted(NOT_AN_ANSWER),
    }


def known_url_reasons(
    db: Database,
    urls: list[str],
    policy: RetryPolicy | None = None,
    now: datetime | None = None,
) -> dict[str, str]:
    """For each of ``urls`` that is not to be fetched on this pass, why: ``stored`` (it leads
    to an article), ``settled:<outcome>`` (never again) or ``waiting:<outcome>`` (backing
    off, see pipeline.retry). One query for a whole batch of candidates, not one per URL."""
    if not urls:
        return {}
    params = known_urls_params(urls)
    policy = policy or RetryPolicy()
    now = now or utcnow()
    reasons: dict[str, str] = {}
    for url, stored, passes, counted, last_at, outcome, status in _rows(db, _KNOWN_URLS, params):
        if stored:
            reasons[url] = "stored"
            continue
        why = decide(UrlHistory(passes or 0, counted or 0, last_at, outcome, status), policy, now)
        if why is not None:
            reasons[url] = why
    return reasons


# URLs are looked up by their key (migration 0006): a btree index cannot hold a long URL.
_LOAD_VALIDATORS = text(
    "SELECT url, etag, last_modified FROM http_cache WHERE url_key IN"
    " (SELECT dadkhah_url_key(u) FROM unnest(CAST(:urls AS text[])) AS u)"
)


def load_validators(engine: Engine, urls: list[str]) -> dict[str, tuple[str | None, str | None]]:
    """ETag / Last-Modified per URL, for conditional GET."""
    if not urls:
        return {}
    with engine.connect() as conn:
        rows = conn.execute(_LOAD_VALIDATORS, {"urls": list(urls)})
        return {row.url: (row.etag, row.last_modified) for row in rows}


_SAVE_VALIDATORS = text(
    """
    INSERT INTO http_cache (url, etag, last_modified, last_status)
    VALUES (:url, :etag, :last_modified, :last_status)
    ON CONFLICT (url_key) DO UPDATE SET etag = EXCLUDED.etag, last_modified = EXCLUDED.last_modified,
        last_status = EXCLUDED.last_status, updated_at = now()
    """
)


def save_validators(
    engine: Engine, url: str, etag: str | None, last_modified: str | None, status: int
) -> None:
    params = {"url": url, "etag": etag, "last_modified": last_modified, "last_status": status}
    with engine.begin() as conn:
        conn.execute(_SAVE_VALIDATORS, params)


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

    @classmethod
    def from_extracted(cls, extracted: Any, *, canonical_url: str, urls: list[str]) -> ArticleData:
        """Pair an extraction result (``pipeline.extraction.ExtractedArticle``) with its URLs.

        Text a column cannot hold is made to fit (``pg_text``): a NUL that a page's JSON-LD
        spells ``\\u0000`` in its author or headline once made its article a ``store_error``
        on every pass, never stored."""
        copied = {
            name: pg_safe(getattr(extracted, name))
            for name in cls.__dataclass_fields__
            if name not in ("canonical_url", "urls", "extractor_settings")
        }
        return cls(
            canonical_url=canonical_url,
            urls=urls,
            extractor_settings=extracted.extractor_settings,
            **copied,
        )


# Find the article this page already is (same URL, else same text in the outlet), or insert
# it with its first version; then link the fetch and its URLs and settle the fetch's outcome.
# One statement, so one round trip and one atomic transaction. Parameters carry casts: in
# INSERT … SELECT, PostgreSQL does not take their types from the target columns.
_STORE = text(
    """
    WITH found AS (
        (SELECT article_id, 'same_url' AS match FROM article_urls
          WHERE url_key IN (SELECT dadkhah_url_key(u) FROM unnest(CAST(:urls AS text[])) AS u) LIMIT 1)
        UNION ALL
        (SELECT article_id, 'same_content' FROM articles
          WHERE outlet_id = :outlet_id AND content_sha256 = :digest LIMIT 1)
        LIMIT 1
    ), art AS (
        INSERT INTO articles (outlet_id, canonical_url, title, authors, published_at, published_raw,
                              published_calendar, published_method, language, site_name, text,
                              content_sha256, first_seen_at, first_fetch_id, extractor,
                              extractor_settings, current_version, updated_at)
        SELECT CAST(:outlet_id AS bigint), CAST(:canonical_url AS text), CAST(:title AS text),
               CAST(:authors AS text[]), CAST(:published_at AS timestamptz),
               CAST(:published_raw AS text), CAST(:published_calendar AS text),
               CAST(:published_method AS text), CAST(:language AS text), CAST(:site_name AS text),
               CAST(:text AS text), CAST(:digest AS text), CAST(:seen_at AS timestamptz),
               CAST(:fetch_id AS bigint), CAST(:extractor AS text), CAST(:settings AS jsonb), 1, now()
         WHERE NOT EXISTS (SELECT 1 FROM found)
        ON CONFLICT DO NOTHING
        RETURNING article_id
    ), ver AS (
        INSERT INTO article_versions (article_id, version, fetch_id, extracted_at, extractor,
                                      extractor_settings, title, authors, published_at, published_raw,
                                      published_calendar, published_method, language, text,
                                      content_sha256, reason)
        SELECT article_id, 1, :fetch_id, :seen_at, :extractor, CAST(:settings AS jsonb), :title,
               :authors, :published_at, :published_raw, :published_calendar, :published_method,
               :language, :text, :digest, 'ingest'
          FROM art
    ), target AS (
        SELECT article_id, match, 'duplicate' AS outcome FROM found
        UNION ALL
        SELECT article_id, 'new', 'stored' FROM art
    ), src AS (
        INSERT INTO article_sources (article_id, fetch_id, url, match)
        SELECT article_id, :fetch_id, :source_url, match FROM target ON CONFLICT DO NOTHING
    ), linked_urls AS (
        INSERT INTO article_urls (url, article_id)
        SELECT u, target.article_id FROM target, unnest(CAST(:urls AS text[])) AS u
        ON CONFLICT DO NOTHING
    ), settled AS (
        UPDATE fetches SET outcome = target.outcome, error = NULL
          FROM target WHERE fetch_id = :fetch_id
    )
    SELECT article_id, match, outcome FROM target
    """
)


STORE_ATTEMPTS = 5


def store_article(
    db: Database, *, outlet_id: int, fetch_id: int, data: ArticleData, seen_at: datetime
) -> StoreResult:
    """Store an extracted article once; link this fetch to it either way. Idempotent.

    The fetch's outcome (stored / duplicate) is settled in the same transaction. A new
    article is queued for clustering and tagging by a trigger (``pipeline.workqueue``);
    code storing a later version calls ``workqueue.enqueue_changed`` itself.
    """
    params = {
        "outlet_id": outlet_id,
        "canonical_url": data.canonical_url,
        "urls": list(dict.fromkeys([data.canonical_url, *data.urls])),
        "source_url": data.urls[0],
        "title": data.title,
        "authors": data.authors,
        "published_at": data.published_at,
        "published_raw": data.published_raw,
        "published_calendar": data.published_calendar,
        "published_method": data.published_method,
        "language": data.language,
        "site_name": data.site_name,
        "text": data.text,
        "digest": content_sha256(data.text),
        "seen_at": seen_at,
        "fetch_id": fetch_id,
        "extractor": data.extractor,
        "settings": json.dumps(data.extractor_settings, default=str, ensure_ascii=False),
    }
    for _ in range(STORE_ATTEMPTS):
        rows = _rows(db, _STORE, params)
        if rows:
            article_id, match, outcome = rows[0]
            return StoreResult(article_id, outcome, match)
        # A concurrent writer inserted the same story between our look-up and our insert
        # (so nothing was written): the next look-up finds theirs and links to it.
    raise RuntimeError(f"article {data.canonical_url} conflicts with a row no look-up finds")
