"""Article extraction in worker processes, off the reactor thread, with a per-page time limit.

Extraction is CPU-bound Python (lxml, trafilatura, date search). Run on the reactor thread,
one slow page (seconds on a multi-megabyte page, and some pages of many small blocks grow
much faster than their size) stalls every outlet's downloads and stretches their timeouts
by as long. A thread would keep the reactor responsive but could never be stopped; a
process can: a page that takes longer than the limit has its worker killed (a fresh one
starts for the next page), and is recorded as an extraction error.

Design (measured with ``bench/pipeline.py``, see the README): up to ``workers`` long-lived
worker processes (``spiders.extraction_worker``), started as needed, one page at a time each.
The reactor itself writes the request into the worker's pipe and is woken by the event
loop when the answer is readable: waiting costs nothing and needs no thread. Workers are
started from the reactor (main) thread, so they die with the crawl process (Linux
parent-death signal), and are waited for when the pool closes, so their CPU time counts in
the crawl's own figures.

Settings (environment, read by the crawl process):

* ``DADKHAH_EXTRACT_TIME_LIMIT``: seconds (wall clock) one page's extraction may take,
  default 30; over it the page is recorded ``extract_error`` with the reason.
* ``DADKHAH_EXTRACT_WORKERS``: worker processes per crawl process at most, default 2 (a
  spare starts beside a slow page, so it does not hold up the other outlets' pages).

A page is slow by the CPU time its worker has spent on it (Linux: ``/proc/<pid>/stat``;
elsewhere the wall clock), not by how long it has waited: on a loaded machine, or while a
fresh worker is still importing, a usual page can wait for over a second, and a spare
started then only costs its start-up (about 0.5 s of CPU: imports, then its own caches)
and competes for the same cores. A crawl of usual pages therefore runs on one worker.
"""

from __future__ import annotations

import asyncio
import fcntl
import gc
import logging
import os
import pickle
import subprocess
import sys
import time
from collections import deque
from pathlib import Path
from typing import Any

from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.reactor import is_asyncio_reactor_installed
from twisted.internet.defer import Deferred

from pipeline.extraction import ExtractedArticle, ExtractionHints, NotAnArticle
from spiders.worker_frames import HEADER

log = logging.getLogger("dadkhah.crawl")

ENV_TIME_LIMIT = "DADKHAH_EXTRACT_TIME_LIMIT"
ENV_WORKERS = "DADKHAH_EXTRACT_WORKERS"
DEFAULT_TIME_LIMIT = 30.0
DEFAULT_WORKERS = 2
MAX_WORKERS = 64
# A page on which its worker has spent more CPU time than this lets a waiting page start a
# spare worker (a fresh worker's start-up, about 0.25 s, counts towards its first page).
SPARE_AFTER_SECONDS = 0.5
# While pages wait for a worker, how often the busy ones are looked at again.
SPARE_CHECK_SECONDS = 0.1
# How long a worker may take to exit after its input closes before it is killed.
CLOSE_GRACE_SECONDS = 5.0
# Pipe buffer asked for (Linux), and the most read at once; the first read of an answer.
PIPE_BYTES = 1 << 20
READ_BYTES = 1 << 16


class ExtractionTimeout(Exception):
    """The page's extraction took longer than the time limit; its worker was killed."""


class ExtractionFailed(Exception):
    """The extractor raised (message: ``TypeName: message``) or its worker died."""


class PageUnreadable(Exception):
    """A fetched page the worker could not read as text: ``outcome`` is ``binary``, ``blocked``
    (a bot wall) or ``extract_error`` (the decoder raised); ``detail`` says why."""

    def __init__(self, outcome: str, detail: str) -> None:
        super().__init__(f"{outcome}: {detail}")
        self.outcome = outcome
        self.detail = detail


def settings_from_env(environ: dict[str, str] | None = None) -> tuple[float, int]:
    """(time limit in seconds, number of workers) from the environment; ValueError if bad."""
    environ = os.environ if environ is None else environ
    raw_limit = environ.get(ENV_TIME_LIMIT) or str(DEFAULT_TIME_LIMIT)
    raw_workers = environ.get(ENV_WORKERS) or str(DEFAULT_WORKERS)
    try:
        limit = float(raw_limit)
    except ValueError:
        raise ValueError(f"{ENV_TIME_LIMIT}={raw_limit!r} is not a number of seconds") from None
    if not 0 < limit <= 24 * 3600:
        raise ValueError(f"{ENV_TIME_LIMIT}={raw_limit!r}: must be above 0 and at most 86400 seconds")
    try:
        workers = int(raw_workers)
    except ValueError:
        raise ValueError(f"{ENV_WORKERS}={raw_workers!r} is not a whole number") from None
    if not 1 <= workers <= MAX_WORKERS:
        raise ValueError(f"{ENV_WORKERS}={raw_workers!r}: must be between 1 and {MAX_WORKERS}")
    return limit, workers


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a live process (Linux ``/proc``); None where unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_bytes().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS
    except (OSError, IndexError, ValueError):
        return None


