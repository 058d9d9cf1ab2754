"""Archive integrity: one writer per WARC file, verified offsets, durable records, repairs.

The crawl tests run real spiders against outlets whose names collide under the old
naming (case, punctuation, ZWNJ vs space) in one pass, with a hostile run uid; the unit
tests drive WarcArchive directly, with real second processes where one is needed.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import subprocess
import sys
import textwrap
import threading
import zlib
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from pipeline.archive import (
    SLUG_MAX,
    ArchiveError,
    WarcArchive,
    outlet_slug,
    read_response,
    resolve_inside,
    scan_members,
    warc_file_name,
)
from pipeline.cli import app
from pipeline.db import upgrade
from pipeline.ingest import ingest
from pipeline.settings import Settings
from pipeline.storage import FetchRecord, record_fetch, upsert_outlet
from tests.pg import create_scratch_database, drop_database

T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
PERSIAN_LETTERS = "ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی"
LONG_PERSIAN_NAME = (PERSIAN_LETTERS * 5)[:150]
COLLIDING_NAMES = [
    "Rights Watch",
    "rights-watch",
    "Hengaw",
    "HENGAW",
    "حقوق بشر",
    "حقوق\u200cبشر",  # the same words joined by a zero-width non-joiner
    LONG_PERSIAN_NAME,
]
HOSTILE_RUN_UID = "../../../../../../../x: y"  # under the old naming: tmp/a/x: y-<outlet>.warc.gz
ARTICLES_PER_OUTLET = 4


# -- a loopback site per outlet ------------------------------------------------------
def _article_html(outlet: int, number: int) -> bytes:
    sentences = " ".join(
        f"Witness {w} told outlet {outlet} about event {number} in detail, sentence {w} of the account."
        for w in range(12)
    )
    paragraphs = "".join(
        f"<p>Paragraph {p} for outlet {outlet}, report {number}. {sentences}</p>" for p in range(4)
    )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>Report {number} of outlet {outlet}</title>"
        "<meta property='article:published_time' content='2026-02-1{number}T08:00:00Z'>"
        f"</head><body><article><h1>Report {number} of outlet {outlet}</h1>{paragraphs}</article>"
        "</body></html>"
    ).encode()


def _feed(base: str, outlet: int) -> bytes:
    items = "".join(
        f"<item><title>Report {n} of outlet {outlet}</title><link>{base}/news/{n}/</link>"
        f"<pubDate>Tue, 1{n} Feb 2026 08:00:00 GMT</pubDate></item>"
        for n in range(ARTICLES_PER_OUTLET)
    )
    return (
        f"<?xml version='1.0'?><rss version='2.0'><channel><title>Outlet {outlet}</title>"
        f"<link>{base}/</link>{items}</channel></rss>"
    ).encode()


class _Site:
    """One HTTP server on 127.0.0.1:<port> for one outlet."""

    def __init__(self, index: int) -> None:
        self.index = index
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, format, *args):  # noqa: A002 - silence
                return

            def do_GET(self):  # noqa: N802 - http.server API
                path = self.path.split("?", 1)[0]
                if path == "/robots.txt":
                    body, ctype = b"User-agent: *\nAllow: /\n", "text/plain"
                elif path == "/feed/":
                    body, ctype = _feed(site.base_url, site.index), "application/rss+xml"
                elif path.startswith("/news/") and path[6:-1].isdigit():
                    body, ctype = _article_html(site.index, int(path[6:-1])), "text/html; charset=utf-8"
                else:
                    body, ctype = b"<html><body>Not found</body></html>", "text/html"
                self.send_response(200 if ctype != "text/html" else 404)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def config(self, name: str) -> dict:
        return {
            "name": name,
            "home": self.base_url + "/",
            "language": "en",
            "affiliation": "test outlet",
            "feeds": [self.base_url + "/feed/"],
            "min_delay_seconds": 0,
            "timeout_seconds": 5,
            "allow_private_network": True,  # served on loopback
        }


@pytest.fixture(scope="module")
def crawl(pg_server_url, tmp_path_factory):
    """One pass over seven outlets whose names collided under the old file naming."""
    tmp = tmp_path_factory.mktemp("archive-crawl")
    url = create_scratch_database(pg_server_url)
    engine = create_engine(url)
    upgrade(engine)  # ingest never migrates
    archive = tmp / "a" / "b" / "c" / "archive"
    settings = Settings(database_url=url, archive_dir=archive, data_dir=tmp)
    sites = [_Site(i) for i in range(len(COLLIDING_NAMES))]
    for site in sites:
        site.thread.start()
    try:
        outlets = tmp / "outlets.yaml"
        config = {"outlets": [s.config(n) for s, n in zip(sites, COLLIDING_NAMES, strict=True)]}
        outlets.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
        report = ingest(
            settings,
            outlets_file=outlets,
            trigger="test",
            run_uid=HOSTILE_RUN_UID,
            stream_logs=False,
            engine=engine,
        )
        yield {"engine": engine, "report": report, "archive": archive, "tmp": tmp, "url": url}
    finally:
        for site in sites:
            site.server.shutdown()
            site.server.server_close()
        engine.dispose()
        drop_database(pg_server_url, url)


def _rows(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).mappings().all()


def test_colliding_names_crawl_into_separate_files(crawl):
    report = crawl["report"]
    assert report.status == "finished", report.outlets
    for name in COLLIDING_NAMES:
        assert report.outlets[name]["status"] == "finished", (name, report.outlets[name])
        assert report.outlets[name]["stored"] == ARTICLES_PER_OUTLET, (name, report.outlets[name])
    rows = _rows(
        crawl["engine"],
        "SELECT f.outlet_id, o.name, f.warc_file, f.warc_offset, f.raw_sha256 FROM fetches f "
        "JOIN outlets o USING (outlet_id) WHERE f.warc_file IS NOT NULL",
    )
    outlets_of_file: dict[str, set[int]] = {}
    for row in rows:
        outlets_of_file.setdefault(row["warc_file"], set()).add(row["outlet_id"])
        # Every offset reads back to the body its own fetch recorded.
        _headers, body = read_response(crawl["archive"], row["warc_file"], row["warc_offset"])
        assert hashlib.sha256(body).hexdigest() == row["raw_sha256"], row
    assert all(len(ids) == 1 for ids in outlets_of_file.values()), outlets_of_file
    assert {next(iter(ids)) for ids in outlets_of_file.values()} == {r["outlet_id"] for r in rows}
    assert len({r["outlet_id"] for r in rows}) == len(COLLIDING_NAMES)
    # robots, feed and 4 articles per outlet, each in its outlet's own file
    assert len(rows) >= len(COLLIDING_NAMES) * (ARTICLES_PER_OUTLET + 2)
    for row in rows:
        assert Path(row["warc_file"]).name.startswith(f"dadkhah-o{row['outlet_id']}-r{report.run_id}")


def test_long_persian_name_and_hostile_run_uid_stay_short_and_inside(crawl):
    archive, tmp = crawl["archive"], crawl["tmp"]
    files = sorted(p for p in archive.rglob("*") if p.is_file())
    assert len(files) == len(COLLIDING_NAMES)
    for path in files:
        assert path.resolve().is_relative_to(archive.resolve())
        assert len(path.name) <= 110 and path.name.isascii()
        assert not set(path.name) & set(":/ \\") and ".." not in path.name
    # Nothing was written anywhere else under the test's directory (the ../ target).
    # (tmp is also the data directory: the chain of custody's signing key lives in evidence/,
    # the replay index in replay/, its chunk names made from the archive's own file names.)
    replay = tmp / "replay"
    for path in (p for p in replay.rglob("*") if p.is_file()):
        assert path.resolve().is_relative_to(replay.resolve()) and path.name.isascii()
        assert len(path.name) <= 160 and not set(path.name) & set(":/ \\") and ".." not in path.name
    outside = [
        p
        for p in tmp.rglob("*")
        if p.is_file() and not p.is_relative_to(archive) and not p.is_relative_to(replay)
    ]
    assert sorted(str(p.relative_to(tmp)) for p in outside) == [
        "evidence/signing-key.pem",
        "evidence/signing-key.pub.pem",
        "outlets.yaml",
    ]
    # The run uid is kept as provenance inside each file, not in its path.
    names = set()
    for path in files:
        info = gzip.decompress(path.read_bytes()).split(b"\r\n\r\n", 2)[1].decode("utf-8")
        assert f"dadkhah-run-uid: {HOSTILE_RUN_UID}" in info.split("\r\n")
        names.add(info.split("dadkhah-outlet: ", 1)[1].split("\r\n", 1)[0])
    assert names == set(COLLIDING_NAMES)  # exact, ZWNJ included


def test_archive_verify_command_passes_then_lists_flipped_records(crawl, tmp_path):
    env = {"DADKHAH_DATABASE_URL": crawl["url"], "DADKHAH_ARCHIVE_DIR": str(crawl["archive"])}
    runner = CliRunner()
    good = runner.invoke(app, ["archive", "verify"], env=env)
    assert good.exit_code == 0, good.output
    assert "0 failed" in good.output and "MISMATCH" not in good.output
    one = runner.invoke(app, ["archive", "verify", "--outlet", "HENGAW", "--since", "2020-01-01"], env=env)
    assert one.exit_code == 0 and "checked 6 " in one.output, one.output
    assert runner.invoke(app, ["archive", "verify", "--since", "last week"], env=env).exit_code == 2
    assert runner.invoke(app, ["archive", "verify", "--outlet", "Nope"], env=env).exit_code == 2

    copy = tmp_path / "archive"
    shutil.copytree(crawl["archive"], copy)
    rows = _rows(
        crawl["engine"],
        "SELECT fetch_id, warc_file, warc_offset, warc_length FROM fetches WHERE warc_file IS NOT NULL "
        "AND kind = 'article' ORDER BY fetch_id",
    )
    # 1. One byte flipped inside a record's compressed bytes.
    first = rows[0]
    path = copy / first["warc_file"]
    raw = bytearray(path.read_bytes())
    raw[first["warc_offset"] + first["warc_length"] // 2] ^= 0x01
    path.write_bytes(bytes(raw))
    # 2. One byte of a body changed and the record re-compressed: gzip is sound, the hash is not.
    last = max((r for r in rows if r["warc_file"] != first["warc_file"]), key=lambda r: r["warc_offset"])
    path = copy / last["warc_file"]
    raw = path.read_bytes()
    start, end = last["warc_offset"], last["warc_offset"] + last["warc_length"]
    record = gzip.decompress(raw[start:end])
    flipped = record[:-10] + bytes([record[-10] ^ 0x20]) + record[-9:]
    path.write_bytes(raw[:start] + gzip.compress(flipped) + raw[end:])

    bad = runner.invoke(app, ["archive", "verify", "--archive-dir", str(copy)], env=env)
    assert bad.exit_code == 5, bad.output
    mismatches = [line for line in bad.output.splitlines() if line.startswith("MISMATCH")]
    assert len(mismatches) == 2, bad.output
    assert f"fetch {first['fetch_id']} " in mismatches[0] or f"fetch {first['fetch_id']} " in mismatches[1]
    body_line = next(line for line in mismatches if f"fetch {last['fetch_id']} " in line)
    assert "body SHA-256" in body_line


# -- WarcArchive on its own -----------------------------------------------------------
def _exchange(archive: WarcArchive, body: bytes, url: str = "https://example.org/a"):
    return archive.write_exchange(
        url=url,
        method="GET",
        request_headers=[("User-Agent", "dadkhah-test")],
        status=200,
        reason="OK",
        protocol="HTTP/1.1",
        response_headers=[("Content-Type", "text/html")],
        body=body,
        fetched_at=T0,
    )


def _reads_back(archive_dir: Path, location, body: bytes) -> bool:
    _headers, stored = read_response(archive_dir, location.warc_file, location.offset)
    return stored == body


def test_file_names_are_bounded_safe_and_keyed_by_ids():
    for name in COLLIDING_NAMES + ["../../etc/passwd", "a: b c", "C:\\x", "..", "\u202eevil"]:
        slug = outlet_slug(name)
        assert len(slug) <= SLUG_MAX and all(ch.isascii() and (ch.isalnum() or ch == "-") for ch in slug)
        file_name = warc_file_name(2**63 - 1, 2**63 - 1, slug=slug, writer=99)
        assert len(file_name) <= 110 and "/" not in file_name and ".." not in file_name
    assert outlet_slug(LONG_PERSIAN_NAME) == ""
    assert warc_file_name(3, 7, slug="rights-watch") == "dadkhah-o3-r7_rights-watch.warc.gz"
    assert warc_file_name(3, 7, slug="rights-watch", writer=2) == "dadkhah-o3-r7-w2_rights-watch.warc.gz"
    for bad in ("7", -1, True, 1.5):
        with pytest.raises(ArchiveError):
            warc_file_name(bad, 1)  # type: ignore[arg-type]
    with pytest.raises(ArchiveError):
        warc_file_name(1, 1, slug="../x")


def test_paths_from_outside_are_refused(tmp_path):
    (tmp_path / "archive").mkdir()
    (tmp_path / "secret.warc.gz").write_bytes(b"x")
    for bad in ("../secret.warc.gz", "/etc/passwd", "2026/../../secret.warc.gz", ""):
        with pytest.raises(ArchiveError):
            resolve_inside(tmp_path / "archive", bad)
        with pytest.raises(ArchiveError):
            read_response(tmp_path / "archive", bad, 0)
    # A day directory that is a symlink out of the archive is refused for writing too.
    (tmp_path / "archive" / "2026").symlink_to(tmp_path)
    with pytest.raises(ArchiveError, match="outside the archive"):
        WarcArchive(tmp_path / "archive", outlet_id=1, run_id=1, software="t", now=T0)


def test_two_writers_in_one_process_never_share_a_file(tmp_path):
    first = WarcArchive(tmp_path, outlet_id=5, run_id=9, software="t", outlet_name="Hengaw", now=T0)
    second = WarcArchive(tmp_path, outlet_id=5, run_id=9, software="t", outlet_name="Hengaw", now=T0)
    assert first.path != second.path and second.path.name == "dadkhah-o5-r9-w2_hengaw.warc.gz"
    locations = []
    for n in range(20):  # interleaved, as two outlets' crawls would be
        for archive in (first, second):
            body = f"<p>{archive.path.name} page {n}</p>".encode() * (n + 1)
            locations.append((_exchange(archive, body), body))
    first.close()
    second.close()
    assert all(_reads_back(tmp_path, loc, body) for loc, body in locations)
    # Closed: the lock is free, and a later writer appends to the first file again.
    size = first.path.stat().st_size
    third = WarcArchive(tmp_path, outlet_id=5, run_id=9, software="t", outlet_name="Hengaw", now=T0)
    assert third.path == first.path and third.warnings == []
    loc = _exchange(third, b"later")
    third.close()
    assert loc.offset == size
    assert _reads_back(tmp_path, loc, b"later")


def _request_length(path: Path, location) -> int:
    """Length of the request member written right after ``location``'s response."""
    raw = path.read_bytes()[location.offset + location.length :]
    decomp = zlib.decompressobj(zlib.MAX_WBITS + 16)
    decomp.decompress(raw)
    return len(raw) - len(decomp.unused_data)


