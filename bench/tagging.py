"""Topic-tagging benchmark on the labelled set (no database needed).

    python bench/tagging.py                   # every training split (dev ... final), pooled
    python bench/tagging.py --split blind -v  # one split, listing every error
    python bench/tagging.py --split sample    # the independent blind split: run once, at the end
    python bench/tagging.py --no-model        # the lexicon alone
    python bench/tagging.py --compare         # lexicon vs. a char n-gram linear model

Prints per-topic precision/recall/F1 and micro/macro F1, per language, for the lexicon
alone, lexicon + sentence model, and the whole tagger with its linear layer, with CPU per
article (sentence cache cold; the shipped tagger's CPU is its own pass, with the gate that
skips the sentence model when it cannot change a tag). The linear layer is trained on the
labelled splits (``pipeline.tagging.train.TRAIN_SPLITS``, ``final`` included since
linear/2, ``audit`` since linear/3, ``probe`` and the tuner's ``extra`` since linear/4), so on
those splits its figures are **grouped cross-validation**: each split is scored by a layer
fitted, with the shipped settings, on the other splits only; the shipped weights' fit is
printed once, labelled as such. The ``sample`` split (written blind by someone else, never
trained or tuned on) is excluded from ``each`` and from the pooled figures, its files are not
opened unless it is named, and it is run by name, once, with the shipped weights. The exit status reflects only the old dev + test goal of the lexicon
(micro F1 >= 0.85 on ``--split all``).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # the CV's small fits: threads only contend

import argparse
import sys
import time
import zlib
from collections import Counter
from functools import cache
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.tagging.evaluate import (  # noqa: E402
    AUDIT_SPLITS,
    LabelledArticle,
    Report,
    evaluate,
    format_report,
    load_labelled,
)
from pipeline.tagging.model import MODEL_METHOD, CombinedTagger  # noqa: E402
from pipeline.tagging.tagger import METHOD as LEXICON_METHOD  # noqa: E402
from pipeline.tagging.tagger import LexiconTagger  # noqa: E402
from pipeline.tagging.taxonomy import load_taxonomy  # noqa: E402
from pipeline.tagging.train import TRAIN_SPLITS, dense_matrix  # noqa: E402
from pipeline.textnorm import normalize_for_matching  # noqa: E402

DATA = ROOT / "tests" / "data" / "tagging"
TOPICS_FILE = ROOT / "config" / "topics.yaml"


# --- second method: logistic regression on hashed char n-grams ------------------------

N_FEATURES = 2**18


@cache
def _features(article: LabelledArticle) -> dict[int, float]:
    text = normalize_for_matching(f"{article.title} {article.title} {article.text}")
    counts: Counter[int] = Counter()
    for word in text.split():
        padded = f" {word} "
        for n in (3, 4, 5):
            for i in range(len(padded) - n + 1):
                counts[zlib.crc32(padded[i : i + n].encode()) % N_FEATURES] += 1
    norm = sum(v * v for v in counts.values()) ** 0.5 or 1.0
    return {k: v / norm for k, v in counts.items()}


class CharNgramModel:
    """One-vs-rest L2 logistic regression, full-batch gradient descent."""

    def __init__(self, topics: list[str], l2: float = 1e-4, epochs: int = 400, lr: float = 20.0):
        self.topics, self.l2, self.epochs, self.lr = topics, l2, epochs, lr

    def fit(self, articles: list[LabelledArticle]) -> CharNgramModel:
        feats = [_features(a) for a in articles]
        df = Counter(k for f in feats for k in f)
        self.vocab = {k: j for j, k in enumerate(sorted(k for k, n in df.items() if n >= 2))}
        x = dense_matrix(feats, self.vocab)
        y = np.array([[t in a.topics for t in self.topics] for a in articles], dtype=float)
        w = np.zeros((x.shape[1], len(self.topics)))
        b = np.zeros(len(self.topics))
        pos = y.mean(axis=0).clip(1e-3, 1 - 1e-3)
        sample_w = np.where(y > 0, 0.5 / pos, 0.5 / (1 - pos))  # balance rare topics
        for _ in range(self.epochs):
            p = 1 / (1 + np.exp(-(x @ w + b)))
            g = (p - y) * sample_w / len(x)
            w -= self.lr * (x.T @ g + self.l2 * w)
            b -= self.lr * g.sum(axis=0)
        self.w, self.b = w, b
        return self

    def predict(self, article: LabelledArticle) -> list[str]:
        x = dense_matrix([_features(article)], self.vocab)
        p = 1 / (1 + np.exp(-(x @ self.w + self.b)))[0]
        return [t for t, v in zip(self.topics, p, strict=True) if v >= 0.5]


def _summary(name: str, r: Report) -> str:
    low_t, low_r = r.min_recall()
    return (
        f"{name:<48} micro P {r.micro_precision:.3f} R {r.micro_recall:.3f}"
        f" F1 {r.micro_f1:.3f} | macro F1 {r.macro_f1:.3f} | min recall {low_r:.2f} ({low_t})"
    )


def _methods(lexicon: dict[str, set[str]], model: dict[str, set[str]], model_name: str) -> dict:
    return {
        "lexicon": lambda a: lexicon[a.id],
        model_name: lambda a: model[a.id],
        "union (lexicon OR model)": lambda a: lexicon[a.id] | model[a.id],
        "intersection (lexicon AND model)": lambda a: lexicon[a.id] & model[a.id],
    }


def compare(
    articles: list[LabelledArticle],
    tagger: LexiconTagger,
    folds: int,
    blind: list[LabelledArticle] | None = None,
) -> None:
    topics = list(tagger.taxonomy.topics)
    lexicon = {a.id: set(tagger.tag(a.title, a.text).topics) for a in articles + (blind or [])}
    model_pred: dict[str, set[str]] = {}
    order = sorted(articles, key=lambda a: zlib.crc32(a.id.encode()))
    t0 = time.perf_counter()
    for k in range(folds):
        test = [a for i, a in enumerate(order) if i % folds == k]
        train = [a for i, a in enumerate(order) if i % folds != k]
        model = CharNgramModel(topics).fit(train)
        for a in test:
            model_pred[a.id] = set(model.predict(a))
    train_s = time.perf_counter() - t0
    methods = _methods(lexicon, model_pred, f"char-ngram logistic regression ({folds}-fold CV)")
    print(f"\n== comparison on {len(articles)} articles (model CV time {train_s:.1f}s) ==")
    for name, fn in methods.items():
        print(_summary(name, evaluate(fn, articles, topics)))
    if blind:
        # Both methods saw only dev + test: the lexicon was tuned there, the model trains there.
        model = CharNgramModel(topics).fit(articles)
        blind_pred = {a.id: set(model.predict(a)) for a in blind}
        methods = _methods(lexicon, blind_pred, "char-ngram logistic regression (dev+test)")
        print(f"\n== comparison on the blind split: {len(blind)} articles ==")
        for name, fn in methods.items():
            print(_summary(name, evaluate(fn, blind, topics)))


def _cpu_tag(tagger, articles: list[LabelledArticle]) -> tuple[dict[str, set[str]], float]:
    """Predictions and CPU milliseconds per article (process time: every thread counts)."""
    t0 = time.process_time()
    pred = {a.id: set(tagger.tag(a.title, a.text).topics) for a in articles}
    return pred, (time.process_time() - t0) * 1000 / max(1, len(articles))


def _side_by_side(lex: Report, comb: Report, name: str = "combined") -> str:
    head = f"{'topic':<34} {'lexicon P':>9} {'R':>5} {'F1':>5}  {name + ' P':>10} {'R':>5} {'F1':>5} {'n':>3}"
    lines = [head]
    for topic in sorted(comb.per_topic):
        a, b = lex.per_topic.get(topic), comb.per_topic[topic]
        if a is None or not (b.support or b.fp or a.fp):
            continue
        lines.append(
            f"{topic:<34} {a.precision:9.2f} {a.recall:5.2f} {a.f1:5.2f}  {b.precision:10.2f}"
            f" {b.recall:5.2f} {b.f1:5.2f} {b.support:3d}"
        )
    return "\n".join(lines)


class Run:
    """One pass of the shipped tagger over some articles: each layer's topics and CPU seconds."""

    def __init__(self, n: int = 0) -> None:
        self.lexicon: dict[str, set[str]] = {}
        self.two: dict[str, set[str]] = {}  # lexicon + sentence model
        self.shipped: dict[str, set[str]] = {}  # + the linear layer (shipped weights)
        self.cpu = {"lexicon": 0.0, "two": 0.0, "shipped": 0.0}
        self.n = n
        self.sentences = 0  # embedded by the first two layers (every article)
        self.sentences_shipped = 0  # embedded by the shipped tagger (gated)
        self.gated = 0  # articles the shipped tagger decided without the sentence model


