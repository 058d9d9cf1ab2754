"""extract_article: one HTML page in, one clean article (or NotAnArticle) out."""

from __future__ import annotations

import copy
import html as html_lib
import itertools
import logging
import re
import unicodedata
from typing import Any
from urllib.parse import urlsplit

import trafilatura
import trafilatura.metadata as tm
from lxml.html import HtmlElement
from trafilatura.settings import Document
from trafilatura.utils import load_html

from pipeline.extraction import boilerplate
from pipeline.extraction.completion import complete_paragraphs
from pipeline.extraction.dates import Source, find_published, is_date_line
from pipeline.extraction.jalali import fold_chars
from pipeline.extraction.language import choose_language
from pipeline.extraction.page import (
    PRE_PRUNED_TAGS,
    Protector,
    StructuredData,
    drop_elements,
    parse_html,
    prune_page_chrome,
    read_structured_data,
)
from pipeline.extraction.types import (
    EXTRACTOR_ID,
    EXTRACTOR_VERSION,
    ExtractedArticle,
    ExtractionHints,
    NotAnArticle,
)
from pipeline.urls import declared_urls

__all__ = [
    "EXTRACTOR_ID",
    "EXTRACTOR_VERSION",
    "ExtractedArticle",
    "ExtractionHints",
    "NotAnArticle",
    "extract_article",
]

log = logging.getLogger(__name__)

TRAFILATURA_OPTIONS: dict[str, Any] = {
    "favor_precision": True,
    "include_comments": False,
    "include_tables": True,
    "include_images": False,
    "include_links": False,
    "include_formatting": False,
    "deduplicate": False,
    # The body text does not depend on trafilatura's metadata search (the page URL is
    # given), so that search runs on its own, and only where it is needed: see below.
    "with_metadata": False,
}
# trafilatura's metadata search also looks for a date, a licence, categories and tags,
# which dadkhah does not use, and costs about a third of trafilatura's time on a page
# with a large menu and footer. It fills only what the page's structured data leaves
# open: headline, authors, site name.
TRAFILATURA_METADATA = (
    "extract_metadata's title, author and site name steps, when structured data lacks a headline,"
    " authors or a site name"
)
# Fewer words than this (``\w+`` tokens) is no article: a stub, a gallery, an error page.
MIN_WORDS = 30
# Kept words a page needs when the word minimum was met before its boilerplate lines went.
CLEANED_FLOOR = 20
# Listing, tag, category, author, search and pagination paths.
LISTING_PATH_RE = re.compile(
    r"/(tag|tags|category|categories|topic|topics|author|authors|search|archive|archives"
    r"|section|sections|label|labels|feed)(/|$)|/page/\d+/?$|^/?\?(.*&)?s=",
    re.I,
)
# Combination policy (see _combine): a paragraph this long is prose, not a teaser or menu;
# a precise text under SHORT_SHARE of the page's prose is suspect; an alternative replaces
# it when FALLBACK_GAIN times longer.
PROSE_PARAGRAPH_CHARS = 150
SHORT_SHARE = 0.5
FALLBACK_GAIN = 1.5
# A page whose kept lines are mostly link texts is a list of links.
LINK_LINE_SHARE = 0.6
# A page declared a listing is one unless its text has PROSE_LINES_MIN long paragraphs and
# at most TEASER_LINE_SHARE of its lines are teasers (link texts, truncated excerpts).
PROSE_LINES_MIN = 2
TEASER_LINE_SHARE = 0.1
_TRUNCATED = ("...", "…", "[…]", "[...]")
_WORD_RE = re.compile(r"\w+")
# Scripts written without spaces between words: there a \w+ token is a whole sentence.
_UNSPACED_RE = re.compile(
    "[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\u0e00-\u0e7f\u0e80-\u0eff\u1000-\u109f\u1780-\u17ff]"
)
# Average characters per word in those scripts (Chinese words are 1.5 to 2 characters).
CHARS_PER_WORD = 2


