"""Sentences of a text with their character offsets, for English and Persian.

The model reads sentences, not whole articles (the cost is per token, and the evidence of
a model-assigned tag is the sentence that carried it), so each sentence keeps its
``text[start:end]`` span in the stored text.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

# A sentence ends at . ! ? (Latin or Arabic-script) or an ellipsis followed by space, or
# at a line break. Abbreviations are rare in the outlets' prose and cost only a split.
_END = re.compile(r"(?<=[.!?؟…])[\"'»”’)]*\s+|\n+")


@dataclass(frozen=True, slots=True)
class Sentence:
    start: int
    end: int
    text: str


def split_sentences(text: str) -> list[Sentence]:
    """Non-empty sentences of ``text``; ``text[s.start:s.end] == s.text``, stripped."""
    out: list[Sentence] = []
    pos = 0
    for m in _END.finditer(text):
        _add(out, text, pos, m.start())
        pos = m.end()
    _add(out, text, pos, len(text))
    return out


def _add(out: list[Sentence], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        out.append(Sentence(start, end, text[start:end]))


def sentence_at(sentences: list[Sentence], starts: list[int], offset: int) -> int | None:
    """Index of the sentence holding ``offset`` (``starts`` = the sentences' starts)."""
    i = bisect_right(starts, offset) - 1
    if i >= 0 and sentences[i].start <= offset < sentences[i].end:
        return i
    return None


def clip(text: str, max_chars: int) -> str:
    """``text`` cut to ``max_chars`` before a word, so the model's cost per sentence is bounded."""
    if len(text) <= max_chars:
        return text
    cut = text.rfind(" ", 0, max_chars)
    return text[: cut if cut > max_chars // 2 else max_chars]
