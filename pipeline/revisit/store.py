"""Recording revisits: one ``article_revisits`` row per check, a new version per edit.

Each write is one transaction holding the article's row lock, so two revisits of one article
(a CLI run beside the DAG) never interleave; the state they judge against is read under that
lock. ``article_text_changed`` is called in the transaction that stores a new version: the
one place that knows an article's text changed on the site.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, text

from pipeline import workqueue
from pipeline.revisit.compare import NO_ARTICLE, Verdict, judge_page, version_digest
from pipeline.revisit.diff import article_words, word_diff
from pipeline.storage import pg_safe_extracted
from pipeline.textnorm import content_sha256

log = logging.getLogger("dadkhah.revisit")

# Called as handler(conn, article_id, new_version) inside the transaction that stored the
# version; a handler that raises rolls the version back (and the revisit is retried next run).
TextChangedHandler = Callable[[Connection, int, int], None]
TEXT_CHANGED_HANDLERS: list[TextChangedHandler] = []


def article_text_changed(conn: Connection, article_id: int, version: int) -> None:
    """Hook: the article's text changed on the site and ``version`` now holds it.

    The caller has queued the change for clustering and tagging (``pipeline.workqueue``);
    other reactions register a handler in ``TEXT_CHANGED_HANDLERS``.
    """
    log.info("article %s: text changed on the site, stored as version %s", article_id, version)
    for handler in TEXT_CHANGED_HANDLERS:
        handler(conn, article_id, version)


@dataclass
class Recorded:
    article_id: int
    outcome: str
    reason: str
    change: str | None = None
    to_version: int | None = None


_LOCK = text(
    """
    SELECT a.article_id, a.outlet_id, a.status, a.current_version, v.title, v.text,
           v.published_at, v.language,
           EXISTS (SELECT 1 FROM article_revisits r
                    WHERE r.article_id = a.article_id AND r.change = 'edited') AS was_edited
      FROM articles a
      JOIN article_versions v ON v.article_id = a.article_id AND v.version = a.current_version
     WHERE a.article_id = :article_id
       FOR UPDATE OF a
    """
)
_INSERT = text(
    """
    INSERT INTO article_revisits (article_id, run_id, fetch_id, checked_at, outcome, reason, change,
                                  from_version, to_version, diff)
    VALUES (:article_id, :run_id, :fetch_id, :checked_at, :outcome, :reason, :change,
            :from_version, :to_version, :diff)
    """
)
_SET_STATE = text(
    """
    UPDATE articles SET status = :status, removed_at = :removed_at,
           last_checked_at = GREATEST(last_checked_at, CAST(:checked_at AS timestamptz))
     WHERE article_id = :article_id
    """
)
_TOUCH = text(
    "UPDATE articles SET last_checked_at = GREATEST(last_checked_at, CAST(:checked_at AS timestamptz))"
    " WHERE article_id = :article_id"
)
_FETCH_OUTCOME = text("UPDATE fetches SET outcome = :outcome, error = :error WHERE fetch_id = :fetch_id")


def _insert(conn: Connection, current: Any, verdict: Verdict, ids: dict[str, Any], **change: Any) -> None:
    conn.execute(
        _INSERT,
        {
            **ids,
            "article_id": current.article_id,
            "outcome": verdict.outcome,
            "reason": verdict.reason[:2000],
            "change": change.get("change"),
            "from_version": change.get("from_version"),
            "to_version": change.get("to_version"),
            "diff": change.get("diff"),
        },
    )
    if ids["fetch_id"] is not None and verdict.outcome != "unreachable":
        # The page's answer: its fetch row says what the revisit made of it.
        error = None if verdict.outcome == "unchanged" else verdict.reason[:2000]
        conn.execute(
            _FETCH_OUTCOME, {"fetch_id": ids["fetch_id"], "outcome": verdict.outcome, "error": error}
        )


def record_verdict(
    engine: Engine,
    article_id: int,
    verdict: Verdict,
    *,
    run_id: int | None,
    fetch_id: int | None,
    checked_at: datetime,
) -> Recorded:
    """Record a verdict that needs no extraction (304, 404/410, a redirect home, unreachable)."""
    assert verdict.outcome != "edited", "an edit is stored with its version: record_page"
    ids = {"run_id": run_id, "fetch_id": fetch_id, "checked_at": checked_at}
    with engine.begin() as conn:
        current = conn.execute(_LOCK, {"article_id": article_id}).one()
        return _apply(conn, current, verdict, ids)


def _apply(conn: Connection, current: Any, verdict: Verdict, ids: dict[str, Any]) -> Recorded:
    checked_at = ids["checked_at"]
    params = {"article_id": current.article_id, "checked_at": checked_at}
    if verdict.outcome == "unreachable":
        _insert(conn, current, verdict, ids)
        return Recorded(current.article_id, verdict.outcome, verdict.reason)
    if verdict.outcome == "removed":
        if current.status == "removed":
            _insert(conn, current, verdict, ids)
            conn.execute(_TOUCH, params)
            return Recorded(current.article_id, verdict.outcome, verdict.reason)
        _insert(conn, current, verdict, ids, change="removed", from_version=current.current_version)
        conn.execute(_SET_STATE, {**params, "status": "removed", "removed_at": checked_at})
        return Recorded(current.article_id, verdict.outcome, verdict.reason, "removed")
    # unchanged: the page is there as its current version has it
    if current.status == "removed":
        _insert(conn, current, verdict, ids, change="restored", to_version=current.current_version)
        status = "edited" if current.was_edited else "live"
        conn.execute(_SET_STATE, {**params, "status": status, "removed_at": None})
        return Recorded(current.article_id, verdict.outcome, verdict.reason, "restored")
    _insert(conn, current, verdict, ids)
    conn.execute(_TOUCH, params)
    return Recorded(current.article_id, verdict.outcome, verdict.reason)


_LAST_CHECK = text(
    "SELECT outcome, reason FROM article_revisits WHERE article_id = :article_id"
    " ORDER BY checked_at DESC, revisit_id DESC LIMIT 1"
)


def _confirmed(conn: Connection, article_id: int, verdict: Verdict) -> Verdict:
    """A removal that needs a second look: removed when the last check found no article
    either, else unreachable (and so checked again next run)."""
    last = conn.execute(_LAST_CHECK, {"article_id": article_id}).first()
    if last is not None and last.outcome == "unreachable" and last.reason.startswith(NO_ARTICLE):
        return Verdict("removed", f"{verdict.reason} (so on two checks in a row)")
    return Verdict("unreachable", f"{verdict.reason} (removed if the next check finds it so too)")


def record_page(
    engine: Engine,
    article_id: int,
    *,
    html: str,
    extracted: Any | None,
    not_article: str | None,
    redirected: bool,
    run_id: int | None,
    fetch_id: int,
    checked_at: datetime,
) -> Recorded:
    """Judge a 200 page against the article's current version and record the outcome; an
    edit becomes a new version (``reason = 'revisit'``) with its word-level diff."""
    ids = {"run_id": run_id, "fetch_id": fetch_id, "checked_at": checked_at}
    if extracted is not None:  # as ingestion stored it (a NUL made to fit): compared alike
        extracted = pg_safe_extracted(extracted)
    with engine.begin() as conn:
        current = conn.execute(_LOCK, {"article_id": article_id}).one()
        verdict = judge_page(
            html=html,
            old_title=current.title,
            old_text=current.text,
            old_digest=version_digest(current.title, current.text),
            new_title=getattr(extracted, "title", None),
            new_text=getattr(extracted, "text", None),
            redirected=redirected,
            not_article=not_article,
        )
        if verdict.confirm:
            verdict = _confirmed(conn, article_id, verdict)
        if verdict.outcome != "edited":
            return _apply(conn, current, verdict, ids)
        version = _store_version(conn, current, extracted, fetch_id, checked_at)
        diff = word_diff(
            article_words(current.title, current.text), article_words(extracted.title, extracted.text)
        )
        _insert(
            conn,
            current,
            verdict,
            ids,
            change="edited",
            from_version=current.current_version,
            to_version=version,
            diff=diff,
        )
        new_values = {
            "title": extracted.title,
            "text": extracted.text,
            "published_at": extracted.published_at,
            "language": extracted.language,
        }
        workqueue.enqueue_changed(conn, article_id, workqueue.changed_fields(current, new_values))
        article_text_changed(conn, article_id, version)
        return Recorded(article_id, verdict.outcome, verdict.reason, "edited", version)


_NEW_VERSION = text(
    """
    INSERT INTO article_versions (article_id, version, fetch_id, extracted_at, extractor,
                                  extractor_settings, title, authors, published_at, published_raw,
                                  published_calendar, published_method, language, text,
                                  content_sha256, reason)
    VALUES (:article_id, :version, :fetch_id, :extracted_at, :extractor, CAST(:settings AS jsonb),
            :title, :authors, :published_at, :published_raw, :published_calendar, :published_method,
            :language, :text, :digest, 'revisit')
    """
)
# One UPDATE (a single 'version' change in the change feed): the new text and the status.
# The article's content hash follows its text unless another article of the outlet holds that
# text already (uq_articles_outlet_content): then only the version row records the new hash.
_UPDATE_ARTICLE = text(
    """
    UPDATE articles a SET title = :title, authors = :authors, published_at = :published_at,
           published_raw = :published_raw, published_calendar = :published_calendar,
           published_method = :published_method, language = :language, site_name = :site_name,
           text = :text, extractor = :extractor, extractor_settings = CAST(:settings AS jsonb),
           current_version = :version, updated_at = now(), status = 'edited', removed_at = NULL,
           last_checked_at = GREATEST(last_checked_at, CAST(:extracted_at AS timestamptz)),
           content_sha256 = CASE WHEN EXISTS (SELECT 1 FROM articles o WHERE o.outlet_id = a.outlet_id
                                                AND o.content_sha256 = :digest AND o.article_id <> a.article_id)
                                 THEN a.content_sha256 ELSE :digest END
     WHERE a.article_id = :article_id
    """
)


def _store_version(
    conn: Connection, current: Any, extracted: Any, fetch_id: int, checked_at: datetime
) -> int:
    version = current.current_version + 1
    values = {
        "article_id": current.article_id,
        "version": version,
        "fetch_id": fetch_id,
        "extracted_at": checked_at,
        "extractor": extracted.extractor,
        "settings": json.dumps(extracted.extractor_settings, default=str, ensure_ascii=False),
        "title": extracted.title,
        "authors": list(extracted.authors or []),
        "published_at": extracted.published_at,
        "published_raw": extracted.published_raw,
        "published_calendar": extracted.published_calendar,
        "published_method": extracted.published_method,
        "language": extracted.language,
        "site_name": extracted.site_name,
        "text": extracted.text,
        "digest": content_sha256(extracted.text),
    }
    conn.execute(_NEW_VERSION, values)
    conn.execute(_UPDATE_ARTICLE, values)
    return version