def extractor_settings(hints: ExtractionHints) -> dict[str, Any]:
    """Every setting that influenced the output (stored with the article)."""
    return {
        "extractor_version": EXTRACTOR_VERSION,
        "trafilatura": dict(TRAFILATURA_OPTIONS),
        "trafilatura_metadata": TRAFILATURA_METADATA,
        "pre_pruned_tags": list(PRE_PRUNED_TAGS),
        "boilerplate_rules_sha256": boilerplate.RULES_SHA256,
        "min_words": MIN_WORDS,
        "link_line_share": LINK_LINE_SHARE,
        "listing_declared": {"prose_lines_min": PROSE_LINES_MIN, "teaser_line_share": TEASER_LINE_SHARE},
        "combination": {
            "prose_paragraph_chars": PROSE_PARAGRAPH_CHARS,
            "short_share": SHORT_SHARE,
            "fallback_gain": FALLBACK_GAIN,
        },
        "zwnj_protected": True,
        "drop_selectors": list(hints.drop_selectors),
        "drop_line_patterns": list(hints.drop_line_patterns),
        "configured_language": hints.language,
    }


# --- title, site name, authors -----------------------------------------------------------

_TITLE_SEP_RE = re.compile(r"\s+[|\-–—:•·»«/]\s+|\s*[|»«•·]\s*")


def _key(s: str) -> str:
    return re.sub(r"[\W_]+", "", fold_chars(s).lower())


def _site_keys(site_names: list[str], url: str) -> set[str]:
    keys = {_key(n) for n in site_names if n and _key(n)}
    host = urlsplit(url).hostname or ""
    labels = [x for x in host.split(".") if x not in ("www", "m", "amp", "fa", "en")]
    if labels:
        keys.add(_key(labels[0]))
        keys.add(_key(".".join(labels)))
    return keys


def _is_site_part(part: str, keys: set[str]) -> bool:
    k = _key(part)
    if not k:
        return True
    return any(k == s or (len(s) >= 4 and (s in k or k in s) and len(k) <= len(s) + 12) for s in keys)


def clean_title(title: str | None, site_names: list[str], url: str) -> str | None:
    """The headline without a leading or trailing site-name segment."""
    if not title:
        return None
    title = re.sub(r"\s+", " ", html_lib.unescape(title)).strip()
    keys = _site_keys(site_names, url)
    parts = _TITLE_SEP_RE.split(title)
    if len(parts) < 2:
        return title or None
    seps = _TITLE_SEP_RE.findall(title)
    start, end = 0, len(parts)
    while end - start > 1 and _is_site_part(parts[end - 1], keys):
        end -= 1
    while end - start > 1 and _is_site_part(parts[start], keys):
        start += 1
    if (start, end) == (0, len(parts)):
        return title
    out = parts[start]
    for i in range(start + 1, end):
        out += seps[i - 1] + parts[i]
    return out.strip() or title


_BY_RE = re.compile(r"^\s*(by|written by|from|نویسنده|نوشته|به قلم)\s*:?\s+", re.I)
_NAME_SPLIT_RE = re.compile(r"\s+(?:and|&|و)\s+", re.I)


def _name_shaped(part: str) -> bool:
    """Two to four words, each capitalised (Latin) or any (other scripts): a person's name."""
    words = part.split()
    if not 2 <= len(words) <= 4:
        return False
    return all(not w[0].isalpha() or not w[0].isascii() or w[0].isupper() for w in words)


def clean_authors(raw: list[str], site_names: list[str]) -> list[str]:
    """Author names: unescaped, "By" dropped, "A and B" split when both look like names."""
    site = {_key(s) for s in site_names if s}
    out: list[str] = []
    for item in raw:
        for chunk in re.split(r"\s*;\s*", html_lib.unescape(item or "")):
            chunk = _BY_RE.sub("", re.sub(r"\s+", " ", chunk)).strip(" ,.-|")
            parts = _NAME_SPLIT_RE.split(chunk)
            for name in parts if len(parts) > 1 and all(map(_name_shaped, parts)) else [chunk]:
                name = name.strip(" ,.-|")
                if not name or len(name) > 80 or "http" in name or "@" in name:
                    continue
                if _key(name) in site or name in out:
                    continue
                out.append(name)
    return out