def _cold(combined: CombinedTagger) -> None:
    """Forget every cached sentence embedding but the taxonomy's examples'."""
    protos = combined.prototypes()
    combined._embedder.clear_cache(  # type: ignore[union-attr]
        [t for texts in protos.examples.values() for t in texts] + protos.background_texts
    )


def _run(lexicon: LexiconTagger, combined: CombinedTagger | None, articles: list[LabelledArticle]) -> Run:
    """Tag each article with the lexicon, with the first two layers, and with the shipped
    tagger (``CombinedTagger.tag``: gated, all three layers), each pass with a cold
    sentence cache (the examples stay)."""
    run = Run(n=len(articles))
    t0 = time.process_time()
    for a in articles:
        run.lexicon[a.id] = set(lexicon.tag(a.title, a.text).topics)
    run.cpu["lexicon"] = time.process_time() - t0
    if combined is None:
        return run
    _cold(combined)
    before = combined.sentences_embedded
    t0 = time.process_time()
    for a in articles:
        run.two[a.id] = set(combined.tag_signals(a.title, a.text)[0].topics)
    run.cpu["two"] = time.process_time() - t0
    run.sentences = combined.sentences_embedded - before
    if combined.linear is None:
        return run
    _cold(combined)
    before, gated = combined.sentences_embedded, combined.articles_gated
    t0 = time.process_time()
    for a in articles:
        run.shipped[a.id] = set(combined.tag(a.title, a.text).topics)
    run.cpu["shipped"] = time.process_time() - t0
    run.sentences_shipped = combined.sentences_embedded - before
    run.gated = combined.articles_gated - gated
    return run


