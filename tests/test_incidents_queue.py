"""The incident register as a consumer of the work queue: a changed text is read again, an
unchanged one is not, an idle run reads no article, a new extractor version walks the archive
once, concurrent runs read each article once, and the incremental independent-source recount
equals a full one."""

from __future__ import annotations

import random
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from pipeline import workqueue
from pipeline.incidents import store
from pipeline.incidents.store import extract_pending, recount_independent
from tests.test_clustering import T0, add_articles
from tests.test_workqueue import store_version

PEOPLE = ["Amir Karimzadeh", "Reza Ahmadi", "Hossein Rahimi", "Ali Sadeghi", "Mehdi Jafari"]


def _report(name: str, day: int, outlet: str) -> dict:
    return {
        "text": f"{name}, 34, was hanged in Ghezel Hesar Prison in Karaj on {day} July 2025, "
        f"rights groups said. His family was not told.",
        "outlet": outlet,
        "published_at": T0 + timedelta(days=day),
    }


@pytest.fixture()
def archive(fresh_engine):
    """Five executions, each reported by two or three outlets, and a few unrelated articles."""
    items = []
    for k, name in enumerate(PEOPLE):
        for outlet in ["outlet-a", "outlet-b", "outlet-c"][: 2 + k % 2]:
            items.append(_report(name, k + 1, outlet))
    items += [{"text": f"A court hearing was postponed in Karaj ({i})."} for i in range(4)]
    ids = add_articles(fresh_engine, items)
    # Each article its own story to begin with (as clustering would leave unrelated texts).
    with fresh_engine.begin() as conn:
        for aid in ids:
            cid = conn.execute(
                text("INSERT INTO clusters (representative_article_id) VALUES (:a) RETURNING cluster_id"),
                {"a": aid},
            ).scalar_one()
            conn.execute(
                text(
                    "INSERT INTO article_clusters (article_id, cluster_id, method, params) "
                    "VALUES (:a, :c, 'test', '{}')"
                ),
                {"a": aid, "c": cid},
            )
    return fresh_engine, ids


def _scalar(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar_one()


def _register(engine) -> list[tuple]:
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT incident_id, merged_into, source_count, independent_source_count, outlets "
                "FROM incidents ORDER BY incident_id"
            )
        ).all()


def _full_recount(engine) -> dict[int, int]:
    """Independent sources of every listed incident, counted from scratch."""
    with engine.connect() as conn:
        return dict(
            conn.execute(
                text(
                    "SELECT m.incident_id, count(DISTINCT COALESCE('c' || ac.cluster_id, 'a' || m.article_id)) "
                    "FROM incident_mentions m LEFT JOIN article_clusters ac USING (article_id) "
                    "JOIN incidents i ON i.incident_id = m.incident_id AND i.merged_into IS NULL "
                    "GROUP BY 1"
                )
            ).all()
        )


def _stored_counts(engine) -> dict[int, int]:
    with engine.connect() as conn:
        return dict(
            conn.execute(
                text(
                    "SELECT incident_id, independent_source_count FROM incidents "
                    "WHERE merged_into IS NULL AND source_count > 0"
                )
            ).all()
        )


def test_first_run_walks_once_then_takes_its_work_from_the_queue(archive):
    engine, ids = archive
    first = extract_pending(engine)
    assert first["swept"] is True and first["examined"] == len(ids)
    assert first["events"] == len(ids)  # the inserts' events, found covered by the walk
    assert first["incidents_created"] == len(PEOPLE)
    assert _scalar(engine, "SELECT count(*) FROM work_queue WHERE consumer = 'incidents'") == 0
    before = _register(engine)
    again = extract_pending(engine)  # rerun: nothing to do, nothing written
    assert again == store._new_counts()
    assert _register(engine) == before

    # A changed text (as reprocess stores it) is read again; its incident loses the source.
    victim = ids[0]
    assert store_version(engine, victim, text="A court hearing was postponed in Karaj on Saturday.") == 3
    changed = extract_pending(engine)
    assert changed["swept"] is False and changed["events"] == 1 and changed["examined"] == 1
    assert _scalar(engine, "SELECT count(*) FROM incident_mentions WHERE article_id = :a", a=victim) == 0
    assert (
        _scalar(engine, "SELECT article_version FROM incident_extractions WHERE article_id = :a", a=victim)
        == 2
    )

    # A new version that changes nothing the register reads queues nothing for it ...
    assert store_version(engine, ids[1], authors=["Someone"]) == 0
    # ... and an event whose version is already read is dropped unread.
    with engine.begin() as conn:
        conn.execute(
            text("SELECT public.dadkhah_enqueue_work(ARRAY[CAST(:a AS bigint)], 'changed', ARRAY['text'])"),
            {"a": ids[2]},
        )
    covered = extract_pending(engine)
    assert covered["events"] == 1 and covered["examined"] == 0 and covered["mentions"] == 0

    # A new article is queued by its insert and read alone.
    (new,) = add_articles(engine, [_report("Saeed Karimi", 9, "outlet-a")])
    fresh = extract_pending(engine)
    assert fresh["examined"] == 1 and fresh["incidents_created"] == 1 and fresh["swept"] is False


