"""Canonical URLs and parsing of feeds, sitemaps and listing pages."""

import gzip

import pytest

from pipeline.extraction import ExtractionHints, extract_article
from pipeline.urls import canonicalize, declared_canonical, pick_declared_canonical, same_site
from spiders.discovery import maybe_gunzip, parse_feed, parse_listing, parse_sitemap


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HTTPS://Example.ORG:443/News/a/?utm_source=rss&utm_medium=feed#top", "https://example.org/News/a/"),
        ("https://example.org/?p=123&fbclid=x&gclid=y", "https://example.org/?p=123"),
        ("https://example.org/a?b=2&a=1", "https://example.org/a?a=1&b=2"),
        ("http://example.org:80/x", "http://example.org/x"),
        (
            "https://fa.example.org/خبر/اعدام",
            "https://fa.example.org/%D8%AE%D8%A8%D8%B1/%D8%A7%D8%B9%D8%AF%D8%A7%D9%85",
        ),
    ],
)
def test_canonicalize(raw, expected):
    assert canonicalize(raw) == expected


def test_declared_canonical_same_site_only():
    amp = '<html><head><link rel="canonical" href="/news/x/"></head></html>'
    assert declared_canonical(amp, "https://example.org/news/x/amp/") == "https://example.org/news/x/"
    og = '<html><head><meta property="og:url" content="https://www.example.org/n/1?utm_campaign=a"></head></html>'
    assert declared_canonical(og, "https://example.org/n/1/print") == "https://www.example.org/n/1"
    foreign = '<html><head><link rel="canonical" href="https://aggregator.net/copy"></head></html>'
    assert declared_canonical(foreign, "https://example.org/a") is None
    assert same_site("https://amp.example.org/a", "https://www.example.org/b")


def test_the_extraction_reports_the_declared_urls_storage_picks_from() -> None:
    body = "".join(
        f"<p>Paragraph {i} about the prisoner's transfer and the family's appeal.</p>" for i in range(8)
    )
    html = (
        '<html><head><link rel="amphtml" href="/news/x/amp/"><link rel="Canonical alternate" href="/news/x/">'
        '<meta property="og:url" content="https://example.org/news/x/?utm_source=tw"></head>'
        f'<body><link rel="canonical" href="/elsewhere/"><article>{body}</article></body></html>'
    )
    url = "https://example.org/news/x/amp/"
    art = extract_article(html, ExtractionHints(url=url))
    assert art.declared_urls == ["/news/x/", "https://example.org/news/x/?utm_source=tw"]  # <head> only
    assert pick_declared_canonical(art.declared_urls, url) == declared_canonical(html, url)
    assert declared_canonical(html, url) == "https://example.org/news/x/"
    assert (
        pick_declared_canonical(["https://aggregator.net/copy", "/news/x/"], url)
        == "https://example.org/news/x/"
    )
    assert pick_declared_canonical(["javascript:void(0)", " "], url) is None


def test_parse_rss_and_atom():
    rss = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
    <item><title>A</title><link>https://e.org/a</link><pubDate>Sat, 12 Jul 2025 05:00:00 +0000</pubDate></item>
    <item><title>B</title><link>/b</link></item></channel></rss>"""
    items = parse_feed(rss, "https://e.org/feed/")
    assert [c.url for c in items] == ["https://e.org/a", "https://e.org/b"]
    assert items[0].published.isoformat() == "2025-07-12T05:00:00+00:00"
    atom = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
    <entry><title>A</title><link href="https://e.org/x"/><id>1</id><published>2025-01-02T03:04:05Z</published></entry></feed>"""
    assert parse_feed(atom, "https://e.org/")[0].published.day == 2


def test_parse_sitemaps_index_news_and_gzip():
    index = b"""<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
    <sitemap><loc>https://e.org/s1.xml.gz</loc></sitemap></sitemapindex>"""
    content = parse_sitemap(index, "https://e.org/")
    assert content.is_index and content.sitemaps == ["https://e.org/s1.xml.gz"]
    news = b"""<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
      xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url><loc>https://e.org/n</loc>
      <news:news><news:publication_date>2025-07-12T08:30:00+03:30</news:publication_date></news:news></url></urlset>"""
    packed = gzip.compress(news)
    content = parse_sitemap(maybe_gunzip(packed, 10_000), "https://e.org/")
    assert content.articles[0].url == "https://e.org/n"
    assert content.articles[0].published_raw == "2025-07-12T08:30:00+03:30"
    with pytest.raises(ValueError, match="expands beyond"):
        maybe_gunzip(packed, 10)
    with pytest.raises(ValueError, match="not a sitemap"):
        parse_sitemap(b"<html><body>hi</body></html>", "https://e.org/")


def test_parse_listing_links_and_next_page():
    html = """<html><body><a href="/news/a/">A</a><a href="https://other.org/x">off</a>
    <a href="mailto:x@e.org">mail</a><a href="/news/page/2/">Older posts »</a></body></html>"""
    content = parse_listing(html, "https://e.org/news/")
    assert content.links == ["https://e.org/news/a/"]
    assert content.next_page == "https://e.org/news/page/2/"
    persian = (
        '<html><body><a href="/p/1">خبر</a><a rel="next" href="/list?page=2">صفحه بعدی</a></body></html>'
    )
    assert parse_listing(persian, "https://e.org/list").next_page == "https://e.org/list?page=2"
