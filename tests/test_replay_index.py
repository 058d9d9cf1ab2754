"""The replay index on real WARC files written by WarcArchive: growth, writers, damage,
compaction, rebuild, and the `dadkhah replay --reindex` exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pipeline.archive import WarcArchive
from pipeline.replay.index import archive_files, compact, index_dir, rebuild_index, update_index

ROOT = Path(__file__).resolve().parent.parent
T0 = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)


def _write(archive: WarcArchive, path: str, when: datetime, body: bytes = b"<html>x</html>"):
    return archive.write_exchange(
        url=f"http://127.0.0.1:9{path}",
        method="GET",
        request_headers=[("Host", "127.0.0.1:9")],
        status=200,
        reason="OK",
        protocol="HTTP/1.1",
        response_headers=[("Content-Type", "text/html")],
        body=body,
        fetched_at=when,
    )


def _archive(archive_dir: Path, run_id: int, **kwargs) -> WarcArchive:
    return WarcArchive(archive_dir, outlet_id=1, run_id=run_id, software="test", now=T0, **kwargs)


def _entries(replay_dir: Path) -> list[tuple[str, int, str]]:
    """(file, offset, timestamp) of every index line, in index order per file."""
    out = []
    for path in sorted(index_dir(replay_dir).glob("*.cdxj")):
        for line in path.read_text(encoding="utf-8").splitlines():
            _key, stamp, fields = line.split(" ", 2)
            data = json.loads(fields)
            out.append((data["filename"], int(data["offset"]), stamp))
    return out


def test_a_grown_file_adds_only_its_new_records(tmp_path):
    archive_dir, replay_dir = tmp_path / "archive", tmp_path / "replay"
    with _archive(archive_dir, 1) as archive:
        first = _write(archive, "/a/", T0)
    report = update_index(archive_dir, replay_dir)
    assert report.indexed == [first.warc_file] and report.records == 1
    indexed_size = (archive_dir / first.warc_file).stat().st_size
    with _archive(archive_dir, 1) as archive:  # a retried run appends to the same file
        assert archive.relative == first.warc_file
        second = _write(archive, "/b/", T0 + timedelta(minutes=1))
        third = _write(archive, "/a/", T0 + timedelta(minutes=2))
    report = update_index(archive_dir, replay_dir)
    assert report.records == 2
    got = sorted(_entries(replay_dir))
    assert got == sorted(
        [
            (first.warc_file, first.offset, "20261101100000"),
            (first.warc_file, second.offset, "20261101100100"),
            (first.warc_file, third.offset, "20261101100200"),
        ]
    )
    chunks = sorted(p.name for p in index_dir(replay_dir).glob("*.cdxj"))
    assert chunks == [
        "2026-11-01-dadkhah-o1-r1.warc.gz@0.cdxj",
        f"2026-11-01-dadkhah-o1-r1.warc.gz@{indexed_size}.cdxj",
    ]
    assert update_index(archive_dir, replay_dir).records == 0


def test_a_file_still_being_written_waits(tmp_path):
    archive_dir, replay_dir = tmp_path / "archive", tmp_path / "replay"
    archive = _archive(archive_dir, 2)
    try:
        _write(archive, "/a/", T0)
        report = update_index(archive_dir, replay_dir)
        assert report.busy == [archive.relative] and report.records == 0
    finally:
        archive.close()
    assert update_index(archive_dir, replay_dir).records == 1


def test_damage_is_reported_and_the_rest_indexed(tmp_path):
    archive_dir, replay_dir = tmp_path / "archive", tmp_path / "replay"
    with _archive(archive_dir, 3) as archive:
        good = _write(archive, "/a/", T0)
    with _archive(archive_dir, 4) as archive:
        _write(archive, "/b/", T0)
        bad = archive.path
    bad.write_bytes(b"this is not a gzip member" * 10)  # overwritten, not appended
    report = update_index(archive_dir, replay_dir)
    assert [good.warc_file] == report.indexed
    assert len(report.problems) == 1 and "dadkhah-o1-r4" in report.problems[0]
    # A file cut below what was indexed is reported, never indexed over.
    path = archive_dir / good.warc_file
    os.truncate(path, good.offset)
    report = update_index(archive_dir, replay_dir)
    assert any("lost bytes" in p for p in report.problems)


def test_compaction_merges_without_losing_or_doubling(tmp_path):
    archive_dir, replay_dir = tmp_path / "archive", tmp_path / "replay"
    expected = set()
    for run in range(1, 6):
        with _archive(archive_dir, run) as archive:
            loc = _write(archive, f"/news/{run}/", T0 + timedelta(seconds=run))
            expected.add((loc.warc_file, loc.offset))
    report = update_index(archive_dir, replay_dir, compact_at=3)
    assert report.compacted == 5
    files = list(index_dir(replay_dir).glob("*.cdxj"))
    assert [p.name for p in files] == ["merged-000001.cdxj"]
    lines = files[0].read_text(encoding="utf-8").splitlines()
    assert lines == sorted(lines) and {(f, o) for f, o, _ in _entries(replay_dir)} == expected
    # A crash after the merged file was written but before the chunks went: merging again
    # keeps each line once.
    with _archive(archive_dir, 9) as archive:
        _write(archive, "/news/9/", T0)
    update_index(archive_dir, replay_dir, compact_at=1000)
    (index_dir(replay_dir) / "copy@0.cdxj").write_text(files[0].read_text(encoding="utf-8"))
    compact(index_dir(replay_dir))
    assert len(_entries(replay_dir)) == len(expected) + 1


def test_rebuild_swaps_in_a_whole_index(tmp_path):
    archive_dir, replay_dir = tmp_path / "archive", tmp_path / "replay"
    for run in (1, 2):
        with _archive(archive_dir, run) as archive:
            _write(archive, "/a/", T0 + timedelta(seconds=run))
    update_index(archive_dir, replay_dir)
    before = sorted(_entries(replay_dir))
    (index_dir(replay_dir) / "stale@0.cdxj").write_text("")  # an old file the rebuild drops
    report = rebuild_index(archive_dir, replay_dir)
    assert sorted(_entries(replay_dir)) == before and report.records == 2
    assert [p.name for p in index_dir(replay_dir).glob("*.cdxj")] == ["merged-000001.cdxj"]
    state = json.loads((replay_dir / "indexed.json").read_text())["files"]
    assert sorted(state) == archive_files(archive_dir)
    assert update_index(archive_dir, replay_dir).records == 0


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DADKHAH_DATA_DIR": str(tmp_path),
        "DADKHAH_ARCHIVE_DIR": str(tmp_path / "archive"),
        "DADKHAH_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",  # --reindex needs none
    }
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "replay", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )


def test_reindex_command_exit_codes(tmp_path):
    with _archive(tmp_path / "archive", 1) as archive:
        _write(archive, "/a/", T0)
    done = _cli(tmp_path, "--reindex")
    assert done.returncode == 0, done.stderr
    assert "1 records from 1 WARC files" in done.stderr
    with _archive(tmp_path / "archive", 2) as archive:
        _write(archive, "/b/", T0)
        broken = archive.path
    broken.write_bytes(b"not gzip at all" * 20)
    done = _cli(tmp_path, "--reindex")
    assert done.returncode == 5, done.stderr
    assert "error: not indexed:" in done.stderr and "dadkhah-o1-r2" in done.stderr
    assert "Traceback" not in done.stderr
    assert _cli(tmp_path, "--port", "0").returncode == 2


def test_an_index_of_another_archive_is_made_afresh(tmp_path):
    """The same data directory over another archive directory: names and offsets of the old
    one would point into the wrong files, so its index goes."""
    replay_dir = tmp_path / "replay"
    for name, body in (("one", b"<html>first archive</html>"), ("two", b"<html>the second</html>")):
        with _archive(tmp_path / name, 1) as archive:
            _write(archive, "/a/", T0, body)
        report = update_index(tmp_path / name, replay_dir)
        assert report.records == 1
        entries = _entries(replay_dir)
        assert len(entries) == 1 and entries[0][0] == archive.relative
        state = json.loads((replay_dir / "indexed.json").read_text())
        assert state["archive"] == str((tmp_path / name).resolve())
