"""Matching keys for near-duplicate detection: cleaned tokens and hashed word shingles.

Everything here builds *keys*; stored article text is never changed. The steps are:

1. :func:`strip_boilerplate` removes what one outlet adds around a story it republishes:
   a stock lede ("Iran Human Rights (IHRNGO); January 5, 2026:", "TEHRAN (Reuters) -",
   «به گزارش خبرگزاری هرانا، …», «هرانا - ») and short promotional or navigation
   lines ("Follow us on Telegram", «انتهای پیام», «کانال تلگرام ما را دنبال کنید»).
   The patterns are general (an attribution phrase, a parenthesised acronym, a date, an
   upper-case dateline, boilerplate keywords), never one outlet's wording.
2. :func:`match_tokens` runs :func:`pipeline.textnorm.tokens` (letter variants, digits,
   ZWNJ and bidi marks folded) and then re-attaches Persian clitics that are typed joined,
   with ZWNJ or with a space ("می‌شود" / "می شود" / "میشود", "زندان‌ها" / "زندانها"), so
   each spelling gives the same token.
3. :func:`shingle_hashes` hashes every run of ``k`` consecutive tokens into a sorted,
   de-duplicated array of 32-bit values: the set compared by Jaccard similarity.
"""

from __future__ import annotations

import re

import numpy as np
import xxhash

from pipeline.textnorm import normalize_for_matching

# --- boilerplate ------------------------------------------------------------------------

_MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_PERSIAN_MONTHS = (
    r"(?:فروردین|اردیبهشت|خرداد|تیر|مرداد|شهریور|مهر|آبان|آذر|دی|بهمن|اسفند|"
    r"ژانویه|فوریه|مارس|آوریل|مه|ژوئن|ژوئیه|اوت|سپتامبر|اکتبر|نوامبر|دسامبر)"
)
_WEEKDAYS = (
    r"(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day|شنبه|یکشنبه|دوشنبه|سه‌?\s?شنبه|"
    r"چهارشنبه|پنجشنبه|پنج‌?\s?شنبه|جمعه)"
)
# A date as outlets write it in a lede: "January 5, 2026", "5 Jan 2026", "2026-01-05",
# "05/01/2026", "۱۵ دی ۱۴۰۴", optionally after a weekday. Digits are ASCII here because the
# patterns run on text whose digits were folded first.
_DATE = (
    rf"(?:{_WEEKDAYS}[,،]?\s*)?"
    rf"(?:{_MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTHS},?\s+\d{{4}}"
    rf"|\d{{4}}[-/.]\d{{1,2}}[-/.]\d{{1,2}}|\d{{1,2}}[-/.]\d{{1,2}}[-/.]\d{{2,4}}"
    rf"|\d{{1,2}}\s+{_PERSIAN_MONTHS}(?:\s+(?:ماه\s+)?(?:سال\s+)?\d{{4}})?)"
)
_SEP = r"\s*[:;؛,،\-–—|]\s*"

_LEDE_PATTERNS = [
    # "Iran Human Rights (IHRNGO); January 5, 2026:"  /  "HRANA, 5 Jan 2026 -"
    re.compile(rf"^[^\n:;؛.!?]{{0,80}}?{_SEP}{_DATE}{_SEP}", re.IGNORECASE),
    # "Iran Human Rights (IHRNGO):"  "(HRANA) -"  — a short name with an acronym in brackets.
    re.compile(r"^[^\n:;؛.!?()]{0,60}\([A-Za-z][A-Za-z.\- ]{1,14}\)" + _SEP),
    # "January 5, 2026 -" alone.
    re.compile(rf"^{_DATE}{_SEP}", re.IGNORECASE),
    # Upper-case dateline: "TEHRAN (Reuters) -", "LONDON, Jan 5 —".
    re.compile(r"^[A-Z][A-Z .'’\-]{2,30}(?:,[^\n\-–—]{0,30})?(?:\s*\([^)\n]{1,40}\))?\s*[\-–—:]\s+"),
    # Persian attribution: «به گزارش خبرگزاری هرانا، …», «به نقل از …،», «بنا بر گزارش …،».
    re.compile(r"^(?:به\s+گزارش|به\s+نقل\s+از|بنا\s+(?:بر|به)\s+گزارش)[^\n،,.:]{1,120}[،,:]\s*"),
    # Agency dateline of up to four words and a dash or Persian semicolon: «هرانا - »,
    # «خبرگزاری هرانا؛ », "HRANA – ". (Not a colon: "The court said: …" is content.)
    re.compile(r"^[^\s\n.،,؛:]{2,20}(?:\s+[^\s\n.،,؛:\-–—]{2,20}){0,3}\s*[\-–—؛]\s+"),
]
# The short-dateline pattern above is permissive, so it only applies when the text after it
# is long: a lede, not a sentence that happens to start with a few words and a colon.
_SHORT_DATELINE = _LEDE_PATTERNS[-1]

