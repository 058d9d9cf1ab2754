"""Child-process entry point: crawl outlets with Scrapy, then exit.

Twisted's reactor starts once per process, so every crawl (from the CLI or from an
Airflow task) runs here, in a fresh interpreter: ``python -m spiders.run JOB.json``.
"""

from __future__ import annotations

import gc
import json
import logging
import sys
from pathlib import Path

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings as ScrapySettings
from sqlalchemy import create_engine

import spiders.pipelines  # noqa: F401 - Scrapy loads it by name later; imported now so gc.freeze() covers it
from pipeline.archive import WarcArchive
from pipeline.config import load_outlets
from pipeline.storage import CrawlConnection
from spiders.context import CrawlContext
from spiders.outlet_spider import OutletSpider
from spiders.settings import outlet_settings

LIBRARY_LOGGERS = ("scrapy", "trafilatura", "htmldate", "courlan", "justext")
GC_THRESHOLD = 20_000  # allocations between young-generation collections (Python's default: 700)


def run_job(job: dict) -> int:
    level = job.get("log_level", "WARNING")
    # dadkhah's progress lines at INFO on their own handler; Scrapy's chatter at `level`.
    ours = logging.getLogger("dadkhah")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    ours.addHandler(handler)
    ours.setLevel(logging.INFO)
    ours.propagate = False
    config = load_outlets(Path(job["outlets_file"]))
    engine = create_engine(job["database_url"], pool_size=2, max_overflow=2)
    db = CrawlConnection(engine)
    process = CrawlerProcess({"LOG_LEVEL": level, "LOG_INSTALL_ROOT_HANDLER": True})
    # The root handler drops records below `level` anyway; at the loggers themselves the
    # debug lines of Scrapy (set to DEBUG by Scrapy) and the extraction libraries (root
    # level NOTSET) are not even built as records (several per page).
    for name in LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(level)
    archives: list[WarcArchive] = []
    for index, name in enumerate(job["outlets"]):
        outlet = config.get(name)
        archive = WarcArchive(
            Path(job["archive_dir"]),
            outlet_id=job["outlet_ids"][name],
            run_id=job["run_id"],
            software=job["software"],
            outlet_name=name,
            run_uid=job["run_uid"],
        )
        archives.append(archive)
        context = CrawlContext(
            engine=engine,
            db=db,
            run_id=job["run_id"],
            run_uid=job["run_uid"],
            outlet=outlet,
            outlet_id=job["outlet_ids"][name],
            archive=archive,
            max_articles=job.get("max_articles") or outlet.max_articles_per_run,
        )
        settings = ScrapySettings(
            outlet_settings(outlet, job["user_agent"], log_level=job.get("log_level", "WARNING"))
        )
        # The first crawler installs the reactor; the others share it.
        process.crawl(Crawler(OutletSpider, settings, init_reactor=index == 0), context=context)
    # Everything alive now (modules, settings, the spiders) lives as long as the process:
    # keep the cyclic collector from walking it again and again, and let it run less often
    # (lxml trees and Scrapy requests make many short-lived objects, few cycles).
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, 20, 20)
    try:
        process.start()
    finally:
        for archive in archives:
            archive.close()
        db.close()
        engine.dispose()
    return 0


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m spiders.run JOB.json", file=sys.stderr)
        return 2
    job = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    return run_job(job)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
