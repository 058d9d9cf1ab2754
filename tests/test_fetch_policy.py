"""The fetch policy against hostile servers on loopback: what is refused, recorded and stored.

Real crawls (``pipeline.ingest.ingest``) of sites that try to make the archive fetch local
files, other sites, internal services and endless discovery, and that use URLs longer than
Scrapy's default limit; plus the address, host and config rules on their own.
"""

from __future__ import annotations

import hashlib
import ipaddress
import random
import socket
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote

import pytest
import yaml
from sqlalchemy import create_engine, text
from warcio.archiveiterator import ArchiveIterator

from pipeline.archive import read_response
from pipeline.config import ConfigError, OutletConfig, load_outlets
from pipeline.db import upgrade
from pipeline.ingest import ingest
from pipeline.netpolicy import MAX_URL_LENGTH, HostRules, address_refusal, ip_literal, is_localhost_name
from pipeline.settings import Settings
from pipeline.storage import (
    ArticleData,
    known_url_reasons,
    load_validators,
    save_validators,
    store_article,
    utcnow,
)
from pipeline.urls import canonicalize, same_site, site_of
from spiders.discovery import parse_sitemap
from tests.pg import create_scratch_database, drop_database

Route = tuple[int, dict[str, str], bytes]


class HostileServer:
    """An HTTP server on a loopback address that answers from a route function and counts hits."""

    def __init__(self, host: str, route: Callable[[str], Route | None]) -> None:
        self.route = route
        self.hits: Counter[str] = Counter()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                return

            def do_GET(self) -> None:  # noqa: N802 - http.server API
                path = unquote(self.path.split("?", 1)[0])
                server.hits[path] += 1
                answer = server.route(path) or (404, {"Content-Type": "text/plain"}, b"not found")
                status, headers, body = answer
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer((host, 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.base = f"http://{host}:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> HostileServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _article(title: str, words: str, lang: str = "en", head: str = "") -> bytes:
    paragraphs = "".join(f"<p>{words} Paragraph {i} of the report on {title}.</p>" for i in range(6))
    return (
        f'<html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>'
        f'<meta property="article:published_time" content="2025-06-01T10:00:00Z">{head}</head>'
        f"<body><article><h1>{title}</h1>{paragraphs}</article></body></html>"
    ).encode()


def _html(body: bytes) -> Route:
    return 200, {"Content-Type": "text/html; charset=utf-8"}, body


def _xml(body: str) -> Route:
    return 200, {"Content-Type": "application/xml"}, body.encode()


def _redirect(location: str) -> Route:
    return 302, {"Location": location, "Content-Type": "text/plain"}, b""


def _index(urls: list[str]) -> str:
    items = "".join(f"<sitemap><loc>{u}</loc></sitemap>" for u in urls)
    return f'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</sitemapindex>'


def _urlset(urls: list[str]) -> str:
    items = "".join(f"<url><loc>{u}</loc></url>" for u in urls)
    return (
        f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</urlset>'
    )


def persian_slug(length: int = 5000) -> str:
    """Persian words of pseudo-random letters, as varied as a real headline: the slug does not
    compress under PostgreSQL's ~2.7 KB btree entry limit (repeated words would)."""
    rnd = random.Random(11)
    letters = "ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی"
    words: list[str] = []
    while sum(len(w) + 1 for w in words) < length:
        words.append("".join(rnd.choice(letters) for _ in range(rnd.randint(2, 8))))
    return "-".join(words)[:length]


PERSIAN_TEXT = (
    "خانواده این زندانی سیاسی می‌گویند که او پس از بازداشت در زندان اوین به سلول انفرادی منتقل شد "
    "و دادگاه انقلاب بدون حضور وکیل انتخابی حکم سنگینی برای او صادر کرد. فعالان حقوق بشر خواستار "
    "آزادی فوری او شده‌اند و گزارش‌ها از فشار بر خانواده‌اش حکایت دارد."
)
DISCOVERY_CAP = 15


def _rows(engine, sql: str, **params) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(text(sql), params).mappings().all()]


def _write_outlets(directory: Path, outlets: list[dict]) -> Path:
    path = directory / "outlets.yaml"
    path.write_text(yaml.safe_dump({"outlets": outlets}, allow_unicode=True), encoding="utf-8")
    return path


def _assert_warc_offsets_read_back(engine, archive: Path) -> int:
    rows = _rows(engine, "SELECT warc_file, warc_offset, raw_sha256 FROM fetches WHERE warc_file IS NOT NULL")
    for row in rows:
        _headers, body = read_response(archive, row["warc_file"], row["warc_offset"])
        assert hashlib.sha256(body).hexdigest() == row["raw_sha256"]
    return len(rows)


def _warc_target_uris(archive: Path) -> list[str]:
    uris = []
    for path in archive.rglob("*.warc.gz"):
        with open(path, "rb") as fh:
            for record in ArchiveIterator(fh):
                uri = record.rec_headers.get_header("WARC-Target-URI")
                if uri:
                    uris.append(uri)
    return uris


@pytest.fixture()
def scratch(pg_server_url, tmp_path) -> Iterator[tuple[Settings, object]]:
    url = create_scratch_database(pg_server_url)
    engine = create_engine(url)
    upgrade(engine)  # ingest never migrates
    settings = Settings(database_url=url, archive_dir=tmp_path / "archive", data_dir=tmp_path)
    try:
        yield settings, engine
    finally:
        engine.dispose()
        drop_database(pg_server_url, url)


# -- a hostile outlet (loopback, so with the opt-in; the site and port rules still apply) --
@pytest.fixture(scope="module")
def hostile_crawl(pg_server_url, tmp_path_factory) -> Iterator[dict]:
    """One crawl of the hostile site; the tests below each inspect one side of it."""
    tmp_path = tmp_path_factory.mktemp("hostile")
    database = create_scratch_database(pg_server_url)
    engine = create_engine(database)
    upgrade(engine)  # ingest never migrates
    settings = Settings(database_url=database, archive_dir=tmp_path / "archive", data_dir=tmp_path)
    slug = persian_slug()
    long_path = "/a/" + "x" * (MAX_URL_LENGTH + 10)
    other = HostileServer("127.0.0.5", lambda path: _html(_article("Other site", "Someone else's page.")))
    internal = HostileServer("127.0.0.1", lambda path: (200, {"Content-Type": "text/plain"}, b"admin"))
    holder: dict[str, HostileServer] = {}

    def route(path: str) -> Route | None:
        base = holder["site"].base
        if path == "/sitemap_index.xml":
            return _xml(
                _index(
                    ["file:///etc/passwd"]
                    + [f"{base}/sitemap_index.xml"] * 40
                    + [f"{base}/articles.xml"] * 40
                    + [f"{other.base}/sitemap.xml", f"{base}/fan/1.xml"]
                )
            )
        if path.startswith("/fan/"):  # an index of ten new indexes, each of ten more ...
            n = int(path.rsplit("/", 1)[1].split(".")[0])
            return _xml(
                _index([f"{base}/sitemap_index.xml"] + [f"{base}/fan/{n * 10 + k}.xml" for k in range(10)])
            )
        if path == "/articles.xml":
            return _xml(
                _urlset(
                    [
                        f"{base}/a/plain",
                        f"{base}/a/redirect-other-site",
                        f"{base}/a/redirect-internal",
                        f"{base}/a/redirect-file",
                        f"{base}/a/refresh-other",
                        f"{base}/a/refresh-self",
                        f"{base}/a/loop1",
                        f"{base}/a/chain/0",
                        f"{base}/a/{slug}",
                        base + long_path,
                        f"{other.base}/a/linked-from-sitemap",
                    ]
                )
            )
        if path == "/a/plain":
            return _html(
                _article("A plain article", "Activists were detained after the protest in the city.")
            )
        if path == "/a/redirect-other-site":
            return _redirect(f"{other.base}/a/x")
        if path == "/a/redirect-internal":
            return _redirect(f"{internal.base}/admin")
        if path == "/a/redirect-file":
            return _redirect("file:///etc/passwd")
        if path == "/a/refresh-other":
            refresh = f'<meta http-equiv="refresh" content="0; url={other.base}/a/y">'
            return _html(
                _article("Refreshing", "This page moves its readers elsewhere at once.", head=refresh)
            )
        if path == "/a/refresh-self":
            refresh = '<meta http-equiv="refresh" content="30; url=/a/refresh-self">'
            return _html(_article("Live updates", "The page reloads itself for its readers.", head=refresh))
        if path == "/a/loop1":
            return _redirect("/a/loop2")
        if path == "/a/loop2":
            return _redirect("/a/loop1")
        if path.startswith("/a/chain/"):
            return _redirect(f"/a/chain/{int(path.rsplit('/', 1)[1]) + 1}")
        if path == f"/a/{slug}":
            return _html(_article("گزارش بلند", PERSIAN_TEXT, lang="fa"))
        return None

    with other, internal, HostileServer("127.0.0.1", route) as site:
        holder["site"] = site
        outlets = _write_outlets(
            tmp_path,
            [
                {
                    "name": "Hostile Site",
                    "home": f"{site.base}/",
                    "language": "en",
                    "sitemaps": [f"{site.base}/sitemap_index.xml"],
                    "min_delay_seconds": 0,
                    "timeout_seconds": 5,
                    "max_discovery_requests": DISCOVERY_CAP,
                    "allow_private_network": True,  # loopback test site
                }
            ],
        )
        try:
            report = ingest(settings, outlets_file=outlets, trigger="test", stream_logs=False, engine=engine)
            yield {
                "engine": engine,
                "report": report,
                "site": site,
                "other": other,
                "internal": internal,
                "slug": slug,
                "long_path": long_path,
                "archive": Path(settings.archive_dir),
            }
        finally:
            engine.dispose()
            drop_database(pg_server_url, database)


def _by_url(crawl: dict) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for row in _rows(crawl["engine"], "SELECT * FROM fetches ORDER BY fetch_id"):
        out.setdefault(row["requested_url"], []).append(row)
    return out


def test_local_files_other_sites_and_internal_services_are_refused_and_recorded(hostile_crawl):
    crawl, base = hostile_crawl, hostile_crawl["site"].base
    rows = _by_url(crawl)
    (passwd,) = rows["file:///etc/passwd"]
    assert passwd["outcome"] == "refused" and "scheme 'file'" in passwd["error"]
    assert passwd["http_status"] is None and passwd["warc_file"] is None
    (other_sitemap,) = rows[f"{crawl['other'].base}/sitemap.xml"]
    assert other_sitemap["outcome"] == "refused" and "not on the outlet's site" in other_sitemap["error"]
    # Redirects: the 3xx is archived and recorded; its target is refused, never fetched.
    (to_other,) = rows[f"{base}/a/redirect-other-site"]
    assert (to_other["http_status"], to_other["outcome"]) == (302, "refused")
    assert "127.0.0.5" in to_other["error"] and "not on the outlet's site" in to_other["error"]
    (to_internal,) = rows[f"{base}/a/redirect-internal"]
    assert to_internal["outcome"] == "refused" and f"port {crawl['internal'].port}" in to_internal["error"]
    (to_file,) = rows[f"{base}/a/redirect-file"]
    assert to_file["outcome"] == "refused" and "scheme 'file'" in to_file["error"]
    # <meta http-equiv=refresh> to another site: the target is refused with its own row.
    (refresh_target,) = rows[f"{crawl['other'].base}/a/y"]
    assert refresh_target["outcome"] == "refused" and refresh_target["http_status"] is None
    assert not crawl["other"].hits and not crawl["internal"].hits
    # Nothing but the plain article and the long Persian one became articles of the outlet.
    stored = {r["url"] for r in _rows(crawl["engine"], "SELECT url FROM consumer.articles")}
    # (a page that refreshes itself is its own content: stored, not looped on)
    assert stored == {f"{base}/a/plain", f"{base}/a/refresh-self", canonicalize(f"{base}/a/{crawl['slug']}")}
    # No WARC record of anything but http(s) on the outlet's own host and port.
    uris = _warc_target_uris(crawl["archive"])
    assert uris and all(u.startswith(base + "/") for u in uris)
    counted = crawl["report"].outlets["Hostile Site"]["failures"]
    refused = [r for rs in rows.values() for r in rs if r["outcome"] == "refused"]
    assert counted["refused"] == len(refused) >= 6


def test_redirect_loops_and_long_chains_are_recorded(hostile_crawl):
    crawl, base = hostile_crawl, hostile_crawl["site"].base
    rows = _by_url(crawl)
    assert [r["outcome"] for r in rows[f"{base}/a/loop1"]] == ["redirect"]
    (back,) = rows[f"{base}/a/loop2"]
    assert back["outcome"] == "redirect_loop" and "visited before" in back["error"]
    chain = [rows[f"{base}/a/chain/{n}"][0]["outcome"] for n in range(6)]
    assert chain == ["redirect"] * 5 + ["redirect_loop"]
    assert "exceeds the limit of 5" in rows[f"{base}/a/chain/5"][0]["error"]
    assert crawl["site"].hits["/a/chain/6"] == 0
    assert crawl["report"].outlets["Hostile Site"]["failures"]["redirect_loop"] == 2


def test_discovery_is_deduplicated_and_capped(hostile_crawl):
    crawl = hostile_crawl
    hits = crawl["site"].hits
    assert hits["/sitemap_index.xml"] == 1  # listed by itself 40 times and by every /fan/ index
    assert hits["/articles.xml"] == 1  # listed 40 times
    sitemap_rows = _rows(crawl["engine"], "SELECT requested_url FROM fetches WHERE kind = 'sitemap'")
    assert len(sitemap_rows) <= 1 + DISCOVERY_CAP
    assert sum(n for path, n in hits.items() if path.startswith("/fan/")) <= DISCOVERY_CAP
    stats = crawl["report"].outlets["Hostile Site"]
    assert stats["skipped_cap"] > 0  # the capped discovery documents are counted


def test_a_5000_letter_persian_url_is_fetched_stored_and_read_back(hostile_crawl):
    crawl, base = hostile_crawl, hostile_crawl["site"].base
    url = canonicalize(f"{base}/a/{crawl['slug']}")
    assert len(crawl["slug"]) == 5000 and len(url) > 25_000
    assert crawl["site"].hits[f"/a/{crawl['slug']}"] == 1
    (row,) = _rows(crawl["engine"], "SELECT * FROM fetches WHERE requested_url = :u", u=url)
    assert row["outcome"] == "stored"
    _headers, body = read_response(crawl["archive"], row["warc_file"], row["warc_offset"])
    assert hashlib.sha256(body).hexdigest() == row["raw_sha256"]
    assert "زندان اوین" in body.decode("utf-8")
    (article,) = _rows(crawl["engine"], "SELECT * FROM articles WHERE canonical_url = :u", u=url)
    assert "زندان اوین" in article["text"]
    assert known_url_reasons(crawl["engine"], [url]) == {url: "stored"}
    # A URL over the limit is refused with a row, never sent (Scrapy's default drops it unseen).
    (too_long,) = _rows(crawl["engine"], "SELECT * FROM fetches WHERE outcome = 'url_too_long'")
    assert too_long["requested_url"] == base + crawl["long_path"]
    assert str(MAX_URL_LENGTH) in too_long["error"]
    assert crawl["site"].hits[crawl["long_path"]] == 0
    assert crawl["report"].outlets["Hostile Site"]["failures"]["url_too_long"] == 1


def test_every_stored_offset_reads_back_to_its_hash(hostile_crawl):
    assert _assert_warc_offsets_read_back(hostile_crawl["engine"], hostile_crawl["archive"]) >= 10


# -- the address rule after DNS: a name that resolves to loopback, without the opt-in ------
def _loopback_name() -> str | None:
    """A host name (not ``localhost``, which config refuses) that this machine resolves to loopback."""
    for name in (socket.gethostname(), socket.getfqdn()):
        if is_localhost_name(name.lower()):
            continue
        try:
            infos = socket.getaddrinfo(name, 80, proto=socket.IPPROTO_TCP)
        except OSError:
            continue
        addresses = {ipaddress.ip_address(info[4][0]) for info in infos}
        if addresses and all(a.is_loopback for a in addresses) and ip_literal(name) is None:
            return name
    return None


def test_a_name_resolving_to_loopback_is_refused_at_connection_time(scratch, tmp_path):
    name = _loopback_name()
    if name is None:
        pytest.skip("no host name of this machine resolves to loopback only")
    settings, engine = scratch

    def route(path: str) -> Route | None:
        return _xml(_urlset([f"http://{name}:{site.port}/a/1"]))

    with HostileServer("127.0.0.1", route) as site:
        outlets = _write_outlets(
            tmp_path,
            [
                {
                    "name": "Rebinding Site",
                    "home": f"http://{name}:{site.port}/",
                    "language": "en",
                    "sitemaps": [f"http://{name}:{site.port}/sitemap.xml"],
                    "min_delay_seconds": 0,
                    "timeout_seconds": 5,
                }
            ],
        )
        report = ingest(settings, outlets_file=outlets, trigger="test", stream_logs=False, engine=engine)
    assert not site.hits  # not one byte reached the loopback service
    rows = _rows(engine, "SELECT requested_url, outcome, error, warc_file FROM fetches")
    assert {r["requested_url"] for r in rows} >= {f"http://{name}:{site.port}/sitemap.xml"}
    for row in rows:
        assert row["outcome"] == "refused" and row["warc_file"] is None
        assert f"host {name.lower()} resolves only to refused addresses" in row["error"]
        assert "loopback" in row["error"]
    assert report.outlets["Rebinding Site"]["failures"]["refused"] == len(rows)


# -- the rules themselves ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("address", "private_ok", "why"),
    [
        ("127.0.0.1", False, "loopback"),
        ("10.1.2.3", False, "private"),
        ("192.168.0.1", False, "private"),
        ("172.16.5.5", False, "private"),
        ("100.64.0.1", False, "not public"),
        ("169.254.1.1", True, "link-local"),
        ("169.254.169.254", True, "a cloud metadata address"),
        ("fd00:ec2::254", True, "a cloud metadata address"),
        ("0.0.0.0", True, "unspecified"),
        ("::", True, "unspecified"),
        ("224.0.0.1", True, "multicast"),
        ("ff02::1", True, "multicast"),
        ("255.255.255.255", True, "broadcast"),
        ("::1", False, "loopback"),
        ("fe80::1", True, "link-local"),
        ("fc00::1", False, "private"),
        ("::ffff:127.0.0.1", False, "loopback (as 127.0.0.1)"),
        ("::ffff:169.254.169.254", True, "a cloud metadata address (as 169.254.169.254)"),
        ("64:ff9b::a00:1", False, "private (as 10.0.0.1)"),
        ("2002:7f00:1::", False, "loopback (as 127.0.0.1)"),
        ("240.0.0.1", False, "private"),
        ("127.0.0.1", True, None),
        ("10.1.2.3", True, None),
        ("93.184.216.34", False, None),
        ("2606:4700::1111", False, None),
    ],
)
def test_address_rules(address, private_ok, why):
    assert address_refusal(ipaddress.ip_address(address), private_ok) == why


