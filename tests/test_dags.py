"""The Airflow DAGs: they parse cleanly and cheaply, keep their contract, and really run.

``dag.test()`` runs ``dadkhah_ingest`` in this process against the offline fixture site and a
real PostgreSQL (the dadkhah data); Airflow's own metadata lives in a throwaway SQLite file
(see ``tests/airflow_env.py``, imported first so Airflow sees its settings). Airflow itself is
imported inside the fixtures, never at collection time.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests import airflow_env  # noqa: F401 - sets AIRFLOW_HOME etc. before airflow is imported
from tests.loopback import SilentServer, closed_port, crawl_children

DAG_FILE = airflow_env.DAGS_FOLDER / "dadkhah_pipeline.py"
ASSET_URI = "dadkhah://articles/"  # Airflow normalises "dadkhah://articles" to this
BOGUS_URL = "postgresql://nobody:wrong@127.0.0.1:9/not_a_database"


# ------------------------------------------------------------------------------ helpers


def parse_dags() -> dict[str, Any]:
    """Parse the DAGs folder as the DAG processor does (env read now, at parse time)."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(airflow_env.DAGS_FOLDER))
    assert bag.import_errors == {}
    return bag.dags


def load_dag_module():
    """The DAG file as a plain module, for its small helpers."""
    spec = importlib.util.spec_from_file_location("dadkhah_dag_module_under_test", DAG_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ti_states(dag_run) -> dict[tuple[str, str], str]:
    """{(task_id, label): state}; label is the outlet name for mapped crawl instances."""
    states = {}
    for ti in dag_run.get_task_instances():
        label = ti.rendered_map_index or str(ti.map_index)
        states[(ti.task_id, label)] = ti.state
    return states


def asset_events(run_id: str) -> list[dict[str, Any]]:
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        rows = session.execute(
            select(AssetEvent.extra)
            .join(AssetModel, AssetModel.id == AssetEvent.asset_id)
            .where(AssetModel.uri == ASSET_URI, AssetEvent.source_run_id == run_id)
        ).all()
        return [dict(row.extra or {}) for row in rows]


def queued_dag_ids() -> set[str]:
    from airflow.models.asset import AssetDagRunQueue
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        return set(session.scalars(select(AssetDagRunQueue.target_dag_id)))


def clear_asset_queue() -> None:
    from airflow.models.asset import AssetDagRunQueue
    from airflow.utils.session import create_session
    from sqlalchemy import delete

    with create_session() as session:
        session.execute(delete(AssetDagRunQueue))


def count(url: str, sql: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql)).scalar_one()
    finally:
        engine.dispose()


# ------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def dags() -> dict[str, Any]:
    return parse_dags()


@pytest.fixture(scope="module")
def airflow_db() -> None:
    """Airflow's metadata tables (SQLite, created once per test session)."""
    airflow_env.migrate_metadata_db()


@pytest.fixture(scope="module")
def fixture_site(tmp_path_factory) -> Iterator[tuple[Any, Path]]:
    from pipeline.fixture_site import fixture_outlets_yaml, serve_fixture_site

    tmp = tmp_path_factory.mktemp("airflow-fixture-site")
    with serve_fixture_site(slow_seconds=1.5) as site:
        yield site, fixture_outlets_yaml(site, tmp)


@pytest.fixture()
def dag_logs() -> Iterator[list[str]]:
    """Messages the DAG code logs (its logger feeds the Airflow task logs)."""
    messages: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(record.getMessage())

    handler = Collect(level=logging.INFO)
    logger = logging.getLogger("dadkhah.airflow")
    logger.addHandler(handler)
    yield messages
    logger.removeHandler(handler)


@pytest.fixture()
def dadkhah_env(monkeypatch, tmp_path, fresh_database_url) -> str:
    """Task-time settings: the DB comes from the Airflow connection, not DADKHAH_DATABASE_URL."""
    monkeypatch.setenv("AIRFLOW_CONN_DADKHAH_DB", fresh_database_url.replace("+psycopg", ""))
    monkeypatch.setenv("DADKHAH_DATABASE_URL", BOGUS_URL)  # the connection must win
    monkeypatch.setenv("DADKHAH_ARCHIVE_DIR", str(tmp_path / "archive"))
    monkeypatch.setenv("DADKHAH_DATA_DIR", str(tmp_path))
    return fresh_database_url


# ------------------------------------------------------------------------ parse and contract


def test_dags_import_without_errors(dags):
    assert set(dags) == {"dadkhah_ingest", "dadkhah_process", "dadkhah_revisit"}


