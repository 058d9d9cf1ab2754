"""Train the per-topic logistic layer (``pipeline.tagging.linear``) on the labelled set.

    python -m pipeline.tagging.train            # grouped CV, then fit on every split, write the file
    python -m pipeline.tagging.train --cv-only  # only the cross-validation report
    python -m pipeline.tagging.train --cv-only --hold-out probe
        # settings chosen by grouped CV without one split, which is then scored by a layer
        # fitted on all the others: one split held out of every choice

Everything is chosen by grouped cross-validation: each training split (``TRAIN_SPLITS``:
dev, test, blind, train, holdout, final, audit, probe, extra) is one group; for every setting on a small grid the model is fitted on all
groups but one and scores the one left out, and the setting with the best pooled held-out
micro-F1 (ties: fewer errors of the worst topic) is the one shipped, then refitted on every
group. The list is explicit: a split not in it (``sample``, the independent blind set) is
never read here, and its files are not even opened. Fitting is exact and deterministic: L2
logistic regression by Newton's method in the row space of the training articles' word
vectors (an L2-penalised weight vector lies in that space), no random start.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import os
import sys
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.tagging.evaluate import AUDIT_SPLITS, LabelledArticle, evaluate, load_labelled
from pipeline.tagging.linear import (
    LEX_FEATURES,
    MODEL_FILE,
    LinearModel,
    article_language,
    bag_of_words,
    lexicon_features,
)
from pipeline.tagging.taxonomy import Taxonomy, load_taxonomy

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "tagging"
TOPICS_FILE = ROOT / "config" / "topics.yaml"
VERSION = "linear/4"
# Every labelled split that is spent (each was run once blind, then became training data),
# and the tuner's own ``extra`` split (not blind). Never a blind split of ``AUDIT_SPLITS``
# (``sample``): it is measured once by someone else, after the last commit.
TRAIN_SPLITS = ("dev", "test", "blind", "train", "holdout", "final", "audit", "probe", "extra")
assert not set(TRAIN_SPLITS) & set(AUDIT_SPLITS)
# linear/4: 0.03 for the word penalty dropped from the grid (never chosen in linear/2 or
# linear/3; it halves the time of the search over nine splits on the shared machine).
GRID = {
    "l2_words": (0.01,),
    "l2_signals": (1.0, 3.0),
    "positive_weight": (3.0, 10.0),
    "min_df": (2,),
}
DEFAULT_PARAMS = {"l2_words": 0.01, "l2_signals": 1.0, "positive_weight": 10.0, "min_df": 2}
THRESHOLDS = tuple(round(x, 2) for x in np.arange(0.1, 0.81, 0.05))


@dataclass
class Dataset:
    """Features of labelled articles: bag of words, per-topic signals (articles, topics, F), labels."""

    articles: list[LabelledArticle]
    bows: list[dict[str, float]]
    lex: np.ndarray
    labels: np.ndarray
    topics: tuple[str, ...]
    langs: list[str]  # ``article_language`` of each article, as the tagger sees it


def featurize(articles: Sequence[LabelledArticle], taxonomy: Taxonomy, tagger=None) -> Dataset:  # noqa: ANN001
    """Run the lexicon and sentence model (``CombinedTagger`` without this layer) on each article."""
    from pipeline.tagging.model import CombinedTagger

    tagger = tagger or CombinedTagger(taxonomy, use_linear=False)
    topics = tuple(taxonomy.topics)
    bows, lex, langs = [], [], []
    for a in articles:
        result, model_tags = tagger.tag_signals(a.title, a.text)
        body = a.text[: result.text_examined]
        lang = article_language(a.title, body)
        bows.append(bag_of_words(a.title, body))
        lex.append(lexicon_features(result, taxonomy, model_tags, lang=lang))
        langs.append(lang)
    labels = np.array([[t in a.topics for t in topics] for a in articles], dtype=np.float64)
    return Dataset(list(articles), bows, np.array(lex), labels, topics, langs)


def dense_matrix(bows: Iterable[Mapping[Hashable, float]], vocab: Mapping[Hashable, int]) -> np.ndarray:
    """Sparse feature rows as one dense matrix over ``vocab``'s columns (others dropped)."""
    rows = list(bows)
    x = np.zeros((len(rows), len(vocab)))
    for i, bow in enumerate(rows):
        for g, v in bow.items():
            j = vocab.get(g)
            if j is not None:
                x[i, j] = v
    return x


