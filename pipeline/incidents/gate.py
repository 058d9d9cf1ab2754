"""Cheap literal gates for the extractor's regular expressions.

Most of the extractor's patterns start with a word boundary or a look-behind, which keeps
Python's regex engine from skipping ahead to a first character: every position of the text
is tried. Yet each pattern needs some literal words to match at all ("executed", «اعدام»).
``gate(pattern)`` reads those from the parsed pattern (for every alternative, a run of
literal characters it cannot match without, or a set of runs one of which it needs), and
``may_match`` tells in a few substring tests that a pattern cannot match a text, so it is
not run. The gate is exact: it only skips a pattern that would have found nothing.
"""

from __future__ import annotations

import re
from functools import lru_cache

try:  # Python 3.11+
    import re._constants as _c
    import re._parser as _p
except ImportError:  # pragma: no cover - older Pythons
    import sre_constants as _c  # type: ignore[no-redef]
    import sre_parse as _p  # type: ignore[no-redef]

MIN_RUN = 3  # shorter literal runs are too common to be worth a test


def _sequence_gate(seq) -> frozenset[str] | None:
    """Literal strings one of which every match of ``seq`` contains (None: no such set)."""
    options: list[frozenset[str]] = []
    run: list[int] = []

    def flush() -> None:
        if len(run) >= MIN_RUN:
            options.append(frozenset({"".join(map(chr, run))}))
        run.clear()

    for op, av in seq:
        if op is _c.LITERAL:
            run.append(av)
            continue
        flush()
        if op is _c.SUBPATTERN:
            g = _sequence_gate(av[-1])
        elif op is _c.BRANCH:
            branches = [_sequence_gate(b) for b in av[1]]
            g = frozenset().union(*branches) if branches and all(branches) else None
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT) and av[0] >= 1:
            g = _sequence_gate(av[2])
        else:  # optional parts, classes, assertions: nothing required
            g = None
        if g:
            options.append(g)
    flush()
    if not options:
        return None
    return max(options, key=lambda s: (min(len(x) for x in s), -len(s)))


@lru_cache(maxsize=1024)
def gate(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """The literal gate of a compiled pattern (None: it cannot be gated)."""
    if pattern.flags & re.IGNORECASE:
        return None
    return _sequence_gate(_p.parse(pattern.pattern, pattern.flags))


def may_match(pattern: re.Pattern[str], text: str) -> bool:
    """False only when ``pattern`` cannot match anywhere in ``text``."""
    g = gate(pattern)
    return g is None or any(s in text for s in g)
