"""Article extraction: clean text and provenance-grade metadata from one HTML page.

The ingestion spine calls :func:`extract_article` with :class:`ExtractionHints`; a page
that holds no article raises :class:`NotAnArticle` (``.reason`` says why).
"""

from pipeline.extraction.core import (
    EXTRACTOR_ID,
    ExtractedArticle,
    ExtractionHints,
    NotAnArticle,
    extract_article,
)

__all__ = [
    "EXTRACTOR_ID",
    "ExtractedArticle",
    "ExtractionHints",
    "NotAnArticle",
    "extract_article",
]