def test_ingest_dag_contract(dags):
    from airflow.sdk import Asset

    dag = dags["dadkhah_ingest"]
    assert dag.schedule == "@hourly"  # the default
    assert dag.timetable.expression == "0 * * * *"
    assert dag.catchup is False
    assert dag.max_active_runs == 1
    assert set(dag.task_dict) == {"select_outlets", "crawl", "publish", "summary", "health"}
    params = dag.params.dump()
    assert params == {"outlets": [], "max_articles_per_outlet": None}
    dag.params.validate()

    crawl = dag.task_dict["crawl"]
    assert crawl.is_mapped
    assert "outlet_name" in crawl.partial_kwargs["map_index_template"]
    assert crawl.partial_kwargs["max_active_tis_per_dagrun"] >= 1
    assert crawl.partial_kwargs["execution_timeout"].total_seconds() > 0
    assert crawl.upstream_task_ids == {"select_outlets"}

    publish = dag.task_dict["publish"]
    assert [a.uri for a in publish.outlets if isinstance(a, Asset)] == [ASSET_URI]
    assert publish.trigger_rule == "all_done_min_one_success"  # publish what the others found
    summary = dag.task_dict["summary"]
    assert summary.trigger_rule == "all_done"
    health = dag.task_dict["health"]
    assert summary.downstream_task_ids == {"health"}
    assert health.trigger_rule == "all_done"
    assert health.downstream_task_ids == set()  # the leaf: it decides the run's state


def test_ingest_retries_with_backoff_by_default(monkeypatch):
    for name in ("DADKHAH_INGEST_RETRIES", "DADKHAH_INGEST_RETRY_DELAY_SECONDS"):
        monkeypatch.delenv(name)
    crawl = parse_dags()["dadkhah_ingest"].task_dict["crawl"]
    assert crawl.partial_kwargs["retries"] == 2
    assert crawl.partial_kwargs["retry_exponential_backoff"] == 2.0
    assert crawl.partial_kwargs["retry_delay"].total_seconds() == 300


@pytest.mark.parametrize(
    ("value", "schedule"), [("*/30 * * * *", "*/30 * * * *"), ("@daily", "@daily"), ("none", None)]
)
def test_ingest_schedule_comes_from_the_environment(monkeypatch, value, schedule):
    monkeypatch.setenv("DADKHAH_INGEST_SCHEDULE", value)
    assert parse_dags()["dadkhah_ingest"].schedule == schedule


def test_trigger_form_offers_the_configured_outlets(monkeypatch, tmp_path):
    outlets = tmp_path / "outlets.yaml"
    outlets.write_text("outlets:\n  - name: First\n  - name: Second\n", encoding="utf-8")
    monkeypatch.setenv("DADKHAH_OUTLETS_FILE", str(outlets))
    param = parse_dags()["dadkhah_ingest"].params.get_param("outlets")
    assert param.schema["examples"] == ["First", "Second"]
    # An unreadable file never breaks parsing: the picker is just left out.
    monkeypatch.setenv("DADKHAH_OUTLETS_FILE", str(tmp_path / "missing.yaml"))
    assert "examples" not in parse_dags()["dadkhah_ingest"].params.get_param("outlets").schema


def test_process_dag_contract(dags):
    dag = dags["dadkhah_process"]
    assert [a.uri for a in dag.timetable.asset_condition.objects] == [ASSET_URI]
    assert dag.max_active_runs == 1
    assert dag.task_dict["cluster"].downstream_task_ids == {"tag"}
    assert dag.task_dict["tag"].downstream_task_ids == {"incidents"}
    assert dag.task_dict["incidents"].downstream_task_ids == {"check"}


