"""What a revisit's answer means for the article: unchanged, edited, removed or unreachable.

Pure decisions, no I/O: the spider and its item pipeline feed them what they fetched and
extracted. ``removed`` is said only on evidence that the page is gone (404/410, a redirect to
the home page or a listing, a page with no article or a not-found notice on it); anything
that may pass (timeouts, refusals, 5xx, 403, a bot wall) is ``unreachable`` and tried again.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from pipeline.config import OutletConfig
from pipeline.revisit.diff import article_words, similarity
from pipeline.revisit.soft404 import soft_404
from pipeline.textnorm import content_sha256
from pipeline.urls import canonicalize

GONE_STATUSES = (404, 410)
# A redirect to a page that shares less than this with the stored version went elsewhere
# (another article, a section front): the article is no longer at its address.
REDIRECT_MIN_SIMILARITY = 0.3


@dataclass(frozen=True)
class Verdict:
    outcome: str  # unchanged, edited, removed, unreachable
    reason: str
    # A page with no article and nothing saying it is gone (a maintenance page, a broken
    # template?): removed only when the next check finds it so again (pipeline.revisit.store).
    confirm: bool = False


NO_ARTICLE = "no article on the page"


def version_digest(title: str | None, text: str) -> str:
    """The hash an edit is judged by: the title and the text, normalised (pipeline.textnorm)."""
    return content_sha256(f"{title or ''}\n{text}")


def for_status(status: int) -> Verdict | None:
    """The verdict an HTTP status alone gives (None for a page to read)."""
    if status == 304:
        return Verdict("unchanged", "HTTP 304 Not Modified")
    if status in GONE_STATUSES:
        return Verdict("removed", f"HTTP {status}")
    if status != 200:
        return Verdict("unreachable", f"HTTP {status}")
    return None


def redirect_to_front(outlet: OutletConfig, requested: str, final: str) -> str | None:
    """Why a redirect from ``requested`` to ``final`` says the article is gone, if it does:
    it lands on the outlet's home page, a site root, or one of its listings or feeds."""
    if canonicalize(requested) == canonicalize(final):
        return None
    target = canonicalize(final)
    if target == canonicalize(outlet.home):
        return "redirected to the home page"
    if urlsplit(final).path in ("", "/"):
        return "redirected to the site's front page"
    fronts = {canonicalize(u) for u in (*outlet.listing_pages, *outlet.feeds, *outlet.sitemaps)}
    if target in fronts:
        return "redirected to a listing page"
    return None


def judge_page(
    *,
    html: str,
    old_title: str | None,
    old_text: str | None,
    old_digest: str,
    new_title: str | None,
    new_text: str | None,
    redirected: bool,
    not_article: str | None = None,
) -> Verdict:
    """The verdict on a 200 page whose article was extracted (or not: ``not_article``).

    ``old_text`` may be None when only the digest is at hand; a redirect's similarity test
    then cannot run and a changed text after a redirect counts as an edit.
    """
    if not_article is not None:
        notice = soft_404(html, None, None)
        if notice:
            return Verdict(
                "removed", ("redirected to " if redirected else "soft-404, ") + "a not-found page: " + notice
            )
        if redirected:
            return Verdict("removed", f"redirected to a page with no article: {not_article}")
        return Verdict("removed", f"{NO_ARTICLE}: {not_article}", confirm=True)
    assert new_text is not None
    notice = soft_404(html, new_title, new_text)
    if notice:
        return Verdict("removed", f"soft-404: {notice}")
    if version_digest(new_title, new_text) == old_digest:
        return Verdict("unchanged", "same title and text")
    if redirected and old_text is not None:
        shared = similarity(article_words(old_title, old_text), article_words(new_title, new_text))
        if shared < REDIRECT_MIN_SIMILARITY:
            return Verdict("removed", f"redirected to another page ({shared:.0%} of the words in common)")
    return Verdict("edited", "the title or text changed")
