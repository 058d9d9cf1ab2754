"""A worker process that extracts articles for the crawl: ``python -P -m spiders.extraction_worker``.

It reads requests from stdin and writes answers to its original stdout, each a frame of an
8-byte big-endian length and a pickle (both ends are dadkhah's own code). A request is
``("text", html, hints)``, or ``("raw", body, headers, status, hints)`` for a fetched page's
bytes, which the worker decodes and checks for a bot wall itself (the crawl's one decoding
path, ``pipeline.extraction.decode``): bytes cross the pipe as they are, while decoded text
costs an encoding on the crawl's side and a decoding here. The answer is ``("ok",
ExtractedArticle)``, ``("not_article", reason, message)``, ``("unreadable", outcome,
detail)`` (a raw page that is ``binary``, a ``blocked`` wall, or an ``extract_error`` of
the decoder) or ``("error", "TypeName: message")``. Anything a library prints goes to stderr,
so it cannot corrupt the answers. The worker exits at the end of its input, and is killed
with its parent (Linux), so a crawl that dies leaves no worker behind.

Only the extraction stack is imported here (not Scrapy): a worker starts in about 0.2 s.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import sys

from pipeline.challenge import recognise_wall
from pipeline.extraction import NotAnArticle, extract_article
from pipeline.extraction.decode import BinaryContent, decode_text
from spiders.worker_frames import HEADER


def _die_with_parent(parent: int) -> None:
    """Ask Linux to kill this process when the crawl process dies (no orphans)."""
    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the request above took effect
        os._exit(1)


def _read_exact(fd: int, size: int) -> bytes | None:
    chunks: list[bytes] = []
    while size:
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _answer(html: str, hints) -> tuple:
    try:
        return ("ok", extract_article(html, hints))
    except NotAnArticle as exc:
        return ("not_article", exc.reason, str(exc))
    except Exception as exc:  # noqa: BLE001 - a broken page is an answer, not the worker's end
        return ("error", f"{type(exc).__name__}: {exc}")


def _page_html(body: bytes, headers: dict[str, str], status: int) -> str | tuple:
    """The page's text, decoded as the crawl, reprocess and extract decode it; or the
    ``unreadable`` answer for a binary body, a bot wall, or bytes that break the decoder."""
    try:
        html, _encoding = decode_text(body, headers)
    except BinaryContent as exc:
        return ("unreadable", "binary", exc.reason)
    except Exception as exc:  # noqa: BLE001 - a page that breaks the decoder is an answer
        return ("unreadable", "extract_error", f"decoding: {type(exc).__name__}: {exc}")
    wall = recognise_wall(status, headers, html)
    if wall:
        return ("unreadable", "blocked", wall)
    return html


def _handle(request: tuple) -> tuple:
    if request[0] == "raw":
        _kind, body, headers, status, hints = request
        html = _page_html(body, headers, status)
        if isinstance(html, tuple):
            return html
    else:
        _kind, html, hints = request
    return _answer(html, hints)


def serve(fd_in: int, fd_out: int) -> None:
    while True:
        header = _read_exact(fd_in, HEADER.size)
        if header is None:
            return
        body = _read_exact(fd_in, HEADER.unpack(header)[0])
        if body is None:
            return
        answer = pickle.dumps(_handle(pickle.loads(body)), protocol=pickle.HIGHEST_PROTOCOL)
        _write_all(fd_out, HEADER.pack(len(answer)) + answer)


def main(argv: list[str]) -> int:
    """``argv``: parent pid, then the parent's three garbage-collector thresholds."""
    _die_with_parent(int(argv[1]))
    fd_out = os.dup(1)
    os.dup2(2, 1)  # print() and library chatter go to stderr, never into an answer
    # The crawl process's collector policy (see spiders.run): the imports live as long as
    # the worker, and extraction makes many short-lived objects and few cycles.
    gc.freeze()
    gc.set_threshold(*(int(v) for v in argv[2:5]))
    try:
        serve(0, fd_out)
    except BrokenPipeError:  # the crawl went away while this answer was written
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