# --- page furniture around the body ------------------------------------------------------

FURNITURE_LINES = 3  # how many lines at each end may be furniture


def strip_page_furniture(lines: list[str], title: str | None, site_names: list[str]) -> list[str]:
    """Drop, at the ends of the text only: the headline repeated, a bare date line, a
    breadcrumb that ends in the truncated headline, a lone site-name line."""
    title_key = _key(title or "")
    site = {_key(s) for s in site_names if s}

    def furniture(line: str, at_start: bool) -> bool:
        k = _key(line)
        if not k or (title_key and k == title_key) or is_date_line(line):
            return True
        if k in site and len(line) <= 60:
            return True
        truncated = line.rstrip().endswith(("...", "…"))
        return at_start and truncated and len(title_key) >= 20 and title_key[:20] in k

    start = 0
    while start < min(FURNITURE_LINES, len(lines)) and furniture(lines[start], True):
        start += 1
    end = len(lines)
    while end > max(start, len(lines) - FURNITURE_LINES) and furniture(lines[end - 1], False):
        end -= 1
    return lines[start:end]


def _title_or_site_name(candidate: str, tree: HtmlElement, site_names: list[str]) -> str:
    """trafilatura's title, unless it is the site's name (a blog's <h1> is the blog's
    title): the text of a link to the site's home page. Then the page's <title>, of which
    it is an end segment, is the better source, and the candidate joins the site names."""
    page_title = " ".join((tree.findtext(".//title") or "").split())
    parts = _TITLE_SEP_RE.split(page_title)
    key = _key(candidate)
    if not (len(parts) >= 2 and key and key in (_key(parts[0]), _key(parts[-1]))):
        return candidate
    home_links = (
        a
        for a in tree.iter("a")
        if urlsplit(a.get("href") or "x").path in ("", "/") and not urlsplit(a.get("href") or "").query
    )
    if any(_key(a.text_content()) == key for a in home_links):
        site_names.append(candidate)
        return page_title
    return candidate


# A byline written as a line of the body, at its start or end: "خبرنگار: نام", "By Name".
BYLINE_RE = re.compile(
    r"^(?:خبرنگار|گزارشگر|گزارش|نویسنده|به قلم|ترجمه|مترجم|reporting by|written by|by)\s*:?\s+"
    r"(?P<name>[^\d:،,.!?؟]{3,60})$",
    re.I,
)
BYLINE_LINES = 2  # how many lines at each end may be a byline


def take_bylines(lines: list[str]) -> tuple[list[str], list[str]]:
    """Drop byline lines at the ends of the text; return the kept lines and the names."""
    names: list[str] = []
    keep = [True] * len(lines)
    ends = set(range(min(BYLINE_LINES, len(lines)))) | set(
        range(max(0, len(lines) - BYLINE_LINES), len(lines))
    )
    for i in sorted(ends):
        m = BYLINE_RE.match(lines[i])
        if m and len(m.group("name").split()) <= 5:
            names.append(m.group("name").strip())
            keep[i] = False
    return [line for line, k in zip(lines, keep, strict=True) if k], names


# --- not-an-article checks ----------------------------------------------------------------


def _anchor_texts(tree: HtmlElement) -> set[str]:
    return {_key(" ".join(a.itertext())) for a in tree.iter("a") if len(" ".join(a.itertext()).strip()) >= 15}


