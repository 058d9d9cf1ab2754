"""Child-process entry point of a revisit run: ``python -m spiders.revisit_run JOB.json``.

Like ``spiders.run`` (one fresh interpreter per crawl, Twisted's reactor starting once), with
the revisit spider and its item pipeline. The job names the outlets, the articles to revisit
(``pipeline.revisit.schedule.Target`` as JSON) and the check time.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

from scrapy.crawler import Crawler
from scrapy.settings import Settings as ScrapySettings

import spiders.revisit_pipeline  # noqa: F401 - loaded by name by Scrapy; imported before gc.freeze()
from pipeline.revisit.schedule import Target
from spiders.context import CrawlContext
from spiders.revisit_spider import RevisitSpider
from spiders.run import CrawlJob, _die_with_parent, outlet_context
from spiders.settings import outlet_settings
from spiders.shutdown import GracefulStop


class RevisitStop(GracefulStop):
    """On SIGINT/SIGTERM: the requests in flight are logged as interrupted. A revisit run has
    no outlet runs (those are ingestion passes, which outlet health judges) to close."""

    def _close_outlet(self, context: CrawlContext, why: str) -> None:
        self._record_in_flight(context, why)


def revisit_settings(outlet, user_agent: str, log_level: str) -> dict:
    """The outlet crawl's settings (politeness, policy, robots, fetch log), with the revisit
    pipeline, no progress line of ingestion, and no in-pass retry (the next run retries)."""
    settings = outlet_settings(outlet, user_agent, log_level=log_level)
    settings["ITEM_PIPELINES"] = {"spiders.revisit_pipeline.RevisitPipeline": 300}
    settings["EXTENSIONS"] = {}
    settings["RETRY_ENABLED"] = False
    return settings


def run_job(job: dict) -> int:
    crawl = CrawlJob.open(job)
    checked_at = datetime.fromisoformat(job["checked_at"])
    contexts: list[CrawlContext] = []
    try:
        for name in job["outlets"]:
            targets = [Target(**t) for t in job["targets"].get(name, [])]
            if not targets:
                continue
            outlet = crawl.config.get(name)
            outlet_id = job["outlet_ids"][name]
            context = outlet_context(job, crawl.engine, crawl.db, name, outlet, outlet_id, len(targets))
            contexts.append(context)
            settings = ScrapySettings(revisit_settings(outlet, job["user_agent"], crawl.level))
            crawler = Crawler(RevisitSpider, settings, init_reactor=len(contexts) == 1)
            crawl.process.crawl(crawler, context=context, targets=targets, checked_at=checked_at)
    except BaseException:
        for context in contexts:
            context.archive.close()
        raise
    return crawl.run(contexts, RevisitStop(contexts, crawl.db, [c.archive for c in contexts]))


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m spiders.revisit_run JOB.json", file=sys.stderr)
        return 2
    _die_with_parent()
    return run_job(json.loads(Path(argv[1]).read_text(encoding="utf-8")))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
