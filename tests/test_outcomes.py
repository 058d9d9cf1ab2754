"""Honest outcomes: failed outlets, skipped ones, killed and interrupted crawls, lost database.

Real crawls (child processes) against loopback sites, into a real PostgreSQL.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from warcio.archiveiterator import ArchiveIterator

from pipeline.db import DatabaseUnavailable
from pipeline.ingest import ingest
from pipeline.locks import OUTLET_LOCK_NAMESPACE
from pipeline.settings import Settings
from spiders.context import outlet_verdict
from tests.loopback import Page, closed_port, crawl_children, news_site, outlets_yaml
from tests.pg import create_scratch_database, drop_database

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture()
def db(pg_server_url):
    url = create_scratch_database(pg_server_url)
    engine = create_engine(url)
    from pipeline.db import upgrade

    upgrade(engine)
    yield url, engine
    engine.dispose()
    drop_database(pg_server_url, url)


def _settings(url: str, tmp: Path) -> Settings:
    return Settings(database_url=url, archive_dir=tmp / "archive", data_dir=tmp)


def _one(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).first()


def _live_and_dead(tmp_path: Path, site, live: str, dead: str) -> Path:
    """An outlets file: one outlet on ``site``, one on a loopback port where nothing listens."""
    gone = f"http://127.0.0.1:{closed_port()}"
    return outlets_yaml(
        tmp_path,
        [
            {"name": live, "home": site.base + "/", "feeds": [site.base + "/feed"]},
            {"name": dead, "home": gone + "/", "feeds": [gone + "/feed"], "timeout_seconds": 2},
        ],
    )


def _wait_for(predicate, timeout: float = 30.0, step: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(step)
    raise AssertionError("condition not reached in time")


def _stored(engine) -> int:
    return _one(engine, "SELECT count(*) FROM articles")[0]


# ------------------------------------------------------------------------ the verdict rule


def test_outlet_verdict_rules():
    ok = {"sources_ok": 1, "sources_failed": 0, "scheduled": 2, "stored": 2}
    assert outlet_verdict(ok, finished=True) is None
    assert outlet_verdict({"sources_ok": 1}, finished=True) is None  # nothing new: fine
    assert "did not finish" in outlet_verdict(ok, finished=False)
    dark = {"sources_ok": 0, "sources_failed": 2, "failures": {"timeout": 2}}
    assert "every discovery source failed (timeout 2)" == outlet_verdict(dark, finished=True)
    nothing = {"sources_ok": 1, "scheduled": 3, "stored": 0, "duplicate": 0, "not_article": 0}
    assert "none could be fetched" in outlet_verdict(nothing, finished=True)
    partly = {"sources_ok": 1, "sources_failed": 1, "scheduled": 3, "duplicate": 1}
    assert outlet_verdict(partly, finished=True) is None


# --------------------------------------------------------------------- failed outlets


def test_unreachable_outlet_fails_and_a_good_one_does_not(db, tmp_path):
    url, engine = db
    site = news_site(2)
    try:
        outlets = _live_and_dead(tmp_path, site, "Good", "Dark")
        report = ingest(_settings(url, tmp_path), outlets_file=outlets, trigger="test", stream_logs=False)
    finally:
        site.stop()
    assert report.status == "failed"
    assert report.failed_outlets() == ["Dark"]
    assert report.outlets["Good"]["stored"] == 2
    assert "every discovery source failed" in report.outlets["Dark"]["error"]
    row = _one(
        engine, "SELECT status, error FROM outlet_runs r JOIN outlets o USING (outlet_id) WHERE o.name='Dark'"
    )
    assert row.status == "failed" and "connection_refused" in row.error
    assert _one(engine, "SELECT status FROM crawl_runs WHERE run_id = :r", r=report.run_id).status == "failed"


def test_articles_found_but_none_fetchable_fails(db, tmp_path):
    url, engine = db
    site = news_site(3)
    for path in list(site.routes):
        if path.startswith("/news/"):
            site.routes[path] = Page(b"server error", status=500, content_type="text/plain")
    try:
        outlets = outlets_yaml(
            tmp_path, [{"name": "Broken", "home": site.base + "/", "feeds": [site.base + "/feed"]}]
        )
        report = ingest(_settings(url, tmp_path), outlets_file=outlets, trigger="test", stream_logs=False)
    finally:
        site.stop()
    assert report.failed_outlets() == ["Broken"]
    assert "3 article(s) found but none could be fetched or stored" in report.outlets["Broken"]["error"]


def test_nothing_new_is_success_and_run_times_are_true(db, tmp_path):
    url, engine = db
    site = news_site(2, delay=0.6)
    try:
        outlets = outlets_yaml(
            tmp_path, [{"name": "Quiet", "home": site.base + "/", "feeds": [site.base + "/feed"]}]
        )
        first = ingest(_settings(url, tmp_path), outlets_file=outlets, trigger="test", stream_logs=False)
        second = ingest(_settings(url, tmp_path), outlets_file=outlets, trigger="test", stream_logs=False)
    finally:
        site.stop()
    assert first.status == "finished" and first.failed_outlets() == []
    assert second.status == "finished" and second.outlets["Quiet"]["stored"] == 0
    row = _one(engine, "SELECT started_at, finished_at FROM outlet_runs WHERE run_id = :r", r=first.run_id)
    assert (row.finished_at - row.started_at).total_seconds() >= 0.6  # not the end time twice


# ------------------------------------------------------------------ one crawl per outlet


def test_an_outlet_locked_by_another_crawl_is_skipped_and_recorded(db, tmp_path):
    url, engine = db
    site = news_site(6, delay=4.0)
    outlets = outlets_yaml(
        tmp_path, [{"name": "Shared", "home": site.base + "/", "feeds": [site.base + "/feed"]}]
    )
    reports = {}

    def run(key: str) -> None:
        reports[key] = ingest(
            _settings(url, tmp_path), outlets_file=outlets, trigger="test", stream_logs=False
        )

    try:
        first = threading.Thread(target=run, args=("first",))
        first.start()
        _wait_for(lambda: site.hits("/news/") > 0)  # the first crawl holds the outlet now
        run("second")
        first.join(timeout=60)
    finally:
        site.stop()
    assert reports["first"].outlets["Shared"]["stored"] == 6
    skipped = reports["second"].outlets["Shared"]
    assert skipped["status"] == "skipped"
    assert "another crawl of this outlet is in progress" in skipped["error"]
    assert "dadkhah crawl run" in skipped["error"]  # who holds it
    assert reports["second"].failed_outlets() == ["Shared"]
    assert site.hits("/news/") == 6  # every page fetched once, not twice


def test_the_outlet_lock_is_held_only_while_crawling(db, tmp_path):
    url, engine = db
    site = news_site(1)
    try:
        outlets = outlets_yaml(
            tmp_path, [{"name": "Once", "home": site.base + "/", "feeds": [site.base + "/feed"]}]
        )
        ingest(_settings(url, tmp_path), outlets_file=outlets, trigger="test", stream_logs=False)
    finally:
        site.stop()
    held = _one(
        engine,
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = CAST(:ns AS oid)"
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        ns=OUTLET_LOCK_NAMESPACE,
    )[0]
    assert held == 0


# ------------------------------------------------------------- killed and interrupted


def test_a_killed_crawl_reports_what_it_stored_and_why(db, tmp_path):
    url, engine = db
    site = news_site(20, delay=0.4)
    outlets = outlets_yaml(
        tmp_path, [{"name": "Killed", "home": site.base + "/", "feeds": [site.base + "/feed"]}]
    )
    result = {}

    def run() -> None:
        result["report"] = ingest(
            _settings(url, tmp_path), outlets_file=outlets, trigger="test", stream_logs=False
        )

    try:
        thread = threading.Thread(target=run)
        thread.start()
        _wait_for(lambda: _stored(engine) >= 2)
        (child,) = crawl_children(os.getpid())
        os.kill(child, signal.SIGKILL)
        thread.join(timeout=60)
    finally:
        site.stop()
    report = result["report"]
    outlet = report.outlets["Killed"]
    assert report.status == "failed" and outlet["status"] == "failed"
    assert outlet["stored"] == _stored(engine) >= 2  # counted from the fetch log, not "0 new"
    assert "killed by SIGKILL" in outlet["error"]


INTERRUPTIBLE = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from pipeline.ingest import PassInterrupted, ingest
    from pipeline.settings import Settings

    url, tmp, outlets = sys.argv[1:4]
    settings = Settings(database_url=url, archive_dir=Path(tmp) / "archive", data_dir=Path(tmp))
    try:
        ingest(settings, outlets_file=Path(outlets), trigger="test", stream_logs=False)
    except PassInterrupted as exc:
        print(json.dumps({"status": exc.report.status, "why": exc.why, "stored": exc.report.total("stored")}))
        sys.exit(130)
    sys.exit(0)
    """
)


