"""Scrapy settings for one outlet's crawl: polite, bounded, and logged."""

from __future__ import annotations

from typing import Any

from scrapy.settings import default_settings

from pipeline.config import OutletConfig
from pipeline.netpolicy import MAX_URL_LENGTH
from spiders.redirects import REPLACEMENTS

# Our fetch log sits next to the downloader so it sees each raw attempt. The fetch policy
# checks each request first of all (50, before robots.txt at 100) and each raw response
# and error right after the fetch log has recorded it (945, before retry and redirect).
DOWNLOADER_MIDDLEWARES = {
    "spiders.policy.FetchPolicyMiddleware": 50,
    # Scrapy's meta-refresh middleware is replaced (at its place) by the policy's own, which
    # keeps a page that refreshes itself: spiders.redirects.REPLACEMENTS.
    "spiders.policy.FetchGuardMiddleware": 945,
    "spiders.fetchlog.FetchLogMiddleware": 950,
}
# Only http and https: Scrapy's file, s3, ftp and data handlers would archive local files
# or other stores' objects as if a web server had answered. HTTP(S) goes through the host
# gate: one politeness budget per host, across outlets and processes (spiders/politeness.py).
DOWNLOAD_HANDLERS = {
    "file": None,
    "s3": None,
    "ftp": None,
    "data": None,
    "http": "spiders.politeness.HttpHostGate",
    "https": "spiders.politeness.HttpsHostGate",
}
EXTENSIONS = {"spiders.progress.ProgressLog": 500}
# Scrapy components that the settings below switch off anyway. Scrapy imports every
# component it is told about, even one set to None, only to drop it (RemoteControl alone
# imports aiohttp, ~90 ms a crawl); so they are left out of the base lists instead.
SWITCHED_OFF = frozenset(
    {
        "scrapy.downloadermiddlewares.cookies.CookiesMiddleware",  # COOKIES_ENABLED False
        "scrapy.downloadermiddlewares.httpcache.HttpCacheMiddleware",  # HTTPCACHE_ENABLED False
        "scrapy.extensions.telnet.TelnetConsole",  # TELNETCONSOLE_ENABLED False
        "scrapy.extensions.remote_control.RemoteControl",  # REMOTE_CONTROL_ENABLED False
        "scrapy.extensions.memdebug.MemoryDebugger",  # MEMDEBUG_ENABLED False (default)
        "scrapy.extensions.feedexport.FeedExporter",  # no FEEDS
        "scrapy.extensions.spiderstate.SpiderState",  # no JOBDIR
    }
)
# Components with nothing to do in this crawl, each of which still runs on every request
# or response (together ~0.25 ms a page): the spider keeps discovery on the outlet's site
# itself (no allowed_domains), sends no credentials, keeps its own counts (not Scrapy's
# stats), bounds listing pages itself (no depth limit), and needs no Referer header.
# Scrapy's URL-length filter drops long URLs without a trace; the fetch policy refuses
# URLs over MAX_URL_LENGTH instead, with a fetch row (outcome url_too_long).
UNUSED = frozenset(
    {
        "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware",
        "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware",
        "scrapy.downloadermiddlewares.httpauth.HttpAuthMiddleware",
        "scrapy.downloadermiddlewares.stats.DownloaderStats",
        "scrapy.spidermiddlewares.referer.RefererMiddleware",
        "scrapy.spidermiddlewares.depth.DepthMiddleware",
        "scrapy.spidermiddlewares.metacopy.MetaCopyDetectionMiddleware",
    }
)


LEFT_OUT = SWITCHED_OFF | UNUSED


def _without_switched_off(base: dict[str, int | None]) -> dict[str, int | None]:
    return {REPLACEMENTS.get(path, path): order for path, order in base.items() if path not in LEFT_OUT}


ITEM_PIPELINES = {
    "spiders.pipelines.ExtractionPipeline": 300,
    "spiders.pipelines.StoragePipeline": 400,
}


def outlet_settings(outlet: OutletConfig, user_agent: str, *, log_level: str = "WARNING") -> dict[str, Any]:
    delay = outlet.min_delay_seconds
    return {
        "BOT_NAME": "dadkhah",
        "USER_AGENT": user_agent,
        "ROBOTSTXT_OBEY": True,
        "ROBOTSTXT_PARSER": "scrapy.robotstxt.ProtegoRobotParser",
        "ROBOTSTXT_USER_AGENT": "dadkhah",
        "DOWNLOAD_DELAY": delay,
        "DOWNLOAD_DELAY_JITTER": 0.5 if delay > 0 else 0,
        "AUTOTHROTTLE_ENABLED": delay > 0,
        "AUTOTHROTTLE_START_DELAY": max(delay, 0.1),
        "AUTOTHROTTLE_MAX_DELAY": max(60.0, delay * 4),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
        "CONCURRENT_REQUESTS": 16,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 2 if delay > 0 else 8,
        # The item pipelines are synchronous, so items never overlap anyway; Scrapy's
        # default (100) only spawns 100 idle asyncio worker tasks for every response.
        "CONCURRENT_ITEMS": 1,
        # Scrapy re-reads and re-tokenises a callback's source on every response to warn
        # about `return value` in a generator (bound methods defeat its cache): ~0.2 ms a
        # page. The spider's callbacks only ever `return` bare.
        "WARN_ON_GENERATOR_RETURN_VALUE": False,
        "DOWNLOAD_TIMEOUT": outlet.timeout_seconds,
        "DOWNLOAD_MAXSIZE": outlet.max_body_bytes,
        "DOWNLOAD_WARNSIZE": max(outlet.max_body_bytes // 2, 1),
        "RETRY_ENABLED": True,
        "RETRY_TIMES": 2,
        "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408, 429],
        "REDIRECT_MAX_TIMES": 5,
        "URLLENGTH_LIMIT": MAX_URL_LENGTH,
        "DOWNLOAD_HANDLERS": DOWNLOAD_HANDLERS,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        # Scrapy >= 2.19 otherwise serves an HTTP endpoint on localhost that runs Python
        # code sent to it; a crawler of untrusted sites has no use for one.
        "REMOTE_CONTROL_ENABLED": False,
        "HTTPCACHE_ENABLED": False,
        "LOG_LEVEL": log_level,
        "DOWNLOADER_MIDDLEWARES": DOWNLOADER_MIDDLEWARES,
        "DOWNLOADER_MIDDLEWARES_BASE": _without_switched_off(default_settings.DOWNLOADER_MIDDLEWARES_BASE),
        "SPIDER_MIDDLEWARES_BASE": _without_switched_off(default_settings.SPIDER_MIDDLEWARES_BASE),
        "EXTENSIONS_BASE": _without_switched_off(default_settings.EXTENSIONS_BASE),
        "ITEM_PIPELINES": ITEM_PIPELINES,
        "EXTENSIONS": EXTENSIONS,
        "DEFAULT_REQUEST_HEADERS": {
            "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,"
            "application/rss+xml;q=0.9,application/atom+xml;q=0.9,*/*;q=0.5",
            "Accept-Language": f"{outlet.language},en;q=0.5",
        },
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
    }
