"""Evaluation of a tagger on a labelled set: per-topic precision/recall/F1, micro and macro F1.

A labelled set is a folder of YAML files (``<split>_<lang>.yaml``), each a list of
``{id, lang, topics, title, text}``. See ``tests/data/tagging/README.md``.

Splits: ``dev`` (the lexicon was tuned on it), ``test`` (held out, then used for fixes),
``blind`` (written without seeing the lexicon; since taxonomy 2026.12-1 it is tuning data
too), ``train`` (items written for the error classes of issue 14), ``holdout`` (written
and labelled before the second method was tuned and run once; since the linear layer it is
training data like the others) and ``final`` (written blind for the linear layer; never
trained or tuned on, run once by name; spent since, and training data like the others),
``audit`` (written blind for linear/2, run once; spent since, training data since linear/3),
``probe`` (written blind for linear/3, run once; spent since, training data since linear/4),
``extra`` (written by the tuner of linear/4 from the taxonomy's definitions, not blind:
training data only) and ``sample`` (written blind by someone else for issue 14's independent
measure: never opened here unless named, never trained or tuned on, run once by the
integrator). ``"all"`` means dev + test; ``"tuning"`` dev, test, blind and train.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

DEVELOPMENT_SPLITS = ("dev", "test")
BLIND_SPLITS = ("blind",)
TUNING_SPLITS = ("dev", "test", "blind", "train")
HOLDOUT_SPLITS = ("holdout",)
FINAL_SPLITS = ("final",)  # spent: training data since linear/2 (``pipeline.tagging.train``)
# audit: run once on linear/2, training data since linear/3; probe: run once on linear/3,
# training data since linear/4.
SPENT_AUDIT_SPLITS = ("audit", "probe")
EXTRA_SPLITS = ("extra",)  # written by the tuner (not blind): training data only
# Blind splits that nothing opens unless it names them (``load_labelled(folder, "sample")``):
# not ``None`` ("every file"), not training, not the benchmark's ``each``.
AUDIT_SPLITS = ("sample",)
SPLITS = TUNING_SPLITS + HOLDOUT_SPLITS + FINAL_SPLITS


@dataclass(frozen=True)
class LabelledArticle:
    id: str
    lang: str
    split: str
    title: str
    text: str
    topics: frozenset[str]


def _selected(split: str | Iterable[str] | None) -> frozenset[str] | None:
    if split is None:
        return None
    if isinstance(split, str):
        if split == "all":
            return frozenset(DEVELOPMENT_SPLITS)
        if split == "tuning":
            return frozenset(TUNING_SPLITS)
        return frozenset((split,))
    return frozenset(split)


def load_labelled(folder: Path, split: str | Iterable[str] | None = "all") -> list[LabelledArticle]:
    """Articles of ``split`` from the YAML files in ``folder``.

    ``split`` is a split name, several names, ``"all"`` (dev + test, never blind) or None
    (every file but the blind splits' of ``AUDIT_SPLITS``). Ids must be unique across every
    file read, whatever is selected, so an article cannot sit in the blind split and in a
    development split at once. A blind split's files are not even opened unless it is named; when it is, its ids
    are checked against every other file's.
    """
    wanted = _selected(split)
    every: list[LabelledArticle] = []
    for path in sorted(Path(folder).glob("*.yaml")):
        file_split = path.stem.split("_", 1)[0]
        if file_split in AUDIT_SPLITS and (wanted is None or file_split not in wanted):
            continue
        for item in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            every.append(
                LabelledArticle(
                    id=item["id"],
                    lang=item["lang"],
                    split=file_split,
                    title=item["title"],
                    text=item["text"],
                    topics=frozenset(item.get("topics") or []),
                )
            )
    ids = [a.id for a in every]
    if len(ids) != len(set(ids)):
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        raise ValueError(f"{folder}: duplicate article ids {dupes}")
    return [a for a in every if wanted is None or a.split in wanted]


@dataclass
class TopicMetrics:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def support(self) -> int:
        return self.tp + self.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Report:
    per_topic: dict[str, TopicMetrics]
    micro_precision: float
    micro_recall: float
    micro_f1: float
    macro_f1: float
    n_articles: int
    errors: list[tuple[str, list[str], list[str]]]  # id, missed, spurious

    def min_recall(self) -> tuple[str, float]:
        scored = [(t, m.recall) for t, m in self.per_topic.items() if m.support]
        return min(scored, key=lambda x: x[1]) if scored else ("", 1.0)


def evaluate(
    predict: Callable[[LabelledArticle], Iterable[str]],
    articles: list[LabelledArticle],
    topics: Iterable[str],
) -> Report:
    """Score ``predict`` on ``articles``; macro F1 averages topics that have support."""
    per_topic = {t: TopicMetrics() for t in topics}
    errors = []
    for article in articles:
        predicted = set(predict(article))
        gold = set(article.topics)
        for t in predicted | gold:
            m = per_topic.setdefault(t, TopicMetrics())
            if t in predicted and t in gold:
                m.tp += 1
            elif t in predicted:
                m.fp += 1
            else:
                m.fn += 1
        if predicted != gold:
            errors.append((article.id, sorted(gold - predicted), sorted(predicted - gold)))
    tp = sum(m.tp for m in per_topic.values())
    fp = sum(m.fp for m in per_topic.values())
    fn = sum(m.fn for m in per_topic.values())
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    supported = [m.f1 for m in per_topic.values() if m.support]
    return Report(
        per_topic=per_topic,
        micro_precision=p,
        micro_recall=r,
        micro_f1=2 * p * r / (p + r) if p + r else 0.0,
        macro_f1=sum(supported) / len(supported) if supported else 0.0,
        n_articles=len(articles),
        errors=errors,
    )


def format_report(report: Report, title: str = "") -> str:
    lines = []
    if title:
        lines.append(title)
    lines.append(f"{'topic':<36} {'P':>6} {'R':>6} {'F1':>6} {'tp':>4} {'fp':>4} {'fn':>4}")
    for topic, m in sorted(report.per_topic.items()):
        lines.append(
            f"{topic:<36} {m.precision:6.2f} {m.recall:6.2f} {m.f1:6.2f} {m.tp:4d} {m.fp:4d} {m.fn:4d}"
        )
    lines.append(
        f"micro P {report.micro_precision:.3f}  R {report.micro_recall:.3f}"
        f"  F1 {report.micro_f1:.3f} | macro F1 {report.macro_f1:.3f}"
        f" | articles {report.n_articles}"
    )
    return "\n".join(lines)
