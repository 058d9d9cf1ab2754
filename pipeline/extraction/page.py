"""The parsed page: loading, ZWNJ protection, structured data and meta tags."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from lxml.html import HtmlElement
from trafilatura.utils import load_html

log = logging.getLogger(__name__)

# trafilatura drops every non-printable character, ZWNJ (U+200C) and ZWJ (U+200D)
# included, which welds Persian words together ("گزارش‌های" -> "گزارشهای"). Before
# extraction each is swapped for a printable placeholder that survives, and swapped back
# after. Candidates are rare symbols; one that already occurs in the page is skipped.
_PROTECTED = ("\u200c", "\u200d")
_PLACEHOLDER_CANDIDATES = (
    "\u2bd1",
    "\u2bd2",
    "\u16ed",
    "\ua8f8",
    "\u2e3a",
    "\u2e3b",
    "\u29eb",
    "\u2bd0",
)


# Named references need their semicolon; numeric ones are decoded without it, and with
# leading zeros (``&#8204``, ``&#08204;``, ``&#x0200c;``).
_JOINER_ENTITY = re.compile(r"&(zwn?j;|#0*820[45];?|#x0*200[cd];?)", re.IGNORECASE)


class Protector:
    """Maps protected invisible characters to placeholders and back."""

    def __init__(self, html: str) -> None:
        # Most non-Persian pages hold no joiner: then nothing is swapped either way.
        self.active = self.needed(html)
        free = [c for c in _PLACEHOLDER_CANDIDATES if c not in html] if self.active else []
        self.forward = dict(zip(_PROTECTED, free, strict=False))
        self.backward = {v: k for k, v in self.forward.items()}
        self._fwd_table = str.maketrans(self.forward)
        self._back_table = str.maketrans(self.backward)

    def protect(self, s: str) -> str:
        if not any(c in s for c in _PROTECTED):  # the common case, without a translate()
            return s
        return s.translate(self._fwd_table)

    def restore(self, s: str | None) -> str | None:
        return s.translate(self._back_table) if s is not None and self.active else s

    @staticmethod
    def needed(html: str) -> bool:
        """Whether the page holds a joiner (as a character or an entity) to protect."""
        return any(c in html for c in _PROTECTED) or _JOINER_ENTITY.search(html) is not None

    def protect_tree(self, tree: HtmlElement) -> None:
        if not self.active:
            return  # most non-Persian pages: nothing to protect, skip the walk
        # lxml hands out a new str on each .text access: compare with the one protected.
        for el in tree.iter():
            if isinstance(el.tag, str):
                text = el.text
                if text and (protected := self.protect(text)) is not text:
                    el.text = protected
                for name, value in el.attrib.items():
                    if (protected := self.protect(value)) is not value:
                        el.set(name, protected)
            tail = el.tail
            if tail and (protected := self.protect(tail)) is not tail:
                el.tail = protected


def parse_html(html: str) -> HtmlElement | None:
    """Parse with trafilatura's loader (its repairs and sanity checks)."""
    return load_html(html)


def drop_elements(tree: HtmlElement, selectors: tuple[str, ...]) -> int:
    """Remove every element matching the CSS selectors (keeping their tails); count them."""
    removed = 0
    for selector in selectors:
        try:
            matches = tree.cssselect(selector)
        except Exception as exc:  # noqa: BLE001 - a bad per-outlet selector must not kill a run
            log.warning("ignoring invalid drop selector %r: %s", selector, exc)
            continue
        for el in matches:
            parent = el.getparent()
            if parent is None:
                continue
            el.drop_tree()
            removed += 1
    return removed


# Elements trafilatura deletes with their content before its main extraction (they are
# in its MANUALLY_CLEANED list), but only after it has pruned, copied and scored the raw
# page several times over. A page's menus, sidebars, footers and scripts are most of its
# nodes: removing them first makes trafilatura several times faster on such pages. Its
# comparison with readability does see the raw page, so removing them is not the same in
# every case; on every local page (the extraction benchmark, the test pages, the fixture
# site) the output is identical and the benchmark's F1 is the same (extractor 1.3).
# JSON-LD scripts stay (trafilatura's forum-page check reads them), and so does anything
# inside a <figure>, which trafilatura keeps or deletes by what it holds.
PRE_PRUNED_TAGS = ("nav", "footer", "aside", "script", "style", "noscript", "svg", "iframe")


def prune_page_chrome(tree: HtmlElement) -> int:
    """Remove PRE_PRUNED_TAGS elements with their content (keeping their tails); count them."""
    doomed = [
        el
        for el in tree.iter(*PRE_PRUNED_TAGS)
        if not (el.tag == "script" and (el.get("type") or "").strip().lower() == "application/ld+json")
    ]
    removed = 0
    for el in doomed:
        ancestors = list(el.iterancestors())
        if not ancestors or ancestors[-1] is not tree:
            continue  # the root itself, or gone already with a removed ancestor
        if any(a.tag == "figure" for a in ancestors):
            # trafilatura keeps a <figure> holding a table (as a <div>) and deletes any
            # other: what it would hold decides, so a figure's content stays as it is.
            continue
        el.drop_tree()
        removed += 1
    return removed


