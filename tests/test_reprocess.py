"""Re-extraction from archived WARC captures: new versions only when something changed."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from typer.testing import CliRunner

from pipeline.archive import WarcArchive
from pipeline.extraction import EXTRACTOR_ID, ExtractionHints, extract_article
from pipeline.storage import ArticleData, FetchRecord, record_fetch, store_article, upsert_outlet
from pipeline.textnorm import content_sha256
from tests.conftest import table_count

DATA = Path(__file__).parent / "data" / "extraction"
OLD_EXTRACTOR = "dadkhah-extract/0.1 trafilatura/2.3.1"
T0 = datetime(2025, 7, 13, 8, 0, tzinfo=UTC)


class World:
    """One outlet, a WARC archive and helpers that store pages the way ingestion does."""

    def __init__(self, engine: Engine, archive_dir: Path, outlet: str = "Test Monitor") -> None:
        self.engine = engine
        self.archive_dir = archive_dir
        with engine.begin() as conn:
            self.outlet_id = upsert_outlet(
                conn,
                name=outlet,
                home="https://monitor.example.org/",
                language="en",
                affiliation="test",
                config={"drop_selectors": [], "drop_line_patterns": []},
            )
        self.archive = WarcArchive(
            archive_dir, outlet_id=self.outlet_id, run_id=None, software="dadkhah-test", outlet_name=outlet
        )
        self.n = 0

    def capture(self, url: str, body: bytes, content_type: str = "text/html; charset=utf-8") -> int:
        self.n += 1
        loc = self.archive.write_exchange(
            url=url,
            method="GET",
            request_headers=[("User-Agent", "dadkhah-test")],
            status=200,
            reason="OK",
            protocol="HTTP/1.1",
            response_headers=[("Content-Type", content_type)],
            body=body,
            fetched_at=T0,
        )
        return record_fetch(
            self.engine,
            FetchRecord(
                fetch_uid=f"{self.outlet_id}-{self.n}-{url}",
                outlet_id=self.outlet_id,
                run_id=None,
                kind="article",
                requested_url=url,
                final_url=url,
                outcome="stored",
                fetched_at=T0 + timedelta(minutes=self.n),
                http_status=200,
                content_type=content_type,
                body_length=len(body),
                warc_file=loc.warc_file,
                warc_offset=loc.offset,
                warc_length=loc.length,
                warc_record_id=loc.record_id,
            ),
        )

    def store(self, url: str, fetch_id: int, **overrides) -> int:
        """Store what an (older) extractor gave: the current output with ``overrides``."""
        html = self.fixture_html(overrides.pop("fixture"))
        hints = overrides.pop("hints", ExtractionHints(url=url))
        extracted = dataclasses.replace(extract_article(html, hints), **overrides)
        data = ArticleData.from_extracted(extracted, canonical_url=url, urls=[url])
        result = store_article(
            self.engine, outlet_id=self.outlet_id, fetch_id=fetch_id, data=data, seen_at=T0
        )
        assert result.outcome == "stored"
        return result.article_id

    @staticmethod
    def fixture_html(name: str) -> str:
        return (DATA / name).read_text(encoding="utf-8")

    def article(self, article_id: int):
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT * FROM articles WHERE article_id = :a"), {"a": article_id}).one()

    def versions(self, article_id: int):
        with self.engine.connect() as conn:
            return conn.execute(
                text("SELECT * FROM article_versions WHERE article_id = :a ORDER BY version"),
                {"a": article_id},
            ).all()


@pytest.fixture()
def world(fresh_engine: Engine, tmp_path: Path):
    w = World(fresh_engine, tmp_path / "archive")
    yield w
    w.archive.close()


def test_reprocess_writes_a_new_version_then_nothing(world: World) -> None:
    from pipeline.reprocess import reprocess

    url = "https://monitor.example.org/news/court-upholds"
    html = world.fixture_html("en_jsonld.html")
    fetch_id = world.capture(url, html.encode("utf-8"))
    old_text = extract_article(html, ExtractionHints(url=url)).text + "\nComments are closed."
    article_id = world.store(url, fetch_id, fixture="en_jsonld.html", extractor=OLD_EXTRACTOR, text=old_text)
    world.archive.close()

    result = reprocess(world.engine, world.archive_dir)
    assert result["articles"] == 1 and result["updated"] == 1 and result["errors"] == 0
    assert result["extractor"] == EXTRACTOR_ID

    fresh = extract_article(html, ExtractionHints(url=url, language="en"))
    row = world.article(article_id)
    assert row.extractor == EXTRACTOR_ID
    assert row.text == fresh.text and "Comments are closed" not in row.text
    assert row.current_version == 2
    assert row.content_sha256 == content_sha256(fresh.text)
    assert row.title == fresh.title and row.authors == fresh.authors
    assert row.published_at == fresh.published_at and row.published_method == "json-ld"
    assert row.extractor_settings["trafilatura"]["favor_precision"] is True
    assert row.updated_at > T0

    versions = world.versions(article_id)
    assert [(v.version, v.reason) for v in versions] == [(1, "ingest"), (2, "reprocess")]
    assert versions[0].text == old_text and versions[0].extractor == OLD_EXTRACTOR
    v2 = versions[1]
    assert v2.text == fresh.text and v2.extractor == EXTRACTOR_ID and v2.fetch_id == fetch_id
    assert v2.content_sha256 == content_sha256(fresh.text)
    assert v2.published_raw == fresh.published_raw and v2.language == "en"

    again = reprocess(world.engine, world.archive_dir)
    assert again["updated"] == 0 and again["unchanged"] == 1
    assert table_count(world.engine, "article_versions") == 2


def test_new_hash_held_by_another_article_is_kept_only_in_the_version(world: World) -> None:
    from pipeline.reprocess import reprocess

    html = world.fixture_html("en_meta_time.html").encode("utf-8")
    url_a = "https://monitor.example.org/news/a"
    url_b = "https://monitor.example.org/news/b"
    # B already holds exactly what A's page gives with the current extractor.
    fetch_b = world.capture(url_b, html)
    b = world.store(
        url_b, fetch_b, fixture="en_meta_time.html", hints=ExtractionHints(url=url_b, language="en")
    )
    fetch_a = world.capture(url_a, html)
    a = world.store(
        url_a, fetch_a, fixture="en_meta_time.html", extractor=OLD_EXTRACTOR, text="Old text. " * 40
    )
    world.archive.close()
    old_hash = world.article(a).content_sha256

    result = reprocess(world.engine, world.archive_dir)
    assert result == {**result, "articles": 2, "updated": 1, "hash_kept": 1, "unchanged": 1, "errors": 0}
    row_a, row_b = world.article(a), world.article(b)
    assert row_a.text == row_b.text
    assert row_a.content_sha256 == old_hash  # the unique constraint holds
    assert world.versions(a)[-1].content_sha256 == row_b.content_sha256
    assert row_a.current_version == 2 and row_b.current_version == 1
    assert reprocess(world.engine, world.archive_dir)["updated"] == 0


def test_feed_date_survives_reprocessing(world: World) -> None:
    from pipeline.reprocess import reprocess

    url = "https://monitor.example.org/news/teachers"
    feed = datetime(2025, 1, 2, 3, 4, tzinfo=UTC)
    fetch_id = world.capture(url, world.fixture_html("en_no_date.html").encode("utf-8"))
    hints = ExtractionHints(url=url, feed_published=feed, feed_published_raw="Thu, 02 Jan 2025 03:04:00 GMT")
    article_id = world.store(url, fetch_id, fixture="en_no_date.html", hints=hints, extractor=OLD_EXTRACTOR)
    world.archive.close()

    assert reprocess(world.engine, world.archive_dir)["updated"] == 1
    row = world.article(article_id)
    assert row.published_at == feed
    assert row.published_method == "feed"
    assert row.published_raw == "Thu, 02 Jan 2025 03:04:00 GMT"


def test_legacy_charset_capture_is_decoded_like_the_page_says(world: World) -> None:
    from pipeline.reprocess import reprocess

    url = "https://fa.example.org/news/1"
    paragraph = (
        "گزارش" + "\u200c" + "هاي تازه از بازداشت فعالان مدني در زندان اوين منتشر شد و خانواده‌ها نگرانند. "
    )
    html = f"<html><head><title>خبر</title></head><body><article><h1>خبر</h1><p>{paragraph * 6}</p></article></body></html>"
    body = html.encode("windows-1256")  # cp1256 has ZWNJ (0x9D) and Arabic yeh/kaf
    fetch_id = world.capture(url, body, content_type="text/html; charset=windows-1256")
    decoded = body.decode("windows-1256")
    extracted = extract_article(decoded, ExtractionHints(url=url))
    data = ArticleData.from_extracted(
        dataclasses.replace(extracted, extractor=OLD_EXTRACTOR), canonical_url=url, urls=[url]
    )
    article_id = store_article(
        world.engine, outlet_id=world.outlet_id, fetch_id=fetch_id, data=data, seen_at=T0
    ).article_id
    world.archive.close()

    assert reprocess(world.engine, world.archive_dir)["updated"] == 1
    row = world.article(article_id)
    assert "گزارش\u200cهاي تازه" in row.text


def test_filters_and_missing_captures(world: World) -> None:
    from pipeline.reprocess import reprocess

    url = "https://monitor.example.org/news/no-capture"
    fetch_id = record_fetch(
        world.engine,
        FetchRecord(
            fetch_uid="no-capture",
            outlet_id=world.outlet_id,
            run_id=None,
            kind="article",
            requested_url=url,
            outcome="stored",
            fetched_at=T0,
        ),
    )
    world.store(url, fetch_id, fixture="en_jsonld.html", extractor=OLD_EXTRACTOR)
    assert reprocess(world.engine, world.archive_dir, outlet="Another Outlet")["articles"] == 0
    assert reprocess(world.engine, world.archive_dir, since=T0 + timedelta(days=1))["articles"] == 0
    result = reprocess(world.engine, world.archive_dir, outlet="Test Monitor", since=T0)
    assert result["articles"] == 1 and result["no_capture"] == 1 and result["updated"] == 0


def test_reprocess_command(world: World, fresh_database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import typer

    from pipeline.reprocess import reprocess_command

    url = "https://monitor.example.org/news/court-upholds"
    fetch_id = world.capture(url, world.fixture_html("en_jsonld.html").encode("utf-8"))
    world.store(url, fetch_id, fixture="en_jsonld.html", extractor=OLD_EXTRACTOR)
    world.archive.close()
    app = typer.Typer()
    app.command()(reprocess_command)
    env = {"DADKHAH_DATABASE_URL": fresh_database_url, "DADKHAH_ARCHIVE_DIR": str(world.archive_dir)}
    result = CliRunner().invoke(app, ["--outlet", "Test Monitor", "--since", "2025-07-01"], env=env)
    assert result.exit_code == 0, result.output
    assert "1 updated" in result.output
    bad = CliRunner().invoke(app, ["--since", "last tuesday"], env=env)
    assert bad.exit_code != 0


def test_reprocess_after_a_real_crawl_changes_nothing(pg_server_url: str, tmp_path: Path) -> None:
    """Captures written by the spider re-extract to exactly what ingestion stored."""
    from pipeline.db import upgrade
    from pipeline.fixture_site import FixtureSite
    from pipeline.ingest import ingest
    from pipeline.reprocess import reprocess
    from pipeline.settings import Settings
    from tests.pg import create_scratch_database, drop_database

    url = create_scratch_database(pg_server_url)
    engine = create_engine(url)
    upgrade(engine)  # ingest checks the schema, never migrates
    settings = Settings(database_url=url, archive_dir=tmp_path / "archive", data_dir=tmp_path)
    site = FixtureSite(slow_seconds=0.5).start()
    try:
        outlets = site.write_outlets_yaml(tmp_path)
        report = ingest(settings, outlets_file=outlets, trigger="test", stream_logs=False, engine=engine)
        stored = report.total("stored")
        assert stored > 0
        result = reprocess(engine, settings.archive_dir)
        assert result["articles"] == stored
        assert result["errors"] == 0 and result["no_capture"] == 0
        assert result["updated"] == 0, result
        assert table_count(engine, "article_versions") == stored
    finally:
        site.stop()
        engine.dispose()
        drop_database(pg_server_url, url)
