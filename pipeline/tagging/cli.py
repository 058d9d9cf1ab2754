"""``dadkhah tag``: tag the articles that need it (registered by ``pipeline.cli``)."""

from __future__ import annotations

import typer

from pipeline.db import DatabaseUnavailable, get_engine
from pipeline.settings import Settings
from pipeline.tagging.store import tag_pending
from pipeline.tagging.taxonomy import TaxonomyError


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
        counts = tag_pending(engine, settings.topics_file, retag=retag)
    except (TaxonomyError, DatabaseUnavailable) as exc:
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
