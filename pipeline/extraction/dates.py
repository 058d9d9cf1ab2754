"""Publication date: structured data first, then the feed, then near the title, then htmldate.

Order of trust (``published_method``):

1. ``json-ld``      — ``datePublished`` (or ``dateCreated``) of the page's Article object;
2. ``meta``         — ``article:published_time`` and the other publication meta tags;
3. ``microdata``    — an element with ``itemprop="datePublished"``;
4. ``time-element`` — a ``<time datetime>`` in the article, never one in header/nav/footer;
5. ``feed``         — the date of the feed or sitemap entry that led to the page;
6. ``near-title``   — a date written in the few lines around the headline (Jalali included);
7. ``htmldate``     — htmldate's generic search, on a copy without modification markers.

Site chrome (a "today" date in the header) and footer copyright years never count. Where
the page's declarations are weak or disagree (JSON-LD against a meta tag; a bare ``date``
meta tag), the day the page shows by its headline decides.
"""

from __future__ import annotations

import copy
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from dateutil import parser as dateutil_parser
from lxml.html import HtmlElement, HTMLParser, fromstring

from pipeline.extraction.jalali import find_persian_dates, fold_chars
from pipeline.extraction.page import StructuredData, drop_elements

log = logging.getLogger(__name__)

MIN_YEAR = 1990
META_DATE_KEYS = (
    "article:published_time",
    "og:article:published_time",
    "og:published_time",
    "datepublished",
    "article.published",
    "published_time",
    "publish-date",
    "publish_date",
    "publishdate",
    "pubdate",
    "publication_date",
    "parsely-pub-date",
    "sailthru.date",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date",
    "dcterms.created",
    "date",
)
CHROME_RE = re.compile(
    r"(^|[\s_-])(masthead|topbar|top-bar|navbar|nav|footer|sidebar|breadcrumbs?"
    r"|related|comments?)([\s_-]|$)",
    re.I,
)
# "header", "widget" and "menu" name chrome, except where the same element's names say it
# is the post's own ("entry-header", Blogger's "widget Blog" and "date-header"): there the
# post's date stands.
WEAK_CHROME_RE = re.compile(r"(^|[\s_-])(header|widget|menu)([\s_-]|$)", re.I)
POST_NAME_RE = re.compile(r"entry|post|article|story|blog|date|single|content|title", re.I)
# A date right after one of these words is a modification date, never the publication's.
_MODIFIED_BEFORE_RE = re.compile(
    r"(updated|modified|last edit\w*|revised|aktualisiert|mis à jour|actualizado"
    r"|به[\u200c ]?روز ?رسانی|ویرایش)\W{0,5}(on|at|am|le|el)?\W{0,3}$",
    re.I,
)
CHROME_TAGS = frozenset({"header", "nav", "footer", "aside"})


@dataclass(frozen=True)
class FoundDate:
    value: datetime
    raw: str
    calendar: str
    method: str
    # The page's local day, when it differs from ``value``'s own (a UTC instant whose day
    # the page's URL writes as the day before or after): see _url_day.
    day: date | None = None

    @property
    def local_day(self) -> date:
        return self.day or self.value.date()


_URL_DATE_RE = re.compile(r"/((?:19|20)\d{2})[/-]?(0[1-9]|1[0-2])[/-]?(0[1-9]|[12]\d|3[01])(?:/|$|[-_.])")


def _url_day(value: datetime, url: str) -> date | None:
    """The URL's day for a UTC instant within 12 hours of it, when not the UTC day: a story
    filed at 23:28 in New York is stamped 03:28Z the next day, its URL keeps the local day."""
    if value.utcoffset() != timedelta(0) or not (m := _URL_DATE_RE.search(url)):
        return None
    try:
        day = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None
    if day == value.date():
        return None
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return day if start - timedelta(hours=12) <= value < start + timedelta(hours=36) else None


def _now() -> datetime:
    return datetime.now(UTC)


