"""Article-extraction benchmark: body-text precision/recall/F1 of several extractors.

Scores on the open half of the Zyte/Scrapinghub article-extraction benchmark kept in
``shared/benchmarks/article-extraction`` (``html/<id>.html.gz`` + ``ground-truth.json``),
with the benchmark's own metric (see its README): multisets of 4-token shingles of ``\\w+``
tokens, per-page tp/fp/fn normalised, precision/recall averaged over pages, F1 of the means.

    python bench/extraction.py [DATA_DIR] [--only NAME [--only NAME ...]] [--per-page]

DATA_DIR defaults to $DADKHAH_EXTRACTION_BENCH, else ../shared/benchmarks/article-extraction
next to the repository (or /work/shared/...). Exits 0 with a message when it is absent.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

_TOKEN_RE = re.compile(r"\w+")
DEFAULT_DIRS = (
    ROOT.parent / "shared" / "benchmarks" / "article-extraction",
    Path("/work/shared/benchmarks/article-extraction"),
)


def shingles(text: str, n: int = 4) -> Counter:
    tokens = _TOKEN_RE.findall(text or "")
    if not tokens:
        return Counter()
    if len(tokens) < n:
        return Counter([tuple(tokens)])
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def page_scores(truth: str, output: str) -> tuple[float | None, float | None]:
    """(precision, recall) of one page; None where the metric leaves the page out."""
    t, o = shingles(truth), shingles(output)
    tp = sum((t & o).values())
    fp = sum(o.values()) - tp
    fn = sum(t.values()) - tp
    total = tp + fp + fn
    if total == 0:
        return (None, None)
    tp, fp, fn = tp / total, fp / total, fn / total
    precision = (tp / (tp + fp) if tp + fp else 1.0) if o else None
    recall = (tp / (tp + fn) if tp + fn else 1.0) if t else None
    return precision, recall


def score(pages: dict[str, tuple[str, str]]) -> dict[str, float]:
    """pages: id -> (truth, output). Corpus precision, recall and F1."""
    ps, rs = [], []
    for truth, output in pages.values():
        p, r = page_scores(truth, output)
        if p is not None:
            ps.append(p)
        if r is not None:
            rs.append(r)
    precision = sum(ps) / len(ps) if ps else 0.0
    recall = sum(rs) / len(rs) if rs else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def _trafilatura(**options: object) -> Callable[[str, str], str]:
    import trafilatura

    def run(html: str, url: str) -> str:
        return trafilatura.extract(html, url=url, **options) or ""

    return run


def _trafilatura_with_metadata(html: str, url: str) -> str:
    """What a user of trafilatura alone would run to get text and metadata (the cost baseline)."""
    import trafilatura

    doc = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False)
    return (doc.text if doc is not None else "") or ""


def _ours(html: str, url: str) -> str:
    from pipeline.extraction import ExtractionHints, NotAnArticle, extract_article

    try:
        return extract_article(html, ExtractionHints(url=url)).text
    except NotAnArticle:
        return ""


EXTRACTORS: dict[str, Callable[[str, str], str]] = {
    "trafilatura-defaults": _trafilatura(),
    "trafilatura-no-comments": _trafilatura(include_comments=False),
    "trafilatura-precision-no-comments": _trafilatura(favor_precision=True, include_comments=False),
    "trafilatura-metadata-no-comments": _trafilatura_with_metadata,
    "dadkhah-extract": _ours,
}


def find_data_dir(arg: str | None) -> Path | None:
    """The argument, else $DADKHAH_EXTRACTION_BENCH, else the default places; None if absent."""
    chosen = arg or os.environ.get("DADKHAH_EXTRACTION_BENCH")
    candidates = [Path(chosen)] if chosen else list(DEFAULT_DIRS)
    for candidate in candidates:
        if (candidate / "ground-truth.json").is_file():
            return candidate
    return None


def load_pages(data_dir: Path) -> dict[str, tuple[str, str, str]]:
    """id -> (html, url, truth)."""
    truth = json.loads((data_dir / "ground-truth.json").read_text(encoding="utf-8"))
    pages = {}
    for pid, item in sorted(truth.items()):
        path = data_dir / "html" / f"{pid}.html.gz"
        if path.is_file():
            html = gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace")
            pages[pid] = (html, item.get("url") or "", item.get("articleBody") or "")
    return pages


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("data_dir", nargs="?", help="benchmark folder (ground-truth.json, html/)")
    ap.add_argument("--only", action="append", choices=sorted(EXTRACTORS), help="run only these")
    ap.add_argument("--per-page", action="store_true", help="print per-page P/R of each extractor")
    args = ap.parse_args(argv)
    data_dir = find_data_dir(args.data_dir)
    if data_dir is None:
        print(
            "extraction benchmark: data not found (pass DATA_DIR or set DADKHAH_EXTRACTION_BENCH); skipping"
        )
        return 0
    pages = load_pages(data_dir)
    print(f"extraction benchmark: {len(pages)} pages from {data_dir}")
    print(f"{'extractor':38} {'precision':>9} {'recall':>9} {'F1':>7} {'cpu s/page':>10}")
    for name in args.only or list(EXTRACTORS):
        run = EXTRACTORS[name]
        started = time.process_time()
        outputs = {pid: (truth, run(html, url)) for pid, (html, url, truth) in pages.items()}
        per_page = (time.process_time() - started) / max(len(pages), 1)
        s = score(outputs)
        print(f"{name:38} {s['precision']:9.4f} {s['recall']:9.4f} {s['f1']:7.4f} {per_page:10.4f}")
        if args.per_page:
            for pid, (truth, output) in outputs.items():
                p, r = page_scores(truth, output)
                print(f"  {pid[:12]} P={p if p is None else round(p, 3)} R={r if r is None else round(r, 3)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
