"""Migration 0011's consumer.search (newest candidates found in growing date windows) returns
the same rows as 0009's (every match sorted by date), whatever the filters and limits."""

from __future__ import annotations

import importlib.util
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
WORDS = ["prison", "court", "execution", "lawyer", "family", "protest", "زندان", "اعدام", "دادگاه", "وکیل"]


def _migration(name: str):
    path = ROOT / "schema" / "migrations" / "versions" / name
    spec = importlib.util.spec_from_file_location(name.removesuffix(".py"), path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _fill(engine, n: int = 1500) -> None:
    rng = random.Random(11)
    base = datetime(2026, 11, 30, tzinfo=UTC)
    with engine.begin() as conn:
        outlets = [
            conn.execute(
                text(
                    "INSERT INTO outlets (name, home, language, affiliation, config) "
                    "VALUES (:n, 'https://example.org', 'en', 'independent', '{}') RETURNING outlet_id"
                ),
                {"n": f"Outlet {k}"},
            ).scalar_one()
            for k in range(3)
        ]
        rows = []
        for i in range(n):
            r = rng.random()
            if r < 0.05:
                when = None  # undated: sorted last
            elif r < 0.10:
                when = base - timedelta(days=400)  # many ties on one date
            elif r < 0.12:
                when = base + timedelta(days=3)  # after the newest "now"
            else:
                when = base - timedelta(days=rng.expovariate(1 / 700))  # mostly recent, years back
            lang = rng.choice(["en", "fa"])
            body = " ".join(
                rng.choices(WORDS, weights=[30, 20, 8, 4, 2, 1, 30, 8, 4, 1], k=rng.randint(3, 12))
            )
            rows.append(
                {
                    "o": outlets[i % 3],
                    "u": f"https://example.org/{i}",
                    "t": f"Story {i}",
                    "b": body,
                    "h": f"{i:064x}",
                    "w": when,
                    "l": lang,
                    "tp": rng.choice([[], ["execution"], ["arbitrary_arrest", "execution"]]),
                }
            )
        conn.execute(
            text(
                "INSERT INTO articles (outlet_id, canonical_url, title, text, content_sha256, first_seen_at,"
                " published_at, language, extractor, extractor_settings, authors, current_version, topics)"
                " VALUES (:o, :u, :t, :b, :h, now(), :w, :l, 'test', '{}', '{}', 1, :tp)"
            ),
            rows,
        )
        conn.execute(text("ANALYZE articles"))


def test_windowed_search_returns_the_rows_of_the_full_sort(fresh_engine):
    _fill(fresh_engine)
    old = _migration("0011_work_queue.py").SEARCH_0009.replace(
        "CREATE OR REPLACE FUNCTION consumer.search", "CREATE FUNCTION consumer_0009.search"
    )
    with fresh_engine.begin() as conn:
        conn.execute(text("CREATE SCHEMA consumer_0009"))
        conn.execute(text(old))
    base = datetime(2026, 11, 30, tzinfo=UTC)
    cases = []
    for query in [
        "prison",
        "زندان",
        "court -prison",
        '"lawyer family"',
        "protest",
        "وکیل or اعدام",
        "nothing",
    ]:
        for outlet in (None, "Outlet 1", "No such outlet"):
            for topic in (None, "execution"):
                for since in (
                    None,
                    base - timedelta(days=90),
                    base - timedelta(days=2000),
                    base + timedelta(days=9),
                ):
                    for candidates in (1000, 40, 3):
                        cases.append((query, outlet, topic, since, candidates))
    windowed = 0
    with fresh_engine.connect() as conn:
        for query, outlet, topic, since, candidates in cases:
            args = {"q": query, "o": outlet, "t": topic, "s": since, "c": candidates}
            call = "search(:q, :o, :t, :s, max_rows => 15, candidates => :c)"
            ref = conn.execute(text(f"SELECT * FROM consumer_0009.{call}"), args).all()
            new = conn.execute(text(f"SELECT * FROM consumer.{call}"), args).all()
            assert new == ref, (query, outlet, topic, since, candidates)
            windowed += bool(new) and candidates < 1000
    assert windowed > 20  # the cases where a window held enough matches were exercised
