"""Migration 0009: the fast consumer views read the same rows as 0004's, the change cursor
never skips or repeats under concurrent writers, export round-trips, search folds Persian."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import random
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.clustering import cluster_pending, recluster_all
from pipeline.db import downgrade, upgrade
from pipeline.feed import export
from pipeline.search import search
from pipeline.tagging import tag_pending
from pipeline.textnorm import normalize_for_matching

ROOT = Path(__file__).resolve().parent.parent
TOPICS_FILE = ROOT / "config" / "topics.yaml"
VIEWS = ["articles", "article_sources", "fetches", "clusters", "article_topics", "article_facets"]
ZWNJ = "\u200c"

STORIES = [
    (
        "en",
        "Man hanged in Ghezel Hesar Prison on drug charges",
        "A man convicted of drug trafficking was hanged in Ghezel Hesar Prison in Karaj on Tuesday. "
        "His family were allowed a final visit. He was executed without notice to his lawyer, "
        "rights groups said. The execution was the third this week in the prison.",
    ),
    (
        "fa",
        "اعدام سه زندانی در زندان قزل\u200cحصار",
        "حکم اعدام سه زندانی صبح امروز در زندان قزل\u200cحصار کرج اجرا شد. این زندانیان به "
        "اتهام قاچاق مواد مخدر به اعدام محکوم شده بودند و خانواده\u200cهای آنان مطلع نشدند.",
    ),
    (
        "en",
        "Man flogged 80 times for drinking alcohol",
        "A man was flogged 80 times in public in Qazvin after being sentenced to 80 lashes "
        "for drinking alcohol. The flogging was carried out in a square before a crowd.",
    ),
    (
        "fa",
        "بازداشت يك روزنامه\u200cنگار در تهران",  # Arabic yeh and kaf, as some outlets type them
        "نيروهاي امنيتي يك روزنامه\u200cنگار را در تهران بازداشت كردند و به زندان اوين منتقل "
        "كردند. خانواده او از محل نگهداري وي بي\u200cخبر هستند.",
    ),
    (
        "en",
        "Rial hits record low",
        "Iran's currency fell to a record low on Sunday. Shopkeepers said sales had slowed "
        "and prices of imported goods rose sharply in the markets of Tehran.",
    ),
]


def _insert(conn, outlet_id: int, i: int, language: str, title: str, body: str, when: datetime) -> int:
    return conn.execute(
        text(
            "INSERT INTO articles (outlet_id, canonical_url, title, text, content_sha256, first_seen_at,"
            " published_at, language, extractor, extractor_settings, authors, current_version)"
            " VALUES (:o, :u, :t, :b, :h, :w, :w, :l, 'test 0', '{}', '{}', 1) RETURNING article_id"
        ),
        {
            "o": outlet_id,
            "u": f"https://o{outlet_id}.example.org/{i}",
            "t": title,
            "b": body,
            "h": hashlib.sha256(f"{outlet_id}{body}".encode()).hexdigest(),
            "w": when,
            "l": language,
        },
    ).scalar_one()


def _outlet(conn, name: str) -> int:
    return conn.execute(
        text(
            "INSERT INTO outlets (name, home, language, affiliation, config) "
            "VALUES (:n, 'https://example.org', 'en', 'independent', '{}') RETURNING outlet_id"
        ),
        {"n": name},
    ).scalar_one()


def _fill(engine) -> list[int]:
    """Two outlets carrying the same stories (clusters across outlets), each with a fetch."""
    base = datetime(2026, 11, 1, tzinfo=UTC)
    ids = []
    with engine.begin() as conn:
        for k, name in enumerate(["Wire A", "Wire B"]):
            outlet_id = _outlet(conn, name)
            for i, (lang, title, body) in enumerate(STORIES):
                if k == 1 and i == 4:
                    continue  # one story in one outlet only
                aid = _insert(conn, outlet_id, i, lang, title, body, base + timedelta(days=i, hours=k))
                ids.append(aid)
                fetch_id = conn.execute(
                    text(
                        "INSERT INTO fetches (fetch_uid, outlet_id, kind, requested_url, final_url,"
                        " http_status, outcome, fetched_at, raw_sha256) VALUES (:uid, :o, 'article',"
                        " :u, :u, 200, 'stored', :w, :h) RETURNING fetch_id"
                    ),
                    {"uid": f"f{aid}", "o": outlet_id, "u": f"https://o{outlet_id}.example.org/{i}",
                     "w": base, "h": "0" * 64},
                ).scalar_one()  # fmt: skip
                conn.execute(
                    text(
                        "INSERT INTO article_sources (article_id, fetch_id, url, match) VALUES (:a, :f, :u, 'new')"
                    ),
                    {"a": aid, "f": fetch_id, "u": f"https://o{outlet_id}.example.org/{i}"},
                )
    cluster_pending(engine)
    tag_pending(engine, TOPICS_FILE)
    return ids


def _view_rows(engine, columns: dict[str, list[str]] | None = None) -> dict[str, list[tuple]]:
    """Each view's rows (values as repr), sorted; only ``columns`` of it when given (a later
    migration may have added columns at the end)."""
    out = {}
    with engine.connect() as conn:
        for view in VIEWS:
            result = conn.execute(text(f"SELECT * FROM consumer.{view}"))
            keys = list(result.keys())
            kept = [i for i, k in enumerate(keys) if columns is None or k in columns[view]]
            out[view] = sorted(tuple(repr(row[i]) for i in kept) for row in result)
    return out


def _view_columns(engine) -> dict[str, list[str]]:
    with engine.connect() as conn:
        return {v: list(conn.execute(text(f"SELECT * FROM consumer.{v} LIMIT 0")).keys()) for v in VIEWS}


def _changes(conn, since: int = 0) -> list[tuple]:
    return conn.execute(
        text("SELECT change_id, article_id, kind FROM consumer.changes WHERE change_id > :s ORDER BY 1"),
        {"s": since},
    ).all()


def merge_cluster(conn, *, into: int, absorbed: int) -> None:
    """What a clustering merge does to the tables: the absorbed cluster's articles move, it
    points at the other, and the surviving cluster's representative moves (to its newest)."""
    conn.execute(
        text("UPDATE article_clusters SET cluster_id = :a WHERE cluster_id = :b"), {"a": into, "b": absorbed}
    )
    conn.execute(
        text("UPDATE clusters SET merged_into = :a WHERE cluster_id = :b"), {"a": into, "b": absorbed}
    )
    conn.execute(
        text(
            "UPDATE clusters SET representative_article_id = "
            "(SELECT max(article_id) FROM article_clusters WHERE cluster_id = :a) WHERE cluster_id = :a"
        ),
        {"a": into},
    )


