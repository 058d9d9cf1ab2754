"""Raw captures in WARC files: the evidence behind every stored fact.

Each HTTP exchange is written as a request and a response record with the original
headers and the body bytes exactly as received (before content decoding). The fetch log
keeps the file and the response record's offset; reading that record back yields bytes
whose SHA-256 equals the hash stored with the fetch.

Why the file handling is strict: a recorded offset is a promise to a court. So a file is
named from database integers only (outlet id, run id), never from a name or a run uid a
user or a site controls; one process holds an exclusive lock on it while writing; every
offset is checked against the file's real end before the write; the bytes are on disk
(fdatasync) before ``write_exchange`` returns, so the fetch row that points to them commits
after them; and a half-written last member left by a killed writer is cut off (and kept
aside) before anything new is appended, so no offset ever points into it.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import io
import logging
import os
import re
import threading
import unicodedata
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from isal import isal_zlib
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

log = logging.getLogger("dadkhah.archive")

# Hop-by-hop framing already undone by the HTTP client: keeping it would make readers
# try to de-chunk a body that is no longer chunked.
_FRAMING_HEADERS = {"transfer-encoding"}
# Plain gzip members written with ISA-L (python-isal), which every gzip/zlib reader
# decompresses. On the 90 real news pages of the extraction benchmark its level 2 takes
# 0.27 ms per page against zlib level 6's 3.0 ms, for 16% more bytes (23.3% vs 20.1% of
# the raw size); zlib level 1 would take 1.1 ms for 24.0%.
GZIP_LEVEL = 2
SLUG_MAX = 40  # readable ASCII hint of the outlet name in the file name; never its identity
MAX_WRITERS = 100  # numbered file names tried when another writer holds the lock
_SCAN_CHUNK = 1 << 20
# When appending, fdatasync must write the new file size too (POSIX: metadata needed to
# read the data back), so it is as durable as fsync here and skips the timestamps.
_sync_file = getattr(os, "fdatasync", os.fsync)


class ArchiveError(RuntimeError):
    """The archive cannot promise a correct offset: nothing is recorded as if it could."""


def _gzip_member(data: bytes) -> bytes:
    """One standalone gzip member: each WARC record stays independently readable."""
    compressor = isal_zlib.compressobj(GZIP_LEVEL, isal_zlib.DEFLATED, isal_zlib.MAX_WBITS + 16)
    return compressor.compress(data) + compressor.flush()


@dataclass(frozen=True)
class WarcLocation:
    warc_file: str  # relative to the archive directory
    offset: int
    length: int
    record_id: str


@dataclass(frozen=True)
class MemberScan:
    """Where the complete gzip members of a file end, and what follows them."""

    size: int  # bytes in the file
    complete_end: int  # end of the last complete member (== size for a sound file)
    members: int
    problem: str | None = None  # why the bytes after complete_end are not a member
    # True when those bytes are the start of one member cut short (a killed writer): they
    # can be cut off. False for bytes that are not gzip at all (corruption, a foreign
    # write): later members may follow them, so the file is left alone.
    incomplete_tail: bool = False

    @property
    def sound(self) -> bool:
        return self.complete_end == self.size


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def outlet_slug(name: str) -> str:
    """A short ASCII hint of an outlet name ('' for a name with no Latin letters)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:SLUG_MAX].strip("-")


def warc_file_name(outlet_id: int, run_id: int | None, *, slug: str = "", writer: int = 1) -> str:
    """``dadkhah-o<outlet>-r<run>[-w<n>][_<slug>].warc.gz``: at most ~110 ASCII bytes.

    The identity is the integers; the slug (after ``_``, which the rest never contains)
    only helps a person reading a directory listing."""
    for label, value in (("outlet_id", outlet_id), ("run_id", run_id), ("writer", writer)):
        if value is None and label == "run_id":
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ArchiveError(f"{label} must be a non-negative integer, got {value!r}")
    if len(slug) > SLUG_MAX or not re.fullmatch(r"[a-z0-9-]*", slug):
        raise ArchiveError(f"unsafe slug {slug!r}")
    name = f"dadkhah-o{outlet_id}-" + (f"r{run_id}" if run_id is not None else "norun")
    if writer > 1:
        name += f"-w{writer}"
    if slug:
        name += f"_{slug}"
    return name + ".warc.gz"


