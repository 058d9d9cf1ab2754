"""Lexicon matching over original text, with character offsets into that text.

Two Aho-Corasick automata run over keys built from the *original* tokens, so every hit
maps back to ``text[start:end]`` of the stored text:

* English (Latin script): each token is normalised (``normalize_for_matching``), stripped
  of accents and reduced by a light stemmer, and tokens are joined with single spaces.
  Patterns are built the same way and padded with spaces, so they only match whole
  tokens, and "executed", "executes", "execute" all meet the stem ``execut``.
* Persian: each token becomes its ``joined_key`` and the keys are concatenated with no
  separator. A pattern (the ``joined_key`` of a term) must start at a token start and end
  at a token end, or be followed inside its last token by a Persian suffix only (plural,
  ezafe, pronoun or verb ending). So «قزل‌حصار», «قزل حصار» and «قزلحصار» all match,
  «اعدام‌ها» and «اعدامها» match «اعدام», but «کردستان» does not match «کرد».
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import ahocorasick

from pipeline.tagging.spans import Breaks
from pipeline.textnorm import joined_key

# Word characters plus Arabic-script marks that ``\w`` leaves out (harakat, tatweel,
# superscript alef), so a vowelled word stays one token. ZWNJ separates tokens, exactly
# as ``normalize_for_matching`` turns it into a space.
TOKEN_PATTERN = r"[\w\u0610-\u061A\u0640\u064B-\u065F\u0670\u06D6-\u06ED]"
_TOKEN_RE = re.compile(TOKEN_PATTERN + "+")

# Endings that may follow a Persian term inside the same written word.
PERSIAN_SUFFIXES = frozenset(
    {
        "ها",
        "های",
        "هایی",
        "هایش",
        "هایشان",
        "ی",
        "ای",
        "یی",
        "ان",
        "ات",
        "اش",
        "ش",
        "شان",
        "مان",
        "تان",
        "م",
        "ت",
        "ند",
        "ید",
        "یم",
        "ه",
        "ین",
        "تر",
        "ترین",
        "است",
        "ست",
        "اند",
        "ایم",
        "یان",
    }
)
# Very short terms (3 letters or fewer) only take these, to avoid hitting other words.
SHORT_TERM_SUFFIXES = frozenset({"ها", "های", "ان"})
SHORT_TERM_LEN = 3

# After a term ending in the plural «ها» only these may follow inside the word («کردهایی»):
# a verb ending there is a different word («کردهاست» is «کرده است», not «کردها» + «ست»).
AFTER_PLURAL_SUFFIXES = frozenset({"ی", "یی", "یش", "یشان", "شان", "مان", "تان", "یم", "ت"})
# A match that joins written words where the term itself has no word break (a term written
# with or without a space or ZWNJ) and ends inside the last word must cover at least this
# many letters of it: «کرده است» and «کرده‌اند» are two words, and «کردها» (Kurds) must not be
# read across them with «ا» taken from the second word and the rest called a suffix. Where
# the text's word break is one of the term's own («قصاص نفس شد» in «قصاص نفس شدند»), any
# suffix rule applies as usual.
MIN_JOINED_TAIL = 3

# Irregular forms, and forms kept apart from their stem because they carry another sense:
# "hung" (suspended: "hung me from the ceiling") is not "hanged" (executed); "beat" (a
# match, a drum) is not "beaten" or "a beating"; "headscarves" is "headscarf".
_IRREGULAR = {
    "died": "die",
    "dies": "die",
    "dying": "die",
    "hung": "hung",
    "beat": "beat",
    "beats": "beat",
    "beaten": "beaten",
    "beating": "beating",
    "beatings": "beating",
    "headscarves": "headscarf",
    "scarves": "scarf",
    "women": "woman",
    "children": "child",
    "men": "man",
    "lives": "life",
    "wives": "wife",
}
_KEEP_S = ("ss", "us", "is", "ous")


def stem_en(word: str) -> str:
    """A light English stemmer: enough for inflections of lexicon words, not a linguist.

    ``executed/executes/executing/execute -> execut``, ``flogged/flogging -> flog``,
    ``denied/denies -> deny``, ``lashes -> lash``, ``prisons -> prison``.
    """
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if len(word) <= 3 or not word.isascii() or not word.isalpha():
        return word
    if word.endswith(("ies", "ied")) and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(_KEEP_S):
        word = word[:-1]
    if word.endswith("ing") and len(word) >= 6:
        word = _undouble(word[:-3])
    elif word.endswith("ed") and len(word) >= 5:
        word = _undouble(word[:-2])
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    return word


def _undouble(word: str) -> str:
    if len(word) > 2 and word[-1] == word[-2] and word[-1] not in "aeioulsz":
        return word[:-1]
    return word


def _strip_accents(text: str) -> str:
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=200_000)
def token_keys(token: str) -> tuple[str, str]:
    """(english key, persian key) of one original token; empty strings if it has none."""
    fa = joined_key(token)
    if not fa:
        return "", ""
    return stem_en(_strip_accents(fa)), fa


@dataclass(frozen=True, slots=True)
class Token:
    start: int
    end: int
    en: str
    fa: str


def tokenize(text: str) -> list[Token]:
    """Tokens of ``text`` with their original offsets and matching keys."""
    out: list[Token] = []
    for m in _TOKEN_RE.finditer(text or ""):
        en, fa = token_keys(m.group())
        if fa:
            out.append(Token(m.start(), m.end(), en, fa))
    return out


def english_pattern(term: str) -> str:
    keys = [t.en for t in tokenize(term)]
    return " " + " ".join(keys) + " " if keys else ""


def persian_pattern(term: str) -> str:
    return joined_key(term)


def is_latin(term: str) -> bool:
    return not any("\u0600" <= ch <= "\u06ff" or "\ufb50" <= ch <= "\ufeff" for ch in term)


@dataclass(frozen=True, slots=True)
class Entry:
    """What a pattern stands for: ``payload`` is opaque to the matcher."""

    payload: Any
    term: str
    exact: bool
    n_tokens: int
    breaks: frozenset[int] = frozenset()  # offsets of the term's word breaks in its Persian key


@dataclass(frozen=True, slots=True)
class Hit:
    """A match: ``text[start:end]``; ``parts`` are the spans of a gapped term's pieces."""

    start: int
    end: int
    pattern: str
    entry: Entry
    first: int = 0  # token indexes
    last: int = 0
    parts: tuple[tuple[int, int], ...] = ()

    @property
    def spans(self) -> tuple[tuple[int, int], ...]:
        return self.parts or ((self.start, self.end),)


