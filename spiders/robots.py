"""robots.txt for every request, also those that wait while it is being fetched.

Scrapy 2.19's RobotsTxtMiddleware keeps one Deferred per host while robots.txt is being
downloaded, and each waiting request awaits it as an asyncio Future. Converting a Deferred
to a Future consumes its result (Twisted: the Deferred then fires ``None`` for the next
callback), so only the first waiter got the parser: every later request queued behind
robots.txt was sent unchecked. A crawl that starts many requests to a host at once (the
revisit spider; an outlet with several feeds and sitemaps) then fetched pages robots.txt
forbids. Here each waiter gets its own Deferred, fed from the shared one, which passes the
parser on unchanged.
"""

from __future__ import annotations

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.http import Request
from scrapy.robotstxt import RobotParser
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

SCRAPY_ROBOTS = "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware"


class WaitingRobotsTxtMiddleware(RobotsTxtMiddleware):
    async def robot_parser(self, request: Request) -> RobotParser | None:
        pending = self._parsers.get(urlparse_cached(request).netloc)
        if not isinstance(pending, Deferred):
            return await super().robot_parser(request)  # parsed already, or this request fetches it
        own: Deferred = Deferred()

        def relay(result):
            own.callback(result)
            return result  # for the next waiter

        pending.addCallback(relay)
        return await maybe_deferred_to_future(own)