def test_the_fast_views_return_the_rows_of_0004(fresh_engine):
    engine = fresh_engine
    ids = _fill(engine)
    with engine.begin() as conn:
        # What clustering and tagging do besides placing: merge a cluster into another, move
        # the representative, re-tag one article and drop another's tagging.
        c1, c2 = conn.execute(text("SELECT cluster_id FROM clusters ORDER BY 1 LIMIT 2")).scalars()
        merge_cluster(conn, into=c1, absorbed=c2)
        conn.execute(
            text("UPDATE article_taggings SET topics = ARRAY['x-test'] WHERE article_id = :a"), {"a": ids[0]}
        )
        conn.execute(text("DELETE FROM article_facets WHERE article_id = :a"), {"a": ids[1]})
        conn.execute(text("DELETE FROM article_topics WHERE article_id = :a"), {"a": ids[1]})
        conn.execute(text("DELETE FROM article_taggings WHERE article_id = :a"), {"a": ids[1]})
    fast = _view_rows(engine)
    assert len(fast["articles"]) == 9 and len(fast["clusters"]) >= 2
    assert any("'x-test'" in row[13] for row in fast["articles"])

    downgrade(engine, "0004")  # the views of 0004, computing everything at read time
    old, columns_0004 = _view_rows(engine), _view_columns(engine)
    upgrade(engine)  # and the stored columns rebuilt from the tables
    assert _view_rows(engine) == fast
    assert _view_rows(engine, columns_0004) == old  # the fast views give 0004's rows

    # A full rebuild (every placement deleted and written again) keeps the stored counts exact,
    # and each article whose cluster changed is in the feed.
    with engine.connect() as conn:
        cursor = conn.execute(text("SELECT max(change_id) FROM consumer.changes")).scalar_one()
    recluster_all(engine)
    with engine.connect() as conn:
        stored = conn.execute(
            text("SELECT cluster_id, outlet_id, articles FROM cluster_outlets ORDER BY 1, 2")
        ).all()
        counted = conn.execute(
            text(
                "SELECT ac.cluster_id, a.outlet_id, count(*) FROM article_clusters ac "
                "JOIN articles a USING (article_id) GROUP BY 1, 2 ORDER BY 1, 2"
            )
        ).all()
        fed = set(
            conn.execute(
                text("SELECT article_id FROM consumer.changes WHERE change_id > :c"), {"c": cursor}
            ).scalars()
        )
    assert stored == counted and len(stored) > 0
    assert fed == set(ids)  # every placement was deleted and written again


