"""Downloader middleware that logs every HTTP exchange and archives its raw bytes.

It sits next to the downloader (priority 950), so it sees each attempt as it happened:
the 500 before a retry, the 301 before the redirect, the body before content decoding,
and every refusal (robots.txt, size cap) and network error.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

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

from pipeline.archive import sha256_hex
from pipeline.storage import FetchRecord, record_fetch, set_fetch_outcome
from spiders.context import CrawlContext
from spiders.policy import FetchRefused

META_FETCH_ID = "dadkhah_fetch_id"
META_KIND = "dadkhah_kind"
META_FROM = "dadkhah_discovered_from"
_META_STARTED = "dadkhah_started"


def classify_exception(exc: BaseException) -> str:
    """A fetch outcome for a download failure."""
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
    if status >= 400:
        return "http_error"
    return "fetched"


def _headers(headers) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for key, values in headers.items():
        for value in values:
            pairs.append((key.decode("latin-1"), value.decode("latin-1")))
    return pairs


class FetchLogMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FetchLogMiddleware:
        return cls(crawler)

    @property
    def context(self) -> CrawlContext:
        return self.crawler.spider.context  # type: ignore[union-attr]

    def _kind(self, request: Request) -> str:
        if request.url.endswith("/robots.txt"):
            return "robots"
        return request.meta.get(META_KIND, "other")

    def process_request(self, request: Request) -> None:
        previous = request.meta.get(META_FETCH_ID)
        if previous is not None and request.meta.get("retry_times"):
            # This request is a retry: the earlier attempt's row says so.
            set_fetch_outcome(self.context.db, previous, "retried", request.meta.get("dadkhah_last_error"))
        request.meta[_META_STARTED] = time.monotonic()
        return None

    def _base_record(
        self, request: Request, request_headers: list[tuple[str, str]] | None = None
    ) -> FetchRecord:
        started = request.meta.get(_META_STARTED)
        redirects = request.meta.get("redirect_urls") or []
        if request_headers is None:
            request_headers = _headers(request.headers)
        return FetchRecord(
            fetch_uid=uuid.uuid4().hex,
            outlet_id=self.context.outlet_id,
            run_id=self.context.run_id,
            kind=self._kind(request),
            requested_url=request.url,
            discovered_from=request.meta.get(META_FROM) or (redirects[0] if redirects else None),
            outcome="error",
            fetched_at=datetime.now(UTC),
            duration_ms=(time.monotonic() - started) * 1000 if started else None,
            request_headers={k: v for k, v in request_headers},
        )

    def process_response(self, request: Request, response: Response) -> Response:
        request_headers = _headers(request.headers)
        record = self._base_record(request, request_headers)
        body = response.body
        record.final_url = response.url
        record.http_status = response.status
        record.outcome = outcome_for_status(response.status)
        if record.outcome == "http_error":
            record.error = f"HTTP {response.status}"
            request.meta["dadkhah_last_error"] = record.error
        record.content_type = response.headers.get(b"Content-Type", b"").decode("latin-1") or None
        record.body_length = len(body)
        record.raw_sha256 = sha256_hex(body)
        response_headers = _headers(response.headers)
        record.response_headers = {k: v for k, v in response_headers}
        location = self.context.archive.write_exchange(
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
        record.warc_file = location.warc_file
        record.warc_offset = location.offset
        record.warc_length = location.length
        record.warc_record_id = location.record_id
        request.meta[META_FETCH_ID] = record_fetch(self.context.db, record)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        record = self._base_record(request)
        record.outcome = classify_exception(exception)
        record.error = f"{type(exception).__name__}: {exception}"[:2000]
        request.meta["dadkhah_last_error"] = record.error
        request.meta[META_FETCH_ID] = record_fetch(self.context.db, record)
        return None
