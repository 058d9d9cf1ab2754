"""Migrations 0015/0016: every taxonomy slug has its two topic window indexes, a topic filter in
either written form can walk them, and the rows are those of the filter without them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import text

from schema.models import TOPIC_WINDOW_SLUGS
from tests.test_clustering import add_articles

TOPICS_FILE = Path(__file__).resolve().parent.parent / "config" / "topics.yaml"
T0 = datetime(2025, 1, 1, tzinfo=UTC)


def test_every_slug_of_the_taxonomy_has_its_window_indexes(fresh_engine):
    slugs = set(yaml.safe_load(TOPICS_FILE.read_text(encoding="utf-8"))["topics"])
    # A slug added to config/topics.yaml needs a migration creating its two indexes (and
    # its name in schema.models.TOPIC_WINDOW_SLUGS): until then its filters use the GIN.
    assert slugs <= set(TOPIC_WINDOW_SLUGS), sorted(slugs - set(TOPIC_WINDOW_SLUGS))
    with fresh_engine.connect() as conn:
        defs = dict(
            conn.execute(
                text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'articles'")
            ).all()
        )
    for slug in TOPIC_WINDOW_SLUGS:
        contains, any_ = defs[f"ix_articles_topic_{slug}"], defs[f"ix_articles_topic_any_{slug}"]
        # One key column since 0016 (the planner prices it at published_at's correlation).
        assert "btree (published_at) WHERE" in contains and f"'{{{slug}}}'" in contains
        assert "btree (published_at) WHERE" in any_ and f"'{slug}'::text = ANY (topics)" in any_


QUERIES = {
    "ix_articles_topic_any_execution": (
        "SELECT article_id, title, published_at FROM consumer.articles WHERE 'execution' = ANY(topics) "
        "AND language = 'fa' AND published_at >= :since ORDER BY published_at DESC LIMIT 5"
    ),
    "ix_articles_topic_execution": (
        "SELECT article_id, title, published_at FROM consumer.articles WHERE topics @> ARRAY['execution'] "
        "AND language = 'fa' AND published_at >= :since ORDER BY published_at DESC LIMIT 5"
    ),
}


@pytest.mark.parametrize("index", sorted(QUERIES))
def test_a_topic_filter_walks_its_window_index_and_returns_the_same_rows(fresh_engine, index):
    (first,) = add_articles(fresh_engine, [{"text": "Report 0.", "published_at": T0}])
    with fresh_engine.begin() as conn:  # 6,000 articles over ~4 years, 1 in 25 on the topic
        conn.execute(
            text(
                "INSERT INTO articles (outlet_id, canonical_url, text, content_sha256, first_seen_at, "
                "published_at, extractor, language, topics, authors, extractor_settings, current_version) "
                "SELECT a.outlet_id, a.canonical_url || '/' || i, 'Report ' || i, md5(i::text) || md5(''), "
                "       :t0 + i * interval '6 hours', :t0 + i * interval '6 hours', 'test', "
                "       CASE WHEN i % 2 = 0 THEN 'fa' ELSE 'en' END, "
                "       CASE WHEN i % 25 = 0 THEN ARRAY['execution', 'arbitrary_arrest'] "
                "            WHEN i % 3 = 0 THEN ARRAY['arbitrary_arrest'] ELSE '{}' END, "
                "       a.authors, a.extractor_settings, 1 "
                "FROM articles a, generate_series(1, 6000) i WHERE a.article_id = :a"
            ),
            {"a": first, "t0": T0},
        )
        conn.execute(text("ANALYZE articles"))
    sql, params = QUERIES[index], {"since": T0 + timedelta(days=300)}
    with fresh_engine.connect() as conn:
        plan = "\n".join(conn.execute(text("EXPLAIN " + sql), params).scalars())
        got = conn.execute(text(sql), params).all()
        conn.execute(text("SET enable_indexscan = off"))
        conn.execute(text("SET enable_bitmapscan = off"))
        expected = conn.execute(text(sql), params).all()
    assert f"Index Scan Backward using {index}" in plan, plan
    assert got == expected and len(got) == 5
    assert all(r.published_at >= params["since"] for r in got)
