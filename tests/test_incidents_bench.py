"""The incident benchmark: the blind `sample` split is run only when asked for (never by
`all`), says that it is a run-once split, and fails clearly when its files are missing; the
spent `audit` and `probe` splits are tuning data (no run-once notice); the monthly counts are per kind and never count a recollection, a total or a
commuted sentence."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.incidents.evaluate import evaluate

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench" / "incidents.py"
TOPICS = str(ROOT / "config" / "topics.yaml")


def _bench(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(BENCH), *args], capture_output=True, text=True, timeout=300, cwd=ROOT
    )


@pytest.mark.parametrize("split, lang", [("sample", "en"), ("sample", "fa")])
def test_a_blind_split_is_run_only_when_named_and_says_it_is_run_once(tmp_path, split, lang):
    src = ROOT / "tests" / "data" / "incidents"
    for code in ("en", "fa"):  # a stand-in for the blind files: the dev items under its name
        shutil.copy(src / f"dev_{code}.yaml", tmp_path / f"dev_{code}.yaml")
        shutil.copy(src / f"dev_{code}.yaml", tmp_path / f"{split}_{code}.yaml")
    every = _bench("--split", "all", "--lang", lang, "--data", str(tmp_path))
    assert every.returncode == 0, every.stderr
    assert f"== dev ({lang})" in every.stdout and split not in every.stdout
    blind = _bench("--split", split, "--lang", lang, "--data", str(tmp_path))
    assert blind.returncode == 0, blind.stderr
    assert blind.stdout.startswith(f"{split}: the blind split, run once")
    assert f"== {split} ({lang}): 46 articles" in blind.stdout


@pytest.mark.parametrize("split, lang", [("audit", "fa"), ("probe", "en")])
def test_a_spent_split_runs_as_tuning_data_without_the_run_once_notice(tmp_path, split, lang):
    src = ROOT / "tests" / "data" / "incidents"
    for code in ("en", "fa"):
        shutil.copy(src / f"dev_{code}.yaml", tmp_path / f"{split}_{code}.yaml")
    spent = _bench("--split", split, "--lang", lang, "--data", str(tmp_path))
    assert spent.returncode == 0, spent.stderr
    assert spent.stdout.startswith(f"== {split} ({lang}): 46 articles")
    assert "run once" not in spent.stdout


def test_a_missing_sample_split_is_a_clear_error(tmp_path):
    missing = _bench("--split", "sample", "--data", str(tmp_path))
    assert missing.returncode == 2
    assert "split 'sample': missing" in missing.stderr and "blind writer" in missing.stderr
    assert missing.stdout == ""


@pytest.mark.parametrize("split", ["audit", "probe"])
def test_a_missing_spent_split_is_a_clear_error(tmp_path, split):
    missing = _bench("--split", split, "--data", str(tmp_path))
    assert missing.returncode == 2
    assert f"split {split!r}: missing" in missing.stderr and "spent blind split" in missing.stderr
    assert missing.stdout == ""


def _item(i: str, published: str, text: str, mentions: list[dict]) -> dict:
    return {
        "id": i,
        "lang": "en",
        "outlet": "monitor.example",
        "outlet_type": "rights_group",
        "published": published,
        "title": "",
        "text": text,
        "mentions": mentions,
    }


def _execution(incident: str, name: str, day: str, background: bool = False) -> dict:
    victim = {"name": name, "person": None, "count": 1, "age": None, "age_at_offence": None}
    victim |= {"gender": None, "ethnicity": None, "nationality": None, "religion": None}
    return {
        "incident": incident,
        "kind": "execution",
        "stage": "carried_out",
        "background": background,
        "victims": [victim],
        "charge": "unknown",
        "prison": None,
        "city": None,
        "province": None,
        "event_date": day,
        "event_date_precision": "day" if len(day) == 10 else "month",
        "source_type": "rights_group",
    }


def test_monthly_counts_are_per_kind_and_never_count_recollections_totals_or_commutations():
    items = [
        _item(
            "x1",
            "2026-08-14",
            "Behzad Taheri was hanged in Rasht Central Prison on Thursday, 13 August, the group said.",
            [_execution("A1", "Behzad Taheri", "2026-08-13")],
        ),
        _item(
            "x2",
            "2026-08-20",
            "Today marks the sixth anniversary of the execution of Farzad Nouri, who was hanged in"
            " Rasht on 20 August 2020.",
            [_execution("A2", "Farzad Nouri", "2020-08-20", background=True)],
        ),
        _item(
            "x3",
            "2026-08-21",
            "At least 97 prisoners were executed in Iran in July, the group said in its monthly report.",
            [],
        ),
        _item(
            "x4",
            "2026-08-22",
            "The death sentence of Nima Sadri was commuted to prison by the Supreme Court on Monday.",
            [],
        ),
    ]
    scores = evaluate(items, topics_file=TOPICS)
    assert set(scores.monthly) == {"execution"}
    assert (scores.monthly["execution"]["gold"], scores.monthly["execution"]["predicted"]) == (1, 1)
    assert scores.monthly["execution"]["relative_error"] == 0.0
    # a misdated incident is an error in both months
    items[0]["mentions"][0]["event_date"] = "2026-07-13"
    moved = evaluate(items, topics_file=TOPICS).monthly["execution"]
    assert (moved["abs_error"], moved["relative_error"], moved["months"]) == (2, 2.0, 2)
