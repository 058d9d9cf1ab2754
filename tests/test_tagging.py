"""Topic tagging without a database: taxonomy validation, matching, offsets, facets, metrics."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipeline.tagging import LexiconTagger, TaxonomyError, load_taxonomy
from pipeline.tagging.evaluate import evaluate, load_labelled
from pipeline.tagging.matcher import Lexicon, stem_en
from pipeline.tagging.taxonomy import expand_term

ROOT = Path(__file__).resolve().parent.parent
TOPICS_FILE = ROOT / "config" / "topics.yaml"
LABELLED = ROOT / "tests" / "data" / "tagging"

LEAVES = {
    "A": ["execution", "death_sentence", "extrajudicial_killing", "death_in_custody", "corporal_punishment"],
    "B": ["arbitrary_arrest", "enforced_disappearance", "unfair_trial_sentencing", "political_prisoners"],
    "C": ["torture_ill_treatment", "forced_confession", "prison_conditions"],
    "D": ["protest_crackdown", "expression_media_internet", "defenders_lawyers_civil_society"],
    "E": ["women_gender_sexuality", "ethnic_minorities", "religious_minorities", "children_juveniles"],
    "F": [
        "massacre_1988_1980s",
        "un_international_mechanisms",
        "accountability_justice",
        "transnational_repression_hostages",
    ],
}


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy(TOPICS_FILE)


@pytest.fixture(scope="module")
def tagger(taxonomy):
    return LexiconTagger(taxonomy)


def _raw() -> dict:
    return yaml.safe_load(TOPICS_FILE.read_text(encoding="utf-8"))


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "topics.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


# --- the default taxonomy ---------------------------------------------------------------


def test_default_taxonomy_has_the_23_contract_leaves_in_6_groups(taxonomy):
    assert set(taxonomy.model.groups) == set(LEAVES)
    assert len(taxonomy.topics) == 23
    for group, slugs in LEAVES.items():
        for i, slug in enumerate(slugs, start=1):
            topic = taxonomy.topics[slug]
            assert topic.group == group
            assert topic.code == f"{group}{i}"
            assert topic.definition and topic.terms.en and topic.terms.fa
    assert taxonomy.version
    assert {"prison", "charge", "court", "agency"} <= set(taxonomy.model.facets)
    charges = {e.value for e in taxonomy.model.facets["charge"]}
    assert {
        "moharebeh",
        "efsad_fil_arz",
        "baghi",
        "qisas_murder",
        "drug_trafficking",
        "rape",
        "armed_robbery",
        "espionage",
        "propaganda",
        "assembly_collusion",
        "insulting_leader",
        "membership_opposition",
        "apostasy",
        "other",
    } <= charges


def test_lexicons_are_richer_than_the_seed_lists(taxonomy):
    for slug, topic in taxonomy.topics.items():
        assert len(topic.terms.en) + len(topic.weak_terms.en) >= 6, slug
        assert len(topic.terms.fa) + len(topic.weak_terms.fa) >= 6, slug


# --- validation errors name the file and the field ---------------------------------------


def test_unknown_group_is_reported_with_file_and_field(tmp_path):
    data = _raw()
    data["topics"]["execution"]["group"] = "Z"
    path = _write(tmp_path, data)
    with pytest.raises(TaxonomyError) as err:
        load_taxonomy(path)
    assert str(path) in str(err.value)
    assert "topics.execution.group" in str(err.value)


def test_missing_persian_terms_and_bad_threshold_are_reported(tmp_path):
    data = _raw()
    data["topics"]["death_sentence"]["terms"]["fa"] = []
    data["topics"]["execution"]["threshold"] = -1
    path = _write(tmp_path, data)
    with pytest.raises(TaxonomyError) as err:
        load_taxonomy(path)
    message = str(err.value)
    assert "topics.death_sentence.terms" in message and "fa" in message
    assert "topics.execution.threshold" in message


def test_unknown_key_bad_slug_and_missing_version_are_reported(tmp_path):
    data = _raw()
    data["topics"]["execution"]["synonyms"] = ["x"]
    data["topics"]["Bad-Slug"] = data["topics"]["execution"]
    del data["version"]
    path = _write(tmp_path, data)
    with pytest.raises(TaxonomyError) as err:
        load_taxonomy(path)
    message = str(err.value)
    assert "topics.execution.synonyms" in message
    assert "Bad-Slug" in message
    assert "field version" in message


def test_unreadable_or_invalid_yaml_is_a_taxonomy_error(tmp_path):
    with pytest.raises(TaxonomyError, match="not found"):
        load_taxonomy(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: [unclosed\n", encoding="utf-8")
    with pytest.raises(TaxonomyError, match="invalid YAML"):
        load_taxonomy(bad)


def test_duplicate_facet_value_is_reported(tmp_path):
    data = _raw()
    data["facets"]["prison"].append(dict(data["facets"]["prison"][0]))
    path = _write(tmp_path, data)
    with pytest.raises(TaxonomyError, match="facets.prison"):
        load_taxonomy(path)


def test_alternation_expands():
    assert expand_term("sentenced {him|her|} to death") == [
        "sentenced him to death",
        "sentenced her to death",
        "sentenced to death",
    ]


# --- English inflections and phrases ------------------------------------------------------


@pytest.mark.parametrize(
    "word,stem",
    [
        ("executed", "execut"),
        ("executes", "execut"),
        ("executing", "execut"),
        ("execute", "execut"),
        ("flogged", "flog"),
        ("flogging", "flog"),
        ("lashes", "lash"),
        ("denied", "deny"),
        ("prisons", "prison"),
        ("hanged", "hang"),
    ],
)
def test_stemmer(word, stem):
    assert stem_en(word) == stem


def _evidence(tagger, title, text, slug):
    result = tagger.tag(title, text)
    assert slug in result.topics, (slug, result.scores)
    return result.topics[slug].evidence


@pytest.mark.parametrize(
    "title",
    [
        "Iran executes three men in Karaj",
        "Prisoner was hanged at dawn in Karaj",
        "Authorities executed two prisoners in Karaj",
        "Executions carried out in Karaj",
    ],
)
def test_english_inflections_tag_execution(tagger, title):
    text = "The men were executed at dawn on Wednesday, according to rights groups."
    assert "execution" in tagger.tag(title, text).topics


def test_phrases_death_sentence_upheld(tagger):
    evidence = _evidence(
        tagger,
        "Death sentence upheld for protester",
        "The Supreme Court upheld the death sentence of a protester, who now faces execution.",
        "death_sentence",
    )
    snippets = {e["snippet"].lower() for e in evidence}
    assert "death sentence upheld" in snippets
    assert any("upheld the death sentence" in s for s in snippets)


def test_gapped_terms_join_within_a_sentence_only():
    lexicon = Lexicon()
    lexicon.add("sentenced ... to death", "ds")
    text = "The court sentenced the two brothers to death. It sentenced nobody. Then to death."
    hits = lexicon.find(text)
    assert [text[h.start : h.end] for h in hits] == ["sentenced the two brothers to death"]


# --- Persian variants ---------------------------------------------------------------------


@pytest.mark.parametrize("spelling", ["قزل‌حصار", "قزل حصار", "قزلحصار"])
def test_persian_zwnj_space_and_joined_spellings_match(tagger, spelling):
    text = f"حکم اعدام این زندانی صبح امروز در زندان {spelling} کرج اجرا شد."
    result = tagger.tag(f"اعدام یک زندانی در زندان {spelling}", text)
    assert "execution" in result.topics
    prisons = [f for f in result.facets if f.facet == "prison"]
    assert [f.value for f in prisons] == ["ghezel_hesar"]
    assert text[prisons[0].start : prisons[0].end] == f"زندان {spelling}"


def test_persian_arabic_letters_and_digits_are_normalised(tagger):
    # Arabic yeh/kaf and Arabic-Indic digits: «شعبه ١٥ دادگاه انقلاب», «كشتار ٦٧».
    text = "خانواده‌هاي قربانيان كشتار ٦٧ در خاوران گرد آمدند و از هيئت مرگ گفتند."
    result = tagger.tag("سالگرد كشتار ٦٧", text)
    assert "massacre_1988_1980s" in result.topics
    snippets = {e["snippet"] for e in result.topics["massacre_1988_1980s"].evidence}
    assert "كشتار ٦٧" in snippets


def test_persian_suffixes_attach_but_do_not_overmatch():
    lexicon = Lexicon()
    lexicon.add("اعدام", "x")
    lexicon.add("بلوچ", "y")
    text = "اعدام‌ها و اعدامها ادامه دارد؛ اعدامی نیست. بلوچستان و بلوچ‌ها."
    found = [(text[h.start : h.end], h.entry.payload) for h in lexicon.find(text)]
    assert ("اعدام", "x") in found  # «اعدام‌ها» is two tokens: the term is the first
    assert ("اعدامها", "x") in found
    assert ("اعدامی", "x") in found
    assert ("بلوچ", "y") in found
    assert all(snippet != "بلوچستان" for snippet, _ in found)


# --- offsets point into the original text --------------------------------------------------


def test_evidence_offsets_slice_the_original_text(tagger):
    title = "Iran: Kurdish   prisoner HANGED in Qezel-Hesar"
    text = (
        "Iran Human Rights; 3 Oct: A Kurdish political prisoner was hanged at\u00a0Qezelhesar "
        "Prison on Tuesday. He had been sentenced to death by the Revolutionary Court.\n\n"
        "به گزارش هرانا، حکم اعدام او در زندان قزل‌حصار اجرا شد."
    )
    result = tagger.tag(title, text)
    assert result.topics
    for topic in result.topics.values():
        for e in topic.evidence:
            source = title if e["field"] == "title" else text
            assert source[e["start"] : e["end"]] == e["snippet"]
            assert e["field"] in ("title", "lead", "body")
            assert e["term"]
    for facet in result.facets:
        assert text[facet.start : facet.end] == facet.matched


def test_fields_title_lead_body(tagger):
    lead = "A man was hanged in Karaj on Monday, rights groups said. "
    body = "Filler sentence about other matters. " * 20 + "Another man was executed in Shiraz."
    evidence = _evidence(tagger, "Two executions in one day", lead + body, "execution")
    fields = {e["field"] for e in evidence}
    assert fields == {"title", "lead", "body"}


# --- facets -------------------------------------------------------------------------------


def test_facets_prison_charge_court_agency(tagger):
    text = (
        "He was arrested by IRGC Intelligence agents, held in Ward 209 of Evin Prison, and "
        "sentenced by Branch 15 of the Revolutionary Court for moharebeh and propaganda "
        "against the state. The Supreme Court upheld it. وی در زندان رجایی‌شهر به اتهام "
        "«افساد فی‌الارض» و «اجتماع و تبانی علیه امنیت ملی» زندانی است؛ وزارت اطلاعات."
    )
    facets = {(f.facet, f.value) for f in tagger.find_facets(text)}
    assert {
        ("agency", "irgc_intelligence"),
        ("prison", "evin_ward_209"),
        ("court", "revolutionary_court"),
        ("court", "supreme_court"),
        ("charge", "moharebeh"),
        ("charge", "propaganda"),
        ("prison", "gohardasht"),
        ("charge", "efsad_fil_arz"),
        ("charge", "assembly_collusion"),
        ("agency", "mois"),
    } <= facets
    # longest match wins: "IRGC Intelligence" is not also counted as plain "IRGC"
    assert ("agency", "irgc") not in facets
    assert ("prison", "evin") not in facets


# --- hard negatives ------------------------------------------------------------------------


def test_passing_mention_of_executions_does_not_tag(tagger):
    text = (
        "Iran's currency fell to a record low on Sunday as fears of new sanctions weighed on "
        "the economy. Shopkeepers said sales had slowed. The crisis comes as the government "
        "faces criticism on several fronts, including the execution of more than 900 people "
        "last year. Economists expect inflation to rise further."
    )
    result = tagger.tag("Rial hits record low", text)
    assert "execution" not in result.topics
    assert "execution" in result.scores  # it was seen, just not enough to be the subject


def test_nested_phrases_belong_to_the_longer_topic(tagger):
    text = (
        "Interrogators subjected him to a mock execution and beat him. He then went on hunger "
        "strike in solitary confinement, in protest at the torture."
    )
    result = tagger.tag("Former detainee describes mock execution", text)
    assert "execution" not in result.scores
    assert "torture_ill_treatment" in result.topics
    assert "protest_crackdown" not in result.scores


# --- the labelled set and its metrics --------------------------------------------------------


def test_labelled_set_size_languages_and_lengths():
    articles = load_labelled(LABELLED, None)  # every file but the blind sample's, probe included
    assert len(articles) >= 100
    assert {a.lang for a in articles} == {"en", "fa"}
    assert sum(1 for a in articles if not a.topics) >= 4  # pure hard negatives
    assert (
        {"dev", "test", "blind"}
        <= {a.split for a in articles}
        <= {"dev", "test", "blind", "train", "holdout", "final", "audit", "probe", "extra"}
    )
    for a in articles:
        # Training items each show one error class of issue 14 (train) or describe one act in
        # other words (the tuner's extra split), so they may be shorter.
        shortest = 40 if a.split in ("train", "extra") else 120
        assert shortest <= len(a.text.split()) <= 400, (a.id, len(a.text.split()))
    taxonomy = load_taxonomy(TOPICS_FILE)
    for a in articles:
        assert a.topics <= set(taxonomy.topics), a.id
    for split in (None, "all", "blind"):
        covered = {t for a in load_labelled(LABELLED, split) for t in a.topics}
        assert covered == set(taxonomy.topics), split


def test_blind_split_is_separate_from_all():
    every = load_labelled(LABELLED, None)
    development = load_labelled(LABELLED)  # "all": dev + test, the goal's set
    blind = load_labelled(LABELLED, "blind")
    assert {a.split for a in development} == {"dev", "test"}
    assert {a.split for a in blind} == {"blind"}
    assert {a.id for a in development}.isdisjoint(a.id for a in blind)
    rest = [a for a in every if a.split not in {"dev", "test", "blind"}]
    later = ("holdout", "final", "audit", "probe", "extra")  # splits written after "tuning"
    assert {a.split for a in rest} <= {"train", *later}
    assert len(development) + len(blind) + len(rest) == len(every)
    tuning = load_labelled(LABELLED, "tuning")
    # Never the later splits, whatever is present.
    assert not set(later) & {a.split for a in tuning}
    untouched = sum(len(load_labelled(LABELLED, s)) for s in later)
    assert len(tuning) == len(every) - untouched
    assert [a.lang for a in blind].count("en") == [a.lang for a in blind].count("fa") == 20
    assert sum(1 for a in blind if not a.topics) >= 6


def test_an_id_in_two_splits_is_refused(tmp_path):
    item = {"id": "en-x01", "lang": "en", "topics": [], "title": "t", "text": "x"}
    for name in ("dev_en.yaml", "blind_en.yaml"):
        (tmp_path / name).write_text(yaml.safe_dump([item]), encoding="utf-8")
    with pytest.raises(ValueError, match="en-x01"):
        load_labelled(tmp_path, "blind")


@pytest.mark.parametrize("split", ["dev", "test", "all"])
def test_bench_metrics_meet_the_goal(tagger, split):
    articles = load_labelled(LABELLED, split)
    report = evaluate(lambda a: tagger.tag(a.title, a.text).topics, articles, tagger.taxonomy.topics)
    assert report.micro_f1 >= 0.85
    topic, recall = report.min_recall()
    if split == "all":
        assert recall >= 0.6, topic


def test_blind_split_is_measured_not_targeted(tagger, record_property):
    """No threshold here: the blind split is an honest measurement (figures in its README).

    What is checked is that the measurement counts every gold and predicted label once.
    """
    blind = load_labelled(LABELLED, "blind")
    predicted = {a.id: set(tagger.tag(a.title, a.text).topics) for a in blind}
    report = evaluate(lambda a: predicted[a.id], blind, tagger.taxonomy.topics)
    assert report.n_articles == len(blind) == 40
    assert sum(m.support for m in report.per_topic.values()) == sum(len(a.topics) for a in blind)
    assert sum(m.tp + m.fp for m in report.per_topic.values()) == sum(len(p) for p in predicted.values())
    assert {aid for aid, _, _ in report.errors} == {a.id for a in blind if predicted[a.id] != a.topics}
    topic, recall = report.min_recall()
    summary = (
        f"blind: micro P {report.micro_precision:.3f} R {report.micro_recall:.3f}"
        f" F1 {report.micro_f1:.3f} | macro F1 {report.macro_f1:.3f}"
        f" | lowest recall {topic} {recall:.2f}"
    )
    record_property("blind_micro_f1", round(report.micro_f1, 3))
    record_property("blind_macro_f1", round(report.macro_f1, 3))
    record_property("blind_lowest_recall", f"{topic} {recall:.2f}")
    print(summary)
