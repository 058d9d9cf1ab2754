"""An offline, multi-outlet news site served on loopback addresses.

It ships with the project so that `dadkhah demo` works with no network, and the tests
crawl it: feeds, sitemaps, paginated listings, WordPress-like boilerplate, tracking and
AMP variants, a redirect, robots.txt rules, a flaky 500, a slow page, a PDF, an empty
page, a huge page and a windows-1252 page.
"""

from pipeline.fixture_site.server import FixtureSite, fixture_outlets_yaml, serve_fixture_site

__all__ = ["FixtureSite", "fixture_outlets_yaml", "serve_fixture_site"]
