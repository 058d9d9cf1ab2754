"""Cost of the chain of custody and of evidence bundles.

1. Sealing: writes F WARC files of R exchanges each (the extraction benchmark's real news
   pages as bodies, cycled, where found; else tests/data/extraction), then seals them one by one as the pass does: the file read, hashed,
   its records counted and dated; the entry signed (Ed25519) and inserted; with ``--tsa``
   also stamped by a local OpenSSL timestamp authority on loopback (tests/tsa.py).
2. Bundles: crawls a loopback site of A articles (a real pass), then writes and verifies
   each article's bundle.

    .venv/bin/python bench/evidence.py [--files 20] [--records 50] [--articles 30] [--tsa]

Prints figures; it is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from pipeline.archive import WarcArchive  # noqa: E402
from pipeline.db import upgrade  # noqa: E402
from pipeline.evidence import keys  # noqa: E402
from pipeline.evidence.bundle import write_bundle  # noqa: E402
from pipeline.evidence.chain import _append_entry, file_facts, stamp_entry  # noqa: E402
from pipeline.evidence.verify import verify_bundle  # noqa: E402
from pipeline.ingest import ingest  # noqa: E402
from pipeline.settings import Settings  # noqa: E402
from tests.loopback import news_site, outlets_yaml  # noqa: E402
from tests.pg import create_scratch_database, drop_database, server_url  # noqa: E402
from tests.tsa import LocalTSA  # noqa: E402

PAGES = ROOT / "tests" / "data" / "extraction"


def _bodies() -> list[bytes]:
    """The extraction benchmark's real news pages where they are found, else the test pages."""
    from bench.extraction import DEFAULT_DIRS, load_pages

    for candidate in DEFAULT_DIRS:
        if candidate and (candidate / "ground-truth.json").is_file():
            return [html.encode() for html, _url, _truth in list(load_pages(candidate).values())[:200]]
    return [p.read_bytes() for p in sorted(PAGES.glob("*.html"))]


def _ms(values: list[float]) -> str:
    return f"median {statistics.median(values) * 1000:.2f} ms, max {max(values) * 1000:.2f} ms"


def bench_sealing(engine, tmp: Path, files: int, records: int, tsa: LocalTSA | None) -> None:
    bodies = _bodies()
    archive_dir = tmp / "seal-archive"
    written = []
    for f in range(files):
        archive = WarcArchive(archive_dir, outlet_id=1000 + f, run_id=1, software="bench")
        for r in range(records):
            archive.write_exchange(
                url=f"http://127.0.0.1/{f}/{r}", method="GET", request_headers=[], status=200, reason="OK",
                protocol="HTTP/1.1", response_headers=[("Content-Type", "text/html")],
                body=bodies[(f * records + r) % len(bodies)], fetched_at=datetime.now(UTC),
            )  # fmt: skip
        archive.close()
        written.append(archive.relative)
    key = keys.load_or_create(tmp / "data")
    read, sign, insert, stamp, sizes = [], [], [], [], []
    for relative in written:
        path = archive_dir / relative
        sizes.append(path.stat().st_size)
        t0 = time.perf_counter()
        facts = file_facts(path)
        t1 = time.perf_counter()
        key.sign(facts.sha256.encode())  # the cost of one signature, alone
        t2 = time.perf_counter()
        entry = _append_entry(engine, relative, facts, key)  # signs again, inserts, commits
        t3 = time.perf_counter()
        read.append(t1 - t0)
        sign.append(t2 - t1)
        insert.append(t3 - t2)
        if tsa is not None:
            stamp_entry(engine, entry.seq, entry.entry, tsa.url)
            stamp.append(time.perf_counter() - t3)
    mb = statistics.median(sizes) / 1e6
    print(f"sealing {files} WARC files of {records} exchanges (median {mb:.2f} MB):")
    print(f"  read+hash+count+date  {_ms(read)}  ({statistics.median(read) / mb * 1000:.1f} ms per MB)")
    print(f"  Ed25519 signature     {_ms(sign)}")
    print(f"  sign+insert+commit    {_ms(insert)}")
    if stamp:
        print(
            f"  RFC 3161 stamp        {_ms(stamp)}  (local OpenSSL TSA on loopback: a real one adds the network)"
        )


def bench_bundles(pg: str, tmp: Path, articles: int, tsa: LocalTSA | None) -> None:
    tmp.mkdir(parents=True, exist_ok=True)
    url = create_scratch_database(pg, prefix="dadkhah_bench")
    engine = create_engine(url)
    try:
        upgrade(engine)
        settings = Settings(
            database_url=url,
            archive_dir=tmp / "archive",
            data_dir=tmp / "data",
            tsa_url=tsa.url if tsa else None,
            tsa_ca_file=tsa.ca_file if tsa else None,
        )
        site = news_site(articles)
        try:
            outlets = outlets_yaml(
                tmp, [{"name": "Bench", "home": site.base + "/", "feeds": [site.base + "/feed"]}]
            )
            ingest(settings, outlets_file=outlets, trigger="bench", stream_logs=False, engine=engine)
        finally:
            site.stop()
        with engine.connect() as conn:
            ids = conn.execute(text("SELECT article_id FROM articles ORDER BY article_id")).scalars().all()
        write, check, sizes = [], [], []
        for article_id in ids:
            out = tmp / f"b{article_id}.wacz"
            t0 = time.perf_counter()
            result = write_bundle(
                engine,
                settings.archive_dir,
                settings.data_dir,
                article_id,
                out,
                tsa_ca_file=settings.tsa_ca_file,
            )
            t1 = time.perf_counter()
            verdict = verify_bundle(out)
            t2 = time.perf_counter()
            assert verdict.ok, verdict.failed
            write.append(t1 - t0)
            check.append(t2 - t1)
            sizes.append(result.size)
        warc = sum(p.stat().st_size for p in settings.archive_dir.rglob("*.warc.gz"))
        print(f"bundles of {len(ids)} articles (one outlet run, its WARC file {warc / 1e3:.0f} kB):")
        print(f"  write   {_ms(write)}")
        print(f"  verify  {_ms(check)}")
        print(
            f"  size    median {statistics.median(sizes) / 1e3:.0f} kB (the whole sealed WARC file is inside)"
        )
    finally:
        engine.dispose()
        drop_database(pg, url)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--records", type=int, default=50)
    parser.add_argument("--articles", type=int, default=30)
    parser.add_argument("--tsa", action="store_true", help="also stamp with a local OpenSSL TSA")
    parser.add_argument("--database-url", default=None, help="server URL (default: as the tests find one)")
    args = parser.parse_args()
    pg = args.database_url or server_url()
    tsa = LocalTSA().start() if args.tsa else None
    try:
        with tempfile.TemporaryDirectory(prefix="dadkhah-bench-evidence-") as tmp:
            url = create_scratch_database(pg, prefix="dadkhah_bench")
            engine = create_engine(url)
            try:
                upgrade(engine)
                bench_sealing(engine, Path(tmp), args.files, args.records, tsa)
            finally:
                engine.dispose()
                drop_database(pg, url)
            bench_bundles(pg, Path(tmp) / "bundles", args.articles, tsa)
    finally:
        if tsa is not None:
            tsa.stop()


if __name__ == "__main__":
    main()
