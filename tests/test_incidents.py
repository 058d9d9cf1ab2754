"""Incident extraction and resolution without a database: names across scripts, dates
against the publication day, mentions with evidence, the resolver, the dev-split figures."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pipeline.incidents.dates import find_dates
from pipeline.incidents.evaluate import evaluate, load_items
from pipeline.incidents.extract import ArticleInput, extract_mentions
from pipeline.incidents.names import SAME_PERSON, name_similarity
from pipeline.incidents.register import Source, summarise
from pipeline.incidents.resolve import Resolver

ROOT = Path(__file__).resolve().parent.parent
TOPICS = str(ROOT / "config" / "topics.yaml")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Hossein Mousavi", "حسین موسوی"),
        ("Mohammad Reza Bameri", "Mohammadreza Bamri"),
        ("Ghasem Rezaei", "Qasem Rezaee"),
        ("Behrouz Khodadadi", "بهروز خدادادی"),
        ("Abdolrahman Baluch", "Abdol Rahman Baloch"),
    ],
)
def test_one_person_across_scripts_and_spellings(a, b):
    assert name_similarity(a, b) >= SAME_PERSON


@pytest.mark.parametrize(
    ("a", "b"),
    [("Reza Kamali", "Reza Karimi"), ("محمدرضا بامری", "Omar Mohammadi"), ("Ali Sharifi", "Hassan Sharifi")],
)
def test_different_people_stay_apart(a, b):
    assert name_similarity(a, b) < SAME_PERSON


def test_relative_and_jalali_dates_resolve_against_publication():
    pub = date(2026, 1, 13)  # a Tuesday
    text = "سحرگاه امروز سه‌شنبه ۲۳ دی‌ماه ۱۴۰۴ حکم اجرا شد. روز یکشنبه به انفرادی منتقل شد."
    found = {text[h.start : h.end]: (h.value, h.precision) for h in find_dates(text, pub)}
    assert (date(2026, 1, 13), "day") in found.values()
    assert any(v == (date(2026, 1, 11), "day") for v in found.values())  # the Sunday before
    en = find_dates("He was hanged on Tuesday. His last appeal failed last Tuesday, in March 2025.", pub)
    assert [(h.value, h.precision) for h in en] == [
        (date(2026, 1, 13), "day"),
        (date(2026, 1, 6), "day"),
        (date(2025, 3, 1), "month"),
    ]
    assert find_dates("He led Friday prayers in the village.", pub) == []


def _one(text: str, lang: str = "en", pub: date = date(2026, 2, 5), title: str = "") -> list[dict]:
    return [
        m.as_dict()
        for m in extract_mentions(ArticleInput(text, title, pub, lang, "rights_group"), topics_file=TOPICS)
    ]


def test_an_execution_with_every_field_and_its_evidence():
    text = (
        "A Kurdish man was executed in Urmia Central Prison on drug-related charges on Tuesday, 3 February, "
        "a rights group said.\n\nThe man was identified as Sirwan Karimi, 31. He had been sentenced to death "
        "in 2023 and was moved to solitary confinement on Sunday."
    )
    mentions = _one(text)
    assert len(mentions) == 1, mentions  # the sentence and the transfer are the execution's history
    m = mentions[0]
    assert (m["kind"], m["stage"], m["background"]) == ("execution", "carried_out", False)
    assert (m["prison"], m["city"], m["province"], m["charge"]) == (
        "urmia_central",
        "Urmia",
        "West Azerbaijan",
        "drug",
    )
    assert (m["event_date"], m["event_date_precision"]) == ("2026-02-03", "day")
    (victim,) = m["victims"]
    assert (victim["name"], victim["age"], victim["gender"], victim["ethnicity"]) == (
        "Sirwan Karimi",
        31,
        "male",
        "Kurdish",
    )
    for key, expected in (("name", "Sirwan Karimi"), ("age", "31"), ("ethnicity", "Kurdish")):
        start, end = victim["evidence"][key]
        assert expected in text[start:end]
    start, end = m["evidence"]["event_date"]
    assert "3 February" in text[start:end]


def test_persian_group_execution_counts_the_unnamed():
    text = "سحرگاه امروز سه زندانی به اتهام قاچاق مواد مخدر در زندان قزل‌حصار کرج اعدام شدند."
    (m,) = _one(text, "fa", date(2025, 11, 19))
    assert m["kind"] == "execution" and m["victims"][0]["count"] == 3 and m["victims"][0]["name"] is None
    assert (m["prison"], m["city"], m["event_date"]) == ("ghezel_hesar", "Karaj", "2025-11-19")


def test_figures_anniversaries_and_commutations_are_not_new_incidents():
    assert _one("At least 975 people were executed in Iran in 2025, the annual report says.") == []
    assert _one("His death sentence was commuted to ten years in prison.") == []
    (m,) = _one(
        "Families gathered on the anniversary of the execution of Farzad Kamangar, who was hanged in 2010."
    )
    assert m["background"] is True and m["event_date"] == "2010"


def test_resolver_joins_scripts_and_keeps_sentence_and_execution_apart():
    ids = iter(range(1, 100))
    r = Resolver(lambda _m: next(ids))

    def mention(kind, stage, name, day, prison="urmia_central"):
        return {
            "kind": kind,
            "stage": stage,
            "background": False,
            "victims": [{"name": name, "count": 1}],
            "event_date": day,
            "prison": prison,
            "city": "Urmia",
        }

    sentence = r.assign(mention("death_sentence", "upheld", "Kamran Sheikhi", "2025-10-14"), "a")
    executed = r.assign(mention("execution", "carried_out", "Kamran Sheikhi", "2025-12-09"), "b")
    persian = r.assign(mention("execution", "carried_out", "کامران شیخی", "2025-12-09"), "c")
    unnamed = r.assign(
        {**mention("execution", "carried_out", None, "2025-12-09"), "victims": [{"name": None, "count": 1}]},
        "d",
    )
    other_day = r.assign(mention("execution", "carried_out", "Kamran Sheikhi", "2025-08-01"), "e")
    assert sentence != executed == persian == unnamed
    assert other_day not in (sentence, executed)


def test_register_row_counts_copies_once_and_prefers_the_rights_groups_charge():
    def src(article, cluster, charge, source_type):
        m = {
            "kind": "execution",
            "stage": "carried_out",
            "background": False,
            "victims": [{"name": "Kamran Sheikhi", "count": 1}],
            "event_date": "2025-12-09",
            "event_date_precision": "day",
            "charge": charge,
            "source_type": source_type,
        }
        return Source(article, m, f"outlet{article}", None, cluster)

    row = summarise(
        [
            src(1, 7, "moharebeh", "rights_group"),
            src(2, 7, "moharebeh", "media"),
            src(3, 9, "drug", "official"),
        ]
    )
    assert (row["source_count"], row["independent_source_count"]) == (3, 2)
    assert row["charge"] == "moharebeh" and row["charges"] == {
        "rights_group": ["moharebeh"],
        "media": ["moharebeh"],
        "official": ["drug"],
    }
    assert row["official_confirmation"] is True and row["people"] == 1


def test_dev_split_figures_do_not_regress():
    """The tuning split: a regression guard, not the README's figure (that is the test split's)."""
    data = ROOT / "tests" / "data" / "incidents"
    scores = evaluate(load_items([data / "dev_en.yaml", data / "dev_fa.yaml"]), topics_file=TOPICS)
    assert scores.triples["f1"] >= 0.88
    assert scores.pairs["precision"] >= 0.97 and scores.pairs["recall"] >= 0.9


def test_a_huge_text_costs_a_bounded_time():
    """A broken multi-megabyte page is read up to the tagger's cap, like tagging."""
    import time

    from pipeline.incidents.extract import examined
    from pipeline.tagging.tagger import TEXT_CAP

    para = "Two men were executed in Ghezel Hesar Prison in Karaj on Tuesday, a rights group said. "
    text = para * (3_000_000 // len(para))
    assert examined(text) <= TEXT_CAP < len(text)
    started = time.process_time()
    mentions = _one(text)
    assert time.process_time() - started < 20
    assert mentions and mentions[0]["evidence"]["trigger"][1] <= TEXT_CAP
