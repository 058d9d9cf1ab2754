"""The extraction benchmark's metric and its clean skip when the data is absent."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from bench import extraction as bench


def test_shingles_follow_the_benchmark_definition() -> None:
    assert bench.shingles("") == {}
    assert bench.shingles("one two") == {("one", "two"): 1}
    assert sum(bench.shingles("a b c d e f").values()) == 3


def test_perfect_and_empty_outputs() -> None:
    truth = "The court upheld the sentence of the protester on Saturday."
    assert bench.page_scores(truth, truth) == (1.0, 1.0)
    assert bench.page_scores(truth, "") == (None, 0.0)
    scores = bench.score({"a": (truth, truth), "b": (truth, "")})
    assert scores["precision"] == 1.0  # pages without output shingles are left out of precision
    assert scores["recall"] == 0.5
    assert scores["f1"] == pytest.approx(2 / 3)


def test_extra_text_lowers_precision_only() -> None:
    truth = "w1 w2 w3 w4 w5 w6 w7 w8"
    p, r = bench.page_scores(truth, truth + " x1 x2 x3 x4 x5")
    assert r == 1.0 and 0 < p < 1


def test_missing_data_dir_skips_cleanly(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    args = ["--suite", "article-extraction", "--article-extraction", str(tmp_path / "absent")]
    assert bench.main(args) == 0
    assert "article-extraction: not available" in capsys.readouterr().out


def test_runs_on_a_tiny_data_dir(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    page = (Path(__file__).parent / "data" / "extraction" / "en_jsonld.html").read_bytes()
    (tmp_path / "html").mkdir()
    (tmp_path / "html" / "p1.html.gz").write_bytes(gzip.compress(page))
    truth = "The Supreme Court has upheld the death sentence of a young protester arrested in Isfahan"
    (tmp_path / "ground-truth.json").write_text(
        json.dumps({"p1": {"articleBody": truth, "url": "https://rights.example.org/a"}})
    )
    args = [
        "--suite",
        "article-extraction",
        "--article-extraction",
        str(tmp_path),
        "--only",
        "dadkhah-extract",
    ]
    assert bench.main(args) == 0
    out = capsys.readouterr().out
    assert "1 pages" in out and "dadkhah-extract" in out


def test_trafilatura_snippet_metric() -> None:
    counts = bench.snippet_counts(
        ["the court", "upheld  it"], ["Impressum"], "The  court... the court upheld it"
    )
    assert counts == (2, 0, 0, 1)
    assert bench.snippet_counts(["a"], ["b"], "") == (0, 0, 1, 1)
    scores = bench.snippet_score([(2, 0, 0, 1), (0, 1, 2, 0)])
    assert scores["precision"] == pytest.approx(2 / 3) and scores["recall"] == 0.5
    assert scores["accuracy"] == pytest.approx(3 / 6)


def test_date_accuracy_counts_both_none_as_right() -> None:
    pages = [bench.Page("a", "", "", date="2019-03-05"), bench.Page("b", "", "", date=None)]
    outputs = {"a": bench.Output(date="2019-03-05"), "b": bench.Output()}
    assert bench.date_accuracy(pages, outputs) == 1.0
    outputs["a"] = bench.Output(date="2019-03-06")
    assert bench.date_accuracy(pages, outputs) == 0.5


def test_splits_are_stable_and_both_used() -> None:
    names = [f"page-{i}" for i in range(200)]
    splits = [bench.split_of(n) for n in names]
    assert splits == [bench.split_of(n) for n in names]
    assert 60 < splits.count("tune") < 140


def test_a_missing_git_suite_is_reported_not_available(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert bench.main(["--suite", "htmldate-eval", "--htmldate-repo", str(tmp_path / "none")]) == 0
    assert "htmldate-eval: not available" in capsys.readouterr().out