def _reads_as_one_text(lines: list[str], tree: HtmlElement) -> bool:
    """The kept text is prose of its own, not teasers: at least PROSE_LINES_MIN paragraphs of
    PROSE_PARAGRAPH_CHARS, and at most TEASER_LINE_SHARE of its lines are link texts or
    truncated excerpts ("…", "[…]")."""
    if sum(1 for line in lines if len(line) >= PROSE_PARAGRAPH_CHARS) < PROSE_LINES_MIN:
        return False
    anchors = _anchor_texts(tree)
    teasers = sum(1 for line in lines if line.rstrip().endswith(_TRUNCATED) or _key(line) in anchors)
    return teasers <= TEASER_LINE_SHARE * len(lines)


def _listing_by_address(url: str, sd: StructuredData, lines: list[str], tree: HtmlElement) -> str | None:
    """A listing by what the page says it is, or by its URL path (tag, category, page/2).

    A listing declaration in structured data (``CollectionPage``: SEO plugins write it on
    every archive page, a category's page with its own text included) stands unless the
    kept text reads as one text (``_reads_as_one_text``): a teaser list does not."""
    if sd.is_article:
        return None
    if sd.listing_types and not _reads_as_one_text(lines, tree):
        return "listing-structured-data"
    path = urlsplit(url)
    if LISTING_PATH_RE.search(path.path + ("?" + path.query if path.query else "")):
        return "listing-url"
    return None


def _listing_by_links(sd: StructuredData, lines: list[str], tree: HtmlElement) -> str | None:
    """A listing by content: most kept lines are the texts of links on the page."""
    if sd.is_article or len(lines) < 5:
        return None
    anchors = _anchor_texts(tree)
    linked = sum(1 for line in lines if _key(line) in anchors)
    return "listing-links" if linked / len(lines) >= LINK_LINE_SHARE else None


# --- the extraction ------------------------------------------------------------------------


def _count_words(text: str, enough: int) -> int:
    """Words in the text, counted up to ``enough`` (a long text is not walked).

    ``\\w+`` tokens, except in scripts written without spaces (Chinese, Japanese, Thai,
    Lao, Khmer, Burmese), where CHARS_PER_WORD characters count as one word."""
    words = 0
    for m in itertools.islice(_WORD_RE.finditer(text), enough):
        token = m.group(0)
        unspaced = len(_UNSPACED_RE.findall(token)) if not token.isascii() else 0
        words += 1 if unspaced < CHARS_PER_WORD else unspaced // CHARS_PER_WORD
        if words >= enough:
            break
    return words


def _has_title(sd: StructuredData) -> bool:
    return bool(sd.headline or sd.meta.get("og:title"))


def needs_trafilatura_metadata(sd: StructuredData) -> bool:
    """Whether structured data leaves a headline, the authors or the site name open."""
    has_site = bool(sd.meta.get("og:site_name") or sd.publisher)
    return not (_has_title(sd) and sd.authors and has_site)


def _trafilatura_metadata(work: HtmlElement, sd: StructuredData, url: str) -> Document | None:
    """trafilatura's metadata for the page, where structured data does not say it all.

    Only the fields dadkhah reads (title, author, site name), by trafilatura's own steps in
    its own order: its date search (dates.py finds the date), categories, tags and licence
    are not run. The fields are the ones ``trafilatura.extract_metadata`` returns."""
    if not needs_trafilatura_metadata(sd):
        return None
    tree = load_html(work)
    if tree is None:
        return None
    doc = tm.examine_meta(tree)
    if doc.author and " " not in doc.author:
        doc.author = None  # a one-word meta author is a handle, as trafilatura has it
    try:
        doc = tm.extract_meta_json(tree, doc)
    except Exception:  # noqa: BLE001 - trafilatura's JSON-LD reader has bugs; its caller logs and goes on
        log.debug("trafilatura's JSON metadata reader failed", exc_info=True)
    # trafilatura's own title and author searches (the costly steps: its author search copies
    # and prunes the whole page) run only for a field structured data leaves open: where
    # structured data has it, extract_article never reads trafilatura's value.
    if not _has_title(sd):
        doc.title = doc.title or tm.extract_title(tree)
    if not sd.authors:
        doc.author = doc.author or tm.extract_author(tree)
    doc.url = doc.url or tm.extract_url(tree, url)
    doc.sitename = doc.sitename or tm.extract_sitename(tree)
    if doc.sitename:
        doc.sitename = doc.sitename.lstrip("@")
        if doc.sitename and "." not in doc.sitename and not doc.sitename[0].isupper():
            doc.sitename = doc.sitename.title()
    elif doc.url and (m := tm.META_URL.match(doc.url)):
        doc.sitename = m[1]
    doc.clean_and_trim()
    return doc


