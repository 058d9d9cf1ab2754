"""Canonical URLs: one spelling per page, so that a stored article is never fetched again.

Tracking parameters and fragments go, scheme and host are lower-cased, default ports
dropped, query parameters sorted. A page's own ``rel=canonical`` / ``og:url`` is honoured
when it stays on the same site (AMP and print variants map to their article).
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import courlan
from lxml import etree as lxml_etree
from lxml import html as lxml_html
from w3lib.url import canonicalize_url, safe_url_string

from pipeline.sites import site_of

# Parameters that only say how a reader arrived: never part of a page's identity.
TRACKING_PARAM = re.compile(
    r"^(utm_[a-z_]+|fbclid|gclid|dclid|gbraid|wbraid|msclkid|yclid|igshid|mc_cid|mc_eid"
    r"|_hsenc|_hsmi|mkt_tok|oly_anon_id|oly_enc_id|vero_id|rb_clickid|s_cid|ref_src|ref_url"
    r"|cmpid|ncid|ocid|sr_share|share|at_medium|at_campaign|at_custom\d|__twitter_impression)$",
    re.IGNORECASE,
)


def strip_tracking(url: str) -> str:
    parts = urlsplit(url)
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not TRACKING_PARAM.match(k)]
    return urlunsplit(parts._replace(query=urlencode(kept, doseq=True), fragment=""))


@lru_cache(maxsize=4096)  # a pure function of its string; a page's URL is canonicalised 2-3 times
def canonicalize(url: str) -> str:
    """Normalised form of ``url`` used as the identity of a page."""
    url = safe_url_string(url.strip())
    normalised = courlan.normalize_url(url, strict=False) or url
    return canonicalize_url(strip_tracking(normalised), keep_fragments=False)


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def same_site(url_a: str, url_b: str) -> bool:
    return site_of(host_of(url_a)) == site_of(host_of(url_b))


# rel="canonical" in any letter case among other rel tokens, then og:url; relative to the
# element given, so that a <head> element is searched alone.
_CANONICAL_HREFS = lxml_etree.XPath(
    './/link[contains(concat(" ", normalize-space(translate(@rel, "CANONICAL", "canonical")),'
    ' " "), " canonical ")]/@href'
)
_OG_URLS = lxml_etree.XPath('.//meta[@property="og:url"]/@content')


def declared_urls(element) -> list[str]:
    """The URLs a page declares for itself, as written: ``rel=canonical`` links, then ``og:url``."""
    return [str(href) for href in _CANONICAL_HREFS(element)] + [str(url) for url in _OG_URLS(element)]


def pick_declared_canonical(candidates: list[str], page_url: str) -> str | None:
    """The first declared URL that is http(s) and on the page's site, canonicalised (one
    that is no URL at all is passed over: it must not keep the article from being stored)."""
    for href in candidates:
        href = href.strip()
        if not href:
            continue
        try:
            absolute = urljoin(page_url, href)
            if urlsplit(absolute).scheme in ("http", "https") and same_site(absolute, page_url):
                return canonicalize(absolute)
        except ValueError:  # no URL (an unclosed IPv6 bracket, a port that is no number)
            continue
    return None


def declared_canonical(html_text: str, page_url: str) -> str | None:
    """The page's ``rel=canonical`` (or ``og:url``), canonicalised, if on the same site.

    For a page already parsed, ``pick_declared_canonical(declared_urls(head), url)`` does the
    same without parsing it again (the extraction reports ``declared_urls``)."""
    if not html_text:
        return None
    # Canonical links live in <head>: parse only that part of a possibly large page.
    head_end = html_text.find("</head>")
    head = html_text[: head_end + 7] if 0 < head_end < 400_000 else html_text[:400_000]
    try:
        doc = lxml_html.fromstring(head)
    except (ValueError, lxml_html.etree.ParserError):
        return None
    return pick_declared_canonical(declared_urls(doc), page_url)
