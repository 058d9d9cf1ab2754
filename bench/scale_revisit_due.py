"""The revisit due selection on an existing scale database: the indexed selection (0017) and the
statement before it, on the loaded archive (never revisited) and on a steady state.

    nice python bench/scale_revisit_due.py --database dadkhah_bench_scale_1m > bench/results/X.txt

The steady state is built in a transaction that is rolled back: every article of the outlet
older than a day gets one conclusive revisit a few hours after its newest stage came due,
except one in fifty (left due) and one in a hundred whose revisit was unreachable. Both
statements must return the same rows (checked). Prints timings (median / p95) and EXPLAIN.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import scale  # noqa: E402 - bench/scale.py, beside this script
from sqlalchemy import create_engine, text  # noqa: E402

from pipeline.config import RevisitConfig  # noqa: E402
from pipeline.db import normalise_url  # noqa: E402

PROBE_IDS = scale.PROBE_IDS

STEADY = """
INSERT INTO article_revisits (article_id, checked_at, outcome, reason)
SELECT a.article_id, s.due_since + (a.article_id % 20) * interval '1 hour',
       CASE WHEN a.article_id % 100 = 1 THEN 'unreachable' ELSE 'unchanged' END, 'bench steady state'
  FROM articles a
 CROSS JOIN LATERAL (SELECT max(a.first_seen_at + d * interval '24 hours') AS due_since
                       FROM unnest(CAST(:days AS float8[])) AS d
                      WHERE a.first_seen_at + d * interval '24 hours' <= :now) s
 WHERE a.outlet_id = :outlet_id AND a.article_id < :probes AND s.due_since IS NOT NULL
   AND a.article_id % 50 <> 0 AND s.due_since + (a.article_id % 20) * interval '1 hour' < :now
"""


def measure(conn, label: str, outlet: int, now, reps: int) -> list[int]:
    rows = {}
    selections = scale.due_selections(outlet, now, reps)
    for name, (_, s, p, n) in zip(("0017 (indexed)", "before 0017"), selections, strict=True):
        rows[name] = [tuple(r) for r in conn.execute(s, p)]
        median, p95 = scale._stats(scale._timed(lambda s=s, p=p: conn.execute(s, p).all(), n))
        print(
            f"{label}, {name}: {median:.2f} / {p95:.2f} ms (median / p95, {n} runs), {len(rows[name])} rows"
        )
        plan = conn.execute(text("EXPLAIN (ANALYZE, BUFFERS) " + s.text), p).scalars().all()
        print(f"\n## {label}: {name}\n" + "\n".join(plan) + "\n")
    assert rows["0017 (indexed)"] == rows["before 0017"], "the two selections differ"
    print(f"{label}: both return the same {len(rows['before 0017'])} rows in the same order\n")
    return rows


def add_steady_state(conn, outlet: int, now) -> int:
    """Insert the steady state's revisits (STEADY) in the open transaction; how many."""
    days = [float(d) for d in RevisitConfig().after_days]
    params = {"days": days, "now": now, "outlet_id": outlet, "probes": PROBE_IDS}
    return conn.execute(text(STEADY), params).rowcount


def vacuum(engine) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as auto:
        auto.execute(text("VACUUM ANALYZE articles"))
        auto.execute(text("VACUUM ANALYZE article_revisits"))


def committed_steady_state(engine, conn, args, now) -> int:
    t0 = time.perf_counter()
    added = add_steady_state(conn, args.outlet, now)
    conn.commit()
    try:
        vacuum(engine)
        print(
            f"# steady state: {added:,} revisits committed and vacuumed in {time.perf_counter() - t0:.0f} s "
            "(deleted afterwards)\n"
        )
        measure(conn, "steady state (vacuumed)", args.outlet, now, args.reps)
        conn.rollback()
    finally:
        conn.execute(text("SET session_replication_role = replica"))  # no triggers: reset by hand
        conn.execute(text("DELETE FROM article_revisits WHERE reason = 'bench steady state'"))
        conn.execute(
            text(
                "UPDATE articles a SET last_conclusive_revisit_at = (SELECT max(r.checked_at) "
                "FROM article_revisits r WHERE r.article_id = a.article_id AND r.outcome <> 'unreachable') "
                "WHERE a.last_conclusive_revisit_at IS NOT NULL"
            )
        )
        conn.commit()
        vacuum(engine)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--outlet", type=int, default=3)
    parser.add_argument("--reps", type=int, default=50)
    parser.add_argument(
        "--committed",
        action="store_true",
        help="Commit the steady state's revisits, VACUUM ANALYZE, measure, then delete them (with "
        "triggers off, resetting the column) and VACUUM again: the plans of a vacuumed archive.",
    )
    args = parser.parse_args()
    engine = create_engine(normalise_url(args.server).rsplit("/", 1)[0] + f"/{args.database}")
    with engine.connect() as conn:
        conn.execute(text("SET TimeZone = 'UTC'"))
        conn.execute(text("SET jit = off"))  # as pipeline.revisit.schedule.select_articles runs it
        n, head, newest = conn.execute(
            text(
                "SELECT count(*), (SELECT version_num FROM alembic_version), max(published_at) "
                "FROM articles WHERE article_id < :p"
            ),
            {"p": PROBE_IDS},
        ).one()
        now = newest + timedelta(days=1)
        print(f"# revisit due selection, outlet {args.outlet}, {n:,} articles, migration {head}, now={now}\n")
        measure(conn, "as loaded (no revisits)", args.outlet, now, args.reps)
        if args.committed:
            return committed_steady_state(engine, conn, args, now)
        t0 = time.perf_counter()
        added = add_steady_state(conn, args.outlet, now)
        conn.execute(text("ANALYZE articles"))
        conn.execute(text("ANALYZE article_revisits"))
        print(
            f"# steady state: {added:,} revisits inserted in {time.perf_counter() - t0:.0f} s "
            "(rolled back afterwards)\n"
        )
        measure(conn, "steady state", args.outlet, now, args.reps)
        conn.rollback()
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