# Calls to action and site furniture, not topics: a short line saying that someone was
# arrested over a Telegram channel or an Instagram post is content and stays.
_NETWORKS = r"(?:telegram|x|twitter|instagram|facebook|youtube|whatsapp|تلگرام|اینستاگرام|توییتر|ایکس)"
_BOILERPLATE_LINE = re.compile(
    r"(follow us|join us|join our|subscribe|newsletter|share (?:this|on)|all rights reserved|"
    rf"copyright|©|read more|related (?:news|articles|posts|stories)|click here|sign up|"
    rf"download (?:our|the) app|print this|^tags?:|^source:|^photo:|^image:|"
    rf"follow\b.{{0,40}}\bon {_NETWORKS}\b|"
    r"انتهای پیام|تمامی حقوق|کلیه حقوق|کپی ?برداری|بیشتر بخوانید|مطالب مرتبط|اخبار مرتبط|"
    r"ما را دنبال کنید|دنبال کنید|عضو شوید|بپیوندید|^منبع|^برچسب|^عکس:|^کد خبر|^لینک کوتاه)",
    re.IGNORECASE,
)
_MAX_BOILERPLATE_LINE_WORDS = 25
_LINE_SPLIT = re.compile(r"\n+")


def _strip_lede(text: str) -> str:
    """Remove up to two stacked ledes from the start of (normalised) ``text``."""
    for _ in range(2):
        for pattern in _LEDE_PATTERNS:
            m = pattern.match(text)
            if not m or m.end() == 0:
                continue
            rest = text[m.end() :]
            if pattern is _SHORT_DATELINE and len(rest.split()) < 20:
                continue
            text = rest
            break
        else:
            break
    return text


def strip_boilerplate(text: str) -> str:
    """Normalised ``text`` without stock ledes and short boilerplate lines.

    Works line by line: a line of at most 25 words that carries a boilerplate keyword
    (follow us, subscribe, ©, «انتهای پیام», «کانال تلگرام», …) is dropped; the first
    remaining line loses a stock lede. Folding (``normalize_for_matching``) happens first,
    per line, so Arabic-typed and Persian-typed ledes match the same patterns.
    """
    kept: list[str] = []
    for raw in _LINE_SPLIT.split(text or ""):
        line = normalize_for_matching(raw)
        if not line:
            continue
        if len(line.split()) <= _MAX_BOILERPLATE_LINE_WORDS and _BOILERPLATE_LINE.search(line):
            continue
        if not kept:
            line = _strip_lede(line)
            if not line:
                continue
        kept.append(line)
    return "\n".join(kept)


# --- tokens -----------------------------------------------------------------------------

_WORD_RE = re.compile(r"\w+")  # pipeline.textnorm.tokens' rule

# Persian clitics that are written joined, with ZWNJ, or with a space. Joining them to their
# neighbour gives every spelling one token ("می شود" -> "میشود", "زندان ها" -> "زندانها").
_PREFIX_CLITICS = frozenset({"می", "نمی", "بی"})
_SUFFIX_CLITICS = frozenset(
    {
        "ها",
        "های",
        "هایی",
        "هایش",
        "هایشان",
        "ای",
        "تر",
        "ترین",
        "اند",
        "ایم",
        "اید",
        "ام",
        "اش",
        "شان",
        "مان",
        "تان",
    }
)


