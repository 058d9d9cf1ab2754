"""Migration 0016: consumer.clusters' per-column subqueries return the rows of 0015's LATERAL
aggregate; the README's topic + language + representative query reads the topic by index and
(since 0018) each cluster from one covering index."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from pipeline.db import downgrade, upgrade
from tests.test_clustering import add_articles
from tests.test_consumer_scale import _fill, merge_cluster

T0 = datetime(2022, 1, 1, tzinfo=UTC)
ROWS = {
    "articles": "SELECT * FROM consumer.articles ORDER BY article_id",
    "clusters": "SELECT * FROM consumer.clusters ORDER BY cluster_id",
    "joined": (
        "SELECT a.article_id, a.is_representative, c.* FROM consumer.articles a "
        "JOIN consumer.clusters c USING (cluster_id) ORDER BY a.article_id"
    ),
}


def _rows(engine) -> dict[str, list[tuple]]:
    with engine.connect() as conn:
        return {name: [tuple(r) for r in conn.execute(text(sql))] for name, sql in ROWS.items()}


def test_the_views_of_0016_return_the_rows_of_0015(fresh_engine):
    engine = fresh_engine
    _fill(engine)
    with engine.begin() as conn:
        # Beyond plain placements: a merged cluster, a moved representative, and a cluster
        # whose every article left it (no cluster_outlets rows: zero counts, no outlets).
        c1, c2, c3 = conn.execute(text("SELECT cluster_id FROM clusters ORDER BY 1 LIMIT 3")).scalars()
        merge_cluster(conn, into=c1, absorbed=c2)
        conn.execute(
            text("UPDATE article_clusters SET cluster_id = :a WHERE cluster_id = :b"), {"a": c1, "b": c3}
        )
    new = _rows(engine)
    assert any(r[4] == 0 and r[5] == [] for r in new["clusters"]), new["clusters"]  # the emptied one
    assert len({r[1] for r in new["joined"]}) == 2  # representatives and the others
    assert "parallel_workers=2" in _reloptions(engine)
    downgrade(engine, "0015")
    assert _rows(engine) == new
    assert "parallel_workers=2" not in _reloptions(engine)
    upgrade(engine)
    assert _rows(engine) == new
    assert "parallel_workers=2" in _reloptions(engine)


def _reloptions(engine) -> list[str]:
    with engine.connect() as conn:
        return (
            conn.execute(
                text("SELECT reloptions FROM pg_class WHERE oid = 'articles'::regclass")
            ).scalar_one()
            or []
        )


README_QUERY = (
    "SELECT a.published_at, a.outlet, a.title, c.outlet_count "
    "FROM consumer.articles a JOIN consumer.clusters c USING (cluster_id) "
    "WHERE a.topics @> ARRAY['execution'] AND a.language = 'fa' AND a.is_representative "
    "AND a.published_at >= :since"
)

ONE_ARTICLE = (
    "SELECT a.article_id, a.title, a.is_representative, c.article_count, c.outlet_count, c.outlets "
    "FROM consumer.articles a JOIN consumer.clusters c USING (cluster_id) WHERE a.article_id = :id"
)


def _archive(engine) -> None:
    """6,000 articles over ~4 years, published up to 19 hours before they were seen (as a crawl
    finds them), 1 in 10 on the topic, half Persian; two in three found a story cluster."""
    (first,) = add_articles(engine, [{"text": "Report 0.", "published_at": T0, "first_seen_at": T0}])
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO articles (outlet_id, canonical_url, title, text, content_sha256, first_seen_at, "
                "published_at, extractor, language, topics, authors, extractor_settings, current_version) "
                "SELECT a.outlet_id, a.canonical_url || '/' || i, 'Title ' || i, 'Report ' || i, "
                "       md5(i::text) || md5(''), :t0 + i * interval '6 hours', "
                "       :t0 + i * interval '6 hours' - ((i * 7919) % 20) * interval '1 hour', 'test', "
                "       CASE WHEN (i / 3) % 2 = 0 THEN 'fa' ELSE 'en' END, "
                "       CASE WHEN i % 10 = 0 THEN ARRAY['execution', 'arbitrary_arrest'] "
                "            WHEN i % 3 = 0 THEN ARRAY['arbitrary_arrest'] ELSE '{}' END, "
                "       a.authors, a.extractor_settings, 1 "
                "FROM articles a, generate_series(1, 6000) i WHERE a.article_id = :a"
            ),
            {"a": first, "t0": T0},
        )
        conn.execute(
            text(
                "INSERT INTO clusters (representative_article_id, first_published_at) "
                "SELECT article_id, published_at FROM articles WHERE article_id % 3 <> 0"
            )
        )
        conn.execute(
            text(
                "INSERT INTO article_clusters (article_id, cluster_id, method, params) "
                "SELECT a.article_id, c.cluster_id, 'test', '{}' FROM articles a JOIN clusters c "
                "  ON c.representative_article_id = CASE WHEN a.article_id % 3 = 0 "
                "                                        THEN a.article_id - 1 ELSE a.article_id END"
            )
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


def test_the_readme_query_reads_the_topic_by_index_and_each_cluster_from_one_index(fresh_engine):
    """Under 0018 the article's cluster and representative flag are its own columns and the
    outlet count is the cluster's: no lookup of article_clusters or cluster_outlets."""
    _archive(fresh_engine)
    params = {"since": T0 + timedelta(days=300)}
    newest = README_QUERY + " ORDER BY a.published_at DESC LIMIT 100"
    with fresh_engine.connect() as conn:
        plan = "\n".join(conn.execute(text("EXPLAIN " + README_QUERY), params).scalars())
        newest_plan = "\n".join(conn.execute(text("EXPLAIN " + newest), params).scalars())
        one = "\n".join(conn.execute(text("EXPLAIN " + ONE_ARTICLE), {"id": 3001}).scalars())
        got = sorted(conn.execute(text(README_QUERY), params).all())
        got_newest = conn.execute(text(newest), params).all()
        conn.execute(text("SET enable_indexscan = off"))
        conn.execute(text("SET enable_indexonlyscan = off"))
        conn.execute(text("SET enable_bitmapscan = off"))
        expected = sorted(conn.execute(text(README_QUERY), params).all())
        expected_newest = conn.execute(text(newest), params).all()
    # The topic's articles by index, not every article of the date range.
    for p in (plan, newest_plan):
        assert "ix_articles_topic" in p and "ix_articles_published" not in p, p
        assert "article_clusters" not in p and "cluster_outlets" not in p, p
    # One article joined to its cluster: one index-only lookup of the cluster.
    assert "article_clusters" not in one, one
    assert one.count("Index Only Scan using ix_clusters_cluster_cover") == 1, one
    assert got == expected and len(got) > 100
    assert got_newest == expected_newest and len(got_newest) == 100
