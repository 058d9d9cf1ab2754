"""One ingestion's known-URL check (pipeline.storage) on an existing scale database: its plan and
timings, with the candidates bench/scale.py draws (120 /news/, 30 /tag/, 50 new URLs).

    python bench/scale_known_urls.py --database dadkhah_bench_scale_1m [--reps 100]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text  # noqa: E402

from pipeline.db import normalise_url  # noqa: E402
from pipeline.storage import _KNOWN_URLS, NEVER_SETTLES, NOT_AN_ANSWER  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--reps", type=int, default=100)
    args = parser.parse_args()
    engine = create_engine(normalise_url(args.server).rsplit("/", 1)[0] + f"/{args.database}")
    rng = random.Random(5)
    with engine.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM articles WHERE article_id < 900000000")).scalar_one()

        def params() -> dict:
            urls = (
                [
                    f"https://outlet{rng.randrange(10)}.example.org/news/{rng.randint(1, n)}"
                    for _ in range(120)
                ]
                + [
                    f"https://outlet{rng.randrange(10)}.example.org/tag/{rng.randint(1, n)}"
                    for _ in range(30)
                ]
                + [
                    f"https://outlet{rng.randrange(10)}.example.org/news/new-{rng.random()}"
                    for _ in range(50)
                ]
            )
            return {
                "urls": urls,
                "uncounted": sorted(NEVER_SETTLES | NOT_AN_ANSWER),
                "not_answers": sorted(NOT_AN_ANSWER),
            }

        print(f"# known-URL check, 200 candidates, {n:,} articles\n")
        print(
            "\n".join(
                conn.execute(text("EXPLAIN (ANALYZE, BUFFERS) " + _KNOWN_URLS.text), params()).scalars()
            )
        )
        ms = []
        for _ in range(args.reps):
            p = params()
            t0 = time.perf_counter()
            conn.execute(_KNOWN_URLS, p).all()
            ms.append((time.perf_counter() - t0) * 1000)
        ms.sort()
        print(
            f"\nmedian {statistics.median(ms):.2f} ms, p95 {ms[round(0.95 * (len(ms) - 1))]:.2f} ms ({args.reps} runs)"
        )
        sizes = conn.execute(
            text(
                "SELECT c.relname, pg_relation_size(c.oid) FROM pg_class c WHERE c.relname IN "
                "('article_urls_pkey', 'ix_fetches_requested_url') ORDER BY 1"
            )
        ).all()
        buffers = conn.execute(text("SHOW shared_buffers")).scalar_one()
        print(", ".join(f"{r} {b / 1e6:.0f} MB" for r, b in sizes) + f"; shared_buffers {buffers}")
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