def test_ip_literals_in_every_spelling_the_resolver_accepts():
    assert ip_literal("[::1]") == ipaddress.ip_address("::1")
    assert ip_literal("2130706433") == ipaddress.ip_address("127.0.0.1")
    assert ip_literal("0x7f.1") == ipaddress.ip_address("127.0.0.1")
    assert ip_literal("127.1") == ipaddress.ip_address("127.0.0.1")
    assert ip_literal("example.org") is None and ip_literal("1.example") is None


def test_sites_are_registrable_domains():
    assert site_of("www.bbc.co.uk") == "bbc.co.uk" != site_of("evil.co.uk")
    assert same_site("https://amp.example.org/a", "https://www.example.org/b")
    assert not same_site("https://news.example.co.uk/", "https://other.co.uk/")
    assert site_of("alice.blogspot.com") != site_of("bob.blogspot.com")  # private suffixes count
    assert site_of("127.0.0.1") == "127.0.0.1" != site_of("127.0.0.5")
    assert site_of("a.localhost") != site_of("localhost")


def test_host_rules_check_scheme_user_info_host_port_length():
    rules = HostRules.for_urls(
        "https://www.example.co.uk/", ["https://feeds.example.co.uk:8443/rss"], ["cdn.example.net"], False
    )
    assert rules.check("https://news.example.co.uk/a") is None
    assert rules.check("https://example.co.uk:8443/a") is None  # a configured port
    assert rules.check("https://img.cdn.example.net/a") is None  # an allowed host's subdomain
    refused = {
        "ftp://www.example.co.uk/a": "scheme 'ftp'",
        "data:text/html,hi": "scheme 'data'",
        "https://user@www.example.co.uk/a": "user info",
        "https://other.co.uk/a": "not on the outlet's site (example.co.uk)",
        "https://example.net/a": "not on the outlet's site",
        "https://www.example.co.uk:5432/a": "port 5432",
        "http://127.0.0.1/a": "address 127.0.0.1 is loopback",
        "http://2130706433/a": "address 127.0.0.1 is loopback",
        "http://[::ffff:a9fe:a9fe]/": "cloud metadata",
        "http://localhost/": "loopback name",
        "http://bad_host!/": "not a valid host name",
        "http://[::1/a": "cannot be parsed",
        "http://www.example.co.uk:99999/": "not a valid port number",
    }
    for url, why in refused.items():
        refusal = rules.check(url)
        assert refusal is not None and refusal.outcome == "refused" and why in refusal.reason, url
    long_url = "https://www.example.co.uk/" + "a" * MAX_URL_LENGTH
    assert rules.check(long_url).outcome == "url_too_long"
    assert rules.check("https://www.example.co.uk/" + "%D8%A7" * 5000) is None  # 30 KB is fine


