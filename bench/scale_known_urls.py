"""One ingestion's known-URL check (pipeline.storage) on an existing scale database: its plan and
timings, with the candidates bench/scale.py draws (120 /news/, 30 /tag/, 50 new URLs).

    python bench/scale_known_urls.py --database dadkhah_bench_scale_1m [--reps 100]
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import scale  # noqa: E402 - bench/scale.py, beside this script
from sqlalchemy import create_engine, text  # noqa: E402

from pipeline.db import normalise_url  # noqa: E402
from pipeline.storage import _KNOWN_URLS, known_urls_params  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--reps", type=int, default=100)
    args = parser.parse_args()
    engine = create_engine(normalise_url(args.server).rsplit("/", 1)[0] + f"/{args.database}")
    rng = random.Random(5)
    with engine.connect() as conn:
        n = conn.execute(
            text("SELECT count(*) FROM articles WHERE article_id < :p"), {"p": scale.PROBE_IDS}
        ).scalar_one()

        def params() -> dict:
            return known_urls_params(scale.known_url_candidates(rng, n))

        print(f"# known-URL check, 200 candidates, {n:,} articles\n")
        print(
            "\n".join(
                conn.execute(text("EXPLAIN (ANALYZE, BUFFERS) " + _KNOWN_URLS.text), params()).scalars()
            )
        )
        median, p95 = scale._stats(scale._timed(lambda: conn.execute(_KNOWN_URLS, params()).all(), args.reps))
        print(f"\nmedian {median:.2f} ms, p95 {p95:.2f} ms ({args.reps} runs)")
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
