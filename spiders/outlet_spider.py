"""The spider: one outlet, from feeds / sitemaps / listing pages to article responses."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from pipeline.challenge import WALL_MAX_CHARS, header_wall, recognise_wall
from pipeline.extraction.decode import BinaryContent, decode_html, decode_text
from pipeline.netpolicy import SCHEMES
from pipeline.retry import RetryPolicy
from pipeline.storage import (
    known_url_reasons,
    load_validators,
    save_outlet_run,
    save_validators,
    set_fetch_outcome,
)
from pipeline.urls import canonicalize
from spiders.context import CrawlContext, outlet_verdict
from spiders.discovery import (
    Candidate,
    looks_like_feed_error,
    maybe_gunzip,
    parse_feed,
    parse_listing,
    parse_sitemap,
)
from spiders.fetchlog import META_FETCH_ID, META_FROM, META_KIND, META_ROW_OUTCOME, classify_exception
from spiders.items import ArticlePage

log = logging.getLogger("dadkhah.crawl")
HTML_TYPES = ("text/html", "application/xhtml+xml")
DISCOVERY_KINDS = ("feed", "sitemap", "listing")
MAX_SITEMAP_DEPTH = 3
# Candidates looked up in the database at once (a window: a feed or sitemap is read lazily).
KNOWN_LOOKUP_BATCH = 200


class OutletSpider(scrapy.Spider):
    name = "dadkhah_outlet"
    custom_settings: dict[str, Any] = {}

    def __init__(self, context: CrawlContext, **kwargs: Any) -> None:
        super().__init__(name=f"outlet:{context.outlet.name}", **kwargs)
        self.context = context
        self.outlet = context.outlet
        self.stats_ = context.stats
        self._seen: set[str] = set()
        self._scheduled = 0
        self._retry_policy = RetryPolicy(attempts=self.outlet.settle_after_attempts)
        self._rules = self.outlet.host_rules()
        # Discovery documents requested this pass (canonical URLs), and how many beyond the
        # configured entry points: a sitemap index that lists itself, or one child 40 times,
        # or thousands of children, costs at most max_discovery_requests requests.
        self._discovery_seen: set[str] = set()
        self._discovered_documents = 0
        self._discovery_capped = 0

    # -- entry points ----------------------------------------------------------------
    async def start(self) -> AsyncIterator[scrapy.Request]:
        self._save_run("running")  # the outlet run's true start time
        entry_points = self.outlet.feeds + self.outlet.sitemaps
        validators = load_validators(self.context.engine, entry_points)
        for url in self.outlet.feeds:
            self._discovery_seen.add(canonicalize(url))
            yield self._discovery_request(url, "feed", self.parse_feed, validators.get(url))
        for url in self.outlet.sitemaps:
            self._discovery_seen.add(canonicalize(url))
            request = self._discovery_request(url, "sitemap", self.parse_sitemap, validators.get(url))
            request.meta["sitemap_depth"] = 0
            yield request
        for url in self.outlet.listing_pages:
            self._discovery_seen.add(canonicalize(url))
            request = self._discovery_request(url, "listing", self.parse_listing, None)
            request.meta["listing_page"] = 1
            yield request

    def _discovery_request(self, url: str, kind: str, callback, validators) -> scrapy.Request:
        headers: dict[str, str] = {}
        if validators:
            etag, last_modified = validators
            if etag:
                headers["If-None-Match"] = etag
            if last_modified:
                headers["If-Modified-Since"] = last_modified
        return scrapy.Request(
            url,
            callback=callback,
            errback=self.on_error,
            headers=headers,
            dont_filter=True,
            meta={META_KIND: kind, "handle_httpstatus_list": [304]},
        )

    def _follow(self, url: str, kind: str, callback, source: str) -> scrapy.Request | None:
        """A request for a discovered discovery document, unless seen this pass or over the cap.

        Not filtered by the fetch policy here: a refused sitemap child or next page gets its
        fetch row (outcome refused) from the policy middleware."""
        key = canonicalize(url)
        if key in self._discovery_seen:
            return None
        self._discovery_seen.add(key)
        if self._discovered_documents >= self.outlet.max_discovery_requests:
            self._discovery_capped += 1
            self.stats_.skipped_cap += 1
            if self._discovery_capped == 1:
                log.warning(
                    "[%s] discovery cap reached (max_discovery_requests %d): %s and later ones not fetched",
                    self.outlet.name,
                    self.outlet.max_discovery_requests,
                    url[:300],
                )
            return None
        self._discovered_documents += 1
        request = self._discovery_request(url, kind, callback, None)
        request.meta[META_FROM] = source
        return request

    def _remember_validators(self, response: Response) -> bool:
        """Store ETag/Last-Modified; return False (nothing to parse) on a 304."""
        if response.status == 304:
            self.stats_.not_modified += 1
            self.stats_.sources_ok += 1
            return False
        etag = response.headers.get(b"ETag")
        last_modified = response.headers.get(b"Last-Modified")
        if etag or last_modified:
            save_validators(
                self.context.engine,
                response.request.url if response.request else response.url,
                etag.decode("latin-1") if etag else None,
                last_modified.decode("latin-1") if last_modified else None,
                response.status,
            )
        return True

    def _parse_failed(self, response: Response, reason: str, detail: str) -> None:
        if reason == "parse_error":  # a feed or sitemap that is a bot wall is no parse error
            wall = self._wall_of(response)
            if wall:
                reason, detail = "blocked", wall
        fetch_id = response.meta.get(META_FETCH_ID)
        if fetch_id:
            set_fetch_outcome(self.context.db, fetch_id, reason, detail[:2000])
        self.stats_.sources_failed += 1
        self.stats_.fail(reason, f"{response.url}: {detail}")

    # -- discovery -------------------------------------------------------------------
    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        if not self._remember_validators(response):
            return
        problem = looks_like_feed_error(response.body)
        if problem:
            self._parse_failed(response, "parse_error", problem)
            return
        self._mark_parsed(response)
        yield from self._candidates(parse_feed(response.body, response.url), response.url)

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        if not self._remember_validators(response):
            return
        try:
            body = maybe_gunzip(response.body, self.outlet.max_body_bytes)
            content = parse_sitemap(body, response.url)
        except Exception as exc:  # noqa: BLE001 - any parse problem is recorded, run goes on
            self._parse_failed(response, "parse_error", f"{type(exc).__name__}: {exc}")
            return
        self._mark_parsed(response)
        depth = response.meta.get("sitemap_depth", 0)
        if content.is_index and depth < MAX_SITEMAP_DEPTH:
            for url in content.sitemaps_newest_first():
                request = self._follow(url, "sitemap", self.parse_sitemap, response.url)
                if request is not None:
                    request.meta["sitemap_depth"] = depth + 1
                    yield request
        # Newest first: the per-run cap keeps the most recent articles.
        articles = sorted(
            content.articles, key=lambda c: c.published.timestamp() if c.published else 0, reverse=True
        )
        yield from self._candidates(articles, response.url)

    def parse_listing(self, response: Response) -> Iterator[scrapy.Request]:
        if not self._is_html(response):
            self._parse_failed(response, "not_html", f"listing is {self._content_type(response)!r}")
            return
        html = self._page_text(response)
        if html is None:
            return
        self._mark_parsed(response)
        content = parse_listing(html, response.url)
        links = (Candidate(url) for url in content.links if url != response.url)
        yield from self._candidates(links, response.url)
        page = response.meta.get("listing_page", 1)
        if content.next_page and page < self.outlet.max_listing_pages:
            request = self._follow(content.next_page, "listing", self.parse_listing, response.url)
            if request is not None:
                request.meta["listing_page"] = page + 1
                yield request

    def _mark_parsed(self, response: Response) -> None:
        # A wall (an HTML page) in place of a feed or sitemap reads as an empty document.
        if response.meta.get(META_KIND) != "listing" and self._is_html(response):
            wall = self._wall_of(response)
            if wall:
                self._parse_failed(response, "blocked", wall)
                return
        self.stats_.sources_ok += 1
        fetch_id = response.meta.get(META_FETCH_ID)
        if fetch_id:
            set_fetch_outcome(self.context.db, fetch_id, "parsed")

    def _candidates(self, candidates: Iterable[Candidate], source: str) -> Iterator[scrapy.Request]:
        """Requests for the candidates of one discovery document that are new, in order.

        Whether a URL is already known is asked of the database per batch of candidates
        (one query, not one per URL); the per-run cap applies in document order.
        """
        batch: list[tuple[str, Candidate]] = []
        for candidate in candidates:
            try:
                url = canonicalize(candidate.url)
            except ValueError as exc:  # one link that is no URL costs only itself
                log.warning(
                    "[%s] %s lists a link that is no URL, skipped: %.200r (%s)",
                    self.outlet.name,
                    source,
                    candidate.url,
                    exc,
                )
                continue
            if url in self._seen:
                continue
            self._seen.add(url)
            # Links to other sites (or non-http links) are not this outlet's articles; its own
            # links the policy refuses (too long, a port, an address) get a fetch row there.
            if not self._is_outlet_link(url) or not self.outlet.wants_url(url):
                continue
            self.stats_.discovered += 1
            batch.append((url, candidate))
            if len(batch) >= KNOWN_LOOKUP_BATCH:
                yield from self._requests(batch, source)
                batch = []
        yield from self._requests(batch, source)

    def _is_outlet_link(self, url: str) -> bool:
        try:
            parts = urlsplit(url)
            return parts.scheme in SCHEMES and self._rules.on_site(parts.hostname or "")
        except ValueError:  # e.g. an unclosed IPv6 bracket: no host to be on the site
            return False

    def _requests(self, batch: list[tuple[str, Candidate]], source: str) -> Iterator[scrapy.Request]:
        known = known_url_reasons(self.context.db, [url for url, _ in batch], self._retry_policy)
        for url, candidate in batch:
            if url in known:
                self.stats_.skipped_known += 1
                continue
            if self._scheduled >= self.context.max_articles:
                self.stats_.skipped_cap += 1
                continue
            self._scheduled += 1
            self.stats_.scheduled += 1
            yield scrapy.Request(
                url,
                callback=self.parse_article,
                errback=self.on_error,
                meta={
                    META_KIND: "article",
                    META_FROM: source,
                    "feed_published": candidate.published,
                    "feed_published_raw": candidate.published_raw,
                },
            )

    # -- articles --------------------------------------------------------------------
    @staticmethod
    def _content_type(response: Response) -> str:
        return response.headers.get(b"Content-Type", b"").decode("latin-1").split(";")[0].strip().lower()

    def _is_html(self, response: Response) -> bool:
        ctype = self._content_type(response)
        if ctype:
            return ctype in HTML_TYPES
        return isinstance(response, scrapy.http.HtmlResponse)

    @staticmethod
    def _headers(response: Response) -> dict[str, str]:
        """The headers decoding and wall recognition read, as text."""
        names = (b"Content-Type", b"Server", b"cf-mitigated")
        return {n.decode(): response.headers.get(n, b"").decode("latin-1") for n in names}

    def _page_text(self, response: Response) -> str | None:
        """The body as text, decoded as reprocess and extract decode it (pipeline.extraction.
        decode); None, with the outcome recorded, for a binary body or a bot wall."""
        headers = self._headers(response)
        try:
            html, _encoding = decode_text(response.body, headers)
        except BinaryContent as exc:
            self._parse_failed(response, "binary", exc.reason)
            return None
        except Exception as exc:  # noqa: BLE001 - a page that breaks the decoder is recorded
            self._parse_failed(response, "extract_error", f"decoding: {type(exc).__name__}: {exc}")
            return None
        wall = recognise_wall(response.status, headers, html)
        if wall:
            self._parse_failed(response, "blocked", wall)
            return None
        return html

    def parse_article(self, response: Response) -> Iterator[ArticlePage]:
        self.stats_.fetched += 1
        fetch_id = response.meta.get(META_FETCH_ID)
        if not self._is_html(response):
            detail = f"content type {self._content_type(response) or 'unknown'!r} is not HTML"
            if fetch_id:
                set_fetch_outcome(self.context.db, fetch_id, "not_html", detail)
            self.stats_.fail("not_html", f"{response.url}: {detail}")
            return
        # Decoded, checked for a wall and extracted in the extraction worker
        # (spiders.pipelines): the bytes cross its pipe for less than decoded text would.
        redirects = response.meta.get("redirect_urls") or []
        yield ArticlePage(
            fetch_id=fetch_id,
            requested_url=redirects[0] if redirects else response.url,
            final_url=response.url,
            body=response.body,
            headers=self._headers(response),
            status=response.status,
            feed_published=response.meta.get("feed_published"),
            feed_published_raw=response.meta.get("feed_published_raw"),
        )

    def _wall_of(self, response: Response) -> str | None:
        """The bot wall an answer that failed is (a 403/429/503 challenge, an unreadable
        feed), if any. A body too long for a wall is not decoded."""
        headers = self._headers(response)
        if len(response.body) > WALL_MAX_CHARS * 4:
            return header_wall(headers)
        return recognise_wall(response.status, headers, decode_html(response.body, headers)[0])

    def on_error(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        reason = classify_exception(failure.value)
        status = getattr(getattr(failure.value, "response", None), "status", None)
        detail = f"{request.url}: {type(failure.value).__name__}: {failure.value}"
        if status is not None:
            reason = "http_error"
            wall = self._wall_of(failure.value.response)
            if wall:
                reason, detail = "blocked", f"{request.url}: HTTP {status}: {wall}"
        fetch_id = request.meta.get(META_FETCH_ID)
        # An answer logged as fetched that then failed (a body that does not decompress as
        # its Content-Encoding says): its row says why, not "fetched".
        if fetch_id and (
            reason in ("too_large", "blocked") or request.meta.get(META_ROW_OUTCOME) == "fetched"
        ):
            set_fetch_outcome(self.context.db, fetch_id, reason, detail[:2000])
        if request.meta.get(META_KIND) in DISCOVERY_KINDS:
            self.stats_.sources_failed += 1
        self.stats_.fail(reason, detail)

    def _save_run(self, status: str, error: str | None = None, *, finished: bool = False) -> None:
        save_outlet_run(
            self.context.engine,
            run_id=self.context.run_id,
            outlet_id=self.context.outlet_id,
            status=status,
            stats=self.stats_.as_dict(),
            error=error,
            finished=finished,
        )

    def closed(self, reason: str) -> None:
        self.context.closed_reason = reason
        if self.context.interrupted:
            return  # spiders.shutdown recorded this outlet's run
        stats = self.stats_.as_dict()
        if self.context.database_error:
            reason = "database_unavailable"
        problem = outlet_verdict(stats, finished=reason == "finished")
        if problem and reason != "finished":
            problem = f"the crawl stopped early ({reason})"
            if self.context.database_error:
                problem += f": {self.context.database_error}"
        status = "finished" if problem is None else ("interrupted" if reason == "shutdown" else "failed")
        try:
            self._save_run(status, problem, finished=True)
        except Exception as exc:  # noqa: BLE001 - the database may be the reason we stopped
            log.error("[%s] could not record the outlet's run: %s", self.outlet.name, exc)
        if problem:
            log.warning("[%s] %s: %s", self.outlet.name, status, problem)
        log.info(self.stats_.progress_line(self.outlet.name))
        for why, count in self.stats_.failures.items():
            log.info(
                "[%s]   %d failed: %s (e.g. %s)",
                self.outlet.name,
                count,
                why,
                self.stats_.failure_examples.get(why),
            )
