"""The incident labelled set is well-formed and covers what issue #17 asks of it."""

from __future__ import annotations

import importlib.util
import shutil
from collections import defaultdict
from pathlib import Path

import yaml

DATA = Path(__file__).parent / "data" / "incidents"
_spec = importlib.util.spec_from_file_location("incidents_validate", DATA / "validate.py")
assert _spec and _spec.loader
validate_mod = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(validate_mod)


def _load(folder: Path = DATA) -> dict[str, list[dict]]:
    return {name: yaml.safe_load((folder / name).read_text(encoding="utf-8")) for name in validate_mod.FILES}


def test_set_is_valid() -> None:
    assert validate_mod.validate() == []


def test_validator_reports_broken_items(tmp_path: Path) -> None:
    for name in validate_mod.FILES:
        shutil.copy(DATA / name, tmp_path / name)
    files = _load(tmp_path)
    items = files["dev_en.yaml"]
    first = next(a for a in items if a["mentions"])
    mention = first["mentions"][0]
    mention["prison"] = "alcatraz"
    mention["event_date_precision"] = "year"
    items.append(dict(items[1]))  # duplicate id
    other = next(a for a in files["test_fa.yaml"] if a["mentions"])
    other["mentions"][0] = dict(other["mentions"][0], incident=mention["incident"], kind="flogging")
    for name, content in files.items():
        (tmp_path / name).write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")
    errors = "\n".join(validate_mod.validate(tmp_path))
    assert "alcatraz" in errors
    assert "does not match precision" in errors
    assert "duplicate article id" in errors
    assert f"incident {mention['incident']} has several kinds" in errors


def test_size_and_split() -> None:
    files = _load()
    n = {name: len(items) for name, items in files.items()}
    total = sum(n.values())
    persian = n["dev_fa.yaml"] + n["test_fa.yaml"]
    test = n["test_en.yaml"] + n["test_fa.yaml"]
    assert total >= 150
    assert persian * 2 >= total
    assert 0.35 <= test / total <= 0.45


def test_coverage_of_the_issue_asks() -> None:
    """Cross-lingual and cross-split incidents, copies, background, sentence-then-execution."""
    langs: dict[str, set[str]] = defaultdict(set)
    splits: dict[str, set[str]] = defaultdict(set)
    kinds_by_person: dict[str, set[str]] = defaultdict(set)
    stories: dict[str, int] = defaultdict(int)
    background = negatives = unnamed_groups = 0
    for name, items in _load().items():
        split = name.split("_")[0]
        for art in items:
            if art.get("story"):
                stories[art["story"]] += 1
            negatives += not art["mentions"]
            for m in art["mentions"]:
                langs[m["incident"]].add(art["lang"])
                splits[m["incident"]].add(split)
                background += m["background"]
                unnamed_groups += any(v["name"] is None and v["count"] > 1 for v in m["victims"])
                for v in m["victims"]:
                    if v["person"]:
                        kinds_by_person[v["person"]].add(m["kind"])
    assert sum(1 for s in langs.values() if s == {"en", "fa"}) >= 5
    assert sum(1 for s in splits.values() if s == {"dev", "test"}) >= 5
    assert sum(1 for c in stories.values() if c >= 2) >= 3
    assert sum(1 for k in kinds_by_person.values() if {"death_sentence", "execution"} <= k) >= 2
    assert background >= 3 and negatives >= 10 and unnamed_groups >= 5