ARTICLE_TYPES = frozenset(
    {
        "article",
        "newsarticle",
        "reportagenews",
        "blogposting",
        "analysisnewsarticle",
        "opinionnewsarticle",
        "backgroundnewsarticle",
        "reviewnewsarticle",
        "socialmediaposting",
        "scholarlyarticle",
        "techarticle",
        "report",
        "liveblogposting",
        "posting",
    }
)
LISTING_TYPES = frozenset({"collectionpage", "itemlist", "searchresultspage", "profilepage"})
# JSON-LD nodes whose names are the site's names ("HRANA" and "Human Rights Activists News
# Agency" in one Yoast graph): all are stripped from titles and text ends as site names.
SITE_TYPES = frozenset({"organization", "newsmediaorganization", "website"})


def _types(obj: dict[str, Any]) -> set[str]:
    t = obj.get("@type")
    if isinstance(t, str):
        return {t.lower()}
    if isinstance(t, list):
        return {x.lower() for x in t if isinstance(x, str)}
    return set()


def _walk_jsonld(node: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if isinstance(node, list):
        for item in node:
            out.extend(_walk_jsonld(item))
    elif isinstance(node, dict):
        out.append(node)
        for key in ("@graph", "mainEntity", "mainEntityOfPage", "itemListElement"):
            if key in node and isinstance(node[key], (list, dict)):
                out.extend(_walk_jsonld(node[key]))
    return out


_JSON_COMMENT = re.compile(r"^\s*(<!--|//<!\[CDATA\[)|(-->|//\]\]>)\s*$", re.M)


def _load_json(raw: str) -> Any:
    raw = _JSON_COMMENT.sub("", raw).strip().rstrip(";")
    try:
        return json.loads(raw)
    except ValueError:
        try:  # control characters inside strings are common
            return json.loads(raw, strict=False)
        except ValueError:
            return None


def _name_of(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        name = value.get("name")
        return [name] if isinstance(name, str) else []
    if isinstance(value, list):
        return [n for v in value for n in _name_of(v)]
    return []


@dataclass
class StructuredData:
    """What the page says about itself in JSON-LD and meta tags."""

    article_types: set[str] = field(default_factory=set)
    listing_types: set[str] = field(default_factory=set)
    headline: str | None = None
    date_published: str | None = None
    date_created: str | None = None
    authors: list[str] = field(default_factory=list)
    publisher: str | None = None
    site_names: list[str] = field(default_factory=list)  # of Organization / WebSite nodes
    in_language: str | None = None
    article_body: str | None = None
    meta: dict[str, str] = field(default_factory=dict)  # lower-cased property/name -> content
    html_lang: str | None = None

    @property
    def is_article(self) -> bool:
        og_type = self.meta.get("og:type", "").lower()
        return bool(self.article_types) or og_type == "article" or "article:published_time" in (self.meta)


def read_structured_data(tree: HtmlElement) -> StructuredData:
    sd = StructuredData()
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        data = _load_json(script.text or "")
        for obj in _walk_jsonld(data):
            types = _types(obj)
            if types & SITE_TYPES:
                for key in ("name", "legalName", "alternateName"):
                    for name in _name_of(obj.get(key)):
                        if name.strip() and name.strip() not in sd.site_names:
                            sd.site_names.append(name.strip())
            if types & LISTING_TYPES:
                sd.listing_types |= types & LISTING_TYPES
            if not types & ARTICLE_TYPES:
                if "publisher" in obj and not sd.publisher:
                    names = _name_of(obj.get("publisher"))
                    sd.publisher = names[0] if names else None
                continue
            sd.article_types |= types & ARTICLE_TYPES
            if not sd.headline and isinstance(obj.get("headline"), str):
                sd.headline = obj["headline"]
            if not sd.date_published and isinstance(obj.get("datePublished"), str):
                sd.date_published = obj["datePublished"]
            if not sd.date_created and isinstance(obj.get("dateCreated"), str):
                sd.date_created = obj["dateCreated"]
            if not sd.authors:
                sd.authors = _name_of(obj.get("author"))
            if not sd.publisher:
                names = _name_of(obj.get("publisher"))
                sd.publisher = names[0] if names else None
            if not sd.in_language and isinstance(obj.get("inLanguage"), str):
                sd.in_language = obj["inLanguage"]
            if not sd.article_body and isinstance(obj.get("articleBody"), str):
                sd.article_body = obj["articleBody"]
    for meta in tree.iter("meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").strip()
        content = meta.get("content")
        if key and content and key.lower() not in sd.meta:
            sd.meta[key.lower()] = content.strip()
        equiv = (meta.get("http-equiv") or "").lower()
        if equiv == "content-language" and content:
            sd.meta.setdefault("content-language", content.strip())
    root = tree.getroottree().getroot()
    sd.html_lang = root.get("lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang")
    return sd