def _start_interruptible(url: str, tmp: Path, outlets: Path) -> subprocess.Popen:
    script = tmp / "interruptible.py"
    script.write_text(INTERRUPTIBLE, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, str(script), url, str(tmp), str(outlets)], env=env, stdout=subprocess.PIPE, text=True
    )


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_closes_the_run_as_interrupted_with_in_flight_exchanges(db, tmp_path, signum):
    url, engine = db
    site = news_site(10, delay=0.3)
    site.routes["/news/a5/"].delay = 30.0  # certainly in flight when the signal comes
    outlets = outlets_yaml(
        tmp_path,
        [{"name": "Stopped", "home": site.base + "/", "feeds": [site.base + "/feed"], "timeout_seconds": 60}],
    )
    try:
        proc = _start_interruptible(url, tmp_path, outlets)
        _wait_for(lambda: site.hits("/news/a5/") > 0 and _stored(engine) >= 2)
        children = crawl_children(proc.pid)
        started = time.monotonic()
        proc.send_signal(signum)
        out, _ = proc.communicate(timeout=60)
        elapsed = time.monotonic() - started
    finally:
        site.stop()
    assert proc.returncode == 130
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["status"] == "interrupted" and summary["stored"] == _stored(engine)
    assert elapsed < 15  # not the 30 s the page in flight would take
    assert all(not Path(f"/proc/{pid}").exists() for pid in children)  # no orphan crawl
    run = _one(engine, "SELECT status FROM crawl_runs")
    assert run.status == "interrupted"
    outlet = _one(engine, "SELECT status, error FROM outlet_runs")
    assert outlet.status == "interrupted" and signal.Signals(signum).name in outlet.error
    interrupted = _one(
        engine, "SELECT count(*) FROM fetches WHERE outcome = 'interrupted' AND requested_url LIKE '%/a5/'"
    )
    assert interrupted[0] == 1


