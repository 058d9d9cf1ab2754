"""Text normalisation for matching and hashing only.

Stored text is never altered: these functions build *keys* (hashes, shingles, lexicon
lookups) that must treat spelling variants of the same words as equal. Persian is typed
with Arabic or Persian letters, with Persian, Arabic-Indic or ASCII digits, and with the
zero-width non-joiner (ZWNJ) written as ZWNJ, as a space or not at all.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

# Letter variants that NFKC leaves alone but that readers treat as the same letter.
_LETTER_MAP = {
    "\u064a": "\u06cc",  # Arabic yeh -> Persian yeh
    "\u0649": "\u06cc",  # alef maksura -> Persian yeh
    "\u0626": "\u06cc",  # yeh with hamza above -> Persian yeh
    "\u0643": "\u06a9",  # Arabic kaf -> Persian keheh
    "\u0629": "\u0647",  # teh marbuta -> heh
    "\u06c0": "\u0647",  # heh with yeh above -> heh
    "\u06d5": "\u0647",  # ae -> heh
    "\u0623": "\u0627",  # alef with hamza above -> alef
    "\u0625": "\u0627",  # alef with hamza below -> alef
    "\u0622": "\u0627",  # alef with madda -> alef
    "\u0671": "\u0627",  # alef wasla -> alef
    "\u0624": "\u0648",  # waw with hamza -> waw
}
# Persian (U+06F0..) and Arabic-Indic (U+0660..) digits -> ASCII.
for _i in range(10):
    _LETTER_MAP[chr(0x06F0 + _i)] = str(_i)
    _LETTER_MAP[chr(0x0660 + _i)] = str(_i)

# Joiners, bidi marks and other invisible format characters become a space: a word
# written with ZWNJ then tokenises like the same word written with a space.
_INVISIBLE_TO_SPACE = {
    cp: " "
    for cp in (
        0x200C,
        0x200D,
        0x200E,
        0x200F,
        0x202A,
        0x202B,
        0x202C,
        0x202D,
        0x202E,
        0x2066,
        0x2067,
        0x2068,
        0x2069,
        0x061C,
        0xFEFF,
        0x00AD,
        0x00A0,
    )
}
_TRANSLATION = str.maketrans({**_LETTER_MAP, **{chr(k): v for k, v in _INVISIBLE_TO_SPACE.items()}})
_TATWEEL = "\u0640"
# Any character the translation or the tatweel rule changes. str.translate walks every
# character through a dict (about 0.2 ms on a 5,000-character English article, half the
# cost of hashing it); a text with none of them, most non-Persian text, skips it.
_VARIANT_RE = re.compile("[" + re.escape("".join(chr(c) for c in _TRANSLATION) + _TATWEEL) + "]")
_WORD_RE = re.compile(r"\w+", re.UNICODE)
_SPACE_RE = re.compile(r"\s+")


def _fold(text: str) -> str:
    """NFKC, variants folded, tatweel and combining marks dropped, case folded; spacing kept."""
    text = unicodedata.normalize("NFKC", text)
    if _VARIANT_RE.search(text):
        text = text.translate(_TRANSLATION).replace(_TATWEEL, "")
    if any(unicodedata.combining(ch) for ch in set(text)):  # rare: test each distinct char once
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return text.casefold()


def normalize_for_matching(text: str) -> str:
    """Return a lower-cased, variant-folded copy of ``text`` for matching and hashing.

    NFKC; Arabic letter variants to Persian; digits to ASCII; tatweel and combining marks
    (harakat) dropped; ZWNJ, ZWJ, bidi marks and NBSP to a space; whitespace collapsed.
    """
    if not text:
        return ""
    # Collapsing after case folding gives the same string: no whitespace character has a
    # case mapping, and case folding never yields whitespace.
    return _SPACE_RE.sub(" ", _fold(text)).strip()


def tokens(text: str) -> list[str]:
    """Word tokens of the normalised text (``\\w+``; punctuation dropped).

    The whitespace collapse is skipped: it cannot change where a run of word characters
    begins or ends (the tokens are those of ``normalize_for_matching``, tested)."""
    if not text:
        return []
    return _WORD_RE.findall(_fold(text))


def joined_key(text: str) -> str:
    """Normalised text with every space removed: equal for 'قزل‌حصار', 'قزل حصار', 'قزلحصار'."""
    return "".join(tokens(text))


def content_sha256(text: str) -> str:
    """SHA-256 of the normalised word sequence: the exact-duplicate key of an article text."""
    return hashlib.sha256(" ".join(tokens(text)).encode("utf-8")).hexdigest()
