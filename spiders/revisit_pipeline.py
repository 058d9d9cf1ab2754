"""Item pipeline of the revisit spider: extract the page again and judge it.

Extraction runs in the crawl's extraction workers (``spiders.extraction_pool``), as for new
articles. When the article's current version was read by another extractor and the text
differs, the stored capture is read again by the current extractor too: an extractor
upgrade is not an edit on the site.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from pipeline.archive import read_response_decoded
from pipeline.extraction import ExtractionHints, NotAnArticle
from pipeline.extraction.decode import decode_text
from pipeline.revisit.compare import Verdict, version_digest
from pipeline.revisit.store import record_page, record_verdict
from spiders.extraction_pool import ExtractionPool, acquire_pool, release_pool
from spiders.revisit_spider import RevisitPage, RevisitSpider

log = logging.getLogger("dadkhah.revisit")


class RevisitPipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.pool: ExtractionPool | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RevisitPipeline:
        return cls(crawler)

    @property
    def spider(self) -> RevisitSpider:
        return self.crawler.spider  # type: ignore[return-value]

    def open_spider(self) -> None:
        self.pool = acquire_pool()

    def close_spider(self) -> None:
        if self.pool is not None:
            self.pool = None
            release_pool()

    def _hints(self, page: RevisitPage, url: str) -> ExtractionHints:
        outlet = self.spider.outlet
        target = page.target
        feed = target.published_method == "feed" and target.published_at
        return ExtractionHints(
            url=url,
            language=outlet.language,
            feed_published=datetime.fromisoformat(target.published_at) if feed else None,
            feed_published_raw=target.published_raw if feed else None,
            drop_selectors=tuple(outlet.drop_selectors),
            drop_line_patterns=tuple(outlet.drop_line_patterns),
        )

    async def _same_by_current_extractor(self, page: RevisitPage, extracted) -> bool:
        """Whether the stored capture, read by the current extractor, gives this text."""
        target = page.target
        if target.ref_warc_file is None or target.ref_warc_offset is None:
            return False
        archive_dir = Path(self.spider.context.archive.archive_dir)
        headers, body = read_response_decoded(archive_dir, target.ref_warc_file, target.ref_warc_offset)
        html, _encoding = decode_text(body, headers)
        assert self.pool is not None
        try:
            before = await self.pool.extract(html, self._hints(page, page.url))
        except NotAnArticle:
            return False
        return version_digest(before.title, before.text) == version_digest(extracted.title, extracted.text)

    async def process_item(self, page: RevisitPage) -> RevisitPage:
        spider = self.spider
        assert self.pool is not None, "open_spider gives the pipeline its pool"
        extracted, not_article = None, None
        try:
            extracted = await self.pool.extract(page.html, self._hints(page, page.url))
        except NotAnArticle as exc:
            not_article = str(exc) or "no article text"
        except Exception as exc:  # noqa: BLE001 - a broken page is unreachable, tried again
            spider.record(
                page.target,
                Verdict("unreachable", f"extract_error: {type(exc).__name__}: {exc}"),
                page.fetch_id,
            )
            raise DropItem(f"extraction failed: {exc}") from exc
        engine = spider.context.engine
        ids = {"run_id": spider.context.run_id, "fetch_id": page.fetch_id, "checked_at": spider.checked_at}
        try:
            if (
                extracted is not None
                and extracted.extractor != page.target.extractor
                and version_digest(extracted.title, extracted.text) != page.target.text_sha256
                and await self._same_by_current_extractor(page, extracted)
            ):
                verdict = Verdict(
                    "unchanged", "same text as the stored capture read by the current extractor"
                )
                done = record_verdict(engine, page.target.article_id, verdict, **ids)
            else:
                done = record_page(
                    engine,
                    page.target.article_id,
                    html=page.html,
                    extracted=extracted,
                    not_article=not_article,
                    redirected=page.redirected,
                    **ids,
                )
        except Exception as exc:  # noqa: BLE001 - recorded as not recorded; retried next run
            log.error(
                "[%s] article %s: revisit not recorded: %s: %s",
                spider.outlet.name,
                page.target.article_id,
                type(exc).__name__,
                exc,
            )
            spider.outcomes["not_recorded"] += 1
            raise DropItem(str(exc)) from exc
        spider.count(done)
        return page