def test_a_killed_parent_takes_its_crawl_along_and_the_next_run_closes_it(db, tmp_path):
    url, engine = db
    site = news_site(30, delay=0.3)
    outlets = outlets_yaml(
        tmp_path, [{"name": "Orphan", "home": site.base + "/", "feeds": [site.base + "/feed"]}]
    )
    try:
        proc = _start_interruptible(url, tmp_path, outlets)
        _wait_for(lambda: _stored(engine) >= 2)
        (child,) = crawl_children(proc.pid)
        proc.kill()  # SIGKILL: the parent cannot clean up
        proc.wait(timeout=10)
        _wait_for(
            lambda: (
                not Path(f"/proc/{child}").exists()
                or b"Z" in Path(f"/proc/{child}/stat").read_bytes().split(b") ")[1][:1]
            ),
            timeout=20,
        )
        hits = site.hits("/news/")
        time.sleep(1.0)
        assert site.hits("/news/") == hits  # the crawl is not going on by itself
        outlet = _one(engine, "SELECT status, error FROM outlet_runs")
        assert outlet.status == "interrupted" and "SIGTERM" in outlet.error  # the child's own record
        assert _one(engine, "SELECT status FROM crawl_runs").status == "running"  # nobody closed it
        report = ingest(_settings(url, tmp_path), outlets_file=outlets, trigger="test", stream_logs=False)
    finally:
        site.stop()
    first = _one(engine, "SELECT status, stats FROM crawl_runs WHERE run_id <> :r", r=report.run_id)
    assert first.status == "interrupted"
    assert "ended without closing it" in first.stats["error"]