def _plausible(value: datetime) -> bool:
    return value.year >= MIN_YEAR and value <= _now() + timedelta(days=2)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _from_date(d: date, hour: int | None = None, minute: int | None = None) -> datetime:
    return datetime(d.year, d.month, d.day, hour or 0, minute or 0, tzinfo=UTC)


def parse_date_string(raw: str) -> tuple[datetime, str] | None:
    """A date string from structured data -> (aware datetime, calendar), or None.

    Jalali strings ("1404/04/21", "۲۱ تیر ۱۴۰۴") are recognised before anything else:
    every generic parser reads 1404 as a Gregorian year.
    """
    raw = (raw or "").strip()
    if not raw:
        return None
    persian = find_persian_dates(raw)
    if persian:
        p = persian[0][1]
        return _from_date(p.value, p.hour, p.minute), p.calendar
    folded = fold_chars(raw)
    value: datetime | None = None
    try:
        value = datetime.fromisoformat(folded.replace("Z", "+00:00").replace(" ", "T", 1))
    except ValueError:
        try:
            value = dateutil_parser.parse(folded, fuzzy=False)
        except (ValueError, OverflowError):
            try:
                value = dateutil_parser.parse(folded, fuzzy=True)
            except (ValueError, OverflowError):
                return None
    try:
        value = _aware(value)
        return (value, "gregorian") if _plausible(value) else None
    except (ValueError, OverflowError):  # an impossible offset ("20-59-53Z" read as -59:53)
        return None


def is_chrome_node(el: HtmlElement) -> bool:
    """A header, nav, footer or aside, by tag, ARIA role, or class/id name."""
    tag = el.tag.lower() if isinstance(el.tag, str) else ""
    if tag in CHROME_TAGS:
        # An article's own <header> (title, byline, date) is not the site's.
        return not (
            tag == "header"
            and (
                POST_NAME_RE.search(f"{el.get('class') or ''} {el.get('id') or ''}")
                or next(el.iterancestors("article"), None) is not None
            )
        )
    if (el.get("role") or "").lower() in ("banner", "navigation", "contentinfo", "complementary"):
        return True
    if tag in ("", "html", "body", "article", "main"):
        return False
    names = f"{el.get('class') or ''} {el.get('id') or ''}"
    if CHROME_RE.search(names):
        return True
    return bool(WEAK_CHROME_RE.search(names)) and not POST_NAME_RE.search(names)


def in_chrome(el: HtmlElement) -> bool:
    """True when ``el`` or one of its ancestors is site chrome."""
    node = el
    while node is not None:
        if is_chrome_node(node):
            return True
        node = node.getparent()
    return False


def _local_offset(value: datetime, sd: StructuredData, tree: HtmlElement) -> datetime:
    """A UTC instant shown in the page's own offset, when the page writes the same instant
    (within a minute) with a non-zero offset in a meta tag or a ``<time datetime>``: its
    day is then the local day, not the UTC one."""
    if value.utcoffset() != timedelta(0):
        return value
    raws = [sd.meta[k] for k in META_DATE_KEYS if k in sd.meta]
    raws += [el.get("datetime") for el in tree.iter("time") if el.get("datetime")]
    for raw in raws:
        parsed = parse_date_string(raw)
        if (
            parsed
            and parsed[0].utcoffset() not in (None, timedelta(0))
            and abs(parsed[0] - value) <= timedelta(minutes=1)
        ):
            return value.astimezone(parsed[0].tzinfo)
    return value


def _json_ld_date(sd: StructuredData, tree: HtmlElement, url: str) -> FoundDate | None:
    for raw in (sd.date_published, sd.date_created):
        if raw and (parsed := parse_date_string(raw)):
            value = _local_offset(parsed[0], sd, tree)
            return FoundDate(value, raw, parsed[1], "json-ld", _url_day(value, url))
    return None


