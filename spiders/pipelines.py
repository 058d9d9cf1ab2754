"""Item pipelines: extract the article from the page, then store it once."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from pipeline.extraction import ExtractionHints, NotAnArticle, extract_article
from pipeline.storage import ArticleData, set_fetch_outcome, store_article
from pipeline.urls import canonicalize, pick_declared_canonical
from spiders.context import CrawlContext
from spiders.items import ArticlePage

log = logging.getLogger("dadkhah.crawl")


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
        if item.fetch_id:
            set_fetch_outcome(self.context.db, item.fetch_id, outcome, error)


class ExtractionPipeline(_ContextPipeline):
    """Runs the extractor; pages without article text are recorded as 'not_article'."""

    def process_item(self, item: ArticlePage) -> ArticlePage:
        outlet = self.context.outlet
        hints = ExtractionHints(
            url=item.final_url,
            language=outlet.language,
            feed_published=item.feed_published,
            feed_published_raw=item.feed_published_raw,
            drop_selectors=tuple(outlet.drop_selectors),
            drop_line_patterns=tuple(outlet.drop_line_patterns),
        )
        try:
            item.extracted = extract_article(item.html, hints)
        except NotAnArticle as exc:
            self._outcome(item, "not_article", str(exc))
            self.context.stats.not_article += 1
            raise DropItem(f"not an article: {item.final_url}: {exc}") from exc
        except Exception as exc:  # noqa: BLE001 - a broken page must not stop the run
            detail = f"{type(exc).__name__}: {exc}"
            self._outcome(item, "extract_error", detail[:2000])
            self.context.stats.fail("extract_error", f"{item.final_url}: {detail}")
            raise DropItem(f"extraction failed: {item.final_url}: {detail}") from exc
        return item


class StoragePipeline(_ContextPipeline):
    """Stores the article (or links this fetch to the copy already stored)."""

    def process_item(self, item: ArticlePage) -> ArticlePage:
        final = canonicalize(item.final_url)
        canonical = pick_declared_canonical(item.extracted.declared_urls, item.final_url) or final
        urls = list(dict.fromkeys([canonicalize(item.requested_url), final, canonical]))
        data = ArticleData.from_extracted(item.extracted, canonical_url=canonical, urls=urls)
        if item.fetch_id is None:
            raise DropItem(f"no fetch row for {item.final_url}")
        result = store_article(
            self.context.db,
            outlet_id=self.context.outlet_id,
            fetch_id=item.fetch_id,
            data=data,
            seen_at=datetime.now(UTC),
        )
        stats = self.context.stats
        if result.outcome == "stored":
            stats.stored += 1
            stats.new_article_ids.append(result.article_id)
        else:
            stats.duplicate += 1
        item.canonical_url = canonical
        item.urls = urls
        return item
