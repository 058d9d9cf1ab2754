"""Ending a crawl on SIGINT or SIGTERM: what was in flight is recorded, then the crawl stops.

Ctrl-C, `docker stop`, systemd, Airflow's supervisor and the parent's death (the child asks
the kernel for SIGTERM then) all end here. Every exchange already logged is committed and its
WARC record on disk, so the process can end at once: the requests still in flight are logged
as `interrupted`, each outlet's run is closed as `interrupted` with its counts so far, the
WARC files are closed (flushed and fsynced), and the process exits with 128 + the signal.
Waiting for Scrapy's own graceful close instead would wait for every download in flight,
up to its timeout, and archive answers after the moment the user asked to stop.
"""

from __future__ import annotations

import logging
import os
import signal
from types import FrameType

from pipeline.archive import WarcArchive
from pipeline.storage import CrawlConnection, interrupt_unhandled, record_fetch, save_outlet_run
from spiders.context import CrawlContext
from spiders.fetchlog import base_record

log = logging.getLogger("dadkhah.crawl")


class GracefulStop:
    def __init__(
        self, contexts: list[CrawlContext], db: CrawlConnection, archives: list[WarcArchive]
    ) -> None:
        self.contexts = contexts
        self.db = db
        self.archives = archives
        self.signal_name: str | None = None

    def on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self.signal_name is not None:
            # A second Ctrl-C: the user insists. A repeated SIGTERM is not a user: the kernel
            # sends the parent-death signal again each time the child is handed to another
            # thread of its dying parent, so it is ignored while the stop is under way.
            if signum == signal.SIGINT:
                os._exit(128 + signum)
            return
        self.signal_name = signal.Signals(signum).name
        from twisted.internet import reactor

        # Run between two reactor callbacks, never inside a half-done database write.
        reactor.callFromThread(self.stop, 128 + signum)  # type: ignore[attr-defined]

    def stop(self, exit_code: int) -> None:
        why = f"interrupted by {self.signal_name}"
        log.warning("%s: recording what is in flight and stopping", why)
        for context in self.contexts:
            if context.closed_reason is not None:
                continue  # this outlet's crawl had ended: its run is recorded as it was
            try:
                self._close_outlet(context, why)
            except Exception as exc:  # noqa: BLE001 - the other outlets are still recorded
                log.error("[%s] could not record the interruption: %s", context.outlet.name, exc)
        for archive in self.archives:
            try:
                archive.close()
            except Exception as exc:  # noqa: BLE001
                log.error("could not close %s: %s", getattr(archive, "path", archive), exc)
        for handler in logging.getLogger("dadkhah").handlers + logging.getLogger().handlers:
            handler.flush()
        os._exit(exit_code)  # the lock connection goes with the process

    def _record_in_flight(self, context: CrawlContext, why: str) -> None:
        """Log every request still in flight as ``interrupted``, with the reason."""
        context.interrupted = why
        for request in list(context.in_flight.values()):
            record = base_record(context, request)
            record.outcome = "interrupted"
            record.error = f"{why} while this request was in flight"
            record_fetch(self.db, record)
        context.in_flight.clear()

    def _close_outlet(self, context: CrawlContext, why: str) -> None:
        self._record_in_flight(context, why)
        interrupt_unhandled(self.db, context.run_id, why, context.outlet_id)
        stats = context.stats.as_dict()
        save_outlet_run(
            context.engine,
            run_id=context.run_id,
            outlet_id=context.outlet_id,
            status="interrupted",
            stats=stats,
            error=why,
            finished=True,
        )
        log.info(context.stats.progress_line(context.outlet.name))
