"""One politeness budget per host: across outlets, crawl processes and hosts.

Real crawls (``pipeline.ingest.ingest``) against loopback servers of our own that record
when every request arrived; the reservation statement itself against real PostgreSQL.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from scrapy import Request
from sqlalchemy import text

from pipeline.ingest import ingest
from pipeline.settings import Settings
from pipeline.storage import CrawlConnection
from spiders.politeness import HORIZON_SLOTS, host_key, reserve_start

DELAY = 0.5
# Arrival times are taken at the server: the gate releases a request at its reserved start,
# then connecting and sending add a few milliseconds that differ from request to request.
TOLERANCE = 0.15
ARTICLES = 2  # per outlet: robots.txt, the feed and these make each outlet's requests


def _article(prefix: str, index: int) -> bytes:
    title = f"Report {index} from the {prefix} desk"
    paragraphs = "".join(
        f"<p>Paragraph {n} of report {index} from the {prefix} desk: witnesses described the "
        f"hearing, the charges read out in court and the sentence handed down to the defendant, "
        f"while relatives waited outside the building for news of case {prefix}-{index}.</p>"
        for n in range(6)
    )
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f'<meta property="article:published_time" content="2026-11-{10 + index}T08:00:00Z">'
        f'<meta name="author" content="Desk {prefix}"></head><body><article><h1>{title}</h1>'
        f"{paragraphs}</article></body></html>"
    ).encode()


def _feed(base: str, prefix: str) -> bytes:
    items = "".join(
        f"<item><title>Report {i}</title><link>{base}/{prefix}/report-{i}/</link>"
        f"<pubDate>Tue, {10 + i} Nov 2026 08:00:00 GMT</pubDate></item>"
        for i in range(ARTICLES)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{prefix}</title>'
        f"<link>{base}/{prefix}/</link>{items}</channel></rss>"
    ).encode()


@dataclass
class Host:
    """One loopback HTTP server holding several outlets' sites (one path prefix each)."""

    address: str
    prefixes: list[str]
    flaky: set[str] = field(default_factory=set)  # paths that answer 503 once (then retried)
    arrivals: list[tuple[float, str]] = field(default_factory=list)  # (monotonic time, path)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def base(self) -> str:
        assert self.server is not None
        return f"http://{self.address}:{self.server.server_address[1]}"

    def start(self) -> Host:
        host = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence
                return

            def do_GET(self) -> None:  # noqa: N802 - http.server API
                with host.lock:
                    host.arrivals.append((time.monotonic(), self.path))
                    flaky = self.path in host.flaky
                    host.flaky.discard(self.path)
                body, kind = host.route(self.path)
                status = 503 if flaky else 200 if body is not None else 404
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

        server = ThreadingHTTPServer((self.address, 0), Handler)
        server.daemon_threads = True
        self.server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def route(self, path: str) -> tuple[bytes | None, str]:
        if path == "/robots.txt":
            return b"User-agent: *\nAllow: /\n", "text/plain"
        for prefix in self.prefixes:
            if path == f"/{prefix}/feed.xml":
                return _feed(self.base, prefix), "application/rss+xml"
            for index in range(ARTICLES):
                if path == f"/{prefix}/report-{index}/":
                    return _article(prefix, index), "text/html; charset=utf-8"
        return None, "text/plain"

    def outlet(self, prefix: str, delay: float) -> dict[str, Any]:
        return {
            "name": f"{prefix} on {self.address}",
            "home": f"{self.base}/{prefix}/",
            "language": "en",
            "feeds": [f"{self.base}/{prefix}/feed.xml"],
            "min_delay_seconds": delay,
            "timeout_seconds": 10,
            "allow_private_network": True,  # the test sites live on loopback
        }

    def times(self) -> list[float]:
        with self.lock:
            return sorted(t for t, _ in self.arrivals)


