"""``dadkhah search``: full-text search over the archive through ``consumer.search``.

The ranking, the language handling (English stemmed; Persian and other languages folded like
``pipeline/textnorm.py``: letter variants, digits, ZWNJ) and the highlighted snippet are done
in PostgreSQL, so other tools calling ``consumer.search(...)`` get the same answers.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from sqlalchemy import Engine, text

from pipeline.db import get_engine
from pipeline.settings import Settings

_SEARCH = text(
    "SELECT article_id, outlet, url, title, published_at, language, rank, snippet "
    "FROM consumer.search(:query, :outlet, :topic, :since, :max_rows)"
)


def search(
    engine: Engine,
    query: str,
    *,
    outlet: str | None = None,
    topic: str | None = None,
    since: datetime | None = None,
    limit: int = 20,
) -> list[dict[str, Any]]:
    """Ranked matches of ``query`` (web-search syntax: words, "phrases", -not, or)."""
    with engine.connect() as conn:
        rows = conn.execute(
            _SEARCH,
            {"query": query, "outlet": outlet, "topic": topic, "since": since, "max_rows": limit},
        ).mappings()
        return [dict(row) for row in rows]


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in row.items()}


def search_command(
    query: Annotated[str, typer.Argument(help='Words, "a phrase", -excluded, or: web-search syntax.')],
    outlet: Annotated[str | None, typer.Option(help="Only this outlet (its name).")] = None,
    topic: Annotated[str | None, typer.Option(help="Only articles tagged with this topic slug.")] = None,
    since: Annotated[
        datetime | None, typer.Option(help="Only articles published at or after this date/time (UTC).")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="At most this many results.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Search titles and texts (English and Persian), best matches first, with a snippet."""
    if not query.strip():
        raise typer.BadParameter("the query is empty", param_hint="QUERY")
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)  # as the help says, whatever the session's time zone
    engine = get_engine(Settings.from_env())
    rows = search(engine, query, outlet=outlet, topic=topic, since=since, limit=limit)
    if as_json:
        for row in rows:
            typer.echo(json.dumps(_jsonable(row), ensure_ascii=False))
        return
    if not rows:
        typer.echo("no matches", err=True)
        return
    for row in rows:
        when = row["published_at"].date().isoformat() if row["published_at"] else "undated"
        typer.echo(f"{row['rank']:.3f}  {when}  {row['outlet']}  #{row['article_id']}  {row['title'] or ''}")
        typer.echo(f"       {row['url']}")
        typer.echo(f"       {' '.join((row['snippet'] or '').split())}")
