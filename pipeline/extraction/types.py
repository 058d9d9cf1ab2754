"""The extraction's light types: what the crawl process needs without the extraction stack.

The crawl process builds :class:`ExtractionHints`, receives :class:`ExtractedArticle` or
:class:`NotAnArticle` from its extraction workers and stores :data:`EXTRACTOR_ID`; it never
extracts. None of this imports trafilatura (its import costs about 0.24 s of CPU per crawl):
the version in EXTRACTOR_ID is read from the installed package's metadata, the same string
as ``trafilatura.__version__``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from importlib.metadata import version

# Bump on any change of output: reprocessing and stored provenance key on it.
EXTRACTOR_VERSION = "1.8"
TRAFILATURA_VERSION = version("trafilatura")
EXTRACTOR_ID = f"dadkhah-extract/{EXTRACTOR_VERSION} trafilatura/{TRAFILATURA_VERSION}"


@dataclass(frozen=True)
class ExtractionHints:
    url: str
    language: str | None = None
    feed_published: datetime | None = None
    feed_published_raw: str | None = None
    drop_selectors: tuple[str, ...] = ()
    drop_line_patterns: tuple[str, ...] = ()


@dataclass
class ExtractedArticle:
    title: str | None
    authors: list[str]
    published_at: datetime | None
    published_raw: str | None
    published_calendar: str | None
    published_method: str | None
    language: str | None
    site_name: str | None
    text: str
    extractor: str
    extractor_settings: dict = field(default_factory=dict)
    # The URLs the page declares for itself in <head> (rel=canonical, then og:url), as
    # written: storage picks the canonical URL from them without parsing the page again.
    declared_urls: list[str] = field(default_factory=list)

    # The publication day in the page's own time zone (see dates.FoundDate.local_day).
    published_local_day: date | None = None

    @property
    def published_day(self) -> date | None:
        """The publication day in the page's own time zone (its offset as written), not UTC."""
        if self.published_local_day is not None:
            return self.published_local_day
        return self.published_at.date() if self.published_at is not None else None


class NotAnArticle(Exception):  # noqa: N818 - the contract's name
    """The page holds no article. ``reason`` is a short machine-readable code."""

    def __init__(self, reason: str, message: str | None = None) -> None:
        super().__init__(message or reason)
        self.reason = reason