def _meta_date(sd: StructuredData, tree: HtmlElement, url: str) -> FoundDate | None:
    for key in META_DATE_KEYS:
        raw = sd.meta.get(key)
        if raw and (parsed := parse_date_string(raw)):
            value = _local_offset(parsed[0], sd, tree)
            return FoundDate(value, raw, parsed[1], "meta", _url_day(value, url))
    return None


def _structured(
    sd: StructuredData, tree: HtmlElement, url: str, title: str | None, source: Source
) -> FoundDate | None:
    json_ld, meta = _json_ld_date(sd, tree, url), _meta_date(sd, tree, url)
    if json_ld and meta and json_ld.local_day != meta.local_day:
        # The page's two declarations disagree (one of them is often a republication or a
        # template's default): the day the page shows by its headline decides, else the
        # generic search of the page, when it sides with one of them; otherwise JSON-LD
        # stands. Only such pages pay for the search.
        shown = _near_title(tree, title)
        if shown is not None and shown.local_day in (json_ld.local_day, meta.local_day):
            return json_ld if shown.local_day == json_ld.local_day else meta
        searched = _htmldate(tree, sd, url, source)
        if searched is not None and searched.local_day == meta.local_day:
            return meta
        return json_ld
    if meta and not json_ld and _weak_meta(sd):
        # a bare ``date`` meta tag is often the day the page was generated or cached: the
        # day the page shows by its headline, when there is one, is the publication's
        shown = _near_title(tree, title, dotted=True) or _shown_time(tree)
        if shown is not None and shown.local_day != meta.local_day:
            return shown
    if json_ld or meta:
        return json_ld or meta
    for el in tree.xpath('//*[@itemprop="datePublished"]'):
        if el.tag == "meta":
            continue  # already read as a meta tag
        raw = el.get("datetime") or el.get("content") or " ".join(el.itertext()).strip()
        if raw and not in_chrome(el) and (parsed := parse_date_string(raw)):
            return FoundDate(parsed[0], raw, parsed[1], "microdata")
    candidates = []
    for el in tree.iter("time"):
        raw = el.get("datetime")
        if not raw or in_chrome(el):
            continue
        names = _names(el)
        if _modification_name(names) and not _publication_name(names):
            continue  # a modification date never passes for the publication date
        rank = 0 if (el.get("pubdate") is not None or "publish" in names) else 1
        candidates.append((rank, raw))
    for _, raw in sorted(candidates, key=lambda c: c[0]):
        if parsed := parse_date_string(raw):
            return FoundDate(parsed[0], raw, parsed[1], "time-element")
    return None


def _shown_time(tree: HtmlElement) -> FoundDate | None:
    """The one day the page's ``<time datetime>`` elements outside chrome write, when they
    write one day only and none is named a modification: the day the page shows."""
    days: dict[date, FoundDate] = {}
    for el in tree.iter("time"):
        raw = el.get("datetime")
        if not raw or in_chrome(el) or _modification_name(_names(el)):
            continue
        if (parsed := parse_date_string(raw)) is not None:
            days.setdefault(parsed[0].date(), FoundDate(parsed[0], raw, parsed[1], "time-element"))
    return next(iter(days.values())) if len(days) == 1 else None