@pytest.fixture()
def hosts() -> Iterator[list[Host]]:
    started: list[Host] = []

    def make(address: str, *prefixes: str) -> Host:
        host = Host(address, list(prefixes)).start()
        started.append(host)
        return host

    yield make  # type: ignore[misc]
    for host in started:
        host.stop()


def _outlets_file(directory: Path, name: str, outlets: list[dict[str, Any]]) -> Path:
    path = directory / f"{name}.yaml"
    path.write_text(yaml.safe_dump({"outlets": outlets}, sort_keys=False), encoding="utf-8")
    return path


def _settings(url: str, tmp: Path) -> Settings:
    return Settings(database_url=url, archive_dir=tmp / "archive", data_dir=tmp)


def _gaps(times: list[float]) -> list[float]:
    return [b - a for a, b in zip(times, times[1:], strict=False)]


def _expected_requests(outlets: int) -> int:
    return outlets * (2 + ARTICLES)  # robots.txt (each crawler asks), the feed, the articles


def _slot_rows(engine) -> dict[str, Any]:
    with engine.connect() as conn:
        return dict(conn.execute(text("SELECT host, next_at FROM host_slots")).all())


def test_two_outlets_on_one_host_share_one_budget(hosts, fresh_database_url, fresh_engine, tmp_path):
    host = hosts("127.0.0.1", "english", "persian")
    host.flaky.add("/persian/report-0/")  # answers 503 once: its retry takes a turn too
    outlets = _outlets_file(
        tmp_path, "one-host", [host.outlet("english", DELAY), host.outlet("persian", DELAY)]
    )
    report = ingest(
        _settings(fresh_database_url, tmp_path),
        outlets_file=outlets,
        trigger="test",
        stream_logs=False,
        engine=fresh_engine,
    )
    assert report.total("stored") == 2 * ARTICLES, report.outlets
    times = host.times()
    assert len(times) == _expected_requests(2) + 1, host.arrivals
    # Without the shared budget both crawlers ask for robots.txt at once (gap ~0).
    assert min(_gaps(times)) >= DELAY - TOLERANCE, _gaps(times)
    assert times[-1] - times[0] >= (len(times) - 1) * DELAY - TOLERANCE
    assert set(_slot_rows(fresh_engine)) == {"127.0.0.1"}


def test_two_concurrent_passes_share_one_budget(hosts, fresh_database_url, fresh_engine, tmp_path):
    host = hosts("127.0.0.1", "english", "persian")
    settings = _settings(fresh_database_url, tmp_path)
    files = [
        _outlets_file(tmp_path, "pass-a", [host.outlet("english", DELAY)]),
        _outlets_file(tmp_path, "pass-b", [host.outlet("persian", DELAY)]),
    ]
    with ThreadPoolExecutor(max_workers=2) as pool:
        reports = list(
            pool.map(
                lambda f: ingest(
                    settings, outlets_file=f, trigger="test", stream_logs=False, engine=fresh_engine
                ),
                files,
            )
        )
    assert [r.total("stored") for r in reports] == [ARTICLES, ARTICLES], [r.outlets for r in reports]
    assert reports[0].run_id != reports[1].run_id
    times = host.times()
    assert len(times) == _expected_requests(2), host.arrivals
    # The passes overlapped: requests of both outlets interleave, not one pass after the other.
    order = [path.split("/")[1] for _, path in sorted(host.arrivals) if path != "/robots.txt"]
    switches = sum(1 for a, b in zip(order, order[1:], strict=False) if a != b)
    assert switches >= 2, order
    assert min(_gaps(times)) >= DELAY - TOLERANCE, _gaps(times)


