"""End to end: real spiders crawl the fixture site on 127.0.0.x into a real PostgreSQL."""

from __future__ import annotations

import gzip
import hashlib
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from pipeline.archive import read_response
from pipeline.db import upgrade
from pipeline.fixture_site import FixtureSite
from pipeline.ingest import ingest
from pipeline.settings import Settings
from tests.pg import create_scratch_database, drop_database

BOILERPLATE = [
    "cookies",
    "Comments are closed",
    "Latest news",
    "Share this",
    "Subscribe to our newsletter",
    "If you experience technical problems",
    "Must read",
    "Photo: archive image",
    "Today is",
    "This is heartbreaking",
    "کوکی",
    "آخرین اخبار",
    "اشتراک‌گذاری",
    "خبرنامه",
]


def _path(url: str) -> str:
    return "/" + url.split("/", 3)[3]


@pytest.fixture(scope="module")
def crawled(pg_server_url, tmp_path_factory):
    """Two passes over the fixture site; yields what the tests inspect."""
    tmp = tmp_path_factory.mktemp("crawl")
    url = create_scratch_database(pg_server_url)
    engine = create_engine(url)
    upgrade(engine)  # ingest checks the schema, never migrates
    settings = Settings(database_url=url, archive_dir=tmp / "archive", data_dir=tmp)
    site = FixtureSite(slow_seconds=6.0).start()
    try:
        outlets = site.write_outlets_yaml(tmp)
        first = ingest(settings, outlets_file=outlets, trigger="test", stream_logs=False, engine=engine)
        after_first = {
            t: _count(engine, t) for t in ("articles", "article_sources", "article_urls", "article_versions")
        }
        second = ingest(settings, outlets_file=outlets, trigger="test", stream_logs=False, engine=engine)
        yield {
            "engine": engine,
            "after_first": after_first,
            "first": first,
            "second": second,
            "site": site,
            "settings": settings,
        }
    finally:
        site.stop()
        engine.dispose()
        drop_database(pg_server_url, url)


def _count(engine, table: str) -> int:
    with engine.connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


def _rows(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).mappings().all()


def test_first_pass_stores_every_article_once(crawled):
    engine = crawled["engine"]
    rows = _rows(engine, "SELECT outlet, url FROM consumer.articles ORDER BY url")
    by_outlet: dict[str, set[str]] = {}
    for row in rows:
        by_outlet.setdefault(row["outlet"], set()).add(_path(row["url"]))
    assert by_outlet["Demo Rights Monitor"] == {
        "/news/prisoner-executed-in-karaj/",
        "/news/teachers-union-activist-arrested/",
        "/news/hunger-strike-evin/",
        "/news/massacre-anniversary-khavaran/",
        "/news/un-rapporteur-statement/",
    }
    assert len(by_outlet["Demo Persian News"]) == 3
    assert len(by_outlet["Demo Wire"]) == 3
    assert crawled["first"].status == "finished"
    assert crawled["first"].total("stored") == 11


def test_failures_are_recorded_with_their_reason(crawled):
    engine = crawled["engine"]
    run_id = crawled["first"].run_id
    outcomes: dict[str, list[str]] = {}
    errors: dict[str, list[str]] = {}
    for row in _rows(
        engine,
        "SELECT url, outcome, error FROM consumer.fetches WHERE run_id = :r ORDER BY fetch_id",
        r=run_id,
    ):
        outcomes.setdefault(_path(row["url"]), []).append(row["outcome"])
        errors.setdefault(_path(row["url"]), []).append(row["error"])
    assert outcomes["/private/secret-report/"] == ["robots"]
    assert outcomes["/news/slow-page/"] == ["retried", "retried", "timeout"]
    # The size cap is enforced: the page ends as too_large (a connection reset by the
    # server while the client cancels may be retried first, within the retry bound).
    huge = outcomes["/news/huge-page/"]
    assert huge[-1] == "too_large" and set(huge[:-1]) <= {"retried"} and len(huge) <= 3
    assert outcomes["/files/annual-report.pdf"] == ["not_html"]
    assert outcomes["/news/empty-page/"] == ["not_article"]
    assert outcomes["/tag/executions/"] == ["not_article"]
    assert outcomes["/news/hunger-strike-evin/"] == ["retried", "stored"], errors  # 500, then 200
    assert outcomes["/old/massacre-anniversary/"] == ["redirect"]
    assert outcomes["/feed/"] == ["parsed"]
    # Nothing that failed became an article.
    stored = {_path(r["url"]) for r in _rows(engine, "SELECT url FROM consumer.articles")}
    assert not stored & {
        "/private/secret-report/",
        "/news/slow-page/",
        "/news/huge-page/",
        "/files/annual-report.pdf",
        "/news/empty-page/",
        "/tag/executions/",
    }
    errors = _rows(
        engine, "SELECT error FROM consumer.fetches WHERE url LIKE '%slow-page%' AND outcome='timeout'"
    )
    assert "took longer than" in errors[0]["error"]


