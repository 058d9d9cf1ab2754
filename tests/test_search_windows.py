"""Migration 0019: consumer.search walks published_at windows newest first and returns the rows
of 0009's definition (same rows, same order, same ranks and snippets) for common and rare words,
Persian letter variants and ZWNJ, outlet/topic/since filters, ties and undated articles; its
work follows the candidates it keeps, not the archive's matches."""

from __future__ import annotations

import hashlib
import importlib.util
import itertools
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from pipeline.db import downgrade, upgrade

ROOT = Path(__file__).resolve().parent.parent
T0 = datetime(2020, 1, 1, tzinfo=UTC)
ZWNJ = "\u200c"
OUTLETS = ["Wire A", "Wire B", "Wire C"]
TOPICS = ["execution", "arbitrary_arrest", "prison_conditions"]
FA_FILLER = "خبر امروز گزارش شهر مردم دولت دادگاه خانواده وکیل حکم پرونده منابع".split()
EN_FILLER = "news today report city people court family lawyer ruling case sources said".split()


def _m0019():
    path = ROOT / "schema" / "migrations" / "versions" / "0019_search_walks_windows.py"
    spec = importlib.util.spec_from_file_location("m0019", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _words(rng: random.Random, lang: str) -> str:
    """~25 words: common and rare ones at fixed rates, Persian partly in Arabic letter
    variants and with compounds written with ZWNJ, a space or nothing."""
    out = rng.choices(FA_FILLER if lang == "fa" else EN_FILLER, k=rng.randint(15, 25))
    if lang == "fa":
        extra = [
            ("زندان", 0.45),
            ("اعدام", 0.15),
            ("زندان اوین", 0.08),
            (rng.choice(["قزل\u200cحصار", "قزلحصار", "قزل حصار"]), 0.02),
            (rng.choice(["روزنامه\u200cنگار", "روزنامه\u200cنگاران", "روزنامهنگار"]), 0.05),
            (rng.choice(["يك", "یک", "كرد", "کرد"]), 0.3),  # Arabic or Persian yeh and kaf
        ]
    else:
        extra = [
            ("prison", 0.45),
            (rng.choice(["hanged", "hanging", "hangs"]), 0.12),
            ("death sentence", 0.06),
            ("flogging for alcohol", 0.01),
        ]
    for word, rate in extra:
        if rng.random() < rate:
            out.insert(rng.randrange(len(out) + 1), word)
    return " ".join(out)


def _archive(engine, n: int, seed: int = 19, start: datetime = T0, first: int = 0) -> None:
    """``n`` articles over ~6 years (one every ~21 hours, in crawl order with jitter), 1 in 20
    sharing the published_at of the third before it, 1 in 25 undated, and (in the first batch) one at
    +infinity, one at -infinity and one in 4000 BC; three outlets, each topic on about a third."""
    rng = random.Random(seed)
    rows = []
    whens = []
    for i in range(first, first + n):
        lang = "fa" if i % 5 < 3 else "en"
        when = start + timedelta(hours=21 * (i - first)) - timedelta(hours=rng.uniform(0, 30))
        if i % 20 == 0 and len(whens) >= 3:
            when = whens[-3]  # a tie, with an article in the same language
        published = None if i % 25 == 7 else when
        whens.append(when)
        body = _words(rng, lang)
        rows.append(
            {
                "o": OUTLETS[i % 3],
                "u": f"https://w{i % 3}.example.org/{i}",
                "t": _words(rng, lang)[:60],
                "b": body,
                "h": hashlib.sha256(f"{i}{body}".encode()).hexdigest(),
                "seen": start + timedelta(hours=21 * (i - first)),
                "p": published,
                "l": lang,
                "topics": [t for t in TOPICS if rng.random() < 0.33],
                "inf": first == 0 and i in (11, 12),
                "neg": first == 0 and i == 12,
                "bc": first == 0 and i == 13,
            }
        )
    with engine.begin() as conn:
        for name in OUTLETS:
            conn.execute(
                text(
                    "INSERT INTO outlets (name, home, language, affiliation, config) "
                    "VALUES (:n, 'https://example.org', 'en', 'independent', '{}') ON CONFLICT DO NOTHING"
                ),
                {"n": name},
            )
        conn.execute(
            text(
                "INSERT INTO articles (outlet_id, canonical_url, title, text, content_sha256, first_seen_at,"
                " published_at, language, topics, extractor, extractor_settings, authors, current_version)"
                " SELECT o.outlet_id, :u, :t, :b, :h, :seen,"
                "        CASE WHEN :neg THEN '-infinity' WHEN :inf THEN 'infinity' WHEN :bc THEN '4000-01-01 BC' "
                "             ELSE :p END::timestamptz,"
                "        :l, :topics, 'test 0', '{}', '{}', 1 FROM outlets o WHERE o.name = :o"
            ),
            rows,
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE articles"))


def _with_0009(engine) -> None:
    """0009's definition of the function, beside the current one (consumer_0009.search)."""
    body = _m0019().SEARCH_0009.replace("FUNCTION consumer.search(", "FUNCTION consumer_0009.search(")
    assert "consumer_0009.search(" in body
    with engine.begin() as conn:
        conn.execute(text("CREATE SCHEMA consumer_0009"))
        conn.execute(text(body))


# published_at as text: psycopg has no Python value for an infinite timestamp.
CALL = (
    "SELECT article_id, outlet, url, title, published_at::text, language, rank, snippet "
    "FROM {schema}.search(:q, :outlet, :topic, :since, :max_rows, :candidates)"
)
QUERIES = [
    "زندان", "اعدام", "قزلحصار", "قزل\u200cحصار", "قزل حصار", "روزنامه نگار", "روزنامه\u200cنگار",
    "یک", "يك", '"زندان اوین"', "زندان -اعدام", "اعدام or قزلحصار",
    "prison", "executions", "hanged", '"death sentence"', "prison -hanged", "flogging alcohol",
    "notaword", "",
]  # fmt: skip
FILTERS = [
    {"outlet": None, "topic": None, "since": None},
    {"outlet": "Wire B", "topic": None, "since": None},
    {"outlet": None, "topic": "execution", "since": None},
    {"outlet": None, "topic": None, "since": T0 + timedelta(days=1500)},
    {"outlet": "Wire C", "topic": "arbitrary_arrest", "since": T0 + timedelta(days=400)},
    {"outlet": None, "topic": None, "since": T0 - timedelta(days=10_000)},
    {"outlet": None, "topic": None, "since": T0 + timedelta(days=10_000)},
    {"outlet": "Nobody", "topic": None, "since": None},
]
LIMITS = [(20, 1000), (20, 1), (5, 7), (50, 40), (1000, 300), (10, None), (None, 60)]


def test_the_window_walk_returns_the_rows_of_0009(fresh_engine):
    engine = fresh_engine
    _archive(engine, 2500)
    _with_0009(engine)
    compared = truncated = undated = infinite = tied = 0
    with engine.connect() as conn:
        matches = {
            q: conn.execute(
                text("SELECT count(*) FROM articles WHERE search_tsv @@ dadkhah_search_query(:q)"), {"q": q}
            ).scalar_one()
            for q in QUERIES
        }
        for q, filters, (max_rows, candidates) in itertools.product(QUERIES, FILTERS, LIMITS):
            params = {"q": q, **filters, "max_rows": max_rows, "candidates": candidates}
            new = [tuple(r) for r in conn.execute(text(CALL.format(schema="consumer")), params)]
            old = [tuple(r) for r in conn.execute(text(CALL.format(schema="consumer_0009")), params)]
            assert new == old, params
            compared += bool(new)
            truncated += bool(new) and candidates is not None and matches[q] > candidates
            undated += any(r[4] is None for r in new)
            infinite += any(r[4] in ("infinity", "-infinity") for r in new)
            dates = [r[4] for r in new if r[4] is not None]
            tied += len(dates) > len(set(dates))
    # The comparison covered what it should: the walk stopping early, undated and infinitely
    # dated articles, ties; and both forms of every Persian compound and letter variant.
    assert compared > 300 and truncated > 150 and undated > 20 and infinite > 5 and tied > 5, (
        compared, truncated, undated, infinite, tied,
    )  # fmt: skip
    assert matches["قزلحصار"] > 0 and matches["قزل\u200cحصار"] > 0 and matches["یک"] == matches["يك"] > 0
    assert matches["notaword"] == 0 and matches["زندان"] > 500


def _tuples_read(conn, sql: str, params: dict) -> tuple[int, list]:
    """Rows of ``articles`` the statement read (this transaction's table statistics)."""
    count = text(
        "SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) "
        "FROM pg_stat_xact_user_tables WHERE relid = 'articles'::regclass"
    )
    before = conn.execute(count).scalar_one()
    rows = conn.execute(text(sql), params).all()
    return conn.execute(count).scalar_one() - before, rows


@pytest.mark.parametrize("query", ["زندان", "prison"])
def test_the_walk_reads_the_newest_windows_not_every_match(fresh_engine, query):
    """A word in ~20-30% of an archive: 0009 read every match to keep the newest 100; the walk
    reads the newest windows only, and as many rows when the archive is three times older."""
    engine = fresh_engine
    _with_0009(engine)
    _archive(engine, 1500, seed=5, start=T0 + timedelta(hours=21 * 3000), first=3000)
    params = {"q": query, "outlet": None, "topic": None, "since": None, "max_rows": 20, "candidates": 100}
    reads = {}
    for size in ("small", "large"):
        with engine.begin() as conn:
            matches = conn.execute(
                text("SELECT count(*) FROM articles WHERE search_tsv @@ dadkhah_search_query(:q)"), params
            ).scalar_one()
            new_reads, new = _tuples_read(conn, CALL.format(schema="consumer"), params)
            old_reads, old = _tuples_read(conn, CALL.format(schema="consumer_0009"), params)
        assert new == old and len(new) == 20
        assert old_reads >= matches > 250
        reads[size] = (new_reads, old_reads, matches)
        if size == "small":  # an older archive before it: three times the articles
            _archive(engine, 3000, seed=6, start=T0, first=0)
    (new_small, old_small, matches_small), (new_large, old_large, matches_large) = (
        reads["small"],
        reads["large"],
    )
    assert matches_large > 2.5 * matches_small and old_large > 2.5 * old_small, reads
    assert new_large <= new_small * 1.2 + 10 and new_large < old_large / 2, reads


def test_upgrade_and_downgrade_swap_the_definition(fresh_engine):
    engine = fresh_engine
    _archive(engine, 300)
    sql = CALL.format(schema="consumer")
    params = {"q": "زندان", "outlet": None, "topic": None, "since": None, "max_rows": 20, "candidates": 30}

    def state() -> tuple[bool, list]:
        with engine.connect() as conn:
            walk = conn.execute(
                text(
                    "SELECT to_regprocedure('dadkhah_search_candidates(tsquery, text, text, timestamptz, integer)')"
                )
            ).scalar_one()
            return walk is not None, [tuple(r) for r in conn.execute(text(sql), params)]

    walks, rows = state()
    assert walks and len(rows) == 20
    downgrade(engine, _m0019().down_revision)
    assert state() == (False, rows)
    upgrade(engine)
    assert state() == (True, rows)