HOLDER = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime
    from pathlib import Path
    from pipeline.archive import WarcArchive
    archive = WarcArchive(Path(sys.argv[1]), outlet_id=5, run_id=9, software="t",
                          outlet_name="Hengaw", now=datetime(2026, 3, 1, tzinfo=UTC))
    print(archive.relative, flush=True)
    sys.stdin.readline()
    archive.close()
    """
)


def test_a_second_process_gets_its_own_file(tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        held = holder.stdout.readline().strip()
        assert held.endswith("dadkhah-o5-r9_hengaw.warc.gz")
        mine = WarcArchive(tmp_path, outlet_id=5, run_id=9, software="t", outlet_name="HENGAW", now=T0)
        assert mine.relative != held and "-w2_" in mine.relative
        loc = _exchange(mine, b"mine")
        mine.close()
        assert _reads_back(tmp_path, loc, b"mine")
    finally:
        holder.communicate("\n", timeout=30)
    assert holder.returncode == 0


def test_an_offset_that_is_not_the_real_end_is_an_error(tmp_path):
    archive = WarcArchive(tmp_path, outlet_id=1, run_id=2, software="t", now=T0)
    good = _exchange(archive, b"first")
    size = archive.path.stat().st_size
    with open(archive.path, "ab") as intruder:  # flock is advisory: a foreign write is possible
        intruder.write(gzip.compress(b"someone else"))
    with pytest.raises(ArchiveError, match="no offset recorded"):
        _exchange(archive, b"second")
    assert archive.path.stat().st_size == size + len(gzip.compress(b"someone else"))
    archive.close()
    assert _reads_back(tmp_path, good, b"first")

    replaced = WarcArchive(tmp_path, outlet_id=1, run_id=3, software="t", now=T0)
    replaced.path.unlink()
    with pytest.raises(ArchiveError, match="removed"):
        _exchange(replaced, b"x")
    replaced.close()


def _three_exchanges(tmp_path: Path):
    archive = WarcArchive(tmp_path, outlet_id=4, run_id=4, software="t", outlet_name="Rights Watch", now=T0)
    bodies = [os.urandom(3000) + f"page {n}".encode() for n in range(3)]
    locations = [_exchange(archive, body) for body in bodies]
    archive.close()
    return archive.path, bodies, locations


@pytest.mark.parametrize("chop", ["request", "response"])
def test_a_cut_short_last_member_is_cut_off_and_never_pointed_to(tmp_path, chop):
    path, bodies, locations = _three_exchanges(tmp_path)
    last = locations[-1]
    request_length = _request_length(path, last)
    cut = 7 if chop == "request" else request_length + 9  # into the request, or into the response
    complete = path.stat().st_size - request_length - (0 if chop == "request" else last.length)
    with open(path, "r+b") as fh:
        fh.truncate(path.stat().st_size - cut)
    chopped = path.read_bytes()[complete:]
    assert not scan_members(path).sound

    reopened = WarcArchive(tmp_path, outlet_id=4, run_id=4, software="t", outlet_name="Rights Watch", now=T0)
    assert reopened.path == path
    assert len(reopened.warnings) == 1 and f"offset {complete}" in reopened.warnings[0]
    assert path.stat().st_size == complete
    aside = path.with_name(f"{path.name}.damaged-{complete}")
    assert aside.read_bytes() == chopped  # the cut bytes are kept, not destroyed
    new = _exchange(reopened, b"after the crash")
    reopened.close()
    assert new.offset == complete
    assert scan_members(path).sound
    kept = locations if chop == "request" else locations[:-1]
    assert all(_reads_back(tmp_path, loc, body) for loc, body in zip(kept, bodies, strict=False))
    assert _reads_back(tmp_path, new, b"after the crash")


def test_garbage_after_the_last_member_leaves_the_file_alone(tmp_path):
    path, bodies, locations = _three_exchanges(tmp_path)
    with open(path, "ab") as fh:
        fh.write(b"\0" * 512)  # not gzip at all: a cut could destroy members after it
    before = path.read_bytes()
    other = WarcArchive(tmp_path, outlet_id=4, run_id=4, software="t", outlet_name="Rights Watch", now=T0)
    assert other.path != path and "-w2_" in other.path.name
    assert any("left untouched" in w for w in other.warnings)
    other.close()
    assert path.read_bytes() == before
    assert all(_reads_back(tmp_path, loc, body) for loc, body in zip(locations, bodies, strict=True))


KILLED_WRITER = textwrap.dedent(
    """
    import os, sys
    from datetime import UTC, datetime
    from pathlib import Path
    from pipeline.archive import WarcArchive
    archive = WarcArchive(Path(sys.argv[1]), outlet_id=8, run_id=8, software="t",
                          now=datetime(2026, 3, 1, tzinfo=UTC))
    n = 0
    while True:
        body = os.urandom(1 << 20)
        loc = archive.write_exchange(url="https://example.org/x", method="GET", request_headers=[],
            status=200, reason="OK", protocol="HTTP/1.1", response_headers=[], body=body,
            fetched_at=datetime.now(UTC))
        import hashlib
        print(loc.warc_file, loc.offset, hashlib.sha256(body).hexdigest(), flush=True)
        n += 1
    """
)


def test_a_writer_killed_mid_write_leaves_every_reported_offset_readable(tmp_path):
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    reported = [child.stdout.readline().split() for _ in range(5)]
    child.kill()
    rest, _ = child.communicate(timeout=30)
    reported += [line.split() for line in rest.splitlines() if line]
    archive = WarcArchive(tmp_path, outlet_id=8, run_id=8, software="t", now=T0)
    archive.close()
    assert scan_members(archive.path).sound  # whatever the kill left, the tail is whole again
    for warc_file, offset, digest in reported:
        _headers, body = read_response(tmp_path, warc_file, int(offset))
        assert hashlib.sha256(body).hexdigest() == digest


KILLED_HALF_WAY = textwrap.dedent(
    """
    import os, signal, sys
    from datetime import UTC, datetime
    from pathlib import Path
    import pipeline.archive as archive_module
    archive = archive_module.WarcArchive(Path(sys.argv[1]), outlet_id=8, run_id=9, software="t",
                                         now=datetime(2026, 3, 1, tzinfo=UTC))
    def write(body):
        return archive.write_exchange(url="https://example.org/x", method="GET", request_headers=[],
            status=200, reason="OK", protocol="HTTP/1.1", response_headers=[], body=body,
            fetched_at=datetime.now(UTC))
    for n in range(2):
        loc = write(b"complete %d" % n)
        print(loc.warc_file, loc.offset, flush=True)
    def half_then_die(fd, data):  # the kernel got half the bytes when the process died
        os.write(fd, data[: len(data) // 2])
        os.kill(os.getpid(), signal.SIGKILL)
    archive_module._write_all = half_then_die
    write(os.urandom(50_000))
    """
)


def test_a_writer_killed_half_way_through_a_record(tmp_path):
    child = subprocess.run(
        [sys.executable, "-c", KILLED_HALF_WAY, str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert child.returncode == -9, child.stderr
    reported = [line.split() for line in child.stdout.splitlines()]
    assert len(reported) == 2
    path = tmp_path / reported[0][0]
    size = path.stat().st_size
    archive = WarcArchive(tmp_path, outlet_id=8, run_id=9, software="t", now=T0)
    assert archive.path == path and len(archive.warnings) == 1
    new = _exchange(archive, b"next run")
    archive.close()
    assert new.offset < size and scan_members(path).sound
    for n, (warc_file, offset) in enumerate(reported):
        assert read_response(tmp_path, warc_file, int(offset))[1] == b"complete %d" % n
    assert _reads_back(tmp_path, new, b"next run")


def test_discard_takes_back_only_the_last_exchange(tmp_path):
    archive = WarcArchive(tmp_path, outlet_id=6, run_id=1, software="t", now=T0)
    kept = _exchange(archive, b"kept")
    gone = _exchange(archive, b"its fetch row never committed")
    archive.discard(gone)
    assert archive.path.stat().st_size == gone.offset
    with pytest.raises(ArchiveError, match="not the last"):
        archive.discard(kept)
    with pytest.raises(ArchiveError, match="not the last"):
        archive.discard(gone)  # already gone
    other = WarcArchive(tmp_path, outlet_id=6, run_id=2, software="t", now=T0)
    with pytest.raises(ArchiveError, match="not this writer's file"):
        archive.discard(_exchange(other, b"elsewhere"))
    other.close()
    after = _exchange(archive, b"next page")
    assert after.offset == gone.offset
    archive.close()
    assert scan_members(archive.path).sound
    assert _reads_back(tmp_path, kept, b"kept") and _reads_back(tmp_path, after, b"next page")


READER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from pipeline.archive import read_response
    print(read_response(Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]))[1].decode())
    """
)


def test_a_record_is_on_disk_when_write_exchange_returns(tmp_path):
    """Another process reads the record while the writer is still open (nothing buffered
    in the writer); the fsync cost itself is measured by bench/warc_fsync.py."""
    archive = WarcArchive(tmp_path, outlet_id=7, run_id=1, software="t", now=T0)
    loc = _exchange(archive, b"durable body")
    out = subprocess.run(
        [sys.executable, "-c", READER, str(tmp_path), loc.warc_file, str(loc.offset)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "durable body"
    assert os.fstat(archive._fd).st_size == archive.path.stat().st_size  # noqa: SLF001
    archive.close()


FULL_DISK = textwrap.dedent(
    """
    import os, resource, signal, sys
    from datetime import UTC, datetime
    from pathlib import Path
    from pipeline.archive import WarcArchive
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    archive = WarcArchive(Path(sys.argv[1]), outlet_id=9, run_id=1, software="t",
                          now=datetime(2026, 3, 1, tzinfo=UTC))
    def write(body):
        return archive.write_exchange(url="https://example.org/x", method="GET", request_headers=[],
            status=200, reason="OK", protocol="HTTP/1.1", response_headers=[], body=body,
            fetched_at=datetime.now(UTC))
    first = write(b"small")
    size = archive.path.stat().st_size
    resource.setrlimit(resource.RLIMIT_FSIZE, (size + 4096, resource.RLIM_INFINITY))
    try:
        write(os.urandom(100_000))
    except OSError as exc:
        print("failed", exc.errno, flush=True)
    assert archive.path.stat().st_size == size, (archive.path.stat().st_size, size)
    second = write(b"fits")
    archive.close()
    print(first.warc_file, first.offset, second.offset, size)
    """
)


def test_a_failed_write_leaves_no_partial_member(tmp_path):
    """A write that fails half way (file size limit, like a full disk) is cut back."""
    out = subprocess.run(
        [sys.executable, "-c", FULL_DISK, str(tmp_path)], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out[0].startswith("failed 27")  # EFBIG
    warc_file, first, second, size = out[1].split()
    assert int(second) == int(size)
    assert scan_members(tmp_path / warc_file).sound
    assert read_response(tmp_path, warc_file, int(first))[1] == b"small"
    assert read_response(tmp_path, warc_file, int(second))[1] == b"fits"


def test_verify_reports_a_missing_file_and_a_damaged_tail(fresh_engine, fresh_database_url, tmp_path):
    with fresh_engine.begin() as conn:
        outlet_id = upsert_outlet(
            conn,
            name="Verify Monitor",
            home="https://v.example.org/",
            language="en",
            affiliation="t",
            config={},
        )
    archive = WarcArchive(
        tmp_path, outlet_id=outlet_id, run_id=None, software="t", outlet_name="Verify Monitor"
    )
    for n, body in enumerate([b"alpha", b"beta"]):
        loc = _exchange(archive, body, url=f"https://v.example.org/{n}")
        record_fetch(
            fresh_engine,
            FetchRecord(
                fetch_uid=f"verify-{n}",
                outlet_id=outlet_id,
                run_id=None,
                kind="article",
                requested_url=f"https://v.example.org/{n}",
                outcome="fetched",
                fetched_at=T0,
                raw_sha256=hashlib.sha256(body).hexdigest(),
                warc_file=loc.warc_file,
                warc_offset=loc.offset,
                warc_length=loc.length,
                warc_record_id=loc.record_id,
            ),
        )
    archive.close()
    env = {"DADKHAH_DATABASE_URL": fresh_database_url, "DADKHAH_ARCHIVE_DIR": str(tmp_path)}
    with open(archive.path, "ab") as fh:
        fh.write(gzip.compress(b"half a record")[:-5])
    result = CliRunner().invoke(app, ["archive", "verify"], env=env)
    assert result.exit_code == 0, result.output  # every row still reads back ...
    assert "warning:" in result.output and "damaged tail" in result.output  # ... the crash is reported
    archive.path.rename(archive.path.with_suffix(".moved"))
    result = CliRunner().invoke(app, ["archive", "verify"], env=env)
    assert result.exit_code == 5
    assert result.output.count("MISMATCH") == 2 and "WARC file missing" in result.output
