"""Cheap necessary conditions for case-insensitive line patterns.

A pattern such as ``\\bwe use cookies\\b`` with IGNORECASE is tried by ``re`` at every
position of a line (no literal-prefix scan under IGNORECASE), so a few of the general
boilerplate rules cost more than all the others. Every match of it contains "we use
cookies" up to case, though: :func:`required_strings` reads such strings off the parsed
pattern, and a line that contains none of them (after :func:`fold`) cannot match, so the
regex need not run. The answer is only ever "cannot match" or "ask the regex".

Exactness rests on one property, checked over all of Unicode for the characters allowed
in a required string (``ALLOWED``): whenever ``re`` with IGNORECASE matches a character
``c`` against one of them, ``fold(c)`` equals that character lower-cased.
"""

from __future__ import annotations

import re
import string

try:  # the regex parser of CPython's re; without it, no pattern gets a prefilter
    from re import _constants as sre_constants
    from re import _parser as sre_parser
except ImportError:  # pragma: no cover - other Python versions
    sre_parser = None

# Printable ASCII and "©": the characters for which the property above was checked.
ALLOWED = frozenset(c for c in string.printable if c not in "\t\n\r\x0b\x0c") | {"©"}


def fold(text: str) -> str:
    """Case-fold, with the dotted and dotless i that ``re`` matches against "i" made "i"."""
    return text.casefold().replace("\u0131", "i").replace("i\u0307", "i")


MAX_CHOICES = 64  # a bound on the strings one literal segment can spell
SELECTIVE_LENGTH = 4  # a required string at least this long is rare enough in lines


def _choices(items) -> set[str] | None:
    """Every string a sequence of literals, zero-width assertions, and groups or choices of
    such can match; None when it holds anything else or spells too many strings."""
    spelled = {""}
    for op, av in items:
        if op is sre_constants.LITERAL:
            options = {chr(av)}
        elif op is sre_constants.AT:  # zero-width: the literals around it stay adjacent
            continue
        elif op is sre_constants.SUBPATTERN:
            options = _choices(av[-1])
        elif op is sre_constants.BRANCH:
            options = set()
            for alternative in av[1]:
                alt = _choices(alternative)
                if alt is None:
                    return None
                options |= alt
        else:
            return None
        if options is None or len(spelled) * len(options) > MAX_CHOICES:
            return None
        spelled = {a + b for a in spelled for b in options}
    return spelled


def _candidates(parsed) -> list[set[str]]:
    """Sets of strings of which every match contains one: each top-level stretch of
    literals and literal choices (between items that are anything else), and within a
    stretch each run of plain literals and each choice on its own."""
    found: list[set[str]] = []
    stretch: list = []
    for item in [*parsed, None]:
        if item is not None and _choices([item]) is not None:
            stretch.append(item)
            continue
        if stretch:
            found.append(_choices(stretch) or set())
            run: list[str] = []
            for op, av in [*stretch, (None, None)]:
                if op is sre_constants.LITERAL:
                    run.append(chr(av))
                elif op is not sre_constants.AT:
                    found.append({"".join(run)})
                    run = []
                    if op is not None:
                        found.append(_choices([(op, av)]) or set())
        stretch = []
    return [spelled for spelled in found if spelled and "" not in spelled]


def required_strings(pattern: str, flags: int = re.IGNORECASE) -> tuple[str, ...] | None:
    """Folded strings one of which every match of ``pattern`` contains; None if unknown."""
    if sre_parser is None:
        return None
    try:
        parsed = sre_parser.parse(pattern, flags)
    except (re.error, RecursionError):
        return None
    usable = [
        tuple(sorted(fold(alt) for alt in alts))
        for alts in _candidates(parsed)
        if all(set(alt) <= ALLOWED for alt in alts)
    ]
    # Few strings to look for (each is a test per line), none of them short (a short
    # string is found in many lines); failing that, the longest shortest string.
    selective = [alts for alts in usable if min(map(len, alts)) >= SELECTIVE_LENGTH]
    if selective:
        return min(selective, key=lambda alts: (len(alts), -min(map(len, alts))))
    return max(usable, key=lambda alts: (min(map(len, alts)), -len(alts)), default=None)
