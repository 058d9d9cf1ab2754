"""Jalali (Solar Hijri) calendar arithmetic and Persian date-string parsing.

The arithmetic is the 33-year-cycle rule used by Iranian software (jdf, jdatetime): exact
for the years news pages carry (1300-1500 AH solar). htmldate and dateparser read
``۱۴۰۴/۰۴/۲۱`` as a Gregorian year 1404; this module reads it as 12 July 2025.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from pipeline.textnorm import normalize_for_matching

JALALI_MONTHS = {
    "فروردین": 1,
    "اردیبهشت": 2,
    "خرداد": 3,
    "تیر": 4,
    "مرداد": 5,
    "امرداد": 5,
    "شهریور": 6,
    "مهر": 7,
    "آبان": 8,
    "آذر": 9,
    "دی": 10,
    "بهمن": 11,
    "اسفند": 12,
}
# Gregorian month names as Persian pages write them.
PERSIAN_GREGORIAN_MONTHS = {
    "ژانویه": 1,
    "ژانویهٔ": 1,
    "فوریه": 2,
    "مارس": 3,
    "آوریل": 4,
    "آپریل": 4,
    "مه": 5,
    "می": 5,
    "ژوئن": 6,
    "جون": 6,
    "ژوئیه": 7,
    "جولای": 7,
    "اوت": 8,
    "آگوست": 8,
    "سپتامبر": 9,
    "اکتبر": 10,
    "نوامبر": 11,
    "دسامبر": 12,
}


def _fold(name: str) -> str:
    """Month names compared after the project's matching normaliser (ي/ك, digits, ZWNJ)."""
    return normalize_for_matching(name).replace(" ", "")


_JALALI_BY_KEY = {_fold(k): v for k, v in JALALI_MONTHS.items()}
_PGREG_BY_KEY = {_fold(k): v for k, v in PERSIAN_GREGORIAN_MONTHS.items()}


# _day_number(1404, 1, 1) - date(2025, 3, 21).toordinal(): the two counts' offset.
_ORDINAL_SHIFT = 365