def _outlet(**fields) -> dict:
    base = {"name": "X", "home": "https://www.example.org/", "language": "en"}
    base.setdefault("feeds", ["https://www.example.org/feed/"])
    return base | fields


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"home": "http://127.0.0.1:8000/", "feeds": ["http://127.0.0.1:8000/f"]}, "allow_private_network"),
        ({"home": "http://localhost/", "feeds": ["http://localhost/f"]}, "loopback name"),
        ({"home": "http://10.0.0.7/", "feeds": ["http://10.0.0.7/f"]}, "is private"),
        ({"sitemaps": ["http://[fd12::1]/s.xml"]}, "is private"),
        ({"listing_pages": ["http://192.168.1.1/news"]}, "is private"),
        (
            {
                "home": "http://169.254.169.254/",
                "feeds": ["http://169.254.169.254/f"],
                "allow_private_network": True,
            },
            "refused even with allow_private_network",
        ),
        ({"feeds": ["https://feeds.feedburner.com/x"]}, "allowed_hosts"),
        ({"feeds": ["file:///etc/passwd"]}, "not an http(s) URL"),
        ({"allowed_hosts": ["co.uk"]}, "public suffix"),
        ({"allowed_hosts": ["https://cdn.example.net/"]}, "not a host name"),
        ({"allowed_hosts": ["10.0.0.1"]}, "is private"),
        ({"max_discovery_requests": 0}, "greater than or equal to 1"),
    ],
)
def test_config_refuses_what_the_policy_would(tmp_path, fields, message):
    path = _write_outlets(tmp_path, [_outlet(**fields)])
    with pytest.raises(ConfigError) as caught:
        load_outlets(path)
    assert message in str(caught.value) and "outlet #1 ('X')" in str(caught.value)


