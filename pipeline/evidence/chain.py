"""The chain of custody: every closed WARC file sealed into a signed, timestamped hash chain.

An entry states a file's name, how many bytes of it are covered (from its start), their
SHA-256, its record count and first and last capture time, and the previous entry's hash.
The entry is one canonical JSON line (ASCII, sorted keys, no spaces): its SHA-256 is the
entry hash, the next entry's ``prev``; it is signed with the installation's Ed25519 key and,
with a timestamp authority configured, stamped (RFC 3161). Altering or removing any sealed
byte, record or file breaks a hash; rewriting the chain breaks the signatures, and
back-dating it is refuted by the authority's timestamps.

WARC files are append-only, so a file appended to after it was sealed (a retried crawl
writing its file again) gets a new entry for its new size; the old entry still covers the
file's first bytes. Sealing runs in the parent after each crawl (never in the crawl child,
which parses hostile pages and must not hold the key), and `dadkhah evidence seal` seals
what a crash left unsealed. A file a writer still holds (its lock) is left for later.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, func, select, text, update
from warcio.archiveiterator import ArchiveIterator

from pipeline.archive import resolve_inside, scan_members
from pipeline.evidence import keys
from pipeline.evidence.timestamp import TimestampError, request_stamp
from schema.models import WarcManifestEntry

log = logging.getLogger("dadkhah.evidence")

GENESIS = "0" * 64  # the ``prev`` of the first entry
ENTRY_VERSION = 1
CHAIN_LOCK = 0x64616B68  # advisory lock: one appender to the chain at a time ("dakh")
_CHUNK = 1 << 20


class SealError(RuntimeError):
    """A file cannot be sealed as it is (it shrank, changed since it was sealed, or holds
    bytes that are no record); ``entry`` is what was sealed of it all the same, if anything."""

    def __init__(self, message: str, entry: WarcManifestEntry | None = None) -> None:
        super().__init__(message)
        self.entry = entry


@dataclass(frozen=True)
class FileFacts:
    size: int  # bytes covered: the file's complete gzip members
    sha256: str
    records: int
    first_capture: datetime | None
    last_capture: datetime | None
    prefix_sha256: str | None = None  # of the first ``prefix`` bytes, when asked
    damage: str | None = None  # bytes after ``size`` that are not a record (not a cut-short tail)


def iso(value: datetime | None) -> str | None:
    """UTC, microseconds, ``Z``: one spelling, so the canonical line is reproducible."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(fields: dict) -> str:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def entry_hash(entry: str) -> str:
    return hashlib.sha256(entry.encode("ascii")).hexdigest()


class _HashingReader:
    """Reads at most ``limit`` bytes of a file, hashing them (and noting the hash at ``prefix``)."""

    def __init__(self, fh, limit: int, prefix: int | None = None) -> None:
        self.fh, self.left, self.prefix = fh, limit, prefix
        self.read_so_far = 0
        self.hash = hashlib.sha256()
        self.prefix_hash: str | None = hashlib.sha256().hexdigest() if prefix == 0 else None

    def read(self, size: int = -1) -> bytes:
        if self.left <= 0:
            return b""
        size = self.left if size is None or size < 0 else min(size, self.left)
        data = self.fh.read(size)
        self.left -= len(data)
        if self.prefix is not None and self.read_so_far < self.prefix <= self.read_so_far + len(data):
            cut = self.prefix - self.read_so_far
            self.hash.update(data[:cut])
            self.prefix_hash = self.hash.copy().hexdigest()
            self.hash.update(data[cut:])
        else:
            self.hash.update(data)
        self.read_so_far += len(data)
        return data

    def drain(self) -> None:
        while self.read(_CHUNK):
            pass


def file_facts(path: Path, *, prefix: int | None = None, size: int | None = None) -> FileFacts:
    """Hash, count and date the complete records of a WARC file in one read.

    ``size``: cover exactly that many bytes (a bundle's check of a sealed prefix) instead of
    the file's complete gzip members."""
    scan = scan_members(path)
    covered = scan.complete_end if size is None else size
    damage = None
    if size is None and not scan.sound and not scan.incomplete_tail:
        damage = f"bytes at offset {scan.complete_end} of {scan.size} are not a WARC record ({scan.problem})"
    records, first, last = 0, None, None
    with open(path, "rb") as fh:
        reader = _HashingReader(fh, covered, prefix)
        for record in ArchiveIterator(reader, check_digests=False):
            records += 1
            if record.rec_type == "warcinfo":
                continue
            date = record.rec_headers.get_header("WARC-Date")
            if date:
                when = datetime.fromisoformat(date.replace("Z", "+00:00"))
                first = when if first is None or when < first else first
                last = when if last is None or when > last else last
        reader.drain()
    return FileFacts(covered, reader.hash.hexdigest(), records, first, last, reader.prefix_hash, damage)


