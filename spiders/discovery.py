"""Parsing of discovery documents: feeds, sitemaps and listing pages -> candidate URLs.

Pure functions over bytes, so they are testable without a crawl.
"""

from __future__ import annotations

import calendar
import gzip
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import feedparser
from lxml import etree
from lxml import html as lxml_html
from w3lib.url import safe_url_string

_GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class Candidate:
    url: str
    published: datetime | None = None
    published_raw: str | None = None


def parse_iso_date(raw: str | None) -> datetime | None:
    if not raw:
        return None
    value = raw.strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def absolute_url(base_url: str, link: str) -> str | None:
    """``link`` made absolute against ``base_url``, or None when it is no URL at all (an
    unclosed IPv6 bracket, a port that is no number): one such link in a feed, sitemap or
    listing is skipped, never the end of reading the document."""
    try:
        url = urljoin(base_url, link.strip())
        urlsplit(url).port  # noqa: B018 - raises ValueError for a port that is no number
        safe_url_string(url)  # what canonicalize and a request do to it first
    except ValueError:
        return None
    return url


def parse_feed(body: bytes, base_url: str) -> list[Candidate]:
    """Entries of an RSS or Atom feed, with the date each entry gives."""
    parsed = feedparser.parse(io.BytesIO(body), response_headers={"content-location": base_url})
    out: list[Candidate] = []
    for entry in parsed.entries:
        link = entry.get("link")
        if not link:
            continue
        struct = entry.get("published_parsed") or entry.get("updated_parsed")
        when = datetime.fromtimestamp(calendar.timegm(struct), UTC) if struct else None
        raw = entry.get("published") or entry.get("updated")
        url = absolute_url(base_url, link)
        if url is not None:
            out.append(Candidate(url, when, raw))
    return out


def looks_like_feed_error(body: bytes) -> str | None:
    parsed = feedparser.parse(io.BytesIO(body))
    if parsed.bozo and not parsed.entries:
        return f"not a readable feed: {parsed.get('bozo_exception')}"
    return None


def maybe_gunzip(body: bytes, max_size: int) -> bytes:
    if not body.startswith(_GZIP_MAGIC):
        return body
    with gzip.GzipFile(fileobj=io.BytesIO(body)) as fh:
        data = fh.read(max_size + 1)
    if len(data) > max_size:
        raise ValueError(f"gzipped sitemap expands beyond {max_size} bytes")
    return data


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


@dataclass(frozen=True)
class SitemapContent:
    is_index: bool
    sitemaps: list[str]
    articles: list[Candidate]
    sitemap_lastmod: dict[str, datetime] = field(default_factory=dict)  # child sitemap -> <lastmod>

    def sitemaps_newest_first(self) -> list[str]:
        """Child sitemaps, those with the latest ``<lastmod>`` first (undated ones last, in
        document order): under the per-pass discovery cap, the recent articles are reached."""
        oldest = datetime.min.replace(tzinfo=UTC)
        return sorted(self.sitemaps, key=lambda url: self.sitemap_lastmod.get(url, oldest), reverse=True)


def parse_sitemap(body: bytes, base_url: str) -> SitemapContent:
    """A sitemap or sitemap index; news-sitemap publication dates are used when present."""
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)
    root = etree.fromstring(body, parser=parser)
    if root is None:
        raise ValueError("not an XML sitemap")
    is_index = _local(root.tag) == "sitemapindex"
    sitemaps: list[str] = []
    sitemap_lastmod: dict[str, datetime] = {}
    articles: list[Candidate] = []
    for elem in root:
        name = _local(elem.tag)
        if name not in ("url", "sitemap"):
            continue
        loc = lastmod = published = None
        for child in elem.iter():
            child_name = _local(child.tag)
            text = (child.text or "").strip()
            if child_name == "loc" and loc is None:
                loc = text
            elif child_name == "lastmod":
                lastmod = text
            elif child_name == "publication_date":
                published = text
        loc = absolute_url(base_url, loc) if loc else None
        if not loc:
            continue
        if name == "sitemap":
            sitemaps.append(loc)
            when = parse_iso_date(lastmod)
            if when is not None:
                sitemap_lastmod.setdefault(loc, when)
        else:
            raw = published or lastmod
            articles.append(Candidate(loc, parse_iso_date(raw), raw))
    if _local(root.tag) not in ("urlset", "sitemapindex"):
        raise ValueError(f"not a sitemap: root element <{_local(root.tag)}>")
    return SitemapContent(is_index, sitemaps, articles, sitemap_lastmod)


_NEXT_WORDS = ("next", "older", "more", "›", "»", "بعدی", "قدیمی‌تر", "بیشتر")


@dataclass(frozen=True)
class ListingContent:
    links: list[str]
    next_page: str | None


def parse_listing(html_text: str, base_url: str) -> ListingContent:
    """Same-host links of a listing page, and its next-page link if it has one."""
    doc = lxml_html.fromstring(html_text or "<html></html>")
    host = urlsplit(base_url).hostname
    links: list[str] = []
    next_page: str | None = None
    for href in doc.xpath('//link[@rel="next"]/@href | //a[@rel="next"]/@href'):
        next_page = absolute_url(base_url, href)
        if next_page is not None:
            break
    for anchor in doc.xpath("//a[@href]"):
        href = anchor.get("href", "").strip()
        if not href or href.startswith(("#", "mailto:", "javascript:", "tel:")):
            continue
        url = absolute_url(base_url, href)
        if url is None or urlsplit(url).hostname != host or urlsplit(url).scheme not in ("http", "https"):
            continue
        label = " ".join(anchor.text_content().split()).lower()
        if next_page is None and label and any(word in label for word in _NEXT_WORDS) and len(label) < 30:
            next_page = url
            continue
        links.append(url)
    return ListingContent(list(dict.fromkeys(links)), next_page)