def _day_number(jy: int, jm: int, jd: int) -> int:
    """A running day count (jdf's), ``_ORDINAL_SHIFT`` days ahead of ``date.toordinal``."""
    jy += 1595
    days = -355668 + 365 * jy + (jy // 33) * 8 + ((jy % 33) + 3) // 4 + jd
    return days + ((jm - 1) * 31 if jm < 7 else (jm - 7) * 30 + 186)


def is_jalali_leap(jy: int) -> bool:
    """Leap year by the 33-year rule: the year whose Esfand has 30 days."""
    return _day_number(jy + 1, 1, 1) - _day_number(jy, 1, 1) == 366


def jalali_to_gregorian(jy: int, jm: int, jd: int) -> date:
    """Convert a Jalali date to a Gregorian ``date``; ValueError for an impossible date."""
    if not (1 <= jm <= 12) or not (1 <= jd <= 31) or (jm > 6 and jd > 30):
        raise ValueError(f"not a Jalali date: {jy}/{jm}/{jd}")
    if jm == 12 and jd == 30 and not is_jalali_leap(jy):
        raise ValueError(f"{jy} is not a Jalali leap year")
    return date.fromordinal(_day_number(jy, jm, jd) - _ORDINAL_SHIFT)


@dataclass(frozen=True)
class ParsedDate:
    """A date found in free text: the Gregorian date, its calendar and the raw match."""

    value: date
    calendar: str  # "gregorian" | "jalali"
    raw: str
    hour: int | None = None
    minute: int | None = None


class _FoldTable(dict):
    """``str.translate`` table filled on first sight of each character (no Python loop per
    character: the translation runs in C and looks each code point up once)."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        invisible = ch.isspace() or unicodedata.category(ch) == "Cf"
        n = " " if invisible else normalize_for_matching(ch)
        folded = n if len(n) == 1 else ch
        self[code] = folded
        return folded


_FOLD_TABLE = _FoldTable()
# On ASCII the fold is lower case with whitespace controls as spaces (checked here, once):
# ASCII text, the most of any page, takes that fast path.
_ASCII_WS = {c: " " for c in range(128) if chr(c).isspace() and c != 32}
_ASCII_SIMPLE = all(_FOLD_TABLE[c] == _ASCII_WS.get(c, chr(c).lower()) for c in range(128))


def fold_chars(text: str) -> str:
    """Length-preserving fold: each character through the matching normaliser.

    Digits become ASCII, Arabic letter variants Persian, ZWNJ/NBSP/bidi marks a space; a character the
    normaliser would drop or expand is kept as it is, so offsets stay valid in ``text``.
    """
    if _ASCII_SIMPLE and text.isascii():
        return text.lower().translate(_ASCII_WS)
    return text.translate(_FOLD_TABLE)


def _month_alternation(names: dict[str, int]) -> str:
    # Longest first so that "امرداد" wins over "مرداد".
    keys = {_fold(n) for n in names}
    return "|".join(sorted((re.escape(k) for k in keys), key=len, reverse=True))


_TIME = r"(?:[\s,،\-–|:]*(?:ساعت\s*)?(\d{1,2}):(\d{2}))?"
_ALL_MONTHS = _month_alternation({**JALALI_MONTHS, **PERSIAN_GREGORIAN_MONTHS})
# On folded text: "۲۱ تیر ۱۴۰۴", "20 مهر 1393", "۲۱ تیرماه ۱۴۰۴", "۱۲ ژوئیهٔ ۲۰۲۵".
_NAMED_RE = re.compile(
    rf"(?<!\d)(\d{{1,2}})\s*({_ALL_MONTHS})\u0654?(?:\s*ماه)?[\s,،]+(\d{{4}})(?!\d){_TIME}"
)
# "۱۴۰۴/۰۴/۲۱", "1404-04-21", "1404.4.21"
_NUMERIC_RE = re.compile(rf"(?<!\d)(1[34]\d\d)([/\-.])(\d{{1,2}})\2(\d{{1,2}})(?!\d){_TIME}")
# "21/04/1404" (day first) is also seen on Persian sites.
_NUMERIC_DMY_RE = re.compile(rf"(?<!\d)(\d{{1,2}})([/\-.])(\d{{1,2}})\2(1[34]\d\d)(?!\d){_TIME}")


def _time(m: re.Match, first_group: int) -> tuple[int | None, int | None]:
    h, mi = m.group(first_group), m.group(first_group + 1)
    if h is None:
        return None, None
    hour, minute = int(h), int(mi)
    if hour > 23 or minute > 59:
        return None, None
    return hour, minute


def find_persian_dates(text: str) -> list[tuple[int, ParsedDate]]:
    """Every Jalali (or Persian-written Gregorian) date in ``text``, with its offset."""
    folded = fold_chars(text)
    found: list[tuple[int, ParsedDate]] = []

    def add(m: re.Match, value: date, cal: str, time_group: int) -> None:
        hour, minute = _time(m, time_group)
        raw = text[m.start() : m.end()].strip(" \t\n,،-–|")
        found.append((m.start(), ParsedDate(value, cal, raw, hour, minute)))

    for m in _NAMED_RE.finditer(folded):
        day, month_name, year = int(m.group(1)), m.group(2), int(m.group(3))
        try:
            if month_name in _JALALI_BY_KEY and 1200 <= year <= 1500:
                add(m, jalali_to_gregorian(year, _JALALI_BY_KEY[month_name], day), "jalali", 4)
            elif month_name in _PGREG_BY_KEY and 1900 <= year <= 2100:
                add(m, date(year, _PGREG_BY_KEY[month_name], day), "gregorian", 4)
        except ValueError:
            continue
    for rx, order in ((_NUMERIC_RE, "ymd"), (_NUMERIC_DMY_RE, "dmy")):
        for m in rx.finditer(folded):
            a, b, c = int(m.group(1)), int(m.group(3)), int(m.group(4))
            y, mo, d = (a, b, c) if order == "ymd" else (c, b, a)
            try:
                add(m, jalali_to_gregorian(y, mo, d), "jalali", 5)
            except ValueError:
                continue
    found.sort(key=lambda item: item[0])
    return found


def parse_persian_date(text: str) -> ParsedDate | None:
    """The first Persian/Jalali date in ``text``, or None."""
    dates = find_persian_dates(text)
    return dates[0][1] if dates else None