def test_config_accepts_the_opt_in_and_allowed_hosts(tmp_path):
    path = _write_outlets(
        tmp_path,
        [
            _outlet(
                name="Loop",
                home="http://127.0.0.1:8000/",
                feeds=["http://127.0.0.1:8000/f"],
                allow_private_network=True,
            ),
            _outlet(
                name="Feedburner",
                feeds=["https://feeds.feedburner.com/x"],
                allowed_hosts=["Feeds.FeedBurner.com."],
            ),
        ],
    )
    config = load_outlets(path)
    assert config.get("Feedburner").allowed_hosts == ["feeds.feedburner.com"]
    assert (
        config.get("Loop").max_discovery_requests == OutletConfig(**_outlet()).max_discovery_requests == 500
    )


# -- long URLs in the database ------------------------------------------------------------
def test_long_urls_are_stored_and_looked_up_by_index(fresh_engine):
    long_url = "https://fa.example.org/" + quote(persian_slug())
    variant = long_url + "/amp"
    with fresh_engine.begin() as conn:
        outlet_id = conn.execute(
            text(
                "INSERT INTO outlets (name, home, language, config) VALUES ('o', 'h', 'fa', '{}') RETURNING outlet_id"
            )
        ).scalar_one()
        fetch_id = conn.execute(
            text(
                "INSERT INTO fetches (fetch_uid, outlet_id, kind, requested_url, outcome, fetched_at)"
                " VALUES ('f1', :o, 'article', :u, 'fetched', now()) RETURNING fetch_id"
            ),
            {"o": outlet_id, "u": variant},
        ).scalar_one()
    data = ArticleData(
        canonical_url=long_url,
        urls=[variant],
        title="t",
        authors=[],
        published_at=None,
        published_raw=None,
        published_calendar=None,
        published_method=None,
        language="fa",
        site_name=None,
        text=PERSIAN_TEXT,
        extractor="test",
    )
    first = store_article(fresh_engine, outlet_id=outlet_id, fetch_id=fetch_id, data=data, seen_at=utcnow())
    again = store_article(fresh_engine, outlet_id=outlet_id, fetch_id=fetch_id, data=data, seen_at=utcnow())
    assert (first.outcome, again.outcome, again.match) == ("stored", "duplicate", "same_url")
    assert known_url_reasons(fresh_engine, [long_url, variant, long_url + "x"]) == {
        long_url: "stored",
        variant: "stored",
    }
    save_validators(fresh_engine, long_url, '"etag"', None, 200)
    save_validators(fresh_engine, long_url, '"etag2"', None, 200)
    assert load_validators(fresh_engine, [long_url]) == {long_url: ('"etag2"', None)}
    # The look-ups stay index scans (forced: the tables are too small for the planner to care).
    with fresh_engine.connect() as conn:
        conn.execute(text("SET enable_seqscan = off"))
        plans = {
            "known": "SELECT (SELECT 1 FROM article_urls WHERE url_key = dadkhah_url_key(:u) LIMIT 1),"
            " (SELECT outcome FROM fetches WHERE requested_url = :u LIMIT 1)",
            "store": "SELECT article_id FROM article_urls WHERE url_key IN"
            " (SELECT dadkhah_url_key(u) FROM unnest(CAST(:urls AS text[])) AS u)",
            "validators": "SELECT url FROM http_cache WHERE url_key IN"
            " (SELECT dadkhah_url_key(u) FROM unnest(CAST(:urls AS text[])) AS u)",
        }
        for name, sql in plans.items():
            plan = "\n".join(
                conn.execute(text("EXPLAIN " + sql), {"u": long_url, "urls": [long_url]}).scalars()
            )
            assert "Seq Scan" not in plan and "Index" in plan, (name, plan)


