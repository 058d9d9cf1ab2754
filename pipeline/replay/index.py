"""The CDXJ index pywb replays from, kept current with the archive.

Layout (``<data dir>/replay/indexes/``): one sorted ``.cdxj`` chunk per WARC file and
starting offset (``<flattened name>@<offset>.cdxj``: the records at or after that offset),
and ``merged-*.cdxj`` files that compaction builds from many chunks. pywb reads every
``.cdxj`` file of the directory on each lookup and merges them, so a chunk is live as soon
as it is renamed into place. ``indexed.json`` records the archive directory and, per WARC
file, how many bytes of it are indexed (an index made from another archive directory is
dropped and made afresh).

Why chunks by offset: WARC files are append-only (a retried crawl appends to its file), so
the records below the indexed size are already in some chunk or merged file; indexing only
what lies beyond it never duplicates a capture and never rewrites a large file on a crawl.
Compaction (every ``COMPACT_AT`` chunks) merges them into one file, so lookups stay fast.
A crash at any step leaves either the old state or duplicate identical lines (dropped at the
next compaction), never a lost capture. A file a writer still holds (its lock) is left for
the next pass; a file that shrank below its indexed size is reported, not re-indexed.
"""

from __future__ import annotations

import fcntl
import heapq
import io
import json
import logging
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from cdxj_indexer.main import CDXJIndexer

from pipeline.archive import resolve_inside, scan_members, sync_directory
from pipeline.evidence.chain import archive_files

log = logging.getLogger("dadkhah.replay")

COMPACT_AT = 200  # chunk files before they are merged into one
STATE_FILE = "indexed.json"
STATE_VERSION = 1


@dataclass
class IndexReport:
    indexed: list[str] = field(default_factory=list)  # WARC files with new records indexed
    records: int = 0  # index lines written
    busy: list[str] = field(default_factory=list)  # still being written: next time
    problems: list[str] = field(default_factory=list)  # a person must look
    compacted: int = 0  # chunk files merged away


def index_dir(replay_dir: Path) -> Path:
    return Path(replay_dir) / "indexes"


def chunk_name(relative: str, start: int) -> str:
    """``2026/12/01/x.warc.gz`` from offset 0 -> ``2026-12-01-x.warc.gz@0.cdxj`` (one flat
    directory; '/' cannot occur in a file name and '@' never occurs in a WARC name)."""
    return relative.replace("/", "-") + f"@{start}.cdxj"


def _write_atomic(path: Path, lines: Iterator[str] | list[str]) -> int:
    """Write ``lines`` to ``path`` through a temporary file and a rename; the line count."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    count = 0
    with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        for line in lines:
            fh.write(line)
            count += 1
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    sync_directory(path.parent)
    return count


@contextmanager
def _locked(replay_dir: Path) -> Iterator[None]:
    """One indexer at a time (parallel ingestion passes share the index)."""
    Path(replay_dir).mkdir(parents=True, exist_ok=True)
    with open(Path(replay_dir) / ".index.lock", "a") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _load_state(replay_dir: Path, archive_dir: Path) -> dict[str, int]:
    """What is indexed, per WARC file; empty (and the old index dropped) when the index was
    made from another archive directory: its names and offsets say nothing about this one."""
    path = Path(replay_dir) / STATE_FILE
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("version") != STATE_VERSION:
        raise ValueError(f"{path}: unknown index state version {data.get('version')!r}")
    if data.get("archive") != str(Path(archive_dir).resolve()):
        log.warning(
            "replay index: %s indexed %s, not %s: indexing this archive afresh",
            replay_dir,
            data.get("archive"),
            Path(archive_dir).resolve(),
        )
        for old in index_dir(replay_dir).glob("*.cdxj"):
            old.unlink()
        path.unlink()
        return {}
    return {name: int(size) for name, size in data["files"].items()}


def _save_state(replay_dir: Path, archive_dir: Path, state: dict[str, int]) -> None:
    payload = json.dumps(
        {
            "version": STATE_VERSION,
            "archive": str(Path(archive_dir).resolve()),
            "files": dict(sorted(state.items())),
        },
        indent=0,
    )
    _write_atomic(Path(replay_dir) / STATE_FILE, [payload + "\n"])


def cdxj_lines(archive_dir: Path, relative: str, start: int = 0) -> list[str]:
    """The sorted CDXJ lines of the records of one WARC file at or after ``start``.

    ``filename`` in each line is the path relative to the archive directory, which pywb
    joins to its ``archive_paths``."""
    path = resolve_inside(archive_dir, relative)
    out = io.StringIO()
    with open(path, "rb") as fh:
        indexer = CDXJIndexer(out, [fh], sort=True, filename=relative)
        indexer.process_all()
    lines = out.getvalue().splitlines(keepends=True)
    if start:
        lines = [line for line in lines if int(json.loads(line.split(" ", 2)[2])["offset"]) >= start]
    return lines


def _check_members(path: Path, start: int = 0) -> None:
    """ValueError unless the file from ``start`` is whole gzip members: a WARC reader would
    take bytes that are no record (corruption, a foreign write) for one and index them."""
    scan = scan_members(path, start)
    if not scan.sound:
        raise ValueError(
            f"bytes at offset {scan.complete_end} of {scan.size} are not a complete record "
            f"({scan.problem}); nothing of it after offset {start} indexed"
        )


def _writer_holds(path: Path) -> bool:
    """True while a WARC writer holds the file's lock (it is still growing)."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0))
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        return os.fstat(fd).st_size == 0  # being created this instant
    finally:
        os.close(fd)