@dataclass
class SealReport:
    sealed: list[WarcManifestEntry] = field(default_factory=list)
    busy: list[str] = field(default_factory=list)  # a writer holds them: sealed later
    problems: list[str] = field(default_factory=list)  # could not be sealed: a person must look
    stamp_errors: list[str] = field(default_factory=list)


def _known_sizes(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(WarcManifestEntry.warc_file, func.max(WarcManifestEntry.size)).group_by(
                WarcManifestEntry.warc_file
            )
        )
        return dict(rows.all())


def _last_entry(engine: Engine, warc_file: str) -> WarcManifestEntry | None:
    with engine.connect() as conn:
        return conn.execute(
            select(WarcManifestEntry)
            .where(WarcManifestEntry.warc_file == warc_file)
            .order_by(WarcManifestEntry.size.desc())
            .limit(1)
        ).first()


def archive_files(archive_dir: Path) -> list[str]:
    """Every WARC file under the archive directory, relative (with '/'), sorted."""
    root = Path(archive_dir)
    found = []
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            if name.endswith(".warc.gz"):
                found.append((Path(dirpath) / name).relative_to(root).as_posix())
    return sorted(found)


def _append_entry(engine: Engine, relative: str, facts: FileFacts, key: keys.SigningKey) -> WarcManifestEntry:
    """Link one entry to the chain's head, signed, in one transaction under the chain lock."""
    with engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": CHAIN_LOCK})
        head = conn.execute(
            select(WarcManifestEntry.seq, WarcManifestEntry.entry_hash)
            .order_by(WarcManifestEntry.seq.desc())
            .limit(1)
        ).first()
        seq, prev = (head.seq + 1, head.entry_hash) if head else (1, GENESIS)
        sealed_at = datetime.now(UTC)
        line = canonical(
            {
                "v": ENTRY_VERSION,
                "seq": seq,
                "file": relative,
                "size": facts.size,
                "sha256": facts.sha256,
                "records": facts.records,
                "first_capture": iso(facts.first_capture),
                "last_capture": iso(facts.last_capture),
                "sealed_at": iso(sealed_at),
                "prev": prev,
                "key_id": key.key_id,
            }
        )
        values = {
            "seq": seq,
            "warc_file": relative,
            "size": facts.size,
            "sha256": facts.sha256,
            "records": facts.records,
            "first_capture": facts.first_capture,
            "last_capture": facts.last_capture,
            "prev_hash": prev,
            "entry": line,
            "entry_hash": entry_hash(line),
            "sealed_at": sealed_at,
            "key_id": key.key_id,
            "signature": key.sign(line.encode("ascii")),
        }
        conn.execute(WarcManifestEntry.__table__.insert().values(**values))
    return WarcManifestEntry(**values)


BUSY = object()  # seal_file's answer for a file a writer still holds


def seal_file(engine: Engine, archive_dir: Path, relative: str, key: keys.SigningKey):
    """Seal one file (or its part appended since its last entry): the new entry, None when
    nothing new is complete, BUSY when a writer holds it. Raises SealError if it shrank or
    its sealed part changed."""
    path = resolve_inside(archive_dir, relative)
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0))
    try:
        try:  # the writer's own lock: while it is held the file is still growing
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return BUSY
        if os.fstat(fd).st_size == 0:
            return BUSY  # a writer is creating it this instant
        last = _last_entry(engine, relative)
        facts = file_facts(path, prefix=last.size if last else None)
        if last is not None:
            if facts.size < last.size and os.fstat(fd).st_size >= last.size:
                raise SealError(
                    f"{relative}: the bytes at offset {facts.size} are no longer a complete record, "
                    f"inside the {last.size} bytes sealed by entry {last.seq}: damaged after sealing; "
                    "not sealed again"
                )
            if facts.size < last.size:
                raise SealError(
                    f"{relative}: {facts.size} complete bytes, but {last.size} were sealed (entry "
                    f"{last.seq}): the file lost sealed bytes; not sealed again"
                )
            if facts.prefix_sha256 != last.sha256:
                raise SealError(
                    f"{relative}: its first {last.size} bytes no longer hash to entry {last.seq}'s "
                    f"{last.sha256}: the sealed part changed; not sealed again"
                )
            if facts.size == last.size:
                return None
        entry = None if facts.records == 0 else _append_entry(engine, relative, facts, key)
        if facts.damage:
            sealed = f"sealed up to offset {facts.size}" if entry or last else "nothing sealed"
            raise SealError(f"{relative}: {facts.damage}; {sealed}; the file needs a person's look", entry)
        return entry
    finally:
        os.close(fd)  # releases the lock


