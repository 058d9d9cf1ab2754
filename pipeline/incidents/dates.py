"""Event dates in article text, resolved against the publication date, with a precision.

Explicit dates (``14 March 2026``, ``March 14``, ``2026-03-14``, Jalali ``۲۴ اسفند ۱۴۰۴`` or
``۲۴ اسفند`` without a year) and relative ones (``on Tuesday``, ``yesterday``, «سحرگاه امروز»,
«روز سه‌شنبه») become a Gregorian date. A day or month written without a year takes the
latest year that does not put it after publication. Month-only and year-only mentions keep
that precision; nothing is guessed beyond what the text says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from pipeline.extraction.jalali import JALALI_MONTHS, find_persian_dates, fold_chars, jalali_to_gregorian
from pipeline.incidents.gate import may_match

_EN_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ]
    )
    for m in names
}
_MON = "|".join(sorted(_EN_MONTHS, key=len, reverse=True))
_DMY = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?(?: of)? ({_MON})\.?,?(?: (\d{{4}}))?\b")
_MDY = re.compile(rf"\b({_MON})\.? (\d{{1,2}})(?:st|nd|rd|th)?\b(?:,? (\d{{4}})\b)?")
_ISO = re.compile(r"\b(20\d\d)-(\d\d)-(\d\d)\b")
_MONTH_YEAR = re.compile(rf"\b(?:in |since |during |of )?({_MON}) (\d{{4}})\b")
_IN_MONTH = re.compile(rf"\b(?:in|early|late|mid-?|since) ({_MON})\b")
_YEAR = re.compile(r"\bin (19\d\d|20\d\d)\b")
_MAY_VERB = re.compile(r" (?:be|have|not|also|well|still|never|soon|face|lead|go|take)\b")
_EN_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
# A weekday names a day when introduced ("on Tuesday", "last Sunday") or followed by a time of
# day or a date ("Tuesday morning", "Tuesday, 3 February"), not in "Friday prayers".
_WEEKDAY = re.compile(
    r"\b(?:(?:on|last|this|early|late|since|from|until|by|in|during) (?:the (?:morning|night|evening|afternoon|early hours|small hours|dawn) of )?("
    + "|".join(_EN_WEEKDAYS)
    + r")\b|("
    + "|".join(_EN_WEEKDAYS)
    + r")(?=,? (?:\d|morning|night|evening|afternoon|dawn)))"
)
_TODAY = re.compile(r"\b(?:today|this morning|earlier today|at dawn today|on the morning of today|tonight)\b")
_YESTERDAY = re.compile(r"\b(?:yesterday|last night)\b")
_DAY_BEFORE = re.compile(r"\b(?:the )?day before yesterday\b|(?<![\w])پریروز(?![\w])")
_NUM = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "a": 1}
_DAYS_AGO = re.compile(r"\b(\d|one|two|three|four|five|six) days? ago\b")
_FA_DAYS_AGO = re.compile(r"(?<![\w])(\d|دو|سه|چهار|پنج|شش) روز (?:پیش|قبل)(?![\w])")
# "Two days after X was hanged, her mother ...": opening the sentence, the act N days before
# publication (taken by the extractor only when the act's trigger follows in its clause);
# inside a clause («این اعدام‌ها دو روز پس از اعدام X انجام شد») it counts from another event
_DAYS_AFTER = re.compile(
    r"(?:^|(?<=[.!?\n]) ?)(\d|one|two|three|four|five|six) days? (?:after|since)\b", re.IGNORECASE
)
# "in recent days", «در روزهای اخیر»: the week before publication, as its month
_RECENT_DAYS = re.compile(r"\b(?:in|over|during) (?:recent days|the (?:past|last) (?:few )?days)\b")
_FA_RECENT_DAYS = re.compile(r"(?<![\w])(?:در|طی) (?:روزهای (?:اخیر|گذشته)|چند روز (?:اخیر|گذشته))(?![\w])")
_LAST_WEEK = re.compile(r"\blast week\b")
_FA_LAST_WEEK = re.compile(r"(?<![\w])هفته (?:گذشته|پیش|قبل)(?![\w])")
_THIS_MONTH = re.compile(r"\b(?:earlier|early) this month\b")
_THIS_WEEK = re.compile(r"\b(?:earlier |early )?this week\b")
_FA_THIS_WEEK = re.compile(
    r"(?<![\w])(?:(?:اوایل|اوایل همین|در) )?(?:این|همین) هفته(?![\w])|(?<![\w])هفته جاری(?![\w])"
)
_LAST_MONTH = re.compile(r"\blast month\b")
_FA_LAST_MONTH = re.compile(r"(?<![\w])(?<!در )(?<!طی )(?<!یک )ماه (?:گذشته|پیش|قبل)(?![\w])")
_FA_THIS_MONTH = re.compile(
    r"(?<![\w])(?:اوایل|ابتدای|اوایل همین|در) (?:این|همین) ماه(?![\w])|(?<![\w])ماه جاری(?![\w])"
)

_FA_WEEKDAYS = {"شنبه": 5, "یکشنبه": 6, "دوشنبه": 0, "سه شنبه": 1, "چهارشنبه": 2, "پنجشنبه": 3, "جمعه": 4}
_FA_WD_ALT = "|".join(sorted(_FA_WEEKDAYS, key=len, reverse=True))
_L = r"[\w\u064b-\u065f\u0670]"
_FA_WEEKDAY = re.compile(
    rf"(?<!{_L})(?<!نماز )(?<!امام )(?<!خطبه )(?<!خطبه های )(?:روز |صبح |سحرگاه |بامداد |شامگاه |عصر |ظهر )?({_FA_WD_ALT})(?!{_L})"
)
_FA_TODAY = re.compile(rf"(?<!{_L})(?:سحرگاه|صبح|بامداد|ظهر|عصر|شامگاه|روز)? ?امروز(?!{_L})")
_FA_YESTERDAY = re.compile(rf"(?<!{_L})(?:دیروز|روز گذشته|دیشب|شب گذشته|بامداد دیروز|سحرگاه دیروز)(?!{_L})")
_FA_MONTHS = "|".join(sorted((fold_chars(m) for m in JALALI_MONTHS), key=len, reverse=True))
_FA_ORDINALS = {
    "اول": 1,
    "یکم": 1,
    "دوم": 2,
    "سوم": 3,
    "چهارم": 4,
    "پنجم": 5,
    "ششم": 6,
    "هفتم": 7,
    "هشتم": 8,
    "نهم": 9,
    "دهم": 10,
}
_FA_ORDINALS |= {
    "یازدهم": 11,
    "دوازدهم": 12,
    "سیزدهم": 13,
    "چهاردهم": 14,
    "پانزدهم": 15,
    "شانزدهم": 16,
    "هفدهم": 17,
    "هجدهم": 18,
    "هیجدهم": 18,
    "نوزدهم": 19,
    "بیستم": 20,
    "سی ام": 30,
    "سیام": 30,
}
# «بیست و دوم», «سی و یکم»: tens and a unit ordinal
_FA_ORDINALS |= {
    f"{tens} و {unit}": base + value
    for tens, base in (("بیست", 20), ("سی", 30))
    for unit, value in list(_FA_ORDINALS.items())
    if value < 10 and unit != "اول"
    if base + value <= 31
}
_FA_ORD_ALT = "|".join(sorted((fold_chars(k) for k in _FA_ORDINALS), key=len, reverse=True))
_FA_ORDINALS = {fold_chars(k): v for k, v in _FA_ORDINALS.items()}
_FA_DAY_MONTH = re.compile(
    rf"(?<!\d)(?<!{_L})(?<!{_L} و )(\d{{1,2}}|{_FA_ORD_ALT}) ({_FA_MONTHS})(?: ?ماه)?(?: (1[34]\d\d))?(?! ?\d)(?!{_L})"
)
_FA_MONTH_ONLY = re.compile(
    rf"(?<!{_L})(?<!\d )({_FA_MONTHS})(?: ?ماه(?: (1[34]\d\d))?| (1[34]\d\d))(?!{_L})"
)
_FA_LAST_YEAR = re.compile(rf" (?:سال (?:گذشته|پیش|قبل))(?!{_L})")
_FA_YEAR = re.compile(rf"(?<!{_L})سال (1[34]\d\d)(?!\d)")


@dataclass(frozen=True, slots=True)
class DateHit:
    """A date expression: ``value`` is the day (month/year: its first day) and its precision."""

    start: int
    end: int
    value: date
    precision: str  # day | month | year
    how: str  # explicit | jalali | relative | undated_year


def _year_before(pub: date, month: int, day: int) -> date | None:
    """The latest date with this month/day that is not more than 2 days after publication."""
    for year in (pub.year, pub.year - 1):
        try:
            value = date(year, month, day)
        except ValueError:
            continue
        if value <= pub + timedelta(days=2):
            return value
    return None


def _gregorian_to_jalali_year(pub: date) -> int:
    """The Jalali year of ``pub`` (Nowruz is on 20-21 March)."""
    return pub.year - 621 if pub >= jalali_to_gregorian(pub.year - 621, 1, 1) else pub.year - 622


def _jalali_before(pub: date, month: int, day: int) -> date | None:
    jy = _gregorian_to_jalali_year(pub)
    for year in (jy, jy - 1):
        try:
            value = jalali_to_gregorian(year, month, day)
        except ValueError:
            continue
        if value <= pub + timedelta(days=2):
            return value
    return None


def _last_weekday(pub: date, weekday: int) -> date:
    return pub - timedelta(days=(pub.weekday() - weekday) % 7)


def _scan(rx: re.Pattern[str], folded: str):
    """``rx.finditer(folded)``, skipped when the text lacks the words ``rx`` needs."""
    return rx.finditer(folded) if may_match(rx, folded) else ()


def find_dates(text: str, published: date | None, *, folded: str | None = None) -> list[DateHit]:
    """Every date expression in ``text`` with its resolved value (offsets into ``text``);
    ``folded`` is ``fold_chars(text)`` when the caller has it."""
    folded = fold_chars(text) if folded is None else folded
    out: list[DateHit] = []
    taken: list[tuple[int, int]] = []

    def add(start: int, end: int, value: date | None, precision: str, how: str) -> None:
        if value is None or any(s < end and start < e for s, e in taken):
            return
        taken.append((start, end))
        out.append(DateHit(start, end, value, precision, how))

    for start, parsed in find_persian_dates(text):
        add(start, start + len(parsed.raw), parsed.value, "day", parsed.calendar)
    for m in _scan(_ISO, folded):
        try:
            add(m.start(), m.end(), date(int(m[1]), int(m[2]), int(m[3])), "day", "explicit")
        except ValueError:
            pass
    for rx, order in ((_DMY, "dmy"), (_MDY, "mdy")):
        for m in _scan(rx, folded):
            d, mon, y = (m[1], m[2], m[3]) if order == "dmy" else (m[2], m[1], m[3])
            month, day = _EN_MONTHS[mon], int(d)
            if y:
                try:
                    add(m.start(), m.end(), date(int(y), month, day), "day", "explicit")
                except ValueError:
                    pass
            elif published is not None and not (mon == "may" and order == "mdy"):
                add(m.start(), m.end(), _year_before(published, month, day), "day", "undated_year")
    for m in _scan(_MONTH_YEAR, folded):
        add(m.start(1), m.end(), date(int(m[2]), _EN_MONTHS[m[1]], 1), "month", "explicit")
    for m in _scan(_FA_DAY_MONTH, folded):
        if published is not None:
            month = JALALI_MONTHS.get(m[2]) or _fa_month(m[2])
            day = _FA_ORDINALS.get(m[1]) or int(m[1])
            if m[3]:
                try:
                    value = jalali_to_gregorian(int(m[3]), month, day)
                except ValueError:
                    continue
            else:
                value = _jalali_before(published, month, day)
            add(m.start(), m.end(), value, "day", "jalali")
    if published is not None:
        for m in _scan(_IN_MONTH, folded):
            # "in May" names the month; "early may be", "since may have" are the verb
            if m[1] == "may" and (
                not m.group().startswith(("in ", "since ")) or _MAY_VERB.match(folded, m.end())
            ):
                continue
            value = _year_before(published, _EN_MONTHS[m[1]], 1)
            add(m.start(1), m.end(), value, "month", "undated_year")
        for m in _scan(_FA_MONTH_ONLY, folded):
            month = _fa_month(m[1])
            year = m[2] or m[3]
            end = m.end()
            if not year:
                first = _jalali_before(published, month, 1)
                if first is None:
                    continue
                year = _gregorian_to_jalali_year(first)
                last_year = _FA_LAST_YEAR.match(folded, end)
                if last_year:  # «مهرماه سال گذشته»: that month of the previous Jalali year
                    year = _gregorian_to_jalali_year(published) - 1
                    end = last_year.end()
            # A Jalali month is given as the Gregorian month that holds its 15th day.
            value = jalali_to_gregorian(int(year), month, 15)
            add(m.start(), end, value, "month", "jalali")
        for m in _scan(_TODAY, folded):
            add(m.start(), m.end(), published, "day", "relative")
        for m in _scan(_FA_TODAY, folded):
            add(m.start(), m.end(), published, "day", "relative")
        for m in _scan(_DAY_BEFORE, folded):
            add(m.start(), m.end(), published - timedelta(days=2), "day", "relative")
        for m in _scan(_YESTERDAY, folded):
            add(m.start(), m.end(), published - timedelta(days=1), "day", "relative")
        for m in _scan(_FA_YESTERDAY, folded):
            add(m.start(), m.end(), published - timedelta(days=1), "day", "relative")
        for rx_ago, words in (
            (_DAYS_AGO, _NUM),
            (_FA_DAYS_AGO, {"دو": 2, "سه": 3, "چهار": 4, "پنج": 5, "شش": 6}),
        ):
            for m in _scan(rx_ago, folded):
                n = int(m[1]) if m[1].isdigit() else words[m[1]]
                add(m.start(), m.end(), published - timedelta(days=n), "day", "relative")
        for m in _scan(_DAYS_AFTER, folded):
            n = int(m[1]) if m[1].isdigit() else _NUM[m[1].lower()]
            add(m.start(), m.end(), published - timedelta(days=n), "day", "elapsed")
        for rx_recent in (_RECENT_DAYS, _FA_RECENT_DAYS):
            for m in _scan(rx_recent, folded):
                if (published - timedelta(days=7)).month == published.month:
                    add(m.start(), m.end(), published.replace(day=1), "month", "relative")
        for rx_week, first_day in ((_LAST_WEEK, 0), (_FA_LAST_WEEK, 5)):  # Monday; Saturday
            for m in _scan(rx_week, folded):
                start = published - timedelta(days=(published.weekday() - first_day) % 7 + 7)
                end = start + timedelta(days=6)
                if (start.year, start.month) == (end.year, end.month):  # one month: its month
                    add(m.start(), m.end(), start.replace(day=1), "month", "relative")
        for rx_week, first_day in ((_THIS_WEEK, 0), (_FA_THIS_WEEK, 5)):  # Monday; Saturday
            for m in _scan(rx_week, folded):  # from the week's first day to publication
                start = published - timedelta(days=(published.weekday() - first_day) % 7)
                if (start.year, start.month) == (published.year, published.month):
                    add(m.start(), m.end(), start.replace(day=1), "month", "relative")
        for rx_month in (_THIS_MONTH, _FA_THIS_MONTH):
            for m in _scan(rx_month, folded):
                add(m.start(), m.end(), published.replace(day=1), "month", "relative")
        for m in _scan(_LAST_MONTH, folded):  # the Gregorian month before
            add(
                m.start(),
                m.end(),
                (published.replace(day=1) - timedelta(days=1)).replace(day=1),
                "month",
                "relative",
            )
        for m in _scan(_FA_LAST_MONTH, folded):  # the Jalali month before, as its 15th day's month
            jy = _gregorian_to_jalali_year(published)
            jm = next(k for k in range(12, 0, -1) if jalali_to_gregorian(jy, k, 1) <= published)
            py, pm = (jy, jm - 1) if jm > 1 else (jy - 1, 12)
            add(m.start(), m.end(), jalali_to_gregorian(py, pm, 15).replace(day=1), "month", "relative")
        for m in _scan(_WEEKDAY, folded):
            value = _last_weekday(published, _EN_WEEKDAYS.index(m[1] or m[2]))
            if value == published and m.group().startswith("last "):
                value -= timedelta(days=7)  # "last Tuesday", said on a Tuesday
            add(m.start(), m.end(), value, "day", "relative")
        for m in _scan(_FA_WEEKDAY, folded):
            value = _last_weekday(published, _FA_WEEKDAYS[m[1]])
            add(m.start(), m.end(), value, "day", "relative")
    for m in _scan(_YEAR, folded):
        add(m.start(1), m.end(), date(int(m[1]), 1, 1), "year", "explicit")
    for m in _scan(_FA_YEAR, folded):
        try:
            add(m.start(), m.end(), jalali_to_gregorian(int(m[1]), 1, 1), "year", "jalali")
        except ValueError:
            pass
    out.sort(key=lambda h: h.start)
    return out


_FA_MONTH_KEYS = {fold_chars(k): v for k, v in JALALI_MONTHS.items()}


def _fa_month(name: str) -> int:
    return _FA_MONTH_KEYS[name]


def format_date(value: date, precision: str) -> str:
    """ISO text at the precision: ``2026-03-12``, ``2026-03`` or ``2026``."""
    if precision == "month":
        return value.strftime("%Y-%m")
    if precision == "year":
        return str(value.year)
    return value.isoformat()
