"""The crawl process imports the extraction's light types without the extraction stack.

Each check runs in a fresh interpreter: this test process has long imported trafilatura.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The crawl process's modules: the spiders, their item pipelines, the extraction pool.
CRAWL_MODULES = (
    "spiders.run",
    "spiders.outlet_spider",
    "spiders.pipelines",
    "spiders.extraction_pool",
    "spiders.revisit_run",
    "spiders.revisit_spider",
    "spiders.revisit_pipeline",
)


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint(' '.join(sorted(sys.modules)))"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return set(out.split())


def test_crawl_path_does_not_import_trafilatura():
    loaded = _modules_after("\n".join(f"import {m}" for m in CRAWL_MODULES))
    assert set(CRAWL_MODULES) <= loaded
    assert "pipeline.extraction" in loaded
    assert not {m for m in loaded if m.split(".")[0] in ("trafilatura", "htmldate", "justext")}
    assert "pipeline.extraction.core" not in loaded


def test_public_imports_still_work_and_load_the_stack_when_asked():
    loaded = _modules_after(
        "from pipeline.extraction import EXTRACTOR_ID, ExtractedArticle, ExtractionHints, NotAnArticle\n"
        "from pipeline.extraction import extract_article\n"
        "from pipeline.extraction.core import NotAnArticle as N2, extract_article as e2\n"
        "import trafilatura\n"
        "assert N2 is NotAnArticle and e2 is extract_article\n"
        "assert EXTRACTOR_ID.endswith(' trafilatura/' + trafilatura.__version__), EXTRACTOR_ID\n"
        "a = extract_article('<html><body><article><p>' + 'word ' * 80 + '</p></article></body></html>',"
        " ExtractionHints(url='https://example.org/2024/05/01/story'))\n"
        "assert isinstance(a, ExtractedArticle) and a.extractor == EXTRACTOR_ID\n"
        "try:\n"
        "    extract_article('', ExtractionHints(url='https://example.org/'))\n"
        "except NotAnArticle as exc:\n"
        "    assert exc.reason == 'empty'\n"
        "else:\n"
        "    raise AssertionError('empty page accepted')"
    )
    assert "trafilatura" in loaded and "pipeline.extraction.core" in loaded


def test_worker_frames_match_between_pool_and_worker():
    loaded = _modules_after(
        "from spiders.extraction_pool import HEADER as a\n"
        "from spiders.extraction_worker import HEADER as b\n"
        "assert a is b and a.size == 8"
    )
    assert "spiders.worker_frames" in loaded