# ---------------------------------------------------------------------- the database goes


def test_losing_the_database_stops_the_crawl(pg_server_url, tmp_path):
    url = create_scratch_database(pg_server_url)
    engine = create_engine(url)
    from pipeline.db import upgrade

    upgrade(engine)
    name = engine.url.database
    admin = create_engine(pg_server_url, isolation_level="AUTOCOMMIT")
    # Each page answers slowly enough (40 x 0.5 s) that fetching cannot finish before the
    # database is cut even when extraction lags on a loaded machine (0.2 s did, once).
    site = news_site(40, delay=0.5)
    outlets = outlets_yaml(
        tmp_path, [{"name": "Cut", "home": site.base + "/", "feeds": [site.base + "/feed"]}]
    )
    result: dict = {}

    def run() -> None:
        try:
            result["report"] = ingest(
                _settings(url, tmp_path), outlets_file=outlets, trigger="test", stream_logs=False
            )
        except BaseException as exc:  # noqa: BLE001 - the test inspects it
            result["error"] = exc

    try:
        thread = threading.Thread(target=run)
        thread.start()
        _wait_for(lambda: _stored(engine) >= 3)
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"), {"n": name}
            )
        thread.join(timeout=60)
        assert not thread.is_alive()
        hits = site.hits("/news/")
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
    finally:
        site.stop()
    assert isinstance(result.get("error"), DatabaseUnavailable), result
    assert hits < 40  # it stopped fetching
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT count(*) FROM fetches WHERE kind = 'article'")).scalar_one()
    assert rows <= hits  # nothing logged that was not fetched
    # Nothing archived that is not logged: every response record in the WARC files is the
    # one a fetch row points to (a capture whose row could not be written was taken back).
    with engine.connect() as conn:
        pointed = {
            (f, o)
            for f, o in conn.execute(
                text("SELECT warc_file, warc_offset FROM fetches WHERE warc_file IS NOT NULL")
            )
        }
    archive = tmp_path / "archive"
    responses = {
        (str(path.relative_to(archive)), offset)
        for path in archive.rglob("*.warc.gz")
        for offset in _response_offsets(path)
    }
    assert responses == pointed
    engine.dispose()
    admin.dispose()
    drop_database(pg_server_url, url)


def _response_offsets(path: Path) -> list[int]:
    with open(path, "rb") as fh:
        iterator = ArchiveIterator(fh)
        return [iterator.get_record_offset() for record in iterator if record.rec_type == "response"]


# ------------------------------------------------------------------------ log levels


def test_child_log_lines_keep_their_level(db, tmp_path, caplog):
    url, engine = db
    site = news_site(2)
    try:
        outlets = _live_and_dead(tmp_path, site, "Fine", "Gone")
        with caplog.at_level("INFO", logger="dadkhah.crawl"):
            ingest(_settings(url, tmp_path), outlets_file=outlets, trigger="test", stream_logs=False)
    finally:
        site.stop()
    records = [r for r in caplog.records if r.name == "dadkhah.crawl"]
    progress = [r for r in records if "[Fine] discovered" in r.getMessage()]
    assert progress and all(r.levelname == "INFO" for r in progress)
    verdict = [r for r in records if "[Gone] failed: every discovery source failed" in r.getMessage()]
    assert verdict and verdict[0].levelname == "WARNING"
    assert not [r for r in records if "Traceback" in r.getMessage()]  # no robots.txt traceback
    assert not [r for r in records if "Referer" in r.getMessage()]
