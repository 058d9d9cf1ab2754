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


def _names(text: str, lang: str = "en", kind: str | None = None) -> list[tuple[str | None, int]]:
    ms = [m for m in _ms(text, lang) if kind is None or m["kind"] == kind]
    return sorted(
        ((v["name"], v["count"]) for m in ms for v in m["victims"]), key=lambda x: (x[0] or "", x[1])
    )


# --- names known by repetition (English) and by their place in the sentence (Persian) ---------


@pytest.mark.parametrize(
    ("text", "name"),
    [
        (
            "Tabriz – The Revolutionary Court has sentenced labour organiser Darya Khosravani to death,"
            " her lawyer said on Tuesday. Ms Khosravani denies the charge.",
            "Darya Khosravani",
        ),
        (
            "Baluch fuel porter Nader Gorgij was shot dead by border guards near Saravan on Monday."
            " Gorgij, 24, leaves two children.",
            "Nader Gorgij",
        ),
        (
            "Veteran unionist Tohid Pazouki was hanged in Qezelhesar on Wednesday. Pazouki had been"
            " arrested in 2024.",
            "Tohid Pazouki",
        ),
    ],
)
def test_an_english_name_told_again_by_its_surname_is_a_person(text, name):
    assert (name, 1) in _names(text)


def test_a_festival_or_a_name_told_once_without_a_cue_is_no_person():
    text = (
        "Security forces shot dead a young man during Chaharshanbe Suri celebrations in Bukan on"
        " Tuesday, 11 August. Chaharshanbe Suri gatherings were dispersed across the province."
    )
    assert all(n != "Chaharshanbe Suri" for n, _ in _names(text))


def test_given_names_alone_are_the_person_told_in_full_elsewhere():
    text = (
        '"Kian Reza was taken to the gallows at dawn," his brother said. Kian Reza Mohebbi, 30,'
        " was hanged in Ghezel Hesar Prison on Wednesday, the group said."
    )
    names = {n for n, _ in _names(text, kind="execution")}
    assert names == {"Kian Reza Mohebbi"}


def test_a_pronoun_subject_is_the_person_named_in_the_sentence_before():
    text = (
        "Bashir Ahmadzai, 29, an Afghan labourer, had worked in Iran for ten years. On Thursday he"
        " was hanged in Dastgerd Prison in Isfahan together with three other men, relatives said."
    )
    assert _names(text, kind="execution") == [(None, 3), ("Bashir Ahmadzai", 1)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # an age in apposition, wherever the pair stands
        (
            "به گفته منابع محلی، تورج بهرامی‌پور ۳۱ ساله سحرگاه امروز در زندان مرکزی کرمان اعدام شد.",
            ["تورج بهرامی‌پور"],
        ),
        # a person's noun in apposition after a court's name
        (
            "دادگاه انقلاب ارومیه روناک ملکی، زندانی سیاسی کرد ۲۹ ساله را به اعدام محکوم کرد.",
            ["روناک ملکی"],
        ),
        # listed with known names
        (
            "ژوبین آذرنیا، کامران صالحی و سیروان کاکایی، سه جوان معترض، به اعدام محکوم شدند.",
            ["ژوبین آذرنیا", "سیروان کاکایی", "کامران صالحی"],
        ),
        (
            "دیوان عالی حکم اعدام هیرش امجدی و رضا نوری، دو زندانی عرب را تأیید کرد.",
            ["رضا نوری", "هیرش امجدی"],
        ),
    ],
)
def test_a_persian_name_by_apposition_or_listing(text, expected):
    assert sorted(n for n, _ in _names(text, "fa") if n) == sorted(expected)


@pytest.mark.parametrize(
    "text",
    [
        "به گزارش سازمان حقوق بشری، این زندانی سحرگاه امروز در زندان مرکزی زاهدان اعدام شد.",
        "با شکایت شاکیان، متهم بازداشت و سحرگاه امروز در زندان مرکزی شیراز اعدام شد.",
        "در سلول انفرادی، زندانی ۳۵ ساله سحرگاه امروز در زندان قزلحصار اعدام شد.",
    ],
)
def test_nouns_and_adjectives_before_an_apposition_are_no_name(text):
    assert [n for n, _ in _names(text, "fa") if n] == []


def test_an_owner_and_its_thing_is_no_person():
    text = (
        "Arvin Saberi was sentenced to death for spying for Turkey's MIT, the court said on"
        " Monday. Turkey's MIT denied any link with Saberi."
    )
    assert {n for n, _ in _names(text)} == {"Arvin Saberi"}


def test_a_surname_alone_is_the_person_told_in_full_in_the_article():
    text = (
        "Soran Karimian, a 41-year-old porter from Piranshahr, was arrested in 2022. On Monday,"
        " 10 August, Mr Karimian was hanged in Urmia Central Prison, the group said."
    )
    assert _names(text, kind="execution") == [("Soran Karimian", 1)]


def test_killed_by_a_participle_after_the_shooting_are_the_victims():
    text = (
        "Border guards opened fire on a group of porters near Sardasht on Tuesday, 11 August,"
        " killing four Kurdish men, the group said."
    )
    assert _names(text, kind="extrajudicial_killing") == [(None, 4)]
    # the offence's own victim is still not the punished
    sentence = "Vahid Kamangar, convicted of killing two men in a robbery, was hanged on Tuesday, 11 August."
    assert _names(sentence, kind="execution") == [("Vahid Kamangar", 1)]


def test_a_counted_teller_is_no_victim():
    text = (
        "Two men were hanged in Vakilabad Prison in Mashhad on Monday, 10 August, relatives and a"
        " former prisoner told the group. One of them was named as Iraj Panahandeh, 52."
    )
    assert _names(text, kind="execution") == [(None, 1), ("Iraj Panahandeh", 1)]