def test_an_idle_run_reads_no_article(archive, fresh_database_url):
    engine, ids = archive
    extract_pending(engine)

    def reads() -> dict[str, tuple[int, int]]:
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_stat_clear_snapshot()"))
            rows = conn.execute(
                text(
                    "SELECT relname, seq_scan, coalesce(idx_scan, 0) FROM pg_stat_user_tables "
                    "WHERE relname IN ('articles', 'incident_extractions', 'incident_mentions', "
                    "'article_clusters')"
                )
            ).all()
        return {name: (seq, idx) for name, seq, idx in rows}

    def settled() -> dict[str, tuple[int, int]]:
        # A backend's table statistics reach the views when it ends (or a while after a
        # transaction): wait until they stop moving.
        last = reads()
        while True:
            time.sleep(0.5)
            now = reads()
            if now == last:
                return now
            last = now

    engine.dispose()  # the first run's connection ends: its statistics are flushed
    before = settled()
    idle_engine = create_engine(fresh_database_url, poolclass=NullPool)  # one backend per run
    counts = extract_pending(idle_engine)
    idle_engine.dispose()
    after = settled()
    assert after == before, (before, after)
    assert counts == store._new_counts()


def test_a_new_extractor_version_walks_the_archive_once(archive, monkeypatch):
    engine, ids = archive
    extract_pending(engine)
    monkeypatch.setattr(store, "EXTRACTOR_VERSION", store.EXTRACTOR_VERSION + "+test")
    before = _register(engine)
    walked = extract_pending(engine)
    assert walked["swept"] is True and walked["examined"] == len(ids)
    # Every article re-read in one walk: the same incidents under the same ids, none new.
    assert walked["incidents_created"] == 0
    assert _register(engine) == before
    with engine.connect() as conn:
        assert workqueue.swept(conn, workqueue.INCIDENTS) == {"extractor_version": store.EXTRACTOR_VERSION}
    assert extract_pending(engine) == store._new_counts()


def test_concurrent_runs_read_each_changed_article_once(archive):
    engine, ids = archive
    extract_pending(engine)
    before = _register(engine)
    reports = ids[: len(ids) - 4]
    for aid in reports:  # every report re-extracted with one more sentence
        with engine.connect() as conn:
            body = conn.execute(
                text("SELECT text FROM articles WHERE article_id = :a"), {"a": aid}
            ).scalar_one()
        store_version(engine, aid, text=body + " The judiciary did not comment.")
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: extract_pending(engine, batch_size=3), range(2)))
    assert sum(r["examined"] for r in results) == len(reports)
    assert sum(r["events"] for r in results) == len(reports)

    # The same register, ids included: the new sentence adds nothing to any incident, and
    # an incident whose every source was re-read in one batch keeps its id.
    def listed(rows: list[tuple]) -> list[tuple]:
        return sorted((r[0], r[2], r[3], tuple(r[4])) for r in rows if r[1] is None and r[2] > 0)

    assert listed(_register(engine)) == listed(before)
    assert extract_pending(engine) == store._new_counts()


def test_the_incremental_recount_equals_a_full_recount(archive):
    engine, ids = archive
    extract_pending(engine)
    assert _stored_counts(engine) == _full_recount(engine)
    rng = random.Random(15)
    with engine.connect() as conn:
        clusters = list(conn.execute(text("SELECT cluster_id FROM clusters ORDER BY 1")).scalars())
    for round_ in range(4):
        # Clustering moves some articles between stories (reports found to be copies, a
        # bridge, a re-placed text); one article's text changes in the same round.
        with engine.begin() as conn:
            for aid in rng.sample(ids, 4):
                conn.execute(
                    text("UPDATE article_clusters SET cluster_id = :c WHERE article_id = :a"),
                    {"a": aid, "c": rng.choice(clusters)},
                )
        if round_ == 2:
            store_version(engine, ids[3], text="A court hearing was postponed in Karaj on Sunday.")
        counts = extract_pending(engine)
        assert counts["swept"] is False
        assert _stored_counts(engine) == _full_recount(engine), round_
        with engine.begin() as conn:  # a full recount now finds nothing to correct
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": store.LOCK_KEY})
            assert recount_independent(conn, full=True) == 0
    # Every change was counted in some run; only incidents of moved articles were looked at.
    assert _scalar(engine, "SELECT changes_read FROM work_consumers WHERE name = 'incidents'") == _scalar(
        engine, "SELECT max(change_id) FROM article_changes"
    )
