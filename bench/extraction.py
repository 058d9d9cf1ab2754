"""Extraction benchmarks: every public suite reproducible here, in one invocation.

Suites (each read at run time from where it lives; none is copied into the project):

* ``article-extraction`` — the open half of the Zyte/Scrapinghub article-extraction
  benchmark (``shared/benchmarks/article-extraction``: ``html/<id>.html.gz`` +
  ``ground-truth.json``), with its own metric: multisets of 4-token shingles of ``\\w+``
  tokens, per-page tp/fp/fn normalised, precision/recall averaged over pages, F1 of the means.
* ``trafilatura-eval`` — trafilatura's evaluation set (``tests/evaldata.json`` and its
  ``tests/eval|cache`` pages in a git directory of ``adbar/trafilatura``), with its own
  metric: each "with" snippet found is a true positive, each "without" snippet found a false
  positive, summed over pages; precision, recall, accuracy, F1 of the sums.
* ``htmldate-eval`` — htmldate's evaluation sets (``tests/eval_default.json`` and
  ``tests/eval_mediacloud_2020.json`` with ``tests/test_set|cache|eval`` pages in a git
  directory of ``adbar/htmldate``), with its own metric: accuracy of the ``YYYY-MM-DD`` day.
* ``persian`` — dadkhah's own Persian set (``tests/data/extraction-fa``): shingle F1 as
  above, plus exact title, date and authors.

Every suite is split in two by a hash of each page's name: ``tune`` (rules were adjusted
looking at it) and ``report`` (held out; the figures to quote). Both are printed.

    python bench/extraction.py [--suite NAME ...] [--split tune|report|all]
        [--article-extraction DIR] [--trafilatura-repo GITDIR] [--htmldate-repo GITDIR]

Git directories default to $DADKHAH_TRAFILATURA_REPO / $DADKHAH_HTMLDATE_REPO, else the
search tool's mirror (/work/.mirror/adbar+<name>/repo). A suite whose data is absent is
reported as "not available" and skipped; the bench still exits 0.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

_TOKEN_RE = re.compile(r"\w+")
DEFAULT_DIRS = (
    ROOT.parent / "shared" / "benchmarks" / "article-extraction",
    Path("/work/shared/benchmarks/article-extraction"),
)
MIRROR = Path("/work/.mirror")
PERSIAN_DIR = ROOT / "tests" / "data" / "extraction-fa"


# --- metrics ---------------------------------------------------------------------------------


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


def _norm_ws(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def snippet_counts(withs: list[str], withouts: list[str], output: str) -> tuple[int, int, int, int]:
    """trafilatura's evaluation metric for one page: (tp, fp, fn, tn) by substring."""
    out = _norm_ws(output or "")
    tp = sum(1 for w in withs if _norm_ws(w) in out) if output else 0
    fp = sum(1 for w in withouts if _norm_ws(w) in out) if output else 0
    return tp, fp, len(withs) - tp, len(withouts) - fp


def snippet_score(counts: list[tuple[int, int, int, int]]) -> dict[str, float]:
    tp, fp, fn, tn = (sum(c[i] for c in counts) for i in range(4))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    total = tp + fp + fn + tn
    return {
        "precision": precision,
        "recall": recall,
        "accuracy": (tp + tn) / total if total else 0.0,
        "f1": 2 * tp / (2 * tp + fp + fn) if tp else 0.0,
    }


def split_of(name: str) -> str:
    """``tune`` or ``report``, by a hash of the page's name (stable across runs)."""
    return "tune" if hashlib.sha256(name.encode("utf-8")).digest()[0] % 2 == 0 else "report"


# --- extractors --------------------------------------------------------------------------------


@dataclass
class Output:
    text: str = ""
    date: str | None = None  # YYYY-MM-DD
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    method: str | None = None
    variant: str | None = None
    rejected: str | None = None


def _trafilatura(**options: object) -> Callable[[str, str], Output]:
    import trafilatura

    def run(html: str, url: str) -> Output:
        return Output(text=trafilatura.extract(html, url=url or None, **options) or "")

    return run


