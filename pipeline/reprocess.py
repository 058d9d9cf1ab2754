"""Re-extraction: run the current extractor again on the raw captures already archived.

Nothing is fetched. For each selected article the raw response is read back from its WARC
record (the article's first fetch, else the most recent article fetch that led to it),
decoded and extracted with the outlet's current hints. When the extractor id or any output
differs from the article's current version, a new ``article_versions`` row is written
(``reason="reprocess"``) and the ``articles`` row is brought up to date; otherwise nothing
is written, so a rerun with the same extractor adds nothing. A new version whose title,
text, date or language changed queues the derived-data steps that read them
(``pipeline.workqueue``) in the same transaction.

The article's ``content_sha256`` follows the new text, except when another article of
the same outlet already holds that hash (the ``uq_articles_outlet_content`` constraint):
then the article keeps its old hash and only the version row records the new one.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy import Engine, and_, insert, select, update

from pipeline.archive import read_response_decoded
from pipeline.cli_options import parse_since
from pipeline.extraction import (
    EXTRACTOR_ID,
    ExtractedArticle,
    ExtractionHints,
    NotAnArticle,
    extract_article,
)
from pipeline.extraction.decode import BinaryContent, decode_text
from pipeline.storage import pg_safe_extracted
from pipeline.textnorm import content_sha256
from pipeline.workqueue import changed_fields, enqueue_changed
from schema.models import Article, ArticleSource, ArticleVersion, Fetch, Outlet

log = logging.getLogger(__name__)

# Columns compared (and copied) between an extraction and the stored article.
COMPARED = (
    "title",
    "authors",
    "published_at",
    "published_raw",
    "published_calendar",
    "published_method",
    "language",
    "site_name",
    "text",
    "extractor",
    "extractor_settings",
)
VERSION_COLUMNS = tuple(c for c in COMPARED if c != "site_name")  # article_versions has no site_name


@dataclass(frozen=True)
class _Capture:
    fetch_id: int
    url: str
    warc_file: str
    warc_offset: int


def _json(value: Any) -> Any:
    """What a JSONB column gives back for ``value``."""
    return json.loads(json.dumps(value, default=str))


def _capture(conn, article: Any) -> _Capture | None:
    """The raw capture to re-extract: the first fetch, else the latest article fetch."""
    columns = (Fetch.fetch_id, Fetch.final_url, Fetch.requested_url, Fetch.warc_file, Fetch.warc_offset)
    has_capture = and_(Fetch.warc_file.is_not(None), Fetch.warc_offset.is_not(None))
    row = None
    if article.first_fetch_id is not None:
        row = conn.execute(
            select(*columns).where(Fetch.fetch_id == article.first_fetch_id, has_capture)
        ).first()
    if row is None:
        row = conn.execute(
            select(*columns)
            .join(ArticleSource, ArticleSource.fetch_id == Fetch.fetch_id)
            .where(ArticleSource.article_id == article.article_id, Fetch.kind == "article", has_capture)
            .order_by(Fetch.fetched_at.desc(), Fetch.fetch_id.desc())
            .limit(1)
        ).first()
    if row is None:
        return None
    return _Capture(row.fetch_id, row.final_url or row.requested_url, row.warc_file, row.warc_offset)


def _feed_date(conn, article_id: int) -> tuple[datetime | None, str | None]:
    """The feed/sitemap date an earlier extraction used (feeds are not archived with pages)."""
    row = conn.execute(
        select(ArticleVersion.published_at, ArticleVersion.published_raw)
        .where(ArticleVersion.article_id == article_id, ArticleVersion.published_method == "feed")
        .order_by(ArticleVersion.version)
        .limit(1)
    ).first()
    return (row.published_at, row.published_raw) if row else (None, None)


def _hints(url: str, outlet: Any, feed: tuple[datetime | None, str | None]) -> ExtractionHints:
    config = outlet.config or {}
    return ExtractionHints(
        url=url,
        language=outlet.language,
        feed_published=feed[0],
        feed_published_raw=feed[1],
        drop_selectors=tuple(config.get("drop_selectors") or ()),
        drop_line_patterns=tuple(config.get("drop_line_patterns") or ()),
    )


def _values(extracted: ExtractedArticle) -> dict[str, Any]:
    extracted = pg_safe_extracted(extracted)  # as ingestion stores it
    values = {c: getattr(extracted, c) for c in COMPARED}
    values["authors"] = list(values["authors"] or [])
    values["extractor_settings"] = _json(values["extractor_settings"])
    return values


def _differs(article: Any, values: dict[str, Any]) -> bool:
    for column in COMPARED:
        old, new = getattr(article, column), values[column]
        if column == "authors":
            old = list(old or [])
        if old != new:
            return True
    return False


def _apply(engine: Engine, article_id: int, fetch_id: int, values: dict[str, Any]) -> str:
    """Write the new version; return "updated", "updated_hash_kept" or "unchanged"."""
    digest = content_sha256(values["text"])
    with engine.begin() as conn:
        current = conn.execute(
            select(Article.__table__).where(Article.article_id == article_id).with_for_update()
        ).one()
        if not _differs(current, values):  # another reprocess got here first
            return "unchanged"
        taken = conn.execute(
            select(Article.article_id).where(
                Article.outlet_id == current.outlet_id,
                Article.content_sha256 == digest,
                Article.article_id != article_id,
            )
        ).first()
        version = current.current_version + 1
        now = datetime.now(UTC)
        conn.execute(
            insert(ArticleVersion).values(
                article_id=article_id,
                version=version,
                fetch_id=fetch_id,
                extracted_at=now,
                content_sha256=digest,
                reason="reprocess",
                **{c: values[c] for c in VERSION_COLUMNS},
            )
        )
        conn.execute(
            update(Article)
            .where(Article.article_id == article_id)
            .values(
                **values,
                content_sha256=current.content_sha256 if taken else digest,
                current_version=version,
                updated_at=now,
            )
        )
        # Clustering, tagging and later steps see the change (only when their inputs changed).
        enqueue_changed(conn, article_id, changed_fields(current, values))
        return "updated_hash_kept" if taken else "updated"


def reprocess(
    engine: Engine,
    archive_dir: Path,
    *,
    outlet: str | None = None,
    since: datetime | None = None,
) -> dict:
    """Re-extract archived captures of stored articles; return counts by outcome.

    ``outlet`` limits to one outlet (by name); ``since`` to articles first seen at or
    after that time. Counts: ``articles`` (selected), ``updated``, ``unchanged``,
    ``hash_kept`` (updated, old content hash kept), ``not_article`` (the current extractor
    rejects the page: the article is left as it is), ``binary`` (its capture is not text:
    left as it is), ``no_capture`` and ``errors``.
    """
    counts: Counter = Counter()
    query = select(Article.article_id, Outlet.name).join(Outlet, Outlet.outlet_id == Article.outlet_id)
    if outlet is not None:
        query = query.where(Outlet.name == outlet)
    if since is not None:
        query = query.where(Article.first_seen_at >= (since if since.tzinfo else since.replace(tzinfo=UTC)))
    with engine.connect() as conn:
        selected = conn.execute(query.order_by(Article.article_id)).all()
    for article_id, outlet_name in selected:
        counts["articles"] += 1
        try:
            with engine.connect() as conn:
                article = conn.execute(
                    select(Article.__table__).where(Article.article_id == article_id)
                ).one()
                outlet_row = conn.execute(
                    select(Outlet.__table__).where(Outlet.outlet_id == article.outlet_id)
                ).one()
                capture = _capture(conn, article)
                feed = _feed_date(conn, article_id)
            if capture is None:
                counts["no_capture"] += 1
                continue
            headers, body = read_response_decoded(archive_dir, capture.warc_file, capture.warc_offset)
            try:
                html, _encoding = decode_text(body, headers)
            except BinaryContent as exc:  # stored before binary bodies were recognised
                log.warning("article %s (%s): its capture is not text: %s", article_id, outlet_name, exc)
                counts["binary"] += 1
                continue
            try:
                extracted = extract_article(html, _hints(capture.url, outlet_row, feed))
            except NotAnArticle as exc:
                log.info(
                    "article %s (%s) is no article to the current extractor: %s", article_id, outlet_name, exc
                )
                counts["not_article"] += 1
                continue
            values = _values(extracted)
            if not _differs(article, values):
                counts["unchanged"] += 1
                continue
            outcome = _apply(engine, article_id, capture.fetch_id, values)
            if outcome == "updated_hash_kept":
                counts["updated"] += 1
                counts["hash_kept"] += 1
            else:
                counts[outcome] += 1
        except Exception as exc:  # noqa: BLE001 - one bad capture must not stop the pass
            log.warning("reprocess of article %s failed: %s: %s", article_id, type(exc).__name__, exc)
            counts["errors"] += 1
    keys = ("articles", "updated", "unchanged", "hash_kept", "not_article", "binary", "no_capture", "errors")
    return {**{key: counts.get(key, 0) for key in keys}, "extractor": EXTRACTOR_ID}


def reprocess_command(
    outlet: Annotated[str | None, typer.Option(help="Only this outlet (its configured name).")] = None,
    since: Annotated[
        str | None, typer.Option(help="Only articles first seen at or after this ISO date/time (UTC).")
    ] = None,
) -> None:
    """Re-extract stored articles from their archived raw captures (fetches nothing)."""
    from pipeline.db import DatabaseUnavailable, get_engine
    from pipeline.settings import Settings

    since_dt = parse_since(since)
    settings = Settings.from_env()
    try:
        engine = get_engine(settings)
    except DatabaseUnavailable as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(3) from exc
    result = reprocess(engine, settings.archive_dir, outlet=outlet, since=since_dt)
    typer.echo(
        f"reprocessed {result['articles']} articles with {result['extractor']}: "
        f"{result['updated']} updated ({result['hash_kept']} kept their content hash), "
        f"{result['unchanged']} unchanged, {result['not_article']} no longer articles, "
        f"{result['binary']} with a capture that is not text, "
        f"{result['no_capture']} without a capture, {result['errors']} errors"
    )
    if result["errors"]:
        raise typer.Exit(1)
