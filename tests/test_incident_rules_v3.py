"""The incident extractor's error classes found on the spent holdout split (rules version 3),
several phrasings per class in both languages, on sentences written for these tests (none
taken from the labelled set): long subjects of an act, the gallows, a punishment enforced,
"fired at", non-state killers, habits and tallies, a transfer told with words between, a
victim in apposition, the day a ruling was made known, dates of earlier acts in clauses of
their own, time elapsed since an old event, weekday and month phrases, hyphenated and
-pour/-zadeh names, subsets of a group, the offence's own victim, a surname alone, and
amputations."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pipeline.incidents.dates import find_dates
from pipeline.incidents.extract import ArticleInput, extract_mentions, same_name_in_article

ROOT = Path(__file__).resolve().parent.parent
TOPICS = str(ROOT / "config" / "topics.yaml")
PUB = date(2026, 8, 14)  # a Friday


def _ms(text: str, lang: str = "en", pub: date = PUB, outlet_type: str = "rights_group"):
    art = ArticleInput(text, "", pub, lang, outlet_type)
    return [m.as_dict() for m in extract_mentions(art, topics_file=TOPICS)]


def _one(text: str, lang: str = "en", pub: date = PUB, outlet_type: str = "rights_group") -> dict:
    ms = _ms(text, lang, pub, outlet_type)
    assert len(ms) == 1, ms
    return ms[0]


def _names(m: dict) -> list[str | None]:
    return [v["name"] for v in m["victims"]]


def _counts(m: dict) -> list[tuple[str | None, int]]:
    return sorted(((v["name"], v["count"]) for v in m["victims"]), key=lambda x: (x[0] or "", x[1]))


# --- acts told with a long subject, the gallows, a punishment enforced ------------------------


@pytest.mark.parametrize(
    "text",
    [
        "The death sentence of the man who ran the smuggling ring that flooded the southern districts of"
        " Bandar Abbas with crystal meth for six years was carried out on Tuesday, the judiciary said."
        " Nader Kazemi had been arrested in 2023.",
        "The qisas sentence against the farmer found guilty of killing his neighbour in a quarrel over"
        " water rights in a village near Yazd was implemented on Tuesday. Nader Kazemi had been held"
        " in Yazd Central Prison.",
        "Nader Kazemi and another man were sent to the gallows in Yazd on Tuesday.",
        "Officials said Nader Kazemi went to the gallows on Tuesday in Yazd.",
    ],
)
def test_an_execution_told_with_a_long_subject_or_the_gallows(text):
    m = next(m for m in _ms(text, outlet_type="state_media") if m["kind"] == "execution")
    assert m["stage"] == "carried_out"
    assert m["event_date"] == "2026-08-11"
    assert "Nader Kazemi" in _names(m)


def test_a_punishment_enforced_is_the_act_of_the_article_s_sentence():
    text = (
        "The punishment of two convicts found guilty of armed robbery in Qazvin was enforced"
        " yesterday at the city's central prison, the provincial chief justice said."
    )
    m = _one(text, outlet_type="state_media")
    assert (m["kind"], m["stage"], m["event_date"]) == ("execution", "carried_out", "2026-08-13")
    assert _counts(m) == [(None, 2)]
    assert m["charge"] == "armed_robbery"


@pytest.mark.parametrize(
    "text",
    [
        "رئیس کل دادگستری استان گفت: محکوم به اتهام قتل محاکمه شد و حکم صادره پس از تأیید در"
        " دیوان عالی کشور، صبح امروز به اجرا درآمد. نام این محکوم ناصر قربانی اعلام شد.",
        "به گزارش مرکز رسانه قوه قضاییه، ناصر قربانی که به اتهام قتل محکوم شده بود، صبح امروز در"
        " زندان قزوین به دار مجازات آویخته شد.",
        "پرونده ناصر قربانی، محکوم به قصاص، پس از تأیید دیوان عالی کشور صبح امروز به مرحله اجرا رسید.",
    ],
)
def test_a_persian_act_told_as_a_verdict_enforced_or_the_gallows(text):
    m = next(m for m in _ms(text, "fa", outlet_type="state_media") if m["kind"] == "execution")
    assert m["event_date"] == "2026-08-14"
    assert m["background"] is False
    assert any(n and "قربانی" in n for n in _names(m))


def test_the_date_of_an_earlier_act_in_its_own_clause_is_not_the_event_s():
    fa = (
        "دادستان استان از اجرای حکم اعدام سرکرده باندی خبر داد که سال ۱۴۰۲ به یک طلافروشی در قزوین"
        " حمله کرده بود."
    )
    m = _one(fa, "fa", outlet_type="state_media")
    assert m["kind"] == "execution" and m["background"] is False
    assert m["event_date"] is None
    en = "Karim Nasseri, who had attacked a jeweller's shop in 2023, was hanged in Qazvin, the official said."
    m = _one(en, outlet_type="state_media")
    assert (m["kind"], m["event_date"], m["background"]) == ("execution", None, False)


# --- killings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, lang",
    [
        ("Two kolbars were killed on Thursday night when border guards fired on them near Baneh.", "en"),
        (
            "A young man was killed on Thursday when members of the security forces fired at his car in Izeh.",
            "en",
        ),
        ("A porter lost his life on Thursday after border guards fired into the group near Sardasht.", "en"),
        ("روز پنجشنبه ماموران مرزبانی به سوی دو کولبر آتش گشودند و هر دو در نزدیکی بانه جان باختند.", "fa"),
    ],
)
def test_a_death_when_state_agents_fired_is_an_extrajudicial_killing(text, lang):
    m = _one(text, lang)
    assert (m["kind"], m["event_date"]) == ("extrajudicial_killing", "2026-08-13")


@pytest.mark.parametrize(
    "text, lang",
    [
        (
            "A police officer lost his life when gunmen opened fire on his patrol near Khash on Thursday.",
            "en",
        ),
        ("Two border guards were killed on Thursday when smugglers fired at their post near Saravan.", "en"),
        ("یک مامور پلیس روز پنجشنبه در پی تیراندازی افراد مسلح به خودروی گشت در خاش جان باخت.", "fa"),
    ],
)
def test_a_killing_by_gunmen_or_smugglers_is_not_a_register_incident(text, lang):
    assert _ms(text, lang, outlet_type="state_media") == []


# --- sentences: transfers, apposition, the day a ruling was made known ---------------------


def test_a_transfer_to_solitary_told_with_words_between_and_a_habit_after_it():
    text = (
        "Hamid Rostami was taken from Ward 7 to solitary confinement on Wednesday, a step that usually"
        " precedes an execution."
    )
    m = _one(text)
    assert (m["kind"], m["stage"], m["event_date"]) == ("death_sentence", "imminent", "2026-08-12")
    fa = "حمید رستمی روز چهارشنبه از بند هفت به سلول انفرادی منتقل شد؛ اقدامی که معمولا پیش از اجرای حکم انجام می‌شود."
    m = _one(fa, "fa")
    assert (m["stage"], m["event_date"]) == ("imminent", "2026-08-12")


@pytest.mark.parametrize(
    "text, lang",
    [
        ("In Ghezel Hesar, executions are usually carried out at dawn on Wednesdays.", "en"),
        (
            "She is the third woman known to have been sentenced to death on political charges since 2024.",
            "en",
        ),
    ],
)
def test_habits_and_tallies_are_not_incidents(text, lang):
    assert _ms(text, lang) == []


def test_a_victim_in_apposition_between_condemned_and_to_death():
    text = (
        "A Revolutionary Court in Shiraz has condemned Nima Rostami, a 29-year-old civil engineer and"
        " union organiser, to death on the charge of moharebeh."
    )
    m = _one(text)
    assert (m["kind"], m["stage"], _names(m), m["charge"]) == (
        "death_sentence",
        "issued",
        ["Nima Rostami"],
        "moharebeh",
    )


def test_a_death_sentence_of_a_described_person_has_been_upheld():
    text = "The death sentence of Kaveh Sharifi, a Kurdish teacher from Baneh, has been confirmed by the Supreme Court."
    m = _one(text)
    assert (m["stage"], _names(m)) == ("upheld", ["Kaveh Sharifi"])


def test_the_day_a_ruling_was_made_known_dates_the_step():
    text = (
        "The Supreme Court has upheld the death sentence of Kaveh Sharifi. He was arrested in Baneh"
        " after the protests. His family say he was tortured. His lawyer said the ruling was"
        " communicated to him on Monday, 10 August."
    )
    m = _one(text)
    assert (m["stage"], m["event_date"], m["event_date_precision"]) == ("upheld", "2026-08-10", "day")
    fa = "دادگاه انقلاب تبریز کاوه شریفی را به اتهام بغی به اعدام محکوم کرده است. این حکم در مردادماه به او ابلاغ شد."
    m = _one(fa, "fa")
    assert (m["stage"], m["event_date"], m["event_date_precision"]) == ("issued", "2026-08", "month")


def test_a_step_told_on_its_own_day_keeps_that_day_over_the_notification():
    fa = (
        "حکم اعدام کاوه شریفی از سوی دیوان عالی کشور تأیید شد. شعبه ۹ دیوان روز دوشنبه ۱۹ مرداد این"
        " حکم را تأیید کرده است. این حکم روز پنجشنبه به وکیل او ابلاغ شد."
    )
    m = _one(fa, "fa")
    assert (m["stage"], m["event_date"]) == ("upheld", "2026-08-10")


# --- background: time elapsed since the event ------------------------------------------------


@pytest.mark.parametrize(
    "text, lang",
    [
        (
            "Three months after Sohrab Azizi was hanged in Urmia, his family still do not know where he is buried.",
            "en",
        ),
        ("Two years after Sohrab Azizi was executed, his mother keeps vigil outside the prison.", "en"),
        (
            "دو سال پس از آنکه سهراب عزیزی در زندان ارومیه اعدام شد، خانواده او هنوز محل دفن را نمی‌دانند.",
            "fa",
        ),
    ],
)
def test_time_elapsed_since_an_act_makes_it_background(text, lang):
    m = _one(text, lang)
    assert m["kind"] == "execution" and m["background"] is True


def test_time_elapsed_since_an_arrest_does_not_make_the_act_background():
    m = _one("Two years after his arrest, Sohrab Azizi was executed in Urmia on Thursday.")
    assert m["background"] is False and m["event_date"] == "2026-08-13"


# --- dates ------------------------------------------------------------------------------------


def test_weekday_phrases_with_the_hours_of_the_day():
    for phrase in (
        "in the early hours of Tuesday",
        "during the night of Tuesday",
        "in the small hours of Tuesday",
    ):
        hits = find_dates(f"He was hanged {phrase} in Rasht.", PUB)
        assert [(h.value.isoformat(), h.precision) for h in hits] == [("2026-08-11", "day")], phrase


def test_in_may_is_a_month_and_may_be_a_verb():
    hits = find_dates("He was executed in May on a drug charge.", PUB)
    assert [(h.value.isoformat(), h.precision) for h in hits] == [("2026-05-01", "month")]
    assert find_dates("Others in may be at risk; prisoners since may have been moved.", PUB) == []


# --- names ------------------------------------------------------------------------------------


def test_hyphenated_surnames_are_whole():
    m = _one("Rights groups said Hamid Al-Zubaidi was executed in Ahvaz on Thursday.")
    assert _names(m) == ["Hamid Al-Zubaidi"]
    assert same_name_in_article("Hamid Al-Zubaidi", "Al-Zubaidi")


def test_an_unknown_given_name_before_had_is_a_name_in_the_next_sentence():
    text = (
        "A man convicted of spying was executed on Thursday in Tabriz. Darab Kordi had photographed"
        " military sites, the statement said."
    )
    m = _one(text, outlet_type="state_media")
    assert _names(m) == ["Darab Kordi"]


def test_a_persian_surname_made_of_a_given_name_and_pour_or_zadeh():
    m = _one("به گزارش خبرگزاری میزان، ریباز حسن زاده صبح امروز در زندان ارومیه اعدام شد.", "fa")
    assert _names(m) == ["ریباز حسن زاده"]
    m = _one("منابع محلی گفتند: ژوان علی پور سحرگاه امروز در زندان مرکزی ارومیه اعدام شد.", "fa")
    assert _names(m) == ["ژوان علی پور"]


def test_a_given_name_before_a_negative_verb_is_not_a_name():
    text = (
        "حکم ۵۰ ضربه شلاق رضا کمالی روز پنجشنبه در زندان سنندج اجرا شد. یک منبع گفت او تا چند روز"
        " قادر نبود راه برود."
    )
    m = _one(text, "fa")
    assert _names(m) == ["رضا کمالی"]


def test_a_surname_alone_after_the_full_name_is_the_same_person():
    text = (
        "The sentence of Omid Karimi, a prisoner on death row for drug trafficking, was carried out on"
        " Thursday in Ghezel Hesar Prison. A source said Karimi was hanged at dawn."
    )
    m = _one(text)
    assert _names(m) == ["Omid Karimi"]
    assert same_name_in_article("امید کریمی", "کریمی")
    assert not same_name_in_article("Omid Karimi", "Reza Karami")


# --- groups -----------------------------------------------------------------------------------


def test_a_group_among_whom_women_are_told_apart():
    m = _one("Seven prisoners, among them two women, were hanged in Qom on Thursday, HRANA said.")
    assert sorted((v["count"], v["gender"]) for v in m["victims"]) == [(2, "female"), (5, None)]
    m = _one("پنج زندانی، از جمله یک زن، روز پنجشنبه در زندان قم اعدام شدند.", "fa")
    assert sorted((v["count"], v["gender"]) for v in m["victims"]) == [(1, "female"), (4, None)]


def test_a_group_without_a_gendered_part_stays_one():
    m = _one("Five prisoners, including an Afghan national, were hanged in Qom on Thursday.")
    assert _counts(m) == [(None, 5)]


def test_named_people_out_of_a_counted_group():
    text = (
        "هویت سه تن از ۸ زندانی که روز پنجشنبه در زندان قزلحصار اعدام شدند، شناسایی شد."
        " بر اساس اطلاعات رسیده، رضا کمالی، ۳۰ ساله، و علی نوروزی، ۴۱ ساله، و حسن بیگی، ۲۹ ساله، از این زندانیان بودند."
    )
    m = _one(text, "fa")
    assert _counts(m) == [(None, 5), ("حسن بیگی", 1), ("رضا کمالی", 1), ("علی نوروزی", 1)]


@pytest.mark.parametrize(
    "text, lang",
    [
        (
            "Two men convicted of murdering a woman in Karaj were hanged on Thursday, the judiciary said.",
            "en",
        ),
        (
            "Two men found guilty of abducting and assaulting a girl were sent to the gallows on Thursday.",
            "en",
        ),
        ("دو مرد که به اتهام قتل یک زن محکوم شده بودند، روز پنجشنبه در زندان کرج اعدام شدند.", "fa"),
    ],
)
def test_the_offence_s_victim_is_not_one_of_the_executed(text, lang):
    m = _one(text, lang, outlet_type="state_media")
    assert _counts(m) == [(None, 2)]


# --- amputation -------------------------------------------------------------------------------


def test_amputation_rulings_upheld_and_carried_out():
    m = _one(
        "The Supreme Court has upheld rulings to cut off the fingers of two men convicted of theft in Tabriz."
    )
    assert (m["kind"], m["stage"]) == ("amputation", "upheld")
    m = _one("Nader Kazemi had three fingers of his right hand cut off in Tabriz Central Prison on Thursday.")
    assert (m["kind"], m["stage"], m["event_date"]) == ("amputation", "carried_out", "2026-08-13")
    m = _one(
        "The amputation sentences of two men convicted of theft were inflicted in Tabriz Central Prison on Thursday."
    )
    assert (m["kind"], m["stage"]) == ("amputation", "carried_out")


# --- awaiting death, figures of speech ---------------------------------------------------------


def test_awaiting_death_is_not_a_death_in_custody():
    text = "رضا کمالی، زندانی ۳۴ ساله‌ای که سال‌ها در انتظار مرگ بود، روز پنجشنبه در زندان قزلحصار اعدام شد."
    (m,) = _ms(text, "fa")
    assert m["kind"] == "execution"
    text = (
        "خانواده او می‌گویند ضربه مرگبار را فرد دیگری در بازداشتگاه زده است و رضا کمالی روز پنجشنبه اعدام شد."
    )
    assert [m["kind"] for m in _ms(text, "fa")] == ["execution"]


def test_a_named_act_with_a_day_is_an_event_among_figures():
    text = (
        "The strike followed the execution on Thursday of Sohrab Azizi, a political prisoner, and the"
        " arrest of dozens of young people."
    )
    m = _one(text)
    assert (m["kind"], _names(m), m["event_date"]) == ("execution", ["Sohrab Azizi"], "2026-08-13")


# --- more phrasings of each kind, one sentence each (written for this table) -----------------

PHRASINGS = [
    # (lang, text, kind, stage, event date, names or unnamed counts); published PUB
    (
        "en",
        "Iran hanged a Baluch prisoner, Abdolghani Rigi, in Zahedan Central Prison on Monday.",
        "execution",
        "carried_out",
        "2026-08-10",
        ["Abdolghani Rigi"],
    ),
    (
        "en",
        "Authorities executed three men convicted of drug trafficking at Ghezel Hesar Prison on Sunday, 9 August.",
        "execution",
        "carried_out",
        "2026-08-09",
        [3],
    ),
    (
        "en",
        "The execution of Reza Moradi took place on Monday morning in Adelabad Prison in Shiraz.",
        "execution",
        "carried_out",
        "2026-08-10",
        ["Reza Moradi"],
    ),
    (
        "en",
        "Iranian authorities carried out the execution of political prisoner Saman Yasin on Monday.",
        "execution",
        "carried_out",
        "2026-08-10",
        ["Saman Yasin"],
    ),
    (
        "en",
        "A woman was executed in Vakilabad Prison in Mashhad on Saturday for the murder of her husband, rights groups said.",
        "execution",
        "carried_out",
        "2026-08-08",
        [1],
    ),
    (
        "en",
        "Kurdish prisoner Hiwa Azizi was put to death in Urmia Central Prison early on Thursday.",
        "execution",
        "carried_out",
        "2026-08-13",
        ["Hiwa Azizi"],
    ),
    (
        "fa",
        "سحرگاه روز دوشنبه ۱۹ مرداد، حکم اعدام رضا کریمی در زندان قزلحصار اجرا شد.",
        "execution",
        "carried_out",
        "2026-08-10",
        ["رضا کریمی"],
    ),
    (
        "fa",
        "حکم قصاص نفس علی رضایی صبح دیروز در زندان اصفهان به اجرا گذاشته شد.",
        "execution",
        "carried_out",
        "2026-08-13",
        ["علی رضایی"],
    ),
    (
        "fa",
        "علی رضایی صبح روز چهارشنبه در زندان رشت قصاص شد.",
        "execution",
        "carried_out",
        "2026-08-12",
        ["علی رضایی"],
    ),
    (
        "fa",
        "خبرگزاری میزان صبح امروز از اعدام علی رضایی، محکوم به جاسوسی، در زندان قزلحصار خبر داد.",
        "execution",
        "carried_out",
        "2026-08-14",
        ["علی رضایی"],
    ),
    (
        "fa",
        "حکم اعدام علی رضایی صبح امروز در زندان مرکزی زاهدان اجرایی شد.",
        "execution",
        "carried_out",
        "2026-08-14",
        ["علی رضایی"],
    ),
    (
        "fa",
        "سه زندانی به اتهام قاچاق مواد مخدر روز پنجشنبه در زندان قزلحصار کرج اعدام شدند.",
        "execution",
        "carried_out",
        "2026-08-13",
        [3],
    ),
    (
        "en",
        "Ali Nouri received a death sentence from a Revolutionary Court in Tabriz on Sunday.",
        "death_sentence",
        "issued",
        "2026-08-09",
        ["Ali Nouri"],
    ),
    (
        "en",
        "The Supreme Court upheld Ali Nouri's death sentence on Sunday.",
        "death_sentence",
        "upheld",
        "2026-08-09",
        ["Ali Nouri"],
    ),
    (
        "en",
        "A court in Tabriz has sentenced Ali Nouri to be hanged in public, his lawyer said on Sunday.",
        "death_sentence",
        "issued",
        None,
        ["Ali Nouri"],
    ),
    (
        "fa",
        "دیوان عالی کشور روز یکشنبه حکم اعدام علی نوری را تأیید کرد.",
        "death_sentence",
        "upheld",
        "2026-08-09",
        ["علی نوری"],
    ),
    (
        "fa",
        "علی نوری روز یکشنبه برای اجرای حکم به سلول انفرادی زندان قزلحصار منتقل شد.",
        "death_sentence",
        "imminent",
        "2026-08-09",
        ["علی نوری"],
    ),
    (
        "en",
        "Ali Nouri was found dead in his cell in Evin Prison on Monday.",
        "death_in_custody",
        "carried_out",
        "2026-08-10",
        ["Ali Nouri"],
    ),
    (
        "en",
        "Ali Nouri died in Evin Prison on Monday after being denied medical care.",
        "death_in_custody",
        "carried_out",
        "2026-08-10",
        ["Ali Nouri"],
    ),
    (
        "fa",
        "علی نوری روز دوشنبه در بازداشتگاه اداره آگاهی سنندج جان باخت.",
        "death_in_custody",
        "carried_out",
        "2026-08-10",
        ["علی نوری"],
    ),
    (
        "en",
        "Border guards shot and killed a kolbar near Baneh on Sunday.",
        "extrajudicial_killing",
        "carried_out",
        "2026-08-09",
        [1],
    ),
    (
        "en",
        "Security forces killed Ali Nouri, a 22-year-old protester, in Zahedan on Sunday.",
        "extrajudicial_killing",
        "carried_out",
        "2026-08-09",
        ["Ali Nouri"],
    ),
    (
        "fa",
        "ماموران مرزبانی روز یکشنبه یک کولبر را در نزدیکی بانه هدف گلوله قرار دادند و او جان باخت.",
        "extrajudicial_killing",
        "carried_out",
        "2026-08-09",
        [1],
    ),
    (
        "fa",
        "علی نوری، کولبر ۲۵ ساله، روز یکشنبه با شلیک مستقیم نیروهای مرزبانی در مرز بانه کشته شد.",
        "extrajudicial_killing",
        "carried_out",
        "2026-08-09",
        ["علی نوری"],
    ),
    (
        "en",
        "Ali Nouri was flogged 74 times in Sanandaj Central Prison on Sunday.",
        "flogging",
        "carried_out",
        "2026-08-09",
        ["Ali Nouri"],
    ),
    (
        "fa",
        "علی نوری روز یکشنبه در زندان سنندج ۷۴ ضربه شلاق خورد.",
        "flogging",
        "carried_out",
        "2026-08-09",
        ["علی نوری"],
    ),
    (
        "en",
        "Ali Nouri had his fingers amputated in Urmia Central Prison on Sunday.",
        "amputation",
        "carried_out",
        "2026-08-09",
        ["Ali Nouri"],
    ),
    (
        "en",
        "Ali Nouri was sentenced on Sunday to have four fingers of his right hand amputated.",
        "amputation",
        "issued",
        "2026-08-09",
        ["Ali Nouri"],
    ),
    (
        "en",
        "Two Kurdish kolbars were shot dead by border guards near Sardasht earlier this week.",
        "extrajudicial_killing",
        "carried_out",
        "2026-08",
        [2],
    ),
    (
        "en",
        "Ali Nouri, 34, was executed in Ghezel Hesar Prison on the morning of Wednesday, 12 August.",
        "execution",
        "carried_out",
        "2026-08-12",
        ["Ali Nouri"],
    ),
    (
        "en",
        "Rights groups said Ali Nouri was hanged on 12 August in Qezelhesar Prison.",
        "execution",
        "carried_out",
        "2026-08-12",
        ["Ali Nouri"],
    ),
    (
        "en",
        "On Wednesday, authorities in Karaj hanged Ali Nouri, a father of two convicted on drug charges.",
        "execution",
        "carried_out",
        "2026-08-12",
        ["Ali Nouri"],
    ),
    (
        "fa",
        "به گزارش هرانا، علی نوری زندانی محکوم به اعدام صبح چهارشنبه ۲۲ مرداد در زندان قزلحصار اعدام شد.",
        "execution",
        "carried_out",
        "2026-08-13",
        ["علی نوری"],
    ),
    (
        "fa",
        "حکم اعدام دو زندانی به نام‌های علی نوری و رضا کریمی سحرگاه امروز در زندان زاهدان اجرا شد.",
        "execution",
        "carried_out",
        "2026-08-14",
        ["علی نوری", "رضا کریمی"],
    ),
    (
        "en",
        "Ali Nouri and Reza Karimi were executed in Zahedan on Thursday, 13 August.",
        "execution",
        "carried_out",
        "2026-08-13",
        ["Ali Nouri", "Reza Karimi"],
    ),
    (
        "en",
        "Ali Nouri's death sentence has been carried out, his family said on Friday. He was hanged on Thursday.",
        "execution",
        "carried_out",
        "2026-08-13",
        ["Ali Nouri"],
    ),
    (
        "en",
        "Ali Nouri, a Sunni cleric, was sentenced to death by a court in Zahedan last week.",
        "death_sentence",
        "issued",
        "2026-08",
        ["Ali Nouri"],
    ),
    (
        "fa",
        "علی نوری، روحانی اهل سنت، هفته گذشته از سوی دادگاه انقلاب زاهدان به اعدام محکوم شد.",
        "death_sentence",
        "issued",
        "2026-08",
        ["علی نوری"],
    ),
]


@pytest.mark.parametrize("lang, text, kind, stage, day, victims", PHRASINGS)
def test_one_sentence_phrasings_of_each_kind(lang, text, kind, stage, day, victims):
    m = _one(text, lang)
    assert (m["kind"], m["stage"], m["event_date"], m["background"]) == (kind, stage, day, False)
    assert [v["name"] or v["count"] for v in m["victims"]] == victims


NOT_INCIDENTS = [
    ("en", "Amnesty International called on Iran to halt all executions and abolish the death penalty."),
    ("en", "At least 120 people were executed in Iran in July, according to Iran Human Rights."),
    ("en", "The Supreme Court quashed the death sentence of Ali Nouri and ordered a retrial."),
    ("en", "Ali Nouri's death sentence was commuted to 15 years in prison on Sunday."),
    ("en", "The family of the victim pardoned Ali Nouri minutes before his scheduled execution on Sunday."),
    ("en", "A shopkeeper was killed by robbers in Karaj on Sunday, police said."),
    ("en", "Two men died when their car overturned on the Saravan road on Sunday."),
    ("en", "Protesters gathered outside Ghezel Hesar Prison on Sunday to demand an end to executions."),
    ("en", "The execution of Ali Nouri was postponed on Sunday after an outcry."),
    ("en", "Ali Nouri was acquitted of all charges and released on Sunday."),
    ("en", "Ali Nouri could face the death penalty if convicted, his lawyer warned."),
    ("en", "The prosecutor demanded the death penalty for Ali Nouri at a hearing on Sunday."),
    ("en", "Executions in Iran rose by 30 percent in the first half of the year."),
    (
        "en",
        "Ali Nouri's execution was halted on Sunday after the family of the victim agreed to accept blood money.",
    ),
    ("fa", "سازمان عفو بین‌الملل خواستار توقف فوری اعدام‌ها در ایران شد."),
    ("fa", "دست کم ۱۲۰ نفر در تیرماه در ایران اعدام شدند."),
    ("fa", "حکم اعدام علی نوری در دیوان عالی کشور نقض شد."),
    ("fa", "اولیای دم با رضایت دادن، علی نوری را از قصاص نجات دادند."),
    ("fa", "یک مغازه‌دار روز یکشنبه در کرج به دست سارقان کشته شد."),
    ("fa", "دو سرنشین خودرو روز یکشنبه در جاده سراوان بر اثر واژگونی جان باختند."),
    ("fa", "اجرای حکم اعدام علی نوری روز یکشنبه متوقف شد."),
    ("fa", "علی نوری از همه اتهامات تبرئه و روز یکشنبه آزاد شد."),
    ("fa", "دادستان در جلسه روز یکشنبه برای علی نوری تقاضای اعدام کرد."),
    ("en", "A kolbar died after falling from a cliff near Baneh on Sunday while carrying goods."),
]


@pytest.mark.parametrize("lang, text", NOT_INCIDENTS)
def test_talk_figures_halts_reversals_crimes_and_accidents_are_not_incidents(lang, text):
    assert _ms(text, lang) == []


def test_short_surnames_one_consonant_apart_are_two_people():
    from pipeline.incidents.names import SAME_PERSON, name_similarity

    assert name_similarity("Ali Nouri", "Ali Nasiri") < SAME_PERSON
    assert name_similarity("Reza Kamali", "Reza Karimi") < SAME_PERSON
    for a, b in [
        ("Habib Alsawari", "Habib Sawari"),
        ("Habib Al-Sawari", "حبیب سواری"),
        ("Ali Rezaei", "Ali Rezai"),
        ("Sarkout Hosseinpour", "سرکوت حسین پور"),
        ("Pezhman Gholizadeh", "پژمان قلی‌زاده"),
    ]:
        assert name_similarity(a, b) >= SAME_PERSON, (a, b)


@pytest.mark.parametrize(
    "text, day",
    [
        ("He was hanged the day before yesterday.", "2026-08-12"),
        ("او پریروز در زندان رشت اعدام شد.", "2026-08-12"),
        ("او بیست و دوم مرداد اعدام شد.", "2026-08-13"),
        ("او دوازدهم مرداد اعدام شد.", "2026-08-03"),
        ("او سی و یکم تیر اعدام شد.", "2026-07-22"),
        ("او روز نوزدهم مردادماه ۱۴۰۵ اعدام شد.", "2026-08-10"),
    ],
)
def test_the_day_before_yesterday_and_persian_ordinal_days(text, day):
    hits = [h for h in find_dates(text, PUB) if h.precision == "day"]
    assert [h.value.isoformat() for h in hits] == [day]


# --- resolution across articles ----------------------------------------------------------------


def _resolve(articles: list[tuple[str, date, str]]) -> list[tuple[str, list]]:
    import itertools

    from pipeline.incidents.resolve import Resolver

    counter = itertools.count(1)
    resolver = Resolver(lambda _m: next(counter))
    out = []
    for lang, pub, text in articles:
        for m in _ms(text, lang, pub):
            out.append((resolver.assign(m, text[:30]), [v["name"] or v["count"] for v in m["victims"]]))
    merged = dict(resolver.merges)

    def final(iid):
        while iid in merged:
            iid = merged[iid]
        return iid

    return [(final(i), v) for i, v in out]


def test_an_unnamed_group_and_its_later_partial_naming_are_one_incident_across_scripts():
    got = _resolve(
        [
            (
                "en",
                date(2026, 8, 13),
                "Three men were hanged in Ghezel Hesar Prison in Karaj on Wednesday, HRANA said.",
            ),
            (
                "fa",
                date(2026, 8, 13),
                "به گزارش هرانا، سه زندانی روز چهارشنبه در زندان قزلحصار کرج اعدام شدند.",
            ),
            (
                "en",
                date(2026, 8, 15),
                "One of three men hanged in Ghezel Hesar Prison on Wednesday has been identified as Morteza Jalali, 41.",
            ),
            (
                "en",
                date(2026, 8, 13),
                "Three men were hanged in Adelabad Prison in Shiraz on Wednesday, HRANA said.",
            ),
        ]
    )
    assert [v for _, v in got] == [[3], [3], ["Morteza Jalali", 2], [3]]
    assert got[0][0] == got[1][0] == got[2][0] != got[3][0]


def test_kolbars_killed_on_one_day_in_two_places_are_two_incidents():
    got = _resolve(
        [
            ("en", date(2026, 8, 12), "Two kolbars were shot dead by border guards near Baneh on Tuesday."),
            (
                "fa",
                date(2026, 8, 12),
                "دو کولبر روز سه‌شنبه با شلیک مستقیم ماموران مرزبانی در نزدیکی بانه جان باختند.",
            ),
            (
                "en",
                date(2026, 8, 12),
                "Two kolbars were shot dead by border guards near Sardasht on Tuesday.",
            ),
        ]
    )
    assert got[0][0] == got[1][0] != got[2][0]


# --- short articles: the event, its history, relatives and figures around it --------------------
# (lang, text, mentions as (kind, stage, event date, background, names or unnamed counts))

ARTICLES = [
    (
        "en",
        "Hengaw: A Kurdish political prisoner was executed in Urmia Central Prison at dawn on Wednesday, 12 August. The prisoner has been identified as Soran Karimi, 33, from Mahabad. He had been arrested in 2023 and sentenced to death for baghi.",
        [("execution", "carried_out", "2026-08-12", False, ["Soran Karimi"])],
    ),
    (
        "en",
        "Three prisoners were hanged in Ghezel Hesar Prison on Wednesday. Two of them have been identified as Ali Nouri and Reza Karimi. The identity of the third is not known.",
        [("execution", "carried_out", "2026-08-12", False, ["Ali Nouri", "Reza Karimi", 1])],
    ),
    (
        "fa",
        "به گزارش هرانا، صبح روز چهارشنبه ۲۲ مرداد ۱۴۰۵، سه زندانی در زندان قزلحصار کرج اعدام شدند. هویت دو تن از این زندانیان علی نوری و رضا کریمی اعلام شده است.",
        [("execution", "carried_out", "2026-08-13", False, ["علی نوری", "رضا کریمی", 1])],
    ),
    (
        "fa",
        "کامران احمدی روز دوشنبه در زندان مرکزی زاهدان جان باخت. برادر او، جمال احمدی، سال ۱۳۹۹ در زندان قزلحصار اعدام شده بود.",
        [
            ("death_in_custody", "carried_out", "2026-08-10", False, ["کامران احمدی"]),
            ("execution", "carried_out", "2020", True, ["جمال احمدی"]),
        ],
    ),
    (
        "en",
        "Ali Nouri, who was sentenced to death in March, was executed on Wednesday in Qom.",
        [("execution", "carried_out", "2026-08-12", False, ["Ali Nouri"])],
    ),
    (
        "en",
        "Ali Nouri was transferred to solitary confinement on Tuesday ahead of his execution. His family were told to visit him for the last time.",
        [("death_sentence", "imminent", "2026-08-11", False, ["Ali Nouri"])],
    ),
    (
        "fa",
        "دادگاه کیفری تهران زهرا احمدی را به دلیل عدم رعایت حجاب به ۷۴ ضربه شلاق محکوم کرد. این حکم روز دوشنبه به او ابلاغ شد.",
        [("flogging", "issued", "2026-08-10", False, ["زهرا احمدی"])],
    ),
    (
        "en",
        "Ali Nouri died in hospital on Monday, three days after he was released from Evin Prison, where his family say he was beaten.",
        [("death_in_custody", "carried_out", "2026-08-10", False, ["Ali Nouri"])],
    ),
    (
        "en",
        "A Kurdish kolbar, Azad Rahimi, 27, was shot dead by border guards near Nowsud on Sunday. Another porter was wounded.",
        [("extrajudicial_killing", "carried_out", "2026-08-09", False, ["Azad Rahimi"])],
    ),
    (
        "fa",
        "آزاد رحیمی، کولبر ۲۷ ساله اهل پاوه، روز یکشنبه با شلیک مستقیم نیروهای نظامی در مرز نوسود جان باخت.",
        [("extrajudicial_killing", "carried_out", "2026-08-09", False, ["آزاد رحیمی"])],
    ),
    (
        "en",
        "The family of Majid Rahimi, who was executed in Mashhad in 2021, gathered at his grave on Thursday.",
        [("execution", "carried_out", "2021", True, ["Majid Rahimi"])],
    ),
    (
        "en",
        "Two men were executed in Shiraz on Monday. Rights groups named them as Ali Nouri and Reza Karimi. Separately, a court in Tabriz sentenced Kaveh Sharifi to death on Tuesday.",
        [
            ("execution", "carried_out", "2026-08-10", False, ["Ali Nouri", "Reza Karimi"]),
            ("death_sentence", "issued", "2026-08-11", False, ["Kaveh Sharifi"]),
        ],
    ),
    (
        "fa",
        "حکم اعدام علی نوری، زندانی سیاسی کرد، سحرگاه روز چهارشنبه در زندان مرکزی ارومیه اجرا شد. او سال ۱۴۰۲ بازداشت و در دادگاه انقلاب به اتهام بغی به اعدام محکوم شده بود. خانواده او روز سه‌شنبه برای آخرین ملاقات به زندان فراخوانده شده بودند.",
        [("execution", "carried_out", "2026-08-12", False, ["علی نوری"])],
    ),
    (
        "en",
        "Ali Nouri was executed on Wednesday. His wife, Maryam Sadeghi, said he had been tortured.",
        [("execution", "carried_out", "2026-08-12", False, ["Ali Nouri"])],
    ),
    (
        "en",
        "The Supreme Court has upheld the death sentences of two Baluch men, Abdolrahim Shahbakhsh and Yaser Rigi, convicted of drug trafficking. The ruling was communicated to their lawyers on Tuesday.",
        [("death_sentence", "upheld", "2026-08-11", False, ["Abdolrahim Shahbakhsh", "Yaser Rigi"])],
    ),
    (
        "fa",
        "دو زندانی بلوچ به نام‌های عبدالرحیم شاه‌بخش و یاسر ریگی روز سه‌شنبه به سلول انفرادی زندان زاهدان منتقل شدند.",
        [("death_sentence", "imminent", "2026-08-11", False, ["عبدالرحیم شاه‌بخش", "یاسر ریگی"])],
    ),
]

# (lang, outlet type, text, mentions)
ARTICLES_BY_OUTLET = [
    (
        "fa",
        "state_media",
        "به گزارش میزان، رئیس کل دادگستری استان کرمان از اجرای حکم قصاص قاتل یک مامور پلیس در زندان کرمان خبر داد. وی گفت: این فرد که در اسفند ۱۴۰۳ در جریان یک درگیری مامور انتظامی را به قتل رسانده بود، پس از طی مراحل قانونی و تأیید حکم در دیوان عالی کشور، صبح امروز قصاص شد.",
        [("execution", "carried_out", "2026-08-14", False, [1])],
    ),
    (
        "fa",
        "rights_group",
        "کمپین فعالین بلوچ: عبدالواحد ریگی، زندانی ۲۸ ساله اهل سراوان، صبح روز پنجشنبه ۲۳ مرداد در زندان مرکزی زاهدان اعدام شد. این زندانی سه سال پیش به اتهام حمل مواد مخدر بازداشت شده بود. خانواده او روز چهارشنبه برای آخرین ملاقات به زندان فراخوانده شدند.",
        [("execution", "carried_out", "2026-08-14", False, ["عبدالواحد ریگی"])],
    ),
    (
        "en",
        "rights_group",
        "Baluch Activists Campaign: Abdolvahed Rigi, a 28-year-old prisoner from Saravan, was executed in Zahedan Central Prison on Thursday morning. He had been arrested three years ago on drug charges. His family were summoned for a last visit on Wednesday.",
        [("execution", "carried_out", "2026-08-13", False, ["Abdolvahed Rigi"])],
    ),
    (
        "en",
        "independent_media",
        "Zeynab Moradi, a 31-year-old woman convicted of killing her husband, was hanged in Qarchak prison at dawn on Wednesday. She had been married at 15. Her lawyer said the family of her husband had refused to accept blood money.",
        [("execution", "carried_out", "2026-08-12", False, ["Zeynab Moradi"])],
    ),
    (
        "en",
        "rights_group",
        "Iran Human Rights has learned that Hamed Yousefi, a 26-year-old man from Karaj, has been sentenced to death for drug trafficking. The sentence was issued by Branch 1 of the Revolutionary Court of Karaj in July. Yousefi is held in Ghezel Hesar Prison.",
        [("death_sentence", "issued", "2026-07", False, ["Hamed Yousefi"])],
    ),
    (
        "fa",
        "rights_group",
        "حامد یوسفی، جوان ۲۶ ساله اهل کرج، از سوی شعبه یک دادگاه انقلاب کرج به اتهام قاچاق مواد مخدر به اعدام محکوم شد. این حکم تیرماه صادر شده است.",
        [("death_sentence", "issued", "2026-07", False, ["حامد یوسفی"])],
    ),
    (
        "en",
        "rights_group",
        "Ten years after Kamal Ahmadi was executed in Urmia, his mother still visits the prison gate every month.",
        [("execution", "carried_out", None, True, ["Kamal Ahmadi"])],
    ),
    (
        "en",
        "rights_group",
        "A prisoner died in Dizelabad Prison in Kermanshah on Monday after being denied treatment for a heart condition. He has been identified as Bahram Soltani, 58.",
        [("death_in_custody", "carried_out", "2026-08-10", False, ["Bahram Soltani"])],
    ),
    (
        "fa",
        "rights_group",
        "بهرام سلطانی، زندانی ۵۸ ساله، روز دوشنبه به دلیل عدم رسیدگی پزشکی در زندان دیزل‌آباد کرمانشاه جان خود را از دست داد.",
        [("death_in_custody", "carried_out", "2026-08-10", False, ["بهرام سلطانی"])],
    ),
    (
        "en",
        "rights_group",
        "On Wednesday, 12 August, Mina Karimi, a Christian convert, was flogged 40 times in Evin Prison for drinking communion wine.",
        [("flogging", "carried_out", "2026-08-12", False, ["Mina Karimi"])],
    ),
    (
        "fa",
        "rights_group",
        "حکم ۸۰ ضربه شلاق مینا کریمی، نوکیش مسیحی، روز چهارشنبه ۲۲ مرداد در زندان اوین اجرا شد.",
        [("flogging", "carried_out", "2026-08-13", False, ["مینا کریمی"])],
    ),
    (
        "en",
        "rights_group",
        "Security forces opened fire on protesters in Zahedan on Friday, killing at least three people, including a 16-year-old boy named Yasin Baloch.",
        [("extrajudicial_killing", "carried_out", "2026-08-14", False, ["Yasin Baloch", 2])],
    ),
]


def _mentions(text: str, lang: str, outlet_type: str = "rights_group") -> list[tuple]:
    return sorted(
        (
            m["kind"],
            m["stage"],
            m["event_date"],
            m["background"],
            [v["name"] or v["count"] for v in m["victims"]],
        )
        for m in _ms(text, lang, PUB, outlet_type)
    )


@pytest.mark.parametrize("lang, text, want", ARTICLES)
def test_short_articles(lang, text, want):
    assert _mentions(text, lang) == sorted(want)


@pytest.mark.parametrize("lang, outlet_type, text, want", ARTICLES_BY_OUTLET)
def test_short_articles_of_state_media_rights_groups_and_independent_media(lang, outlet_type, text, want):
    assert _mentions(text, lang, outlet_type) == sorted(want)


# passing mentions, history, groups, several people on one day and place, figures around an event
MORE_ARTICLES = [
    (
        "en",
        "The rally came days after the execution of Farid Sadeghi in Qom, which drew condemnation from rights groups.",
        [("execution", "carried_out", None, False, ["Farid Sadeghi"])],
    ),
    (
        "en",
        "Farid Sadeghi, whose death sentence was upheld in May, was executed in Qom Central Prison on Tuesday.",
        [("execution", "carried_out", "2026-08-11", False, ["Farid Sadeghi"])],
    ),
    (
        "en",
        "A group of five prisoners convicted of drug offences were executed at Ghezel Hesar Prison on Wednesday.",
        [("execution", "carried_out", "2026-08-12", False, [5])],
    ),
    (
        "en",
        "Twelve prisoners were executed in Ghezel Hesar Prison on Wednesday, 12 August, in one of the largest mass executions this year.",
        [("execution", "carried_out", "2026-08-12", False, [12])],
    ),
    (
        "fa",
        "صبح روز چهارشنبه ۱۲ زندانی در زندان قزلحصار کرج اعدام شدند.",
        [("execution", "carried_out", "2026-08-12", False, [12])],
    ),
    (
        "en",
        "Ali Nouri was executed in Qom on Tuesday. Another prisoner, Reza Karimi, was also hanged in the same prison on Tuesday.",
        [("execution", "carried_out", "2026-08-11", False, ["Ali Nouri", "Reza Karimi"])],
    ),
    (
        "fa",
        "علی نوری سحرگاه سه‌شنبه در زندان قم اعدام شد. یک زندانی دیگر به نام رضا کریمی نیز همان روز در این زندان اعدام شد.",
        [("execution", "carried_out", "2026-08-11", False, ["علی نوری", "رضا کریمی"])],
    ),
    (
        "en",
        "Two brothers, Hossein and Mehdi Azadi, were sentenced to death by the Revolutionary Court of Ahvaz on Sunday.",
        [("death_sentence", "issued", "2026-08-09", False, ["Hossein Azadi", "Mehdi Azadi"])],
    ),
    (
        "fa",
        "دو برادر به نام‌های حسین و مهدی آزادی روز یکشنبه از سوی دادگاه انقلاب اهواز به اعدام محکوم شدند.",
        [("death_sentence", "issued", "2026-08-09", False, ["حسین آزادی", "مهدی آزادی"])],
    ),
    (
        "en",
        "Ali Nouri was executed in Qom on Tuesday. He had been sentenced to death in 2024 and his sentence was upheld in March.",
        [("execution", "carried_out", "2026-08-11", False, ["Ali Nouri"])],
    ),
    (
        "en",
        "Rights groups say at least 45 people have been executed in Iran since the start of August. Among them was Ali Nouri, hanged in Qom on Tuesday.",
        [("execution", "carried_out", "2026-08-11", False, ["Ali Nouri"])],
    ),
    (
        "fa",
        "دست کم ۴۵ نفر از ابتدای مرداد در ایران اعدام شده‌اند. علی نوری یکی از آنان بود که روز سه‌شنبه در زندان قم به دار آویخته شد.",
        [("execution", "carried_out", "2026-08-11", False, ["علی نوری"])],
    ),
    (
        "en",
        "The judiciary announced on Thursday that a man convicted of raping a teenager had been executed in Kerman. It did not name him.",
        [("execution", "carried_out", None, False, [1])],
    ),
    (
        "en",
        "Ali Nouri, 24, was hanged in public in Mashhad on Thursday morning for the murder of a cleric.",
        [("execution", "carried_out", "2026-08-13", False, ["Ali Nouri"])],
    ),
    (
        "en",
        "Ali Nouri, a juvenile offender who was 16 at the time of the alleged crime, was executed on Thursday in Isfahan.",
        [("execution", "carried_out", "2026-08-13", False, ["Ali Nouri"])],
    ),
]


@pytest.mark.parametrize("lang, text, want", MORE_ARTICLES)
def test_more_short_articles(lang, text, want):
    assert _mentions(text, lang) == sorted(want)


def test_dozens_is_no_count_and_a_call_to_stop_executions_is_no_act():
    text = (
        "ده‌ها تن از خانواده‌های زندانیان روز جمعه مقابل زندان قم تجمع کردند و خواستار توقف اجرای احکام"
        " اعدام شدند. این تجمع دو روز پس از آن برگزار شد که علی نوری صبح چهارشنبه در این زندان اعدام شد."
    )
    assert _mentions(text, "fa") == [("execution", "carried_out", "2026-08-12", False, ["علی نوری"])]


def test_an_act_recalled_by_elapsed_time_stays_background_when_its_date_is_told_again():
    text = (
        "Two months after Sohrab Azizi was hanged in Urmia, his family still do not know where he is"
        " buried. His mother says she has written to the judiciary every week. Azizi, a Kurdish"
        " teacher, was executed in June on a charge of baghi."
    )
    m = _one(text)
    assert (m["kind"], m["event_date"], m["background"]) == ("execution", "2026-06", True)


def test_a_late_first_report_in_the_lead_is_news_and_a_passing_mention_after_it_is_background():
    late = (
        "Iran Human Rights has learned that Sohrab Azizi, a 30-year-old prisoner, was executed in"
        " Ghezel Hesar Prison on 10 June. His execution had not been reported."
    )
    m = _one(late)
    assert (m["event_date"], m["background"]) == ("2026-06-10", False)
    passing = (
        "Teachers in Urmia held a sit-in on Thursday to demand higher wages. The protest was"
        " organised by the teachers' union. Union members also carried photographs of Sohrab Azizi,"
        " a teacher executed in Urmia on 10 June."
    )
    m = _one(passing)
    assert (m["event_date"], m["background"]) == ("2026-06-10", True)
    recent = passing.replace("10 June", "25 July")
    assert _one(recent)["background"] is False


@pytest.mark.parametrize(
    "text, pub, value",
    [
        ("He was hanged earlier this week.", date(2026, 8, 14), "2026-08"),
        ("او این هفته در زندان قم اعدام شد.", date(2026, 8, 14), "2026-08"),
        ("He was hanged last month.", date(2026, 8, 14), "2026-07"),
        ("او ماه گذشته اعدام شد.", date(2026, 8, 14), "2026-07"),  # Tir 1405: its 15th is 6 July
        ("او ماه گذشته اعدام شد.", date(2026, 7, 20), "2026-06"),  # 29 Tir: Khordad, its 15th 5 June
    ],
)
def test_this_week_and_last_month_give_a_month(text, pub, value):
    hits = find_dates(text, pub)
    assert [(h.value.isoformat()[:7], h.precision) for h in hits] == [(value, "month")]


def test_this_week_across_a_month_boundary_gives_no_month():
    assert find_dates("He was hanged earlier this week.", date(2026, 9, 2)) == []  # Monday 31 August


# --- names whose given name is in none of our lists ----------------------------------------------
# (lang, text, victims): the sentence's subject with a surname's shape, after «حکم اعدام» or a
# title, joined by «و» / "and" to another name
UNLISTED_GIVEN_NAMES = [
    ("fa", "شاهو ویسی سحرگاه امروز در زندان مرکزی ارومیه اعدام شد.", ["شاهو ویسی"]),
    ("fa", "ژیار کریمی، زندانی سیاسی کرد، سحرگاه امروز در زندان مرکزی ارومیه اعدام شد.", ["ژیار کریمی"]),
    ("fa", "حکم اعدام دیاکو رسولی سحرگاه امروز در زندان مرکزی ارومیه اجرا شد.", ["دیاکو رسولی"]),
    (
        "fa",
        "زانیار و لقمان مرادی سحرگاه امروز در زندان رجایی‌شهر اعدام شدند.",
        ["زانیار مرادی", "لقمان مرادی"],
    ),
    ("fa", "هژار محمدی و شاهو ویسی سحرگاه امروز در زندان ارومیه اعدام شدند.", ["هژار محمدی", "شاهو ویسی"]),
    ("fa", "یک زندانی بلوچ به نام دادشاه ریگی سحرگاه امروز در زندان زاهدان اعدام شد.", ["دادشاه ریگی"]),
    ("fa", "ماموستا دیاکو رسولی سحرگاه امروز در زندان سنندج اعدام شد.", ["دیاکو رسولی"]),
    (
        "en",
        "Shaho Veisi, a Kurdish political prisoner, was executed in Urmia Central Prison on Thursday.",
        ["Shaho Veisi"],
    ),
    (
        "en",
        "Kurdish political prisoner Zhiar Karimi was executed in Urmia Central Prison on Thursday.",
        ["Zhiar Karimi"],
    ),
    ("en", "The death sentence of Diako Rasouli was carried out in Urmia on Thursday.", ["Diako Rasouli"]),
    (
        "en",
        "Dadshah Rigi was hanged in Zahedan Central Prison on Thursday, the Baluch Activists Campaign said.",
        ["Dadshah Rigi"],
    ),
    (
        "en",
        "Hengaw said Shaho Veisi and Hazhar Mohammadi were hanged in Urmia on Thursday.",
        ["Shaho Veisi", "Hazhar Mohammadi"],
    ),
    ("en", "A Baluch man, Dadshah Rigi, was executed in Zahedan on Thursday.", ["Dadshah Rigi"]),
]


@pytest.mark.parametrize("lang, text, victims", UNLISTED_GIVEN_NAMES)
def test_names_with_given_names_outside_our_lists(lang, text, victims):
    assert [v["name"] or v["count"] for v in _one(text, lang)["victims"]] == victims


@pytest.mark.parametrize(
    "text",
    [
        "نیروهای امنیتی روز پنجشنبه معترضان را در زاهدان بازداشت کردند و یک زندانی سحرگاه امروز اعدام شد.",
        "دادگاه انقلاب سحرگاه امروز حکم را صادر کرد. یک زندانی سحرگاه امروز در زندان قم اعدام شد.",
    ],
)
def test_a_sentence_opening_noun_and_adjective_is_no_name(text):
    assert all(v["name"] is None for m in _ms(text, "fa") for v in m["victims"])


# --- deaths in custody, killings, floggings, amputations and sentences, more phrasings ------------
CUSTODY_KILLINGS_LASHES_SENTENCES = [
    (
        "fa",
        "رضا کمالی، زندانی ۴۰ ساله، روز دوشنبه در زندان اوین بر اثر عدم رسیدگی پزشکی درگذشت.",
        "death_in_custody",
        "carried_out",
        "2026-08-10",
        ["رضا کمالی"],
    ),
    (
        "fa",
        "رضا کمالی روز دوشنبه چند ساعت پس از بازداشت در کلانتری ۱۲ کرج جان باخت.",
        "death_in_custody",
        "carried_out",
        "2026-08-10",
        ["رضا کمالی"],
    ),
    (
        "fa",
        "پیکر رضا کمالی که روز دوشنبه در بازداشتگاه اطلاعات سنندج جان باخته بود، به خانواده‌اش تحویل داده شد.",
        "death_in_custody",
        "carried_out",
        "2026-08-10",
        ["رضا کمالی"],
    ),
    (
        "fa",
        "رضا کمالی روز دوشنبه زیر شکنجه ماموران اطلاعات در سنندج کشته شد.",
        "death_in_custody",
        "carried_out",
        "2026-08-10",
        ["رضا کمالی"],
    ),
    (
        "en",
        "Reza Kamali, 40, died of a heart attack in Evin Prison on Monday after prison officials delayed his transfer to hospital.",
        "death_in_custody",
        "carried_out",
        "2026-08-10",
        ["Reza Kamali"],
    ),
    (
        "en",
        "Reza Kamali died in custody on Monday, four days after his arrest in Sanandaj.",
        "death_in_custody",
        "carried_out",
        "2026-08-10",
        ["Reza Kamali"],
    ),
    (
        "en",
        "Reza Kamali, who was arrested on Friday, died on Monday at a detention centre of the intelligence ministry in Sanandaj.",
        "death_in_custody",
        "carried_out",
        "2026-08-10",
        ["Reza Kamali"],
    ),
    (
        "en",
        "Border guards fired on a group of kolbars near Baneh on Monday, killing Reza Kamali, 25.",
        "extrajudicial_killing",
        "carried_out",
        "2026-08-10",
        ["Reza Kamali"],
    ),
    (
        "fa",
        "رضا کمالی، سوخت‌بر ۲۲ ساله، روز دوشنبه هدف تیراندازی مستقیم ماموران سپاه قرار گرفت و جان باخت.",
        "extrajudicial_killing",
        "carried_out",
        "2026-08-10",
        ["رضا کمالی"],
    ),
    (
        "fa",
        "ماموران سپاه روز دوشنبه به خودروی سوخت‌بران شلیک کردند که در نتیجه آن رضا کمالی کشته شد.",
        "extrajudicial_killing",
        "carried_out",
        "2026-08-10",
        ["رضا کمالی"],
    ),
    (
        "en",
        "Reza Kamali, a 17-year-old boy, was shot dead by riot police during a protest in Zahedan on Monday.",
        "extrajudicial_killing",
        "carried_out",
        "2026-08-10",
        ["Reza Kamali"],
    ),
    (
        "fa",
        "حکم ۷۴ ضربه شلاق رضا کمالی به اتهام شرب خمر روز دوشنبه در زندان قزوین اجرا شد.",
        "flogging",
        "carried_out",
        "2026-08-10",
        ["رضا کمالی"],
    ),
    (
        "fa",
        "دادگاه کیفری قزوین روز دوشنبه رضا کمالی را به ۸۰ ضربه شلاق محکوم کرد.",
        "flogging",
        "issued",
        "2026-08-10",
        ["رضا کمالی"],
    ),
    (
        "en",
        "A court in Qazvin sentenced Reza Kamali to 80 lashes on Monday for drinking alcohol.",
        "flogging",
        "issued",
        "2026-08-10",
        ["Reza Kamali"],
    ),
    (
        "en",
        "Reza Kamali was lashed 80 times in Qazvin prison on Monday for drinking alcohol.",
        "flogging",
        "carried_out",
        "2026-08-10",
        ["Reza Kamali"],
    ),
    (
        "fa",
        "حکم قطع چهار انگشت دست راست رضا کمالی روز دوشنبه در زندان ارومیه اجرا شد.",
        "amputation",
        "carried_out",
        "2026-08-10",
        ["رضا کمالی"],
    ),
    (
        "fa",
        "دیوان عالی کشور حکم قطع انگشتان رضا کمالی را روز دوشنبه تأیید کرد.",
        "amputation",
        "upheld",
        "2026-08-10",
        ["رضا کمالی"],
    ),
    (
        "en",
        "Reza Kamali's death sentence was confirmed by the Supreme Court on Monday.",
        "death_sentence",
        "upheld",
        "2026-08-10",
        ["Reza Kamali"],
    ),
    (
        "en",
        "Reza Kamali is at imminent risk of execution after the Supreme Court upheld his death sentence on Monday.",
        "death_sentence",
        "upheld",
        "2026-08-10",
        ["Reza Kamali"],
    ),
    (
        "fa",
        "رضا کمالی که روز دوشنبه برای اجرای حکم به انفرادی منتقل شده بود، در خطر اعدام قریب‌الوقوع قرار دارد.",
        "death_sentence",
        "imminent",
        "2026-08-10",
        ["رضا کمالی"],
    ),
    (
        "en",
        "Reza Kamali's family were told on Monday to come for a final visit, a sign that his execution is imminent.",
        "death_sentence",
        "imminent",
        "2026-08-10",
        ["Reza Kamali"],
    ),
]


@pytest.mark.parametrize("lang, text, kind, stage, day, victims", CUSTODY_KILLINGS_LASHES_SENTENCES)
def test_more_phrasings_of_custody_killings_lashes_and_sentences(lang, text, kind, stage, day, victims):
    m = _one(text, lang)
    assert (m["kind"], m["stage"], m["event_date"], m["background"]) == (kind, stage, day, False)
    assert [v["name"] or v["count"] for v in m["victims"]] == victims


# --- quarantine transfers, announced dates, groups with a named member, secret acts --------------
TRANSFERS_GROUPS_AND_SECRET_ACTS = [
    (
        "en",
        "Reza Kamali was moved to the quarantine ward of Ghezel Hesar Prison on Monday in preparation for his execution.",
        "death_sentence",
        "imminent",
        "2026-08-10",
        ["Reza Kamali"],
    ),
    (
        "fa",
        "رضا کمالی روز دوشنبه جهت اجرای حکم به قرنطینه زندان قزلحصار منتقل شد.",
        "death_sentence",
        "imminent",
        "2026-08-10",
        ["رضا کمالی"],
    ),
    (
        "en",
        "Reza Kamali's family were informed on Monday that his execution is scheduled for Wednesday.",
        "death_sentence",
        "imminent",
        "2026-08-10",
        ["Reza Kamali"],
    ),
    (
        "en",
        "Reza Kamali faces imminent execution after his final appeal was rejected on Monday.",
        "death_sentence",
        "imminent",
        "2026-08-10",
        ["Reza Kamali"],
    ),
    (
        "en",
        "The convict, identified as Reza Kamali, was hanged at dawn on Monday in Qazvin.",
        "execution",
        "carried_out",
        "2026-08-10",
        ["Reza Kamali"],
    ),
    (
        "en",
        "The qisas sentence of Reza Kamali was carried out on Monday in Qazvin.",
        "execution",
        "carried_out",
        "2026-08-10",
        ["Reza Kamali"],
    ),
    (
        "fa",
        "بامداد روز دوشنبه ۲۰ مرداد ماه ۱۴۰۵، رضا کمالی در زندان قزوین اعدام شد.",
        "execution",
        "carried_out",
        "2026-08-11",
        ["رضا کمالی"],
    ),
    (
        "en",
        "A Revolutionary Court in Ahvaz handed down death sentences to three Arab men on Monday.",
        "death_sentence",
        "issued",
        "2026-08-10",
        [3],
    ),
    (
        "fa",
        "دادگاه انقلاب اهواز روز دوشنبه سه مرد عرب را به اعدام محکوم کرد.",
        "death_sentence",
        "issued",
        "2026-08-10",
        [3],
    ),
    (
        "en",
        "Reza Kamali was secretly executed in Qazvin Central Prison on Monday without his family being informed.",
        "execution",
        "carried_out",
        "2026-08-10",
        ["Reza Kamali"],
    ),
    (
        "fa",
        "رضا کمالی روز دوشنبه بدون اطلاع خانواده‌اش در زندان قزوین اعدام شد.",
        "execution",
        "carried_out",
        "2026-08-10",
        ["رضا کمالی"],
    ),
    (
        "en",
        "At least three prisoners, including Reza Kamali, were hanged in Qazvin Central Prison on Monday.",
        "execution",
        "carried_out",
        "2026-08-10",
        ["Reza Kamali", 2],
    ),
    (
        "fa",
        "دست کم سه زندانی از جمله رضا کمالی روز دوشنبه در زندان قزوین اعدام شدند.",
        "execution",
        "carried_out",
        "2026-08-10",
        ["رضا کمالی", 2],
    ),
    (
        "en",
        "Reza Kamali, a 29-year-old man from Qazvin, was given 74 lashes on Monday for taking part in a party.",
        "flogging",
        "carried_out",
        "2026-08-10",
        ["Reza Kamali"],
    ),
    (
        "fa",
        "رضا کمالی روز دوشنبه به دلیل حضور در یک مهمانی در زندان قزوین ۷۴ ضربه شلاق خورد.",
        "flogging",
        "carried_out",
        "2026-08-10",
        ["رضا کمالی"],
    ),
    (
        "en",
        "The Supreme Court rejected Reza Kamali's request for a retrial on Monday, leaving him at imminent risk of execution.",
        "death_sentence",
        "imminent",
        "2026-08-10",
        ["Reza Kamali"],
    ),
    (
        "fa",
        "دیوان عالی کشور روز دوشنبه درخواست اعاده دادرسی رضا کمالی را رد کرد و او در خطر اجرای حکم قرار دارد.",
        "death_sentence",
        "imminent",
        "2026-08-10",
        ["رضا کمالی"],
    ),
]


@pytest.mark.parametrize("lang, text, kind, stage, day, victims", TRANSFERS_GROUPS_AND_SECRET_ACTS)
def test_transfers_groups_and_secret_acts(lang, text, kind, stage, day, victims):
    m = _one(text, lang)
    assert (m["kind"], m["stage"], m["event_date"], m["background"]) == (kind, stage, day, False)
    assert [v["name"] or v["count"] for v in m["victims"]] == victims


def test_a_group_reported_without_a_place_joins_the_same_group_on_that_day():
    got = _resolve(
        [
            (
                "en",
                date(2026, 8, 13),
                "Three men were hanged on Wednesday on drug charges, state media said.",
            ),
            ("fa", date(2026, 8, 13), "سه زندانی روز چهارشنبه در زندان قزلحصار کرج اعدام شدند."),
            ("en", date(2026, 8, 13), "Two men were hanged on Wednesday on drug charges, state media said."),
            ("en", date(2026, 8, 13), "A man was hanged in Qom on Wednesday, state media said."),
            ("en", date(2026, 8, 13), "A man was hanged on Wednesday, state media said."),
        ]
    )
    assert [v for _, v in got] == [[3], [3], [2], [1], [1]]
    ids = [i for i, _ in got]
    assert ids[0] == ids[1] and len({ids[0], ids[2], ids[3], ids[4]}) == 4  # a lone unnamed man: not joined


# --- where a name stands: after a reporting verb, a time phrase or a comma; before a bare verb ---
NAME_PLACES = [
    ("en", "Iranian authorities executed Shahu Veysi in Urmia on Monday.", ["Shahu Veysi"]),
    ("en", "A man was hanged in Urmia on Monday. Hengaw identified him as Shahu Veysi, 33.", ["Shahu Veysi"]),
    ("en", "A man was hanged in Urmia on Monday. He was named as Shahu Veysi.", ["Shahu Veysi"]),
    ("en", "Authorities hanged Baluch prisoner Dadshah Rigi in Zahedan on Monday.", ["Dadshah Rigi"]),
    ("en", "Shahu Veysi, 33, was hanged in Urmia on Monday.", ["Shahu Veysi"]),
    ("en", "Shahu Veysi was hanged in Urmia on Monday.", ["Shahu Veysi"]),
    ("en", "On Monday, Shahu Veysi was hanged in Urmia.", ["Shahu Veysi"]),
    ("en", "The Kurdish activist Shahu Veysi was hanged in Urmia on Monday.", ["Shahu Veysi"]),
    ("en", "Urmia: Shahu Veysi hanged on Monday after an unfair trial.", ["Shahu Veysi"]),
    (
        "en",
        "The execution of Shahu Veysi on Monday in Urmia was condemned by Amnesty International.",
        ["Shahu Veysi"],
    ),
    ("en", "Mrs Golrokh Ebrahimi died in Qarchak Prison on Monday.", ["Golrokh Ebrahimi"]),
    (
        "fa",
        "یک زندانی روز دوشنبه در زندان ارومیه اعدام شد. هویت این زندانی شاهو ویسی اعلام شده است.",
        ["شاهو ویسی"],
    ),
    ("fa", "شاهو ویسی ۳۳ ساله روز دوشنبه در زندان ارومیه اعدام شد.", ["شاهو ویسی"]),
    ("fa", "روز دوشنبه شاهو ویسی در زندان ارومیه اعدام شد.", ["شاهو ویسی"]),
    ("fa", "سازمان هەنگاو اعلام کرد شاهو ویسی روز دوشنبه در زندان ارومیه اعدام شد.", ["شاهو ویسی"]),
]


@pytest.mark.parametrize("lang, text, victims", NAME_PLACES)
def test_names_where_they_stand(lang, text, victims):
    assert [v["name"] or v["count"] for v in _one(text, lang)["victims"]] == victims


def test_a_description_after_a_comma_is_no_name():
    text = "حکم ۸۰ ضربه شلاق مینا کریمی، نوکیش مسیحی، روز چهارشنبه در زندان اوین اجرا شد."
    assert [v["name"] for v in _one(text, "fa")["victims"]] == ["مینا کریمی"]
