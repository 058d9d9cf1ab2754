"""MinHash signatures and LSH band keys, with every parameter in one frozen object.

The hash family is fixed by :class:`Params` alone (derived from ``seed`` with splitmix64, no
library RNG), so a signature computed today equals one computed by any later version with
the same ``params_key``: band keys stored in PostgreSQL stay valid across releases.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import xxhash

from pipeline.clustering.text import match_tokens, shingle_hashes

_U64 = np.uint64


@dataclass(frozen=True)
class Params:
    """Clustering parameters.

    ``shingle_size``, ``num_perm``, ``bands``, ``rows`` and ``seed`` define the stored
    signatures and band keys and so make up ``params_key``: after changing one, stored
    signatures no longer match new ones until ``dadkhah recluster`` rebuilds them.
    ``threshold`` and ``min_shingles`` only change decisions. Defaults were chosen on the
    labelled pair set (``tests/data/dedup``); :mod:`pipeline.clustering` gives the figures.
    """

    shingle_size: int = 3
    num_perm: int = 128
    bands: int = 42
    rows: int = 3
    threshold: float = 0.30  # verified Jaccard needed to join a cluster
    min_shingles: int = 5  # fewer: the text is too short to match anything but itself
    seed: int = 20261121

    def __post_init__(self) -> None:
        if self.bands * self.rows > self.num_perm:
            raise ValueError("bands * rows must not exceed num_perm")

    @property
    def params_key(self) -> str:
        """Short, stable name of these parameters (stored with each signature).

        "v1" names the matching keys of :mod:`pipeline.clustering.text` (normalisation,
        boilerplate rules, clitics, shingle hashing): bump it when they change.
        """
        return f"mh-v1-k{self.shingle_size}-p{self.num_perm}-b{self.bands}r{self.rows}-s{self.seed}"

    def to_json(self) -> str:
        """What ``article_clusters.params`` records: ``params_key`` names the shingle size,
        permutations, bands, rows and seed; the decision settings are spelled out."""
        return json.dumps(
            {"params_key": self.params_key, "threshold": self.threshold, "min_shingles": self.min_shingles},
            sort_keys=True,
        )

    @cached_property
    def _coefficients(self) -> tuple[np.ndarray, np.ndarray]:
        """Multiply-shift hash coefficients (a odd) derived from the seed."""
        idx = np.arange(1, 2 * self.num_perm + 1, dtype=np.uint64) + _U64(self.seed)
        with np.errstate(over="ignore"):
            z = idx * _U64(0x9E3779B97F4A7C15)
            z = (z ^ (z >> _U64(30))) * _U64(0xBF58476D1CE4E5B9)
            z = (z ^ (z >> _U64(27))) * _U64(0x94D049BB133111EB)
            z = z ^ (z >> _U64(31))
        a = z[: self.num_perm] | _U64(1)
        b = z[self.num_perm :]
        return a, b

    @cached_property
    def _band_seeds(self) -> list[bytes]:
        return [f"{self.params_key}/band{i}/".encode() for i in range(self.bands)]


DEFAULT_PARAMS = Params()
_EMPTY_SIG = 0xFFFFFFFF


def shingles_for(text: str, params: Params = DEFAULT_PARAMS) -> np.ndarray:
    """Sorted unique 32-bit shingle hashes of an article text."""
    return shingle_hashes(match_tokens(text), params.shingle_size)


def prepare_text(text: str, params: Params = DEFAULT_PARAMS) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Shingles, signature and band keys of an article text."""
    sh = shingles_for(text, params)
    sig = signature(sh, params)
    return sh, sig, band_keys(sig, params)


def signature(shingles: np.ndarray, params: Params = DEFAULT_PARAMS) -> np.ndarray:
    """MinHash signature (``num_perm`` uint32 values) of a shingle-hash array.

    Permutation ``i`` is the multiply-shift hash ``(a_i * x + b_i) mod 2**64 >> 32``.
    """
    if shingles.size == 0:
        return np.full(params.num_perm, _EMPTY_SIG, dtype=np.uint32)
    a, b = params._coefficients
    x = shingles.astype(np.uint64)[:, None]
    with np.errstate(over="ignore"):
        hashed = (x * a[None, :] + b[None, :]) >> _U64(32)
    return hashed.min(axis=0).astype(np.uint32)


def band_keys(sig: np.ndarray, params: Params = DEFAULT_PARAMS) -> list[int]:
    """One signed 64-bit key per band (fits a PostgreSQL ``bigint``)."""
    r = params.rows
    raw = sig.astype("<u4").tobytes()
    keys = []
    for i, seed in enumerate(params._band_seeds):
        h = xxhash.xxh3_64_intdigest(seed + raw[i * r * 4 : (i + 1) * r * 4])
        keys.append(h - (1 << 64) if h >= (1 << 63) else h)
    return keys


def pack(arr: np.ndarray) -> bytes:
    """uint32 array -> little-endian bytes (``bytea`` columns)."""
    return arr.astype("<u4").tobytes()


def unpack(data: bytes | memoryview | None) -> np.ndarray:
    if not data:
        return np.empty(0, dtype=np.uint32)
    return np.frombuffer(bytes(data), dtype="<u4").astype(np.uint32)
