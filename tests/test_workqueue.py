"""The work queue for derived data: a changed article is clustered and tagged again, an
unchanged one is not; placements of changed texts keep cluster ids meaningful; concurrent
drainers and a worker holding an article neither lose nor repeat work."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from pipeline import workqueue
from pipeline.clustering import cluster_pending
from pipeline.extraction import ExtractionHints, extract_article
from pipeline.incidents import extract_pending
from pipeline.tagging import tag_pending
from tests.test_clustering import DOCS, T0, add_articles, cluster_row, clusters_of
from tests.test_reprocess import OLD_EXTRACTOR, World

TOPICS_FILE = Path(__file__).resolve().parent.parent / "config" / "topics.yaml"


def store_version(engine: Engine, article_id: int, **values) -> int:
    """What any path storing a new version does: update the article, queue the change."""
    with engine.begin() as conn:
        before = conn.execute(text("SELECT * FROM articles WHERE article_id = :a"), {"a": article_id}).one()
        sets = ", ".join(f"{k} = :{k}" for k in values)
        conn.execute(
            text(f"UPDATE articles SET {sets}, current_version = current_version + 1 WHERE article_id = :a"),
            {"a": article_id, **values},
        )
        return workqueue.enqueue_changed(conn, article_id, workqueue.changed_fields(before, values))


def pending(engine: Engine) -> dict[str, list[int]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT consumer, article_id FROM work_queue ORDER BY event_id")).all()
    out: dict[str, list[int]] = {}
    for consumer, article_id in rows:
        out.setdefault(consumer, []).append(article_id)
    return out


def consumer_clusters(engine: Engine) -> dict[int, tuple]:
    with engine.connect() as conn:
        return {
            r.cluster_id: (r.representative_article_id, r.article_count, r.outlet_count)
            for r in conn.execute(text("SELECT * FROM consumer.clusters"))
        }


def scalar(engine: Engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar_one()


# --- the reprocess path, end to end ---------------------------------------------------


def test_reprocessed_article_is_reclustered_and_retagged_only_when_its_text_changed(
    fresh_engine: Engine, tmp_path: Path
) -> None:
    from pipeline.reprocess import reprocess

    world = World(fresh_engine, tmp_path / "archive")
    en = lambda url: ExtractionHints(url=url, language="en")  # noqa: E731 - what reprocess uses
    url_a, url_b, url_c, url_d = (f"https://monitor.example.org/news/{x}" for x in "abcd")
    page_b = world.fixture_html("en_jsonld.html")
    page_c = world.fixture_html("en_meta_time.html")
    c_text = extract_article(page_c, en(url_c)).text
    b = world.store(url_b, world.capture(url_b, page_b.encode()), fixture="en_jsonld.html", hints=en(url_b))
    c = world.store(
        url_c, world.capture(url_c, page_c.encode()), fixture="en_meta_time.html", hints=en(url_c)
    )
    # A was stored by an older extractor that took C's story (plus a line) from B's page.
    a = world.store(
        url_a,
        world.capture(url_a, page_b.encode()),
        fixture="en_jsonld.html",
        hints=en(url_a),
        extractor=OLD_EXTRACTOR,
        text=c_text + "\nRead more stories like this one on our website.",
    )
    # D's older extractor gave the same text: only the extractor id changes.
    page_d = world.fixture_html("en_no_date.html")
    d = world.store(
        url_d,
        world.capture(url_d, page_d.encode()),
        fixture="en_no_date.html",
        hints=en(url_d),
        extractor=OLD_EXTRACTOR,
    )
    world.archive.close()
    assert set(pending(fresh_engine)) == {"clustering", "tagging", "incidents"}  # every consumer

    first = cluster_pending(fresh_engine)
    assert first["events"] == first["placed"] == 4
    tag_pending(fresh_engine, TOPICS_FILE)
    assert extract_pending(fresh_engine)["examined"] == 4
    assert pending(fresh_engine) == {}
    before = clusters_of(fresh_engine)
    assert before[a] == before[c] != before[b]
    with fresh_engine.connect() as conn:
        stamps = dict(
            conn.execute(
                text(
                    "SELECT ac.article_id, (ac.placed_at, t.tagged_at) FROM article_clusters ac "
                    "JOIN article_taggings t USING (article_id)"
                )
            ).all()
        )
    last_change = scalar(fresh_engine, "SELECT max(change_id) FROM consumer.changes")

    result = reprocess(fresh_engine, world.archive_dir)
    assert result["updated"] == 2 and result["unchanged"] == 2 and result["errors"] == 0
    # D's text did not change
    assert pending(fresh_engine) == {"clustering": [a], "tagging": [a], "incidents": [a]}

    clustered = cluster_pending(fresh_engine)
    assert clustered["events"] == 1 and clustered["replaced"] == 1
    after = clusters_of(fresh_engine)
    assert after[a] == after[b] == before[b]  # A now tells B's story
    assert after[c] == before[c]  # C's cluster keeps its id and its other member
    assert consumer_clusters(fresh_engine)[before[c]] == (c, 1, 1)
    assert consumer_clusters(fresh_engine)[before[b]][1] == 2

    tagged = tag_pending(fresh_engine, TOPICS_FILE)
    assert tagged["swept"] is False and tagged["events"] == 1
    assert tagged["examined"] == tagged["tagged"] == 1
    with fresh_engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT article_id, article_version FROM article_taggings")).all())
        topics = dict(conn.execute(text("SELECT article_id, topics FROM consumer.articles")).all())
        now = dict(
            conn.execute(
                text(
                    "SELECT ac.article_id, (ac.placed_at, t.tagged_at) FROM article_clusters ac "
                    "JOIN article_taggings t USING (article_id)"
                )
            ).all()
        )
        changes = conn.execute(
            text("SELECT article_id, kind FROM consumer.changes WHERE change_id > :n"), {"n": last_change}
        ).all()
    assert rows[a] == 2 and topics[a] == topics[b]
    assert rows[d] == 1 and now[d] == stamps[d]  # D: a new version, neither placed nor tagged again
    assert now[c] == stamps[c] and now[b] == stamps[b]
    assert {(x, k) for x, k in changes} == {(a, "version"), (a, "cluster"), (a, "tags"), (d, "version")}
    read = extract_pending(fresh_engine)  # the register reads A again, not D
    assert read["events"] == read["examined"] == 1 and read["swept"] is False
    with fresh_engine.connect() as conn:
        extracted = dict(
            conn.execute(text("SELECT article_id, article_version FROM incident_extractions")).all()
        )
    assert extracted[a] == 2 and extracted[d] == 1

    assert reprocess(fresh_engine, world.archive_dir)["updated"] == 0
    assert cluster_pending(fresh_engine)["events"] == 0
    again = tag_pending(fresh_engine, TOPICS_FILE)
    assert again["examined"] == again["events"] == 0 and again["swept"] is False
    assert extract_pending(fresh_engine)["examined"] == 0


# --- where a changed text goes ------------------------------------------------------------


def test_an_article_alone_that_now_matches_another_cluster_moves_and_its_cluster_follows(fresh_engine):
    a, b = add_articles(
        fresh_engine,
        [{"text": DOCS["en01-o"]["text"], "published_at": T0}, {"text": DOCS["en02-o"]["text"]}],
    )
    cluster_pending(fresh_engine)
    old = clusters_of(fresh_engine)
    assert old[a] != old[b]
    assert store_version(fresh_engine, b, text=DOCS["en01-c2"]["text"]) == 3  # every consumer reads it
    stats = cluster_pending(fresh_engine)
    assert stats["replaced"] == 1 and stats["events"] == 1
    new = clusters_of(fresh_engine)
    assert new[b] == new[a] == old[a]
    # B's old cluster had only B: its id now points where B went.
    assert cluster_row(fresh_engine, old[b]).merged_into == old[a]
    assert set(consumer_clusters(fresh_engine)) == {old[a]}


def test_a_member_that_no_longer_matches_gets_a_new_cluster_and_the_old_one_a_new_representative(
    fresh_engine,
):
    a, b, c = add_articles(
        fresh_engine,
        [
            {"text": DOCS["en01-o"]["text"], "published_at": T0},
            {"text": DOCS["en01-c2"]["text"], "outlet": "outlet-b", "published_at": T0 + timedelta(hours=2)},
            {"text": DOCS["en01-c3"]["text"], "outlet": "outlet-c", "published_at": T0 + timedelta(hours=5)},
        ],
    )
    cluster_pending(fresh_engine)
    old = clusters_of(fresh_engine)
    assert old[a] == old[b] == old[c] and cluster_row(fresh_engine, old[a]).representative_article_id == a
    store_version(fresh_engine, a, text=DOCS["en02-o"]["text"])
    assert cluster_pending(fresh_engine)["replaced"] == 1
    new = clusters_of(fresh_engine)
    assert new[b] == new[c] == old[a] and new[a] > old[a]
    assert cluster_row(fresh_engine, old[a]).representative_article_id == b
    assert consumer_clusters(fresh_engine) == {old[a]: (b, 2, 2), new[a]: (a, 1, 1)}
    with fresh_engine.connect() as conn:
        method = conn.execute(text("SELECT method FROM article_clusters WHERE article_id = :a"), {"a": a})
        assert method.scalar_one() == "new"


def test_an_edited_member_stays_and_a_new_date_only_moves_the_representative(fresh_engine):
    a, b = add_articles(
        fresh_engine,
        [
            {"text": DOCS["en01-o"]["text"], "published_at": T0},
            {"text": DOCS["en01-c2"]["text"], "outlet": "outlet-b", "published_at": T0 + timedelta(hours=2)},
        ],
    )
    cluster_pending(fresh_engine)
    cluster = clusters_of(fresh_engine)[a]
    store_version(fresh_engine, b, text=DOCS["en01-c3"]["text"])
    assert cluster_pending(fresh_engine)["replaced"] == 1
    assert clusters_of(fresh_engine) == {a: cluster, b: cluster}
    # A date fixed (text as it was): no new placement, but the earliest member leads.
    assert "clustering" not in pending(fresh_engine)
    # Clustering and the incident register read the date; tagging does not.
    assert store_version(fresh_engine, b, published_at=T0 - timedelta(days=1)) == 2
    stats = cluster_pending(fresh_engine)
    assert stats["unchanged"] == 1 and stats["replaced"] == 0
    row = cluster_row(fresh_engine, cluster)
    assert row.representative_article_id == b and row.first_published_at == T0 - timedelta(days=1)
    assert store_version(fresh_engine, b, language="en") == 1  # the incident register only
    assert (
        scalar(fresh_engine, "SELECT consumer FROM work_queue ORDER BY event_id DESC LIMIT 1") == "incidents"
    )


# --- concurrency and crashes ----------------------------------------------------------------


def test_concurrent_taggers_tag_each_article_once(fresh_engine):
    ids = add_articles(
        fresh_engine, [{"text": f"Prisoner {i} was executed at dawn in Evin."} for i in range(40)]
    )
    tag_pending(fresh_engine, TOPICS_FILE)  # the first run sweeps the (tagged-by-now) archive
    for i in ids:
        store_version(fresh_engine, i, text=f"Prisoner {i} was flogged in public, 74 lashes.")
    results: list[dict] = []
    barrier = threading.Barrier(3)

    def run():
        barrier.wait()
        results.append(tag_pending(fresh_engine, TOPICS_FILE, batch_size=5))

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r["tagged"] for r in results) == len(ids)
    assert sum(r["events"] for r in results) <= len(ids)
    assert all(not r["swept"] for r in results)
    with fresh_engine.connect() as conn:
        versions = conn.execute(text("SELECT DISTINCT article_version FROM article_taggings")).scalars().all()
        topics = conn.execute(text("SELECT DISTINCT topics FROM articles")).scalars().all()
    assert versions == [2] and topics == [["corporal_punishment"]]
    # Events of an article a worker held were left for the next run, never dropped.
    tag_pending(fresh_engine, TOPICS_FILE)
    assert pending(fresh_engine).get("tagging") is None


def test_an_article_held_by_another_worker_is_left_queued_and_a_failed_batch_keeps_its_events(
    fresh_engine,
):
    a, b = add_articles(fresh_engine, [{"text": "One executed."}, {"text": "Two executed."}])
    with fresh_engine.begin() as holder:
        assert workqueue.lock_articles(holder, [b]) == [b]
        counts = tag_pending(fresh_engine, TOPICS_FILE)
        assert counts["events"] == 1  # A's; B's event waits
        assert pending(fresh_engine)["tagging"] == [b]
    assert tag_pending(fresh_engine, TOPICS_FILE)["events"] == 1
    # A batch that fails takes its results and its done-marks down together.
    store_version(fresh_engine, a, text="One was flogged.")
    with pytest.raises(RuntimeError), fresh_engine.begin() as conn:
        events = workqueue.claim(conn, workqueue.TAGGING, 10)
        workqueue.done(conn, events)
        raise RuntimeError("crash before commit")
    assert pending(fresh_engine)["tagging"] == [a]
    assert tag_pending(fresh_engine, TOPICS_FILE)["tagged"] == 1


def test_tagging_does_not_walk_the_archive_with_nothing_to_do(fresh_engine):
    add_articles(fresh_engine, [{"text": f"Prisoner {i} executed."} for i in range(5)])
    first = tag_pending(fresh_engine, TOPICS_FILE)
    assert first["swept"] is True and first["tagged"] == 5
    idle = tag_pending(fresh_engine, TOPICS_FILE)
    assert idle["swept"] is False and idle["examined"] == idle["events"] == 0
    with fresh_engine.connect() as conn:
        swept = workqueue.swept(conn, workqueue.TAGGING)
    assert swept["taxonomy_version"] == first["taxonomy_version"] and swept["method"] == first["method"]
    # Another text cap is another configuration: one walk, which re-tags nothing here.
    other = tag_pending(fresh_engine, TOPICS_FILE, text_cap=100_000)
    assert other["swept"] is True and other["tagged"] == 0


# --- 0011 leaves the consumer views' rows as they were -----------------------------------


def test_consumer_views_read_the_same_rows_across_0011_and_a_rewrite(fresh_engine):
    from pipeline.db import downgrade, upgrade
    from tests.test_consumer_scale import _fill, _view_columns, _view_rows

    _fill(fresh_engine)
    at_head = _view_rows(fresh_engine)
    assert all(at_head.values())
    assert downgrade(fresh_engine, "0010") == ["0010"]
    # Later migrations add columns at the end: 0010's columns hold the same rows.
    columns_0010 = _view_columns(fresh_engine)
    at_0010 = _view_rows(fresh_engine)
    upgrade(fresh_engine)
    assert _view_rows(fresh_engine, columns_0010) == at_0010
    assert _view_rows(fresh_engine) == at_head
    assert downgrade(fresh_engine, "0010") == ["0010"]
    upgrade(fresh_engine)
    with fresh_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM FULL articles"))  # rows rewritten under the 0011 storage
        options = conn.execute(
            text("SELECT reloptions FROM pg_class WHERE oid = 'public.articles'::regclass")
        ).scalar_one()
    assert "toast_tuple_target=1024" in options  # 0011's storage (0016 adds parallel_workers)
    assert _view_rows(fresh_engine) == at_head
