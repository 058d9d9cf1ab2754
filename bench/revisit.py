"""Cost of a revisit per article: CPU and requests.

Crawls a loopback site of A article pages (a real pass), then runs three real revisit runs
of every article (``due_only`` with an injected clock past the schedule's stages), each with
the site in another state:

1. ``304``: the site honours ``If-None-Match`` (every page has an ETag): nothing to read;
2. ``same``: no validators, the same page re-sent with other bytes (a changing footer):
   every page is decoded and extracted again, and found unchanged;
3. ``edited``: every page's text changed: extraction, a new version and a word diff each.

For each: article requests the site received per due article (the goal: at most one),
robots.txt requests, and CPU per article of the crawl child (user + sys, its extraction
workers included) and of the parent process.

    .venv/bin/python bench/revisit.py [--articles 200]

Prints figures; it is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from pipeline.db import upgrade  # noqa: E402
from pipeline.ingest import ingest  # noqa: E402
from pipeline.revisit.run import revisit  # noqa: E402
from pipeline.settings import Settings  # noqa: E402
from tests.loopback import outlets_yaml  # noqa: E402
from tests.pg import create_scratch_database, drop_database, server_url  # noqa: E402
from tests.revisit_site import Route, Site  # noqa: E402

WORDS = [
    "prisoners", "executed", "families", "court", "sentence", "lawyer", "appeal", "detention",
    "province", "authorities", "report", "monitors", "charges", "trial", "evidence", "rights",
]  # fmt: skip


def page(i: int, variant: str, footer: str) -> bytes:
    body = "".join(
        "<p>"
        + " ".join(WORDS[(i + p * 7 + w) % len(WORDS)] for w in range(60))
        + f" case {i} paragraph {p} {variant}.</p>"
        for p in range(8)
    )
    return (
        f"<html><head><title>Report {i} on executions</title>"
        '<meta property="article:published_time" content="2026-11-01T10:00:00+00:00"></head>'
        f"<body><article><h1>Report {i} on executions</h1>{body}</article><footer>{footer}</footer></body></html>"
    ).encode()


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=200)
    args = parser.parse_args()
    n = args.articles
    base = server_url()
    url = create_scratch_database(base)
    engine = create_engine(url)
    upgrade(engine)
    site = Site()
    try:
        with tempfile.TemporaryDirectory(prefix="dadkhah-bench-revisit-") as tmp:
            settings = Settings(
                database_url=url, archive_dir=Path(tmp) / "archive", data_dir=Path(tmp) / "data"
            )
            paths = [f"/news/{i}/" for i in range(n)]
            items = "".join(f"<item><link>{site.base}{p}</link></item>" for p in paths)
            site.routes["/feed"] = Route(
                f'<?xml version="1.0"?><rss><channel>{items}</channel></rss>'.encode()
            )
            for i, p in enumerate(paths):
                site.routes[p] = Route(page(i, "first", "footer 1"), etag=f'"{i}-1"')
            outlets = outlets_yaml(
                Path(tmp),
                [{"name": "Bench", "home": site.base + "/", "feeds": [site.base + "/feed"],
                  "max_articles_per_run": n, "revisit": {"max_per_run": n}}],
            )  # fmt: skip
            report = ingest(settings, outlets_file=outlets, trigger="bench", stream_logs=False, engine=engine)
            stored = report.outlets["Bench"]["stored"]
            with engine.connect() as conn:
                first_seen = conn.execute(text("SELECT max(first_seen_at) FROM articles")).scalar_one()
            print(f"articles stored: {stored} (of {n} served)")
            states = [
                ("304", 1.5, lambda i, r: r),
                ("same", 8, lambda i, r: Route(page(i, "first", "footer 2"))),
                ("edited", 31, lambda i, r: Route(page(i, "second", "footer 2"))),
            ]
            for label, days, change in states:
                for i, p in enumerate(paths):
                    site.routes[p] = change(i, site.routes[p])
                before = len(site.requests)
                cpu_child, cpu_self, wall = _children_cpu(), time.process_time(), time.perf_counter()
                now = first_seen + timedelta(days=days)
                result = revisit(
                    settings, outlets_file=outlets, due_only=True, clock=lambda now=now: now,
                    trigger="bench", engine=engine, stream_logs=False,
                )  # fmt: skip
                wall = time.perf_counter() - wall
                cpu_child = _children_cpu() - cpu_child
                cpu_self = time.process_time() - cpu_self
                got = site.requests[before:]
                article_requests = sum(1 for p, _ in got if p.startswith("/news/"))
                robots = sum(1 for p, _ in got if p == "/robots.txt")
                due = result.total("selected")
                outcome = {k: result.total(k) for k in ("unchanged", "edited", "removed", "unreachable")}
                print(
                    f"{label:>6}: {due} due, {outcome}; {article_requests / due:.2f} article requests per due article "
                    f"(+{robots} robots.txt); crawl child CPU {cpu_child / due * 1000:.2f} ms/article, "
                    f"parent CPU {cpu_self / due * 1000:.2f} ms/article; wall {wall:.1f} s"
                )
    finally:
        site.stop()
        engine.dispose()
        drop_database(base, url)


if __name__ == "__main__":
    main()
