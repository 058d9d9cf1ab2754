"""The incremental feed: ``consumer.changes`` and ``dadkhah export --since CURSOR``.

A change id is handed out at commit, in commit order (migration 0009), so "everything after
the cursor I last saw" never skips or repeats a change. An export reads the changes and the
articles in one REPEATABLE READ snapshot, writes each changed article once (its current state,
with sources, topics and cluster), and returns the next cursor: the highest change id that
snapshot held. Rows stream from a server-side cursor: memory stays flat however large.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import IO, Annotated, Any

import typer
from sqlalchemy import Engine, text

from pipeline.db import get_engine
from pipeline.settings import Settings

FORMATS = ("jsonl", "csv")  # parquet: pyarrow is not in the lock
STREAM_ROWS = 500

_UPTO = text("SELECT coalesce(max(change_id), 0) FROM consumer.changes")
_EXPORT = text(
    """
    WITH ch AS (
        SELECT article_id, max(change_id) AS change_id, array_agg(DISTINCT kind) AS kinds
          FROM consumer.changes
         WHERE change_id > :since AND change_id <= :upto
         GROUP BY article_id
    )
    SELECT ch.change_id, ch.kinds, a.*, src.sources, cl.cluster
      FROM ch
      JOIN consumer.articles a ON a.article_id = ch.article_id
      LEFT JOIN LATERAL (
            SELECT coalesce(jsonb_agg(to_jsonb(s) - 'article_id' ORDER BY s.fetched_at, s.fetch_id),
                            '[]'::jsonb) AS sources
              FROM consumer.article_sources s WHERE s.article_id = a.article_id
           ) src ON true
      LEFT JOIN LATERAL (
            SELECT to_jsonb(c) AS cluster FROM consumer.clusters c WHERE c.cluster_id = a.cluster_id
           ) cl ON true
     ORDER BY ch.change_id
    """
)


class ExportResult:
    """What an export wrote and where the next one starts."""

    def __init__(self, since: int, next_cursor: int, articles: int) -> None:
        self.since, self.next_cursor, self.articles = since, next_cursor, articles


def iter_changed_articles(engine: Engine, since: int) -> tuple[int, Iterator[dict[str, Any]]]:
    """(next cursor, rows): the articles changed after ``since``, streamed from one snapshot."""
    conn = engine.connect().execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    trans = conn.begin()
    upto = int(conn.execute(_UPTO).scalar_one())
    upto = max(upto, since)

    def rows() -> Iterator[dict[str, Any]]:
        try:
            result = conn.execution_options(stream_results=True, yield_per=STREAM_ROWS).execute(
                _EXPORT, {"since": since, "upto": upto}
            )
            for row in result.mappings():
                yield dict(row)
        finally:
            trans.rollback()
            conn.close()

    return upto, rows()


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _write_jsonl(rows: Iterator[dict[str, Any]], out: IO[str]) -> int:
    n = 0
    for row in rows:
        out.write(json.dumps({k: _plain(v) for k, v in row.items()}, ensure_ascii=False, default=str))
        out.write("\n")
        n += 1
    return n


def _write_csv(rows: Iterator[dict[str, Any]], out: IO[str]) -> int:
    """Nested values (lists, sources, cluster) as JSON text in their cell."""
    writer: csv.DictWriter | None = None
    n = 0
    for row in rows:
        flat = {
            k: json.dumps(v, ensure_ascii=False, default=str) if isinstance(v, (list, dict)) else _plain(v)
            for k, v in row.items()
        }
        if writer is None:
            writer = csv.DictWriter(out, fieldnames=list(flat))
            writer.writeheader()
        writer.writerow(flat)
        n += 1
    return n


def export(engine: Engine, since: int, out: IO[str], fmt: str = "jsonl") -> ExportResult:
    """Write the articles changed after cursor ``since`` to ``out``; return the next cursor."""
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
    upto, rows = iter_changed_articles(engine, since)
    n = (_write_jsonl if fmt == "jsonl" else _write_csv)(rows, out)
    return ExportResult(since, upto, n)


@contextmanager
def _output(path: Path | None) -> Iterator[IO[str]]:
    if path is None:
        yield sys.stdout
        return
    # Written beside, renamed when complete: a failed export never leaves a partial file.
    partial = path.with_name(path.name + ".partial")
    with partial.open("w", encoding="utf-8", newline="") as handle:
        yield handle
    partial.replace(path)


def export_command(
    since: Annotated[int, typer.Option(min=0, help="The cursor the previous export printed (0: all).")] = 0,
    fmt: Annotated[str, typer.Option("--format", help="jsonl or csv.")] = "jsonl",
    out: Annotated[Path | None, typer.Option(help="Write here instead of standard output.")] = None,
) -> None:
    """Write the articles changed since CURSOR (with sources, topics, cluster); print the next cursor."""
    if fmt not in FORMATS:
        raise typer.BadParameter(f"{fmt!r} is not one of {', '.join(FORMATS)} (parquet: not supported)")
    engine = get_engine(Settings.from_env())
    with _output(out) as handle:
        result = export(engine, since, handle, fmt)
    typer.echo(
        f"exported {result.articles} articles changed after {since}; next cursor {result.next_cursor}",
        err=True,
    )
    if out is not None:
        typer.echo(str(result.next_cursor))
