"""When a URL that gave no article is fetched again, and when it is settled for good.

One bad answer must not lose an article: a CDN challenge, a maintenance page, a 503 or a
timeout says nothing lasting about the URL. So a URL with no stored article is fetched
again on later passes, each time after a longer wait, and settled (never fetched again)
only after ``attempts`` passes whose answers count, or at once on HTTP 410 Gone.

The history comes from the ``fetches`` rows of the URL (``kind = 'article'``,
``requested_url``): passes are distinct ``run_id``s, so Scrapy's in-pass retries (rows
marked ``retried``) are one attempt. Answers about the crawler or the crawl rather than the
page (``blocked``, robots.txt or fetch-policy refusals, our own database failures) never
settle a URL and do not use up attempts; they still back off.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

# Outcomes that never settle a URL (and are not counted as attempts): they are about the
# crawler (a bot wall, our robots.txt or address policy) or about our side of the crawl.
NEVER_SETTLES = frozenset(
    {"blocked", "robots", "refused", "store_error", "database_unavailable", "interrupted"}
)
# Outcomes that say nothing about the page at all: our crawl was stopped while the request
# was in flight or before its answer was handled. Fetched again on the next pass, no wait.
NOT_TRIED = frozenset({"interrupted"})
# Rows that are not an attempt's final answer.
NOT_AN_ANSWER = frozenset({"retried"})
# HTTP statuses that settle a URL on the first answer: the server says the page is gone
# for good. A 404 is not among them (feeds list stories before they are live, editors
# unpublish and republish, CDN edges miss): it is retried like any other failure.
SETTLES_AT_ONCE = frozenset({410})


@dataclass(frozen=True)
class RetryPolicy:
    """How many counted passes settle a URL, and the wait before each new pass.

    The wait after the n-th pass is ``first_delay * growth ** (n - 1)``, at most
    ``max_delay`` (defaults: 1 h, 6 h, then 24 h for the URLs that never settle).
    """

    attempts: int = 3
    first_delay: timedelta = timedelta(hours=1)
    growth: float = 6.0
    max_delay: timedelta = timedelta(hours=24)

    def delay(self, passes: int) -> timedelta:
        """The wait after ``passes`` passes (0 passes: none)."""
        if passes <= 0:
            return timedelta(0)
        seconds = self.first_delay.total_seconds() * self.growth ** min(passes - 1, 32)
        return timedelta(seconds=min(seconds, self.max_delay.total_seconds()))


@dataclass(frozen=True)
class UrlHistory:
    """What the fetch log holds about one URL with no stored article."""

    passes: int  # distinct passes that fetched it (any outcome)
    counted: int  # passes whose answer counts towards settling
    last_at: datetime | None  # the latest fetch row
    last_outcome: str | None  # the latest row that is an answer (not 'retried')
    last_status: int | None


def decide(history: UrlHistory, policy: RetryPolicy, now: datetime) -> str | None:
    """None: fetch the URL on this pass; else why not (``settled:…`` or ``waiting:…``)."""
    if history.passes == 0 or history.last_at is None:
        return None
    outcome = history.last_outcome or "retried"
    if outcome not in NEVER_SETTLES:
        if history.last_status in SETTLES_AT_ONCE:
            return f"settled:http_{history.last_status}"
        if history.counted >= policy.attempts:
            return f"settled:{outcome}"
    if outcome in NOT_TRIED:
        return None  # the crawl was stopped before the page answered, or before it was read
    if now < history.last_at + policy.delay(history.passes):
        return f"waiting:{outcome}"
    return None
