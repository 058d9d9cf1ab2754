"""The crawl child process: started, watched, relayed, and never left behind.

Twisted's reactor starts once per process, so every crawl runs in a fresh interpreter
(``python -m spiders.run JOB.json``). This module starts it in a process group of its own
(so a terminal's Ctrl-C reaches the parent, which decides), passes every line it logs on at
that line's own level (a warning stays a warning, progress stays info: the parent's stderr
is what Airflow logs at ERROR), forwards SIGINT/SIGTERM to it, and kills the whole group
when it does not end in time. The child also asks the kernel for SIGTERM when this process
dies (spiders.run), so no crawl outlives its parent.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from pipeline.settings import PROJECT_ROOT

log = logging.getLogger("dadkhah.crawl")
# How long a signalled child may take to record what it has in flight and exit.
STOP_GRACE_SECONDS = 20.0
_LINE = re.compile(r"^\d\d:\d\d:\d\d (DEBUG|INFO|WARNING|ERROR|CRITICAL) (.*)$")


class Terminated(BaseException):
    """SIGTERM reached the parent: handled like Ctrl-C (a BaseException, like it)."""


@contextmanager
def sigterm_as_exception() -> Iterator[None]:
    """Within the block, SIGTERM raises Terminated in the main thread (where signals land)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _raise(signum, frame):
        raise Terminated("SIGTERM")

    previous = signal.signal(signal.SIGTERM, _raise)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@dataclass
class ChildResult:
    returncode: int
    last_error: str | None  # the child's last ERROR/CRITICAL line, for the report
    tail: list[str] = field(default_factory=list)  # its last lines of output

    def describe(self) -> str:
        """Why the child ended as it did, in one line."""
        code = self.returncode
        if code < 0:
            try:
                how = f"killed by {signal.Signals(-code).name}"
            except ValueError:
                how = f"killed by signal {-code}"
        else:
            how = f"exited with code {code}"
        cause = self.last_error or (self.tail[-1] if self.tail else "no output")
        return f"crawl process {how}; last error: {cause}"


class _Relay(threading.Thread):
    """Reads the child's stderr line by line and logs each record at its own level."""

    def __init__(self, stream, *, echo: bool) -> None:
        super().__init__(name="dadkhah-crawl-log", daemon=True)
        self.stream = stream
        self.echo = echo
        self.level = logging.INFO
        self.last_error: str | None = None
        self.tail: deque[str] = deque(maxlen=20)

    def run(self) -> None:
        for raw in self.stream:
            line = raw.rstrip("\n")
            if not line:
                continue
            match = _LINE.match(line)
            if match:
                self.level = logging.getLevelName(match.group(1))
                if self.level >= logging.ERROR:
                    self.last_error = match.group(2)[:1000]
            self.tail.append(line[:1000])
            if self.echo:
                sys.stderr.write(line + "\n")
                sys.stderr.flush()
            else:
                # Continuation lines (a traceback) keep the level of the record they belong to.
                log.log(self.level, "%s", line)


def _signal_group(proc: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(proc.pid, signum)
    except ProcessLookupError:
        pass


def _stop(proc: subprocess.Popen, grace: float, signum: int = signal.SIGTERM) -> None:
    """Signal the child's group, then SIGKILL it if it is still there after ``grace``."""
    _signal_group(proc, signum)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        log.error(
            "crawl process did not stop within %.0f s of %s: killing it", grace, signal.Signals(signum).name
        )
    # Whatever the child left (an extraction worker...) goes with its group.
    _signal_group(proc, signal.SIGKILL)
    proc.wait()


def run_crawl_child(
    job_path: str,
    *,
    echo: bool,
    timeout: float | None,
    profile: str | None = None,
    module: str = "spiders.run",
) -> ChildResult:
    """Run the crawl child to its end and return how it ended.

    On KeyboardInterrupt/Terminated the child is stopped (it records what it has in flight)
    and the exception propagates; on ``timeout`` the child is stopped and its result says so.
    """
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(PROJECT_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]),
        "DADKHAH_PARENT_PID": str(os.getpid()),
    }
    # -P: the caller's working directory is not put on the path, so a file or folder there
    # named like one of dadkhah's packages cannot shadow it in the child.
    python = [sys.executable, "-P"]
    prefix = [*python, "-m", "cProfile", "-o", profile] if profile else python
    proc = subprocess.Popen(
        [*prefix, "-m", module, job_path],
        env=env,
        stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        errors="replace",
        process_group=0,
    )
    relay = _Relay(proc.stderr, echo=echo)
    relay.start()
    deadline = None if timeout is None else time.monotonic() + timeout
    timed_out = False
    try:
        while True:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                timed_out = True
                log.error("crawl exceeded its time limit of %s s: stopping it", timeout)
                _stop(proc, STOP_GRACE_SECONDS)
                break
            try:
                proc.wait(timeout=None if remaining is None else min(remaining, 1.0))
                break
            except subprocess.TimeoutExpired:
                continue
    except BaseException as exc:
        # The child is told what the parent was told: Ctrl-C as SIGINT, anything else SIGTERM.
        _stop(
            proc, STOP_GRACE_SECONDS, signal.SIGINT if isinstance(exc, KeyboardInterrupt) else signal.SIGTERM
        )
        relay.join(timeout=5)
        raise
    relay.join(timeout=5)
    _signal_group(proc, signal.SIGKILL)  # nothing of the crawl outlives it
    result = ChildResult(proc.returncode, relay.last_error, list(relay.tail))
    if timed_out:
        result.last_error = f"crawl exceeded its time limit of {timeout} s"
    return result