def _newton(
    z: np.ndarray, y: np.ndarray, penalty: np.ndarray, weight: np.ndarray, iters: int = 30
) -> np.ndarray:
    """Weighted L2 logistic regression; the last column of ``z`` is the unpenalised bias."""
    w = np.zeros(z.shape[1])
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-(z @ w)))
        grad = z.T @ (weight * (p - y)) + penalty * w
        hess = (z * (weight * p * (1 - p))[:, None]).T @ z + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def fit(data: Dataset, rows: Sequence[int], params: dict, threshold: float = 0.5) -> LinearModel:
    """Fit every topic on ``rows`` of ``data`` with the given regularisation."""
    rows = list(rows)
    df: dict[str, int] = {}
    for i in rows:
        for g in data.bows[i]:
            df[g] = df.get(g, 0) + 1
    grams = sorted(g for g, n in df.items() if n >= params["min_df"])
    vocab = {g: j for j, g in enumerate(grams)}
    x = dense_matrix((data.bows[i] for i in rows), vocab)
    # Row space of the word vectors: a penalised solution lies in it, so n, not |vocab|, unknowns.
    # From the n x n Gram matrix: x = u s vt, so the coordinates are u s, the basis vt = s^-1 u' x.
    evals, u = np.linalg.eigh(x @ x.T)
    keep = evals > 1e-10
    s = np.sqrt(evals[keep])
    zw = u[:, keep] * s
    basis = (u[:, keep] / s).T @ x  # (r, vocab), orthonormal rows
    n_topics = len(data.topics)
    f = len(LEX_FEATURES)
    bow = np.zeros((len(vocab), n_topics))
    lex = np.zeros((n_topics, f))
    bias = np.zeros(n_topics)
    penalty = np.concatenate(
        [np.full(zw.shape[1], params["l2_words"]), np.full(f, params["l2_signals"]), [0.0]]
    )
    for t in range(n_topics):
        y = data.labels[rows, t]
        z = np.hstack([zw, data.lex[rows, t, :], np.ones((len(rows), 1))])
        weight = np.where(y > 0, params["positive_weight"], 1.0)
        w = _newton(z, y, penalty, weight)
        bow[:, t] = basis.T @ w[: zw.shape[1]]
        lex[t] = w[zw.shape[1] : zw.shape[1] + f]
        bias[t] = w[-1]
    return LinearModel(
        version=VERSION,
        topics=data.topics,
        vocab=vocab,
        bow=bow,
        lex=lex,
        bias=bias,
        threshold=threshold,
        meta={},
        sha256="",
    )


def predict_proba(model: LinearModel, data: Dataset, rows: Sequence[int]) -> np.ndarray:
    return np.array([model.probabilities(data.bows[i], data.lex[i]) for i in rows])


def grouped_cv(data: Dataset, params: dict) -> np.ndarray:
    """Held-out probabilities of every article: each split scored by a model fitted on the others."""
    splits = [a.split for a in data.articles]
    out = np.zeros(data.labels.shape)
    for group in sorted(set(splits)):
        test = [i for i, s in enumerate(splits) if s == group]
        train = [i for i, s in enumerate(splits) if s != group]
        out[test] = predict_proba(fit(data, train, params), data, test)
    return out


Thresholds = float | Mapping[str, float]  # one for every article, or one per language


def _th(threshold: Thresholds, lang: str) -> float:
    return threshold if isinstance(threshold, int | float) else threshold[lang]


def predictions(data: Dataset, probs: np.ndarray, threshold: Thresholds, rows: Iterable[int]) -> dict:
    return {
        data.articles[i].id: {
            t for t, p in zip(data.topics, probs[i], strict=True) if p >= _th(threshold, data.langs[i])
        }
        for i in rows
    }


def _score(data: Dataset, probs: np.ndarray, threshold: Thresholds, rows: Sequence[int] | None = None):  # noqa: ANN202
    rows = list(range(len(data.articles))) if rows is None else list(rows)
    pred = predictions(data, probs, threshold, rows)
    return evaluate(lambda a: pred[a.id], [data.articles[i] for i in rows], data.topics)


def _key(r) -> tuple:  # noqa: ANN001
    return (round(r.micro_f1, 4), round(r.macro_f1, 4), r.min_recall()[1])


def best_threshold(
    data: Dataset, probs: np.ndarray, per_language: bool, rows: Sequence[int] | None = None
) -> tuple[tuple, Thresholds]:
    """The threshold (or per-language pair) with the best held-out micro-F1 on ``rows``."""
    rows = list(range(len(data.articles))) if rows is None else list(rows)
    best = None
    candidates: Iterable[Thresholds]
    if per_language:
        langs = sorted({data.langs[i] for i in rows})
        candidates = (
            dict(zip(langs, c, strict=True)) for c in itertools.product(THRESHOLDS, repeat=len(langs))
        )
    else:
        candidates = THRESHOLDS
    for th in candidates:
        key = _key(_score(data, probs, th, rows))
        if best is None or key > best[0]:
            best = (key, th)
    assert best is not None
    return best


