"""Child-process entry point: crawl outlets with Scrapy, then exit.

Twisted's reactor starts once per process, so every crawl (from the CLI or from an
Airflow task) runs here, in a fresh interpreter: ``python -m spiders.run JOB.json``.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings as ScrapySettings
from sqlalchemy import Engine, create_engine

import spiders.pipelines  # noqa: F401 - Scrapy loads it by name later; imported now so gc.freeze() covers it
from pipeline.archive import WarcArchive
from pipeline.config import OutletsConfig, load_outlets
from pipeline.locks import OutletLocks
from pipeline.storage import CrawlConnection, save_outlet_run
from spiders.context import CrawlContext
from spiders.outlet_spider import OutletSpider
from spiders.settings import outlet_settings
from spiders.shutdown import GracefulStop

LIBRARY_LOGGERS = ("scrapy", "trafilatura", "htmldate", "courlan", "justext")
GC_THRESHOLD = 20_000  # allocations between young-generation collections (Python's default: 700)
# Every line the child logs starts with its time and level, so that the parent can pass each
# record on at its own level (pipeline.child_logs); a traceback's lines follow their record.
LOG_FORMAT = "%(asctime)s %(levelname)s [%(name)s] %(message)s"
LOG_DATE_FORMAT = "%H:%M:%S"
EXIT_DATABASE_UNAVAILABLE = 3


class _OneLineErrors(logging.Filter):
    """Scrapy logs a failed robots.txt download with a full traceback before the useful
    line; the fetch log already records the failure, so the record keeps its message only."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info = None
        record.exc_text = None
        return True


def _configure_logging(level: str) -> None:
    # dadkhah's progress lines at INFO on their own handler; Scrapy's chatter at `level`.
    ours = logging.getLogger("dadkhah")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(LOG_FORMAT, LOG_DATE_FORMAT))
    ours.addHandler(handler)
    ours.setLevel(logging.INFO)
    ours.propagate = False
    logging.getLogger("scrapy.downloadermiddlewares.robotstxt").addFilter(_OneLineErrors())


def crawler_process(level: str) -> CrawlerProcess:
    """The Scrapy process a crawl child runs its spiders in (ingestion and revisits alike):
    one root handler in the line format the parent relays (pipeline.child_logs)."""
    process = CrawlerProcess(
        {
            "LOG_LEVEL": level,
            "LOG_INSTALL_ROOT_HANDLER": True,
            "LOG_FORMAT": LOG_FORMAT,
            "LOG_DATEFORMAT": LOG_DATE_FORMAT,
        }
    )
    # The root handler drops records below `level` anyway; at the loggers themselves the
    # debug lines of Scrapy (set to DEBUG by Scrapy) and the extraction libraries (root
    # level NOTSET) are not even built as records (several per page).
    for name in LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(level)
    return process


def outlet_context(
    job: dict, engine, db: CrawlConnection, name: str, outlet, outlet_id: int, max_articles: int
) -> CrawlContext:
    """One outlet's crawl context with its own WARC archive (named after outlet and run)."""
    archive = WarcArchive(
        Path(job["archive_dir"]),
        outlet_id=outlet_id,
        run_id=job["run_id"],
        software=job["software"],
        outlet_name=name,
        run_uid=job["run_uid"],
    )
    return CrawlContext(
        engine=engine,
        db=db,
        run_id=job["run_id"],
        run_uid=job["run_uid"],
        outlet=outlet,
        outlet_id=outlet_id,
        archive=archive,
        max_articles=max_articles,
    )


