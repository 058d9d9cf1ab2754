"""A loopback site whose routes a test changes between passes: statuses, redirects, delays,
and ETags (it answers 304 to a matching If-None-Match). Every request is logged with its headers."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    etag: str | None = None
    location: str | None = None
    delay: float = 0.0


class Site:
    """A loopback site whose routes a test changes between passes; it honours If-None-Match."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                site.requests.append((self.path, dict(self.headers.items())))
                route = site.routes.get(self.path) or Route(b"not found", status=404)
                if route.delay:
                    time.sleep(route.delay)
                status, body = route.status, route.body
                if route.etag and self.headers.get("If-None-Match") == route.etag:
                    status, body = 304, b""
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "text/html; charset=utf-8")
                    if route.etag:
                        self.send_header("ETag", route.etag)
                    if route.location:
                        self.send_header("Location", route.location)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def article_requests(self) -> list[str]:
        return [p for p, _ in self.requests if p.startswith("/news/")]
