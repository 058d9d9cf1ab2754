"""Article extraction: clean text and provenance-grade metadata from one HTML page.

The ingestion spine calls :func:`extract_article` with :class:`ExtractionHints`; a page
that holds no article raises :class:`NotAnArticle` (``.reason`` says why).

The light types (hints, result, rejection, EXTRACTOR_ID) come from
``pipeline.extraction.types``, which does not import trafilatura: the crawl process, which
never extracts (its workers do), imports them without the extraction stack.
``extract_article`` is imported on first use (PEP 562).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pipeline.extraction.types import EXTRACTOR_ID, ExtractedArticle, ExtractionHints, NotAnArticle

if TYPE_CHECKING:
    from pipeline.extraction.core import extract_article

__all__ = [
    "EXTRACTOR_ID",
    "ExtractedArticle",
    "ExtractionHints",
    "NotAnArticle",
    "extract_article",
]


def __getattr__(name: str) -> Any:
    if name == "extract_article":
        from pipeline.extraction.core import extract_article

        return extract_article
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