def test_parsing_is_cheap():
    """Parsing imports no crawler, no database driver and no project library but settings."""
    code = (
        "import sys\n"
        "from airflow.dag_processing.dagbag import DagBag\n"
        f"bag = DagBag(dag_folder={str(airflow_env.DAGS_FOLDER)!r})\n"
        "assert bag.import_errors == {}, bag.import_errors\n"
        "heavy = ['scrapy', 'trafilatura', 'lxml', 'psycopg', 'psycopg2', 'twisted.internet.reactor',\n"
        "         'pipeline.ingest', 'pipeline.db', 'pipeline.config', 'pipeline.clustering',\n"
        "         'pipeline.tagging']\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    env = {**os.environ, "DADKHAH_DATABASE_URL": BOGUS_URL, "AIRFLOW_CONN_DADKHAH_DB": BOGUS_URL}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip().splitlines()[-1] == "[]"


# ------------------------------------------------------------------------ run-time helpers


def test_database_from_connection_then_environment(monkeypatch):
    module = load_dag_module()
    monkeypatch.setenv("DADKHAH_DATABASE_URL", "postgresql://env@envhost/envdb")
    monkeypatch.setenv(
        "AIRFLOW_CONN_DADKHAH_DB", "postgresql://user:p%40ss@dbhost:5433/dadkhah?sslmode=require"
    )
    assert (
        module.dadkhah_settings().database_url
        == "postgresql+psycopg://user:p%40ss@dbhost:5433/dadkhah?sslmode=require"
    )
    monkeypatch.delenv("AIRFLOW_CONN_DADKHAH_DB")
    assert module.dadkhah_settings().database_url == "postgresql://env@envhost/envdb"
    monkeypatch.delenv("DADKHAH_DATABASE_URL")
    with pytest.raises(RuntimeError, match="AIRFLOW_CONN_DADKHAH_DB"):
        module.dadkhah_settings()


def test_report_line_and_run_uid():
    module = load_dag_module()
    line = module.format_report(
        {
            "outlet": "Wire",
            "discovered": 9,
            "skipped_known": 2,
            "fetched": 7,
            "stored": 4,
            "duplicate": 1,
            "not_article": 1,
            "failed": 1,
            "failures": {"timeout": 1},
            "failure_examples": {"timeout": "http://x/a: took too long"},
        }
    )
    assert line.startswith(
        "outlet 'Wire': discovered 9 (already stored 2), fetched 7, new 4, duplicate 1, "
        "not an article 1, failed 1"
    )
    assert "failed: timeout: 1 (e.g. http://x/a: took too long)" in line
    assert module._run_uid("manual__2026-01-01T00:00:00+00:00", "Wire", 1).startswith("airflow:")
    long_a = module._run_uid("manual__2026-01-01T00:00:00.123456+00:00", "Demo Rights Monitor", 1)
    long_b = module._run_uid("manual__2026-01-01T00:00:00.123456+00:00", "Demo Rights Monitor", 2)
    assert len(long_a) == 64 and long_a.startswith("airflow:manual__2026-01-01T00:00:00")
    assert long_a != long_b  # each try is its own crawl run


# ------------------------------------------------------------------------- dag.test() runs


def test_ingest_dag_end_to_end(airflow_db, fixture_site, dadkhah_env, monkeypatch, dag_logs):
    """All outlets crawled (mapped, labelled), articles stored once, asset event emitted."""
    site, outlets_file = fixture_site
    monkeypatch.setenv("DADKHAH_OUTLETS_FILE", str(outlets_file))
    names = [o["name"] for o in site.outlets_config()["outlets"]]
    dag = parse_dags()["dadkhah_ingest"]
    clear_asset_queue()

    first = dag.test()
    logs = "\n".join(dag_logs)
    states = ti_states(first)
    assert first.state == "success", states
    assert {label for (task, label) in states if task == "crawl"} == set(names)
    assert all(state == "success" for state in states.values()), states
    articles = count(dadkhah_env, "SELECT count(*) FROM consumer.articles")
    assert articles > 0
    (event,) = asset_events(first.run_id)
    assert event["new_articles"] == articles
    assert set(event["per_outlet"]) == set(names)
    assert "dadkhah_process" in queued_dag_ids()
    runs = count(dadkhah_env, "SELECT count(*) FROM crawl_runs WHERE trigger = 'airflow'")
    assert runs == len(names)  # one crawl run per outlet task

    # Each outlet's task log gives its counts, and its failures by reason with an example.
    for name in names:
        assert f"outlet {name!r}: discovered " in logs
    assert re.search(r"new \d+, duplicate \d+, not an article \d+, failed \d+", logs)
    assert re.search(r"failed: \w+: \d+ \(e\.g\. http", logs)

    clear_asset_queue()
    second = dag.test()
    states = ti_states(second)
    assert second.state == "success", states
    assert count(dadkhah_env, "SELECT count(*) FROM consumer.articles") == articles
    assert states[("publish", "-1")] == "skipped"  # nothing new: no asset event
    assert asset_events(second.run_id) == []
    assert "dadkhah_process" not in queued_dag_ids()


def test_ingest_params_pick_outlets_and_cap(airflow_db, fixture_site, dadkhah_env, monkeypatch):
    site, outlets_file = fixture_site
    monkeypatch.setenv("DADKHAH_OUTLETS_FILE", str(outlets_file))
    name = [o["name"] for o in site.outlets_config()["outlets"]][-1]
    run = parse_dags()["dadkhah_ingest"].test(run_conf={"outlets": [name], "max_articles_per_outlet": 1})
    states = ti_states(run)
    assert run.state == "success", states
    assert [label for (task, label) in states if task == "crawl"] == [name]
    assert count(dadkhah_env, "SELECT count(*) FROM consumer.articles") == 1


def test_one_failing_or_hanging_outlet_does_not_block_the_others(
    airflow_db, fixture_site, dadkhah_env, monkeypatch, tmp_path, dag_logs
):
    """An outlet that errors and one that hangs fail alone; the others' articles land."""
    import yaml

    import pipeline.ingest

    site, outlets_file = fixture_site
    config = yaml.safe_load(outlets_file.read_text(encoding="utf-8"))
    good = [config["outlets"][-1]["name"]]  # a quick one (the first has deliberately slow pages)
    hanging = SilentServer()
    stall = f"http://127.0.0.1:{hanging.port}"
    config["outlets"] += [
        {
            "name": "Broken Outlet",
            "home": stall + "/",
            "language": "en",
            "feeds": [stall + "/feed"],
            "allow_private_network": True,  # served on loopback
        },
        {
            "name": "Hanging Outlet",
            "home": stall + "/",
            "language": "en",
            "feeds": [stall + "/feed"],
            "allow_private_network": True,
            "timeout_seconds": 600,
            "min_delay_seconds": 0,
        },
    ]
    path = tmp_path / "outlets.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("DADKHAH_OUTLETS_FILE", str(path))

    real = pipeline.ingest.ingest_outlet

    def ingest_outlet(outlet_name: str, **kwargs: Any) -> dict[str, Any]:
        if outlet_name == "Broken Outlet":
            raise RuntimeError("simulated fatal error for this outlet")
        return real(outlet_name, **kwargs)

    monkeypatch.setattr(pipeline.ingest, "ingest_outlet", ingest_outlet)
    monkeypatch.setenv("DADKHAH_OUTLET_TIMEOUT_SECONDS", "15")
    dag = parse_dags()["dadkhah_ingest"]  # re-parsed: the timeout is read at parse time
    wanted = ["Broken Outlet", "Hanging Outlet", *good]
    started = time.monotonic()
    try:
        run = dag.test(run_conf={"outlets": wanted})
    finally:
        hanging.close()
    elapsed = time.monotonic() - started
    states = ti_states(run)

    assert run.state == "failed", states  # the run says something went wrong...
    assert states[("crawl", "Broken Outlet")] == "failed"
    assert states[("crawl", "Hanging Outlet")] == "failed"
    for name in good:  # ...but the other outlets were crawled and stored
        assert states[("crawl", name)] == "success", states
    assert states[("publish", "-1")] == "success"
    assert states[("summary", "-1")] == "failed"
    (event,) = asset_events(run.run_id)
    assert set(event["per_outlet"]) == set(good)
    assert count(dadkhah_env, "SELECT count(*) FROM consumer.articles") == event["new_articles"]
    assert elapsed < 120
    assert crawl_children(os.getpid()) == []  # the timed-out crawl's child was killed
    logs = "\n".join(dag_logs)
    assert "outlet 'Broken Outlet': FAILED" in logs
    assert "outlet 'Hanging Outlet': FAILED" in logs
    assert "2 of 3 outlet(s) failed: Broken Outlet, Hanging Outlet" in logs


# ---------------------------------------------------------------------- dadkhah_process runs


def _fake_steps(monkeypatch, *, cluster_fails: bool = False) -> list[tuple[str, Any]]:
    calls: list[tuple[str, Any]] = []
    clustering = importlib.import_module("pipeline.clustering")
    tagging = importlib.import_module("pipeline.tagging")
    incidents = importlib.import_module("pipeline.incidents")

    def cluster_pending(engine):
        calls.append(("cluster", engine.url.database))
        if cluster_fails:
            raise RuntimeError("simulated clustering failure")
        return {"clustered": 0}

    def tag_pending(engine, topics_file=None):
        calls.append(("tag", (engine.url.database, topics_file)))
        return {"tagged": 0}

    def extract_pending(engine, topics_file=None):
        calls.append(("incidents", (engine.url.database, topics_file)))
        return {"examined": 0}

    monkeypatch.setattr(clustering, "cluster_pending", cluster_pending, raising=False)
    monkeypatch.setattr(tagging, "tag_pending", tag_pending, raising=False)
    monkeypatch.setattr(incidents, "extract_pending", extract_pending, raising=False)
    return calls


def test_process_dag_clusters_then_tags(airflow_db, dadkhah_env, monkeypatch, tmp_path):
    from sqlalchemy.engine import make_url

    topics = tmp_path / "topics.yaml"
    monkeypatch.setenv("DADKHAH_TOPICS_FILE", str(topics))
    calls = _fake_steps(monkeypatch)
    run = parse_dags()["dadkhah_process"].test()
    assert run.state == "success", ti_states(run)
    database = make_url(dadkhah_env).database
    assert calls == [
        ("cluster", database),
        ("tag", (database, topics)),
        ("incidents", (database, str(topics))),
    ]


def test_process_dag_tags_even_if_clustering_fails_and_reports_it(airflow_db, dadkhah_env, monkeypatch):
    calls = _fake_steps(monkeypatch, cluster_fails=True)
    run = parse_dags()["dadkhah_process"].test()
    states = ti_states(run)
    assert [step for step, _ in calls] == ["cluster", "tag", "incidents"]
    assert states[("cluster", "-1")] == "failed"
    assert states[("tag", "-1")] == "success"
    assert run.state == "failed", states


def test_process_dag_with_the_real_steps(airflow_db, fixture_site, dadkhah_env, monkeypatch):
    """The real clustering and tagging, after a real crawl of one outlet."""
    clustering = importlib.import_module("pipeline.clustering")
    tagging = importlib.import_module("pipeline.tagging")
    missing = [
        f"{m.__name__}.{f}"
        for m, f in ((clustering, "cluster_pending"), (tagging, "tag_pending"))
        if not hasattr(m, f)
    ]
    if missing:
        pytest.skip(f"not written yet: {', '.join(missing)}")
    from pipeline.ingest import ingest_outlet
    from pipeline.settings import Settings

    site, outlets_file = fixture_site
    monkeypatch.setenv("DADKHAH_OUTLETS_FILE", str(outlets_file))
    monkeypatch.delenv("DADKHAH_DATABASE_URL")
    settings = Settings.from_env()
    name = site.outlets_config()["outlets"][-1]["name"]
    report = ingest_outlet(name, settings=replace(settings, database_url=dadkhah_env), trigger="test")
    assert report["stored"] > 0
    run = parse_dags()["dadkhah_process"].test()
    assert run.state == "success", ti_states(run)
    # The incident step ran after tagging: the wire's execution report is in the register.
    engine = create_engine(dadkhah_env)
    try:
        with engine.connect() as conn:
            register = conn.execute(
                text("SELECT incident_id, kind, source_count FROM consumer.incidents ORDER BY incident_id")
            ).all()
        assert any(kind == "execution" for _, kind, _ in register), register
        again = parse_dags()["dadkhah_process"].test()  # nothing changed: nothing new
        assert again.state == "success", ti_states(again)
        with engine.connect() as conn:
            assert (
                conn.execute(
                    text(
                        "SELECT incident_id, kind, source_count FROM consumer.incidents ORDER BY incident_id"
                    )
                ).all()
                == register
            )
    finally:
        engine.dispose()


def test_a_refused_outlet_fails_its_task_retries_and_fails_the_run(
    airflow_db, dadkhah_env, monkeypatch, tmp_path, dag_logs
):
    """A host that refuses connections: the crawl task fails (not green), is retried, and
    the summary fails the run naming the outlet and why."""
    import yaml

    dead = f"http://127.0.0.1:{closed_port()}"
    config = {
        "outlets": [
            {
                "name": "Refusing Outlet",
                "home": dead + "/",
                "language": "en",
                "feeds": [dead + "/feed"],
                "min_delay_seconds": 0,
                "allow_private_network": True,
            }
        ]
    }
    path = tmp_path / "outlets.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    monkeypatch.setenv("DADKHAH_OUTLETS_FILE", str(path))
    monkeypatch.setenv("DADKHAH_INGEST_RETRIES", "1")
    monkeypatch.setenv("DADKHAH_INGEST_RETRY_DELAY_SECONDS", "0")
    dag = parse_dags()["dadkhah_ingest"]
    run = dag.test()
    states = ti_states(run)
    assert run.state == "failed", states
    assert states[("crawl", "Refusing Outlet")] == "failed"
    assert states[("summary", "-1")] == "failed"
    # Both tries crawled and recorded the failure.
    tries = count(
        dadkhah_env,
        "SELECT count(*) FROM outlet_runs WHERE status = 'failed' AND error LIKE '%every discovery source failed%'",
    )
    assert tries == 2
    logs = "\n".join(dag_logs)
    assert (
        "1 of 1 outlet(s) failed: Refusing Outlet -- Refusing Outlet: failed: every discovery source failed"
        in logs
    )
