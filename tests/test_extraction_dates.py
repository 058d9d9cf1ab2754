"""Jalali conversion table, Persian date strings, structured date strings, language guess."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from pipeline.extraction.boilerplate import clean_lines
from pipeline.extraction.dates import find_dates_in_text, parse_date_string
from pipeline.extraction.jalali import (
    find_persian_dates,
    is_jalali_leap,
    jalali_to_gregorian,
    parse_persian_date,
)
from pipeline.extraction.language import choose_language, detect_script_language

# Nowruz and other dates checked against the official Iranian calendar.
JALALI_TABLE = [
    ((1404, 4, 21), date(2025, 7, 12)),
    ((1393, 7, 20), date(2014, 10, 12)),
    ((1404, 1, 1), date(2025, 3, 21)),
    ((1403, 1, 1), date(2024, 3, 20)),
    ((1402, 1, 1), date(2023, 3, 21)),
    ((1399, 1, 1), date(2020, 3, 20)),
    ((1375, 1, 1), date(1996, 3, 20)),
    ((1357, 11, 22), date(1979, 2, 11)),
    ((1367, 5, 6), date(1988, 7, 28)),
    ((1398, 8, 24), date(2019, 11, 15)),
    ((1401, 6, 25), date(2022, 9, 16)),
    ((1403, 12, 30), date(2025, 3, 20)),  # leap-year Esfand 30
    ((1399, 12, 30), date(2021, 3, 20)),
    ((1404, 6, 31), date(2025, 9, 22)),
    ((1404, 7, 1), date(2025, 9, 23)),
    ((1300, 1, 1), date(1921, 3, 21)),
]


@pytest.mark.parametrize(("jalali", "gregorian"), JALALI_TABLE)
def test_jalali_to_gregorian_table(jalali: tuple[int, int, int], gregorian: date) -> None:
    assert jalali_to_gregorian(*jalali) == gregorian


def test_leap_years_follow_the_33_year_rule() -> None:
    assert [y for y in range(1390, 1410) if is_jalali_leap(y)] == [1391, 1395, 1399, 1403, 1408]


@pytest.mark.parametrize("bad", [(1402, 12, 30), (1404, 7, 31), (1404, 13, 1), (1404, 0, 1)])
def test_impossible_jalali_dates_raise(bad: tuple[int, int, int]) -> None:
    with pytest.raises(ValueError):
        jalali_to_gregorian(*bad)


@pytest.mark.parametrize(
    ("text", "expected", "calendar"),
    [
        ("۲۱ تیر ۱۴۰۴", date(2025, 7, 12), "jalali"),
        ("۱۴۰۴/۰۴/۲۱", date(2025, 7, 12), "jalali"),
        ("20 مهر 1393", date(2014, 10, 12), "jalali"),
        ("1404-04-21", date(2025, 7, 12), "jalali"),
        ("۲۱/۰۴/۱۴۰۴", date(2025, 7, 12), "jalali"),
        ("شنبه ۲۱ تیرماه ۱۴۰۴", date(2025, 7, 12), "jalali"),
        ("۲۱ تیر" + "\u200c" + "ماه ۱۴۰۴", date(2025, 7, 12), "jalali"),
        ("۲۱ تير ۱۴۰۴", date(2025, 7, 12), "jalali"),  # Arabic yeh
        ("٢١ تیر ١٤٠٤", date(2025, 7, 12), "jalali"),  # Arabic-Indic digits
        ("۶ امرداد ۱۳۶۷", date(1988, 7, 28), "jalali"),
        ("۱۲ ژوئیه ۲۰۲۵", date(2025, 7, 12), "gregorian"),
        ("۱۲ ژوئیهٔ ۲۰۲۵", date(2025, 7, 12), "gregorian"),
    ],
)
def test_persian_date_strings(text: str, expected: date, calendar: str) -> None:
    parsed = parse_persian_date(text)
    assert parsed is not None
    assert parsed.value == expected
    assert parsed.calendar == calendar


def test_persian_date_keeps_raw_string_and_time() -> None:
    parsed = parse_persian_date("منتشر شده: ۲۱ تیر ۱۴۰۴ - ساعت ۱۰:۳۰ | بازدید")
    assert parsed.raw == "۲۱ تیر ۱۴۰۴ - ساعت ۱۰:۳۰"
    assert (parsed.hour, parsed.minute) == (10, 30)


@pytest.mark.parametrize("text", ["۳۰ اسفند ۱۴۰۲", "no date here", "۱۲۳۴۵", "2025/07/12"])
def test_non_jalali_strings_give_nothing(text: str) -> None:
    assert find_persian_dates(text) == []


@pytest.mark.parametrize(
    ("raw", "expected", "calendar"),
    [
        ("2025-07-12T09:15:00+03:30", datetime(2025, 7, 12, 5, 45, tzinfo=UTC), "gregorian"),
        ("2025-07-12T09:15:00Z", datetime(2025, 7, 12, 9, 15, tzinfo=UTC), "gregorian"),
        ("2025-07-12", datetime(2025, 7, 12, tzinfo=UTC), "gregorian"),
        ("Sat, 12 Jul 2025 09:15:00 GMT", datetime(2025, 7, 12, 9, 15, tzinfo=UTC), "gregorian"),
        ("1404/04/21", datetime(2025, 7, 12, tzinfo=UTC), "jalali"),
        ("۱۴۰۴/۰۴/۲۱ ۱۰:۳۰", datetime(2025, 7, 12, 10, 30, tzinfo=UTC), "jalali"),
    ],
)
def test_structured_date_strings(raw: str, expected: datetime, calendar: str) -> None:
    value, cal = parse_date_string(raw)
    assert value == expected
    assert value.tzinfo is not None
    assert cal == calendar


# "20-59-53Z": a time written with hyphens, read by a generic parser as a -59:53 offset.
@pytest.mark.parametrize("raw", ["", "soon", "2999-01-01", "1404", "2023-11-02T20-59-53Z"])
def test_unusable_date_strings(raw: str) -> None:
    assert parse_date_string(raw) is None


def test_english_dates_in_text() -> None:
    found = find_dates_in_text("Posted by staff on July 12, 2025 at 10:00 in News")
    assert found and found[0][1].value.date() == date(2025, 7, 12)
    assert found[0][1].raw == "July 12, 2025"


@pytest.mark.parametrize(
    ("declared", "text", "configured", "expected"),
    [
        (None, "گزارش‌های تازه از بازداشت فعالان مدنی در زندان اوین منتشر شد", None, "fa"),
        ("en", "گزارش‌های تازه از بازداشت فعالان مدنی در زندان اوین منتشر شد", None, "fa"),
        (None, "The court upheld the sentence of the protester on Saturday morning", None, "en"),
        ("en-GB", "The court upheld the sentence of the protester on Saturday morning", None, "en"),
        (None, "Le tribunal a confirmé la peine du manifestant samedi matin", "fr", "fr"),
        (None, "قال مصدر إن المحكمة أيدت الحكم الصادر بحق المتظاهر يوم السبت الماضي", None, "ar"),
        ("fa-IR", "ok", None, "fa"),
        (None, "", "fa", "fa"),
    ],
)
def test_language(declared, text, configured, expected) -> None:
    assert choose_language(declared, text, configured) == expected


def test_script_detector_needs_letters() -> None:
    assert detect_script_language("12 34 !!") is None


def test_tail_heading_cuts_teasers_only_in_the_last_part() -> None:
    body = [("A long paragraph of the article body that carries the story. " * 3).strip()] * 3
    lines, stats = clean_lines([*body, "Latest news", "Teaser one", "Teaser two"])
    assert lines == body
    assert stats["tail_cut_lines"] == 3
    early = ["Related", *body]
    assert clean_lines(early)[0] == early  # a heading at the top is a real sub-heading


def test_a_teaser_heading_the_article_goes_on_after_cuts_nothing() -> None:
    """A "See also" box in the middle of a post leaves its heading among the lines; when
    most of what follows is long paragraphs, the article goes on: only the heading goes.
    A heading followed by headlines still cuts them."""
    para = ("The article carries on here with a long paragraph of its own story text. " * 4).strip()
    body = [para] * 3
    lines, stats = clean_lines([*body, "See also", "A linked headline", para, para])
    assert lines == [*body, para, para]
    assert stats["tail_cut_lines"] == 0
    teasers = [*body, "See also", "A linked headline", "Another linked headline", "A third one"]
    assert clean_lines(teasers)[0] == body


@pytest.mark.parametrize(
    "line",
    [
        "Comments are closed.",
        "This website uses cookies so that we can provide you with the best user experience.",
        "Image credit: Someone via Wikimedia Commons CC BY-SA 4.0.",
        "If you experience technical problems, please write to",
        "Sign up for our free daily newsletter.",
        "Share this article",
        "Home > News > Iran",
        "© 2024 Example Monitor. All rights reserved.",
        "کلیه حقوق این سایت محفوظ است.",
        "عکس: آرشیو",
        "Related: Another story about the same thing",
        "Updated at 1:23 p.m.",
    ],
)
def test_boilerplate_lines_are_dropped(line: str) -> None:
    kept, stats = clean_lines(["A long paragraph of the article body that carries the story. " * 3, line])
    assert line not in kept
    assert stats["dropped_lines"] == 1


@pytest.mark.parametrize(
    "line",
    [
        "The court said comments by the defendant were not relevant.",
        "Amnesty said the share of executions for drug offences rose in 2024.",
        "He was sentenced to death by Branch 26 of the Revolutionary Court.",
    ],
)
def test_article_lines_are_kept(line: str) -> None:
    assert line in clean_lines([line])[0]


def test_completion_restores_a_dropped_sibling_body_container_only() -> None:
    from pathlib import Path

    from lxml import html as lxml_html

    from pipeline.extraction.completion import complete_paragraphs

    page = (Path(__file__).parent / "data" / "extraction" / "en_split_body.html").read_text(encoding="utf-8")
    page = page.replace(
        '<div class="ad-slot">',
        '<aside><div class="grid--item body body__container"><p>'
        + "A teaser paragraph in a sidebar that must stay out of the article text. " * 4
        + '</p></div></aside><div class="ad-slot">',
    )
    tree = lxml_html.fromstring(page)
    paragraphs = [" ".join(p.text_content().split()) for p in tree.iter("p")]
    first, sidebar, second = paragraphs[:3], paragraphs[3], paragraphs[4:]
    assert complete_paragraphs(first, tree) == first + second
    assert sidebar not in complete_paragraphs(first, tree)
    # One kept paragraph is no evidence of a split body; nothing kept, nothing to complete.
    assert complete_paragraphs(first[:1], tree) == first[:1]
    assert complete_paragraphs([], tree) == []