def _ms(run: Run, layer: str) -> float:
    return run.cpu[layer] * 1000 / max(1, run.n)


def _cv_predictions(combined: CombinedTagger, taxonomy, data_dir: Path) -> dict[str, set[str]] | None:
    """Held-out topics of every labelled article of the training splits: each split tagged by
    a linear layer fitted on the other splits with the shipped settings (grouped CV)."""
    from pipeline.tagging import train

    articles = load_labelled(data_dir, TRAIN_SPLITS)
    if len({a.split for a in articles}) < 2 or combined.linear is None:
        return None
    data = train.featurize(articles, taxonomy, combined)
    params = combined.linear.meta.get("params") or train.DEFAULT_PARAMS
    probs = train.grouped_cv(data, params)
    linear = combined.linear
    th = {lang: linear.threshold_for(lang) for lang in set(data.langs)}
    return train.predictions(data, probs, th, range(len(data.articles)))


def _print_split(label, articles, taxonomy, rows, side, verbose) -> None:  # noqa: ANN001
    langs = Counter(a.lang for a in articles)
    print(
        f"\n== {taxonomy.version} on {label}: {len(articles)} articles"
        f" ({', '.join(f'{k} {v}' for k, v in sorted(langs.items()))}) =="
    )
    reports = [
        (name, pred, ms, evaluate(lambda a, p=pred: p[a.id], articles, taxonomy.topics))
        for name, pred, ms in rows
    ]
    if side:
        last = [r for r in reports if r[0].startswith("combined")] or reports
        print(_side_by_side(reports[0][3], last[-1][3], last[-1][0].split()[0]))
    else:
        print(format_report(reports[0][3]))
    for name, pred, ms, report in reports:
        cpu = f" | {ms:.1f} ms CPU/article" if ms is not None else ""
        print(_summary(name, report) + cpu)
        for lang in sorted(langs):
            subset = [a for a in articles if a.lang == lang]
            r = evaluate(lambda a, pred=pred: pred[a.id], subset, taxonomy.topics)
            print("  " + _summary(f"{lang} ({len(subset)})", r))
        if verbose:
            for aid, missed, spurious in report.errors:
                print(f"    {aid}: missed {missed} spurious {spurious}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--split",
        choices=[
            "dev",
            "test",
            "all",
            "blind",
            "train",
            "tuning",
            "holdout",
            "final",
            "audit",
            "probe",
            "extra",
            "each",
            "sample",
        ],
        default="each",
        help="each: every training split, pooled; sample: the independent blind split (run once, by name, at the end)",
    )
    parser.add_argument("--topics-file", type=Path, default=TOPICS_FILE)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--compare", action="store_true", help="also run the char n-gram model")
    parser.add_argument("--no-model", action="store_true", help="lexicon only (no embeddings)")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("-v", "--verbose", action="store_true", help="list every error")
    args = parser.parse_args(argv)

    taxonomy = load_taxonomy(args.topics_file)
    lexicon = LexiconTagger(taxonomy)
    combined = None
    if args.split in AUDIT_SPLITS and not list(args.data.glob(f"{args.split}_*.yaml")):
        print(
            f"the {args.split} split is not there yet (no {args.data}/{args.split}_*.yaml): it is"
            " written blind by someone else and run once, by name, with the shipped model",
            file=sys.stderr,
        )
        return 2
    if args.split in AUDIT_SPLITS:
        print(
            f"{args.split}: the independent blind split, run once with the shipped model (never"
            " trained or tuned on; running it again after any change spends it)"
        )
    if not args.no_model:
        t0, c0 = time.perf_counter(), time.process_time()
        combined = CombinedTagger(taxonomy)
        combined.prototypes()
        print(
            f"model {combined.model_id}: loaded and {sum(len(v) for v in combined.prototypes().examples.values())}"
            f" examples embedded in {time.perf_counter() - t0:.1f}s ({time.process_time() - c0:.1f}s CPU), once per process"
        )
        if combined.linear is not None:
            meta = combined.linear.meta
            print(
                f"linear layer {combined.linear.method}: {len(combined.linear.vocab)} n-grams, threshold"
                f" {combined.linear.thresholds or combined.linear.threshold}, trained on {meta.get('trained_on')} (taxonomy"
                f" {meta.get('taxonomy_version')}), settings {meta.get('params')}"
            )
            if meta.get("taxonomy_version") != taxonomy.version:
                print(
                    "  warning: trained under another taxonomy version; retrain it (python -m pipeline.tagging.train)"
                )
    splits = list(TRAIN_SPLITS) if args.split == "each" else [args.split]
    final = args.split in AUDIT_SPLITS  # scored by the shipped weights, not by CV
    cv = None
    if combined is not None and combined.linear is not None and not final:
        cv = _cv_predictions(combined, taxonomy, args.data)
    ok = True
    pooled: list[LabelledArticle] = []
    pooled_runs = Run()
    labels = {
        "all": "all (dev+test)",
        "tuning": "tuning (dev+test+blind+train)",
        "holdout": "holdout (blind when written; tuning data since the linear layer)",
        "blind": "blind (tuning data since 2026.12-1)",
        "final": "final (blind when written; training data since linear/2)",
        "audit": "audit (blind when written, spent on linear/2; training data since linear/3)",
        "probe": "probe (blind when written, spent on linear/3; training data since linear/4)",
        "extra": "extra (written by the tuner of linear/4, not blind; training data)",
        "sample": "SAMPLE (independent blind split; shipped model, run once)",
    }
    for split in splits:
        articles = load_labelled(args.data, split)
        if not articles:
            if args.split != "each":
                print(f"no articles in split {split!r} under {args.data}", file=sys.stderr)
                return 2
            continue
        run = _run(lexicon, combined, articles)
        rows = [("lexicon " + lexicon.method, run.lexicon, _ms(run, "lexicon"))]
        if combined is not None:
            two = f"{LEXICON_METHOD}+{MODEL_METHOD}"
            rows.append(("lexicon+sentences " + two, run.two, _ms(run, "two")))
            if combined.linear is not None and final:
                rows.append(("combined " + combined.method, run.shipped, _ms(run, "shipped")))
            elif cv is not None and all(a.id in cv for a in articles):
                rows.append(("combined " + combined.method + " (grouped CV)", cv, _ms(run, "shipped")))
        _print_split(labels.get(split, split), articles, taxonomy, rows, combined is not None, args.verbose)
        if combined is not None:
            print(
                f"sentences embedded: {run.sentences / len(articles):.2f} per article by the first two layers",
                end="",
            )
            if combined.linear is not None:
                print(
                    f"; shipped tagger {run.sentences_shipped / len(articles):.2f} per article, sentence model"
                    f" skipped by the gate on {run.gated} of {len(articles)} articles"
                )
            else:
                print()
        if split == "all":
            ok = evaluate(lambda a, p=run.lexicon: p[a.id], articles, taxonomy.topics).micro_f1 >= 0.85
        pooled += articles
        for name in ("lexicon", "two", "shipped"):
            getattr(pooled_runs, name).update(getattr(run, name))
            pooled_runs.cpu[name] += run.cpu[name]
        pooled_runs.n += run.n
        pooled_runs.sentences_shipped += run.sentences_shipped
        pooled_runs.gated += run.gated
    if args.split == "each" and pooled and combined is not None:
        two = f"{LEXICON_METHOD}+{MODEL_METHOD}"
        rows = [
            ("lexicon " + lexicon.method, pooled_runs.lexicon, _ms(pooled_runs, "lexicon")),
            ("lexicon+sentences " + two, pooled_runs.two, _ms(pooled_runs, "two")),
        ]
        if cv is not None:
            rows.append(("combined " + combined.method + " (grouped CV)", cv, _ms(pooled_runs, "shipped")))
            if combined.linear is not None:
                rows.append(
                    ("  (training fit of the shipped weights, not a measure)", pooled_runs.shipped, None)
                )
        _print_split(
            "every split pooled (each scored by a layer fitted on the other splits)",
            pooled,
            taxonomy,
            rows,
            True,
            False,
        )
        if combined.linear is not None:
            print(
                f"shipped tagger: {pooled_runs.sentences_shipped / max(1, pooled_runs.n):.2f} sentences embedded"
                f" per article, sentence model skipped by the gate on {pooled_runs.gated} of {pooled_runs.n}"
                " articles (same tags as running it on every article: tests/test_tagging_linear.py)"
            )
    if args.compare:
        blind = load_labelled(args.data, "blind")
        compare(load_labelled(args.data, "all"), lexicon, args.folds, blind)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
