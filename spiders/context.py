"""What one outlet's crawl shares between spider, middlewares and item pipelines."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from pipeline.archive import WarcArchive
from pipeline.config import OutletConfig
from pipeline.storage import CrawlConnection


@dataclass
class OutletStats:
    """Counts a person reads in logs and in `dadkhah status`."""

    discovered: int = 0
    skipped_known: int = 0
    skipped_cap: int = 0
    fetched: int = 0
    stored: int = 0
    duplicate: int = 0
    not_article: int = 0
    not_modified: int = 0
    failed: int = 0
    scheduled: int = 0  # article requests sent (new candidates within the cap)
    sources_ok: int = 0  # discovery documents read (parsed, or 304 not modified)
    sources_failed: int = 0  # discovery documents that could not be fetched or parsed
    failures: Counter[str] = field(default_factory=Counter)
    failure_examples: dict[str, str] = field(default_factory=dict)
    new_article_ids: list[int] = field(default_factory=list)

    def fail(self, reason: str, detail: str) -> None:
        self.failed += 1
        self.failures[reason] += 1
        self.failure_examples.setdefault(reason, detail[:300])

    def as_dict(self) -> dict[str, Any]:
        return {
            "discovered": self.discovered,
            "skipped_known": self.skipped_known,
            "skipped_cap": self.skipped_cap,
            "fetched": self.fetched,
            "stored": self.stored,
            "duplicate": self.duplicate,
            "not_article": self.not_article,
            "not_modified": self.not_modified,
            "failed": self.failed,
            "scheduled": self.scheduled,
            "sources_ok": self.sources_ok,
            "sources_failed": self.sources_failed,
            "failures": dict(self.failures),
            "failure_examples": self.failure_examples,
            "new_article_ids": self.new_article_ids,
        }

    def progress_line(self, outlet: str) -> str:
        return (
            f"[{outlet}] discovered {self.discovered} (already stored {self.skipped_known}) / "
            f"fetched {self.fetched} / stored {self.stored} / duplicate {self.duplicate} / "
            f"not an article {self.not_article} / failed {self.failed}"
        )


def outlet_verdict(stats: dict[str, Any], *, finished: bool) -> str | None:
    """Why an outlet's pass failed, or None when it succeeded.

    A pass failed when the crawl did not finish, when every discovery source failed (no
    feed, sitemap or listing was read), or when articles were found but none could be
    fetched or stored. A pass that read its sources and found nothing new succeeded.
    """
    if not finished:
        return "the crawl did not finish"
    if stats.get("sources_ok", 0) == 0 and stats.get("sources_failed", 0) > 0:
        failures = stats.get("failures") or {}
        why = ", ".join(f"{k} {v}" for k, v in sorted(failures.items())) or "unknown"
        return f"every discovery source failed ({why})"
    handled = sum(int(stats.get(k, 0)) for k in ("stored", "duplicate", "not_article"))
    if stats.get("scheduled", 0) > 0 and handled == 0:
        return f"{stats['scheduled']} article(s) found but none could be fetched or stored"
    return None


@dataclass
class CrawlContext:
    engine: Engine
    db: CrawlConnection  # the per-exchange writes (fetch log, outcomes, articles)
    run_id: int
    run_uid: str
    outlet: OutletConfig
    outlet_id: int
    archive: WarcArchive
    max_articles: int
    stats: OutletStats = field(default_factory=OutletStats)
    # Set when a write to the database failed for good: the crawl stops fetching, since it
    # could no longer log what it fetched.
    database_error: str | None = None
    # Requests handed to the downloader and not yet answered (id -> request): what a
    # shutdown records as interrupted.
    in_flight: dict[int, Any] = field(default_factory=dict)
    interrupted: str | None = None  # set by a shutdown signal (spiders.shutdown)
    closed_reason: str | None = None  # set when the spider closed (its run is recorded)
