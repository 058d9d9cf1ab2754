"""Victim names compared across Persian and Latin script and spelling variants.

Persian writes few vowels, and Latin spellings of one name vary mostly in vowels and in
how a consonant is rendered (Hossein/Hussein, Ghasem/Qasem, Mohammad/Mohammed). So a name
is reduced to a *consonant skeleton* in one shared alphabet: Persian letters map to the
Latin class they are written with, Latin digraphs (kh, gh, sh, ch, zh) to one symbol,
vowels, vowel carriers (ا و ی ع) and doubled letters dropped. Two names match when their
skeletons are close (``difflib`` ratio) token by token.
"""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher
from functools import lru_cache

from pipeline.textnorm import normalize_for_matching

_FA = {
    "ب": "b",
    "پ": "p",
    "ت": "t",
    "ط": "t",
    "ث": "s",
    "س": "s",
    "ص": "s",
    "ج": "j",
    "چ": "C",
    "ح": "h",
    "ه": "h",
    "خ": "X",
    "د": "d",
    "ذ": "z",
    "ز": "z",
    "ض": "z",
    "ظ": "z",
    "ر": "r",
    "ژ": "j",  # Latin j renders ژ as often as ج (Jina = ژینا): one class
    "ش": "S",
    "غ": "q",
    "ق": "q",
    "ف": "f",
    "ک": "k",
    "گ": "g",
    "ل": "l",
    "م": "m",
    "ن": "n",
}
_LATIN_DIGRAPHS = [("kh", "X"), ("gh", "q"), ("sh", "S"), ("ch", "C"), ("zh", "j"), ("ph", "f"), ("th", "t")]
_LATIN = {"q": "q", "c": "k", "k": "k", "w": "", "v": "", "y": "", "x": "ks", "'": "", "’": "", "`": ""}
_VOWELS = set("aeiouáíúéóâ")
_NAME_TOKEN = re.compile(r"[\w'’]+")
# Honorifics and kinship words that are not part of a name.
_DROP = {
    "mr",
    "mrs",
    "ms",
    "haj",
    "hajj",
    "seyed",
    "sayed",
    "seyyed",
    "mir",
    "agha",
    "molavi",
    "mawlawi",
    "mamosta",
    "mullah",
    "al",  # Al-Sawari, Alsawari and Sawari: the article is no part of the surname's skeleton
    "el",
    "مولوی",
    "ماموستا",
    "آقای",
    "خانم",
    "سید",
    "حاج",
}


def _latin_skeleton(word: str) -> str:
    word = "".join(ch for ch in unicodedata.normalize("NFKD", word) if not unicodedata.combining(ch))
    for a, b in _LATIN_DIGRAPHS:
        word = word.replace(a, b)
    out = []
    for ch in word:
        if ch in _VOWELS:
            continue
        out.append(_LATIN.get(ch, ch) if ch.isascii() else "")
    return "".join(out)


def _persian_skeleton(word: str) -> str:
    return "".join(_FA.get(ch, "") for ch in word)


def _collapse(skeleton: str) -> str:
    return re.sub(r"(.)\1+", r"\1", skeleton)


@lru_cache(maxsize=50_000)
def skeleton(name: str) -> tuple[str, ...]:
    """The name's tokens as consonant skeletons, honorifics dropped."""
    words = _NAME_TOKEN.findall(normalize_for_matching(name))
    out = []
    for w in words:
        if w in _DROP:
            continue
        sk = _persian_skeleton(w) if any("\u0600" <= ch <= "\u06ff" for ch in w) else _latin_skeleton(w)
        sk = _collapse(sk)
        if sk:
            out.append(sk)
    return tuple(out)


def _ratio(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


SHORT = 3  # a skeleton this short differs in one consonant only between different names


def _token_ratio(a: str, b: str) -> float:
    """``_ratio`` of two tokens' skeletons, discounted when they differ and one is short:
    Nouri (nr) and Nasiri (nsr) are two surnames, not two spellings of one; a skeleton
    inside the other (Sawari in Alsawari, a prefix glued on) is not discounted."""
    r = _ratio(a, b)
    short = min(len(a), len(b)) <= SHORT and a not in b and b not in a  # Sawari in Alsawari: one
    return r * 0.9 if short else r


def name_similarity(a: str, b: str) -> float:
    """0..1: how likely two written names are one person's (order of tokens may differ).

    Each token of the shorter name is aligned to its best token of the other, and the
    *weakest* alignment counts (Reza Kamali is not Reza Karimi). A one-token name scores
    well only against the other's surname. Names split differently (Abdolrahman, Abdol
    Rahman) are compared whole.
    """
    sa, sb = skeleton(a), skeleton(b)
    if not sa or not sb:
        return 0.0
    if "".join(sa) == "".join(sb):
        return 1.0
    whole = _ratio("".join(sa), "".join(sb))
    if len(sa) == 1 or len(sb) == 1:
        short, long_ = (sa, sb) if len(sa) == 1 else (sb, sa)
        score = _token_ratio(short[0], long_[-1]) * (0.9 if len(long_) > 1 else 1.0)
    else:  # given name(s) against given name(s), surname against surname
        score = min(_ratio("".join(sa[:-1]), "".join(sb[:-1])), _token_ratio(sa[-1], sb[-1]))
    return max(score, whole if whole >= 0.9 else 0.0)


SAME_PERSON = 0.8
