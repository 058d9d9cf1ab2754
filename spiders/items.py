"""Items passed from the spider to the item pipelines."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class ArticlePage:
    """An HTML response that may hold an article; extraction fills ``extracted``.

    ``body`` is the response's bytes, ``headers`` the ones decoding and wall recognition
    read, ``status`` its HTTP status: the extraction worker decodes the page itself."""

    fetch_id: int | None
    requested_url: str
    final_url: str
    body: bytes
    headers: dict[str, str]
    status: int
    feed_published: datetime | None = None
    feed_published_raw: str | None = None
    extracted: Any = None
    canonical_url: str | None = None
    urls: list[str] = field(default_factory=list)

    def __repr__(self) -> str:  # keeps Scrapy's "Dropped" log lines short
        return f"ArticlePage(fetch_id={self.fetch_id}, url={self.final_url!r})"
