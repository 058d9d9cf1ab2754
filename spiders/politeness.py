"""One politeness budget per host, shared by every outlet and every crawl process.

Scrapy spaces requests per crawler, and each outlet's crawl is its own crawler: two outlets
on one host (IranWire's English and Persian editions), two `dadkhah run` at once, or
Airflow's parallel crawl tasks each took the host's full rate. Here every request to a host,
robots.txt and retries included, first reserves the host's next start time in PostgreSQL
with one atomic upsert on ``host_slots``, then waits for it without blocking the reactor.

The gate is a download handler wrapped around Scrapy's HTTP handler rather than a
downloader middleware: middlewares run before the downloader's per-crawler slot, whose own
delay and concurrency queue can hold a request past its reserved time, and a late request
comes closer to the next reservation (another process's) than the delay. A handler runs
when the request is sent, so the reserved time is the start time. Scrapy's own delay and
AutoThrottle still apply per crawler before it: they can only slow a crawl further.

The delay is the requesting outlet's ``min_delay_seconds``. Two successive requests to a
host start at least the larger of their two outlets' delays apart, so outlets on one host
with the same delay share exactly one budget. A delay of 0 costs nothing (no round trip).
"""

from __future__ import annotations

from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.utils.asyncio import sleep
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler, load_object
from sqlalchemy import text

from pipeline.storage import CrawlConnection

# A reservation never lies further ahead than this many of the requester's own delays. Each
# crawler holds at most CONCURRENT_REQUESTS_PER_DOMAIN requests at the gate, so a legitimate
# queue is a few delays deep; a turn beyond this was left by a crash, a lowered delay or a
# server clock that went back, and the host's budget starts again from now instead of
# stalling every crawl of the host. (Only more than 32 requests queued for one host at once,
# some 16 crawlers of it, would reach this legitimately.)
HORIZON_SLOTS = 32

# Both times come from the database server's clock, so crawl machines need not agree on
# the time; the result is how long to wait from now. The row lock serialises reservations
# for one host; each statement is its own (autocommitted) transaction.
RESERVE = text(
    """
    INSERT INTO host_slots AS s (host, last_at, next_at)
    VALUES (:host, clock_timestamp(), clock_timestamp() + make_interval(secs => :delay))
    ON CONFLICT (host) DO UPDATE SET (last_at, next_at) = (
        SELECT t.start_at, t.start_at + make_interval(secs => :delay)
        FROM (
            SELECT CASE WHEN u.turn > u.now + make_interval(secs => :horizon) THEN u.now ELSE u.turn END
                AS start_at
            FROM (
                SELECT clock_timestamp() AS now,
                    GREATEST(clock_timestamp(), s.next_at, s.last_at + make_interval(secs => :delay)) AS turn
            ) AS u
        ) AS t
    )
    RETURNING GREATEST(EXTRACT(EPOCH FROM s.last_at - clock_timestamp()), 0)::float8
    """
)


def host_key(request: Request) -> str:
    """The host a request's politeness budget belongs to.

    The hostname, lower-cased (Scrapy has already IDNA-encoded it) and without a trailing
    dot; the port is left out, so http:// and https:// of one site, or two ports of one
    server, share a budget. Names are not resolved: hosts behind one CDN address stay apart.
    """
    return (urlparse_cached(request).hostname or "").rstrip(".")


def reserve_start(db: CrawlConnection, host: str, delay: float) -> float:
    """Reserve the host's next start for a request with this delay; seconds to wait."""
    rows = db.execute(RESERVE, {"host": host, "delay": delay, "horizon": delay * HORIZON_SLOTS})
    return float(rows[0][0])


def _keep_enough_connections(handler: Any, crawler: Crawler) -> None:
    """Let Scrapy's HTTP/1.1 handler keep one idle connection per host beyond its concurrency.

    Its pool keeps at most CONCURRENT_REQUESTS_PER_DOMAIN idle connections. But the next
    request starts as soon as a response's body is in, a moment before that response's
    connection is handed back to the pool: so it opens a new connection, and when the old
    one comes back the pool is one over and closes its oldest. A third of all requests paid
    for a new TCP connection (and TLS handshake) that way, and the server for as many
    accepts. With twice the concurrency as the cap, the connections in use stay the ones
    opened first. Idle connections still close after Twisted's timeout (240 s)."""
    pool = getattr(handler, "_pool", None)
    if pool is not None and hasattr(pool, "maxPersistentPerHost"):
        per_host = crawler.settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN")
        pool.maxPersistentPerHost = max(pool.maxPersistentPerHost, 2 * per_host)


class HostGateDownloadHandler:
    """Waits for the host's reserved turn, then downloads through Scrapy's own handler."""

    scheme = ""  # set by the per-scheme subclasses below
    lazy = True  # built at the first request, when the spider and its context exist

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        # The handler Scrapy would use for the scheme: another one that must run at send
        # time (one that checks addresses, say) takes its place in DOWNLOAD_HANDLERS_BASE.
        path = crawler.settings.getdict("DOWNLOAD_HANDLERS_BASE")[self.scheme]
        self.inner: Any = build_from_crawler(load_object(path), crawler)
        _keep_enough_connections(self.inner, crawler)
        context = crawler.spider.context  # type: ignore[union-attr]
        self.delay: float = float(context.outlet.min_delay_seconds)
        self.db: CrawlConnection = context.db

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HostGateDownloadHandler:
        return cls(crawler)

    async def download_request(self, request: Request) -> Response:
        if self.delay > 0:
            wait = reserve_start(self.db, host_key(request), self.delay)
            if wait > 0:
                await sleep(wait)
        return await self.inner.download_request(request)

    async def close(self) -> None:
        await self.inner.close()


class HttpHostGate(HostGateDownloadHandler):
    scheme = "http"


class HttpsHostGate(HostGateDownloadHandler):
    scheme = "https"
