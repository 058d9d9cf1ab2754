"""The ``dadkhah_revisit`` DAG: its contract, and a real ``dag.test()`` run on the fixture site."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests import airflow_env  # noqa: F401 - sets AIRFLOW_HOME etc. before airflow is imported
from tests.test_dags import BOGUS_URL, parse_dags, ti_states


@pytest.fixture(scope="module")
def airflow_db() -> None:
    airflow_env.migrate_metadata_db()


@pytest.fixture()
def crawled(monkeypatch, tmp_path, fresh_database_url) -> Iterator[dict[str, Any]]:
    """The fixture site crawled once, its articles then aged two days (past the first stage)."""
    from pipeline.fixture_site import fixture_outlets_yaml, serve_fixture_site
    from pipeline.ingest import ingest
    from pipeline.settings import Settings

    monkeypatch.setenv("AIRFLOW_CONN_DADKHAH_DB", fresh_database_url.replace("+psycopg", ""))
    monkeypatch.setenv("DADKHAH_DATABASE_URL", BOGUS_URL)  # the connection must win
    monkeypatch.setenv("DADKHAH_ARCHIVE_DIR", str(tmp_path / "archive"))
    monkeypatch.setenv("DADKHAH_DATA_DIR", str(tmp_path))
    engine = create_engine(fresh_database_url)
    with serve_fixture_site(slow_seconds=1.5) as site:
        outlets = fixture_outlets_yaml(site, tmp_path)
        monkeypatch.setenv("DADKHAH_OUTLETS_FILE", str(outlets))
        settings = Settings(
            database_url=fresh_database_url, archive_dir=tmp_path / "archive", data_dir=tmp_path
        )
        ingest(settings, outlets_file=Path(outlets), trigger="test", stream_logs=False, engine=engine)
        with engine.begin() as conn:
            stored = conn.execute(text("SELECT count(*) FROM articles")).scalar_one()
        yield {"engine": engine, "stored": stored, "site": site}
    engine.dispose()


def test_revisit_dag_contract():
    dag = parse_dags()["dadkhah_revisit"]
    assert dag.schedule == "@daily" and dag.catchup is False and dag.max_active_runs == 1
    assert set(dag.task_dict) == {"revisit"}
    assert dag.params.dump() == {"outlets": []}
    assert dag.task_dict["revisit"].execution_timeout.total_seconds() > 0


def test_revisit_dag_runs_the_due_articles(airflow_db, crawled):
    engine = crawled["engine"]
    dag = parse_dags()["dadkhah_revisit"]
    first = dag.test()
    assert first.state == "success", ti_states(first)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM article_revisits")).scalar_one() == 0  # none due yet
        conn.execute(text("UPDATE articles SET first_seen_at = first_seen_at - interval '2 days'"))
        conn.commit()
    second = dag.test()
    assert second.state == "success", ti_states(second)
    with engine.connect() as conn:
        revisits = conn.execute(text("SELECT count(DISTINCT article_id) FROM article_revisits")).scalar_one()
        runs = conn.execute(
            text("SELECT count(*) FROM crawl_runs WHERE trigger = 'revisit:airflow'")
        ).scalar_one()
        fetches = conn.execute(text("SELECT count(*) FROM fetches WHERE kind = 'revisit'")).scalar_one()
    assert revisits == crawled["stored"] > 0
    assert runs == 1 and fetches >= revisits