def nested_threshold_score(data: Dataset, probs: np.ndarray, per_language: bool):  # noqa: ANN201
    """Held-out figures with the threshold itself held out too: each split is cut at the
    threshold that is best on the other splits' held-out probabilities (no choice made on
    the split it scores), so the figure is not flattered by the threshold search."""
    splits = [a.split for a in data.articles]
    pred: dict[str, set[str]] = {}
    for group in sorted(set(splits)):
        test = [i for i, s in enumerate(splits) if s == group]
        others = [i for i, s in enumerate(splits) if s != group]
        _, th = best_threshold(data, probs, per_language, others)
        pred.update(predictions(data, probs, th, test))
    return evaluate(lambda a: pred[a.id], data.articles, data.topics)


def search(data: Dataset, log=print, per_language: bool = False) -> tuple[dict, Thresholds, np.ndarray]:  # noqa: ANN001
    """The grid setting and threshold(s) with the best pooled held-out micro-F1."""
    best = None
    keys = list(GRID)
    for values in itertools.product(*(GRID[k] for k in keys)):
        params = dict(zip(keys, values, strict=True))
        probs = grouped_cv(data, params)
        key, th = best_threshold(data, probs, per_language)
        if best is None or key > best[0]:
            best = (key, params, th, probs)
        log(f"  {params}: best so far micro {best[0][0]:.3f} macro {best[0][1]:.3f} ({best[1]}, t={best[2]})")
    assert best is not None
    return best[1], best[2], best[3]


def subset(data: Dataset, rows: Sequence[int]) -> Dataset:
    """The articles of ``rows`` only (features already computed)."""
    rows = list(rows)
    return Dataset(
        [data.articles[i] for i in rows],
        [data.bows[i] for i in rows],
        data.lex[rows],
        data.labels[rows],
        data.topics,
        [data.langs[i] for i in rows],
    )


def cv_report(
    data: Dataset, probs: np.ndarray, threshold: Thresholds, rows: Sequence[int] | None = None
) -> list[str]:
    """Pooled held-out figures (of ``rows``, default all), per language and per split, and
    each topic's recall."""
    lines = []
    every = list(range(len(data.articles))) if rows is None else list(rows)
    groups = [("pooled", every)]
    for lang in sorted({data.articles[i].lang for i in every}):
        groups.append((lang, [i for i in every if data.articles[i].lang == lang]))
    for split in TRAIN_SPLITS:
        rows_of = [i for i in every if data.articles[i].split == split]
        if rows_of:
            groups.append((split, rows_of))
    for name, rows_of in groups:
        r = _score(data, probs, threshold, rows_of)
        low = r.min_recall()
        lines.append(
            f"  {name:<8} ({len(rows_of):3d}) micro P {r.micro_precision:.3f} R {r.micro_recall:.3f}"
            f" F1 {r.micro_f1:.3f} | macro F1 {r.macro_f1:.3f} | min recall {low[1]:.2f} ({low[0]})"
        )
    r = _score(data, probs, threshold, every)
    lines.append("  per topic (pooled): P / R / F1 / n")
    for t in data.topics:
        m = r.per_topic[t]
        lines.append(f"    {t:<34} {m.precision:.2f} {m.recall:.2f} {m.f1:.2f} {m.support:3d}")
    return lines


def data_fingerprint(articles: Sequence[LabelledArticle]) -> str:
    h = hashlib.sha256()
    for a in sorted(articles, key=lambda a: a.id):
        h.update(f"{a.id}\0{a.title}\0{a.text}\0{','.join(sorted(a.topics))}\n".encode())
    return h.hexdigest()[:16]


def train(
    data: Dataset, params: dict, threshold: Thresholds, taxonomy: Taxonomy, cv: dict | None = None
) -> LinearModel:
    """The shipped model: fitted on every article of ``data``, with its provenance."""
    if isinstance(threshold, int | float):
        model = fit(data, range(len(data.articles)), params, float(threshold))
    else:
        # The default (a language not in the map) is the lower of the two: recall first.
        model = fit(data, range(len(data.articles)), params, min(threshold.values()))
        model = LinearModel(**{**model.__dict__, "thresholds": dict(threshold)})
    counts: dict[str, int] = {}
    for a in data.articles:
        counts[a.split] = counts.get(a.split, 0) + 1
    meta = {
        "taxonomy_version": taxonomy.version,
        "trained_on": dict(sorted(counts.items())),
        "data_sha256": data_fingerprint(data.articles),
        "params": params,
        "cv": cv or {},
    }
    return LinearModel(**{**model.__dict__, "meta": meta})


