"""The crawl's Scrapy settings: components left out must exist in Scrapy and stay out."""

from __future__ import annotations

from scrapy.settings import default_settings

from pipeline.config import OutletConfig
from spiders.settings import SWITCHED_OFF, UNUSED, outlet_settings

SCRAPY_COMPONENTS = {
    **default_settings.DOWNLOADER_MIDDLEWARES_BASE,
    **default_settings.SPIDER_MIDDLEWARES_BASE,
    **default_settings.EXTENSIONS_BASE,
}


def _settings() -> dict:
    outlet = OutletConfig(
        name="Example", home="https://example.org/", language="en", feeds=["https://example.org/feed/"]
    )
    return outlet_settings(outlet, "dadkhah-test (+https://example.org/about)")


def test_left_out_components_are_named_as_scrapy_names_them() -> None:
    # A Scrapy upgrade that renames one would otherwise bring it back unnoticed.
    assert SWITCHED_OFF | UNUSED <= set(SCRAPY_COMPONENTS)


def test_left_out_components_are_not_loaded_and_the_needed_ones_are() -> None:
    settings = _settings()
    loaded = {
        *settings["DOWNLOADER_MIDDLEWARES_BASE"],
        *settings["SPIDER_MIDDLEWARES_BASE"],
        *settings["EXTENSIONS_BASE"],
    }
    assert not loaded & (SWITCHED_OFF | UNUSED)
    for needed in (
        # Scrapy's robots.txt middleware, checking the requests that waited for robots.txt too.
        "spiders.robots.WaitingRobotsTxtMiddleware",
        "scrapy.downloadermiddlewares.retry.RetryMiddleware",
        # Scrapy's redirect middlewares, at their places, as subclasses that do not warn
        # about the Referer middleware left out (spiders.redirects).
        "spiders.redirects.QuietRedirectMiddleware",
        "spiders.policy.SelfRefreshMetaRefreshMiddleware",
        "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware",
        "scrapy.downloadermiddlewares.httpproxy.HttpProxyMiddleware",
        "scrapy.downloadermiddlewares.downloadtimeout.DownloadTimeoutMiddleware",
        "scrapy.spidermiddlewares.httperror.HttpErrorMiddleware",
        "scrapy.extensions.throttle.AutoThrottle",
    ):
        assert needed in loaded, needed
    # Long URLs are the fetch policy's to refuse, with a fetch row (url_too_long), not
    # Scrapy's URL-length filter's to drop unseen; the policy is on, other handlers are off.
    assert "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware" in UNUSED
    assert {"spiders.policy.FetchPolicyMiddleware", "spiders.policy.FetchGuardMiddleware"} <= set(
        settings["DOWNLOADER_MIDDLEWARES"]
    )
    handlers = settings["DOWNLOAD_HANDLERS"]
    assert {k: handlers[k] for k in ("file", "s3", "ftp", "data")} == dict.fromkeys(
        ("file", "s3", "ftp", "data")
    )
    assert handlers["http"] == "spiders.politeness.HttpHostGate"
    assert handlers["https"] == "spiders.politeness.HttpsHostGate"
    base = default_settings.DOWNLOADER_MIDDLEWARES_BASE
    loaded_base = settings["DOWNLOADER_MIDDLEWARES_BASE"]
    assert (
        loaded_base["spiders.redirects.QuietRedirectMiddleware"]
        == base["scrapy.downloadermiddlewares.redirect.RedirectMiddleware"]
    )
    assert (
        loaded_base["spiders.policy.SelfRefreshMetaRefreshMiddleware"]
        == base["scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware"]
    )
    assert not {
        "scrapy.downloadermiddlewares.redirect.RedirectMiddleware",
        "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware",
    } & set(loaded_base)
