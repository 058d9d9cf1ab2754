"""Cost per record of making each WARC exchange durable before its fetch row commits.

Writes the same exchanges (real news pages as bodies, cycled) through
WarcArchive with no sync, with fdatasync (what the archive does) and with fsync, and
prints the time per ``write_exchange`` call for each: median, 90th percentile and mean
wall time, and the process's CPU time (user+sys: a sync makes the caller submit the
writeback) per call.

    python bench/warc_fsync.py [--dir DIR] [--records N] [--rounds R] [--pages DIR]

Bodies: the extraction benchmark's real news pages (bench/extraction.py finds them; or
--pages DIR), else the small test pages in tests/data/extraction.

DIR defaults to a fresh directory under ./data (the default archive's file system; /tmp
may be a RAM disk where a sync costs nothing). Figures depend on the disk: measure on the
machine that will hold the archive.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.archive import WarcArchive  # noqa: E402

PAGES = ROOT / "tests" / "data" / "extraction"


class _NoSync(WarcArchive):
    """The baseline: bytes handed to the kernel, not waited for."""

    def _sync(self) -> None:
        return None


class _FullSync(WarcArchive):
    def _sync(self) -> None:
        os.fsync(self._fd)


MODES = {"none": _NoSync, "fdatasync": WarcArchive, "fsync": _FullSync}


def _bodies(pages_dir: Path | None) -> list[bytes]:
    from bench.extraction import DEFAULT_DIRS, load_pages

    for candidate in [pages_dir] if pages_dir else DEFAULT_DIRS:
        if candidate and (candidate / "ground-truth.json").is_file():
            pages = load_pages(candidate)
            return [html.encode("utf-8") for html, _url, _truth in list(pages.values())[:200]]
    if pages_dir:
        raise SystemExit(f"no benchmark pages in {pages_dir}")
    bodies = [p.read_bytes() for p in sorted(PAGES.glob("*.html"))]
    if not bodies:
        raise SystemExit(f"no pages in {PAGES}")
    return bodies


def _run(
    cls: type[WarcArchive], directory: Path, bodies: list[bytes], records: int, run_id: int
) -> tuple[list[float], float]:
    """Wall time of each call, and the CPU time of all of them."""
    archive = cls(directory, outlet_id=1, run_id=run_id, software="bench", outlet_name="bench")
    times = []
    cpu_started = time.process_time()
    try:
        for n in range(records):
            body = bodies[n % len(bodies)]
            started = time.perf_counter()
            archive.write_exchange(
                url=f"https://bench.example.org/news/{n}",
                method="GET",
                request_headers=[("User-Agent", "dadkhah-bench")],
                status=200,
                reason="OK",
                protocol="HTTP/1.1",
                response_headers=[("Content-Type", "text/html; charset=utf-8")],
                body=body,
                fetched_at=datetime.now(UTC),
            )
            times.append(time.perf_counter() - started)
    finally:
        archive.close()
    return times, time.process_time() - cpu_started


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--dir", type=Path, help="where to write (default: a temporary dir under ./data)")
    ap.add_argument("--records", type=int, default=300, help="exchanges per mode and round (300)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds, modes interleaved (3)")
    ap.add_argument("--pages", type=Path, help="benchmark folder with ground-truth.json and html/")
    args = ap.parse_args(argv)
    if args.records < 1 or args.rounds < 1:
        ap.error("--records and --rounds must be at least 1")
    parent = args.dir or Path("data")
    parent.mkdir(parents=True, exist_ok=True)
    directory = Path(tempfile.mkdtemp(prefix="warc-fsync-", dir=parent))
    bodies = _bodies(args.pages)
    print(
        f"{len(bodies)} pages as bodies (mean {statistics.mean(map(len, bodies)) / 1024:.1f} KiB), "
        f"{args.records} exchanges x {args.rounds} rounds per mode, in {directory.resolve()}"
    )
    times: dict[str, list[float]] = {mode: [] for mode in MODES}
    cpu: dict[str, float] = {mode: 0.0 for mode in MODES}
    try:
        run_id = 0
        for _ in range(args.rounds):
            for mode, cls in MODES.items():
                run_id += 1
                wall, cpu_seconds = _run(cls, directory, bodies, args.records, run_id)
                times[mode] += wall
                cpu[mode] += cpu_seconds
    finally:
        shutil.rmtree(directory)
    base = statistics.median(times["none"])
    print(f"{'mode':<10} {'median ms':>10} {'p90 ms':>8} {'mean ms':>8} {'median - none':>14} {'cpu ms':>7}")
    for mode, values in times.items():
        values.sort()
        p90 = values[int(len(values) * 0.9)]
        median = statistics.median(values)
        print(
            f"{mode:<10} {median * 1000:>10.3f} {p90 * 1000:>8.3f} {statistics.mean(values) * 1000:>8.3f} "
            f"{(median - base) * 1000:>14.3f} {cpu[mode] / len(values) * 1000:>7.3f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
