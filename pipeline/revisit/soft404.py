"""Soft-404 pages: a 200 answer whose page says the article is not there.

Outlets that delete an article often answer 200 with a "page not found" page (or send the
reader to the home page or a listing, which the revisit handles by its URL and by finding no
article on it). A page is a soft-404 when its title or its first heading says so in English
or Persian and its text is short: an article that reports something "not found" is longer
than a not-found notice, and its title says more than that.
"""

from __future__ import annotations

import re

# At most this many words of extracted text: a not-found notice, not an article.
MAX_NOTICE_WORDS = 150

_PHRASES = re.compile(
    r"\b(?:page|article|content|post|story|news item)s?\s+(?:was\s+|is\s+|could\s+not\s+be\s+|cannot\s+be\s+)?not\s+found\b"
    r"|\b404\s*[-:|]?\s*(?:error|not\s+found|page)\b|\b(?:error|page)\s*[-:|]?\s*404\b"
    r"|\bpage\s+(?:you\s+(?:are\s+looking\s+for|requested)|requested)\b.*\b(?:exist|found|removed|available)"
    r"|\b(?:page|article)\s+(?:no\s+longer\s+exists|does\s+not\s+exist|has\s+been\s+(?:removed|deleted))\b"
    r"|\bnothing\s+(?:was\s+)?found\b"
    r"|صفحه\S*\s+(?:مورد\s+نظر\s+)?(?:یافت|پیدا)\s+نشد"
    r"|(?:مطلب|خبر|محتوا|صفحه)\S*\s+(?:مورد\s+نظر\s+)?(?:وجود\s+ندارد|حذف\s+شده)"
    r"|خطای\s*(?:۴۰۴|404)",
    re.IGNORECASE,
)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_H1 = re.compile(r"<h1[^>]*>(.*?)</h1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


def _first(pattern: re.Pattern[str], html: str) -> str:
    match = pattern.search(html[:200_000])
    return " ".join(_TAG.sub(" ", match.group(1)).split()) if match else ""


def soft_404(html: str, title: str | None, text: str | None) -> str | None:
    """Why this page is a not-found page (the words that say so), or None when it is not."""
    if text is not None and len(text.split()) > MAX_NOTICE_WORDS:
        return None
    for where, value in (
        ("title", title or ""),
        ("page title", _first(_TITLE, html)),
        ("heading", _first(_H1, html)),
    ):
        match = _PHRASES.search(value)
        if match:
            return f"its {where} says {match.group(0).strip()!r}"
    return None
