"""Work handed from the reactor thread to other threads, awaited without blocking it.

The crawl's item pipelines are coroutines on the reactor thread; what would block that
thread (waiting on an extraction worker, writing a multi-megabyte article to the
database) runs on a ``concurrent.futures`` thread, and its result comes back to the reactor
thread through a Deferred.
"""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred


def deferred_from_future(future: Future) -> Deferred:
    """A Deferred that fires on the reactor thread with the future's result or error."""
    from twisted.internet import reactor  # imported late: Scrapy installs the reactor

    result: Deferred = Deferred()

    def done(finished: Future) -> None:
        error = finished.exception()
        if error is not None:
            reactor.callFromThread(result.errback, error)  # type: ignore[attr-defined]
        else:
            reactor.callFromThread(result.callback, finished.result())  # type: ignore[attr-defined]

    future.add_done_callback(done)
    return result


async def wait_for(future: Future) -> Any:
    """Await a thread's future from a pipeline coroutine (any Twisted reactor)."""
    return await maybe_deferred_to_future(deferred_from_future(future))
