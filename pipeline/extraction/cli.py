"""``dadkhah extract``: run the pipeline's extraction on saved HTML files, print JSON lines."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Annotated

import typer

from pipeline.extraction.core import ExtractionHints, NotAnArticle, extract_article
from pipeline.extraction.decode import BinaryContent, read_saved_page


def _canonical_link(html: str) -> str | None:
    m = re.search(r"""<link[^>]+rel=["']?canonical["']?[^>]*>""", html[:200000], re.I)
    if not m:
        return None
    href = re.search(r"""href=["']([^"']+)["']""", m.group(0), re.I)
    return href.group(1) if href else None


def extract_file(path: Path, url: str | None = None) -> dict:
    """One saved page -> the JSON-able record ``dadkhah extract`` prints."""
    try:
        html, encoding = read_saved_page(path)
    except BinaryContent as exc:
        return {"path": str(path), "binary": exc.reason, "error": f"not text: {exc.reason}"}
    page_url = url or _canonical_link(html) or path.resolve().as_uri()
    record: dict = {"path": str(path), "encoding": encoding}
    try:
        article = extract_article(html, ExtractionHints(url=page_url))
    except NotAnArticle as exc:
        record.update(not_an_article=exc.reason, error=str(exc))
        return record
    record.update(
        title=article.title,
        authors=article.authors,
        published_at=article.published_at.isoformat() if article.published_at else None,
        published_raw=article.published_raw,
        published_calendar=article.published_calendar,
        published_method=article.published_method,
        language=article.language,
        site_name=article.site_name,
        extractor=article.extractor,
        text=article.text,
    )
    return record


def extract_command(
    paths: Annotated[
        list[Path],
        typer.Argument(help="Saved HTML files (.html or .html.gz).", exists=True, dir_okay=False),
    ],
    url: Annotated[
        str | None, typer.Option(help="The page's URL (default: its canonical link, else the path).")
    ] = None,
) -> None:
    """Extract saved pages with the pipeline's extractor; print one JSON object per line."""
    for path in paths:
        try:
            record = extract_file(path, url)
        except OSError as exc:
            record = {"path": str(path), "error": f"cannot read: {exc}"}
        sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":  # pragma: no cover - `python -m pipeline.extraction.cli FILE...`
    typer.run(extract_command)
