"""The revisit due selection of 0017 (indexed, per stage) selects the same articles, in the same
order, as the statement it replaced, on an archive of varied revisit histories; and the stored
last conclusive revisit follows article_revisits."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from pipeline.revisit.schedule import _SELECT, due_select

NOW = datetime(2026, 6, 1, 9, 30, tzinfo=UTC)
OUTCOMES = ["unchanged", "edited", "removed", "unreachable"]


@pytest.fixture()
def archive(fresh_engine):
    """Two outlets, 600 articles first seen over the last 400 days (some in the same second),
    each with 0-4 revisits of random outcomes at random ages, a few in the future."""
    rng = random.Random(17)
    with fresh_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO outlets (outlet_id, name, home, language, config) VALUES "
                "(1, 'A', 'https://a.example.org/', 'en', '{}'), (2, 'B', 'https://b.example.org/', 'fa', '{}')"
            )
        )
        for i in range(600):
            first_seen = NOW - timedelta(seconds=rng.choice([rng.randint(0, 400 * 86400), 86400 * 31]))
            last_checked = rng.choice([None, first_seen + timedelta(days=rng.uniform(0, 200))])
            aid = conn.execute(
                text(
                    "INSERT INTO articles (outlet_id, canonical_url, title, authors, language, text, "
                    "content_sha256, first_seen_at, extractor, extractor_settings, current_version, "
                    "last_checked_at) VALUES (:o, :u, 't', '{}', 'en', :t, :s, :f, 'x', '{}', 1, :c) "
                    "RETURNING article_id"
                ),
                {
                    "o": 1 + i % 2,
                    "u": f"https://x.example.org/{i}",
                    "t": f"text {i}",
                    "s": f"{i:064x}",
                    "f": first_seen,
                    "c": last_checked,
                },
            ).scalar_one()
            for _ in range(rng.choice([0, 0, 1, 2, 4])):
                age = rng.choice([1, 7, 30, 180, rng.uniform(0, 200)]) + rng.choice([0, 0.01, -0.01, 0.5])
                conn.execute(
                    text(
                        "INSERT INTO article_revisits (article_id, run_id, checked_at, outcome, reason) "
                        "VALUES (:a, NULL, :c, :o, 'test')"
                    ),
                    {"a": aid, "c": first_seen + timedelta(days=age), "o": rng.choice(OUTCOMES)},
                )
    return fresh_engine


def _old(conn, outlet, days, now, limit):
    params = {
        "outlet_id": outlet,
        "days": [float(d) for d in days],
        "now": now,
        "due_only": True,
        "max_rows": limit,
    }
    return [tuple(r) for r in conn.execute(_SELECT, params)]


def _new(conn, outlet, days, now, limit):
    stmt, stages = due_select(days)
    return [
        tuple(r) for r in conn.execute(stmt, {"outlet_id": outlet, "now": now, "max_rows": limit, **stages})
    ]


@pytest.mark.parametrize("days", [[1, 7, 30, 180], [180, 30, 7, 1, 7], [2.5], [0.5, 45]])
def test_due_set_and_order_are_the_old_statements(archive, days):
    with archive.connect() as conn:
        conn.execute(text("SET TimeZone = 'UTC'"))
        compared = 0
        for now in (NOW, NOW - timedelta(days=29, hours=3), NOW + timedelta(days=200)):
            for outlet in (1, 2):
                for limit in (1, 17, 100, 1000):
                    old = _old(conn, outlet, days, now, limit)
                    assert _new(conn, outlet, days, now, limit) == old
                    compared += len(old)
        assert compared > 1000  # the fixture has due articles to compare


def test_last_conclusive_revisit_follows_the_revisits(archive):
    with archive.begin() as conn:
        stored = dict(conn.execute(text("SELECT article_id, last_conclusive_revisit_at FROM articles")).all())
        expected = dict(
            conn.execute(
                text(
                    "SELECT a.article_id, (SELECT max(checked_at) FROM article_revisits r "
                    "WHERE r.article_id = a.article_id AND r.outcome <> 'unreachable') FROM articles a"
                )
            ).all()
        )
        assert stored == expected
        assert sum(v is not None for v in stored.values()) > 100
        assert sum(v is None for v in stored.values()) > 100
        # An update or delete (never made by the pipeline) recomputes it.
        aid, at = next((a, v) for a, v in stored.items() if v is not None)
        conn.execute(
            text(
                "UPDATE article_revisits SET outcome = 'unreachable' WHERE article_id = :a AND checked_at = :c"
            ),
            {"a": aid, "c": at},
        )
        conn.execute(
            text("DELETE FROM article_revisits WHERE article_id = :a AND outcome = 'unchanged'"), {"a": aid}
        )
        after = conn.execute(
            text("SELECT last_conclusive_revisit_at FROM articles WHERE article_id = :a"), {"a": aid}
        ).scalar_one()
        again = conn.execute(
            text(
                "SELECT max(checked_at) FROM article_revisits WHERE article_id = :a AND outcome <> 'unreachable'"
            ),
            {"a": aid},
        ).scalar_one()
        assert after == again and after != at
