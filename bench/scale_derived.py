"""Derived work (clustering, tagging through the work queue) on an existing scale database.

    nice python bench/scale_derived.py --database dadkhah_bench_scale_1m --out bench/results/X.json

Runs ``scale.derived_work`` only (200 new articles, 100 changed texts) on a database that
``bench/scale.py --database`` loaded; does not load, migrate or measure the queries.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text

HERE = Path(__file__).resolve().parent
spec = importlib.util.spec_from_file_location("scale", HERE / "scale.py")
scale = importlib.util.module_from_spec(spec)
spec.loader.exec_module(scale)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    url = scale.normalise_url(args.server).rsplit("/", 1)[0] + f"/{args.database}"
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            n = conn.execute(
                text("SELECT count(*) FROM articles WHERE article_id < :p"), {"p": scale.PROBE_IDS}
            ).scalar_one()
            head = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        plans: list[str] = []
        started = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
        work = scale.derived_work(engine, n, scale.Synth(), plans)
        out = {
            "articles": n,
            "migration": head,
            "measured_at": f"{started} - {datetime.now(UTC):%H:%M} UTC",
            "load_average": os.getloadavg(),
            "derived work": work,
        }
        args.out.write_text(json.dumps(out, indent=1, default=str), encoding="utf-8")
        print(json.dumps(out, indent=1, default=str))
        print("".join(plans))
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
