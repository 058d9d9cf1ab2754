"""Revisit settings in outlets.yaml: defaults, per-outlet schedule, off, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.config import ConfigError, load_outlets
from pipeline.revisit.run import select_outlets
from pipeline.settings import Settings

BASE = "  - name: {name}\n    home: https://{host}/\n    language: en\n    feeds: [https://{host}/feed]\n"


def _file(tmp_path: Path, *entries: str) -> Path:
    path = tmp_path / "outlets.yaml"
    path.write_text("outlets:\n" + "".join(entries), encoding="utf-8")
    return path


def test_defaults_per_outlet_schedule_and_off(tmp_path):
    path = _file(
        tmp_path,
        BASE.format(name="Default", host="a.example.org"),
        BASE.format(name="Weekly", host="b.example.org") + "    revisit: {after_days: [7, 14.5]}\n",
        BASE.format(name="Quiet", host="c.example.org") + "    revisit: false\n",
    )
    config = load_outlets(path)
    assert config.get("Default").revisit.after_days == [1, 7, 30, 180]
    assert config.get("Weekly").revisit.after_days == [7, 14.5]
    assert config.get("Quiet").revisit.enabled is False
    settings = Settings.from_env()
    assert [o.name for o in select_outlets(settings, None, path)] == ["Default", "Weekly"]
    with pytest.raises(ConfigError, match="revisits are off for 'Quiet'"):
        select_outlets(settings, ["Quiet"], path)


@pytest.mark.parametrize(
    ("revisit", "message"),
    [
        ("{after_days: [7, 1]}", "is not after the entry before it"),
        ("{after_days: []}", "after_days"),
        ("{after_days: [0]}", "is not a number of days"),
        ("{every: 3}", "revisit.every"),
        ("sometimes", "revisit"),
    ],
)
def test_config_check_names_the_bad_revisit_field(tmp_path, revisit, message):
    path = _file(tmp_path, BASE.format(name="Bad", host="a.example.org") + f"    revisit: {revisit}\n")
    result = CliRunner().invoke(app, ["config", "check", "--outlets", str(path)])
    assert result.exit_code == 2
    assert "'Bad'" in result.output and message in result.output, result.output


def test_revisit_command_refuses_an_outlet_with_revisits_off(tmp_path):
    path = _file(tmp_path, BASE.format(name="Quiet", host="c.example.org") + "    revisit: false\n")
    result = CliRunner().invoke(app, ["revisit", "--outlets", str(path), "--outlet", "Quiet"])
    assert result.exit_code == 2 and "revisits are off" in result.output


def test_revisit_with_the_database_unreachable_is_exit_3(tmp_path):
    from tests.loopback import closed_port

    path = _file(tmp_path, BASE.format(name="Default", host="a.example.org"))
    env = {
        "DADKHAH_DATABASE_URL": f"postgresql://postgres@127.0.0.1:{closed_port()}/nothing",
        "DADKHAH_ARCHIVE_DIR": str(tmp_path / "archive"),
        "DADKHAH_DATA_DIR": str(tmp_path / "data"),
        "DADKHAH_DB_CONNECT_TIMEOUT": "2",
    }
    result = CliRunner().invoke(app, ["revisit", "--outlets", str(path), "--due-only"], env=env)
    assert result.exit_code == 3, result.output


def test_ctrl_c_closes_the_revisit_run_as_interrupted(pg_server_url, tmp_path):
    """A revisit stuck on a page that does not answer, stopped by SIGINT: exit 130, the run
    closed as interrupted, the request in flight logged, the article still due."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from sqlalchemy import create_engine, text

    from pipeline.db import upgrade
    from pipeline.ingest import ingest
    from tests.loopback import outlets_yaml
    from tests.pg import create_scratch_database, drop_database
    from tests.revisit_site import Route, Site
    from tests.test_revisit import article_page

    url = create_scratch_database(pg_server_url)
    engine = create_engine(url)
    upgrade(engine)
    site = Site()
    try:
        site.routes["/feed"] = Route(
            f'<?xml version="1.0"?><rss><channel><item><link>{site.base}/news/a/</link></item></channel></rss>'.encode()
        )
        site.routes["/news/a/"] = Route(article_page("Executions in Evin", "Evin"))
        outlets = outlets_yaml(
            tmp_path,
            [
                {
                    "name": "Monitor",
                    "home": site.base + "/",
                    "feeds": [site.base + "/feed"],
                    "timeout_seconds": 120,
                }
            ],
        )
        settings = Settings(database_url=url, archive_dir=tmp_path / "archive", data_dir=tmp_path / "data")
        ingest(settings, outlets_file=outlets, trigger="test", stream_logs=False, engine=engine)
        site.routes["/news/a/"].delay = 60
        env = {
            **os.environ,
            "DADKHAH_DATABASE_URL": url,
            "DADKHAH_ARCHIVE_DIR": str(tmp_path / "archive"),
            "DADKHAH_DATA_DIR": str(tmp_path / "data"),
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "pipeline.cli", "revisit", "--outlets", str(outlets)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 60
        while site.article_requests().count("/news/a/") < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert site.article_requests().count("/news/a/") == 2, "the revisit never asked for the page"
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, out + err
        with engine.connect() as conn:
            run = conn.execute(
                text("SELECT status FROM crawl_runs WHERE trigger = 'revisit:cli'")
            ).scalar_one()
            fetch = conn.execute(text("SELECT outcome FROM fetches WHERE kind = 'revisit'")).scalar_one()
            checks = conn.execute(text("SELECT count(*) FROM article_revisits")).scalar_one()
        assert (run, fetch, checks) == ("interrupted", "interrupted", 0)
    finally:
        site.stop()
        engine.dispose()
        drop_database(pg_server_url, url)


def test_consumer_contract_of_revisits(db_engine):
    """consumer.articles gains the revisit columns at its end; consumer.article_changes exists."""
    from sqlalchemy import text

    with db_engine.connect() as conn:
        articles = list(conn.execute(text("SELECT * FROM consumer.articles LIMIT 0")).keys())
        changes = list(conn.execute(text("SELECT * FROM consumer.article_changes LIMIT 0")).keys())
    assert articles[-5:] == ["extraction_version", "last_checked_at", "status", "removed_at", "version_count"]
    assert changes == ["article_id", "detected_at", "kind", "from_version", "to_version", "diff", "fetch_id"]