def _body_text(work: HtmlElement, url: str, options: dict[str, Any]) -> str:
    doc = trafilatura.bare_extraction(work, url=url, **options)
    return doc.text if doc is not None and doc.text else ""


def page_prose_chars(tree: HtmlElement) -> int:
    """Characters in the page's long paragraphs (``<p>`` of PROSE_PARAGRAPH_CHARS or more),
    wherever they stand: what an article on this page can at least be expected to hold."""
    total = 0
    for p in tree.iter("p"):
        n = len(" ".join(p.text_content().split()))
        if n >= PROSE_PARAGRAPH_CHARS:
            total += n
    return total


def _long_enough_before_cleaning(words: int, raw_lines: list[str]) -> bool:
    """A short post is still an article when only the line cleaning took it under the
    minimum: the minimum asks whether the page carries prose, and a credit, share or
    newsletter line the cleaning drops is part of what the page showed. Kept text must
    still be CLEANED_FLOOR words, so a page of boilerplate lines is not an article."""
    return words >= CLEANED_FLOOR and _count_words("\n".join(raw_lines), MIN_WORDS) >= MIN_WORDS


def _short(text: str, prose: int) -> bool:
    """The precise extraction looks truncated: under the word minimum, or under
    SHORT_SHARE of the page's long-paragraph prose."""
    return _count_words(text, MIN_WORDS) < MIN_WORDS or len(text) < SHORT_SHARE * prose


def _combine(text: str, tree: HtmlElement, protector: Protector, url: str) -> tuple[str, str]:
    """The combination policy: keep what trafilatura alone would keep where a dadkhah stage
    (pre-pruning, favor_precision) loses it.

    When the precise extraction of the pruned page is short (``_short``), alternatives run:
    precise mode on the unpruned page, when pruning removed most of the page's long-paragraph
    prose (a main column in an ``<aside>``, or inside an unclosed ``<noscript>``/``<nav>``),
    then default mode on the unpruned page, and trafilatura's default mode on the pruned page
    (favor_precision keeps only the lead on some templates; after pruning that lost the
    article, only when the unpruned page gave nothing better). The longest wins, but only when at least FALLBACK_GAIN times longer:
    near ties keep the precise text. Returns the
    text and which variant it is (``precise``, ``default``, ``unpruned``,
    ``unpruned-default``).
    """
    prose = page_prose_chars(tree)
    if not _short(text, prose):
        return text, "precise"
    best, variant = text, "precise"
    pruned = copy.deepcopy(tree)
    protector.protect_tree(pruned)
    prune_page_chrome(pruned)
    default = {**TRAFILATURA_OPTIONS, "favor_precision": False}
    candidates: list[tuple[str, HtmlElement, dict[str, Any]]] = []
    pruning_lost_prose = page_prose_chars(pruned) < SHORT_SHARE * prose
    if pruning_lost_prose:
        # pruning removed the bulk of the page's prose: the unpruned page, precise mode then
        # default mode; what the pruned page gives then is what is left without the article
        # (a results table, a menu), so it is tried only when neither gives an article
        for name, options in (("unpruned", TRAFILATURA_OPTIONS), ("unpruned-default", default)):
            whole = copy.deepcopy(tree)
            protector.protect_tree(whole)
            candidates.append((name, whole, options))
    candidates.append(("default", pruned, default))
    for name, work, options in candidates:
        if name == "default" and pruning_lost_prose and variant != "precise":
            break
        other = protector.restore(_body_text(work, url, options)) or ""
        if len(other) >= FALLBACK_GAIN * max(len(best), 1) and len(other) >= FALLBACK_GAIN * len(text):
            best, variant = other, name
    return best, variant


