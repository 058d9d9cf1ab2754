"""Rules version 5: what a pass over the spent probe split's errors, by stage, led to. Each
class has sentences and mentions written for these tests (none taken from the labelled set).

Resolution: a once-in-a-life act (execution, death in custody, killing) of one person named
in full is one incident even when two reports give it different days (within two months);
the register dates such an act by the day most reports give."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pipeline.incidents.extract import EXTRACTOR_VERSION, ArticleInput, extract_mentions
from pipeline.incidents.register import Source, summarise
from pipeline.incidents.resolve import Resolver

ROOT = Path(__file__).resolve().parent.parent
TOPICS = str(ROOT / "config" / "topics.yaml")
PUB = date(2026, 8, 14)  # a Friday (23 Mordad 1405)


def _ms(text: str, lang: str = "en", pub: date = PUB, outlet_type: str = "rights_group"):
    art = ArticleInput(text, "", pub, lang, outlet_type)
    return [m.as_dict() for m in extract_mentions(art, topics_file=TOPICS)]


def test_the_version_is_rules_5():
    assert EXTRACTOR_VERSION == "incidents-rules 5"


def _mention(kind: str, name: str | None, day: str | None, stage: str = "carried_out", **extra) -> dict:
    precision = {10: "day", 7: "month", 4: "year"}.get(len(day or ""), "unknown")
    m = {
        "kind": kind,
        "stage": stage,
        "background": False,
        "victims": [{"name": name, "count": 1}],
        "event_date": day,
        "event_date_precision": precision,
        "charge": "unknown",
        "source_type": "rights_group",
    }
    return m | extra


def _resolver() -> Resolver:
    ids = iter(range(1, 1000))
    return Resolver(lambda _m: next(ids))


@pytest.mark.parametrize(
    ("kind", "a", "b", "day_a", "day_b"),
    [
        ("execution", "Siavash Ghorbanpour", "سیاوش قربان‌پور", "2026-07-28", "2026-07-21"),
        ("execution", "Hamid-Reza Darvishi", "Hamidreza Darvishi", "2026-06-02", "2026-06"),
        ("death_in_custody", "Kaveh Nazari", "کاوه نظری", "2026-05-30", "2026-06-04"),
        ("extrajudicial_killing", "Borzou Amini", "Borzu Amini", "2026-04-11", "2026-04-14"),
    ],
)
def test_one_persons_act_told_on_different_days_is_one_incident(kind, a, b, day_a, day_b):
    r = _resolver()
    assert r.assign(_mention(kind, a, day_a), 1) == r.assign(_mention(kind, b, day_b), 2)


@pytest.mark.parametrize(
    ("kind", "a", "b", "day_a", "day_b", "stage"),
    [
        # months apart: two events (or a namesake)
        (
            "execution",
            "Siavash Ghorbanpour",
            "Siavash Ghorbanpour",
            "2026-07-28",
            "2026-03-02",
            "carried_out",
        ),
        # a surname alone is not a full name
        ("execution", "Ghorbanpour", "Siavash Ghorbanpour", "2026-07-28", "2026-07-20", "carried_out"),
        # two people with one given name
        ("execution", "Siavash Ghorbani", "Siavash Ghorbanpour", "2026-07-28", "2026-07-25", "carried_out"),
        # a flogging can be inflicted twice
        ("flogging", "Leila Moradi", "Leila Moradi", "2026-07-28", "2026-07-08", "carried_out"),
    ],
)
def test_acts_far_apart_partly_named_or_repeatable_stay_apart(kind, a, b, day_a, day_b, stage):
    r = _resolver()
    assert r.assign(_mention(kind, a, day_a, stage), 1) != r.assign(_mention(kind, b, day_b, stage), 2)


def test_an_act_told_on_several_days_takes_the_day_most_reports_give():
    days = ["2026-07-21", "2026-07-28", "2026-07-28"]
    row = summarise(
        [
            Source(i, _mention("execution", "Siavash Ghorbanpour", d), f"o{i}", None, None)
            for i, d in enumerate(days)
        ]
    )
    assert row["event_date"] == date(2026, 7, 28) and row["event_date_precision"] == "day"
    # a sentence keeps its earliest step's date (issued before upheld)
    sentence = summarise(
        [
            Source(
                1, _mention("death_sentence", "Siavash Ghorbanpour", "2026-05-03", "issued"), "o1", None, None
            ),
            Source(
                2, _mention("death_sentence", "Siavash Ghorbanpour", "2026-07-28", "upheld"), "o2", None, None
            ),
            Source(
                3, _mention("death_sentence", "Siavash Ghorbanpour", "2026-07-28", "upheld"), "o3", None, None
            ),
        ]
    )
    assert sentence["event_date"] == date(2026, 5, 3)
