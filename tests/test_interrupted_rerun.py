"""Kill a real `dadkhah run` mid-crawl, run it again at once: nothing duplicated, nothing dropped.

A crawl fetches faster than it extracts, so when it is stopped, answers that were fetched
(archived, logged) but not yet stored are waiting. Their rows once stayed ``fetched`` for
good, counted as an attempt and backed off for an hour like a bad answer: the rerun right
after the kill skipped them (after three kills, settled and lost). An answer the crawl did
not get to handle, and a request in flight, are ``interrupted``: they say nothing about the
page, so the next pass fetches them again.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from pipeline.archive import read_response
from tests.loopback import news_site, outlets_yaml
from tests.pg import create_scratch_database, drop_database

ROOT = Path(__file__).resolve().parent.parent
ARTICLES = 40


def _count(engine, sql: str) -> int:
    with engine.connect() as conn:
        return conn.execute(text(sql)).scalar_one()


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_a_rerun_after_a_kill_stores_every_article_once(pg_server_url, tmp_path, signum):
    database = create_scratch_database(pg_server_url)
    env = {
        **os.environ,
        "DADKHAH_DATABASE_URL": database,
        "DADKHAH_DATA_DIR": str(tmp_path / "data"),
        "DADKHAH_ARCHIVE_DIR": str(tmp_path / "archive"),
    }

    def cli(*args: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "pipeline.cli", *args]
        return subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)

    assert cli("db", "upgrade").returncode == 0
    engine = create_engine(database)
    site = news_site(ARTICLES, delay=0.2)
    try:
        outlets = outlets_yaml(
            tmp_path, [{"name": "Kill Site", "home": f"{site.base}/", "feeds": [f"{site.base}/feed"]}]
        )
        command = [sys.executable, "-m", "pipeline.cli", "run", "--outlets", str(outlets)]
        first = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while _count(engine, "SELECT count(*) FROM articles") < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert first.poll() is None, "the first run ended before it could be killed"
        first.send_signal(signum)
        first.communicate(timeout=60)
        # the crawl child dies with its parent (or, on SIGTERM, with it): wait for its last row
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if _count(engine, "SELECT count(*) FROM outlet_runs WHERE status = 'running'") == 0:
                break
            time.sleep(0.1)
        time.sleep(1.0)
        stored_before = _count(engine, "SELECT count(*) FROM articles")
        assert stored_before < ARTICLES, "the kill came too late to test anything"

        rerun = cli("run", "--outlets", str(outlets))
        assert rerun.returncode == 0, rerun.stderr
        assert _count(engine, "SELECT count(*) FROM articles") == ARTICLES
        assert _count(engine, "SELECT count(DISTINCT canonical_url) FROM articles") == ARTICLES
        # every article page was fetched once after the kill at most, and no row claims a
        # state it never reached
        assert (
            _count(engine, "SELECT count(*) FROM fetches WHERE outcome = 'fetched' AND kind = 'article'") == 0
        )
        assert _count(engine, "SELECT count(*) FROM crawl_runs WHERE status = 'running'") == 0
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT warc_file, warc_offset, raw_sha256 FROM fetches WHERE warc_file IS NOT NULL")
            ).all()
        for warc_file, offset, sha in rows:
            _headers, body = read_response(tmp_path / "archive", warc_file, offset)
            assert hashlib.sha256(body).hexdigest() == sha
        assert cli("archive", "verify").returncode == 0
    finally:
        site.stop()
        engine.dispose()
        drop_database(pg_server_url, database)
