"""The incident register through the real pipeline: the fixture site on loopback is crawled,
its articles stored, clustered and tagged, and the incident step fills PostgreSQL."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from pipeline.clustering import cluster_pending
from pipeline.incidents import extract_pending, pending_articles
from pipeline.ingest import ingest_outlet
from pipeline.settings import Settings
from pipeline.tagging import tag_pending
from pipeline.workqueue import enqueue_changed


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from pipeline.fixture_site import fixture_outlets_yaml, serve_fixture_site

    tmp = tmp_path_factory.mktemp("incidents-site")
    with serve_fixture_site(slow_seconds=0.5) as s:
        yield s, fixture_outlets_yaml(s, tmp)


@pytest.fixture()
def crawled(site, fresh_database_url, fresh_engine, tmp_path, monkeypatch):
    fixture, outlets_file = site
    monkeypatch.setenv("DADKHAH_OUTLETS_FILE", str(outlets_file))
    monkeypatch.setenv("DADKHAH_DATABASE_URL", fresh_database_url)
    monkeypatch.setenv("DADKHAH_ARCHIVE_DIR", str(tmp_path / "archive"))
    monkeypatch.setenv("DADKHAH_DATA_DIR", str(tmp_path))
    settings = replace(Settings.from_env(), database_url=fresh_database_url)
    for outlet in fixture.outlets_config()["outlets"]:
        ingest_outlet(outlet["name"], settings=settings, trigger="test")
    cluster_pending(fresh_engine)
    tag_pending(fresh_engine, settings.topics_file)
    return fresh_engine


def _incidents(engine) -> list[dict]:
    with engine.connect() as conn:
        return [
            dict(r._mapping)
            for r in conn.execute(text("SELECT * FROM consumer.incidents ORDER BY incident_id"))
        ]


def _karimzadeh(rows: list[dict]) -> dict:
    found = [
        r for r in rows if r["kind"] == "execution" and any("Karimzadeh" in n for n in r["victim_names"])
    ]
    assert len(found) == 1, rows
    return found[0]


def test_stored_articles_become_incidents_with_sources_and_evidence(crawled):
    counts = extract_pending(crawled)
    assert counts["examined"] > 0 and counts["mentions"] > 0
    rows = _incidents(crawled)
    row = _karimzadeh(rows)
    # A rights monitor, a wire copy of its report and a Persian agency report it: one
    # incident across outlets and scripts, the copies one independent source.
    assert row["source_count"] == 3 and len(row["outlets"]) == 3
    assert any("کریم" in n for n in row["victims"][0]["names"]), row["victims"]
    assert row["prison"] == "ghezel_hesar" and row["city"] == "Karaj" and row["province"] == "Alborz"
    assert row["charge"] == "drug"
    assert row["event_date"].isoformat() == "2025-07-12" and row["event_date_precision"] == "day"
    assert row["ages"] == [34] and row["victim_count"] == 1
    assert row["official_confirmation"] is False
    with crawled.connect() as conn:
        sources = conn.execute(
            text(
                "SELECT s.mention, a.text, a.cluster_id FROM consumer.incident_sources s"
                " JOIN consumer.articles a USING (article_id) WHERE s.incident_id = :i"
            ),
            {"i": row["incident_id"]},
        ).all()
    assert len(sources) == 3
    clusters = {c for _, _, c in sources}
    assert None not in clusters and row["independent_source_count"] == len(clusters) < 3
    # Every field's evidence is a span of the stored text.
    for mention, body, _ in sources:
        victim = next(v for v in mention["victims"] if v["name"])
        start, end = victim["evidence"]["name"]
        assert body[start:end] == victim["name"]
        start, end = mention["evidence"]["prison"]
        assert "Ghezel Hesar" in body[start:end] or "قزل" in body[start:end]
        start, end = mention["evidence"]["event_date"]
        assert body[start:end].strip()
    # Anniversary of 1988 and the UN's figures are not incidents.
    assert not [
        r
        for r in rows
        if r["event_date"] is not None and r["event_date"].year < 2000 and not r["background_only"]
    ]


def test_the_documented_monthly_count_query(crawled):
    from pathlib import Path

    from pipeline.incidents.store import MONTHLY_COUNTS_SQL

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert MONTHLY_COUNTS_SQL.strip() in readme  # the README shows the query that is tested
    extract_pending(crawled)
    with crawled.connect() as conn:
        rows = conn.execute(text(MONTHLY_COUNTS_SQL)).all()
    july = [r for r in rows if r.kind == "execution" and r.month.isoformat() == "2025-07-01"]
    assert sum(r.people for r in july) == 1  # Karimzadeh, reported three times, counted once
    assert july[0].charge == "drug" and july[0].age_group == "adult"


def test_rerun_is_idempotent_and_a_changed_article_is_read_again(crawled):
    extract_pending(crawled)
    before = _incidents(crawled)
    again = extract_pending(crawled)
    assert again["examined"] == 0 and again["mentions"] == 0
    assert _incidents(crawled) == before
    with crawled.connect() as conn:
        assert pending_articles(conn) == []
    row = _karimzadeh(before)
    with crawled.begin() as conn:
        article_id = conn.execute(
            text(
                "SELECT s.article_id FROM consumer.incident_sources s JOIN consumer.articles a USING (article_id)"
                " WHERE s.incident_id = :i AND a.title LIKE 'Man hanged%'"
            ),
            {"i": row["incident_id"]},
        ).scalar_one()
        # A re-extraction that lost the execution paragraphs (as reprocess stores a new
        # version: the row updated and the change queued in one transaction).
        conn.execute(
            text(
                "UPDATE articles SET text = 'A court hearing was postponed in Karaj on Saturday.',"
                " current_version = current_version + 1 WHERE article_id = :a"
            ),
            {"a": article_id},
        )
        enqueue_changed(conn, article_id, ["text"])
    counts = extract_pending(crawled)
    assert counts["examined"] == 1
    after = _karimzadeh(_incidents(crawled))
    assert after["incident_id"] == row["incident_id"]  # the id keeps its meaning
    assert after["source_count"] == 2 and len(after["outlets"]) == 2
    with crawled.connect() as conn:
        assert (
            conn.execute(
                text("SELECT count(*) FROM incident_mentions WHERE article_id = :a"), {"a": article_id}
            ).scalar_one()
            == 0
        )
        version = conn.execute(
            text("SELECT article_version FROM incident_extractions WHERE article_id = :a"), {"a": article_id}
        ).scalar_one()
        assert version == 2


def test_cli_exports_the_register(crawled, monkeypatch):
    from pipeline.cli import app

    runner = CliRunner()
    result = runner.invoke(app, ["incidents", "--update", "--format", "jsonl", "--kind", "execution"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert lines and all(r["kind"] == "execution" for r in lines)
    assert any("Karimzadeh" in " ".join(r["victim_names"]) for r in lines)
    result = runner.invoke(app, ["incidents", "--format", "csv", "--since", "2025-07-01"])
    assert result.exit_code == 0, result.output
    header = result.stdout.splitlines()[0].split(",")
    assert header[:5] == ["incident_id", "kind", "event_date", "event_date_precision", "victims"]
    bad = runner.invoke(app, ["incidents", "--kind", "beheading"])
    assert bad.exit_code == 2 and "beheading" in bad.output


def test_a_real_reprocess_updates_the_register(crawled):
    """`reprocess` re-extracts the wire's capture without the lines naming the victim (an
    outlet's new drop pattern): the next incident run reads the new version, and the
    wire's report no longer counts for the named execution."""
    from pipeline.reprocess import reprocess

    extract_pending(crawled)
    row = _karimzadeh(_incidents(crawled))
    with crawled.begin() as conn:
        wire = conn.execute(
            text(
                "SELECT o.name FROM consumer.incident_sources s JOIN outlets o ON o.name = s.outlet"
                " WHERE s.incident_id = :i AND s.url LIKE '%karaj-execution-report%'"
            ),
            {"i": row["incident_id"]},
        ).scalar_one()
        conn.execute(
            text(
                "UPDATE outlets SET config = jsonb_set(config, '{drop_line_patterns}',"
                ' \'["Karimzadeh", "hanged", "Ghezel"]\'::jsonb) WHERE name = :n'
            ),
            {"n": wire},
        )
    counts = reprocess(crawled, Settings.from_env().archive_dir, outlet=wire)
    assert counts["updated"] >= 1, counts
    with crawled.connect() as conn:  # the versions whose title, text or date changed
        queued = conn.execute(
            text("SELECT count(*) FROM work_queue WHERE consumer = 'incidents'")
        ).scalar_one()
    again = extract_pending(crawled)
    # Those are read again; a version that changed nothing the register reads is not.
    assert 1 <= again["examined"] == again["events"] == queued <= counts["updated"]
    after = _karimzadeh(_incidents(crawled))
    assert after["incident_id"] == row["incident_id"]
    assert wire not in after["outlets"] and after["source_count"] == row["source_count"] - 1
    assert extract_pending(crawled)["examined"] == 0


