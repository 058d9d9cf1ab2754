"""The revisit spider: each due article's page fetched once more, conditionally.

It runs on the same spine as the outlet spider (spiders.settings: fetch policy, robots.txt,
the per-host budget, the fetch log and the WARC archive), so every revisit is a fetch row
(``kind = 'revisit'``) with its WARC record. One request per article, with
``If-None-Match`` / ``If-Modified-Since`` from the article's latest capture, and no in-pass
retries: an answer that may pass is ``unreachable``, tried again on the next run. What the
answer means is decided by ``pipeline.revisit.compare``; 200 pages go to the item pipeline
(``spiders.revisit_pipeline``) for extraction.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import scrapy
from scrapy.http import Response
from sqlalchemy import text
from twisted.python.failure import Failure

from pipeline.challenge import recognise_wall
from pipeline.extraction.decode import BinaryContent, decode_text
from pipeline.revisit.compare import Verdict, for_status, redirect_to_front
from pipeline.revisit.schedule import Target
from pipeline.revisit.store import Recorded, record_verdict
from spiders.context import CrawlContext
from spiders.fetchlog import META_FETCH_ID, META_KIND, classify_exception

log = logging.getLogger("dadkhah.revisit")
HTML_TYPES = ("text/html", "application/xhtml+xml")
META_TARGET = "dadkhah_revisit_target"
_RAW_SHA = text("SELECT raw_sha256 FROM fetches WHERE fetch_id = :fetch_id")


@dataclass
class RevisitPage:
    """A 200 HTML page of a revisited article, for extraction and judgement."""

    target: Target
    fetch_id: int
    url: str
    html: str
    redirected: bool

    def __repr__(self) -> str:  # keeps Scrapy's log lines short
        return f"RevisitPage(article={self.target.article_id}, fetch_id={self.fetch_id})"


class RevisitSpider(scrapy.Spider):
    name = "dadkhah_revisit"

    def __init__(self, context: CrawlContext, targets: list[Target], checked_at: datetime, **kwargs: Any):
        super().__init__(name=f"revisit:{context.outlet.name}", **kwargs)
        self.context = context
        self.outlet = context.outlet
        self.targets = targets
        self.checked_at = checked_at
        self.outcomes: Counter[str] = Counter()
        self.changes: Counter[str] = Counter()

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for target in self.targets:
            headers = {}
            if target.etag:
                headers["If-None-Match"] = target.etag
            if target.last_modified:
                headers["If-Modified-Since"] = target.last_modified
            yield scrapy.Request(
                target.url,
                callback=self.parse,
                errback=self.on_error,
                headers=headers,
                dont_filter=True,
                meta={
                    META_KIND: "revisit",
                    META_TARGET: target,
                    "handle_httpstatus_list": [304, 404, 410],
                    "dont_retry": True,
                },
            )

    # -- recording ----------------------------------------------------------------------
    def record(self, target: Target, verdict: Verdict, fetch_id: int | None) -> None:
        try:
            done = record_verdict(
                self.context.engine,
                target.article_id,
                verdict,
                run_id=self.context.run_id,
                fetch_id=fetch_id,
                checked_at=self.checked_at,
            )
        except Exception as exc:  # noqa: BLE001 - one article's failure never stops the others
            log.error("[%s] article %s: revisit not recorded: %s", self.outlet.name, target.article_id, exc)
            self.outcomes["not_recorded"] += 1
            return
        self.count(done)

    def count(self, done: Recorded) -> None:
        self.outcomes[done.outcome] += 1
        if done.change:
            self.changes[done.change] += 1
            log.info("[%s] article %s %s: %s", self.outlet.name, done.article_id, done.change, done.reason)

    # -- answers ------------------------------------------------------------------------
    def parse(self, response: Response) -> Iterator[RevisitPage]:
        target: Target = response.meta[META_TARGET]
        fetch_id = response.meta.get(META_FETCH_ID)
        verdict = for_status(response.status)
        if verdict is not None:
            self.record(target, verdict, fetch_id)
            return
        redirects = response.meta.get("redirect_urls") or []
        if redirects:
            why = redirect_to_front(self.outlet, redirects[0], response.url)
            if why:
                self.record(target, Verdict("removed", f"{why} ({response.url})"), fetch_id)
                return
        ctype = response.headers.get(b"Content-Type", b"").decode("latin-1").split(";")[0].strip().lower()
        if ctype and ctype not in HTML_TYPES:
            self.record(target, Verdict("unreachable", f"content type {ctype!r} is not HTML"), fetch_id)
            return
        if fetch_id and target.ref_raw_sha256:
            rows = self.context.db.execute(_RAW_SHA, {"fetch_id": fetch_id})
            if rows and rows[0][0] == target.ref_raw_sha256:
                self.record(target, Verdict("unchanged", "same bytes as the latest capture"), fetch_id)
                return
        headers = {
            n.decode(): response.headers.get(n, b"").decode("latin-1")
            for n in (b"Content-Type", b"Server", b"cf-mitigated")
        }
        try:
            html, _encoding = decode_text(response.body, headers)
        except BinaryContent as exc:
            self.record(target, Verdict("unreachable", f"binary body: {exc.reason}"), fetch_id)
            return
        wall = recognise_wall(response.status, headers, html)
        if wall:
            self.record(target, Verdict("unreachable", f"blocked: {wall}"), fetch_id)
            return
        yield RevisitPage(target, fetch_id, response.url, html, bool(redirects))

    def on_error(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        target: Target = request.meta[META_TARGET]
        status = getattr(getattr(failure.value, "response", None), "status", None)
        if status is not None:
            reason = f"HTTP {status}"
        else:
            reason = f"{classify_exception(failure.value)}: {type(failure.value).__name__}: {failure.value}"
        self.record(target, Verdict("unreachable", reason), request.meta.get(META_FETCH_ID))

    def closed(self, reason: str) -> None:
        self.context.closed_reason = reason
        summary = ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items())) or "nothing"
        changes = ", ".join(f"{k} {v}" for k, v in sorted(self.changes.items())) or "none"
        log.info(
            "[%s] revisited %d articles: %s; changes: %s",
            self.outlet.name,
            len(self.targets),
            summary,
            changes,
        )