def test_variants_map_to_one_article(crawled):
    engine = crawled["engine"]
    urls = _rows(
        engine,
        """
        SELECT u.url FROM article_urls u JOIN articles a USING (article_id)
         WHERE a.canonical_url LIKE '%/news/prisoner-executed-in-karaj/'""",
    )
    paths = {_path(r["url"]) for r in urls}
    assert "/news/prisoner-executed-in-karaj/amp/" in paths  # AMP page -> its article
    assert "/news/prisoner-executed-in-karaj/" in paths
    redirect = _rows(
        engine,
        """
        SELECT a.canonical_url FROM article_urls u JOIN articles a USING (article_id)
         WHERE u.url LIKE '%/old/massacre-anniversary/'""",
    )
    assert _path(redirect[0]["canonical_url"]) == "/news/massacre-anniversary-khavaran/"
    # The feed's utm-tagged link was recognised as the stored article, not fetched again.
    fetched = {
        _path(r["url"]) for r in _rows(engine, "SELECT url FROM consumer.fetches WHERE kind='article'")
    }
    assert not any("utm_" in p or "fbclid" in p for p in fetched)


def test_encoding_boilerplate_and_dates(crawled):
    engine = crawled["engine"]
    arts = {_path(r["url"]): r for r in _rows(engine, "SELECT * FROM consumer.articles")}
    un = arts["/news/un-rapporteur-statement/"]
    assert "“alarmed”" in un["text"] and "–" in un["text"]  # windows-1252 decoded right
    persian = arts["/news/1404/04/21/execution-ghezel-hesar/"]
    assert "قزل‌حصار" in persian["text"]  # the ZWNJ survives
    assert persian["language"] == "fa"
    assert persian["published_at"].date() == date(2025, 7, 12)
    assert arts["/news/1393/07/20/death-sentence-moharebeh/"]["published_at"].date() == date(2014, 10, 12)
    assert arts["/news/teachers-union-activist-arrested/"]["published_at"].date() == date(2025, 6, 3)
    for path, row in arts.items():
        assert row["title"] and "|" not in row["title"], path
        assert row["published_at"] is not None and row["published_at"].year < 2026, path
        for junk in BOILERPLATE:
            assert junk not in row["text"], (path, junk)


def test_second_pass_fetches_no_stored_article(crawled):
    engine = crawled["engine"]
    second = crawled["second"]
    assert second.total("stored") == 0
    rows = _rows(engine, "SELECT url, outcome, kind FROM consumer.fetches WHERE run_id = :r", r=second.run_id)
    stored_urls = {r["url"] for r in _rows(engine, "SELECT url FROM article_urls")}
    article_fetches = [r for r in rows if r["kind"] == "article"]
    assert not [r for r in article_fetches if r["url"] in stored_urls]
    # Settled non-articles are not fetched again either; transient failures are retried.
    assert {_path(r["url"]) for r in article_fetches} <= {
        "/news/slow-page/",
        "/news/huge-page/",
        "/private/secret-report/",
    }
    feed = [r for r in rows if r["kind"] == "feed" and "/feed/" in r["url"]]
    assert feed and feed[0]["outcome"] == "not_modified"  # conditional GET -> 304
    # The second pass wrote no article, version, source or URL row.
    assert {t: _count(engine, t) for t in crawled["after_first"]} == crawled["after_first"]
    assert crawled["after_first"]["articles"] == 11


def test_warc_records_hash_match(crawled):
    engine = crawled["engine"]
    archive = Path(crawled["settings"].archive_dir)
    rows = _rows(
        engine, "SELECT warc_file, warc_offset, raw_sha256 FROM consumer.fetches WHERE warc_file IS NOT NULL"
    )
    assert len(rows) > 20
    for row in rows:
        _headers, body = read_response(archive, row["warc_file"], row["warc_offset"])
        assert hashlib.sha256(body).hexdigest() == row["raw_sha256"]
    sources = _rows(engine, "SELECT * FROM consumer.article_sources")
    assert all(s["raw_sha256"] and s["warc_file"] and s["http_status"] == 200 for s in sources)


def test_warc_records_are_standalone_standard_gzip_members(crawled):
    """Any gzip reader (not only warcio) can cut a record out of the file by offset and length."""
    archive = Path(crawled["settings"].archive_dir)
    rows = _rows(
        crawled["engine"],
        "SELECT warc_file, warc_offset, warc_length, warc_record_id FROM fetches WHERE warc_file IS NOT NULL",
    )
    assert len(rows) > 20
    for row in rows:
        raw = (archive / row["warc_file"]).read_bytes()
        member = raw[row["warc_offset"] : row["warc_offset"] + row["warc_length"]]
        record = gzip.decompress(member)
        assert record.startswith(b"WARC/1.")
        assert f"WARC-Record-ID: {row['warc_record_id']}".encode() in record
    for path in {row["warc_file"] for row in rows}:
        assert gzip.decompress((archive / path).read_bytes()).count(b"WARC-Type: response") >= 1


def test_every_article_has_provenance(crawled):
    engine = crawled["engine"]
    rows = _rows(
        engine,
        """
        SELECT a.article_id, a.extractor, a.extractor_settings, a.first_fetch_id, v.version, o.affiliation
          FROM articles a JOIN article_versions v USING (article_id) JOIN outlets o USING (outlet_id)""",
    )
    assert len(rows) == 11
    for row in rows:
        assert row["extractor"].startswith("dadkhah-extract/") and "trafilatura/" in row["extractor"]
        assert row["extractor_settings"]
        assert row["first_fetch_id"] and row["version"] == 1 and row["affiliation"]
    runs = _rows(engine, "SELECT software, status FROM crawl_runs ORDER BY run_id")
    assert [r["status"] for r in runs] == ["finished", "finished"]
    assert runs[0]["software"]["trafilatura"] == "2.3.1"
    assert runs[0]["software"]["isal"]  # the WARC compressor is provenance too