@dataclass
class CrawlJob:
    """What every crawl child opens before its spiders start (ingestion and revisits alike):
    logging in the parent's line format, the outlets file, one engine and connection, and
    the Scrapy process; `run` starts the spiders and closes everything, whatever happens."""

    level: str
    config: OutletsConfig
    engine: Engine
    db: CrawlConnection
    process: CrawlerProcess

    @classmethod
    def open(cls, job: dict) -> CrawlJob:
        level = job.get("log_level", "WARNING")
        _configure_logging(level)
        config = load_outlets(Path(job["outlets_file"]))
        # The URL carries the connect timeout (pipeline.db), so no connection attempt hangs.
        engine = create_engine(job["database_url"], pool_size=2, max_overflow=2)
        return cls(level, config, engine, CrawlConnection(engine), crawler_process(level))

    def run(
        self,
        contexts: list[CrawlContext],
        stop: GracefulStop,
        release: Callable[[], None] = lambda: None,
    ) -> int:
        """Run the spiders already added to the process; the exit code says whether the
        database went away during the crawl (so the parent never reports success)."""
        # Everything alive now (modules, settings, the spiders) lives as long as the process:
        # keep the cyclic collector from walking it again and again, and let it run less often
        # (lxml trees and Scrapy requests make many short-lived objects, few cycles).
        gc.freeze()
        gc.set_threshold(GC_THRESHOLD, 20, 20)
        try:
            if contexts:
                # SIGINT and SIGTERM (Ctrl-C, Docker, systemd, Airflow, or the parent's death)
                # record what was in flight and end the crawl at once (spiders.shutdown).
                for signum in (signal.SIGINT, signal.SIGTERM):
                    signal.signal(signum, stop.on_signal)
                self.process.start(install_signal_handlers=False)
        finally:
            for context in contexts:
                context.archive.close()
            self.db.close()
            release()
            self.engine.dispose()
        if any(c.database_error for c in contexts):
            return EXIT_DATABASE_UNAVAILABLE
        return 0


def run_job(job: dict) -> int:
    crawl = CrawlJob.open(job)
    locks = OutletLocks(crawl.engine, label=f"dadkhah crawl run {job['run_id']} (pid {os.getpid()})")
    contexts: list[CrawlContext] = []
    try:
        for name in job["outlets"]:
            outlet = crawl.config.get(name)
            outlet_id = job["outlet_ids"][name]
            holder = locks.acquire(outlet_id)
            if holder is not None:
                # Another process crawls this outlet right now: skip it, and say so.
                message = f"skipped: another crawl of this outlet is in progress ({holder})"
                logging.getLogger("dadkhah.crawl").warning("[%s] %s", name, message)
                save_outlet_run(
                    crawl.engine,
                    run_id=job["run_id"],
                    outlet_id=outlet_id,
                    status="skipped",
                    stats={},
                    error=message,
                    finished=True,
                )
                continue
            max_articles = job.get("max_articles") or outlet.max_articles_per_run
            context = outlet_context(job, crawl.engine, crawl.db, name, outlet, outlet_id, max_articles)
            contexts.append(context)
            settings = ScrapySettings(outlet_settings(outlet, job["user_agent"], log_level=crawl.level))
            # The first crawler installs the reactor; the others share it.
            crawl.process.crawl(
                Crawler(OutletSpider, settings, init_reactor=len(contexts) == 1), context=context
            )
    except BaseException:
        for context in contexts:
            context.archive.close()
        locks.release()
        raise
    return crawl.run(contexts, GracefulStop(contexts, crawl.db, [c.archive for c in contexts]), locks.release)


def _die_with_parent() -> None:
    """Ask the kernel for SIGTERM when the parent dies (Linux), so that a killed `dadkhah run`
    or Airflow task never leaves this crawl running on its own; SIGTERM then records what
    was in flight (spiders.shutdown)."""
    expected = os.environ.get("DADKHAH_PARENT_PID")
    if not expected or not sys.platform.startswith("linux"):
        return
    import ctypes

    pr_set_pdeathsig = 1
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != int(expected):  # the parent died before the request was made
        sys.exit(128 + signal.SIGTERM)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m spiders.run JOB.json", file=sys.stderr)
        return 2
    _die_with_parent()
    job = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    return run_job(job)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