class _Worker:
    """One worker process and the pipes to it. Used by one page at a time."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None
        # Where the current page started: the worker's CPU seconds (None where /proc is
        # not there) and the wall clock.
        self._page_cpu: float | None = None
        self._page_wall = 0.0

    def page_started(self) -> None:
        """The current page starts now (its request is about to be sent)."""
        self._page_wall = time.monotonic()
        self._page_cpu = process_cpu_seconds(self.proc.pid) if self.proc is not None else None

    def page_seconds(self) -> float:
        """The CPU time the worker has spent on its current page (wall time where the
        process's CPU time cannot be read)."""
        if self._page_cpu is not None and self.proc is not None:
            now = process_cpu_seconds(self.proc.pid)
            if now is not None:
                return now - self._page_cpu
        return time.monotonic() - self._page_wall

    def start(self) -> None:
        """Start the process if it is not running (called on the reactor thread)."""
        if self.proc is not None:
            return
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-P",
                "-m",
                "spiders.extraction_worker",
                str(os.getpid()),
                *map(str, gc.get_threshold()),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=None,
            close_fds=True,
        )
        for pipe in (self.proc.stdin, self.proc.stdout):
            fd = pipe.fileno()  # type: ignore[union-attr]
            os.set_blocking(fd, False)
            if hasattr(fcntl, "F_SETPIPE_SZ"):  # a usual page in one write, an answer in one read
                try:
                    fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
                except OSError:
                    pass  # the system's limit is lower: smaller writes, same result

    async def call(self, request: Any, limit: float) -> tuple:
        """Send one request and await its answer, at most ``limit`` seconds (reactor thread)."""
        proc = self.proc
        assert proc is not None and proc.stdin is not None and proc.stdout is not None
        loop = asyncio.get_running_loop()
        fd_in, fd_out = proc.stdin.fileno(), proc.stdout.fileno()
        body = pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL)
        pending = memoryview(HEADER.pack(len(body)) + body)
        received = bytearray()
        expected: int | None = None  # bytes of the whole answer, once its header is in
        answer: asyncio.Future[bytes] = loop.create_future()

        def finish(result: bytes | BaseException) -> None:
            if answer.done():
                return
            if isinstance(result, BaseException):
                answer.set_exception(result)
            else:
                answer.set_result(result)

        def write() -> None:
            nonlocal pending
            try:
                pending = pending[os.write(fd_in, pending) :]
            except BlockingIOError:
                return
            except BrokenPipeError:
                pending = pending[:0]  # the worker died: reading its pipe says so
            if not pending:
                loop.remove_writer(fd_in)

        def read() -> None:
            nonlocal expected
            # Ask for what is still missing: a large read buffer is allocated in full.
            want = READ_BYTES if expected is None else min(expected - len(received), PIPE_BYTES)
            try:
                chunk = os.read(fd_out, want)
            except BlockingIOError:
                return
            if not chunk:
                finish(ExtractionFailed("the extraction worker died"))
                return
            received.extend(chunk)
            if expected is None and len(received) >= HEADER.size:
                expected = HEADER.size + HEADER.unpack_from(received)[0]
            if expected is not None and len(received) >= expected:
                finish(bytes(memoryview(received)[HEADER.size : expected]))

        def timed_out() -> None:
            finish(ExtractionTimeout(f"extraction took longer than its time limit of {limit:g} s"))

        write()
        if pending:
            loop.add_writer(fd_in, write)
        loop.add_reader(fd_out, read)
        timer = loop.call_later(limit, timed_out)
        try:
            try:
                data = await answer
            finally:  # before a kill closes the pipes
                timer.cancel()
                loop.remove_reader(fd_out)
                loop.remove_writer(fd_in)
        except ExtractionTimeout:
            self.kill()
            raise
        except ExtractionFailed as exc:
            raise ExtractionFailed(f"{exc} (exit status {self.kill()})") from None
        except BaseException:  # cancelled: the worker may be mid-page, a fresh one is safer
            self.kill()
            raise
        return pickle.loads(data)

    def kill(self) -> int | None:
        """Kill the process and reap it; the next page starts a fresh one."""
        proc, self.proc = self.proc, None
        if proc is None:
            return None
        proc.kill()
        code = proc.wait()
        _close_pipes(proc)
        return code

    def close(self) -> None:
        """Let the worker finish (end of input) and reap it; kill it if it lingers."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        try:
            proc.stdin.close()  # type: ignore[union-attr]
        except OSError:
            pass
        try:
            proc.wait(timeout=CLOSE_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        _close_pipes(proc)


def _close_pipes(proc: subprocess.Popen) -> None:
    for pipe in (proc.stdin, proc.stdout):
        if pipe is not None:
            try:
                pipe.close()
            except OSError:
                pass


class ExtractionPool:
    """Extract pages in worker processes; ``await pool.extract(html, hints)``.

    Workers start as needed, up to ``workers``: the first with the first page, each further
    one only when a page finds every worker busy and one of them has spent more than
    ``SPARE_AFTER_SECONDS`` of CPU time on its page (looked at again every
    ``SPARE_CHECK_SECONDS`` while pages wait). Usual pages take milliseconds, so a crawl
    runs on one worker (each costs about 0.5 s of CPU to start and warm up); a slow page
    gets a spare worker beside it, so the other pages, of every outlet, keep flowing.
    """

    def __init__(self, *, workers: int, time_limit: float) -> None:
        self.time_limit = time_limit
        self.max_workers = workers
        self.started = 0  # worker processes started (a killed worker's successor counts)
        self.pages = 0
        self._all: list[_Worker] = []
        self._idle: list[_Worker] = []
        self._busy: set[_Worker] = set()
        self._waiting: deque[Deferred] = deque()
        self._check: asyncio.TimerHandle | None = None

    def _slow_page(self) -> bool:
        return any(worker.page_seconds() > SPARE_AFTER_SECONDS for worker in self._busy)

    def _spare(self) -> _Worker:
        worker = _Worker()
        self._all.append(worker)
        return worker

    async def _checkout(self) -> _Worker:
        if self._idle:
            return self._idle.pop()
        if len(self._all) < self.max_workers and (not self._all or self._slow_page()):
            return self._spare()
        waiter: Deferred = Deferred()
        self._waiting.append(waiter)
        self._watch()
        return await maybe_deferred_to_future(waiter)

    def _watch(self) -> None:
        """While pages wait and a spare may still start, look at the busy pages again soon."""
        if self._check is None and self._waiting and len(self._all) < self.max_workers:
            self._check = asyncio.get_running_loop().call_later(SPARE_CHECK_SECONDS, self._recheck)

    def _recheck(self) -> None:
        self._check = None
        if self._waiting and len(self._all) < self.max_workers and self._slow_page():
            self._waiting.popleft().callback(self._spare())
        self._watch()

    def _checkin(self, worker: _Worker) -> None:
        if self._waiting:
            self._waiting.popleft().callback(worker)
        else:
            self._idle.append(worker)

    async def extract(self, html: str, hints: ExtractionHints) -> ExtractedArticle:
        """The article of one page; raises NotAnArticle, ExtractionTimeout or ExtractionFailed."""
        return await self._run(("text", html, hints))

    async def extract_raw(
        self, body: bytes, headers: dict[str, str], status: int, hints: ExtractionHints
    ) -> ExtractedArticle:
        """The article of a fetched page's bytes, decoded and checked for a wall in the worker
        (``spiders.extraction_worker``); raises PageUnreadable too."""
        return await self._run(("raw", body, headers, status, hints))

    async def _run(self, request: tuple) -> ExtractedArticle:
        worker = await self._checkout()
        self._busy.add(worker)
        try:
            if worker.proc is None:
                worker.start()
                self.started += 1
            worker.page_started()
            self.pages += 1
            answer = await worker.call(request, self.time_limit)
        finally:
            self._busy.discard(worker)
            self._checkin(worker)
        status = answer[0]
        if status == "ok":
            return answer[1]
        if status == "not_article":
            raise NotAnArticle(answer[1], answer[2])
        if status == "unreadable":
            raise PageUnreadable(answer[1], answer[2])
        raise ExtractionFailed(answer[1])

    def close(self) -> None:
        """Stop every worker and wait for it (so its CPU time is accounted to the crawl)."""
        if self._check is not None:
            self._check.cancel()
            self._check = None
        for worker in self._all:
            worker.close()
        log.info("extraction: %d page(s) in %d worker process(es)", self.pages, self.started)


# One pool per crawl process, shared by the outlets crawled in it.
_shared: ExtractionPool | None = None
_users = 0


def acquire_pool() -> ExtractionPool:
    """The process's pool (created on first use, settings from the environment)."""
    global _shared, _users
    if _shared is None:
        if not is_asyncio_reactor_installed():
            raise RuntimeError("extraction workers need Scrapy's asyncio reactor (TWISTED_REACTOR)")
        limit, workers = settings_from_env()
        _shared = ExtractionPool(workers=workers, time_limit=limit)
    _users += 1
    return _shared


def release_pool() -> None:
    """One user fewer; the last one closes the pool."""
    global _shared, _users
    _users -= 1
    if _users <= 0 and _shared is not None:
        pool, _shared, _users = _shared, None, 0
        pool.close()