def _trafilatura_with_metadata(html: str, url: str) -> Output:
    """What a user of trafilatura alone would run to get text and metadata (the cost baseline)."""
    import trafilatura

    doc = trafilatura.bare_extraction(html, url=url or None, with_metadata=True, include_comments=False)
    if doc is None:
        return Output()
    return Output(
        text=doc.text or "", date=doc.date, title=doc.title, authors=[doc.author] if doc.author else []
    )


def _htmldate(extensive: bool) -> Callable[[str, str], Output]:
    def run(html: str, url: str) -> Output:
        from htmldate import find_date

        try:
            return Output(
                date=find_date(html, url=url or None, original_date=True, extensive_search=extensive)
            )
        except Exception:  # noqa: BLE001 - a crash is a miss
            return Output()

    return run


def _ours(html: str, url: str) -> Output:
    from pipeline.extraction import ExtractionHints, NotAnArticle, extract_article

    try:
        a = extract_article(html, ExtractionHints(url=url or "https://unknown.invalid/"))
    except NotAnArticle as exc:
        return Output(rejected=exc.reason)
    return Output(
        text=a.text,
        date=a.published_day.isoformat() if a.published_day else None,
        title=a.title,
        authors=a.authors,
        method=a.published_method,
        variant=a.extractor_settings.get("body_variant"),
    )


EXTRACTORS: dict[str, Callable[[str, str], Output]] = {
    "trafilatura-defaults": _trafilatura(),
    "trafilatura-no-comments": _trafilatura(include_comments=False),
    "trafilatura-precision-no-comments": _trafilatura(favor_precision=True, include_comments=False),
    "trafilatura-metadata-no-comments": _trafilatura_with_metadata,
    "htmldate-extensive": _htmldate(True),
    "htmldate-fast": _htmldate(False),
    "dadkhah-extract": _ours,
}
TEXT_EXTRACTORS = [n for n in EXTRACTORS if not n.startswith("htmldate")]
DATE_EXTRACTORS = [
    "trafilatura-metadata-no-comments",
    "htmldate-extensive",
    "htmldate-fast",
    "dadkhah-extract",
]


# --- suites ------------------------------------------------------------------------------------


@dataclass
class Page:
    name: str
    html: str
    url: str
    text: str | None = None  # gold body (shingle metric)
    withs: list[str] | None = None  # trafilatura metric
    withouts: list[str] | None = None
    date: str | None = None
    title: str | None = None
    authors: list[str] | None = None
    group: str = ""
    # The page declares itself an article (JSON-LD Article type, og:type article or
    # article:published_time): a news or blog post, not a product, forum or home page.
    declared_article: bool = False


def _declares_article(html: str) -> bool:
    from pipeline.extraction.page import parse_html, read_structured_data

    tree = parse_html(html)
    return tree is not None and read_structured_data(tree).is_article


def _decode(body: bytes) -> str:
    from pipeline.extraction.decode import decode_html

    return decode_html(body)[0]


class GitTree:
    """Read files of a (bare) git directory at HEAD without a work tree."""

    def __init__(self, git_dir: Path) -> None:
        self.git_dir = git_dir
        listing = subprocess.run(
            ["git", "--git-dir", str(git_dir), "ls-tree", "-r", "-z", "HEAD"],
            capture_output=True,
            check=True,
        ).stdout
        self.blobs: dict[str, str] = {}
        for entry in listing.split(b"\0"):
            if b"\t" in entry:
                meta, path = entry.split(b"\t", 1)
                self.blobs[path.decode("utf-8", "surrogateescape")] = meta.split()[2].decode()

    def read_many(self, paths: list[str]) -> dict[str, bytes]:
        wanted = [p for p in paths if p in self.blobs]
        if not wanted:
            return {}
        proc = subprocess.run(
            ["git", "--git-dir", str(self.git_dir), "cat-file", "--batch"],
            input=b"".join(self.blobs[p].encode() + b"\n" for p in wanted),
            capture_output=True,
            check=True,
        )
        out, data, pos = {}, proc.stdout, 0
        for p in wanted:
            header_end = data.index(b"\n", pos)
            size = int(data[pos:header_end].split()[2])
            out[p] = data[header_end + 1 : header_end + 1 + size]
            pos = header_end + 1 + size + 1
        return out