def test_sitemap_children_newest_first_so_the_cap_keeps_recent_ones():
    index = _index(["https://e.org/undated-a.xml", "https://e.org/2019.xml", "https://e.org/undated-b.xml"])
    index = index.replace(
        "<loc>https://e.org/2019.xml</loc>", "<loc>https://e.org/2019.xml</loc><lastmod>2019-05-01</lastmod>"
    ).replace(
        "</sitemapindex>",
        "<sitemap><loc>https://e.org/2025.xml</loc><lastmod>2025-01-02T03:04:05Z</lastmod></sitemap></sitemapindex>",
    )
    content = parse_sitemap(index.encode(), "https://e.org/")
    assert content.sitemaps_newest_first() == [
        "https://e.org/2025.xml",
        "https://e.org/2019.xml",
        "https://e.org/undated-a.xml",
        "https://e.org/undated-b.xml",
    ]


def test_migration_0006_downgrades_and_upgrades_again(fresh_engine):
    from alembic import command
    from alembic.config import Config

    from pipeline.db import SCHEMA_DIR, upgrade

    cfg = Config(str(SCHEMA_DIR / "alembic.ini"))
    cfg.set_main_option("script_location", str(SCHEMA_DIR / "migrations"))
    with fresh_engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0006-1")
        pk = conn.execute(
            text(
                "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid"
                " AND a.attnum = ANY(i.indkey) WHERE i.indrelid = 'article_urls'::regclass AND i.indisprimary"
            )
        ).scalar_one()
        assert pk == "url"
        assert conn.execute(text("SELECT to_regproc('dadkhah_url_key')")).scalar_one() is None
    upgrade(fresh_engine)
    with fresh_engine.connect() as conn:
        assert conn.execute(text("SELECT dadkhah_url_key('a') = sha256('a'::bytea)")).scalar_one()
        method = conn.execute(
            text(
                "SELECT am.amname FROM pg_class c JOIN pg_am am ON am.oid = c.relam"
                " WHERE c.relname = 'ix_fetches_requested_url'"
            )
        ).scalar_one()
        assert method == "hash"


