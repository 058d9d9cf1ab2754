"""consumer.search on an existing scale database, before (0009) and after (0019) on the same queries.

    nice -n 10 python bench/scale_search.py --database dadkhah_bench_scale_1m_search [--reps 100]

The three search rows of bench/scale.py (same statements, same drawing), each drawn ``--reps``
times; every draw runs through the current ``consumer.search`` and through 0009's definition,
created beside it as ``consumer_0009.search`` (dropped at the end), and both must return the
same rows. Then, per definition: client median / p95 (psycopg, the draws in the same order),
and over ``--work`` further draws the server's planning + execution ms and the shared pages
touched (hit + read) from ``EXPLAIN (ANALYZE, BUFFERS)``, which include the statements run
inside the function. Also printed: the drawn queries' matches in the archive (what 0009's cost
followed) and, with ``--plans``, the plans of one call's inner statements (auto_explain).
``--by-frequency`` then times both definitions (7 runs each, alternating) on single Persian
words at fixed frequency ranks of a sample of the archive (~1,000 articles), from the most
common word down: how each definition's cost follows a word's matches.
The database must be at 0019 or later (``dadkhah db upgrade`` or bench/scale.py --database).

bench/scale.py draws words by index into a vocabulary whose order follows Python's string hash,
so which words are drawn (and how frequent they are) changes with PYTHONHASHSEED: set it to
compare runs; within one run both definitions get the same draws.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import statistics
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import scale  # noqa: E402 - bench/scale.py, beside this script
from sqlalchemy import create_engine, text  # noqa: E402

from pipeline.db import normalise_url  # noqa: E402

NAMES = ["search: one word (fa)", "search: two words (en)", "search: phrase + outlet + since"]


def _search_0009() -> str:
    path = ROOT / "schema" / "migrations" / "versions" / "0019_search_walks_windows.py"
    spec = importlib.util.spec_from_file_location("m0019", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.SEARCH_0009.replace("FUNCTION consumer.search(", "FUNCTION consumer_0009.search(")


def _inner_plans(url: str, sql: str, params: dict) -> list[str]:
    """auto_explain's plans of every statement one call runs (the window walk's included)."""
    import psycopg

    notes: list[str] = []
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as conn:
        conn.add_notice_handler(lambda d: notes.append(d.message_primary or ""))
        for setting in (
            "LOAD 'auto_explain'",
            "SET auto_explain.log_min_duration = 0",
            "SET auto_explain.log_nested_statements = on",
            "SET auto_explain.log_analyze = on",
            "SET auto_explain.log_buffers = on",
            "SET client_min_messages = log",
        ):
            conn.execute(setting)
        named = sql.replace(":q", "%(q)s").replace(":since", "%(since)s")
        conn.execute(named, params).fetchall()
        conn.rollback()
    return notes


def _by_frequency(conn, n: int) -> list[dict]:
    """Both definitions on single Persian words at fixed frequency ranks (most common first)."""
    sample = n // 1000 + 1  # not a multiple of the 10 outlets: every language sampled
    words = conn.execute(
        text(
            "SELECT word, ndoc FROM ts_stat('SELECT search_tsv FROM articles WHERE article_id % "
            f"{sample} = 0 AND language = ''fa''') ORDER BY ndoc DESC, word"
        )
    ).all()
    out = []
    print("\n## one Persian word by frequency rank (client: median of 7; pages, server ms: 1 EXPLAIN)")
    for rank in (1, 5, 20, 60, 150, 400, 1000, 2500):
        if rank > len(words):
            break
        p = {"q": words[rank - 1][0]}
        matches = conn.execute(
            text("SELECT count(*) FROM articles WHERE search_tsv @@ dadkhah_search_query(:q)"), p
        ).scalar_one()
        stmts = {k: text(f"SELECT * FROM {k}.search(:q)") for k in ("consumer_0009", "consumer")}
        same = conn.execute(stmts["consumer"], p).all() == conn.execute(stmts["consumer_0009"], p).all()
        ms: dict[str, list[float]] = {k: [] for k in stmts}
        for i in range(7):
            for k in sorted(stmts, reverse=bool(i % 2)):
                ms[k] += scale._timed(lambda s=stmts[k], p=p: conn.execute(s, p).all(), 1)
        row: dict[str, object] = {"rank": rank, "word": p["q"], "matches": matches, "same rows": same}
        for k, label in (("consumer_0009", "0009"), ("consumer", "0019")):
            pages, server = scale._server_work(conn, f"SELECT * FROM {k}.search(:q)", p)
            row[label] = {"client ms": statistics.median(ms[k]), "pages": pages, "server ms": server}
        conn.rollback()
        print(json.dumps(row, ensure_ascii=False), flush=True)
        out.append(row)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--reps", type=int, default=100)
    parser.add_argument("--work", type=int, default=20, help="EXPLAIN ANALYZE runs per definition.")
    parser.add_argument("--plans", action="store_true", help="Print one call's inner plans per row.")
    parser.add_argument("--json", type=Path, help="Also write the figures to this file.")
    parser.add_argument("--by-frequency", action="store_true", help="Also time words by frequency rank.")
    args = parser.parse_args()
    url = normalise_url(args.server).rsplit("/", 1)[0] + f"/{args.database}"
    engine = create_engine(url)
    results: dict[str, object] = {
        "database": args.database,
        "measured_at": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "load_average_start": os.getloadavg(),
        "pythonhashseed": os.environ.get("PYTHONHASHSEED"),
    }
    with engine.begin() as conn:
        walk = conn.execute(
            text(
                "SELECT to_regprocedure('dadkhah_search_candidates(tsquery, text, text, timestamptz, integer)')"
            )
        ).scalar_one()
        if walk is None:
            print(
                "the database is not at 0019 (no dadkhah_search_candidates): upgrade it first",
                file=sys.stderr,
            )
            return 2
        conn.execute(text("DROP SCHEMA IF EXISTS consumer_0009 CASCADE"))
        conn.execute(text("CREATE SCHEMA consumer_0009"))
        conn.execute(text(_search_0009()))
    try:
        with engine.connect() as conn:
            n = conn.execute(
                text("SELECT count(*) FROM articles WHERE article_id < :p"), {"p": scale.PROBE_IDS}
            ).scalar_one()
            newest = conn.execute(
                text("SELECT max(published_at) FROM articles WHERE article_id < :p"), {"p": scale.PROBE_IDS}
            ).scalar_one()
            results["articles"] = n
            print(f"# consumer.search at {n:,} articles, {results['measured_at']}, PYTHONHASHSEED="
                  f"{results['pythonhashseed']}, load average {results['load_average_start']}")  # fmt: skip
            queries = scale._queries(n, newest, random.Random(n), scale.Synth())
            for name in NAMES:
                sql, params = queries[name]
                draws = [params() for _ in range(args.reps)]
                work = [params() for _ in range(args.work)]
                variants = {"0009": sql.replace("consumer.search(", "consumer_0009.search("), "0019": sql}
                stmts = {k: text(v) for k, v in variants.items()}
                differ = 0
                for p in draws:  # the check, and a warm pass of both over the same draws
                    differ += conn.execute(stmts["0009"], p).all() != conn.execute(stmts["0019"], p).all()
                matches = sorted(
                    conn.execute(
                        text("SELECT count(*) FROM articles WHERE search_tsv @@ dadkhah_search_query(:q)"), p
                    ).scalar_one()
                    for p in work
                )
                row: dict[str, object] = {
                    "draws": len(draws),
                    "draws whose rows differ": differ,
                    "matches of the query (work draws): median, max": [
                        statistics.median(matches),
                        matches[-1],
                    ],
                }
                for label, stmt in stmts.items():
                    it = iter(draws)
                    ms = scale._timed(lambda s=stmt, it=it: conn.execute(s, next(it)).all(), len(draws))
                    server = [scale._server_work(conn, variants[label], p) for p in work]
                    row[label] = {
                        "client ms": scale._stats(ms),
                        "server ms": scale._stats([s[1] for s in server]),
                        "pages": scale._stats([s[0] for s in server]),
                    }
                    conn.rollback()
                results[name] = row
                print(f"\n## {name}\n-- {sql}\n{json.dumps(row, indent=1)}", flush=True)
                if args.plans:
                    print(f"\n-- inner plans (0019), {json.dumps(work[0], default=str, ensure_ascii=False)}")
                    print("\n".join(_inner_plans(url, sql, work[0])))
            if args.by_frequency:
                results["by frequency"] = _by_frequency(conn, n)
    finally:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS consumer_0009 CASCADE"))
        engine.dispose()
    results["load_average_end"] = os.getloadavg()
    print(f"\nload average at the end {results['load_average_end']}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