def test_two_workers_at_once_read_each_article_once(crawled):
    """Two incident runs started together (a CLI run and an Airflow task): the advisory lock
    serialises the batches, so every article is read once and no incident is doubled."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: extract_pending(crawled), range(2)))
    with crawled.connect() as conn:
        articles = conn.execute(text("SELECT count(*) FROM articles")).scalar_one()
        mentions = conn.execute(text("SELECT count(*) FROM incident_mentions")).scalar_one()
        extracted = conn.execute(text("SELECT count(*) FROM incident_extractions")).scalar_one()
    assert sum(r["examined"] for r in results) == articles == extracted
    assert sum(r["mentions"] for r in results) == mentions
    assert len(_karimzadeh(_incidents(crawled))["outlets"]) == 3


def test_independent_sources_follow_a_later_cluster_change(crawled):
    """When clustering later puts two reports in one story, the next run counts them once."""
    extract_pending(crawled)
    row = _karimzadeh(_incidents(crawled))
    with crawled.begin() as conn:
        ids = (
            conn.execute(
                text(
                    "SELECT article_id FROM consumer.incident_sources WHERE incident_id = :i ORDER BY article_id"
                ),
                {"i": row["incident_id"]},
            )
            .scalars()
            .all()
        )
        target = conn.execute(
            text("SELECT cluster_id FROM article_clusters WHERE article_id = :a"), {"a": ids[0]}
        ).scalar_one()
        conn.execute(
            text("UPDATE article_clusters SET cluster_id = :c WHERE article_id = ANY(:ids)"),
            {"c": target, "ids": ids},
        )
    counts = extract_pending(crawled)
    assert counts["examined"] == 0 and counts["independent_recounted"] >= 1
    assert _karimzadeh(_incidents(crawled))["independent_source_count"] == 1
    assert extract_pending(crawled)["independent_recounted"] == 0