def stamp_entry(engine: Engine, entry_seq: int, line: str, tsa_url: str) -> datetime:
    """Get an RFC 3161 timestamp of an entry line and keep the token on its row."""
    stamp = request_stamp(tsa_url, line.encode("ascii"))
    with engine.begin() as conn:
        conn.execute(
            update(WarcManifestEntry)
            .where(WarcManifestEntry.seq == entry_seq)
            .values(tsa_url=stamp.tsa_url, tsa_token=stamp.token, tsa_time=stamp.gen_time)
        )
    return stamp.gen_time


def seal_pending(
    engine: Engine, archive_dir: Path, data_dir: Path, *, tsa_url: str | None = None
) -> SealReport:
    """Seal every WARC file not yet (fully) in the chain; stamp the new head if a TSA is set.

    The head is what gets stamped: a timestamp of the head covers every entry before it.
    An unstamped head (the authority was down last time) is stamped now."""
    report = SealReport()
    known = _known_sizes(engine)
    key: keys.SigningKey | None = None
    for relative in archive_files(archive_dir):
        try:
            size = os.stat(Path(archive_dir) / relative).st_size
        except FileNotFoundError:
            continue
        if known.get(relative) == size:
            continue  # sealed as it is (verification, not sealing, re-reads sealed bytes)
        key = key or keys.load_or_create(data_dir)
        try:
            entry = seal_file(engine, archive_dir, relative, key)
        except (SealError, OSError, ValueError) as exc:
            if isinstance(exc, SealError) and exc.entry is not None:
                report.sealed.append(exc.entry)
            report.problems.append(str(exc) if isinstance(exc, SealError) else f"{relative}: {exc}")
            log.error("chain of custody: %s", report.problems[-1])
            continue
        if entry is BUSY:
            report.busy.append(relative)
        elif entry is not None:
            report.sealed.append(entry)
    if tsa_url:
        _stamp_head(engine, tsa_url, report)
    return report


def _stamp_head(engine: Engine, tsa_url: str, report: SealReport) -> None:
    with engine.connect() as conn:
        head = conn.execute(
            select(WarcManifestEntry.seq, WarcManifestEntry.entry, WarcManifestEntry.tsa_token)
            .order_by(WarcManifestEntry.seq.desc())
            .limit(1)
        ).first()
    if head is None or head.tsa_token is not None:
        return
    try:
        stamp_entry(engine, head.seq, head.entry, tsa_url)
    except TimestampError as exc:
        report.stamp_errors.append(str(exc))
        log.error("chain of custody: head %s not timestamped: %s", head.seq, exc)


def load_chain(engine: Engine, from_seq: int = 1) -> list[WarcManifestEntry]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(WarcManifestEntry)
                .where(WarcManifestEntry.seq >= from_seq)
                .order_by(WarcManifestEntry.seq)
            )
        )


def seal_after_crawl(engine: Engine, settings) -> SealReport | None:
    """The hook the pass calls once its crawl child has exited: seal what it wrote (and any
    file an earlier crash left unsealed). Never raises: the crawl's report stands; a failure
    is logged and `dadkhah evidence seal` seals the rest later."""
    try:
        return seal_pending(engine, settings.archive_dir, settings.data_dir, tsa_url=settings.tsa_url)
    except Exception as exc:  # noqa: BLE001 - the captures are on disk and logged; sealing can wait
        log.error(
            "chain of custody: sealing failed (%s: %s); run `dadkhah evidence seal`", type(exc).__name__, exc
        )
        return None
