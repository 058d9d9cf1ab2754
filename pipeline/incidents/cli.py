"""``dadkhah incidents``: the register as monitors keep it in their spreadsheets."""

from __future__ import annotations

import csv
import json
import sys
from datetime import date, datetime
from typing import IO, Annotated, Any

import typer

from pipeline.cli_options import parse_since
from pipeline.db import get_engine
from pipeline.incidents.extract import KINDS
from pipeline.incidents.store import export_rows, extract_pending
from pipeline.settings import Settings

FORMATS = ("csv", "jsonl")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def write_rows(rows: list[dict[str, Any]], out: IO[str], fmt: str) -> int:
    """Write register rows as JSON lines or CSV (lists and objects as JSON in a cell)."""
    if fmt == "jsonl":
        for row in rows:
            out.write(
                json.dumps({k: _plain(v) for k, v in row.items()}, ensure_ascii=False, default=str) + "\n"
            )
        return len(rows)
    writer: csv.DictWriter | None = None
    for row in rows:
        flat = {
            k: json.dumps(v, ensure_ascii=False, default=str) if isinstance(v, list | dict) else _plain(v)
            for k, v in row.items()
        }
        if writer is None:
            writer = csv.DictWriter(out, fieldnames=list(flat))
            writer.writeheader()
        writer.writerow(flat)
    return len(rows)


def incidents_command(
    since: Annotated[
        str | None,
        typer.Option(help="Only incidents on or after this ISO date (undated ones: first reported since)."),
    ] = None,
    kind: Annotated[str | None, typer.Option(help=f"One kind: {', '.join(KINDS)}.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="csv or jsonl.")] = "csv",
    update: Annotated[
        bool, typer.Option("--update", help="First read the articles that changed since the last extraction.")
    ] = False,
) -> None:
    """Write the incident register (consumer.incidents) to standard output."""
    if fmt not in FORMATS:
        raise typer.BadParameter(f"{fmt!r} is not one of {', '.join(FORMATS)}", param_hint="--format")
    if kind is not None and kind not in KINDS:
        raise typer.BadParameter(f"{kind!r} is not one of {', '.join(KINDS)}", param_hint="--kind")
    when = parse_since(since)
    engine = get_engine(Settings.from_env())
    if update:
        counts = extract_pending(engine)
        typer.echo(
            f"incidents: examined {counts['examined']} articles, {counts['mentions']} mentions, "
            f"{counts['incidents_created']} new incidents, {counts['incidents_merged']} merged",
            err=True,
        )
    rows = export_rows(engine, since=when, kind=kind)
    n = write_rows(rows, sys.stdout, fmt)
    typer.echo(f"{n} incidents", err=True)
