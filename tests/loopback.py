"""A small programmable web site on loopback for crawl tests: routes, delays, request log."""

from __future__ import annotations

import os
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml


@dataclass
class Page:
    body: bytes
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    delay: float = 0.0  # seconds before answering


@dataclass
class LoopbackSite:
    """Serves ``routes`` (path -> Page) on 127.0.0.1; records every request path and time."""

    routes: dict[str, Page] = field(default_factory=dict)
    requests: list[tuple[float, str]] = field(default_factory=list)

    def start(self) -> LoopbackSite:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                site.requests.append((time.monotonic(), self.path))
                page = site.routes.get(self.path)
                if page is None:
                    page = Page(b"not found", status=404, content_type="text/plain")
                if page.delay:
                    time.sleep(page.delay)
                try:
                    self.send_response(page.status)
                    self.send_header("Content-Type", page.content_type)
                    self.send_header("Content-Length", str(len(page.body)))
                    self.end_headers()
                    self.wfile.write(page.body)
                except OSError:
                    pass  # the crawler hung up

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def hits(self, prefix: str) -> int:
        return sum(1 for _, path in self.requests if path.startswith(prefix))


def article(title: str, words: int = 120) -> bytes:
    text = " ".join(f"{title} word{i}" for i in range(words))
    return (
        f"<html><head><title>{title}</title>"
        f'<meta property="article:published_time" content="2026-11-01T10:00:00+00:00"></head>'
        f"<body><article><h1>{title}</h1><p>{text}.</p><p>{text} again.</p></article></body></html>"
    ).encode()


def feed(base: str, paths: list[str]) -> bytes:
    items = "".join(
        f"<item><title>{p}</title><link>{base}{p}</link><pubDate>Sun, 01 Nov 2026 10:00:00 GMT</pubDate></item>"
        for p in paths
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()
    )


def news_site(count: int, *, delay: float = 0.0, prefix: str = "/news/a") -> LoopbackSite:
    """A site with a feed of ``count`` articles, each answering after ``delay`` seconds."""
    site = LoopbackSite().start()
    paths = [f"{prefix}{i}/" for i in range(count)]
    site.routes["/feed"] = Page(feed(site.base, paths), content_type="application/rss+xml")
    for i, path in enumerate(paths):
        site.routes[path] = Page(article(f"Report number {i} from the monitor"), delay=delay)
    return site


def outlets_yaml(directory: Path, outlets: list[dict]) -> Path:
    """An outlets file; every outlet gets the loopback opt-in and no politeness delay."""
    entries = [
        {"language": "en", "min_delay_seconds": 0, "allow_private_network": True, **o} for o in outlets
    ]
    path = Path(directory) / "outlets.yaml"
    path.write_text(yaml.safe_dump({"outlets": entries}, allow_unicode=True), encoding="utf-8")
    return path


def crawl_children(parent: int | None = None) -> list[int]:
    """PIDs of crawl child processes (``-m spiders.run``), of one parent or of any."""
    pids = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
            stat = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if b"spiders.run" in cmdline and (parent is None or int(stat[1]) == parent):
            pids.append(int(proc.name))
    return [p for p in pids if p != os.getpid()]


class SilentServer:
    """A loopback listener that accepts connections and never says a word."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.accepted = threading.Event()
        self._held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self._held.append(conn)
            self.accepted.set()

    def close(self) -> None:
        self.sock.close()
        for conn in self._held:
            conn.close()


def closed_port() -> int:
    """A loopback port where nothing listens (the socket that held it is closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