@dataclass(frozen=True, slots=True)
class _Part:
    gap: int
    index: int


GAP = " ... "
MAX_GAP_TOKENS = 24
_SENTENCE_BREAK = re.compile(r"[.!?؟۔;:؛\n]")


class Lexicon:
    """Aho-Corasick automata over English and Persian patterns."""

    def __init__(self) -> None:
        self._en: dict[str, list[Entry]] = {}
        self._fa: dict[str, list[Entry]] = {}
        self._gaps: list[tuple[str, Entry, int]] = []  # (key, entry, number of parts)
        self._auto_en: ahocorasick.Automaton | None = None
        self._auto_fa: ahocorasick.Automaton | None = None

    def add(self, term: str, payload: Any, *, exact: bool = False) -> None:
        """Add one (already expanded) term; its script decides the automaton.

        ``"a ... b"`` is a gapped term: ``b`` must follow ``a`` within a few words of the
        same sentence (Persian puts the verb last: «حکم اعدام ... اجرا شد»).
        """
        n_tokens = max(1, len(tokenize(term)))
        if GAP in f" {term} ":
            pieces = [p.strip() for p in f" {term} ".split(GAP.strip()) if p.strip()]
            if len(pieces) < 2:
                raise ValueError(f"term {term!r}: '...' needs words on both sides")
            gap = len(self._gaps)
            key = " ... ".join(pieces)
            self._gaps.append((key, Entry(payload, term, exact, n_tokens), len(pieces)))
            for index, piece in enumerate(pieces):
                self._add_pattern(piece, Entry(_Part(gap, index), piece, exact, 1))
            return
        self._add_pattern(term, Entry(payload, term, exact, n_tokens))

    def _add_pattern(self, term: str, entry: Entry) -> None:
        if is_latin(term):
            pattern, table = english_pattern(term), self._en
        else:
            pattern, table = persian_pattern(term), self._fa
            offsets, pos = [], 0
            for tok in tokenize(term)[:-1]:
                pos += len(tok.fa)
                offsets.append(pos)
            entry = Entry(entry.payload, entry.term, entry.exact, entry.n_tokens, frozenset(offsets))
        if not pattern.strip():
            raise ValueError(f"term {term!r} has nothing to match")
        table.setdefault(pattern, []).append(entry)
        self._auto_en = self._auto_fa = None

    def _automata(self) -> tuple[ahocorasick.Automaton | None, ahocorasick.Automaton | None]:
        if self._auto_en is None and self._auto_fa is None:
            self._auto_en = _build(self._en)
            self._auto_fa = _build(self._fa)
        return self._auto_en, self._auto_fa

    def find(self, text: str, tokens: list[Token] | None = None) -> list[Hit]:
        """Every hit in ``text``; ``text[hit.start:hit.end]`` is the matched original text."""
        if tokens is None:
            tokens = tokenize(text)
        if not tokens:
            return []
        auto_en, auto_fa = self._automata()
        hits: list[Hit] = []
        if auto_en is not None:
            hits.extend(_find_en(auto_en, tokens))
        if auto_fa is not None:
            hits.extend(_find_fa(auto_fa, tokens))
        if self._gaps:
            hits = self._join_gaps(text, hits)
        return hits

    def _join_gaps(self, text: str, hits: list[Hit]) -> list[Hit]:
        """Replace the pieces of gapped terms by whole hits where the pieces line up."""
        plain: list[Hit] = []
        pieces: dict[tuple[int, int], list[Hit]] = {}
        for hit in hits:
            if isinstance(hit.entry.payload, _Part):
                part = hit.entry.payload
                pieces.setdefault((part.gap, part.index), []).append(hit)
            else:
                plain.append(hit)
        breaks: Breaks | None = None  # sentence breaks, found once and only if needed
        for gap, (key, entry, n_parts) in enumerate(self._gaps):
            chains = [[h] for h in pieces.get((gap, 0), [])]
            for index in range(1, n_parts):
                if not chains:
                    break
                # The next piece must start within MAX_GAP_TOKENS + 1 tokens after the
                # chain's last one: a window found by binary search over the pieces in
                # token order, not a scan of every pair of pieces.
                nexts = sorted(pieces.get((gap, index), []), key=lambda h: h.first)
                firsts = [n.first for n in nexts]
                if breaks is None and nexts:
                    breaks = Breaks([m.start() for m in _SENTENCE_BREAK.finditer(text)])
                grown = []
                for chain in chains:
                    last = chain[-1]
                    lo = bisect_right(firsts, last.last)
                    hi = bisect_right(firsts, last.last + MAX_GAP_TOKENS + 1)
                    for n in nexts[lo:hi]:
                        if not breaks.any_between(last.end, n.start):  # type: ignore[union-attr]
                            grown.append(chain + [n])
                chains = grown
            for chain in chains:
                plain.append(
                    Hit(
                        chain[0].start,
                        chain[-1].end,
                        key,
                        entry,
                        chain[0].first,
                        chain[-1].last,
                        tuple((h.start, h.end) for h in chain),
                    )
                )
        return plain


