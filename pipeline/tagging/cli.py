"""``dadkhah tag``: tag the articles that need it (registered by ``pipeline.cli``)."""

from __future__ import annotations

import sys
import time

import typer

from pipeline.db import DatabaseUnavailable, get_engine
from pipeline.settings import Settings
from pipeline.tagging.embedder import ModelUnavailable
from pipeline.tagging.store import tag_pending
from pipeline.tagging.taxonomy import TaxonomyError


class _Progress:
    """Progress on stderr: articles done of total, rate and time left, at most every 2 s."""

    def __init__(self, every: float = 2.0) -> None:
        self.start = time.monotonic()
        self.last = 0.0
        self.every = every

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done and done < total and now - self.last < self.every:
            return
        self.last = now
        elapsed = now - self.start
        rate = done / elapsed if elapsed > 0 else 0.0
        left = (total - done) / rate if rate else 0.0
        pct = 100.0 * done / total if total else 100.0
        print(
            f"tagging: {done}/{total} articles ({pct:.1f}%), {rate:.1f}/s, about {left / 60:.0f} min left",
            file=sys.stderr,
            flush=True,
        )


def tag_command(
    retag: bool = typer.Option(
        False,
        "--retag",
        help="Re-tag every article, not only new, changed or affected ones.",
    ),
) -> None:
    """Tag articles with topics and facets from the taxonomy file (DADKHAH_TOPICS_FILE)."""
    settings = Settings.from_env()
    try:
        engine = get_engine(settings)
        counts = tag_pending(engine, settings.topics_file, retag=retag, progress=_Progress())
    except (TaxonomyError, DatabaseUnavailable, ModelUnavailable) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=3 if isinstance(exc, DatabaseUnavailable) else 2) from exc
    typer.echo(
        f"taxonomy {counts['taxonomy_version']} ({counts['method']}): "
        f"examined {counts['examined']}, tagged {counts['tagged']}, "
        f"unchanged {counts['unchanged']}, facet hits {counts['facets']}; "
        f"{counts['events']} queued changes handled"
        + ("; the archive was walked (new configuration or --retag)" if counts["swept"] else "")
    )
    for slug, n in sorted(counts["topics"].items(), key=lambda kv: (-kv[1], kv[0])):
        typer.echo(f"  {slug:<36} {n}")
