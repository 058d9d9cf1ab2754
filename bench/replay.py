"""Cost of the replay index and of a replay lookup.

Writes F WARC files of R exchanges each (the extraction benchmark's real news pages as
bodies, as bench/evidence.py does), then: indexes them one file at a time as ingestion does
after each crawl (``update_index``: the whole-member check and the CDXJ lines); compacts the
F chunk files into one; rebuilds the whole index; and times pywb answering raw (``id_``)
replays of random captures, first over F chunk files, then over the one compacted file.

    .venv/bin/python bench/replay.py [--files 20] [--records 50] [--lookups 100]

Prints figures; it is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import random
import socket
import statistics
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.evidence import _bodies, _ms  # noqa: E402
from pipeline.archive import WarcArchive  # noqa: E402
from pipeline.replay import server  # noqa: E402
from pipeline.replay.index import compact, index_dir, rebuild_index, update_index  # noqa: E402
from pipeline.settings import Settings  # noqa: E402

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def _write(archive_dir: Path, files: int, records: int) -> list[tuple[str, datetime]]:
    bodies = _bodies()
    captures = []
    for f in range(files):
        archive = WarcArchive(archive_dir, outlet_id=1000 + f, run_id=1, software="bench", now=T0)
        for r in range(records):
            when = T0 + timedelta(seconds=f * records + r)
            url = f"http://127.0.0.1/{f}/{r}"
            archive.write_exchange(
                url=url, method="GET", request_headers=[], status=200, reason="OK", protocol="HTTP/1.1",
                response_headers=[("Content-Type", "text/html")],
                body=bodies[(f * records + r) % len(bodies)], fetched_at=when,
            )  # fmt: skip
            captures.append((url, when))
        archive.close()
    return captures


def _lookups(base: str, captures, count: int) -> list[float]:
    rng = random.Random(7)
    times = []
    for url, when in rng.sample(captures, min(count, len(captures))):
        t0 = time.perf_counter()
        with urllib.request.urlopen(f"{base}/{server.COLLECTION}/{when:%Y%m%d%H%M%S}id_/{url}") as response:
            response.read()
        times.append(time.perf_counter() - t0)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--records", type=int, default=50)
    parser.add_argument("--lookups", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        settings = Settings(database_url="unused", data_dir=tmp, archive_dir=tmp / "archive")
        captures = _write(settings.archive_dir, args.files, args.records)
        files = sorted(settings.archive_dir.rglob("*.warc.gz"))
        mb = statistics.median(p.stat().st_size for p in files) / 1e6
        # One file at a time, as after each crawl: the others already indexed.
        per_file = []
        hidden = tmp / "hidden"
        hidden.mkdir()
        for path in files:
            path.rename(hidden / path.name)
        for path in files:
            (hidden / path.name).rename(path)
            t0 = time.perf_counter()
            report = update_index(settings.archive_dir, settings.replay_dir, compact_at=10**9)
            per_file.append(time.perf_counter() - t0)
            assert report.records == args.records and not report.problems, report
        print(f"index {args.files} WARC files of {args.records} exchanges (median {mb:.2f} MB):")
        print(
            f"  update_index per crawl's file  {_ms(per_file)}  "
            f"({statistics.median(per_file) / args.records * 1000:.2f} ms per record)"
        )
        port = _free_port()
        process = server.start(settings, port=port, quiet=True)
        try:
            server.wait_until_serving(process, "127.0.0.1", port)
            base = f"http://127.0.0.1:{port}"
            _lookups(base, captures, 5)  # warm-up
            over_chunks = _lookups(base, captures, args.lookups)
            t0 = time.perf_counter()
            merged = compact(index_dir(settings.replay_dir))
            compaction = time.perf_counter() - t0
            over_merged = _lookups(base, captures, args.lookups)
        finally:
            process.terminate()
            process.wait()
        print(f"  compaction of {merged} chunk files  {compaction * 1000:.1f} ms")
        t0 = time.perf_counter()
        rebuilt = rebuild_index(settings.archive_dir, tmp / "rebuilt")
        print(
            f"  rebuild of the whole index      {(time.perf_counter() - t0) * 1000:.0f} ms "
            f"({rebuilt.records} records)"
        )
        print(f"replay (pywb, raw id_ capture, {args.lookups} random lookups):")
        print(f"  over {args.files} chunk files       {_ms(over_chunks)}")
        print(f"  over 1 compacted file       {_ms(over_merged)}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


if __name__ == "__main__":
    main()
