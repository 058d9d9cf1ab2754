"""Migration 0018: an article's cluster id and representative flag, and a cluster's outlet
count, stored and kept by triggers; the views read them and return the rows of 0017's."""

from __future__ import annotations

import importlib.util
import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text

from pipeline.clustering import cluster_pending, recluster_all
from pipeline.db import downgrade, upgrade
from tests.test_clustering import DOCS, T0, _halves, add_articles
from tests.test_consumer_scale import _fill, merge_cluster
from tests.test_workqueue import store_version

ROOT = Path(__file__).resolve().parent.parent
MIGRATION = ROOT / "schema" / "migrations" / "versions" / "0018_article_cluster_on_articles.py"

# Stored copies that differ from what they copy (none, whatever was done to the clusters).
STALE = {
    "articles": """
        SELECT a.article_id, a.cluster_id, a.is_representative, ac.cluster_id,
               c.representative_article_id
          FROM articles a
          LEFT JOIN article_clusters ac ON ac.article_id = a.article_id
          LEFT JOIN clusters c ON c.cluster_id = ac.cluster_id
         WHERE (a.cluster_id, a.is_representative)
               IS DISTINCT FROM (ac.cluster_id, COALESCE(c.representative_article_id = a.article_id, false))
         ORDER BY 1
    """,
    "clusters": """
        SELECT c.cluster_id, c.outlet_count, n.n
          FROM clusters c
         CROSS JOIN LATERAL (SELECT count(*) AS n FROM cluster_outlets co
                              WHERE co.cluster_id = c.cluster_id) n
         WHERE c.outlet_count <> n.n
         ORDER BY 1
    """,
}

# The same queries over the views of 0017 (frozen in the migration, created in a side schema).
QUERIES = {
    "articles": "SELECT * FROM {s}.articles ORDER BY article_id",
    "clusters": "SELECT * FROM {s}.clusters ORDER BY cluster_id",
    "joined": (
        "SELECT a.article_id, a.is_representative, c.* FROM {s}.articles a "
        "JOIN {s}.clusters c USING (cluster_id) ORDER BY a.article_id"
    ),
    "readme": (
        "SELECT a.published_at, a.outlet, a.title, c.outlet_count "
        "FROM {s}.articles a JOIN {s}.clusters c USING (cluster_id) "
        "WHERE a.language = 'en' AND a.is_representative ORDER BY 1, 2, 3"
    ),
    "a cluster's articles": (
        "SELECT cluster_id, article_id, is_representative FROM {s}.articles "
        "WHERE cluster_id IS NOT NULL ORDER BY 1, 2"
    ),
}


