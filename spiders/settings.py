"""Scrapy settings for one outlet's crawl: polite, bounded, and logged."""

from __future__ import annotations

from typing import Any

from pipeline.config import OutletConfig

# Our fetch log sits next to the downloader so it sees each raw attempt.
DOWNLOADER_MIDDLEWARES = {"spiders.fetchlog.FetchLogMiddleware": 950}
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
        "DOWNLOAD_TIMEOUT": outlet.timeout_seconds,
        "DOWNLOAD_MAXSIZE": outlet.max_body_bytes,
        "DOWNLOAD_WARNSIZE": max(outlet.max_body_bytes // 2, 1),
        "RETRY_ENABLED": True,
        "RETRY_TIMES": 2,
        "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408, 429],
        "REDIRECT_MAX_TIMES": 5,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "HTTPCACHE_ENABLED": False,
        "LOG_LEVEL": log_level,
        "DOWNLOADER_MIDDLEWARES": DOWNLOADER_MIDDLEWARES,
        "ITEM_PIPELINES": ITEM_PIPELINES,
        "EXTENSIONS": {"spiders.progress.ProgressLog": 500},
        "DEFAULT_REQUEST_HEADERS": {
            "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,"
            "application/rss+xml;q=0.9,application/atom+xml;q=0.9,*/*;q=0.5",
            "Accept-Language": f"{outlet.language},en;q=0.5",
        },
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
    }