class _Collector:
    """The resolution receiver a HostnameEndpoint would be: it records what it is given."""

    def __init__(self) -> None:
        self.began = self.completed = False
        self.addresses: list[str] = []

    def resolutionBegan(self, resolution) -> None:  # noqa: N802 - Twisted interface
        self.began = True

    def addressResolved(self, address) -> None:  # noqa: N802 - Twisted interface
        self.addresses.append(address.host)

    def resolutionComplete(self) -> None:  # noqa: N802 - Twisted interface
        self.completed = True


def _resolve(host: str, answers: list[str]) -> _Collector:
    from twisted.internet.address import IPv4Address, IPv6Address

    from spiders.policy import _FilteringReceiver

    collector = _Collector()
    receiver = _FilteringReceiver(collector, host)
    receiver.resolutionBegan(object())
    for answer in answers:
        kind = IPv6Address if ":" in answer else IPv4Address
        receiver.addressResolved(kind("TCP", answer, 80))
    receiver.resolutionComplete()
    assert collector.began and collector.completed
    return collector


def test_the_resolver_passes_on_only_allowed_addresses():
    from spiders import policy

    assert _resolve("news.example.org", ["93.184.216.34", "127.0.0.1", "::ffff:10.0.0.1"]).addresses == [
        "93.184.216.34"
    ]
    assert policy.dns_refusal("news.example.org") is None
    assert _resolve("rebind.example.org", ["127.0.0.1", "169.254.169.254"]).addresses == []
    why = policy.dns_refusal("rebind.example.org")
    assert why and "127.0.0.1 (loopback)" in why and "169.254.169.254 (a cloud metadata address)" in why
    saved = set(policy._PRIVATE_SITES)
    try:  # the names of an outlet crawled with the opt-in may resolve to loopback, not to metadata
        policy.register_private_outlet(HostRules.for_urls("http://test.example.net/", [], [], True))
        assert _resolve("www.test.example.net", ["127.0.0.1", "169.254.169.254"]).addresses == ["127.0.0.1"]
        assert policy.private_network_host("www.test.example.net")
        assert not policy.private_network_host("example.org")
    finally:
        policy._PRIVATE_SITES.clear()
        policy._PRIVATE_SITES.update(saved)
