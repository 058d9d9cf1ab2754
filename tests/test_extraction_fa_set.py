"""The Persian extraction set (tests/data/extraction-fa): body F1, title, date and authors.

The set was written for dadkhah (see its generate.py); rules were tuned on all of it, so its
figures are a floor that guards against regressions, not a measure of generalisation.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import extraction as bench

DATA = Path(__file__).parent / "data" / "extraction-fa"
F1_FLOOR = 0.97
META_FLOOR = 0.95


@pytest.fixture(scope="module")
def scored() -> tuple[list[bench.Page], dict[str, bench.Output]]:
    pages = bench.load_persian(DATA)
    outputs, _ = bench.run_extractor("dadkhah-extract", pages)
    return pages, outputs


def test_the_set_has_forty_pages_with_gold() -> None:
    gold = json.loads((DATA / "gold.json").read_text(encoding="utf-8"))
    assert len(gold) >= 40
    templates = {name.split("-", 1)[1] for name in gold}
    assert len(templates) >= 5
    for name, item in gold.items():
        assert (DATA / name).is_file()
        assert item["text"] and item["title"] and item["date"] and item["authors"]
        assert "\u200c" in item["text"]  # ZWNJ-heavy prose


def test_body_f1_is_above_the_floor(scored) -> None:
    pages, outputs = scored
    assert bench.report_shingles(pages, outputs)["f1"] >= F1_FLOOR


def test_title_date_and_authors_are_above_the_floor(scored) -> None:
    pages, outputs = scored
    n = len(pages)
    assert sum(outputs[p.name].title == p.title for p in pages) / n >= META_FLOOR
    assert bench.date_accuracy(pages, outputs) >= META_FLOOR
    assert sum(outputs[p.name].authors == p.authors for p in pages) / n >= META_FLOOR


def test_the_pages_are_what_generate_writes(tmp_path: Path) -> None:
    """The committed pages and gold come from generate.py and articles.py, unedited."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("fa_generate", DATA / "generate.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    gold = module.build(tmp_path)
    assert gold == json.loads((DATA / "gold.json").read_text(encoding="utf-8"))
    for name in gold:
        assert (tmp_path / name).read_text(encoding="utf-8") == (DATA / name).read_text(encoding="utf-8")