def update_index(archive_dir: Path, replay_dir: Path, *, compact_at: int = COMPACT_AT) -> IndexReport:
    """Index the records added to the archive since the last update (and compact)."""
    report = IndexReport()
    directory = index_dir(replay_dir)
    directory.mkdir(parents=True, exist_ok=True)
    with _locked(replay_dir):
        state = _load_state(replay_dir, archive_dir)
        for relative in archive_files(archive_dir):
            path = Path(archive_dir) / relative
            try:
                size = path.stat().st_size
                done = state.get(relative, 0)
                if size == done:
                    continue
                if size < done:
                    report.problems.append(
                        f"{relative}: {size} bytes, but {done} were indexed: the file lost bytes; not re-indexed"
                    )
                    log.error("replay index: %s", report.problems[-1])
                    continue
                if _writer_holds(path):
                    report.busy.append(relative)
                    continue
                _check_members(path, done)
                lines = cdxj_lines(archive_dir, relative, done)
            except (OSError, ValueError) as exc:  # a damaged file: the rest is still indexed
                report.problems.append(f"{relative}: {type(exc).__name__}: {exc}")
                log.error("replay index: %s", report.problems[-1])
                continue
            if lines:
                report.records += _write_atomic(directory / chunk_name(relative, done), lines)
                report.indexed.append(relative)
            state[relative] = size
            _save_state(replay_dir, archive_dir, state)
        if sum(1 for p in directory.glob("*@*.cdxj")) >= compact_at:
            report.compacted = compact(directory)
    return report


def _merge_sorted(paths: list[Path]) -> Iterator[str]:
    """The lines of sorted files, merged, identical lines once."""
    handles = [open(p, encoding="utf-8") for p in paths]
    try:
        last = None
        for line in heapq.merge(*handles):
            if line != last:
                yield line
            last = line
    finally:
        for fh in handles:
            fh.close()


def compact(directory: Path) -> int:
    """Merge every chunk and merged file into one new merged file; the files merged away."""
    inputs = sorted(directory.glob("*.cdxj"))
    if len(inputs) < 2:
        return 0
    serial = max((int(p.stem.split("-")[1]) for p in directory.glob("merged-*.cdxj")), default=0) + 1
    target = directory / f"merged-{serial:06d}.cdxj"
    _write_atomic(target, _merge_sorted(inputs))
    for path in inputs:
        path.unlink()
    sync_directory(directory)
    return len(inputs)


def rebuild_index(archive_dir: Path, replay_dir: Path) -> IndexReport:
    """Index the whole archive again, from nothing, into one merged file.

    Built beside the live index and swapped in, so a running server never sees a half
    index; files still being written are left to the next update."""
    replay_dir = Path(replay_dir)
    replay_dir.mkdir(parents=True, exist_ok=True)
    with _locked(replay_dir):
        building = replay_dir / "indexes.rebuild"
        shutil.rmtree(building, ignore_errors=True)
        building.mkdir()
        report = IndexReport()
        state: dict[str, int] = {}
        for relative in archive_files(archive_dir):
            path = Path(archive_dir) / relative
            try:
                if _writer_holds(path):
                    report.busy.append(relative)
                    continue
                size = path.stat().st_size
                _check_members(path)
                lines = cdxj_lines(archive_dir, relative)
            except (OSError, ValueError) as exc:
                report.problems.append(f"{relative}: {type(exc).__name__}: {exc}")
                log.error("replay index: %s", report.problems[-1])
                continue
            if lines:
                report.records += _write_atomic(building / chunk_name(relative, 0), lines)
                report.indexed.append(relative)
            state[relative] = size
        report.compacted = compact(building)
        live = index_dir(replay_dir)
        old = replay_dir / "indexes.old"
        shutil.rmtree(old, ignore_errors=True)
        if live.exists():
            os.replace(live, old)
        os.replace(building, live)
        sync_directory(replay_dir)
        _save_state(replay_dir, archive_dir, state)
        shutil.rmtree(old, ignore_errors=True)
    return report


def index_after_crawl(settings) -> IndexReport | None:
    """The hook a pass calls once its crawl child has exited. Never raises: the crawl's
    report stands; a failure is logged and `dadkhah replay --reindex` rebuilds the index."""
    try:
        report = update_index(settings.archive_dir, settings.replay_dir)
    except Exception as exc:  # noqa: BLE001 - the captures are safe on disk; the index can wait
        log.error(
            "replay index: update failed (%s: %s); run `dadkhah replay --reindex`", type(exc).__name__, exc
        )
        return None
    if report.indexed:
        log.info("replay index: %d records of %d WARC files added", report.records, len(report.indexed))
    return report
