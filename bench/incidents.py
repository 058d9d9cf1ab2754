"""Incident register benchmark on the labelled set (no database needed).

    python bench/incidents.py                 # the dev split (tuning)
    python bench/incidents.py --split test    # the first test split (spent: tuned on since)
    python bench/incidents.py --split holdout # the untouched split: run once, for the README
    python bench/incidents.py --split all     # every split present, in one run
    python bench/incidents.py -v              # list every error

Prints (victim, kind, event date) precision/recall/F1, field-level precision/recall
(precision/recall after each field name), incident pairwise precision/recall, the monthly
people counts by kind against gold (each incident's date and people as the register row
computes them), and CPU per article: the incident step (mention extraction + resolution)
against the pipeline's own extraction of the same articles rendered as HTML pages (goal:
the incident step costs at most what extraction does). Goals on the untouched split: F1 >=
0.90, pairs precision >= 0.97 and recall >= 0.90, monthly counts within 5 %. The exit
status is 0 when the figures were computed (goals are reported, not enforced), 2 when a
split's files are missing.
"""

from __future__ import annotations

import argparse
import html
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.incidents.evaluate import evaluate, format_scores, load_items  # noqa: E402

DATA = ROOT / "tests" / "data" / "incidents"
SPLITS = ("dev", "test", "holdout")


def _page(item: dict) -> str:
    """The article as a plain news page (title, date, paragraphs), for the extraction CPU."""
    paras = "".join(f"<p>{html.escape(p.strip())}</p>" for p in str(item["text"]).split("\n") if p.strip())
    title = html.escape(str(item.get("title") or ""))
    return (
        f'<!doctype html><html lang="{item["lang"]}"><head><meta charset="utf-8"><title>{title}</title>'
        f'<meta property="article:published_time" content="{item["published"]}T08:00:00Z">'
        f'<meta property="og:type" content="article"></head><body><header><nav><a href="/">Home</a></nav>'
        f"</header><article><h1>{title}</h1><time>{item['published']}</time>{paras}</article>"
        "<footer>About us</footer></body></html>"
    )


def extraction_cpu_ms(items: list[dict]) -> float:
    """The pipeline's extraction (pipeline.extraction.extract_article) per article, ms CPU."""
    from pipeline.extraction import ExtractionHints, NotAnArticle, extract_article

    pages = [(_page(it), f"https://{it['outlet']}/news/{it['id']}") for it in items]
    if pages:  # imports and first-call set-up outside the timing, as for the incident step
        extract_article(*pages[0][:1], ExtractionHints(url=pages[0][1]))
    started = time.process_time()
    for page, url in pages:
        try:
            extract_article(page, ExtractionHints(url=url))
        except NotAnArticle:
            pass
    return 1000 * (time.process_time() - started) / max(1, len(pages))


def run(split: str, langs: list[str], args: argparse.Namespace) -> int:
    paths = [DATA / f"{split}_{lang}.yaml" for lang in langs]
    missing = [p for p in paths if not p.exists()]
    if missing:
        print(f"error: missing {', '.join(map(str, missing))}", file=sys.stderr)
        return 2
    items = load_items(paths)
    scores = evaluate(items, topics_file=str(ROOT / "config" / "topics.yaml"), verbose=args.verbose)
    extraction = extraction_cpu_ms(items)
    incident = scores.cpu_ms_per_article + scores.resolve_cpu_ms_per_article
    if args.json:
        print(
            json.dumps(
                {**scores.__dict__, "extraction_cpu_ms_per_article": extraction}, indent=1, default=str
            )
        )
    else:
        print(format_scores(f"{split} ({'+'.join(langs)})", len(items), scores))
        verdict = "within" if incident <= extraction else "OVER"
        print(
            f"CPU incident step {incident:.2f} ms vs extraction {extraction:.2f} ms per article"
            f" ({verdict} the goal)"
        )
        for e in scores.errors:
            print("  ", e)
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=[*SPLITS, "all"], default="dev")
    ap.add_argument("--lang", choices=["en", "fa", "both"], default="both")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    langs = ["en", "fa"] if args.lang == "both" else [args.lang]
    if args.split != "all":
        return run(args.split, langs, args)
    present = [s for s in SPLITS if all((DATA / f"{s}_{lang}.yaml").exists() for lang in langs)]
    return max(run(s, langs, args) for s in present) if present else 2


if __name__ == "__main__":
    raise SystemExit(main())
