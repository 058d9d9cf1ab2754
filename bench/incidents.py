"""Incident register benchmark on the labelled set (no database needed).

    python bench/incidents.py                 # the dev split (tuning)
    python bench/incidents.py --split test    # the untouched split: run once, for the README
    python bench/incidents.py -v              # list every error

Prints (victim, kind, event date) precision/recall/F1, field-level precision/recall
(precision/recall after each field name), incident pairwise precision/recall, the monthly
people counts by kind against gold, and extraction CPU per article. Goals on the untouched
split: F1 >= 0.90, pairs precision >= 0.97 and recall >= 0.90, monthly counts within 5 %.
The exit status is 0 when the figures were computed (goals are reported, not enforced).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.incidents.evaluate import evaluate, format_scores, load_items  # noqa: E402

DATA = ROOT / "tests" / "data" / "incidents"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=["dev", "test"], default="dev")
    ap.add_argument("--lang", choices=["en", "fa", "both"], default="both")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    langs = ["en", "fa"] if args.lang == "both" else [args.lang]
    paths = [DATA / f"{args.split}_{lang}.yaml" for lang in langs]
    missing = [p for p in paths if not p.exists()]
    if missing:
        print(f"error: missing {', '.join(map(str, missing))}", file=sys.stderr)
        return 2
    items = load_items(paths)
    scores = evaluate(items, topics_file=str(ROOT / "config" / "topics.yaml"), verbose=args.verbose)
    if args.json:
        print(json.dumps(scores.__dict__, indent=1, default=str))
    else:
        print(format_scores(f"{args.split} ({'+'.join(langs)})", len(items), scores))
        for e in scores.errors:
            print("  ", e)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