def _choose(data: Dataset, per_language: bool, errors: bool) -> tuple[dict, Thresholds, np.ndarray, dict]:
    """The grid search over ``data``'s splits, its report printed; (params, threshold, probs, cv)."""
    params, threshold, probs = search(
        data, log=lambda s: print(s, file=sys.stderr), per_language=per_language
    )
    r = _score(data, probs, threshold)
    nested = nested_threshold_score(data, probs, per_language)
    cv = {
        "micro_f1": round(r.micro_f1, 4),
        "macro_f1": round(r.macro_f1, 4),
        "min_recall": [r.min_recall()[0], round(r.min_recall()[1], 4)],
        "threshold": threshold,
        "nested_threshold_micro_f1": round(nested.micro_f1, 4),
        "nested_threshold_macro_f1": round(nested.macro_f1, 4),
    }
    print(f"chosen {params} threshold {threshold}: grouped CV {cv}")
    for line in cv_report(data, probs, threshold):
        print(line)
    low = nested.min_recall()
    print(
        f"  threshold held out too (each split cut at the threshold best on the others): micro F1"
        f" {nested.micro_f1:.3f} | macro F1 {nested.macro_f1:.3f} | min recall {low[1]:.2f} ({low[0]})"
    )
    if errors:
        for aid, missed, spurious in _score(data, probs, threshold).errors:
            print(f"    {aid}: missed {missed} spurious {spurious}")
    return params, threshold, probs, cv


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--topics-file", type=Path, default=TOPICS_FILE)
    parser.add_argument("--out", type=Path, default=MODEL_FILE)
    parser.add_argument("--cv-only", action="store_true")
    parser.add_argument("--errors", action="store_true", help="list each article's held-out errors")
    parser.add_argument(
        "--hold-out",
        choices=TRAIN_SPLITS,
        help="leave this split out of every choice (the CV's groups, the grid, the threshold), then"
        " score it with a layer fitted on all the other splits at the chosen settings",
    )
    parser.add_argument(
        "--per-language",
        action="store_true",
        help="a threshold per language (tried for linear/3: no better in grouped CV, worse with the threshold held out)",
    )
    args = parser.parse_args(argv)
    taxonomy = load_taxonomy(args.topics_file)
    articles = load_labelled(args.data, TRAIN_SPLITS)
    print(f"featurizing {len(articles)} articles ({', '.join(TRAIN_SPLITS)})", file=sys.stderr)
    data = featurize(articles, taxonomy)
    held = None
    if args.hold_out:
        held = [i for i, a in enumerate(articles) if a.split == args.hold_out]
        rest = [i for i, a in enumerate(articles) if a.split != args.hold_out]
        full, data = data, subset(data, rest)
    per_language = args.per_language
    params, threshold, probs, cv = _choose(data, per_language, args.errors)
    if held is not None:
        fitted = fit(data, range(len(data.articles)), params)
        out = np.zeros(full.labels.shape)
        out[held] = predict_proba(fitted, full, held)
        print(f"held-out split {args.hold_out!r}, scored by a layer fitted on every other split:")
        for line in cv_report(full, out, threshold, rows=held):
            print(line)
        if args.errors:
            for aid, missed, spurious in _score(full, out, threshold, held).errors:
                print(f"    {aid}: missed {missed} spurious {spurious}")
        if args.cv_only:
            return 0
        # Then the shipped choice, the split back among the groups (features computed once).
        print(f"\nevery split, {args.hold_out!r} among them:")
        data = full
        params, threshold, probs, cv = _choose(data, per_language, args.errors)
    if args.cv_only:
        return 0
    model = train(data, params, threshold, taxonomy, cv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(model.to_json(), encoding="utf-8")
    print(f"wrote {args.out} ({len(model.vocab)} n-grams x {len(model.topics)} topics)")
    return 0


if __name__ == "__main__":
    if "OPENBLAS_NUM_THREADS" not in os.environ:
        # Fitting is many small matrix products: BLAS threads only contend (20x slower on two
        # busy cores), and numpy is imported (by the package) before this module runs.
        os.environ["OPENBLAS_NUM_THREADS"] = "1"
        os.execv(sys.executable, [sys.executable, "-m", "pipeline.tagging.train", *sys.argv[1:]])
    raise SystemExit(main())
