"""Downloader middleware that logs every HTTP exchange and archives its raw bytes.

It sits next to the downloader (priority 950), so it sees each attempt as it happened:
the 500 before a retry, the 301 before the redirect, the body before content decoding,
and every refusal (robots.txt, size cap) and network error.
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import UTC, datetime

import psycopg
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import Response
from scrapy.utils.defer import deferred_from_coro
from sqlalchemy.exc import DBAPIError

from pipeline.archive import ArchiveError, sha256_hex
from pipeline.storage import FetchRecord, record_fetch, set_fetch_outcome
from spiders.context import CrawlContext
from spiders.policy import FetchRefused

META_FETCH_ID = "dadkhah_fetch_id"
META_KIND = "dadkhah_kind"
META_FROM = "dadkhah_discovered_from"
# The outcome the fetch log gave the request's latest row: "fetched" means the answer was
# logged and its handling (decompression, the spider) has yet to settle what it was.
META_ROW_OUTCOME = "dadkhah_row_outcome"
_META_STARTED = "dadkhah_started"


# What the crawl's database writes raise when the server is gone: SQLAlchemy's wrapper when a
# connection is opened, the driver's own error on the crawl's held connection.
DATABASE_ERRORS = (DBAPIError, psycopg.Error)


class DatabaseDown(IgnoreRequest):
    """The crawl stopped fetching: the database no longer takes its writes."""


class ArchiveFailed(IgnoreRequest):
    """An answer could not be written to the WARC archive (disk full, a damaged file...)."""


def classify_exception(exc: BaseException) -> str:
    """A fetch outcome for a download failure."""
    if isinstance(exc, DatabaseDown):
        return "database_unavailable"
    if isinstance(exc, ArchiveFailed):
        return "archive_error"
    if isinstance(exc, FetchRefused):
        return exc.outcome  # refused, url_too_long, redirect_loop
    if isinstance(exc, DownloadTimeoutError | TimeoutError):
        return "timeout"
    if isinstance(exc, DownloadCancelledError) or "maxsize" in str(exc).lower():
        return "too_large"
    if isinstance(exc, IgnoreRequest) and "robots.txt" in str(exc):
        return "robots"
    if isinstance(exc, CannotResolveHostError):
        return "dns_error"
    if isinstance(exc, DownloadConnectionRefusedError):
        return "connection_refused"
    if isinstance(exc, ResponseDataLossError):
        return "data_loss"
    return "error"


def outcome_for_status(status: int) -> str:
    if status == 304:
        return "not_modified"
    if 300 <= status < 400:
        return "redirect"
    if status >= 400 or status < 200:  # (a final 1xx, or a status line no server means)
        return "http_error"
    return "fetched"


def _headers(headers) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for key, values in headers.items():
        for value in values:
            pairs.append((key.decode("latin-1"), value.decode("latin-1")))
    return pairs


def request_kind(request: Request) -> str:
    if request.url.endswith("/robots.txt"):
        return "robots"
    return request.meta.get(META_KIND, "other")


def base_record(
    context: CrawlContext, request: Request, request_headers: list[tuple[str, str]] | None = None
) -> FetchRecord:
    """A fetch row for ``request`` as far as the request itself tells (outcome to be set)."""
    started = request.meta.get(_META_STARTED)
    redirects = request.meta.get("redirect_urls") or []
    if request_headers is None:
        request_headers = _headers(request.headers)
    return FetchRecord(
        fetch_uid=uuid.uuid4().hex,
        outlet_id=context.outlet_id,
        run_id=context.run_id,
        kind=request_kind(request),
        requested_url=request.url,
        discovered_from=request.meta.get(META_FROM) or (redirects[0] if redirects else None),
        outcome="error",
        fetched_at=datetime.now(UTC),
        duration_ms=(time.monotonic() - started) * 1000 if started else None,
        request_headers={k: v for k, v in request_headers},
    )


class FetchLogMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FetchLogMiddleware:
        return cls(crawler)

    @property
    def context(self) -> CrawlContext:
        return self.crawler.spider.context  # type: ignore[union-attr]

    def process_request(self, request: Request) -> None:
        context = self.context
        if context.database_error:
            raise DatabaseDown(f"not fetched: the database is unavailable ({context.database_error})")
        if context.interrupted:
            raise IgnoreRequest(f"not fetched: {context.interrupted}")
        previous = request.meta.get(META_FETCH_ID)
        if previous is not None and request.meta.get("retry_times"):
            # This request is a retry: the earlier attempt's row says so.
            self._write(set_fetch_outcome, previous, "retried", request.meta.get("dadkhah_last_error"))
        request.meta[_META_STARTED] = time.monotonic()
        context.in_flight[id(request)] = request
        return None

    def _write(self, write, *args):
        """Run one database write of the fetch log; when the database is gone, stop the crawl
        (it could no longer log what it fetches) and raise DatabaseDown."""
        try:
            return write(self.context.db, *args)
        except DATABASE_ERRORS as exc:
            self._database_lost(exc)
            raise DatabaseDown(f"the database is unavailable: {exc}") from exc

    def _database_lost(self, exc: BaseException) -> None:
        context = self.context
        if context.database_error:
            return
        context.database_error = " ".join(str(exc).split())[:300]
        logging.getLogger("dadkhah.crawl").error(
            "[%s] the database is unavailable; stopping this outlet's crawl: %s",
            context.outlet.name,
            context.database_error,
        )
        self._stop_crawl("database_unavailable")

    def _stop_crawl(self, reason: str) -> None:
        """Close this outlet's spider (requests in flight still come back here)."""
        engine = self.crawler.engine
        if engine is not None:
            deferred_from_coro(engine.close_spider_async(reason=reason))

    def process_response(self, request: Request, response: Response) -> Response:
        context = self.context
        context.in_flight.pop(id(request), None)
        if context.database_error:
            # Not archived: nothing could record where it is.
            raise DatabaseDown(f"not archived: the database is unavailable ({context.database_error})")
        request_headers = _headers(request.headers)
        record = base_record(context, request, request_headers)
        body = response.body
        record.final_url = response.url
        record.http_status = response.status
        record.outcome = outcome_for_status(response.status)
        if record.outcome == "http_error":
            record.error = f"HTTP {response.status}"
            if not 100 <= response.status <= 999:
                record.error = f"invalid HTTP status {response.status}"
            request.meta["dadkhah_last_error"] = record.error
        record.content_type = response.headers.get(b"Content-Type", b"").decode("latin-1") or None
        record.body_length = len(body)
        record.raw_sha256 = sha256_hex(body)
        response_headers = _headers(response.headers)
        record.response_headers = {k: v for k, v in response_headers}
        try:
            location = context.archive.write_exchange(
                url=response.url,
                method=request.method,
                request_headers=request_headers,
                status=response.status,
                reason="",
                protocol=response.protocol or "HTTP/1.1",
                response_headers=response_headers,
                body=body,
                fetched_at=record.fetched_at,
                ip_address=str(response.ip_address) if response.ip_address else None,
                body_sha256=record.raw_sha256,
            )
        except (ArchiveError, OSError) as exc:
            # The capture could not be kept: recorded, and the outlet's crawl stops, since
            # fetching on without archiving would store articles without their evidence.
            record.outcome = "archive_error"
            record.error = f"{type(exc).__name__}: {exc}"[:2000]
            request.meta[META_FETCH_ID] = self._write(record_fetch, record)
            self._stop_crawl("archive_error")
            raise ArchiveFailed(f"not archived: {record.error}") from exc
        record.warc_file = location.warc_file
        record.warc_offset = location.offset
        record.warc_length = location.length
        record.warc_record_id = location.record_id
        try:
            request.meta[META_FETCH_ID] = self._write(record_fetch, record)
            request.meta[META_ROW_OUTCOME] = record.outcome
        except DatabaseDown:
            # No row points to the capture: take it back out of the archive (it is the
            # file's last record), so the archive holds nothing unlogged.
            context.archive.discard(location)
            raise
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        context = self.context
        context.in_flight.pop(id(request), None)
        if isinstance(exception, DatabaseDown):
            return None
        record = base_record(context, request)
        record.outcome = classify_exception(exception)
        record.error = f"{type(exception).__name__}: {exception}"[:2000]
        request.meta["dadkhah_last_error"] = record.error
        request.meta[META_FETCH_ID] = self._write(record_fetch, record)
        request.meta[META_ROW_OUTCOME] = record.outcome
        return None