def test_different_hosts_do_not_slow_each_other(hosts, fresh_database_url, fresh_engine, tmp_path):
    first = hosts("127.0.0.1", "english")
    second = hosts("127.0.0.6", "english")
    outlets = _outlets_file(
        tmp_path, "two-hosts", [first.outlet("english", DELAY), second.outlet("english", DELAY)]
    )
    report = ingest(
        _settings(fresh_database_url, tmp_path),
        outlets_file=outlets,
        trigger="test",
        stream_logs=False,
        engine=fresh_engine,
    )
    assert report.total("stored") == 2 * ARTICLES, report.outlets
    for host in (first, second):
        times = host.times()
        assert len(times) == _expected_requests(1), host.arrivals
        # One outlet alone keeps its full delay too (Scrapy's jitter alone would allow half).
        assert min(_gaps(times)) >= DELAY - TOLERANCE, _gaps(times)
    merged = sorted(first.times() + second.times())
    # Two budgets: requests to the two hosts come close together, which one budget forbids.
    assert min(_gaps(merged)) < DELAY / 2, _gaps(merged)
    assert merged[-1] - merged[0] < (len(merged) - 1) * DELAY - DELAY
    assert set(_slot_rows(fresh_engine)) == {"127.0.0.1", "127.0.0.6"}


def test_zero_delay_makes_no_database_round_trip(hosts, fresh_database_url, fresh_engine, tmp_path):
    host = hosts("127.0.0.1", "english", "persian")
    outlets = _outlets_file(tmp_path, "no-delay", [host.outlet("english", 0), host.outlet("persian", 0)])
    started = time.monotonic()
    report = ingest(
        _settings(fresh_database_url, tmp_path),
        outlets_file=outlets,
        trigger="test",
        stream_logs=False,
        engine=fresh_engine,
    )
    assert report.total("stored") == 2 * ARTICLES, report.outlets
    assert len(host.times()) == _expected_requests(2)
    # Every reservation writes the host's row: none means the gate never asked the database.
    assert _slot_rows(fresh_engine) == {}
    assert time.monotonic() - started < 30


# -- the reservation statement -----------------------------------------------------------


@pytest.fixture()
def db(fresh_engine) -> Iterator[CrawlConnection]:
    connection = CrawlConnection(fresh_engine)
    yield connection
    connection.close()


# Nothing sleeps here: delays of seconds keep the expected waits clear of the time the
# statements themselves take on a loaded machine.
SLACK = 1.0


def test_reservations_follow_each_other_by_the_larger_delay(db):
    waits = [reserve_start(db, "example.org", d) for d in (10.0, 10.0, 30.0, 10.0)]
    # Starts: now, +10 (10 after a 10), +40 (30 after it: the new request's own 30), +70
    # (30 after a request that asked for 30).
    for got, want in zip(waits, [0.0, 10.0, 40.0, 70.0], strict=True):
        assert want - SLACK <= got <= want, waits
    assert reserve_start(db, "other.example.org", 10.0) == 0.0  # another host: its own budget


def test_concurrent_reservations_never_share_a_turn(fresh_engine):
    def reserve_many(_: int) -> list[float]:
        connection = CrawlConnection(fresh_engine)
        try:
            return [reserve_start(connection, "example.org", 10.0) for _ in range(4)]
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=6) as pool:
        waits = sorted(w for batch in pool.map(reserve_many, range(6)) for w in batch)
    assert len(waits) == 24
    # 24 reservations at about the same time, each its own turn: waits 0, 10, ... 230.
    assert all(10.0 - SLACK <= gap <= 10.0 for gap in _gaps(waits)), waits


def test_a_far_future_slot_is_bounded(db, fresh_engine):
    reserve_start(db, "example.org", 10.0)
    with fresh_engine.begin() as conn:  # left by a crash, an old larger delay or a clock jump
        conn.execute(text("UPDATE host_slots SET next_at = now() + interval '3 days'"))
    assert reserve_start(db, "example.org", 10.0) == 0.0  # not three days, nor the horizon
    # The budget goes on from there, and a queue within the horizon is kept in order.
    waits = [reserve_start(db, "example.org", 10.0) for _ in range(HORIZON_SLOTS - 1)]
    assert all(10.0 - SLACK <= gap <= 10.0 for gap in _gaps([0.0, *waits])), waits
    assert waits[-1] <= HORIZON_SLOTS * 10.0


