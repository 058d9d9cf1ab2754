"""Serve the fixture site: one HTTP server per outlet, each on its own 127.0.0.x address."""

from __future__ import annotations

import gzip
import hashlib
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

from pipeline.fixture_site import render

HOSTS = {"rights-monitor": "127.0.0.2", "persian-news": "127.0.0.3", "wire": "127.0.0.4"}
ROBOTS = "User-agent: *\nDisallow: /private/\n"
PDF_BODY = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
HUGE_BYTES = 12 * 1024 * 1024


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    behaviour: str = ""  # flaky, slow, huge


class OutletSite:
    """The routes of one outlet's site."""

    def __init__(self, key: str, content: dict[str, Any], base_url: str, slow_seconds: float) -> None:
        self.key = key
        self.outlet = content["outlets"][key]
        self.articles = [a for a in content["articles"] if a["outlet"] == key]
        self.base_url = base_url
        self.slow_seconds = slow_seconds
        self.hits: Counter[str] = Counter()
        self.lock = threading.Lock()
        # Switches a test flips to make the outlet misbehave the way real sites do.
        # normal | forbidden (a bot wall: 403 to every request) | broken-articles (the feeds
        # work, every article page answers 500)
        self.mode = "normal"
        self.layout = "standard"  # standard | redesigned (dates, bylines and body text gone)
        self.generated = 0
        self.undated: set[str] = set()  # article paths the feeds list without a date
        self.freeze_feed = False  # the feed stops changing (a stale copy served forever)
        self.routes: dict[str, Route] = {
            "/robots.txt": Route(body=ROBOTS.encode(), content_type="text/plain")
        }
        for article in self.articles:
            self._add_article(article)
        getattr(self, f"_build_{key.replace('-', '_')}")()

    def _url(self, path: str) -> str:
        return self.base_url + path

    def _add_article(self, article: dict[str, Any]) -> None:
        path = render.article_path(article)
        encoding = article.get("encoding", "utf-8")
        html = render.article_html(
            article, self.outlet, self.base_url, latest=self.articles, layout=self.layout
        )
        self.routes[path] = Route(body=html.encode(encoding), content_type=f"text/html; charset={encoding}")
        amp = render.article_html(article, self.outlet, self.base_url, amp=True)
        self.routes[path + "amp/"] = Route(
            body=amp.encode(encoding), content_type=f"text/html; charset={encoding}"
        )

    def _entries(self) -> list[tuple[str, str, str | None]]:
        return [
            (
                self._url(render.article_path(a)),
                a["title"],
                None if render.article_path(a) in self.undated else a["published"],
            )
            for a in self.articles
        ]

    def _rebuild_discovery(self) -> None:
        getattr(self, f"_build_{self.key.replace('-', '_')}")()

    # -- changes over time (health tests) -----------------------------------------------
    def publish(self, count: int) -> list[str]:
        """Add ``count`` new generated articles to the site and its feeds; return their URLs."""
        now = datetime.now(UTC)
        added = []
        with self.lock:
            for index in range(count):
                self.generated += 1
                published = (now - timedelta(minutes=count - index)).isoformat(timespec="seconds")
                article = render.generated_article(self.key, self.generated, published)
                self.articles.append(article)
                self._add_article(article)
                if self.layout == "redesigned":  # the redesign's feed dropped entry dates too
                    self.undated.add(render.article_path(article))
                added.append(self._url(render.article_path(article)))
            self._rebuild_discovery()
        return added

    def redesign(self) -> None:
        """Switch every article page to the redesigned layout (see render.redesigned_article_html)."""
        with self.lock:
            self.layout = "redesigned"
            for article in self.articles:
                self._add_article(article)

    # -- outlet 1: RSS feed, paginated listings, and every failure mode -----------------
    def _build_rights_monitor(self) -> None:
        by_slug = {a["slug"]: a for a in self.articles}
        self.routes["/news/hunger-strike-evin/"].behaviour = "flaky"
        self.routes["/news/slow-page/"] = Route(
            body=b"<html><body><p>late</p></body></html>", behaviour="slow"
        )
        self.routes["/files/annual-report.pdf"] = Route(body=PDF_BODY, content_type="application/pdf")
        self.routes["/news/empty-page/"] = Route(
            body=b"<html><head><title>Untitled</title></head><body></body></html>"
        )
        self.routes["/news/huge-page/"] = Route(behaviour="huge")
        self.routes["/private/secret-report/"] = Route(body=b"<html><body>private</body></html>")
        self.routes["/old/massacre-anniversary/"] = Route(
            status=301, headers={"Location": "/news/massacre-anniversary-khavaran/"}
        )
        self.routes["/tag/executions/"] = Route(
            body=render.listing_html(
                self.outlet,
                "Tag: executions",
                [(render.article_path(a), a["title"]) for a in self.articles[:3]],
                None,
            ).encode()
        )
        feed_entries = [
            (
                self._url("/news/prisoner-executed-in-karaj/?utm_source=rss&utm_medium=feed"),
                by_slug["prisoner-executed-in-karaj"]["title"],
                by_slug["prisoner-executed-in-karaj"]["published"],
            ),
            *[
                (u, t, d)
                for u, t, d in self._entries()
                if "prisoner-executed" not in u and "massacre" not in u
            ],
            (self._url("/private/secret-report/"), "Private report", "2025-01-01T00:00:00+00:00"),
            (self._url("/news/slow-page/"), "Slow page", "2025-01-02T00:00:00+00:00"),
            (self._url("/files/annual-report.pdf"), "Annual report (PDF)", "2025-01-03T00:00:00+00:00"),
            (self._url("/news/empty-page/"), "Empty page", "2025-01-04T00:00:00+00:00"),
            (self._url("/news/huge-page/"), "Huge page", "2025-01-05T00:00:00+00:00"),
        ]
        feed = render.rss_feed(self.outlet, self.base_url, feed_entries).encode()
        etag = '"' + hashlib.sha256(feed).hexdigest()[:16] + '"'
        self.routes["/feed/"] = Route(
            body=feed,
            content_type="application/rss+xml; charset=utf-8",
            headers={"ETag": etag, "Last-Modified": "Sat, 12 Jul 2025 10:00:00 GMT"},
        )
        pages = [
            [
                ("/news/prisoner-executed-in-karaj/amp/", "Prisoner executed (AMP)"),
                ("/old/massacre-anniversary/", "Families gather at Khavaran"),
                ("/tag/executions/", "Executions"),
                ("https://elsewhere.example/news/x/", "Offsite"),
            ],
            [
                ("/news/teachers-union-activist-arrested/", "Teachers' union activist arrested"),
                ("/news/un-rapporteur-statement/?fbclid=abc123", "UN Special Rapporteur"),
            ],
            [("/news/hunger-strike-evin/#comments", "Hunger strike")],
        ]
        for number, links in enumerate(pages, start=1):
            path = "/news/" if number == 1 else f"/news/page/{number}/"
            next_url = f"/news/page/{number + 1}/" if number < len(pages) else None
            self.routes[path] = Route(
                body=render.listing_html(self.outlet, f"News, page {number}", links, next_url).encode()
            )

    # -- outlet 2: sitemap index -> gzipped sitemap + news sitemap ----------------------
    def _build_persian_news(self) -> None:
        entries = [(u, d) for u, _, d in self._entries()]
        self.routes["/sitemap_index.xml"] = Route(
            body=render.sitemap_index(
                [self._url("/sitemap-posts.xml.gz"), self._url("/news-sitemap.xml")]
            ).encode(),
            content_type="application/xml",
        )
        self.routes["/sitemap-posts.xml.gz"] = Route(
            body=gzip.compress(render.urlset(entries[1:]).encode()), content_type="application/x-gzip"
        )
        news = render.urlset(entries[:1], news=True).encode()
        self.routes["/news-sitemap.xml"] = Route(
            body=news,
            content_type="application/xml",
            headers={"ETag": '"' + hashlib.sha256(news).hexdigest()[:16] + '"'},
        )

    # -- outlet 3: Atom feed ----------------------------------------------------------
    def _build_wire(self) -> None:
        if not self.freeze_feed or "/atom.xml" not in self.routes:
            self.routes["/atom.xml"] = Route(
                body=render.atom_feed(self.outlet, self.base_url, self._entries()).encode(),
                content_type="application/atom+xml; charset=utf-8",
            )
        # A plain sitemap too (not in the default config; a test may add it).
        self.routes["/sitemap.xml"] = Route(
            body=render.urlset([(u, d) for u, _, d in self._entries()]).encode(),
            content_type="application/xml",
        )

    def config(self) -> dict[str, Any]:
        """This outlet's entry for outlets.yaml."""
        entry: dict[str, Any] = {
            "name": self.outlet["name"],
            "home": self.base_url + "/",
            "language": self.outlet["language"],
            "affiliation": self.outlet["affiliation"],
            "min_delay_seconds": 0,
            "timeout_seconds": max(self.slow_seconds / 3, 0.5),
            "allow_private_network": True,  # the fixture site lives on loopback
        }
        if self.key == "rights-monitor":
            entry.update(
                feeds=[self._url("/feed/")],
                listing_pages=[self._url("/news/")],
                max_listing_pages=5,
                exclude_url_pattern=r"/page/\d+/",
            )
        elif self.key == "persian-news":
            entry.update(sitemaps=[self._url("/sitemap_index.xml")])
        else:
            entry.update(feeds=[self._url("/atom.xml")])
        return entry