def join_clitics(toks: list[str]) -> list[str]:
    """Attach Persian prefix and suffix clitics to their neighbours (a matching key only)."""
    out: list[str] = []
    carry = ""
    for tok in toks:
        if tok in _PREFIX_CLITICS:
            carry += tok
            continue
        if carry:
            tok = carry + tok
            carry = ""
        if tok in _SUFFIX_CLITICS and out:
            out[-1] += tok
        else:
            out.append(tok)
    if carry:
        out.append(carry)
    return out


def match_tokens(text: str) -> list[str]:
    """Tokens used for matching: boilerplate stripped, letters folded, clitics joined.

    ``strip_boilerplate`` already returns ``normalize_for_matching`` output, so its words are
    taken with textnorm's own ``\\w+`` rule instead of normalising a second time
    (``tokens(x) == _WORD_RE.findall(x)`` for normalised ``x``).
    """
    return join_clitics(_WORD_RE.findall(strip_boilerplate(text)))


# --- shingles ---------------------------------------------------------------------------

_U64 = np.uint64
_MIX1 = _U64(0xBF58476D1CE4E5B9)
_MIX2 = _U64(0x94D049BB133111EB)
_SHIFT_WEIGHTS = (
    _U64(0x9E3779B97F4A7C15),
    _U64(0xC2B2AE3D27D4EB4F),
    _U64(0x165667B19E3779F9),
    _U64(0x27D4EB2F165667C5),
    _U64(0xFF51AFD7ED558CCD),
    _U64(0xC4CEB9FE1A85EC53),
    _U64(0x85EBCA77C2B2AE63),
    _U64(0xD6E8FEB86659FD93),
)


def _mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser, vectorised (uint64 arithmetic wraps modulo 2**64 on purpose)."""
    x = x ^ (x >> _U64(30))
    x = x * _MIX1
    x = x ^ (x >> _U64(27))
    x = x * _MIX2
    return x ^ (x >> _U64(31))


def shingle_hashes(toks: list[str], k: int) -> np.ndarray:
    """Sorted unique 32-bit hashes of every ``k``-token shingle (fewer tokens: one shingle).

    Each token is hashed once (xxh3-64); a shingle's hash combines its tokens' hashes with
    position weights and a splitmix64 finaliser, so no shingle string is ever built.
    """
    if not toks:
        return np.empty(0, dtype=np.uint32)
    if k > len(_SHIFT_WEIGHTS):
        raise ValueError(f"shingle size {k} > {len(_SHIFT_WEIGHTS)}")
    cache: dict[str, int] = {}
    for t in toks:
        if t not in cache:
            cache[t] = xxhash.xxh3_64_intdigest(t.encode("utf-8"))
    hashed = np.fromiter((cache[t] for t in toks), dtype=np.uint64, count=len(toks))
    n = max(len(toks) - k + 1, 1)
    k_eff = min(k, len(toks))
    with np.errstate(over="ignore"):
        acc = np.zeros(n, dtype=np.uint64)
        for i in range(k_eff):
            acc = acc + hashed[i : i + n] * _SHIFT_WEIGHTS[i]
        mixed = _mix64(acc)
    return np.unique((mixed >> _U64(32)).astype(np.uint32))


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Exact Jaccard similarity of two sorted unique hash arrays."""
    if a.size == 0 or b.size == 0:
        return 0.0
    inter = np.intersect1d(a, b, assume_unique=True).size
    return inter / (a.size + b.size - inter)


def containment(a: np.ndarray, b: np.ndarray) -> float:
    """Share of the smaller set found in the larger one (overlap coefficient)."""
    if a.size == 0 or b.size == 0:
        return 0.0
    inter = np.intersect1d(a, b, assume_unique=True).size
    return inter / min(a.size, b.size)
