"""bench/tagging.py: lexicon vs combined per topic and language, CPU, and the blind sample split."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def _bench():
    spec = importlib.util.spec_from_file_location("bench_tagging", ROOT / "bench" / "tagging.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


ITEMS = [
    {
        "id": "en-h01",
        "lang": "en",
        "topics": ["corporal_punishment"],
        "title": "Man flogged in public",
        "text": "A man was flogged 80 times in a square after being sentenced to 80 lashes.",
    },
    {
        "id": "fa-h01",
        "lang": "fa",
        "topics": ["execution"],
        "title": "اعدام یک زندانی",
        "text": "این زندانی سحرگاه امروز در زندان مرکزی به دار آویخته شد.",
    },
]


def test_bench_runs_the_sample_split_only_by_name_with_the_shipped_model(tmp_path, capsys):
    for lang in ("en", "fa"):
        items = [i for i in ITEMS if i["lang"] == lang]
        (tmp_path / f"sample_{lang}.yaml").write_text(yaml.safe_dump(items, allow_unicode=True), "utf-8")
    bench = _bench()
    assert bench.main(["--data", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "SAMPLE" not in out and "every split pooled" not in out  # "each" never reads it
    assert bench.main(["--data", str(tmp_path), "--split", "sample"]) == 0
    out = capsys.readouterr().out
    assert "run once with the shipped model" in out
    assert "SAMPLE" in out and "2 articles (en 1, fa 1)" in out
    assert "lexicon lexicon/2" in out and "lexicon+sentences lexicon/2+e5-sentences/2" in out
    assert "combined lexicon/2+e5-sentences/2+linear/4#" in out and "grouped CV" not in out
    assert "  en (1)" in out and "  fa (1)" in out and "ms CPU/article" in out
    assert "skipped by the gate on" in out
    assert "corporal_punishment" in out and "execution" in out  # the per-topic table


def test_bench_leaves_the_sample_split_out_of_each_and_pooled(tmp_path, capsys):
    for split in ("dev", "final", "audit", "probe", "extra", "sample"):
        items = [{**i, "id": f"{i['id']}-{split}"} for i in ITEMS]
        (tmp_path / f"{split}_en.yaml").write_text(yaml.safe_dump(items, allow_unicode=True), "utf-8")
    assert _bench().main(["--data", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    # The spent audit and probe splits and the tuner's extra split are training data: in
    # "each" and pooled, scored by grouped CV; the blind sample split is in neither.
    assert "on dev:" in out and "on final" in out and "on audit" in out and "on probe" in out
    assert "on extra" in out and "SAMPLE" not in out
    assert "every split pooled" in out and "10 articles" in out.split("every split pooled")[1].split("\n")[0]


@pytest.mark.parametrize("split", ["audit", "probe"])
def test_bench_scores_the_spent_blind_splits_by_grouped_cv(tmp_path, capsys, split):
    for name in ("dev", split):
        items = [{**i, "id": f"{i['id']}-{name}"} for i in ITEMS]
        (tmp_path / f"{name}_en.yaml").write_text(yaml.safe_dump(items, allow_unicode=True), "utf-8")
    assert _bench().main(["--data", str(tmp_path), "--split", split]) == 0
    out = capsys.readouterr().out
    assert f"on {split}" in out and "(grouped CV)" in out and "run once" not in out


def test_bench_says_when_the_sample_split_is_absent(tmp_path, capsys):
    assert _bench().main(["--data", str(tmp_path), "--split", "sample"]) == 2
    err = capsys.readouterr().err
    assert "sample split is not there yet" in err and "run once" in err


def test_bench_scores_the_linear_layer_by_grouped_cv_on_each_split(tmp_path, capsys):
    for split in ("dev", "holdout"):
        items = [{**i, "id": f"{i['id']}-{split}"} for i in ITEMS]
        (tmp_path / f"{split}_en.yaml").write_text(yaml.safe_dump(items, allow_unicode=True), "utf-8")
    assert _bench().main(["--data", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "on dev:" in out and "on holdout" in out and "every split pooled" in out
    assert out.count("(grouped CV)") >= 3 and "training fit of the shipped weights" in out


def test_bench_says_when_a_named_split_is_empty(tmp_path, capsys):
    assert _bench().main(["--data", str(tmp_path), "--split", "holdout", "--no-model"]) == 2
    assert "no articles in split 'holdout'" in capsys.readouterr().err
