"""The `dadkhah` command line, run the way a user runs it: exit codes, messages, options."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from pipeline import __version__
from pipeline.cli import app
from pipeline.fixture_site import FixtureSite
from pipeline.settings import Settings
from tests.loopback import SilentServer
from tests.pg import create_scratch_database, drop_database

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent
DB_COMMANDS = [["status"], ["run"], ["cluster"], ["recluster"], ["tag"], ["reprocess"]]


def _env(url: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "DADKHAH_DATABASE_URL": url,
        "DADKHAH_DATA_DIR": str(tmp_path / "data"),
        "DADKHAH_ARCHIVE_DIR": str(tmp_path / "archive"),
        **extra,
    }


def _one_clear_line(result, expected: str) -> None:
    """The failure is reported on one stderr line (after the start-up line), no traceback."""
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and expected in errors[0], result.stderr
    assert "Traceback" not in result.output, result.output


@pytest.fixture()
def silent_server():
    server = SilentServer()
    yield server
    server.close()


def _outlets_file(tmp_path: Path, base_url: str, name: str = "Silent Outlet") -> Path:
    path = tmp_path / "silent-outlets.yaml"
    entry = {
        "name": name,
        "home": f"{base_url}/",
        "language": "en",
        "feeds": [f"{base_url}/feed/"],
        "timeout_seconds": 120,
        "min_delay_seconds": 0,
        "allow_private_network": True,
    }
    path.write_text(yaml.safe_dump({"outlets": [entry]}), encoding="utf-8")
    return path


def _cli_process(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", *args],
        env={**os.environ, **env},
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"


# -- options and configuration ------------------------------------------------------------------


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout.strip() == f"dadkhah {__version__}"
    helped = runner.invoke(
        app, ["run", "--help"], env={"DADKHAH_DATABASE_URL": "postgresql://x@127.0.0.1:9/x"}
    )
    assert helped.exit_code == 0 and "--max-articles" in helped.stdout
    assert "dadkhah: database" not in helped.output  # help only, no start-up line


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
    assert "outlet #1 ('X')" in result.output and "needs at least one of feeds" in result.output


@pytest.mark.parametrize("kind", ["folder", "latin-1", "missing"])
def test_unreadable_outlets_file_is_a_config_error_naming_it(tmp_path, kind):
    if kind == "folder":
        path, expected = tmp_path, "is a folder"
    elif kind == "latin-1":
        path, expected = tmp_path / "outlets.yaml", "not UTF-8"
        path.write_bytes("outlets:\n  - name: Caf\u00e9\n".encode("latin-1"))
    else:
        path, expected = tmp_path / "nope.yaml", "file not found"
    # No database is needed to say so: the configured one does not even exist.
    env = _env("postgresql://postgres@127.0.0.1:9/none", tmp_path)
    for args in (["run", "--outlets", str(path)], ["config", "check", "--outlets", str(path)]):
        result = runner.invoke(app, args, env=env)
        assert result.exit_code == 2, result.output
        _one_clear_line(result, f"{path}: {expected}")


def test_config_check_validates_both_files_without_a_database(tmp_path):
    env = _env("postgresql://postgres@127.0.0.1:9/none", tmp_path)
    good = runner.invoke(app, ["config", "check"], env=env)
    assert good.exit_code == 0, good.output
    assert "14 outlets" in good.stdout and "23 topics" in good.stdout
    topics = tmp_path / "topics.yaml"
    topics.write_text("version: 1\ngroups: {}\n", encoding="utf-8")
    bad = runner.invoke(app, ["config", "check", "--topics", str(topics)], env=env)
    assert bad.exit_code == 2
    assert str(topics) in bad.stderr and "14 outlets" in bad.stdout


@pytest.mark.parametrize("value", ["0", "-5"])
def test_max_articles_must_be_positive(tmp_path, value):
    result = runner.invoke(
        app, ["run", "--max-articles", value], env=_env("postgresql://x@127.0.0.1:9/x", tmp_path)
    )
    assert result.exit_code == 2
    assert "--max-articles" in result.output and "cannot connect" not in result.output


def test_log_options(fresh_database_url, tmp_path):
    env = _env(fresh_database_url, tmp_path)
    quiet = runner.invoke(app, ["cluster"], env=env)
    assert quiet.exit_code == 0 and "place_pending" not in quiet.stderr
    verbose = runner.invoke(app, ["-v", "cluster"], env=env)
    assert verbose.exit_code == 0 and "INFO pipeline.clustering.store: place_pending" in verbose.stderr
    log_file = tmp_path / "dadkhah.log"
    debug = runner.invoke(app, ["--log-level", "debug", "--log-file", str(log_file), "status"], env=env)
    assert debug.exit_code == 0, debug.output
    assert "database schema at revision" in log_file.read_text(encoding="utf-8")
    bad = runner.invoke(app, ["--log-level", "chatty", "status"], env=env)
    assert bad.exit_code == 2 and "chatty" in bad.output


# -- where the data lives -------------------------------------------------------------------------


def test_data_directory_does_not_depend_on_the_working_directory(tmp_path, monkeypatch):
    for var in ("DADKHAH_DATA_DIR", "DADKHAH_ARCHIVE_DIR", "XDG_DATA_HOME"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    seen = set()
    for cwd in (tmp_path, tmp_path / "home"):
        cwd.mkdir(exist_ok=True)
        monkeypatch.chdir(cwd)
        settings = Settings.from_env()
        seen.add((settings.data_dir, settings.archive_dir, settings.embedded_pgdata))
    assert seen == {
        (
            tmp_path / "home/.local/share/dadkhah",
            tmp_path / "home/.local/share/dadkhah/archive",
            tmp_path / "home/.local/share/dadkhah/pgdata",
        )
    }
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert Settings.from_env().archive_dir == tmp_path / "xdg/dadkhah/archive"
    # DADKHAH_DATA_DIR moves both; DADKHAH_ARCHIVE_DIR moves the archive alone.
    monkeypatch.setenv("DADKHAH_DATA_DIR", "relative/data")
    moved = Settings.from_env()
    assert moved.embedded_pgdata == tmp_path / "home/relative/data/pgdata"
    assert moved.archive_dir == tmp_path / "home/relative/data/archive"
    monkeypatch.setenv("DADKHAH_ARCHIVE_DIR", str(tmp_path / "warcs"))
    assert Settings.from_env().archive_dir == tmp_path / "warcs"
    assert Settings.from_env().embedded_pgdata == tmp_path / "home/relative/data/pgdata"


def test_startup_line_names_database_and_archive_without_the_password(tmp_path):
    env = _env("postgresql://monitor:s3cret-pw@127.0.0.1:9/archive", tmp_path)
    result = runner.invoke(app, ["status"], env=env)
    first = result.stderr.splitlines()[0]
    assert first == (
        f"dadkhah: database postgresql+psycopg://monitor:***@127.0.0.1:9/archive; archive {tmp_path / 'archive'}"
    )
    assert "s3cret-pw" not in result.output
    embedded = runner.invoke(app, ["db", "stop"], env={**env, "DADKHAH_DATABASE_URL": ""})
    assert embedded.stderr.splitlines()[0].startswith(
        f"dadkhah: database embedded PostgreSQL in {tmp_path / 'data' / 'pgdata'}; archive"
    )
    assert embedded.exit_code == 0 and "is not running" in embedded.stdout


# -- the database: unreachable, silent, not migrated ----------------------------------------------


def test_unreachable_database_fails_clearly_everywhere(tmp_path):
    env = _env("postgresql://postgres@127.0.0.1:9/nowhere", tmp_path)
    for args in [*DB_COMMANDS, ["db", "upgrade"], ["demo"]]:
        result = runner.invoke(app, args, env=env)
        assert result.exit_code == 3, (args, result.output)
        _one_clear_line(result, "postgresql+psycopg://postgres@127.0.0.1:9/nowhere: connection failed")
    listing = runner.invoke(app, ["outlets"], env=env)
    assert listing.exit_code == 0 and "HRANA (English)" in listing.stdout
    assert "note: no stored figures (cannot connect" in listing.stderr


def test_a_server_that_never_answers_times_out(silent_server, tmp_path):
    env = _env(
        f"postgresql://postgres@127.0.0.1:{silent_server.port}/x", tmp_path, DADKHAH_DB_CONNECT_TIMEOUT="2"
    )
    started = time.monotonic()
    proc = _cli_process(["status"], env, tmp_path)
    out, err = proc.communicate(timeout=60)
    elapsed = time.monotonic() - started
    assert proc.returncode == 3, err
    assert silent_server.accepted.is_set()
    assert 2 <= elapsed < 2 + 6, elapsed  # the timeout, plus the interpreter's start-up
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "timeout expired" in errors[0] and "Traceback" not in err


def test_bad_connect_timeout_setting_is_a_config_error(tmp_path):
    result = runner.invoke(
        app, ["status"], env=_env("postgresql://x@127.0.0.1:9/x", tmp_path, DADKHAH_DB_CONNECT_TIMEOUT="soon")
    )
    assert result.exit_code == 2
    _one_clear_line(result, "DADKHAH_DB_CONNECT_TIMEOUT='soon'")


def test_unmigrated_database_is_never_migrated_implicitly(pg_server_url, tmp_path):
    url = create_scratch_database(pg_server_url)  # exists, reachable, never migrated
    env = _env(url, tmp_path)
    try:
        for args in DB_COMMANDS:
            result = runner.invoke(app, args, env=env)
            assert result.exit_code == 3, (args, result.output)
            _one_clear_line(result, "database schema is at none (not initialised), dadkhah needs ")
            assert "run `dadkhah db upgrade`" in result.stderr
        listing = runner.invoke(app, ["outlets"], env=env)
        assert listing.exit_code == 0 and "run `dadkhah db upgrade`" in listing.stderr
        engine = create_engine(url)
        with engine.connect() as conn:
            tables = conn.execute(text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")).scalar()
        engine.dispose()
        assert tables == 0  # nothing above created anything
        assert runner.invoke(app, ["db", "upgrade"], env=env).exit_code == 0
        assert runner.invoke(app, ["status"], env=env).exit_code == 0
    finally:
        drop_database(pg_server_url, url)


# -- a pass: exit codes ----------------------------------------------------------------------------


def test_run_selected_outlet_then_status(fresh_database_url, tmp_path, monkeypatch):
    # Run from a directory holding files named like dadkhah's packages: the crawl's child
    # process must still import dadkhah's own.
    workdir = tmp_path / "workdir"
    workdir.mkdir()
    for name in ("pipeline", "spiders", "schema"):
        (workdir / f"{name}.py").write_text("raise SystemExit('decoy imported')\n", encoding="utf-8")
    monkeypatch.chdir(workdir)
    # A consumer holds a read on consumer.articles throughout: a pass and `status` must not
    # wait for it (they take no DDL lock; lock_timeout turns a wait into an error).
    reader = create_engine(fresh_database_url).connect()
    reader.execute(text("SELECT count(*) FROM consumer.articles"))
    env = _env(fresh_database_url, tmp_path, PGOPTIONS="-c lock_timeout=3000")
    site = FixtureSite(slow_seconds=6.0).start()
    try:
        outlets = site.write_outlets_yaml(tmp_path)
        result = runner.invoke(app, ["run", "--outlets", str(outlets), "--outlet", "Demo Wire"], env=env)
        assert result.exit_code == 0, result.output
        assert "[Demo Wire] discovered 3" in result.output and "stored 3" in result.output
        again = runner.invoke(
            app, ["run", "--json", "--outlets", str(outlets), "--outlet", "Demo Wire"], env=env
        )
        assert again.exit_code == 0, again.output
        payload = json.loads(again.stdout)
        assert payload["exit_code"] == 0 and payload["report"]["status"] == "finished"
        assert payload["report"]["failed_outlets"] == [] and payload["report"]["totals"]["stored"] == 0
        assert payload["report"]["outlets"]["Demo Wire"]["status"] == "finished"
        assert set(payload["post_processing"]) == {"clustering", "tagging", "incidents"}
        unknown = runner.invoke(app, ["run", "--outlets", str(outlets), "--outlet", "Nope"], env=env)
        assert unknown.exit_code == 2 and "unknown outlet" in unknown.output
        status = runner.invoke(app, ["status"], env=env)
        listing = runner.invoke(app, ["outlets", "--outlets", str(outlets)], env=env)
        listing_json = runner.invoke(app, ["outlets", "--json", "--outlets", str(outlets)], env=env)
        status_json = runner.invoke(app, ["status", "--json"], env=env)
    finally:
        site.stop()
        reader.close()
    engine = create_engine(fresh_database_url)
    with engine.connect() as conn:
        outlets_seen = conn.execute(text("SELECT DISTINCT outlet FROM consumer.articles")).scalars().all()
    engine.dispose()
    assert outlets_seen == ["Demo Wire"]
    assert status.exit_code == 0
    line = next(row for row in status.output.splitlines() if row.startswith("Demo Wire"))
    assert line.split()[2:4] == ["3", "0"]  # articles stored, new in last run
    rows = {row["name"]: row for row in json.loads(status_json.stdout)}
    assert rows["Demo Wire"]["articles"] == 3 and rows["Demo Wire"]["status"] == "finished"
    assert listing.exit_code == 0
    wire = next(row for row in listing.stdout.splitlines() if row.startswith("Demo Wire"))
    assert wire.split()[2:5] == ["yes", "en", "3"] and wire.split()[-2:] == ["finished", "ok"]
    by_name = {row["name"]: row for row in json.loads(listing_json.stdout)}
    assert by_name["Demo Wire"]["articles"] == 3 and by_name["Demo Rights Monitor"]["articles"] == 0
    assert by_name["Demo Rights Monitor"]["last_status"] is None and by_name["Demo Wire"]["enabled"] is True


def test_failed_post_processing_exits_1(fresh_database_url, tmp_path):
    topics = tmp_path / "topics.yaml"
    topics.write_text("version: broken\n", encoding="utf-8")
    env = _env(fresh_database_url, tmp_path, DADKHAH_TOPICS_FILE=str(topics))
    site = FixtureSite(slow_seconds=6.0).start()
    try:
        outlets = site.write_outlets_yaml(tmp_path)
        result = runner.invoke(app, ["run", "--outlets", str(outlets), "--outlet", "Demo Wire"], env=env)
    finally:
        site.stop()
    assert result.exit_code == 1, result.output
    assert "stored 3" in result.stdout and "tagging failed: TaxonomyError" in result.stderr


def test_an_outlet_whose_crawl_dies_exits_4(fresh_database_url, tmp_path, silent_server):
    outlets = _outlets_file(tmp_path, f"http://127.0.0.1:{silent_server.port}")
    proc = _cli_process(
        ["run", "--json", "--outlets", str(outlets)], _env(fresh_database_url, tmp_path), tmp_path
    )
    try:
        assert silent_server.accepted.wait(60), "the crawl never reached the outlet"
        (child,) = _children(proc.pid)
        os.kill(child, signal.SIGKILL)  # the crawl process dies mid-crawl
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 4, err
    payload = json.loads(out)
    assert payload["exit_code"] == 4 and payload["report"]["failed_outlets"] == ["Silent Outlet"]
    assert payload["report"]["status"] == "failed"
    assert "killed by SIGKILL" in payload["report"]["outlets"]["Silent Outlet"]["error"]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_run_exits_130_and_closes_the_run(fresh_database_url, tmp_path, silent_server, signum):
    outlets = _outlets_file(tmp_path, f"http://127.0.0.1:{silent_server.port}")
    proc = _cli_process(["run", "--outlets", str(outlets)], _env(fresh_database_url, tmp_path), tmp_path)
    try:
        assert silent_server.accepted.wait(60), "the crawl never reached the outlet"
        children = _children(proc.pid)
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert children and all(_gone(pid) for pid in children)  # the crawl child does not linger
    engine = create_engine(fresh_database_url)
    with engine.connect() as conn:
        runs = conn.execute(text("SELECT status FROM crawl_runs")).scalars().all()
    engine.dispose()
    assert runs == ["interrupted"]


# -- the demo ---------------------------------------------------------------------------------------


def test_demo_keeps_to_its_own_database_and_archive(fresh_database_url, pg_server_url, tmp_path):
    env = _env(fresh_database_url, tmp_path)
    demo_url = make_url(fresh_database_url).set(database=make_url(fresh_database_url).database + "_demo")
    try:
        result = runner.invoke(app, ["demo"], env=env)
        assert result.exit_code == 0, result.output
        assert f"demo: database {demo_url.render_as_string(hide_password=True)}" in result.stdout
        assert f"archive {tmp_path / 'data' / 'demo' / 'archive'}" in result.stdout
        assert "Serving the demo site on http://127.0.0.2:" in result.output
        assert "Prisoner executed in Karaj after Supreme Court upheld his sentence" in result.output
        assert "اعدام یک زندانی در زندان قزل‌حصار کرج" in result.output
        user = create_engine(fresh_database_url)
        with user.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM crawl_runs")).scalar() == 0
            assert conn.execute(text("SELECT count(*) FROM consumer.articles")).scalar() == 0
        user.dispose()
        demo_engine = create_engine(demo_url)
        with demo_engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM consumer.articles")).scalar() > 0
        demo_engine.dispose()
        assert list((tmp_path / "data" / "demo" / "archive").rglob("*.warc.gz"))
        assert not (tmp_path / "archive").exists()
    finally:
        drop_database(pg_server_url, demo_url.render_as_string(hide_password=False))


def test_an_archive_folder_that_cannot_be_made_is_a_config_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    env = _env(
        "postgresql://postgres@127.0.0.1:9/none", tmp_path, DADKHAH_ARCHIVE_DIR=str(blocker / "archive")
    )
    result = runner.invoke(app, ["run"], env=env)
    assert result.exit_code == 2, result.output
    _one_clear_line(result, f"archive folder {blocker / 'archive'} cannot be created")


def test_verbose_reaches_the_crawl_child(fresh_database_url, tmp_path):
    """-v makes the crawl child log Scrapy's own info lines too; without it they stay out."""
    from tests.loopback import news_site, outlets_yaml

    site = news_site(1)
    try:
        outlets = outlets_yaml(
            tmp_path, [{"name": "Verbose", "home": site.base + "/", "feeds": [site.base + "/feed"]}]
        )
        env = _env(fresh_database_url, tmp_path)
        quiet = runner.invoke(app, ["run", "--outlets", str(outlets)], env=env)
        loud = runner.invoke(app, ["-v", "run", "--outlets", str(outlets)], env=env)
    finally:
        site.stop()
    assert quiet.exit_code == 0 and loud.exit_code == 0, (quiet.output, loud.output)
    assert "INFO [scrapy." not in quiet.stderr
    assert "INFO [scrapy." in loud.stderr
