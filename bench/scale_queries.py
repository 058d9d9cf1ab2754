"""Some consumer queries of bench/scale.py on an existing scale database, as it is (no
upgrade, no load): timings, the shared buffers and server ms of 20 EXPLAIN runs, one plan.

    python bench/scale_queries.py --database dadkhah_bench_scale_1m_scale --only README cluster

Measures the way ``bench/scale.py`` does (the same queries and parameter draws, the same
statistics), so a database can be measured before and after a migration applied by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import scale  # noqa: E402 - bench/scale.py, beside this script
from sqlalchemy import create_engine, text  # noqa: E402

from pipeline.db import normalise_url  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--reps", type=int, default=100)
    parser.add_argument("--only", nargs="+", default=[""], help="Queries whose name contains one of these.")
    parser.add_argument("--out", type=Path, help="Also write the figures and plans to this file.")
    args = parser.parse_args()
    engine = create_engine(normalise_url(args.server).rsplit("/", 1)[0] + f"/{args.database}")
    with engine.connect() as conn:
        n = conn.execute(
            text("SELECT count(*) FROM articles WHERE article_id < :p"), {"p": scale.PROBE_IDS}
        ).scalar_one()
        newest = conn.execute(
            text("SELECT max(published_at) FROM articles WHERE article_id < :p"), {"p": scale.PROBE_IDS}
        ).scalar_one()
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    rng = random.Random(n)
    queries = {
        name: q
        for name, q in scale._queries(n, newest, rng, scale.Synth()).items()
        if any(word in name for word in args.only)
    }
    lines = [
        f"# {n:,} articles, migration {revision}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"load average {', '.join(f'{x:.2f}' for x in os.getloadavg())}; client ms median / p95 "
        f"({args.reps} runs); buffers and server ms: median / p95 of 20 EXPLAIN (ANALYZE, BUFFERS)\n"
    ]
    plans = []
    with engine.connect() as conn:
        for name, (sql, params) in queries.items():
            stmt = text(sql)
            conn.execute(stmt, params()).all()  # warm
            ms = scale._stats(scale._timed(lambda s=stmt, p=params: conn.execute(s, p()).all(), args.reps))
            work = [scale._server_work(conn, sql, params()) for _ in range(20)]
            buffers = scale._stats([w[0] for w in work])
            server = scale._stats([w[1] for w in work])
            lines.append(
                f"{name}: client {ms[0]:.2f} / {ms[1]:.2f} ms; buffers {buffers[0]:,.0f} / {buffers[1]:,.0f}; "
                f"server {server[0]:.2f} / {server[1]:.2f} ms\n"
            )
            print(lines[-1], end="", flush=True)
            p = params()
            plan = conn.execute(text("EXPLAIN (ANALYZE, BUFFERS) " + sql), p).scalars().all()
            plans.append(f"\n## {name}\n-- {sql}\n-- {json.dumps(p, default=str, ensure_ascii=False)}\n")
            plans.extend(line + "\n" for line in plan)
            conn.rollback()
    engine.dispose()
    if args.out:
        args.out.write_text("".join(lines + plans), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