def _migration():
    spec = importlib.util.spec_from_file_location("m0018", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _stale(engine) -> dict[str, list[tuple]]:
    with engine.connect() as conn:
        return {name: [tuple(r) for r in conn.execute(text(sql))] for name, sql in STALE.items()}


def _old_views(engine) -> None:
    m = _migration()
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS consumer_0017 CASCADE"))
        conn.execute(text("CREATE SCHEMA consumer_0017"))
        conn.execute(text(f"CREATE VIEW consumer_0017.articles AS {m.ARTICLES_0012}"))
        conn.execute(text(f"CREATE VIEW consumer_0017.clusters AS {m.CLUSTERS_0016}"))


def _rows(engine, schema: str = "consumer") -> dict[str, list[tuple]]:
    with engine.connect() as conn:
        return {
            name: [tuple(r) for r in conn.execute(text(sql.format(s=schema)))]
            for name, sql in QUERIES.items()
        }


def _consistent(engine) -> None:
    """Every stored copy equals its source, and the views give the rows of 0017's."""
    assert _stale(engine) == {"articles": [], "clusters": []}
    _old_views(engine)
    assert _rows(engine) == _rows(engine, "consumer_0017")


def _cluster_of(engine, article_id: int) -> tuple[int, bool]:
    with engine.connect() as conn:
        return tuple(
            conn.execute(
                text("SELECT cluster_id, is_representative FROM articles WHERE article_id = :a"),
                {"a": article_id},
            ).one()
        )


def test_the_stored_copies_follow_every_clustering_path(fresh_engine):
    engine = fresh_engine
    first_half, second_half = _halves("en10-o")
    a, b = add_articles(
        engine,
        [
            {"text": first_half, "published_at": T0 + timedelta(hours=3)},
            {"text": second_half, "outlet": "b", "published_at": T0},
        ],
    )
    assert _cluster_of(engine, a) == (None, False)  # not placed yet
    cluster_pending(engine)  # placements: two new clusters, each article its representative
    assert _cluster_of(engine, a)[1] and _cluster_of(engine, b)[1]
    assert _cluster_of(engine, a)[0] != _cluster_of(engine, b)[0]
    _consistent(engine)

    # A bridging article merges b's cluster into a's (older); b, published first, represents it.
    (c,) = add_articles(
        engine,
        [{"text": first_half + "\n\n" + second_half, "outlet": "c", "published_at": T0 + timedelta(hours=5)}],
    )
    assert cluster_pending(engine)["merges"] == 1
    survivor = _cluster_of(engine, a)[0]
    assert _cluster_of(engine, b) == (survivor, True) and _cluster_of(engine, a) == (survivor, False)
    _consistent(engine)
    with engine.connect() as conn:
        assert conn.execute(
            text("SELECT outlet_count FROM clusters WHERE cluster_id = :c"), {"c": survivor}
        ).scalar_one() == 3  # fmt: skip

    # The representative's date moves later: a is now the earliest (representative change).
    store_version(engine, b, published_at=T0 + timedelta(days=2))
    cluster_pending(engine)
    assert _cluster_of(engine, a) == (survivor, True) and _cluster_of(engine, b) == (survivor, False)
    _consistent(engine)

    # a's text becomes another story: it is re-placed in a cluster of its own, and the one it
    # left gets another representative.
    store_version(engine, a, text=DOCS["en02-o"]["text"])
    cluster_pending(engine)
    moved = _cluster_of(engine, a)
    assert moved[0] != survivor and moved[1]
    assert _cluster_of(engine, c) == (survivor, True)  # published before b's new date
    _consistent(engine)

    recluster_all(engine)  # every placement deleted and written again
    _consistent(engine)
    moved, survivor = _cluster_of(engine, a), _cluster_of(engine, c)[0]

    # What no code path does today, still kept: a cluster merged by hand, a cluster emptied, a
    # placement deleted, a representative set to an article of another cluster.
    with engine.begin() as conn:
        merge_cluster(conn, into=moved[0], absorbed=survivor)
        conn.execute(text("DELETE FROM article_clusters WHERE article_id = :c"), {"c": c})
        conn.execute(
            text("UPDATE clusters SET representative_article_id = :a WHERE cluster_id = :k"),
            {"a": c, "k": survivor},
        )
    assert _cluster_of(engine, c) == (None, False)
    _consistent(engine)


def test_the_check_sees_a_stale_copy(fresh_engine):
    """The consistency check above means something: with the triggers off, a move is missed."""
    engine = fresh_engine
    a, b = add_articles(
        engine, [{"text": DOCS["en01-o"]["text"], "outlet": "b"}, {"text": DOCS["en02-o"]["text"]}]
    )
    cluster_pending(engine)
    ca, cb = _cluster_of(engine, a)[0], _cluster_of(engine, b)[0]
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE article_clusters DISABLE TRIGGER dadkhah_article_clusters_stored_upd"))
        conn.execute(text("ALTER TABLE cluster_outlets DISABLE TRIGGER dadkhah_cluster_outlets_stored_ins"))
        conn.execute(
            text("UPDATE article_clusters SET cluster_id = :cb WHERE article_id = :a"), {"a": a, "cb": cb}
        )
    stale = _stale(engine)
    assert [r[0] for r in stale["articles"]] == [a]
    assert [r[0] for r in stale["clusters"]] == [cb]  # its second outlet was not counted
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE article_clusters ENABLE TRIGGER ALL"))
        conn.execute(text("ALTER TABLE cluster_outlets ENABLE TRIGGER ALL"))
        conn.execute(
            text("UPDATE article_clusters SET cluster_id = :ca WHERE article_id = :a"), {"a": a, "ca": ca}
        )
    _consistent(engine)


def _columns(engine) -> set[str]:
    with engine.connect() as conn:
        return set(
            conn.execute(
                text(
                    "SELECT table_name || '.' || column_name FROM information_schema.columns "
                    "WHERE table_schema = 'public' AND table_name IN ('articles', 'clusters')"
                )
            ).scalars()
        )


def _functions(engine) -> set[str]:
    with engine.connect() as conn:
        return set(
            conn.execute(
                text(
                    "SELECT p.oid::regprocedure::text FROM pg_proc p "
                    "JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'"
                )
            ).scalars()
        )


def test_the_views_of_0018_return_the_rows_of_0017_and_the_migration_round_trips(fresh_engine):
    engine = fresh_engine
    ids = _fill(engine)  # two outlets carrying the same stories, clustered and tagged
    with engine.begin() as conn:
        c1, c2, c3, c4 = conn.execute(
            text("SELECT cluster_id FROM clusters ORDER BY 1 LIMIT 4")
        ).scalars()  # fmt: skip
        merge_cluster(conn, into=c1, absorbed=c2)  # a merged cluster, its representative moved
        conn.execute(  # an emptied cluster: no members, zero counts, no outlets
            text("UPDATE article_clusters SET cluster_id = :a WHERE cluster_id = :b"), {"a": c1, "b": c3}
        )
        moved = conn.execute(  # a re-placed article: c4's representative moves to c1
            text("SELECT min(article_id) FROM article_clusters WHERE cluster_id = :c"), {"c": c4}
        ).scalar_one()
        conn.execute(
            text("UPDATE article_clusters SET cluster_id = :a WHERE article_id = :m"), {"a": c1, "m": moved}
        )
        conn.execute(  # a representative change: c4's remaining member represents it
            text(
                "UPDATE clusters SET representative_article_id = "
                "(SELECT min(article_id) FROM article_clusters WHERE cluster_id = :c) WHERE cluster_id = :c"
            ),
            {"c": c4},
        )
    new = _rows(engine)
    assert any(r[4] == 0 and r[5] == [] for r in new["clusters"]), new["clusters"]  # the emptied one
    assert len({r[1] for r in new["joined"]}) == 2 and new["readme"]  # representatives and others
    assert any(r[0] == moved and r[11] == c1 for r in new["articles"])
    _consistent(engine)
    assert len(new["articles"]) == len(ids)

    added = {"articles.cluster_id", "articles.is_representative", "clusters.outlet_count"}
    ours = set(_migration().FUNCTION_NAMES)
    assert added <= _columns(engine) and ours <= _functions(engine)
    downgrade(engine, "0017")
    assert not added & _columns(engine) and not ours & _functions(engine)
    assert _rows(engine) == new  # the 0017 views over the same tables
    upgrade(engine)  # backfilled from the tables
    assert _rows(engine) == new
    assert _stale(engine) == {"articles": [], "clusters": []}


def _bench_scale():
    spec = importlib.util.spec_from_file_location("bench_scale", ROOT / "bench" / "scale.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_scale"] = module  # its loader pickles its own methods to a worker process
    spec.loader.exec_module(module)
    return module


def test_the_scale_bench_load_builds_the_state_the_triggers_keep(fresh_engine):
    """bench/scale.py loads by COPY with the triggers off: what it writes of the stored copies
    is what the triggers would have kept, over two loads (a cluster can span both)."""
    bench = _bench_scale()
    url = fresh_engine.url.render_as_string(hide_password=False)
    bench._setup(fresh_engine)
    loader = bench.Loader(url, bench.Synth())
    for lo, hi in ((0, 1500), (1500, 3000)):
        loader.load(lo, hi, step=700)
        bench._derive(fresh_engine, lo, hi)
    assert _stale(fresh_engine) == {"articles": [], "clusters": []}
    with fresh_engine.connect() as conn:
        counts = conn.execute(
            text(
                "SELECT count(*) FILTER (WHERE is_representative), count(*) FILTER (WHERE cluster_id IS NULL), "
                "(SELECT count(*) FROM clusters WHERE outlet_count > 1) FROM articles"
            )
        ).one()
    assert 1500 < counts[0] < 3000 and counts[1] == 0 and counts[2] > 100
