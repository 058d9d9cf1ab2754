"""`dadkhah archive verify`: every recorded WARC location still reads back to its hash.

A fetch row promises that the response record at ``warc_file@warc_offset`` holds a body
whose SHA-256 is ``raw_sha256``. This command re-reads every such record (optionally one
outlet's, or those fetched since a date) and lists each broken promise. It also reports
WARC files whose last gzip member was cut short by a killed writer (no row can point
there; reported so a person knows a crash happened).

Exit codes: 0 every location checked out; 5 at least one did not (each is listed);
2 bad arguments; 3 database unavailable. (``dadkhah run`` uses 0-4 and 130.)
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import Engine, select

from pipeline.archive import ArchiveError, read_response_record, resolve_inside, scan_members, sha256_hex
from pipeline.cli_options import parse_since
from schema.models import Fetch, Outlet

EXIT_MISMATCH = 5

archive_app = typer.Typer(help="The WARC archive.", no_args_is_help=True)


@dataclass
class VerifyResult:
    checked: int = 0
    files: int = 0
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _rows(engine: Engine, outlet: str | None, since: datetime | None) -> Iterator:
    query = (
        select(
            Fetch.fetch_id,
            Outlet.name.label("outlet"),
            Fetch.warc_file,
            Fetch.warc_offset,
            Fetch.warc_length,
            Fetch.warc_record_id,
            Fetch.raw_sha256,
        )
        .join(Outlet, Outlet.outlet_id == Fetch.outlet_id)
        .where(Fetch.warc_file.is_not(None))
        .order_by(Fetch.warc_file, Fetch.warc_offset, Fetch.fetch_id)
    )
    if outlet is not None:
        query = query.where(Outlet.name == outlet)
    if since is not None:
        query = query.where(Fetch.fetched_at >= since)
    with engine.connect() as conn:
        yield from conn.execution_options(stream_results=True, yield_per=1000).execute(query)


def _member_problem(path: Path, offset: int, length: int) -> str | None:
    """Why ``length`` bytes at ``offset`` are not exactly one gzip member, or None."""
    with open(path, "rb") as fh:
        fh.seek(offset)
        data = fh.read(length)
    if len(data) != length:
        return f"recorded length {length} runs past the end of the file"
    decomp = zlib.decompressobj(zlib.MAX_WBITS + 16)
    try:
        while data and not decomp.eof:
            decomp.decompress(data, 1 << 20)
            data = decomp.unconsumed_tail
    except zlib.error as exc:
        return f"recorded bytes are not a gzip member: {exc}"
    if not decomp.eof:
        return "recorded bytes end inside a gzip member"
    if decomp.unused_data:
        return f"recorded length {length} is longer than the member at that offset"
    return None


def _check(archive_dir: Path, row) -> str | None:
    """What is wrong with one fetch row's capture, or None."""
    if row.warc_offset is None:
        return "warc_file recorded without an offset"
    if not row.raw_sha256:
        return "no raw_sha256 recorded"
    path = resolve_inside(archive_dir, row.warc_file)
    if not path.is_file():
        return "WARC file missing"
    record = read_response_record(archive_dir, row.warc_file, row.warc_offset)
    actual = sha256_hex(record.body)
    if actual != row.raw_sha256:
        return f"body SHA-256 {actual} instead of {row.raw_sha256}"
    if row.warc_record_id and record.warc_headers.get("WARC-Record-ID") != row.warc_record_id:
        return f"record id {record.warc_headers.get('WARC-Record-ID')} instead of {row.warc_record_id}"
    if row.warc_length is not None:  # a reader that cuts by offset and length must get the record
        return _member_problem(path, row.warc_offset, row.warc_length)
    return None


def verify_archive(
    engine: Engine, archive_dir: Path, *, outlet: str | None = None, since: datetime | None = None
) -> VerifyResult:
    """Check every fetch row with a WARC location (filtered); failures are listed, not raised."""
    result = VerifyResult()
    seen_files: set[str] = set()
    for row in _rows(engine, outlet, since):
        result.checked += 1
        where = f"fetch {row.fetch_id} [{row.outlet}] {row.warc_file}@{row.warc_offset}"
        try:
            problem = _check(archive_dir, row)
        except Exception as exc:  # noqa: BLE001 - warcio raises assorted errors on garbage
            problem = f"unreadable: {type(exc).__name__}: {exc}"
        if problem:
            result.failures.append(f"{where}: {problem}")
        if row.warc_file not in seen_files:
            seen_files.add(row.warc_file)
            result.warnings.extend(_file_warnings(archive_dir, row.warc_file))
    result.files = len(seen_files)
    return result


def _file_warnings(archive_dir: Path, warc_file: str) -> list[str]:
    try:
        path = resolve_inside(archive_dir, warc_file)
        if not path.is_file():
            return []  # each row pointing there is already a failure
        scan = scan_members(path)
    except (OSError, ArchiveError):
        return []
    if scan.sound:
        return []
    return [
        f"{warc_file}: {scan.size - scan.complete_end} bytes after offset {scan.complete_end} are "
        f"not a complete record ({scan.problem})"
    ]


@archive_app.command("verify")
def verify_command(
    outlet: Annotated[str | None, typer.Option(help="Only this outlet (its configured name).")] = None,
    since: Annotated[
        str | None, typer.Option(help="Only fetches made at or after this ISO date/time (UTC).")
    ] = None,
    archive_dir: Annotated[
        Path | None, typer.Option(help="The archive directory (default: $DADKHAH_ARCHIVE_DIR).")
    ] = None,
) -> None:
    """Re-read every recorded WARC capture and check it against its fetch row's SHA-256."""
    from pipeline.db import DatabaseUnavailable, get_engine
    from pipeline.settings import Settings

    since_dt = parse_since(since)
    settings = Settings.from_env()
    root = archive_dir or settings.archive_dir
    if not root.is_dir():
        typer.secho(f"error: archive directory {root} does not exist", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    try:
        engine = get_engine(settings)
    except DatabaseUnavailable as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(3) from exc
    if outlet is not None:
        with engine.connect() as conn:
            known = conn.execute(select(Outlet.outlet_id).where(Outlet.name == outlet)).first()
        if known is None:
            typer.secho(f"error: no outlet named {outlet!r} in the database", fg=typer.colors.RED, err=True)
            raise typer.Exit(2)
    result = verify_archive(engine, root, outlet=outlet, since=since_dt)
    for line in result.failures:
        typer.echo(f"MISMATCH {line}")
    for line in result.warnings:
        typer.echo(f"warning: {line}")
    typer.echo(
        f"checked {result.checked} WARC locations in {result.files} files: "
        f"{len(result.failures)} failed, {len(result.warnings)} files with a damaged tail"
    )
    if result.failures:
        raise typer.Exit(EXIT_MISMATCH)
