"""The `dadkhah` command line, run the way a user runs it."""

from __future__ import annotations

from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.fixture_site import FixtureSite

runner = CliRunner()


def _env(url: str, tmp_path) -> dict[str, str]:
    return {"DADKHAH_DATABASE_URL": url, "DADKHAH_ARCHIVE_DIR": str(tmp_path / "archive")}


def test_db_upgrade_is_idempotent(fresh_database_url, tmp_path):
    for _ in range(2):
        result = runner.invoke(app, ["db", "upgrade"], env=_env(fresh_database_url, tmp_path))
        assert result.exit_code == 0, result.output
        assert "database at revision" in result.output


def test_bad_config_fails_clearly(fresh_database_url, tmp_path):
    bad = tmp_path / "outlets.yaml"
    bad.write_text("outlets:\n  - name: X\n    home: https://x.org/\n    language: en\n", encoding="utf-8")
    result = runner.invoke(app, ["run", "--outlets", str(bad)], env=_env(fresh_database_url, tmp_path))
    assert result.exit_code == 2
    assert "bad outlet configuration" in result.output
    assert "outlet #1 ('X')" in result.output and "needs at least one of feeds" in result.output


def test_unreachable_database_fails_clearly(tmp_path):
    env = _env("postgresql://postgres@127.0.0.1:9/nowhere", tmp_path)
    result = runner.invoke(app, ["run"], env=env)
    assert result.exit_code == 3
    assert "cannot connect to the database" in result.output


def test_run_selected_outlet_then_status(fresh_database_url, tmp_path, monkeypatch):
    # Run from a directory holding files named like dadkhah's packages: the crawl's child
    # process must still import dadkhah's own.
    workdir = tmp_path / "workdir"
    workdir.mkdir()
    for name in ("pipeline", "spiders", "schema"):
        (workdir / f"{name}.py").write_text("raise SystemExit('decoy imported')\n", encoding="utf-8")
    monkeypatch.chdir(workdir)
    site = FixtureSite(slow_seconds=6.0).start()
    try:
        outlets = site.write_outlets_yaml(tmp_path)
        env = _env(fresh_database_url, tmp_path)
        result = runner.invoke(app, ["run", "--outlets", str(outlets), "--outlet", "Demo Wire"], env=env)
        assert result.exit_code == 0, result.output
        assert "[Demo Wire] discovered 3" in result.output and "stored 3" in result.output
        unknown = runner.invoke(app, ["run", "--outlets", str(outlets), "--outlet", "Nope"], env=env)
        assert unknown.exit_code == 2 and "unknown outlet" in unknown.output
    finally:
        site.stop()
    engine = create_engine(fresh_database_url)
    with engine.connect() as conn:
        outlets_seen = conn.execute(text("SELECT DISTINCT outlet FROM consumer.articles")).scalars().all()
    engine.dispose()
    assert outlets_seen == ["Demo Wire"]
    status = runner.invoke(app, ["status"], env=env)
    assert status.exit_code == 0
    line = next(row for row in status.output.splitlines() if row.startswith("Demo Wire"))
    assert line.split()[2:4] == ["3", "3"]  # articles stored, new in last run


def test_demo_runs_offline_and_summarises(fresh_database_url, tmp_path):
    result = runner.invoke(app, ["demo"], env=_env(fresh_database_url, tmp_path))
    assert result.exit_code == 0, result.output
    assert "Serving the demo site on http://127.0.0.2:" in result.output
    assert "Stored articles" in result.output
    assert "Prisoner executed in Karaj after Supreme Court upheld his sentence" in result.output
    assert "اعدام یک زندانی در زندان قزل‌حصار کرج" in result.output
