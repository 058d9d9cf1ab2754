"""Scrapy's redirect middlewares without their warning about a missing Referer middleware.

The crawl leaves Scrapy's Referer middleware out on purpose (it sends no Referer header at
all: spiders.settings), and Scrapy's redirect middlewares then warn on every run that they
will drop the header on redirects, which is exactly what is wanted. These subclasses are
configured without looking for that middleware, so the warning is never raised; the header
is still removed from redirected requests (BaseRedirectMiddleware.handle_referer).
"""

from __future__ import annotations

from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware, RedirectMiddleware


class _WithoutReferer:
    @classmethod
    def from_crawler(cls, crawler: Crawler):
        middleware = cls(crawler.settings)  # type: ignore[call-arg]
        middleware.crawler = crawler
        return middleware


class QuietRedirectMiddleware(_WithoutReferer, RedirectMiddleware):
    pass


class QuietMetaRefreshMiddleware(_WithoutReferer, MetaRefreshMiddleware):
    pass


# Scrapy's paths and the replacements that take their places (and priorities).
REPLACEMENTS = {
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": "spiders.redirects.QuietRedirectMiddleware",
    # Meta refresh as Scrapy does it, except that a page refreshing itself is parsed.
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": (
        "spiders.policy.SelfRefreshMetaRefreshMiddleware"
    ),
    # Not a redirect: robots.txt checked for requests that waited for it too (spiders.robots).
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": "spiders.robots.WaitingRobotsTxtMiddleware",
}