def _build(table: dict[str, list[Entry]]) -> ahocorasick.Automaton | None:
    if not table:
        return None
    auto = ahocorasick.Automaton()
    for pattern, entries in table.items():
        auto.add_word(pattern, (pattern, tuple(entries)))
    auto.make_automaton()
    return auto


def _find_en(auto: ahocorasick.Automaton, tokens: list[Token]) -> list[Hit]:
    starts: list[int] = []
    pos = 1
    for tok in tokens:
        starts.append(pos)
        pos += len(tok.en) + 1
    stream = " " + " ".join(tok.en for tok in tokens) + " "
    hits: list[Hit] = []
    for end_idx, (pattern, entries) in auto.iter(stream):
        first = bisect_right(starts, end_idx - len(pattern) + 2) - 1
        last = bisect_right(starts, end_idx - 1) - 1
        for entry in entries:
            hits.append(Hit(tokens[first].start, tokens[last].end, pattern, entry, first, last))
    return hits


def _find_fa(auto: ahocorasick.Automaton, tokens: list[Token]) -> list[Hit]:
    starts: list[int] = []
    pos = 0
    for tok in tokens:
        starts.append(pos)
        pos += len(tok.fa)
    stream = "".join(tok.fa for tok in tokens)
    hits: list[Hit] = []
    for end_idx, (pattern, entries) in auto.iter(stream):
        begin = end_idx - len(pattern) + 1
        first = bisect_right(starts, begin) - 1
        if starts[first] != begin:
            continue  # starts inside a word
        last = bisect_right(starts, end_idx) - 1
        rest = stream[end_idx + 1 : starts[last] + len(tokens[last].fa)]
        short_tail = bool(rest) and last > first and end_idx + 1 - starts[last] < MIN_JOINED_TAIL
        for entry in entries:
            if short_tail and starts[last] - begin not in entry.breaks:
                continue  # ends a few letters into the next word: two words, not one term
            if rest:
                if entry.exact:
                    continue
                if len(pattern) <= SHORT_TERM_LEN:
                    allowed = SHORT_TERM_SUFFIXES
                elif pattern.endswith("ها"):
                    allowed = AFTER_PLURAL_SUFFIXES
                else:
                    allowed = PERSIAN_SUFFIXES
                if rest not in allowed:
                    continue
            hits.append(Hit(tokens[first].start, tokens[last].end, pattern, entry, first, last))
    return hits
