"""Incident register benchmark on the labelled set (no database needed).

    python bench/incidents.py                 # the dev split (tuning)
    python bench/incidents.py --split test    # the first test split (spent: tuned on since)
    python bench/incidents.py --split holdout # the second blind split (spent: tuned on since)
    python bench/incidents.py --split audit   # the third blind split (spent: run once on
                                              # rules 3, tuned on since)
    python bench/incidents.py --split probe   # the fourth blind split (spent: run once on
                                              # rules 4, tuned on since)
    python bench/incidents.py --split sample  # the fifth blind split: run ONCE, by the
                                              # integrator, after the extractor's last
                                              # tuning commit
    python bench/incidents.py --split all     # dev, test and holdout in one run (never audit,
                                              # probe or sample)
    python bench/incidents.py -v              # list every error

Prints (victim, kind, event date) precision/recall/F1, field-level precision/recall
(precision/recall after each field name), incident pairwise precision/recall, the monthly
people counts by kind against gold (each incident's date and people as the register row
computes them), and CPU per article: the incident step (mention extraction + resolution)
against the pipeline's own extraction of the same articles rendered as HTML pages (goal:
the incident step costs at most what extraction does). Goals on the untouched split: F1 >=
0.90, pairs precision >= 0.97 and recall >= 0.90, monthly counts within 5 % (per kind;
incidents known only from background mentions are not counted). The exit status is 0 when
the figures were computed (goals are reported, not enforced), 2 when a split's files are
missing.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.incidents.evaluate import evaluate, format_scores, load_items  # noqa: E402

DATA = ROOT / "tests" / "data" / "incidents"
SPLITS = ("dev", "test", "holdout")  # what `all` runs
SPENT = ("audit", "probe")  # blind once (audit on rules 3, probe on rules 4), tuned on since
BLIND = ("sample",)  # run once, never by `all`: a tuner never runs it
NOTICES = {
    split: (
        f"{split}: the blind split, run once after the extractor's last tuning commit; these figures"
        " are the estimate for unseen text only if nobody tunes on them afterwards"
    )
    for split in BLIND
}


def _page(item: dict, chrome: tuple[str, str] | None) -> str:
    """The article as the fixture site serves one (``pipeline.fixture_site.render``), with
    or without the navigation, footer and inline scripts of a real news page's size."""
    from pipeline.fixture_site.render import article_html

    article = {
        "slug": item["id"],
        "title": str(item.get("title") or ""),
        "author": "Staff",
        "published": f"{item['published']}T08:00:00+00:00",
        "date_style": "json-ld",
        "paragraphs": [p.strip() for p in str(item["text"]).split("\n") if p.strip()],
    }
    outlet = {"language": item["lang"], "site_name": item["outlet"]}
    html = article_html(article, outlet, f"https://{item['outlet']}")
    if chrome:
        html = html.replace("<body>", "<body>" + chrome[0], 1).replace("</body>", chrome[1] + "</body>", 1)
    return html


def _chrome() -> tuple[str, str]:
    """About 100 KiB of menus, footer and configuration script, as bench/pipeline.py's pages."""
    links = "".join(f'<li><a href="/category/section-{i}/">Section {i}</a></li>' for i in range(180))
    config = ",".join(f'"key_{i}":"{"x" * 40}"' for i in range(700))
    top = f'<nav class="mega-menu"><ul>{links}</ul></nav><script>window.__CONFIG__={{{config}}};</script>'
    return top, f'<footer class="site-footer"><ul>{links}</ul></footer><script>var t={{{config}}};</script>'


def extraction_cpu_ms(items: list[dict], chrome: tuple[str, str] | None) -> tuple[float, float]:
    """The pipeline's extraction (pipeline.extraction.extract_article) per article, ms CPU,
    steady state (a first pass outside the timing); and the pages' mean size in KiB."""
    from pipeline.extraction import ExtractionHints, NotAnArticle, extract_article

    pages = [(_page(it, chrome), f"https://{it['outlet']}/news/{it['id']}/") for it in items]

    def once() -> None:
        for page, url in pages:
            try:
                extract_article(page, ExtractionHints(url=url))
            except NotAnArticle:
                pass

    once()
    started = time.process_time()
    once()
    spent = time.process_time() - started
    kib = sum(len(p.encode()) for p, _ in pages) / 1024 / max(1, len(pages))
    return 1000 * spent / max(1, len(pages)), kib


def run(split: str, langs: list[str], args: argparse.Namespace) -> int:
    paths = [args.data / f"{split}_{lang}.yaml" for lang in langs]
    missing = [p for p in paths if not p.exists()]
    if missing:
        hint = (
            f" (the {split} split is written by a separate blind writer and is added for the one"
            " integrator run; it is not in a tuner's worktree)"
            if split in BLIND
            else " (a spent blind split: its files were added after its one run)"
            if split in SPENT
            else ""
        )
        print(f"error: split {split!r}: missing {', '.join(map(str, missing))}{hint}", file=sys.stderr)
        return 2
    if split in BLIND:
        print(NOTICES[split])
    items = load_items(paths)
    scores = evaluate(items, topics_file=str(ROOT / "config" / "topics.yaml"), verbose=args.verbose)
    bare, bare_kib = extraction_cpu_ms(items, None)
    full, full_kib = extraction_cpu_ms(items, _chrome())
    incident = scores.cpu_ms_per_article + scores.resolve_cpu_ms_per_article
    if args.json:
        extra = {"extraction_cpu_ms_bare_page": bare, "extraction_cpu_ms_news_page": full}
        print(json.dumps({**scores.__dict__, **extra}, indent=1, default=str))
    else:
        print(format_scores(f"{split} ({'+'.join(langs)})", len(items), scores))
        verdict = "within" if incident <= full else "OVER"
        print(
            f"CPU incident step {incident:.2f} ms per article; the pipeline's extraction of the same"
            f" articles: {full:.2f} ms as news pages ({full_kib:.0f} KiB; {verdict} the goal),"
            f" {bare:.2f} ms as bare pages ({bare_kib:.0f} KiB)"
        )
        for e in scores.errors:
            print("  ", e)
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=[*SPLITS, *SPENT, *BLIND, "all"], default="dev")
    ap.add_argument("--lang", choices=["en", "fa", "both"], default="both")
    ap.add_argument("--data", type=Path, default=DATA, help="the labelled set's directory")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    langs = ["en", "fa"] if args.lang == "both" else [args.lang]
    if args.split != "all":
        return run(args.split, langs, args)
    present = [s for s in SPLITS if all((args.data / f"{s}_{lang}.yaml").exists() for lang in langs)]
    return max(run(s, langs, args) for s in present) if present else 2


if __name__ == "__main__":
    raise SystemExit(main())