def resolve_inside(archive_dir: Path, relative: str) -> Path:
    """The absolute path of ``relative``, refused unless it lies inside ``archive_dir``
    (after symlinks are followed): a path from the database or a name cannot escape."""
    root = Path(archive_dir).resolve()
    if not relative or Path(relative).is_absolute():
        raise ArchiveError(f"WARC path {relative!r} is not a relative path")
    path = (root / relative).resolve()
    if not path.is_relative_to(root) or path == root:
        raise ArchiveError(f"WARC path {relative!r} resolves outside the archive directory {root}")
    return path


def scan_members(path: Path, start: int = 0) -> MemberScan:
    """Walk the gzip members of a file from ``start`` (decompressing, output discarded)."""
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        fh.seek(start)
        member_start = position = start
        members = 0
        decomp = zlib.decompressobj(zlib.MAX_WBITS + 16)
        while chunk := fh.read(_SCAN_CHUNK):
            data = chunk
            while data:
                try:
                    decomp.decompress(data, _SCAN_CHUNK)
                except zlib.error as exc:
                    return MemberScan(size, member_start, members, f"not a gzip member: {exc}")
                if decomp.eof:
                    position += len(data) - len(decomp.unused_data)
                    data = decomp.unused_data
                    members += 1
                    member_start = position
                    decomp = zlib.decompressobj(zlib.MAX_WBITS + 16)
                else:
                    position += len(data) - len(decomp.unconsumed_tail)
                    data = decomp.unconsumed_tail
    if member_start != size:
        return MemberScan(size, member_start, members, "incomplete gzip member (writer interrupted)", True)
    return MemberScan(size, size, members)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def sync_directory(path: Path) -> None:
    """Make a new file's directory entry durable (a synced file nobody can find is lost)."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass
class _OpenFile:
    fd: int
    relative: str
    path: Path
    end: int
    warnings: list[str] = field(default_factory=list)


class WarcArchive:
    """Appends records to one gzipped WARC file (one gzip member per record), alone.

    ``outlet_id`` and ``run_id`` are the database's integers; ``outlet_name`` and
    ``run_uid`` are recorded inside the file's warcinfo record, never used in its path.
    ``warnings`` lists what was found and repaired when the file was opened."""

    def __init__(
        self,
        archive_dir: Path,
        *,
        outlet_id: int,
        run_id: int | None,
        software: str,
        outlet_name: str = "",
        run_uid: str | None = None,
        now: datetime | None = None,
    ) -> None:
        self.archive_dir = Path(archive_dir)
        self.outlet_id = outlet_id
        self.run_id = run_id
        day = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y/%m/%d")
        slug = outlet_slug(outlet_name)
        self._lock = threading.Lock()
        self._buffer = io.BytesIO()
        self._writer = WARCWriter(self._buffer, gzip=False)
        self._broken: str | None = None
        self._last: tuple[int, int] | None = None  # (offset, end) of the last exchange
        opened = self._open_first_free(day, slug)
        self._fd = opened.fd
        self.relative = opened.relative
        self.path = opened.path
        self._end = opened.end
        self.warnings = opened.warnings
        if self._end == 0:
            fields = {
                "software": software,
                "format": "WARC File Format 1.1",
                "dadkhah-outlet-id": str(outlet_id),
                "dadkhah-outlet": outlet_name,
                "dadkhah-run-id": "" if run_id is None else str(run_id),
                "dadkhah-run-uid": run_uid or "",
            }
            info = self._writer.create_warcinfo_record(
                self.path.name, {k: _one_line(v) for k, v in fields.items() if v}
            )
            try:
                self._append(self._serialise(info))
            except BaseException:
                self.close()
                raise

    # -- opening -----------------------------------------------------------------------
    def _open_first_free(self, day: str, slug: str) -> _OpenFile:
        """The first of the numbered names whose file this process can lock."""
        skipped: list[str] = []  # files other writers hold, or damaged ones left alone
        warnings: list[str] = []
        for writer in range(1, MAX_WRITERS + 1):
            relative = f"{day}/{warc_file_name(self.outlet_id, self.run_id, slug=slug, writer=writer)}"
            opened = self._try_open(relative, warnings)
            if opened is not None:
                if skipped:
                    log.info("WARC files %s are taken; writing %s", ", ".join(skipped), relative)
                opened.warnings[:0] = warnings
                return opened
            skipped.append(relative)
        raise ArchiveError(
            f"no usable WARC file among {skipped[0]} and its {MAX_WRITERS - 1} numbered siblings "
            "(held by other writers or damaged)"
        )

    def _try_open(self, relative: str, warnings: list[str]) -> _OpenFile | None:
        """``relative`` opened and locked for appending; None if another writer holds it
        or it is damaged beyond a cut-short last member (then a warning says so)."""
        directory = resolve_inside(self.archive_dir, relative).parent
        directory.mkdir(parents=True, exist_ok=True)
        path = resolve_inside(self.archive_dir, relative)  # again: the directories now exist
        existed = path.exists()
        flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(path, flags, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                return None
            raise
        try:
            if not existed:
                sync_directory(directory)
            opened = _OpenFile(fd, relative, path, os.fstat(fd).st_size)
            if opened.end and not self._recover_tail(opened, warnings):
                os.close(fd)
                return None
            return opened
        except BaseException:
            os.close(fd)
            raise

    def _recover_tail(self, opened: _OpenFile, warnings: list[str]) -> bool:
        """Cut a half-written last member off an existing file (keeping its bytes aside).

        False (and a warning) when the file is damaged in a way a cut could make worse."""
        scan = scan_members(opened.path)
        if scan.sound:
            return True
        if not scan.incomplete_tail:
            message = (
                f"{opened.relative}: bytes at offset {scan.complete_end} of {scan.size} are not a "
                f"gzip member ({scan.problem}); file left untouched for inspection, not appended to"
            )
            log.warning(message)
            warnings.append(message)
            return False
        tail = os.pread(opened.fd, scan.size - scan.complete_end, scan.complete_end)
        aside = opened.path.with_name(f"{opened.path.name}.damaged-{scan.complete_end}")
        number = 1
        while aside.exists():
            number += 1
            aside = opened.path.with_name(f"{opened.path.name}.damaged-{scan.complete_end}-{number}")
        aside.write_bytes(tail)
        fd = os.open(aside, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.ftruncate(opened.fd, scan.complete_end)
        os.fsync(opened.fd)
        sync_directory(opened.path.parent)
        opened.end = scan.complete_end
        message = (
            f"{opened.relative}: {scan.size - scan.complete_end} bytes after the last complete "
            f"record (offset {scan.complete_end}) were not a complete gzip member ({scan.problem}); "
            f"no fetch can point there: cut off, kept as {aside.name}"
        )
        log.warning(message)
        opened.warnings.append(message)
        return True

    # -- writing -----------------------------------------------------------------------
    def _serialise(self, record) -> bytes:
        """The record as a gzip member (the caller holds the lock or owns the writer)."""
        self._buffer.seek(0)
        self._buffer.truncate()
        self._writer.write_record(record)
        return _gzip_member(self._buffer.getvalue())

    def _check_end(self) -> None:
        """The file is ours and ends where this writer left it, or nothing is written."""
        if self._broken:
            raise ArchiveError(f"{self.relative}: unusable after an earlier failure: {self._broken}")
        if self._fd < 0:
            raise ArchiveError(f"{self.relative}: archive is closed")
        own = os.fstat(self._fd)
        try:
            named = os.stat(self.path)
        except FileNotFoundError as exc:
            raise ArchiveError(f"{self.relative}: file was removed while open") from exc
        if (named.st_dev, named.st_ino) != (own.st_dev, own.st_ino):
            raise ArchiveError(f"{self.relative}: file was replaced while open")
        if own.st_size != self._end:
            raise ArchiveError(
                f"{self.relative}: file ends at {own.st_size} but this writer's last byte is at "
                f"{self._end}: something else changed it; no offset recorded"
            )

    def _append(self, data: bytes) -> int:
        """Write ``data`` at the verified end, on disk before returning; its offset."""
        self._check_end()
        offset = self._end
        try:
            _write_all(self._fd, data)
            self._sync()
        except BaseException as exc:
            self._undo_to(offset, exc)
            raise
        self._end = offset + len(data)
        return offset

    def _sync(self) -> None:
        _sync_file(self._fd)

    def _undo_to(self, offset: int, cause: BaseException) -> None:
        """After a failed write, cut the file back so no partial member stays behind."""
        try:
            os.ftruncate(self._fd, offset)
            self._sync()
        except OSError as exc:
            self._broken = f"write failed ({cause!r}) and so did cutting back to {offset} ({exc!r})"
            log.error("%s: %s", self.relative, self._broken)

    def write_exchange(
        self,
        *,
        url: str,
        method: str,
        request_headers: list[tuple[str, str]],
        status: int,
        reason: str,
        protocol: str,
        response_headers: list[tuple[str, str]],
        body: bytes,
        fetched_at: datetime,
        ip_address: str | None = None,
        body_sha256: str | None = None,
    ) -> WarcLocation:
        """Write a response record and its request record; return the response's location.

        The bytes are on disk when this returns. ``body_sha256``: the body's SHA-256 hex
        digest where the caller already has it."""
        warc_date = fetched_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        headers = [(k, v) for k, v in response_headers if k.lower() not in _FRAMING_HEADERS]
        http_headers = StatusAndHeaders(f"{status} {reason}".strip(), headers, protocol=protocol)
        digest = body_sha256 or sha256_hex(body)
        extra = {"WARC-Date": warc_date, "WARC-Payload-Digest": "sha256:" + digest}
        if ip_address:
            extra["WARC-IP-Address"] = ip_address
        response = self._writer.create_warc_record(
            url,
            "response",
            payload=io.BytesIO(body),
            length=len(body),
            http_headers=http_headers,
            warc_headers_dict=extra,
        )
        path = urlsplit_path(url)
        request = self._writer.create_warc_record(
            url,
            "request",
            payload=io.BytesIO(b""),
            length=0,
            http_headers=StatusAndHeaders(f"{method} {path} HTTP/1.1", request_headers, is_http_request=True),
            warc_headers_dict={
                "WARC-Date": warc_date,
                "WARC-Concurrent-To": response.rec_headers.get_header("WARC-Record-ID"),
            },
        )
        with self._lock:
            response_bytes = self._serialise(response)
            request_bytes = self._serialise(request)
            offset = self._append(response_bytes + request_bytes)
            self._last = (offset, self._end)
        return WarcLocation(
            warc_file=self.relative,
            offset=offset,
            length=len(response_bytes),
            record_id=response.rec_headers.get_header("WARC-Record-ID"),
        )

    def discard(self, location: WarcLocation) -> None:
        """Take back the last exchange written (its fetch row could not be committed).

        Only the very last exchange of this writer can go; anything else raises
        ArchiveError and the file is left as it is."""
        with self._lock:
            if location.warc_file != self.relative:
                raise ArchiveError(f"{location.warc_file} is not this writer's file ({self.relative})")
            if self._last is None or self._last[0] != location.offset:
                raise ArchiveError(
                    f"{location.warc_file}@{location.offset} is not the last exchange written; not discarded"
                )
            self._check_end()
            os.ftruncate(self._fd, location.offset)
            self._sync()
            self._end = location.offset
            self._last = None

    def close(self) -> None:
        with self._lock:
            if self._fd >= 0:
                try:
                    os.fsync(self._fd)
                finally:
                    os.close(self._fd)  # releases the lock
                    self._fd = -1

    def __enter__(self) -> WarcArchive:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def _one_line(value: str) -> str:
    """A warcinfo field value: control characters (a newline would start a new field)
    become spaces; format characters such as ZWNJ are part of a Persian name and stay."""
    return "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in value)


def urlsplit_path(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


@dataclass(frozen=True)
class ResponseRecord:
    warc_headers: dict[str, str]
    http_headers: dict[str, str]
    body: bytes  # as received, not content-decoded
    status: int | None = None  # the HTTP status line's code


def read_response_record(archive_dir: Path, warc_file: str, offset: int) -> ResponseRecord:
    """The response record at ``warc_file@offset`` (ValueError if there is none)."""
    with open(resolve_inside(archive_dir, warc_file), "rb") as fh:
        fh.seek(offset)
        for record in ArchiveIterator(fh):
            if record.rec_type != "response":
                raise ValueError(f"{warc_file}@{offset} is a {record.rec_type} record")
            headers = dict(record.http_headers.headers) if record.http_headers else {}
            try:
                status = int(record.http_headers.get_statuscode()) if record.http_headers else None
            except (TypeError, ValueError):
                status = None
            return ResponseRecord(dict(record.rec_headers.headers), headers, record.raw_stream.read(), status)
    raise ValueError(f"no WARC record at {warc_file}@{offset}")


def read_response(archive_dir: Path, warc_file: str, offset: int) -> tuple[dict[str, str], bytes]:
    """The HTTP headers and raw body (as received, not content-decoded) of a response record."""
    record = read_response_record(archive_dir, warc_file, offset)
    return record.http_headers, record.body


def read_response_decoded(archive_dir: Path, warc_file: str, offset: int) -> tuple[dict[str, str], bytes]:
    """Like read_response, with Content-Encoding (gzip, deflate, br) undone."""
    with open(resolve_inside(archive_dir, warc_file), "rb") as fh:
        fh.seek(offset)
        for record in ArchiveIterator(fh):
            headers = dict(record.http_headers.headers) if record.http_headers else {}
            return headers, record.content_stream().read()
    raise ValueError(f"no WARC record at {warc_file}@{offset}")