def extract_article(html: str, hints: ExtractionHints) -> ExtractedArticle:
    """Extract title, authors, date, language and clean body text; raise NotAnArticle."""
    if not html or not html.strip():
        raise NotAnArticle("empty", "the page is empty")
    tree = parse_html(html)
    if tree is None:
        raise NotAnArticle("unparseable", "the page could not be parsed as HTML")
    sd = read_structured_data(tree)
    drop_elements(tree, hints.drop_selectors)

    # trafilatura gets a copy: dadkhah's own rules below read the whole page.
    protector = Protector(html)
    work = copy.deepcopy(tree)
    protector.protect_tree(work)
    meta = _trafilatura_metadata(work, sd, hints.url)  # on the whole page: it reads <head>
    prune_page_chrome(work)
    raw_text = protector.restore(_body_text(work, hints.url, TRAFILATURA_OPTIONS)) or ""
    raw_text, variant = _combine(raw_text, tree, protector, hints.url)
    raw_lines = complete_paragraphs(raw_text.split("\n") if raw_text else [], tree)

    meta_site = protector.restore(meta.sitename) if meta else None
    site_names = list(
        dict.fromkeys(n for n in (sd.meta.get("og:site_name"), sd.publisher, *sd.site_names, meta_site) if n)
    )
    site_name = site_names[0] if site_names else None
    meta_title = protector.restore(meta.title) if meta else None
    if not _has_title(sd) and meta_title:
        meta_title = _title_or_site_name(meta_title, tree, site_names)
    title = clean_title(sd.headline or sd.meta.get("og:title") or meta_title, site_names, hints.url)

    extra = boilerplate.compile_patterns(hints.drop_line_patterns)
    lines, _stats = boilerplate.clean_lines(raw_lines, extra)
    lines = strip_page_furniture(lines, title, site_names)
    lines, byline_names = take_bylines(lines)
    # NFC, as trafilatura's own output is (its bare extraction, used here, is not): a page
    # written in decomposed form ("u" + combining diaeresis, Bengali's nukta pairs) is stored
    # in the form every other page and a reader's search use. Canonical equivalence only.
    text = unicodedata.normalize("NFC", "\n".join(lines))

    reason = _listing_by_address(hints.url, sd, lines, tree) or _listing_by_links(sd, lines, tree)
    if reason:
        raise NotAnArticle(reason, f"the page is a listing, not an article ({reason})")
    if not text.strip():
        raise NotAnArticle("no-text", "no article text found")
    words = _count_words(text, MIN_WORDS)
    if words < MIN_WORDS and not _long_enough_before_cleaning(words, raw_lines):
        raise NotAnArticle("too-short", f"only {words} words of text (minimum {MIN_WORDS})")

    authors = clean_authors(
        sd.authors or ([protector.restore(meta.author)] if meta and meta.author else []) or byline_names,
        site_names,
    )
    published = find_published(
        tree,
        sd,
        url=hints.url,
        title=title,
        feed_published=hints.feed_published,
        feed_published_raw=hints.feed_published_raw,
        source=Source(html, hints.drop_selectors),
    )
    declared = sd.html_lang or sd.in_language or sd.meta.get("content-language") or (sd.meta.get("og:locale"))
    return ExtractedArticle(
        title=title,
        authors=authors,
        published_at=published.value if published else None,
        published_raw=published.raw if published else None,
        published_calendar=published.calendar if published else None,
        published_method=published.method if published else None,
        published_local_day=published.local_day if published else None,
        language=choose_language(declared, text, hints.language),
        site_name=site_name,
        text=text,
        extractor=EXTRACTOR_ID,
        extractor_settings={**extractor_settings(hints), "body_variant": variant},
        declared_urls=declared_urls(head) if (head := tree.find("head")) is not None else [],
    )