_MONTHS = (
    "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    "|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_EN_DATE_RE = re.compile(
    rf"\b(?:(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTHS})\.?,?\s+\d{{4}}"
    rf"|\d{{4}}-\d{{2}}-\d{{2}}(?:[T ]\d{{2}}:\d{{2}}(?::\d{{2}})?)?)\b",
    re.I,
)
NEAR_TITLE_CHARS = 600


def find_dates_in_text(text: str) -> list[tuple[int, FoundDate]]:
    """Dates written in running text (English or Persian/Jalali), with offsets."""
    out: list[tuple[int, FoundDate]] = []
    for offset, p in find_persian_dates(text):
        value = _from_date(p.value, p.hour, p.minute)
        if _plausible(value):
            out.append((offset, FoundDate(value, p.raw, p.calendar, "near-title")))
    for m in _EN_DATE_RE.finditer(fold_chars(text)):
        raw = text[m.start() : m.end()]
        try:
            value = _aware(dateutil_parser.parse(m.group(0).replace("of ", "")))
        except (ValueError, OverflowError):
            continue
        if _plausible(value):
            out.append((m.start(), FoundDate(value, raw, "gregorian", "near-title")))
    out.sort(key=lambda item: item[0])
    return out


_WEEKDAYS_RE = re.compile(
    r"\b(mon|tues|wednes|thurs|fri|satur|sun)day\b|\b(mon|tue|wed|thu|fri|sat|sun)\b\.?"
    r"|یک‌?\u200c?شنبه|یکشنبه|دوشنبه|سه‌?\u200c?شنبه|سه شنبه|چهارشنبه|پنج‌?\u200c?شنبه|پنجشنبه|جمعه|شنبه"
    r"|\b(updated|published|posted|last updated)\b|به‌?\u200c?روز ?رسانی|منتشر شده|تاریخ انتشار|تاریخ",
    re.I,
)
# What may remain of a date line once its dates and weekdays are gone: digits (a time),
# punctuation, am/pm and a zone abbreviation.
_LEFTOVER_RE = re.compile(r"[\W\d_]*((am|pm|a\.m\.|p\.m\.|gmt|utc|[a-z]{1,4}t)[\W\d_]*)*", re.I)


def is_date_line(line: str) -> bool:
    """True for a line that is only a date (with weekday, time, "Updated"): page furniture."""
    if len(line) > 80:
        return False
    found = find_dates_in_text(line)
    if not found:
        return False
    rest = line
    for _, d in found:
        rest = rest.replace(d.raw, " ")
    rest = _WEEKDAYS_RE.sub(" ", rest)
    return bool(_LEFTOVER_RE.fullmatch(rest))


# A date inside a block of running text this long (a photo caption, the lead's first
# sentence) is a date the text talks about; a byline or date line is shorter.
PROSE_BLOCK_CHARS = 150


def _text_after(el: HtmlElement, limit: int, short_blocks: bool = False) -> str:
    """Text following the headline, outside chrome; with ``short_blocks``, the text of
    blocks of PROSE_BLOCK_CHARS or more is blanked (its length still counts)."""
    parts: list[str] = []
    size = 0
    lengths: dict[int, int] = {}
    for node in el.xpath("following::text()"):
        parent = node.getparent()
        if parent is None or parent.tag in ("script", "style", "noscript"):
            continue
        if in_chrome(parent):
            continue
        text = str(node)
        if short_blocks:
            block = parent.getparent() if node.is_tail and parent.getparent() is not None else parent
            if id(block) not in lengths:
                lengths[id(block)] = len(" ".join(block.text_content().split()))
            if lengths[id(block)] >= PROSE_BLOCK_CHARS:
                text = " " * len(text)
        parts.append(text)
        size += len(node)
        if size >= limit:
            break
    return " ".join(parts)


def _text_before(el: HtmlElement, limit: int) -> str:
    """Text of the headline's earlier siblings (same container only: never the header)."""
    parts: list[str] = []
    for sib in el.itersiblings(preceding=True):
        if not isinstance(sib.tag, str) or in_chrome(sib):
            continue
        parts.insert(0, " ".join(sib.itertext()))
        if sum(len(p) for p in parts) >= limit:
            break
    return " ".join(parts)[-limit:]


def title_element(tree: HtmlElement, title: str | None) -> HtmlElement | None:
    """The headline element: the h1 (or h2) that best matches the title, outside chrome."""
    fold = fold_chars
    wanted = fold(title or "").strip().lower()
    best = None
    for tag in ("h1", "h2"):
        for h in tree.iter(tag):
            text = fold(" ".join(h.itertext())).strip().lower()
            if not text or in_chrome(h):
                continue
            if wanted and (text in wanted or wanted in text):
                return h
            if best is None and tag == "h1":
                best = h
    if best is None and wanted:
        # a blog's post title is often an <h3> (its <h1> is the blog's name, in the header)
        for h in tree.iter("h3"):
            if fold(" ".join(h.itertext())).strip().lower() == wanted and not in_chrome(h):
                return h
    return best


def _up(el: HtmlElement, levels: int) -> list[HtmlElement]:
    """Up to ``levels`` ancestors of ``el`` below <body>, outside chrome."""
    out = []
    for a in el.iterancestors():
        if len(out) == levels or a.tag in ("body", "html") or is_chrome_node(a):
            break
        out.append(a)
    return out


def _windows(head: HtmlElement) -> Iterator[str]:
    """Text after the headline (its short blocks first: a byline, a date line), then before
    it: in its container, then (a date header above the post, as blogs write it) before its
    container and the one above; last, the text after it with its prose."""
    yield _text_after(head, NEAR_TITLE_CHARS, short_blocks=True)
    yield _text_before(head, 300)
    for ancestor in _up(head, 2):
        yield _text_before(ancestor, 300)
    yield _text_after(head, NEAR_TITLE_CHARS)


def _near_title(tree: HtmlElement, title: str | None, dotted: bool = False) -> FoundDate | None:
    """The first date written near the headline that is not a modification date; with
    ``dotted``, day-first dotted dates ("18.10.2021") count too (alone they are ambiguous
    with event and registration dates, so they only check a weak declaration)."""
    head = title_element(tree, title)
    if head is None:
        return None
    for window in _windows(head):
        for offset, found in _dates_in_window(window, dotted):
            if not _MODIFIED_BEFORE_RE.search(window[max(0, offset - 40) : offset]):
                return found
    return None


# Day-first dotted dates ("18.10.2021", "3.5.2019"): the dot is the day-first convention
# (German, Russian, Turkish, ...); a month-first writer uses slashes.
_DOTTED_DATE_RE = re.compile(
    r"(?<![\d.])(0?[1-9]|[12]\d|3[01])\.\s?(0?[1-9]|1[0-2])\.\s?((?:19|20)\d{2})(?![\d.])"
)


# A label that says the date after it is the page's own ("Datum: 18.10.2021").
_DATE_LABEL_RE = re.compile(
    r"\b(datum|date|published|posted|veröffentlicht|publiziert|erschienen|publié le|publicado)\W{0,4}$", re.I
)


def _dates_in_window(text: str, dotted: bool) -> list[tuple[int, FoundDate]]:
    """Dates in a window; dotted ones everywhere with ``dotted``, else only after a label."""
    out = find_dates_in_text(text)
    for m in _DOTTED_DATE_RE.finditer(fold_chars(text)):
        if not dotted and not _DATE_LABEL_RE.search(text[max(0, m.start() - 30) : m.start()]):
            continue
        try:
            value = _from_date(date(int(m.group(3)), int(m.group(2)), int(m.group(1))))
        except ValueError:
            continue
        if _plausible(value) and all(not (o <= m.start() < o + len(d.raw)) for o, d in out):
            out.append((m.start(), FoundDate(value, text[m.start() : m.end()], "gregorian", "near-title")))
    out.sort(key=lambda item: item[0])
    return out


# Meta keys that name no publication: a page's generic ``date`` (or ``dc.date``).
WEAK_META_KEYS = ("date", "dc.date")


_DAY_ONLY_RE = re.compile(r"^\s*\d{4}-\d{2}-\d{2}\s*$")


def _weak_meta(sd: StructuredData) -> bool:
    """Whether the meta date read (the first key of META_DATE_KEYS that parses) is weak: a
    generic ``date`` key, or a bare day without a time (a template's field, often filled
    with a day other than the post's; an instant is written by the publishing system)."""
    for key in META_DATE_KEYS:
        if (raw := sd.meta.get(key)) and parse_date_string(raw):
            return key in WEAK_META_KEYS or bool(_DAY_ONLY_RE.match(raw))
    return False


# A copyright line is short; a script or a long text that mentions a photo's copyright is not
# one (a page's data script carries the publication date, and an image credit's ©).
COPYRIGHT_LINE_CHARS = 300
_COPYRIGHT_RE = re.compile(r"©|\(c\)\s*\d{4}|\bcopyright\b|all rights reserved|حقوق .{0,40}محفوظ", re.I)


@dataclass(frozen=True)
class Source:
    """The page as fetched, for htmldate's search: its comments are kept there (an old
    blog's trackback RDF in a comment carries the entry's ``dc:date``), while the parsed
    tree the rest of the extraction reads has lost them. ``drop_selectors`` are the
    outlet's, applied again to the fresh parse."""

    html: str | None = None
    drop_selectors: tuple[str, ...] = ()


# lxml's HTML parser keeping comments (trafilatura's loader removes them).
_COMMENT_PARSER = HTMLParser(collect_ids=False, default_doctype=False, remove_pis=True)


def _search_copy(tree: HtmlElement, source: Source) -> HtmlElement:
    """A copy of the page for htmldate: a fresh parse of the source with its comments,
    else a copy of the tree."""
    if source.html:
        try:
            work = fromstring(source.html, parser=_COMMENT_PARSER)
        except (ValueError, TypeError):  # an encoding declaration in a str, an empty page
            work = None
        if work is not None and len(work):
            drop_elements(work, source.drop_selectors)
            return work
    return copy.deepcopy(tree)


def _htmldate(tree: HtmlElement, sd: StructuredData, url: str, source: Source) -> FoundDate | None:
    """htmldate's generic search, on a copy without modification dates or copyright lines.

    The page's modification markers (``article:modified_time`` and the like, ``dateModified``,
    a ``<time>`` named updated/modified) are removed before the search rather than its
    answer refused afterwards: a post modified on the day it was published keeps that day,
    and a modified date still never passes for the publication date; readers' comments go
    too (a comment's date is not the post's). The search runs on the
    whole page (asides, elements named header, widget or menu: many templates write the
    post's own date there; stripping them lost more dates than it saved on htmldate's set);
    only when it returns a day the site's header, navigation or footer writes (its "today")
    does it run again without them.
    htmldate turns a bare year ("© 2019", "updated 2019") into 1 January: a 1 January
    result counts only when the page or its URL really writes that day.
    """
    work = _search_copy(tree, source)
    drop_modification_markers(work)
    drop_reader_comments(work)
    for el in list(work.iter()):
        if (
            el.getparent() is not None
            and el.tag not in ("html", "body", "script")
            and len(el) == 0
            and len(el.text or "") <= COPYRIGHT_LINE_CHARS
            and _COPYRIGHT_RE.search(el.text or "")
        ):
            el.drop_tree()
    raw = _run_htmldate(work, url)
    if raw and date.fromisoformat(raw) in _site_chrome_days(work):
        # the day the site's header or footer writes (its "today"): it counts only when
        # the search finds it again without them
        for el in list(work.iter()):
            if el.getparent() is not None and _site_chrome(el):
                el.drop_tree()
        raw = _run_htmldate(work, url)
    if not raw:
        return None
    value = _aware(datetime.fromisoformat(raw))
    if not _plausible(value):
        return None
    if (value.month, value.day) == (1, 1) and not _writes_new_year(tree, url, value.year):
        return None
    return FoundDate(value, raw, "gregorian", "htmldate")


# Where a site writes its own "today": its header, navigation and footer (by tag or ARIA
# role; an article's own <header> excepted). Asides stay: templates put a post's date there.
SITE_CHROME_TAGS = frozenset({"header", "nav", "footer"})
SITE_CHROME_ROLES = frozenset({"banner", "navigation", "contentinfo"})


def _site_chrome(el: HtmlElement) -> bool:
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag in SITE_CHROME_TAGS:
        return is_chrome_node(el)
    return (el.get("role") or "").lower() in SITE_CHROME_ROLES


def _site_chrome_days(tree: HtmlElement) -> set[date]:
    """Days written in the site's header, navigation or footer (text or ``<time>``)."""
    days: set[date] = set()
    for el in tree.iter():
        if (
            el.getparent() is None
            or not _site_chrome(el)
            or next((a for a in el.iterancestors() if _site_chrome(a)), None) is not None
        ):
            continue
        days.update(d.value.date() for _, d in find_dates_in_text(" ".join(el.itertext())))
        for t in el.iter("time"):
            if (parsed := parse_date_string(t.get("datetime") or "")) is not None:
                days.add(parsed[0].date())
    return days


def _run_htmldate(work: HtmlElement, url: str) -> str | None:
    from htmldate import find_date

    try:
        return find_date(work, url=url, original_date=True, extensive_search=True, outputformat="%Y-%m-%d")
    except Exception as exc:  # noqa: BLE001 - htmldate failures mean "no date"
        log.debug("htmldate failed: %s", exc)
        return None


def _names(el: HtmlElement) -> str:
    return f"{el.get('class') or ''} {el.get('id') or ''} {el.get('itemprop') or ''}".lower()


def _modification_name(names: str) -> bool:
    return "modif" in names or "updat" in names


def drop_modification_markers(work: HtmlElement) -> None:
    """Remove what marks a modification date: meta tags, ``dateModified``, a ``<time>``
    named updated/modified (and ``<time>`` elements inside an element so named)."""
    for el in list(work.iter("meta")):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").lower()
        if key in MODIFIED_META_KEYS or _modification_name(key):
            el.drop_tree()
    for el in list(work.xpath('//*[@itemprop="dateModified"]')):
        if el.getparent() is not None:
            el.drop_tree()
    for el in list(work.iter("time")):
        if (
            el.getparent() is not None
            and _modification_name(_names(el))
            and not _publication_name(_names(el))
        ):
            el.drop_tree()


# A readers' comment section (or one comment) by its class or id: "comments", "comment-list",
# "comment__date", Disqus's thread (not WordPress's "respond": themes put the post there).
_COMMENTS_NAME_RE = re.compile(r"(^|[\s_-])(comments?|disqus\w*)([\s_-]|$)", re.I)


def drop_reader_comments(work: HtmlElement) -> None:
    """Remove readers' comments: their dates are the readers', later than the post's."""
    for el in list(work.iter()):
        if (
            isinstance(el.tag, str)
            and el.tag not in ("html", "body", "article", "main")
            and el.getparent() is not None
            and _COMMENTS_NAME_RE.search(f"{el.get('class') or ''} {el.get('id') or ''}")
        ):
            el.drop_tree()


def _publication_name(names: str) -> bool:
    return "publish" in names or "pubdate" in names


MODIFIED_META_KEYS = ("article:modified_time", "og:updated_time", "datemodified", "last-modified", "modified")


def _writes_new_year(tree: HtmlElement, url: str, year: int) -> bool:
    if re.search(rf"{year}[/-]0?1[/-]0?1(?!\d)", url):
        return True
    text = " ".join(t for t in tree.itertext() if t.strip())
    return any(d.value.date() == date(year, 1, 1) for _, d in find_dates_in_text(text))


def find_published(
    tree: HtmlElement,
    sd: StructuredData,
    *,
    url: str,
    title: str | None,
    feed_published: datetime | None,
    feed_published_raw: str | None,
    source: Source | None = None,
) -> FoundDate | None:
    """The publication date by the order of trust above; None when nothing is found."""
    source = source or Source()
    found = _structured(sd, tree, url, title, source)
    if found:
        return found
    if feed_published is not None:
        value = _aware(feed_published)
        return FoundDate(value, feed_published_raw or value.isoformat(), "gregorian", "feed")
    return _near_title(tree, title) or _htmldate(tree, sd, url, source)
