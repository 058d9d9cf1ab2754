"""Child-process entry point of a revisit run: ``python -m spiders.revisit_run JOB.json``.

Like ``spiders.run`` (one fresh interpreter per crawl, Twisted's reactor starting once), with
the revisit spider and its item pipeline. The job names the outlets, the articles to revisit
(``pipeline.revisit.schedule.Target`` as JSON) and the check time.
"""

from __future__ import annotations

import gc
import json
import signal
import sys
from datetime import datetime
from pathlib import Path

from scrapy.crawler import Crawler
from scrapy.settings import Settings as ScrapySettings
from sqlalchemy import create_engine

import spiders.revisit_pipeline  # noqa: F401 - loaded by name by Scrapy; imported before gc.freeze()
from pipeline.archive import WarcArchive
from pipeline.config import load_outlets
from pipeline.revisit.schedule import Target
from pipeline.storage import CrawlConnection
from spiders.context import CrawlContext
from spiders.revisit_spider import RevisitSpider
from spiders.run import (
    EXIT_DATABASE_UNAVAILABLE,
    _configure_logging,
    _die_with_parent,
    crawler_process,
    outlet_context,
)
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
    level = job.get("log_level", "WARNING")
    _configure_logging(level)
    config = load_outlets(Path(job["outlets_file"]))
    engine = create_engine(job["database_url"], pool_size=2, max_overflow=2)
    db = CrawlConnection(engine)
    process = crawler_process(level)
    checked_at = datetime.fromisoformat(job["checked_at"])
    archives: list[WarcArchive] = []
    contexts: list[CrawlContext] = []
    for name in job["outlets"]:
        targets = [Target(**t) for t in job["targets"].get(name, [])]
        if not targets:
            continue
        outlet = config.get(name)
        outlet_id = job["outlet_ids"][name]
        context = outlet_context(job, engine, db, name, outlet, outlet_id, len(targets))
        archives.append(context.archive)
        contexts.append(context)
        settings = ScrapySettings(revisit_settings(outlet, job["user_agent"], level))
        crawler = Crawler(RevisitSpider, settings, init_reactor=not contexts[:-1])
        process.crawl(crawler, context=context, targets=targets, checked_at=checked_at)
    gc.freeze()
    stop = RevisitStop(contexts, db, archives)
    try:
        if contexts:
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, stop.on_signal)
            process.start(install_signal_handlers=False)
    finally:
        for archive in archives:
            archive.close()
        db.close()
        engine.dispose()
    if any(c.database_error for c in contexts):
        return EXIT_DATABASE_UNAVAILABLE
    return 0


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m spiders.revisit_run JOB.json", file=sys.stderr)
        return 2
    _die_with_parent()
    return run_job(json.loads(Path(argv[1]).read_text(encoding="utf-8")))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
