"""Throughput of the whole ingestion pass against extraction alone.

Serves N generated article pages (default 2,000) on 127.0.0.5, runs real passes
(discovery from a sitemap, fetch, WARC, fetch log, extraction, dedup, storage) into a
scratch PostgreSQL database, and compares the crawl process's CPU time per article with
trafilatura alone on the same pages: `bare_extraction` with metadata and without comments
(what the pipeline stores), measured just before and after each pass, and plain
`trafilatura.extract` for reference.

    .venv/bin/python bench/pipeline.py [--pages 2000] [--rounds 3] [--date-style json-ld|meta]
                                       [--real-pages [DIR]] [--database-url URL]

``--real-pages`` serves the extraction benchmark's real news pages instead (read from where
that benchmark lives, cycled to ``--pages``, one outlet per copy of the set).

Prints figures; it is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import trafilatura  # noqa: E402
import yaml  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from pipeline.db import upgrade  # noqa: E402
from pipeline.fixture_site.render import article_html, urlset  # noqa: E402
from pipeline.ingest import ingest  # noqa: E402
from pipeline.settings import Settings  # noqa: E402
from spiders.run import GC_THRESHOLD  # noqa: E402
from tests.pg import create_scratch_database, drop_database, server_url  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from extraction import find_data_dir, load_pages  # noqa: E402

WORDS = (
    "prisoner court sentence family lawyer execution detained security forces province activist "
    "report statement rights judiciary charges appeal hearing released bail transferred ward "
    "hunger strike protest journalist union teacher student mother city agents arrested summoned "
    "investigation evidence witnesses official media announced week month year according source"
).split()
OUTLET = {"language": "en", "site_name": "Bench Outlet"}


def site_chrome(rng: random.Random) -> tuple[str, str]:
    """Navigation, sidebars, footer and inline scripts of the size real news pages carry."""
    links = "".join(
        f'<li><a href="/category/{rng.choice(WORDS)}-{i}/">{rng.choice(WORDS).title()} {i}</a></li>'
        for i in range(180)
    )
    config = ",".join(f'"{rng.choice(WORDS)}_{i}":"{"x" * 40}"' for i in range(700))
    top = f'<nav class="mega-menu"><ul>{links}</ul></nav><script>window.__CONFIG__={{{config}}};</script>'
    bottom = (
        f'<footer class="site-footer"><ul>{links}</ul></footer><script>var tracking={{{config}}};</script>'
    )
    return top, bottom


def make_pages(count: int, seed: int = 7, date_style: str = "json-ld") -> dict[str, bytes]:
    rng = random.Random(seed)
    chrome = site_chrome(rng)
    pages: dict[str, bytes] = {}
    for i in range(count):
        paragraphs = [
            " ".join(rng.choice(WORDS) for _ in range(rng.randint(25, 60))).capitalize() + "."
            for _ in range(rng.randint(4, 9))
        ]
        article = {
            "slug": f"story-{i}",
            "title": f"Story {i}: " + " ".join(rng.choice(WORDS) for _ in range(6)),
            "author": "Bench Writer",
            "published": f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}T10:00:00+00:00",
            "date_style": date_style,
            "paragraphs": paragraphs,
        }
        html = article_html(article, OUTLET, "http://127.0.0.5")
        top, bottom = chrome
        html = html.replace("<body>", "<body>" + top, 1).replace("</body>", bottom + "</body>", 1)
        pages[f"/news/story-{i}/"] = html.encode()
    return pages


def serve(pages: dict[str, bytes]) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:
            return

        def do_GET(self) -> None:  # noqa: N802
            body = pages.get(self.path.split("?")[0])
            if self.path == "/robots.txt":
                body = b"User-agent: *\nAllow: /\n"
            status = 200 if body is not None else 404
            body = body or b"not found"
            self.send_response(status)
            self.send_header(
                "Content-Type",
                "application/xml" if self.path.endswith(".xml") else "text/html; charset=utf-8",
            )
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.5", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.5:{server.server_address[1]}"


# The baseline that matches what the pipeline stores: text plus metadata, no comments.
WITH_METADATA = {"with_metadata": True, "include_comments": False}


def trafilatura_cpu(html_pages: list[bytes], url: str, *, with_metadata: bool) -> float:
    """CPU seconds per page of trafilatura alone (decoding included, as the pipeline's).

    with_metadata: ``bare_extraction`` with metadata and without comments (what the pipeline
    stores, the baseline); otherwise plain ``trafilatura.extract`` with its defaults.
    """
    # Under the crawl process's garbage-collector policy (spiders/run.py), so that neither
    # side pays for collections the other is spared; this process also holds every page.
    thresholds = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, 20, 20)
    try:
        t0 = time.process_time()
        for html in html_pages:
            if with_metadata:
                trafilatura.bare_extraction(html.decode(), url=url, **WITH_METADATA)
            else:
                trafilatura.extract(html.decode(), url=url)
        return (time.process_time() - t0) / len(html_pages)
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def real_pages(data_dir: Path, count: int) -> dict[str, bytes]:
    """``count`` pages cycled from the extraction benchmark's real article pages, read where
    the benchmark keeps them (never copied into the project). Copy k of the set is served
    under /c<k>/ for outlet k: content hashes are per outlet, so no copy is a duplicate."""
    sources = [html for html, _url, _truth in load_pages(data_dir).values()]
    if not sources:
        raise SystemExit(f"no pages in {data_dir / 'html'}")
    # Served as UTF-8, so that the baseline decodes exactly what the pipeline fetched.
    bodies = [html.encode() for html in sources]
    pages: dict[str, bytes] = {}
    for i in range(count):
        copy, index = divmod(i, len(sources))
        pages[f"/c{copy}/page-{index}/"] = bodies[index]
    return pages


def outlets_for(pages: dict[str, bytes], base: str, max_articles: int) -> list[dict]:
    """One outlet per top-level path prefix (one for generated pages), each with a sitemap."""
    prefixes = sorted({"/" + path.split("/")[1] + "/" for path in pages}) if pages else []
    generated = prefixes == ["/news/"]
    outlets = []
    for prefix in prefixes:
        sitemap = "/sitemap.xml" if generated else f"{prefix}sitemap.xml"
        pages[sitemap] = urlset(
            [(base + path, "2025-01-01") for path in list(pages) if path.startswith(prefix)]
        ).encode()
        outlets.append(
            {
                "name": "Bench Outlet" if generated else f"Bench Outlet {prefix.strip('/')}",
                "home": base + ("/" if generated else prefix),
                "language": "en",
                "affiliation": "benchmark",
                "sitemaps": [base + sitemap],
                "min_delay_seconds": 0,
                "max_articles_per_run": max_articles,
                "allow_private_network": True,  # served on loopback
            }
        )
    return outlets


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=1, help="passes to measure (the median is reported)")
    parser.add_argument(
        "--date-style",
        choices=["json-ld", "meta"],
        default="json-ld",
        help="json-ld: headline, author and date in JSON-LD (WordPress/Yoast-like); "
        "meta: meta tags only, so trafilatura's metadata search runs for the author",
    )
    parser.add_argument(
        "--real-pages",
        nargs="?",
        const="",
        default=None,
        metavar="DIR",
        help="serve the extraction benchmark's real pages (cycled to --pages, one outlet per "
        "copy) instead of generated ones (--date-style then does not apply); DIR as "
        "bench/extraction.py finds it",
    )
    parser.add_argument("--database-url", default=None, help="server URL (default: as the tests find one)")
    args = parser.parse_args()
    if args.pages < 1 or args.rounds < 1:
        parser.error("--pages and --rounds must be at least 1")

    if args.real_pages is not None:
        data_dir = find_data_dir(args.real_pages or None)
        if data_dir is None:
            print("extraction benchmark pages not found (pass DIR or set DADKHAH_EXTRACTION_BENCH)")
            return 2
        pages = real_pages(data_dir, args.pages)
        kind = f"real pages from {data_dir}"
    else:
        pages = make_pages(args.pages, date_style=args.date_style)
        kind = f"generated, date style {args.date_style}"
    server, base = serve(pages)
    html_pages = list(pages.values())
    outlets_config = outlets_for(pages, base, args.pages + 10)
    page_url = base + "/news/x/"

    rounds: list[dict[str, float]] = []
    base_server = args.database_url or server_url()
    db_url = create_scratch_database(base_server, prefix="dadkhah_bench")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            outlets = Path(tmp) / "outlets.yaml"
            outlets.write_text(yaml.safe_dump({"outlets": outlets_config}), encoding="utf-8")
            settings = Settings(database_url=db_url, archive_dir=Path(tmp) / "archive", data_dir=Path(tmp))
            upgrade(create_engine(db_url))  # ingest checks the schema, never migrates
            ingest(
                settings, outlets_file=outlets, trigger="bench", stream_logs=False
            )  # warm: schema, imports
            engine = create_engine(db_url)
            for number in range(1, args.rounds + 1):
                with engine.begin() as conn:  # start from an empty archive, keep the migrated schema
                    conn.execute(
                        text(
                            "TRUNCATE articles, article_versions, article_sources, article_urls, "
                            "fetches, outlet_runs, crawl_runs, http_cache CASCADE"
                        )
                    )
                # The baseline is measured just before and just after the pass, and averaged:
                # a shared machine's speed drifts over a minute.
                extract_before = trafilatura_cpu(html_pages, page_url, with_metadata=True)
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                wall0 = time.perf_counter()
                report = ingest(settings, outlets_file=outlets, trigger="bench", stream_logs=False)
                wall = time.perf_counter() - wall0
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                extract_after = trafilatura_cpu(html_pages, page_url, with_metadata=True)
                with engine.connect() as conn:
                    stored = conn.execute(text("SELECT count(*) FROM articles")).scalar_one()
                crawl_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
                result = {
                    "stored": stored,
                    "wall": wall,
                    "pipeline": crawl_cpu / max(stored, 1),
                    "extract_before": extract_before,
                    "extract_after": extract_after,
                    "extract": (extract_before + extract_after) / 2,
                }
                result["ratio"] = result["pipeline"] / result["extract"]
                rounds.append(result)
                print(
                    f"round {number}: {stored} stored ({report.status}), {stored / wall:.1f} articles/s, "
                    f"pipeline {result['pipeline'] * 1000:.1f} ms/article, trafilatura with metadata "
                    f"{extract_before * 1000:.1f} / {extract_after * 1000:.1f} ms/page (before / after), "
                    f"ratio {result['ratio']:.2f}",
                    flush=True,
                )
            engine.dispose()
    finally:
        server.shutdown()
        drop_database(base_server, db_url)

    plain = trafilatura_cpu(html_pages, page_url, with_metadata=False)
    middle = sorted(rounds, key=lambda r: r["ratio"])[len(rounds) // 2]
    mean_kb = sum(len(p) for p in html_pages) / len(html_pages) / 1024
    print()
    print(f"pages served:                  {len(html_pages)} (mean {mean_kb:.0f} KiB, {kind})")
    print(f"rounds:                        {len(rounds)} (figures below: the median round by ratio)")
    print(f"articles stored:               {middle['stored']}")
    print(
        f"wall time:                     {middle['wall']:.1f} s  ->  {middle['stored'] / middle['wall']:.1f} articles/s"
    )
    print(f"pipeline CPU per article:      {middle['pipeline'] * 1000:.1f} ms (crawl process, user+sys)")
    print(
        f"trafilatura.extract alone:     {plain * 1000:.1f} ms per page (defaults, measured after the rounds)"
    )
    print(
        f"trafilatura with metadata:     {middle['extract'] * 1000:.1f} ms per page (mean of before and after the pass)"
    )
    print(f"ratio pipeline / plain extract: {middle['pipeline'] / plain:.2f}")
    print(f"ratio pipeline / extraction with metadata: {middle['ratio']:.2f}  (goal <= 1.3)")
    if len(rounds) > 1:
        print("ratios of all rounds:          " + ", ".join(f"{r['ratio']:.2f}" for r in rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
