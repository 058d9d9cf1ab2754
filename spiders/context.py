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
