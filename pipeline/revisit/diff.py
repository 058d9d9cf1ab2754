"""Word-level diffs between two versions of an article: what a monitor reads to see an edit.

A line diff is useless on extracted prose (a paragraph is one line: one changed figure marks
the whole paragraph). Words are compared instead (whitespace-separated, so a Persian word
written with ZWNJ stays one word), and each change is one hunk in the familiar wdiff notation,
with a few words of context and the word positions in both versions:

    @@ words 41-41 -> 41-41 @@ ... authorities executed [-12-] {+2+} prisoners in ...
"""

from __future__ import annotations

from difflib import SequenceMatcher

CONTEXT_WORDS = 6


def article_words(title: str | None, text: str) -> list[str]:
    """The words of an article as a reader sees them: the title, then the text."""
    return [*(title or "").split(), "¶", *text.split()] if title else text.split()


def word_diff(old: list[str], new: list[str], context: int = CONTEXT_WORDS) -> str:
    """The hunks that turn ``old`` into ``new``, one per line; empty when they are equal."""
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    hunks = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        before = old[max(0, i1 - context) : i1]
        after = old[i2 : i2 + context]
        parts = ["..." if i1 > context else "", *before]
        if i2 > i1:
            parts.append("[-" + " ".join(old[i1:i2]) + "-]")
        if j2 > j1:
            parts.append("{+" + " ".join(new[j1:j2]) + "+}")
        parts += [*after, "..." if i2 + context < len(old) else ""]
        where = f"@@ words {i1 + 1}-{i2} -> {j1 + 1}-{j2} @@"
        hunks.append(f"{where} " + " ".join(p for p in parts if p))
    return "\n".join(hunks)


def similarity(old: list[str], new: list[str]) -> float:
    """Share of words the two versions have in common, in order (0 to 1)."""
    if not old and not new:
        return 1.0
    return SequenceMatcher(None, old, new, autojunk=False).ratio()
