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
        "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware",
        "scrapy.downloadermiddlewares.retry.RetryMiddleware",
        "scrapy.downloadermiddlewares.redirect.RedirectMiddleware",
        "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware",
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
    assert settings["DOWNLOAD_HANDLERS"] == {"file": None, "s3": None, "ftp": None, "data": None}
