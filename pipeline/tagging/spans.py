"""Containment of spans, answered from sorted starts instead of comparing every pair.

The tagger drops a hit that lies inside a longer hit, or inside an ``exclude`` phrase.
Comparing each hit with every other one costs the square of the number of hits: on a
long article full of lexicon terms that is minutes. Here each question "does some span
of this set contain ``[start, end)``?" is one binary search over the spans sorted by start,
with the largest end seen so far: O(n log n) for n hits, whatever their density.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable


class Covering:
    """A set of spans ``(start, end)``: which spans contain a query span."""

    __slots__ = ("_at", "_max_end", "_starts")

    def __init__(self, spans: Iterable[tuple[int, int]]) -> None:
        ordered = sorted(spans)
        self._starts = [start for start, _ in ordered]
        self._max_end: list[int] = []
        best = -1
        for _, end in ordered:
            best = max(best, end)
            self._max_end.append(best)
        self._at: dict[int, int] = {}  # start -> largest end of the spans starting there
        for start, end in ordered:
            self._at[start] = max(self._at.get(start, -1), end)

    def contains(self, start: int, end: int) -> bool:
        """Whether some span ``(s, e)`` has ``s <= start`` and ``end <= e``."""
        i = bisect_right(self._starts, start) - 1
        return i >= 0 and self._max_end[i] >= end

    def contains_other(self, start: int, end: int) -> bool:
        """Whether some span other than ``(start, end)`` itself contains it."""
        i = bisect_left(self._starts, start) - 1
        if i >= 0 and self._max_end[i] >= end:
            return True
        return self._at.get(start, -1) > end


class Breaks:
    """Positions of break characters in a text: is there one in ``[start, end)``?"""

    __slots__ = ("_positions",)

    def __init__(self, positions: list[int]) -> None:
        self._positions = positions  # ascending

    def any_between(self, start: int, end: int) -> bool:
        i = bisect_left(self._positions, start)
        return i < len(self._positions) and self._positions[i] < end