def test_a_date_goes_with_its_own_trigger():
    def day(text):
        return [m["event_date"] for m in _ms(text) if m["kind"] == "execution"]

    # a date inside a clause of another step is that step's
    assert day(
        "Kaveh Darabi, whose death sentence was upheld by the Supreme Court on 20 July, was"
        " hanged in Ghezel Hesar Prison on Tuesday, the group said."
    ) == ["2026-08-11"]
    # "today" goes with the statement; the day after the trigger's object is the act's
    assert day("UN experts today condemned the execution of Kaveh Darabi on Tuesday in Iran.") == [
        "2026-08-11"
    ]
    # an offence's year before the act, the act's weekday after it
    assert day("A man convicted of a killing in 2021 was executed in Lakan Prison in Rasht on Thursday.") == [
        "2026-08-13"
    ]
    # elapsed days opening the sentence
    assert day("Three days after Kaveh Darabi was hanged, his family has not been given his body.") == [
        "2026-08-11"
    ]


def test_a_count_of_acts_is_a_group_and_a_running_tally_is_none():
    text = (
        "Qezelhesar Prison carried out three more executions on Wednesday, 12 August, bringing the"
        " number of people hanged there this month to at least eleven, the group said."
    )
    assert _names(text, kind="execution") == [(None, 3)]
    fa = "روز چهارشنبه ۲۲ مرداد سه زندانی در زندان قزلحصار اعدام شدند و شمار اعدام‌های این زندان در این ماه به یازده نفر رسید."
    assert _names(fa, "fa", kind="execution") == [(None, 3)]


def test_a_group_of_others_than_the_named_is_split_by_its_described_part():
    text = (
        "Nasrullah Wardak, 33, was hanged in Dastgerd Prison in Isfahan on Wednesday, 12 August,"
        " together with two other men, one of them also an Afghan national, relatives said."
    )
    assert _names(text, kind="execution") == [(None, 1), (None, 1), ("Nasrullah Wardak", 1)]


def test_time_words_are_no_part_of_a_persian_name():
    text = "مادر سامان هفته گذشته گفت پسرش در شهریور ۱۳۹۹ اعدام شد."
    assert all("هفته" not in (n or "") for n, _ in _names(text, "fa"))


def test_people_in_general_executed_is_talk_and_leaves_a_named_sentence_alone():
    text = (
        "The judiciary said on Monday that Parsa Golzar had been sentenced to death for spying."
        " Officials have announced several such cases this year, and several people convicted of"
        " spying have been executed."
    )
    ms = _ms(text)
    assert [(m["kind"], m["stage"]) for m in ms] == [("death_sentence", "issued")]
    fa = "پرستو گلزار روز دوشنبه به اعدام محکوم شد. در سال‌های اخیر چندین زندانی به همین اتهام اعدام شده‌اند."
    assert [m["kind"] for m in _ms(fa, "fa")] == ["death_sentence"]


def test_a_given_name_alone_is_the_person_told_in_full():
    text = (
        "Kaveh Daneshvar was hanged in Rasht on 20 August 2020. Kaveh had been sentenced to"
        " death in 2018 for a killing he denied."
    )
    ms = _ms(text, pub=date(2026, 8, 20))
    assert [(m["kind"], m["background"]) for m in ms] == [("execution", True)]


def test_people_named_as_examples_of_a_figure_are_each_their_own_incident():
    text = (
        "In July alone, more than 90 people were executed. Among them were Golnar Sadeghi, a"
        " teacher hanged in Qazvin, and the protester Farbod Nikzad."
    )
    ms = [m for m in _ms(text) if m["kind"] == "execution"]
    assert sorted(tuple(v["name"] for v in m["victims"]) for m in ms) == [
        ("Farbod Nikzad",),
        ("Golnar Sadeghi",),
    ]
    ids = iter(range(1, 100))
    r = Resolver(lambda _m: next(ids))
    a = r.assign(_mention("execution", "Golnar Sadeghi", "2026-07-08"), 1)
    b = r.assign(_mention("execution", "Farbod Nikzad", "2026-07-21"), 2)
    assert [r.assign(m, 3 + k) for k, m in enumerate(sorted(ms, key=lambda m: m["victims"][0]["name"]))] == [
        b,
        a,
    ]
    # two people hanged together on one day stay one incident
    together = "Golnar Sadeghi and Farbod Nikzad were hanged in Qazvin Prison on Tuesday, 11 August."
    assert len([m for m in _ms(together) if m["kind"] == "execution"]) == 1


def test_a_long_apposition_between_sentenced_and_to_death():
    text = (
        "A court in Tabriz has sentenced Nima Azarbad, a 26-year-old engineering student arrested"
        " during the protests of last winter, to death, his family said on Monday."
    )
    assert [(m["kind"], m["stage"], [v["name"] for v in m["victims"]]) for m in _ms(text)] == [
        ("death_sentence", "issued", ["Nima Azarbad"])
    ]


def test_a_conjunction_is_no_part_of_a_persian_name():
    text = "اما حسینعلی رنجبر سحرگاه امروز در زندان مرکزی اصفهان اعدام شد."
    assert all(not (n or "").startswith("اما") for n, _ in _names(text, "fa"))


def test_acts_counted_and_told_actively_are_a_group_execution():
    text = "Vakilabad Prison carried out five more executions on Wednesday, 12 August, the monitor said."
    assert [(m["kind"], m["event_date"], _counts_of(m)) for m in _ms(text)] == [
        ("execution", "2026-08-12", [(None, 5)])
    ]


def _counts_of(m: dict) -> list[tuple[str | None, int]]:
    return [(v["name"], v["count"]) for v in m["victims"]]
