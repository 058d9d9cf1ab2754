"""Exact deduplication and idempotent writes against a real PostgreSQL."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from pipeline.retry import RetryPolicy
from pipeline.storage import (
    ArticleData,
    CrawlConnection,
    FetchRecord,
    known_url_reasons,
    record_fetch,
    set_fetch_outcome,
    store_article,
    upsert_outlet,
)


def _fetch(engine, outlet_id: int, uid: str, url: str) -> int:
    return record_fetch(
        engine,
        FetchRecord(
            fetch_uid=uid,
            outlet_id=outlet_id,
            run_id=None,
            kind="article",
            requested_url=url,
            outcome="fetched",
            fetched_at=datetime.now(UTC),
        ),
    )


def _data(url: str, text_: str) -> ArticleData:
    return ArticleData(
        canonical_url=url,
        urls=[url],
        title="T",
        authors=["A"],
        published_at=None,
        published_raw=None,
        published_calendar=None,
        published_method=None,
        language="en",
        site_name=None,
        text=text_,
        extractor="test/1",
        extractor_settings={"k": 1},
    )


def _count(engine, table: str) -> int:
    with engine.connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


def test_same_url_or_same_text_is_one_article_with_several_sources(fresh_engine):
    engine = fresh_engine
    with engine.begin() as conn:
        outlet = upsert_outlet(
            conn, name="O", home="https://o.org/", language="en", affiliation="x", config={}
        )
        other = upsert_outlet(
            conn, name="P", home="https://p.org/", language="en", affiliation="y", config={}
        )
    now = datetime.now(UTC)
    body = "Prisoner executed in Karaj. The family was not told."
    f1 = _fetch(engine, outlet, "u1", "https://o.org/a")
    first = store_article(
        engine, outlet_id=outlet, fetch_id=f1, data=_data("https://o.org/a", body), seen_at=now
    )
    assert first.outcome == "stored"
    # Same fetch again (a rerun after a crash): nothing new.
    again = store_article(
        engine, outlet_id=outlet, fetch_id=f1, data=_data("https://o.org/a", body), seen_at=now
    )
    assert (again.outcome, again.article_id) == ("duplicate", first.article_id)
    # Same normalised text under another URL of the same outlet: one article, two sources.
    f2 = _fetch(engine, outlet, "u2", "https://o.org/print/a")
    variant = "prisoner  EXECUTED in Karaj — the family was not told!"
    copy = store_article(
        engine, outlet_id=outlet, fetch_id=f2, data=_data("https://o.org/print/a", variant), seen_at=now
    )
    assert (copy.outcome, copy.match) == ("duplicate", "same_content")
    # The same text from another outlet is that outlet's own article.
    f3 = _fetch(engine, other, "u3", "https://p.org/a")
    theirs = store_article(
        engine, outlet_id=other, fetch_id=f3, data=_data("https://p.org/a", body), seen_at=now
    )
    assert theirs.outcome == "stored" and theirs.article_id != first.article_id
    assert _count(engine, "articles") == 2
    assert _count(engine, "article_sources") == 3
    assert _count(engine, "article_versions") == 2
    # Recording the same fetch twice keeps one row.
    assert _fetch(engine, outlet, "u1", "https://o.org/a") == f1
    assert _count(engine, "fetches") == 3


def test_known_url_reasons_says_why_a_url_is_skipped(fresh_engine):
    engine = fresh_engine
    with engine.begin() as conn:
        outlet = upsert_outlet(
            conn, name="O", home="https://o.org/", language="en", affiliation="x", config={}
        )
    fid = _fetch(engine, outlet, "k1", "https://o.org/a")
    store_article(
        engine,
        outlet_id=outlet,
        fetch_id=fid,
        data=_data("https://o.org/a", "Some story text."),
        seen_at=datetime.now(UTC),
    )
    tag_page = _fetch(engine, outlet, "k2", "https://o.org/tag/x")
    set_fetch_outcome(engine, tag_page, "not_article", "listing")
    timeout = _fetch(engine, outlet, "k3", "https://o.org/slow")
    set_fetch_outcome(engine, timeout, "timeout", "took too long")
    urls = ["https://o.org/a", "https://o.org/tag/x", "https://o.org/slow", "https://o.org/new"]
    # Just fetched: the failures wait out their back-off; the new URL is fetched.
    assert known_url_reasons(engine, urls) == {
        "https://o.org/a": "stored",
        "https://o.org/tag/x": "waiting:not_article",
        "https://o.org/slow": "waiting:timeout",
    }
    # After the first wait, both are fetched again (one bad answer settles nothing).
    later = datetime.now(UTC) + timedelta(hours=1, minutes=1)
    assert known_url_reasons(engine, urls, now=later) == {"https://o.org/a": "stored"}
    # With one attempt allowed, the counted failures are settled.
    once = RetryPolicy(attempts=1)
    assert known_url_reasons(engine, urls, once, now=later) == {
        "https://o.org/a": "stored",
        "https://o.org/tag/x": "settled:not_article",
        "https://o.org/slow": "settled:timeout",
    }


def test_crawl_connection_survives_a_dropped_connection(fresh_engine):
    engine = fresh_engine
    with engine.begin() as conn:
        outlet = upsert_outlet(
            conn, name="O", home="https://o.org/", language="en", affiliation="x", config={}
        )
    db = CrawlConnection(engine)
    try:
        first = _fetch(db, outlet, "c1", "https://o.org/1")
        pid = db.execute(text("SELECT pg_backend_pid()"), {})[0][0]
        with engine.connect() as admin:  # the server drops the crawl's connection
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        second = _fetch(db, outlet, "c2", "https://o.org/2")
        assert second != first
        assert db.execute(text("SELECT pg_backend_pid()"), {})[0][0] != pid
    finally:
        db.close()
    assert _count(engine, "fetches") == 2