BLOCK_PAGE = b"<html><head><title>Access denied</title></head><body><h1>Access denied</h1></body></html>"


def _handler_for(site: OutletSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        # One request per connection: no keep-alive races between a cancelled download and
        # the next request on the same socket.
        protocol_version = "HTTP/1.0"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence
            return

        def do_GET(self) -> None:  # noqa: N802 - http.server API
            path = self.path.split("?", 1)[0].split("#", 1)[0]
            with site.lock:
                site.hits[path] += 1
                hits = site.hits[path]
            if site.mode == "forbidden":
                return self._send(403, BLOCK_PAGE, "text/html")
            if site.mode == "broken-articles" and path.startswith("/news/"):
                return self._send(500, b"<html><body>Internal error</body></html>", "text/html")
            route = site.routes.get(path)
            if route is None:
                return self._send(404, b"<html><body>Not found</body></html>", "text/html")
            if route.behaviour == "flaky" and hits == 1:
                return self._send(500, b"<html><body>Internal error</body></html>", "text/html")
            if route.behaviour == "slow":
                time.sleep(site.slow_seconds)
            if route.behaviour == "huge":
                return self._send_huge()
            etag = route.headers.get("ETag")
            if etag and self.headers.get("If-None-Match") == etag:
                return self._send(304, b"", None, {"ETag": etag})
            return self._send(route.status, route.body, route.content_type, route.headers)

        def _send(
            self, status: int, body: bytes, ctype: str | None, headers: dict[str, str] | None = None
        ) -> None:
            try:
                self.send_response(status)
                if ctype:
                    self.send_header("Content-Type", ctype)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if body:
                    self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def _send_huge(self) -> None:
            try:
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(HUGE_BYTES))
                self.end_headers()
                chunk = b"<p>" + b"x" * 65530 + b"</p>"
                for _ in range(HUGE_BYTES // len(chunk)):
                    self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # a crawler opens many connections at once


class FixtureSite:
    """Starts one server per outlet; ``outlets_config()`` describes them for outlets.yaml."""

    def __init__(
        self, *, port: int = 0, slow_seconds: float = 3.0, single_host: bool = False, host: str | None = None
    ) -> None:
        self.content = render.load_content()
        self.sites: dict[str, OutletSite] = {}
        self._servers: list[ThreadingHTTPServer] = []
        self._threads: list[threading.Thread] = []
        self._by_key: dict[str, ThreadingHTTPServer] = {}
        self.port = port
        self.slow_seconds = slow_seconds
        self.single_host = single_host
        self.host = host  # every outlet on this address (e.g. docker0, for containers), own port

    def start(self) -> FixtureSite:
        for index, key in enumerate(HOSTS):
            host = self.host or ("127.0.0.1" if self.single_host else HOSTS[key])
            port = self.port + index if (self.port and self.single_host) else self.port
            server = _Server((host, port), None)  # handler set below
            base_url = f"http://{host}:{server.server_address[1]}"
            site = OutletSite(key, self.content, base_url, self.slow_seconds)
            server.RequestHandlerClass = _handler_for(site)
            self.sites[key] = site
            self._serve(key, server)
        return self

    def _serve(self, key: str, server: ThreadingHTTPServer) -> None:
        thread = threading.Thread(target=server.serve_forever, name=f"fixture-{key}", daemon=True)
        thread.start()
        self._servers.append(server)
        self._threads.append(thread)
        self._by_key[key] = server

    def site(self, name_or_key: str) -> OutletSite:
        """An outlet's site by its key (``wire``) or outlet name (``Demo Wire``)."""
        for key, site in self.sites.items():
            if name_or_key in (key, site.outlet["name"]):
                return site
        raise KeyError(name_or_key)

    def go_dark(self, name_or_key: str) -> None:
        """Stop one outlet's server: its address refuses connections until ``come_back``."""
        site = self.site(name_or_key)
        server = self._by_key.pop(site.key)
        server.shutdown()
        server.server_close()
        self._servers.remove(server)

    def come_back(self, name_or_key: str) -> None:
        """Serve a dark outlet again on the same address and port."""
        site = self.site(name_or_key)
        host, port = site.base_url.removeprefix("http://").rsplit(":", 1)
        server = _Server((host, int(port)), _handler_for(site))
        self._serve(site.key, server)

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
        self._servers.clear()
        self._by_key.clear()

    def outlets_config(self) -> dict[str, Any]:
        return {"outlets": [site.config() for site in self.sites.values()]}

    def write_outlets_yaml(self, directory: Path) -> Path:
        path = Path(directory) / "outlets.yaml"
        path.write_text(
            yaml.safe_dump(self.outlets_config(), allow_unicode=True, sort_keys=False), encoding="utf-8"
        )
        return path


@contextmanager
def serve_fixture_site(
    host: str = "127.0.0.1", port: int = 0, *, slow_seconds: float = 3.0
) -> Iterator[FixtureSite]:
    """Run the fixture site for the duration of a ``with`` block."""
    del host  # each outlet has its own fixed loopback address (see HOSTS)
    site = FixtureSite(port=port, slow_seconds=slow_seconds).start()
    try:
        yield site
    finally:
        site.stop()


def fixture_outlets_yaml(site: FixtureSite, tmp_dir: Path) -> Path:
    return site.write_outlets_yaml(tmp_dir)
