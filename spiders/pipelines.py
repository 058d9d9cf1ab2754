"""Item pipelines: extract the article from the page, then store it once.

Every way a page can fail here is a recorded outcome on its fetch row, with the error
text, and a counted failure; the crawl goes on with the next page:

* ``binary``, ``blocked``: the worker found the body is not text, or is a bot wall
  (decoded and checked as everywhere else: ``pipeline.extraction.decode``,
  ``pipeline.challenge``); counted, like the spider's own parse failures, as a failed source;
* ``not_article``: the extractor found no article (counted in ``not_article``);
* ``extract_error``: the decoder or the extractor raised, its worker died, or it took longer than the
  time limit (``DADKHAH_EXTRACT_TIME_LIMIT``, see ``spiders.extraction_pool``);
* ``store_error``: storing the article raised (a database error, a constraint, a bug).

Extraction never runs on the reactor thread, nor does the storage of a large article:
downloads of every outlet and their timeouts go on meanwhile.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from pipeline.extraction import ExtractionHints, NotAnArticle
from pipeline.revisit.compare import redirect_to_front
from pipeline.storage import ArticleData, set_fetch_outcome, store_article
from pipeline.urls import canonicalize, pick_declared_canonical
from spiders.context import CrawlContext
from spiders.extraction_pool import ExtractionPool, PageUnreadable, acquire_pool, release_pool
from spiders.items import ArticlePage
from spiders.storage_thread import StorageThread, acquire_storage, release_storage

log = logging.getLogger("dadkhah.crawl")
MAX_ERROR_CHARS = 2000
# Articles longer than this (characters) are stored on the storage thread, off the reactor.
LARGE_ARTICLE_CHARS = 100_000


class _ContextPipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler):
        return cls(crawler)

    @property
    def context(self) -> CrawlContext:
        return self.crawler.spider.context  # type: ignore[union-attr]

    def _outcome(self, item: ArticlePage, outcome: str, error: str | None = None) -> None:
        if not item.fetch_id:
            return
        try:
            set_fetch_outcome(self.context.db, item.fetch_id, outcome, error)
        except Exception as exc:  # noqa: BLE001 - the failure is still counted and logged
            log.error(
                "[%s] could not record outcome %s of fetch %s (%s): %s: %s",
                self.context.outlet.name,
                outcome,
                item.fetch_id,
                item.final_url,
                type(exc).__name__,
                exc,
            )

    def _failed(self, item: ArticlePage, outcome: str, detail: str) -> DropItem:
        """Record and count a failure of this page; the DropItem to raise."""
        self._outcome(item, outcome, detail[:MAX_ERROR_CHARS])
        self.context.stats.fail(outcome, f"{item.final_url}: {detail}")
        return DropItem(f"{outcome}: {item.final_url}: {detail}")


class ExtractionPipeline(_ContextPipeline):
    """Runs the extractor in a worker process (``ExtractionPool``), off the reactor thread.

    Pages without article text are recorded as ``not_article``; an extractor exception, a
    dead worker or a page over the time limit as ``extract_error`` with the reason.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.pool: ExtractionPool | None = None

    def open_spider(self) -> None:
        self.pool = acquire_pool()

    def close_spider(self) -> None:
        if self.pool is not None:
            self.pool = None
            release_pool()

    async def process_item(self, item: ArticlePage) -> ArticlePage:
        outlet = self.context.outlet
        hints = ExtractionHints(
            url=item.final_url,
            language=outlet.language,
            feed_published=item.feed_published,
            feed_published_raw=item.feed_published_raw,
            drop_selectors=tuple(outlet.drop_selectors),
            drop_line_patterns=tuple(outlet.drop_line_patterns),
        )
        front = redirect_to_front(outlet, item.requested_url, item.final_url)
        if front:
            # An article URL sent to the home page or a listing (an unpublished or moved
            # story): that page is not the article, and stored as it the URL would be linked
            # to it and never fetched again. Not an article: tried again on later passes.
            self._outcome(item, "not_article", f"{front} from {item.requested_url[:300]}")
            self.context.stats.not_article += 1
            raise DropItem(f"not an article: {item.requested_url}: {front}")
        assert self.pool is not None, "open_spider gives the pipeline its pool"
        try:
            item.extracted = await self.pool.extract_raw(item.body, item.headers, item.status, hints)
        except PageUnreadable as exc:
            self.context.stats.sources_failed += 1  # as the spider counts its own parse failures
            raise self._failed(item, exc.outcome, exc.detail) from exc
        except NotAnArticle as exc:
            self._outcome(item, "not_article", str(exc))
            self.context.stats.not_article += 1
            raise DropItem(f"not an article: {item.final_url}: {exc}") from exc
        except Exception as exc:  # noqa: BLE001 - a broken page must not stop the run
            raise self._failed(item, "extract_error", f"{type(exc).__name__}: {exc}") from exc
        return item


class StoragePipeline(_ContextPipeline):
    """Stores the article (or links this fetch to the copy already stored).

    A usual article is written from the reactor thread, like the fetch log (one statement,
    about a millisecond). An article of more than ``LARGE_ARTICLE_CHARS`` is written on the
    crawl's storage thread (``spiders.storage_thread``): hashing and writing megabytes takes
    seconds, which would stall every outlet's downloads. Any exception while storing is the
    page's outcome ``store_error`` (the fetch row would otherwise stay ``fetched``, and the
    page would be lost unseen); the crawl goes on.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.storage: StorageThread | None = None

    def open_spider(self) -> None:
        self.storage = acquire_storage(self.context.engine)

    def close_spider(self) -> None:
        if self.storage is not None:
            self.storage = None
            release_storage()

    async def process_item(self, item: ArticlePage) -> ArticlePage:
        if item.fetch_id is None:
            raise DropItem(f"no fetch row for {item.final_url}")
        assert self.storage is not None, "open_spider gives the pipeline its storage thread"
        try:
            final = canonicalize(item.final_url)
            canonical = pick_declared_canonical(item.extracted.declared_urls, item.final_url) or final
            if redirect_to_front(self.context.outlet, final, canonical):
                # A page declaring the home page, a site root or a listing as its canonical
                # (a common CMS slip) is no copy of it: merged there, every such article of
                # the outlet became one "duplicate" and was never fetched again.
                canonical = final
            urls = list(dict.fromkeys([canonicalize(item.requested_url), final, canonical]))
            data = ArticleData.from_extracted(item.extracted, canonical_url=canonical, urls=urls)
            args = {
                "outlet_id": self.context.outlet_id,
                "fetch_id": item.fetch_id,
                "data": data,
                "seen_at": datetime.now(UTC),
            }
            if len(data.text) > LARGE_ARTICLE_CHARS:
                result = await self.storage.run(store_article, **args)
            else:
                result = store_article(self.context.db, **args)
        except Exception as exc:  # noqa: BLE001 - recorded and counted; the run goes on
            raise self._failed(item, "store_error", f"{type(exc).__name__}: {exc}") from exc
        stats = self.context.stats
        if result.outcome == "stored":
            stats.stored += 1
            stats.new_article_ids.append(result.article_id)
        else:
            stats.duplicate += 1
        item.canonical_url = canonical
        item.urls = urls
        return item