def test_host_key_is_the_lower_cased_hostname_without_port():
    keys = {
        host_key(Request(url))
        for url in (
            "http://News.Example.ORG/a",
            "https://news.example.org:8443/b",
            "https://news.example.org./c",
            "http://news.example.org:80/robots.txt",
        )
    }
    assert keys == {"news.example.org"}
    assert host_key(Request("https://ایران.example/x")) == host_key(
        Request("https://xn--mgba3a4f16a.example/y")
    )


def _persistence(engine) -> str | None:
    with engine.connect() as conn:
        return conn.execute(text("SELECT relpersistence FROM pg_class WHERE relname = 'host_slots'")).scalar()


def test_migration_creates_an_unlogged_table_and_downgrades(fresh_engine):
    from alembic import command
    from alembic.config import Config

    from pipeline.db import SCHEMA_DIR, upgrade

    # Unlogged: a reservation's commit waits for no WAL flush (see the migration).
    assert _persistence(fresh_engine) == "u"
    cfg = Config(str(SCHEMA_DIR / "alembic.ini"))
    cfg.set_main_option("script_location", str(SCHEMA_DIR / "migrations"))
    with fresh_engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0008-1")
    assert _persistence(fresh_engine) is None
    upgrade(fresh_engine)
    assert _persistence(fresh_engine) == "u"


# -- connections -------------------------------------------------------------------------


class _KeepAliveSite:
    """An HTTP/1.1 (keep-alive) site on loopback that counts the TCP connections it accepts."""

    def __init__(self, articles: int) -> None:
        self.connections = 0
        self.requests = 0
        self.lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                with site.lock:
                    site.connections += 1
                super().setup()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence
                return

            def do_GET(self) -> None:  # noqa: N802 - http.server API
                with site.lock:
                    site.requests += 1
                body, kind = site.route(self.path)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

        self.articles = articles
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def route(self, path: str) -> tuple[bytes | None, str]:
        if path == "/robots.txt":
            return b"User-agent: *\nAllow: /\n", "text/plain"
        if path == "/feed.xml":
            items = "".join(
                f"<item><title>Report {i}</title><link>{self.base}/report-{i}/</link>"
                f"<pubDate>Tue, 10 Nov 2026 08:00:00 GMT</pubDate></item>"
                for i in range(self.articles)
            )
            body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'
            return body.encode(), "application/rss+xml"
        if path.startswith("/report-"):
            # Of a real page's size (scripts and all): its body arrives in several reads.
            page = _article("keepalive", int(path.strip("/").split("-")[1]))
            script = b"<script>var config = '" + b"x" * 150_000 + b"';</script></body>"
            return page.replace(b"</body>", script), "text/html; charset=utf-8"
        return None, "text/plain"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_connections_are_reused_not_churned(fresh_database_url, fresh_engine, tmp_path):
    # Scrapy's pool kept at most CONCURRENT_REQUESTS_PER_DOMAIN idle connections, and the
    # next request starts a moment before the last response's connection is back in it:
    # about one request in three opened a new connection. At most twice the concurrency
    # (8 here, no delay) stay open, and each is reused.
    articles = 150
    site = _KeepAliveSite(articles)
    try:
        outlet = {
            "name": "Keep-alive site",
            "home": f"{site.base}/",
            "language": "en",
            "feeds": [f"{site.base}/feed.xml"],
            "min_delay_seconds": 0,
            "allow_private_network": True,  # the test site lives on loopback
        }
        report = ingest(
            _settings(fresh_database_url, tmp_path),
            outlets_file=_outlets_file(tmp_path, "keepalive", [outlet]),
            trigger="test",
            stream_logs=False,
            engine=fresh_engine,
        )
    finally:
        site.stop()
    assert report.total("stored") == articles, report.outlets
    assert site.requests == articles + 2  # robots.txt, the feed, the articles
    assert site.connections <= 2 * 8, (site.connections, site.requests)