def _git_dir(arg: str | None, env: str, name: str) -> Path | None:
    chosen = arg or os.environ.get(env)
    candidate = Path(chosen) if chosen else MIRROR / f"adbar+{name}" / "repo"
    return candidate if (candidate / "HEAD").is_file() or (candidate / ".git").exists() else None


def find_data_dir(arg: str | None) -> Path | None:
    """The argument, else $DADKHAH_EXTRACTION_BENCH, else the default places; None if absent."""
    chosen = arg or os.environ.get("DADKHAH_EXTRACTION_BENCH")
    candidates = [Path(chosen)] if chosen else list(DEFAULT_DIRS)
    for candidate in candidates:
        if (candidate / "ground-truth.json").is_file():
            return candidate
    return None


def load_article_extraction(data_dir: Path) -> list[Page]:
    truth = json.loads((data_dir / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for pid, item in sorted(truth.items()):
        path = data_dir / "html" / f"{pid}.html.gz"
        if path.is_file():
            html = gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace")
            pages.append(Page(pid, html, item.get("url") or "", text=item.get("articleBody") or ""))
    return pages


def load_pages(data_dir: Path) -> dict[str, tuple[str, str, str]]:
    """The article-extraction pages as id -> (html, url, truth) (bench/pipeline.py reads them)."""
    return {p.name: (p.html, p.url, p.text or "") for p in load_article_extraction(data_dir)}


def load_trafilatura_eval(git_dir: Path) -> list[Page]:
    tree = GitTree(git_dir)
    data = json.loads(tree.read_many(["tests/evaldata.json"])["tests/evaldata.json"])
    paths = {url: [f"tests/{d}/{item['file']}" for d in ("cache", "eval")] for url, item in data.items()}
    blobs = tree.read_many([p for ps in paths.values() for p in ps])
    pages = []
    for url, item in sorted(data.items()):
        body = next((blobs[p] for p in paths[url] if p in blobs), None)
        if body is not None:
            pages.append(Page(item["file"], _decode(body), url, withs=item["with"], withouts=item["without"]))
    return pages


def load_htmldate_eval(git_dir: Path) -> list[Page]:
    tree = GitTree(git_dir)
    pages = []
    for set_name in ("eval_default.json", "eval_mediacloud_2020.json"):
        raw = tree.read_many([f"tests/{set_name}"])
        if not raw:
            continue
        data = json.loads(raw[f"tests/{set_name}"])
        paths = {
            url: [f"tests/{d}/{item['file']}" for d in ("test_set", "cache", "eval")]
            for url, item in data.items()
        }
        blobs = tree.read_many([p for ps in paths.values() for p in ps])
        for url, item in sorted(data.items()):
            body = next((blobs[p] for p in paths[url] if p in blobs), None)
            if body is not None:
                group = "mediacloud" if "mediacloud" in set_name else "default"
                gold = item.get("date") if isinstance(item.get("date"), str) else None  # NaN: no date
                html = _decode(body)
                pages.append(
                    Page(
                        item["file"],
                        html,
                        url,
                        date=gold,
                        group=group,
                        declared_article=_declares_article(html),
                    )
                )
    return pages


def load_persian(data_dir: Path = PERSIAN_DIR) -> list[Page]:
    gold = json.loads((data_dir / "gold.json").read_text(encoding="utf-8"))
    pages = []
    for name, item in sorted(gold.items()):
        html = (data_dir / name).read_text(encoding="utf-8")
        pages.append(
            Page(
                name,
                html,
                item["url"],
                text=item["text"],
                date=item.get("date"),
                title=item.get("title"),
                authors=item.get("authors"),
            )
        )
    return pages


# --- running -----------------------------------------------------------------------------------


def run_extractor(name: str, pages: list[Page]) -> tuple[dict[str, Output], float]:
    run = EXTRACTORS[name]
    started = time.process_time()
    outputs = {p.name: run(p.html, p.url) for p in pages}
    return outputs, (time.process_time() - started) / max(len(pages), 1)


def _split(pages: list[Page], split: str) -> list[Page]:
    return pages if split == "all" else [p for p in pages if split_of(p.name) == split]


def report_shingles(pages: list[Page], outputs: dict[str, Output]) -> dict[str, float]:
    return score({p.name: (p.text or "", outputs[p.name].text) for p in pages})


def report_snippets(pages: list[Page], outputs: dict[str, Output]) -> dict[str, float]:
    return snippet_score(
        [snippet_counts(p.withs or [], p.withouts or [], outputs[p.name].text) for p in pages]
    )


def date_accuracy(pages: list[Page], outputs: dict[str, Output]) -> float:
    """htmldate's metric: a page is right when the day matches, or when both have none."""
    right = sum(1 for p in pages if (outputs[p.name].date or None) == (p.date or None))
    return right / max(len(pages), 1)


def _print_header(metric_names: list[str]) -> None:
    print(
        f"  {'extractor':36} {'split':7} " + " ".join(f"{m:>9}" for m in metric_names) + f" {'cpu s/pg':>9}"
    )


def run_suite(name: str, pages: list[Page], extractors: list[str], splits: list[str]) -> dict:
    print(f"\n== {name}: {len(pages)} pages ==")
    results: dict = {}
    text_metric = report_snippets if name == "trafilatura-eval" else report_shingles
    has_text = name != "htmldate-eval"
    has_dates = name in ("htmldate-eval", "persian")
    wanted = [
        e for e in extractors if (has_text and e in TEXT_EXTRACTORS) or (has_dates and e in DATE_EXTRACTORS)
    ]
    metric_names = (["precision", "recall", "f1"] if has_text else []) + (["date_acc"] if has_dates else [])
    if name == "trafilatura-eval":
        metric_names.insert(2, "accuracy")
    if name == "persian":
        metric_names += ["title", "authors"]
    _print_header(metric_names)
    for ext in wanted:
        outputs, cpu = run_extractor(ext, pages)
        results[ext] = outputs
        for split in splits:
            sub = _split(pages, split)
            m: dict[str, float] = {}
            if has_text and ext in TEXT_EXTRACTORS:
                m.update(text_metric(sub, outputs))
            if has_dates and ext in DATE_EXTRACTORS:
                m["date_acc"] = date_accuracy(sub, outputs)
            if name == "persian" and ext == "dadkhah-extract":
                m["title"] = sum(outputs[p.name].title == p.title for p in sub) / max(len(sub), 1)
                m["authors"] = sum(outputs[p.name].authors == (p.authors or []) for p in sub) / max(
                    len(sub), 1
                )
            cells = " ".join(f"{m[k]:9.4f}" if k in m else f"{'-':>9}" for k in metric_names)
            print(f"  {ext:36} {split:7} {cells} {cpu:9.4f}")
            if name == "trafilatura-eval" and ext == "dadkhah-extract":
                # trafilatura's text starts with the headline; dadkhah stores it as a field:
                # scored once more as headline + body, the same content a trafilatura user gets.
                titled = {
                    k: Output(text=f"{o.title or ''}\n{o.text}" if o.text else "") for k, o in outputs.items()
                }
                t = text_metric(sub, titled)
                cells = " ".join(f"{t[k]:9.4f}" if k in t else f"{'-':>9}" for k in metric_names)
                print(f"  {'dadkhah-extract (title + body)':36} {split:7} {cells} {cpu:9.4f}")
        if name == "htmldate-eval" and ext in DATE_EXTRACTORS:
            groups = sorted({p.group for p in pages})
            print(
                "    by set: "
                + ", ".join(
                    f"{g} {date_accuracy([p for p in pages if p.group == g], outputs):.4f}" for g in groups
                )
            )
            print(
                "    pages declaring an article: "
                + ", ".join(
                    f"{split} {date_accuracy(news, outputs):.4f} ({len(news)})"
                    for split in splits
                    if (news := [p for p in _split(pages, split) if p.declared_article])
                )
            )
    if "dadkhah-extract" in results:
        ours = results["dadkhah-extract"]
        methods = Counter(o.method or ("rejected" if o.rejected else "none") for o in ours.values())
        print("  date methods (dadkhah): " + ", ".join(f"{k} {v}" for k, v in methods.most_common()))
        if has_dates:
            for split in splits:
                sub = _split(pages, split)
                used = Counter(
                    ours[p.name].method or ("rejected" if ours[p.name].rejected else "none") for p in sub
                )
                right = Counter(
                    o.method or ("rejected" if o.rejected else "none")
                    for p in sub
                    if (o := ours[p.name]).date == (p.date or None)
                )
                print(
                    f"  right by method ({split}): "
                    + ", ".join(f"{k} {right[k]}/{v}" for k, v in used.most_common())
                )
                # A rejected page stores nothing, so its date counts as missing above; the
                # date search alone, on the pages dadkhah keeps, against the same pages:
                kept = [p for p in sub if not ours[p.name].rejected]
                others = [
                    e for e in ("htmldate-extensive", "trafilatura-metadata-no-comments") if e in results
                ]
                print(
                    f"  date accuracy on the pages dadkhah keeps ({split}, {len(kept)}): "
                    + ", ".join(
                        f"{e} {date_accuracy(kept, results[e]):.4f}" for e in ["dadkhah-extract", *others]
                    )
                )
        variants = Counter(o.variant for o in ours.values() if o.variant)
        print("  body variant (dadkhah): " + ", ".join(f"{k} {v}" for k, v in variants.most_common()))
        rejected = Counter(o.rejected for o in ours.values() if o.rejected)
        print("  rejected (dadkhah): " + (", ".join(f"{k} {v}" for k, v in rejected.most_common()) or "none"))
        # "No page lost that trafilatura alone extracts": pages dadkhah rejects or leaves
        # empty where trafilatura (no comments; on htmldate's set, with metadata) keeps text.
        base = (
            results.get("trafilatura-no-comments")
            or results.get("trafilatura-defaults")
            or results.get("trafilatura-metadata-no-comments")
        )
        if base is not None:
            for split in splits:
                sub = _split(pages, split)
                lost = [p.name for p in sub if not ours[p.name].text and len(base[p.name].text) >= 500]
                any_text = sum(1 for p in sub if not ours[p.name].text and base[p.name].text.strip())
                print(
                    f"  lost by dadkhah ({split}) where trafilatura keeps >= 500 chars: {len(lost)}"
                    f" {lost[:8]}; keeps any text: {any_text}"
                )
    return results


def iter_suites(args: argparse.Namespace) -> Iterator[tuple[str, Callable[[], list[Page]] | None, str]]:
    data_dir = find_data_dir(args.article_extraction)
    yield (
        "article-extraction",
        (lambda: load_article_extraction(data_dir)) if data_dir else None,
        str(data_dir),
    )
    traf = _git_dir(args.trafilatura_repo, "DADKHAH_TRAFILATURA_REPO", "trafilatura")
    yield "trafilatura-eval", (lambda: load_trafilatura_eval(traf)) if traf else None, str(traf)
    hd = _git_dir(args.htmldate_repo, "DADKHAH_HTMLDATE_REPO", "htmldate")
    yield "htmldate-eval", (lambda: load_htmldate_eval(hd)) if hd else None, str(hd)
    fa = PERSIAN_DIR if (PERSIAN_DIR / "gold.json").is_file() else None
    yield "persian", (lambda: load_persian(fa)) if fa else None, str(fa)


SUITES = ("article-extraction", "trafilatura-eval", "htmldate-eval", "persian")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--suite", action="append", choices=SUITES, help="run only these suites")
    ap.add_argument("--only", action="append", choices=sorted(EXTRACTORS), help="run only these extractors")
    ap.add_argument("--split", choices=("tune", "report", "all"), action="append", help="default: all three")
    ap.add_argument("--article-extraction", help="benchmark folder (ground-truth.json, html/)")
    ap.add_argument("--trafilatura-repo", help="git directory of adbar/trafilatura")
    ap.add_argument("--htmldate-repo", help="git directory of adbar/htmldate")
    ap.add_argument("--limit", type=int, help="first N pages of each suite (a quick look)")
    args = ap.parse_args(argv)
    extractors = args.only or list(EXTRACTORS)
    splits = args.split or ["tune", "report", "all"]
    for name, loader, where in iter_suites(args):
        if args.suite and name not in args.suite:
            continue
        if loader is None:
            print(f"\n== {name}: not available (data not found); skipped ==")
            continue
        pages = loader()
        if args.limit:
            pages = pages[: args.limit]
        print(f"(from {where})")
        run_suite(name, pages, extractors, splits)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
