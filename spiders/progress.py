"""Extension: a progress line per outlet every few seconds while a crawl runs."""

from __future__ import annotations

import logging

from scrapy import signals
from scrapy.crawler import Crawler
from twisted.internet import task

log = logging.getLogger("dadkhah.crawl")


class ProgressLog:
    """Logs discovered / fetched / stored / failed counts at a fixed interval."""

    def __init__(self, crawler: Crawler, interval: float) -> None:
        self.crawler = crawler
        self.interval = interval
        self._loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProgressLog:
        extension = cls(crawler, crawler.settings.getfloat("DADKHAH_PROGRESS_INTERVAL", 15.0))
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def _log(self) -> None:
        spider = self.crawler.spider
        if spider is not None and hasattr(spider, "context"):
            log.info(spider.context.stats.progress_line(spider.context.outlet.name))

    def spider_opened(self, spider) -> None:
        if self.interval > 0:
            self._loop = task.LoopingCall(self._log)
            self._loop.start(self.interval, now=False)

    def spider_closed(self, spider, reason: str) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