def test_a_topic_filter_and_a_cluster_join_use_indexes(fresh_engine):
    _fill(fresh_engine)
    with fresh_engine.connect() as conn:
        conn.execute(text("SET enable_seqscan = off"))  # a tiny table: ask whether an index *can* serve
        plan = "\n".join(
            conn.execute(
                text(
                    "EXPLAIN SELECT a.title, c.outlet_count FROM consumer.articles a "
                    "JOIN consumer.clusters c USING (cluster_id) "
                    "WHERE a.topics @> ARRAY['execution'] AND a.language = 'fa' AND a.is_representative"
                )
            ).scalars()
        )
    indexes = ("ix_articles_topics", "ix_articles_language_published", "ix_articles_topic_execution")  # 0015
    assert any(name in plan for name in indexes), plan
    assert "HashAggregate" not in plan and "GroupAggregate" not in plan, plan


def test_the_cursor_never_skips_or_repeats_under_concurrent_writers(fresh_engine, fresh_database_url):
    engine = create_engine(fresh_database_url, pool_size=10)
    with engine.begin() as conn:
        outlet_id = _outlet(conn, "Concurrent")
    seen: list[int] = []
    stop = threading.Event()
    errors: list[BaseException] = []
    rng = random.Random(15)
    delays = [[rng.uniform(0, 0.03) for _ in range(15)] for _ in range(4)]

    def writer(w: int) -> None:
        try:
            for j, delay in enumerate(delays[w]):
                with engine.begin() as conn:
                    _insert(
                        conn, outlet_id, w * 1000 + j, "en", f"t{w}-{j}", f"body {w} {j}", datetime.now(UTC)
                    )
                    time.sleep(delay)  # commit later than writers that started after us
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    def long_writer() -> None:
        try:
            with engine.begin() as conn:
                _insert(conn, outlet_id, 99999, "en", "long", "a long transaction", datetime.now(UTC))
                time.sleep(0.6)  # many others allocate and commit meanwhile
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    def reader() -> None:
        cursor = 0
        with engine.connect() as conn:
            while True:
                done = stop.is_set()
                rows = _changes(conn, cursor)
                conn.rollback()
                seen.extend(r[0] for r in rows)
                if rows:
                    cursor = rows[-1][0]
                if done:
                    return
                time.sleep(0.005)

    threads = [threading.Thread(target=long_writer)] + [
        threading.Thread(target=writer, args=(w,)) for w in range(4)
    ]
    read = threading.Thread(target=reader)
    read.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    read.join()
    assert not errors, errors
    with engine.connect() as conn:
        everything = [r[0] for r in _changes(conn)]
        kinds = conn.execute(text("SELECT kind, count(*) FROM consumer.changes GROUP BY 1")).all()
        pending = conn.execute(
            text("SELECT count(*) FROM article_changes WHERE change_id IS NULL")
        ).scalar_one()
    engine.dispose()
    assert kinds == [("article", 61)] and pending == 0
    assert len(seen) == len(set(seen)), "a change was read twice"
    assert seen == everything, "the reader passed a change that committed later"


