"""Recall repair: whole body containers that trafilatura left out.

Some templates split one article body into several sibling containers of the same kind
(``<div class="body">…</div><ad/><div class="body">…</div>``); trafilatura then keeps the
first and drops the rest. When at least ``MIN_MATCHED`` output paragraphs come from
containers of one *signature* (tag + class of the paragraph's parent), another container
of that signature from which *nothing* was kept is the same body's continuation: its
paragraphs are put back in document order. Only whole containers are restored (a
paragraph trafilatura dropped from a container it used stays dropped), only prose-like
ones (``MIN_CONTAINER_CHARS``), never in chrome (header, nav, footer, aside, related,
comments), never link lists; the boilerplate line rules still run afterwards.

Another story on the same page (a second ``<article>`` of the same template, a "next
story" appended by infinite scroll) uses the same containers: a container is restored only
when it stands in the same article element as the kept paragraphs (its nearest
``<article>`` ancestor, or none for both) and no ``<h1>`` stands between the kept text and
it (a new headline starts a new story).
"""

from __future__ import annotations

from collections import Counter, defaultdict

from lxml.html import HtmlElement

from pipeline.extraction.dates import in_chrome

MIN_MATCHED = 2
MIN_CONTAINER_CHARS = 200
MAX_LINK_SHARE = 0.5
_SKIP_TEXT_TAGS = ("script", "style", "noscript", "template")


# str.split() splits on exactly the characters ``\s`` matches in a str pattern (both use
# Py_UNICODE_ISSPACE), so these equal ``re.sub(r"\s+", " ", t).strip()`` and
# ``re.sub(r"\s+", "", t)``, at a fraction of the cost.
def _norm(text: str) -> str:
    return " ".join(text.split())


def _key(text: str) -> str:
    """Whitespace-free: trafilatura and lxml space inline elements differently."""
    return "".join(text.split())


def _text(el: HtmlElement) -> str:
    if next(el.iter(_SKIP_TEXT_TAGS), None) is None:
        # Nothing to skip: the XPath string-value is every descendant text node, in order.
        return _norm(el.xpath("string()"))
    parts = []
    for node in el.xpath(".//text()"):
        parent = node.getparent()
        if parent is not None and parent.tag in _SKIP_TEXT_TAGS:
            continue
        parts.append(str(node))
    return _norm("".join(parts))


def _signature(container: HtmlElement) -> tuple[str, str]:
    return container.tag, " ".join(sorted((container.get("class") or "").split()))


def _link_share(el: HtmlElement, text: str) -> float:
    linked = sum(len(_norm(a.text_content())) for a in el.iter("a"))
    return linked / max(len(text), 1)


def _article_of(el: HtmlElement) -> HtmlElement | None:
    """The nearest ``<article>`` ancestor (the story an element belongs to), or None."""
    return next(el.iterancestors("article"), None)


LEAD_MIN_CHARS = 100
LEAD_MAX_LINK_SHARE = 0.2
_BLOCK_TAGS = (
    "p",
    "div",
    "ul",
    "ol",
    "table",
    "section",
    "article",
    "h1",
    "h2",
    "h3",
    "h4",
    "blockquote",
    "figure",
)


def _lead_before(container: HtmlElement, line_keys: set[str], joined: str) -> str | None:
    """The lead written as a bare text block just before the body container.

    Agencies' templates put the lead (``<div class="lead">text</div>``) right before the body
    ``<div>`` of ``<p>``s; trafilatura's precise mode, which keeps paragraphs, drops it. It is
    restored when it is the nearest element sibling before the container, holds no block
    element, at least LEAD_MIN_CHARS of text, few links, is not chrome and not kept already.
    """
    prev = container.getprevious()
    while prev is not None and not isinstance(prev.tag, str):
        prev = prev.getprevious()
    if prev is None or prev.tag not in ("div", "p", "span", "strong", "b") or in_chrome(prev):
        return None
    if next(prev.iterdescendants(*_BLOCK_TAGS), None) is not None:
        return None
    text = _text(prev)
    if len(text) < LEAD_MIN_CHARS or _link_share(prev, text) > LEAD_MAX_LINK_SHARE:
        return None
    key = _key(text)
    if key in line_keys or key in joined:
        return None
    return text


def complete_paragraphs(lines: list[str], tree: HtmlElement) -> list[str]:
    """``lines`` with the missing sibling body containers (and a bare-text lead) restored."""
    line_index = {_key(line): i for i, line in enumerate(lines)}
    # parent -> [(paragraph, text, line index or None)]; a text's key is computed once.
    containers: dict[HtmlElement, list[tuple[HtmlElement, str, int | None]]] = defaultdict(list)
    order: list[HtmlElement] = []
    for el in tree.iter("p"):
        parent = el.getparent()
        text = _text(el)
        if parent is None or not isinstance(parent.tag, str) or not text:
            continue
        if parent not in containers:
            order.append(parent)
        containers[parent].append((el, text, line_index.get(text.replace(" ", ""))))
    kept_by_signature: Counter = Counter()
    for parent in order:
        kept_by_signature[_signature(parent)] += sum(
            1 for _, _, index in containers[parent] if index is not None
        )
    body = {sig for sig, n in kept_by_signature.items() if n >= MIN_MATCHED}
    if not body:
        return lines
    kept_at = [(i, parent) for parent in order for _, _, i in containers[parent] if i is not None]
    at, first = min(kept_at, key=lambda item: item[0])
    # the kept text as one key: a block that trafilatura split into several lines (a <p>
    # broken by <br>s) is in it already, and is not restored a second time
    joined = "".join(_key(line) for line in lines)
    lead = _lead_before(first, set(line_index), joined)
    if lead is not None:  # inserted before the body's first kept line
        lines = [*lines[:at], lead, *lines[at:]]
        line_index = {k: i + (i >= at) for k, i in line_index.items()}
        for parent in order:
            containers[parent] = [
                (el, t, None if i is None else i + (i >= at)) for el, t, i in containers[parent]
            ]
    stories = Counter(
        _article_of(parent) for parent in order if any(i is not None for _, _, i in containers[parent])
    )
    story = stories.most_common(1)[0][0] if stories else None
    position: dict[HtmlElement, int] = {}  # document order, built when first needed
    h1s: list[int] = []

    def headline_between(a: HtmlElement | None, b: HtmlElement) -> bool:
        if a is None:
            return False
        if not position:
            for i, el in enumerate(tree.iter()):
                position[el] = i
                if el.tag == "h1":
                    h1s.append(i)
        return any(position[a] < h < position[b] for h in h1s)

    additions: dict[int, list[str]] = defaultdict(list)  # after line i (-1: before all)
    last_line = -1
    last_kept: HtmlElement | None = None
    for parent in order:
        paras = containers[parent]
        kept = [index for _, _, index in paras if index is not None]
        if kept:
            last_line = max(last_line, *kept)
            last_kept = parent
            continue
        if _signature(parent) not in body or in_chrome(parent) or _article_of(parent) is not story:
            continue
        if headline_between(last_kept, parent):
            continue
        texts = [
            t
            for el, t, _ in paras
            if _link_share(el, t) <= MAX_LINK_SHARE and t.replace(" ", "") not in joined
        ]
        if sum(len(t) for t in texts) < MIN_CONTAINER_CHARS:
            continue
        additions[last_line].extend(texts)
    if not additions:
        return lines
    out = list(additions.get(-1, []))
    for i, line in enumerate(lines):
        out.append(line)
        out.extend(additions.get(i, []))
    return out
