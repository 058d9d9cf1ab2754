"""Article storage on a thread of its own, with its own database connection.

Storing an article hashes its normalised text and writes it twice (``articles`` and
``article_versions``) in one statement: for a 5 MB article that is seconds, during which
a reactor-thread write would stall every outlet's downloads and stretch their timeouts.
On this thread the reactor keeps running: the driver waits for the database without
holding the GIL. One thread per crawl process, so articles are stored one at a time, as
before; its connection (a ``CrawlConnection``, autocommit) is used by this thread only.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from scrapy.utils.defer import maybe_deferred_to_future
from sqlalchemy import Engine
from twisted.internet.defer import Deferred

from pipeline.storage import CrawlConnection


def _deferred_from_future(future: Future) -> Deferred:
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


class StorageThread:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.db = CrawlConnection(engine)
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dadkhah-store")

    async def run(self, function: Callable[..., Any], **kwargs: Any) -> Any:
        """``function(db, **kwargs)`` on the storage thread, with its connection."""
        future = self._thread.submit(function, self.db, **kwargs)
        return await maybe_deferred_to_future(_deferred_from_future(future))

    def close(self) -> None:
        self._thread.shutdown(wait=True)
        self.db.close()


_shared: StorageThread | None = None
_users = 0


def acquire_storage(engine: Engine) -> StorageThread:
    """The crawl process's storage thread (created on first use)."""
    global _shared, _users
    if _shared is None:
        _shared = StorageThread(engine)
    elif _shared.engine is not engine:
        raise RuntimeError("one crawl process stores through one database engine")
    _users += 1
    return _shared


def release_storage() -> None:
    """One user fewer; the last one stops the thread and returns its connection."""
    global _shared, _users
    _users -= 1
    if _users <= 0 and _shared is not None:
        storage, _shared, _users = _shared, None, 0
        storage.close()