def test_export_round_trips_through_the_consumer_views(fresh_engine, tmp_path):
    engine = fresh_engine
    ids = _fill(engine)
    out = io.StringIO()
    first = export(engine, 0, out, "jsonl")
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert first.articles == len(rows) == len(ids) and first.next_cursor > 0
    with engine.connect() as conn:
        articles = {
            r["article_id"]: r
            for r in conn.execute(text("SELECT to_jsonb(a) AS j FROM consumer.articles a")).scalars()
        }
        sources = {}
        for r in conn.execute(text("SELECT to_jsonb(s) FROM consumer.article_sources s")).scalars():
            sources.setdefault(r.pop("article_id"), []).append(r)
        clusters = {
            r["cluster_id"]: r
            for r in conn.execute(text("SELECT to_jsonb(c) FROM consumer.clusters c")).scalars()
        }
        cursor_now = conn.execute(text("SELECT max(change_id) FROM consumer.changes")).scalar_one()
    assert first.next_cursor == cursor_now
    for row in rows:
        view = articles[row["article_id"]]
        for column, value in view.items():
            exported = row[column]
            if isinstance(value, str) and column.endswith("_at"):
                assert datetime.fromisoformat(exported) == datetime.fromisoformat(value), column
            else:
                assert exported == value, column
        assert row["sources"] == [{**s, "fetched_at": s["fetched_at"]} for s in row["sources"]] and len(
            row["sources"]
        ) == len(sources[row["article_id"]])
        assert {s["fetch_id"] for s in row["sources"]} == {s["fetch_id"] for s in sources[row["article_id"]]}
        assert row["cluster"] == clusters.get(row["cluster_id"])
    assert [r["change_id"] for r in rows] == sorted(r["change_id"] for r in rows)

    # One change later: only that article, once, and the cursor moves past it.
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE article_taggings SET topics = ARRAY['x-new'] WHERE article_id = :a"), {"a": ids[2]}
        )
    out = io.StringIO()
    second = export(engine, first.next_cursor, out, "csv")
    table = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [int(r["article_id"]) for r in table] == [ids[2]] and json.loads(table[0]["topics"]) == ["x-new"]
    assert json.loads(table[0]["kinds"]) == ["tags"] and second.next_cursor > first.next_cursor
    assert export(engine, second.next_cursor, io.StringIO()).articles == 0

    # The command: data to the file, the next cursor to stdout.
    url = engine.url.render_as_string(hide_password=False)
    env = {
        "DADKHAH_DATABASE_URL": url,
        "DADKHAH_DATA_DIR": str(tmp_path / "d"),
        "DADKHAH_ARCHIVE_DIR": str(tmp_path / "a"),
    }
    target = tmp_path / "feed.jsonl"
    result = CliRunner().invoke(
        app, ["export", "--since", str(first.next_cursor), "--out", str(target)], env=env
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(second.next_cursor)
    assert [json.loads(line)["article_id"] for line in target.read_text().splitlines()] == [ids[2]]
    bad = CliRunner().invoke(app, ["export", "--format", "parquet"], env=env)
    assert bad.exit_code == 2


FOLD_SAMPLES = [
    "بازداشت يك روزنامه\u200cنگار",
    "كشته شدن ۳ نفر در ٤ روز",
    "مُحمّد ـــ علی\u200dرضا",
    "مؤسسه\u00a0حقوق بشر ة أ إ آ",
]


@pytest.mark.parametrize("sample", FOLD_SAMPLES)
def test_sql_folding_is_the_projects_folding(db_engine, sample):
    with db_engine.connect() as conn:
        folded = conn.execute(text("SELECT dadkhah_fold(:s)"), {"s": sample}).scalar_one()
    assert folded == normalize_for_matching(sample)


def test_search_finds_persian_variants_and_english_stems(fresh_engine, tmp_path):
    ids = _fill(fresh_engine)

    def found(query: str, **kw) -> set[str]:
        return {r["title"] for r in search(fresh_engine, query, **kw)}

    journalist = "بازداشت يك روزنامه\u200cنگار در تهران"
    prison = "اعدام سه زندانی در زندان قزل\u200cحصار"
    # Stored with Arabic yeh/kaf and ZWNJ; asked with Persian letters, a space, or nothing.
    assert journalist in found("روزنامه\u200cنگار")
    assert journalist in found("روزنامه نگار")
    assert journalist in found("روزنامهنگار")
    assert journalist in found("نیروهای امنیتی")  # Persian yeh in the query, Arabic in the text
    assert prison in found("قزلحصار") and prison in found("قزل حصار") and prison in found("قزل\u200cحصار")
    assert journalist not in found("قزلحصار")
    assert "Man hanged in Ghezel Hesar Prison on drug charges" in found("executions")  # stemmed
    assert found("flogging alcohol") == {"Man flogged 80 times for drinking alcohol"}
    assert found("alcohol", outlet="Wire A") == {"Man flogged 80 times for drinking alcohol"}
    assert found("Rial", outlet="Wire B") == set()
    assert found("alcohol", since=datetime(2027, 1, 1, tzinfo=UTC)) == set()

    rows = search(fresh_engine, "روزنامه نگار")  # the snippet marks the (folded) words found
    assert rows and "[روزنامه] [نگار]" in rows[0]["snippet"] and rows[0]["rank"] > 0
    top = search(fresh_engine, "prison")
    assert top[0]["title"].startswith("Man hanged")  # the title match ranks first

    url = fresh_engine.url.render_as_string(hide_password=False)
    env = {
        "DADKHAH_DATABASE_URL": url,
        "DADKHAH_DATA_DIR": str(tmp_path / "d"),
        "DADKHAH_ARCHIVE_DIR": str(tmp_path / "a"),
    }
    result = CliRunner().invoke(app, ["search", "قزلحصار", "--json"], env=env)
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert (
        {line["title"] for line in lines} == {prison}
        and len(lines) == 2
        and set(ids) >= {lines[0]["article_id"]}
    )
