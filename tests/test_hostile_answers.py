"""Answers and documents that once broke a whole crawl, against real crawls on loopback.

One hostile byte must cost at most the page that carries it: a NUL in a response header or
a status code no column can hold once stopped the outlet's crawl as "the database is
unavailable" (and the pass with exit 3, every pass, since the page is fetched again); one
malformed link in a feed, sitemap or listing lost every other article that document listed;
a malformed ``rel=canonical`` made its article a ``store_error`` on every pass.
Each case runs through the real ``dadkhah run`` (the CLI in a child process) into a real
PostgreSQL, next to a well-behaved page, and every recorded WARC offset is read back.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from pipeline.archive import read_response
from pipeline.storage import known_url_reasons
from tests.loopback import outlets_yaml
from tests.pg import create_scratch_database, drop_database
from tests.test_fetch_policy import HostileServer, Route, _article, _html, _index, _urlset, _xml

ROOT = Path(__file__).resolve().parent.parent


def _run_cli(database: str, tmp_path: Path, outlets: Path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DADKHAH_DATABASE_URL": database,
        "DADKHAH_DATA_DIR": str(tmp_path / "data"),
        "DADKHAH_ARCHIVE_DIR": str(tmp_path / "archive"),
    }
    command = [sys.executable, "-m", "pipeline.cli", "run", "--outlets", str(outlets), "--json"]
    return subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)


def _rows(engine, sql: str) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(text(sql)).mappings().all()]


def _assert_offsets_read_back(engine, archive: Path) -> None:
    rows = _rows(engine, "SELECT warc_file, warc_offset, raw_sha256 FROM fetches WHERE warc_file IS NOT NULL")
    assert rows
    for row in rows:
        _headers, body = read_response(archive, row["warc_file"], row["warc_offset"])
        assert hashlib.sha256(body).hexdigest() == row["raw_sha256"]


@pytest.fixture()
def database(pg_server_url) -> Iterator[str]:
    url = create_scratch_database(pg_server_url)
    subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "db", "upgrade"],
        env={**os.environ, "DADKHAH_DATABASE_URL": url},
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    try:
        yield url
    finally:
        drop_database(pg_server_url, url)


def _report(result: subprocess.CompletedProcess) -> dict:
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stdout.strip(), f"exit {result.returncode}: {result.stderr}"
    return json.loads(result.stdout)["report"]


def test_a_hostile_header_or_status_costs_only_its_page(database, tmp_path):
    good = _article("Prisoners moved to solitary confinement", "Relatives said the prisoners were moved.")
    header_page = _article("A lawyer summoned to court", "The lawyer was summoned by the prosecutor.")
    routes: dict[str, Route] = {
        # robots.txt itself answers with a NUL in a header: the crawl must go on past it
        "/robots.txt": (200, {"Content-Type": "text/plain", "X-Trace": "r\x00t"}, b"User-agent: *\n"),
        "/a/good": _html(good),
        "/a/nul-header": (200, {"Content-Type": "text/html; charset=utf-8", "X-Note": "a\x00b"}, header_page),
        "/a/nul-type": (200, {"Content-Type": "text/html\x00; charset=utf-8"}, _article("T", "Typed.")),
        "/a/nul-location": (302, {"Location": "/a/good\x00x", "Content-Type": "text/plain"}, b""),
        "/a/huge-status": (99_999_999_999, {"Content-Type": "text/html"}, _article("S", "Status.")),
        # a declared canonical that is no URL must not keep the article from being stored
        "/a/bad-canonical": _html(
            _article(
                "Hunger strike",
                "The prisoner began a hunger strike.",
                head='<link rel="canonical" href="http://[::1/x">',
            )
        ),
        # a body that is not what its Content-Encoding says: the row says so, not "fetched"
        "/a/bad-gzip": (200, {"Content-Type": "text/html", "Content-Encoding": "gzip"}, _article("G", "Gz.")),
    }
    with HostileServer("127.0.0.1", lambda path: routes.get(path)) as site:
        urls = [f"{site.base}{p}" for p in routes if p.startswith("/a/")]
        routes["/sitemap.xml"] = _xml(_urlset(urls))
        outlets = outlets_yaml(
            tmp_path,
            [{"name": "Header Site", "home": f"{site.base}/", "sitemaps": [f"{site.base}/sitemap.xml"]}],
        )
        result = _run_cli(database, tmp_path, outlets)
    report = _report(result)
    # The database never went away: not exit 3, and the outlet's crawl finished.
    assert result.returncode in (0, 4), result.stderr
    assert report["outlets"]["Header Site"]["status"] == "finished"
    engine = create_engine(database)
    try:
        rows = {r["requested_url"]: r for r in _rows(engine, "SELECT * FROM fetches ORDER BY fetch_id")}
        stored = {r["url"] for r in _rows(engine, "SELECT url FROM consumer.articles")}
        # A NUL in a header says nothing about the article: it is stored, the header kept
        # (the WARC record holds the exact bytes).
        assert {f"{site.base}/a/good", f"{site.base}/a/nul-header", f"{site.base}/a/bad-canonical"} <= stored
        bad_gzip = rows[f"{site.base}/a/bad-gzip"]
        assert bad_gzip["outcome"] == "error" and "gzip" in bad_gzip["error"].lower()
        articles = [r for r in rows.values() if r["kind"] == "article"]
        assert "fetched" not in {r["outcome"] for r in articles}, [
            (r["requested_url"], r["outcome"]) for r in articles
        ]
        assert rows[f"{site.base}/a/nul-header"]["outcome"] == "stored"
        assert rows[f"{site.base}/a/nul-header"]["response_headers"]["X-Note"].startswith("a")
        assert rows[f"{site.base}/robots.txt"]["http_status"] == 200
        # A status no HTTP server sends is recorded as an HTTP error, not as a stored page.
        huge = rows[f"{site.base}/a/huge-status"]
        assert huge["outcome"] == "http_error" and "99999999999" in huge["error"]
        assert rows[f"{site.base}/a/nul-location"]["http_status"] == 302
        _assert_offsets_read_back(engine, tmp_path / "archive")
    finally:
        engine.dispose()


def test_one_malformed_link_does_not_lose_the_rest_of_its_document(database, tmp_path):
    holder: dict[str, HostileServer] = {}

    def route(path: str) -> Route | None:
        base = holder["site"].base
        port = holder["site"].port
        bad = ["http://[::1", f"http://127.0.0.1:{port}javascript:alert(1)", "http://127.0.0.1:99999999/x"]
        if path == "/feed":
            items = "".join(f"<item><title>x</title><link>{u}</link></item>" for u in bad)
            items += f"<item><title>ok</title><link>{base}/a/from-feed</link></item>"
            body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'
            return 200, {"Content-Type": "application/rss+xml"}, body.encode()
        if path == "/sitemap.xml":
            return _xml(_urlset([*bad, f"{base}/a/from-sitemap"]))
        if path == "/index.xml":
            return _xml(_index([*bad, f"{base}/child.xml"]))
        if path == "/child.xml":
            return _xml(_urlset([f"{base}/a/from-child"]))
        if path == "/news/":
            links = "".join(f'<a href="{u}">bad</a>' for u in bad)
            return _html(f'<html><body>{links}<a href="/a/from-listing">Story</a></body></html>'.encode())
        if path.startswith("/a/"):
            name = path.rsplit("/", 1)[1].replace("-", " ")
            return _html(_article(f"Report {name}", f"Detainees were questioned, the report {name} said."))
        return None

    with HostileServer("127.0.0.1", route) as site:
        holder["site"] = site
        base = site.base
        outlets = outlets_yaml(
            tmp_path,
            [
                {
                    "name": "Sloppy Links",
                    "home": f"{base}/",
                    "feeds": [f"{base}/feed"],
                    "sitemaps": [f"{base}/sitemap.xml", f"{base}/index.xml"],
                    "listing_pages": [f"{base}/news/"],
                }
            ],
        )
        result = _run_cli(database, tmp_path, outlets)
    report = _report(result)
    assert result.returncode == 0, result.stderr
    engine = create_engine(database)
    try:
        stored = {r["url"] for r in _rows(engine, "SELECT url FROM consumer.articles")}
        assert stored == {f"{base}/a/from-{k}" for k in ("feed", "sitemap", "child", "listing")}
        sources = _rows(engine, "SELECT requested_url, outcome FROM fetches WHERE kind <> 'article'")
        assert all(r["outcome"] == "parsed" for r in sources if "robots" not in r["requested_url"])
        assert report["outlets"]["Sloppy Links"]["sources_failed"] == 0
        _assert_offsets_read_back(engine, tmp_path / "archive")
    finally:
        engine.dispose()


def test_a_canonical_naming_the_front_page_does_not_merge_articles(database, tmp_path):
    """A CMS that gives every article the home page (or a listing) as its rel=canonical: each
    article is still its own, under its own URL, and none is lost as a "duplicate"."""
    subjects = ["a teacher detained in Sanandaj", "a labour activist sentenced in Tehran",
                "a journalist summoned in Rasht", "a student expelled in Mashhad"]  # fmt: skip
    holder: dict[str, HostileServer] = {}

    def route(path: str) -> Route | None:
        base = holder["site"].base
        fronts = ["/", f"{base}/", "/news/", f"{base}/news/"]
        if path == "/news/":
            links = "".join(f'<a href="/a/{i}">Story {i}</a>' for i in range(len(subjects)))
            return _html(f"<html><body>{links}</body></html>".encode())
        if path.startswith("/a/"):
            i = int(path.rsplit("/", 1)[1])
            head = f'<link rel="canonical" href="{fronts[i]}">'
            return _html(
                _article(f"Report on {subjects[i]}", f"The family of {subjects[i]} spoke.", head=head)
            )
        return None

    with HostileServer("127.0.0.1", route) as site:
        holder["site"] = site
        outlets = outlets_yaml(
            tmp_path,
            [{"name": "Front Canonical", "home": f"{site.base}/", "listing_pages": [f"{site.base}/news/"]}],
        )
        result = _run_cli(database, tmp_path, outlets)
    _report(result)
    assert result.returncode == 0, result.stderr
    engine = create_engine(database)
    try:
        articles = _rows(engine, "SELECT url, title FROM consumer.articles")
        assert {a["url"] for a in articles} == {f"{site.base}/a/{i}" for i in range(len(subjects))}
        assert {a["title"] for a in articles} == {f"Report on {s}" for s in subjects}
    finally:
        engine.dispose()


def test_a_nul_in_a_page_s_metadata_does_not_keep_its_article_out(database, tmp_path):
    """JSON-LD may spell a NUL (``\\u0000``) in an author or headline: the article is stored
    (the NUL made to fit, the WARC record keeps the bytes), and a revisit of the same page is
    ``unchanged``, not an edit of the stored title."""
    text_ = "The court sentenced the activist after a closed hearing, relatives said."
    ld = '{"@type": "NewsArticle", "headline": "Sentenced\\u0000 in Tabriz", "author": {"name": "A\\u0000B"}}'
    page = _article("Sentenced in Tabriz", text_, head=f'<script type="application/ld+json">{ld}</script>')
    routes: dict[str, Route] = {"/a/ld": _html(page)}
    with HostileServer("127.0.0.1", lambda path: routes.get(path)) as site:
        routes["/sitemap.xml"] = _xml(_urlset([f"{site.base}/a/ld"]))
        outlets = outlets_yaml(
            tmp_path,
            [{"name": "Metadata Site", "home": f"{site.base}/", "sitemaps": [f"{site.base}/sitemap.xml"]}],
        )
        result = _run_cli(database, tmp_path, outlets)
        assert result.returncode == 0, result.stderr
        env = {
            **os.environ,
            "DADKHAH_DATABASE_URL": database,
            "DADKHAH_DATA_DIR": str(tmp_path / "data"),
            "DADKHAH_ARCHIVE_DIR": str(tmp_path / "archive"),
        }
        command = [sys.executable, "-m", "pipeline.cli", "revisit", "--outlets", str(outlets)]
        revisit = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert revisit.returncode == 0, revisit.stderr
    engine = create_engine(database)
    try:
        (row,) = _rows(engine, "SELECT outcome, error FROM fetches WHERE kind = 'article'")
        assert row["outcome"] == "stored", row
        (article,) = _rows(engine, "SELECT url, status, version_count FROM consumer.articles")
        assert article["url"] == f"{site.base}/a/ld"
        (check,) = _rows(engine, "SELECT outcome FROM article_revisits")
        assert check["outcome"] == "unchanged" and article["version_count"] == 1
    finally:
        engine.dispose()


def test_an_article_redirected_to_the_home_page_is_not_stored_as_it(database, tmp_path):
    """A CMS sends an unpublished (or not yet published) story to the home page, whose lead
    story reads like an article: it must not become the outlet's article under that URL (the
    URL would then be linked to it and never fetched again); the URL is tried again later."""
    routes: dict[str, Route] = {
        "/": _html(_article("Front page lead story", "Executions rose again this month, monitors said.")),
        "/a/moved": (302, {"Location": "/", "Content-Type": "text/plain"}, b""),
        "/a/good": _html(_article("Prisoners moved to solitary confinement", "Relatives said so.")),
    }
    with HostileServer("127.0.0.1", lambda path: routes.get(path)) as site:
        routes["/sitemap.xml"] = _xml(_urlset([f"{site.base}/a/moved", f"{site.base}/a/good"]))
        outlets = outlets_yaml(
            tmp_path,
            [{"name": "Moving Site", "home": f"{site.base}/", "sitemaps": [f"{site.base}/sitemap.xml"]}],
        )
        result = _run_cli(database, tmp_path, outlets)
    assert result.returncode == 0, result.stderr
    engine = create_engine(database)
    try:
        assert {r["url"] for r in _rows(engine, "SELECT url FROM consumer.articles")} == {
            f"{site.base}/a/good"
        }
        linked = {r["url"] for r in _rows(engine, "SELECT url FROM article_urls")}
        assert f"{site.base}/a/moved" not in linked and f"{site.base}/" not in linked
        reasons = known_url_reasons(engine, [f"{site.base}/a/moved"])
        assert reasons[f"{site.base}/a/moved"].startswith("waiting:"), reasons
    finally:
        engine.dispose()
