"""The third layer: one logistic regression per topic over the article's words and the
first two methods' signals, trained on the labelled set (``pipeline.tagging.train``).

The lexicon and the sentence model were tuned by hand on the same articles they were
measured on, and lost about 0.15 micro-F1 on articles written later. A supervised layer
learns from every labelled split how much each signal is worth per topic, and which words
of a whole article (not only the lexicon's terms) go with a topic, so the choice is fitted
on data and measured by grouped cross-validation (train on every split but one, score the
one left out) instead of by eye.

Features of topic ``t`` for one article:

* the article's word unigrams and bigrams (normalised text; the title counted twice) and
  English word stems, ``log(1 + count)``, L2-normalised: shared by all topics, one weight
  vector per topic;
* the lexicon's signals for ``t`` (score over threshold, assigned, hits in the title and
  lead, number of hits, cue hits, ``requires`` met, its share of the article's best
  lexicon score) and whether the sentence model assigned ``t``.

A topic is assigned when its probability reaches the model's ``threshold`` (chosen by
cross-validation). A tag's evidence is the lexicon's and the sentence model's evidence for
it plus the sentence(s) whose words gave the topic most weight, with offsets: what
carried the model's decision. The weights live in a small JSON file whose ``version`` is
part of the method id, so a retrained model re-tags the archive as any method change does.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.tagging.matcher import stem_en
from pipeline.tagging.sentences import Sentence, split_sentences
from pipeline.tagging.tagger import TagResult
from pipeline.tagging.taxonomy import Taxonomy
from pipeline.textnorm import tokens

MODEL_FILE = Path(__file__).resolve().parent / "data" / "linear.json"
LEX_FEATURES = (
    "ratio",  # lexicon score / threshold, capped at 3
    "log_score",
    "assigned",
    "title_hit",
    "lead_hit",
    "hits",  # evidence spans, capped at 5, / 5
    "cues",  # cue hits, capped at 3, / 3
    "requires_ok",  # 1 when the topic has no ``requires`` or they are all met
    "sentence_model",  # the sentence model assigned the topic
    "share",  # lexicon score / the article's best lexicon score (what the story is mostly about)
)
MAX_EVIDENCE_SENTENCES = 2


def ngrams(text: str) -> list[str]:
    """Word unigrams and bigrams of ``text`` after normalisation (Persian ZWNJ joins split),
    plus ``~stem`` for each English word the lexicon's light stemmer shortens ("confessions",
    "confessed" -> ``~confess``), so one inflection seen in training counts for the others."""
    words = tokens(text)
    grams = words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]
    for w in words:
        if w.isascii() and w.isalpha():
            stem = stem_en(w)
            if stem != w:
                grams.append("~" + stem)
    return grams


def bag_of_words(title: str, text: str) -> dict[str, float]:
    """``log(1 + count)`` of each n-gram (the title counted twice), L2-normalised."""
    counts: dict[str, int] = {}
    for gram in ngrams(title) * 2 + ngrams(text):
        counts[gram] = counts.get(gram, 0) + 1
    values = {g: math.log1p(c) for g, c in counts.items()}
    norm = math.sqrt(sum(v * v for v in values.values())) or 1.0
    return {g: v / norm for g, v in values.items()}


def lexicon_features(
    result: TagResult, taxonomy: Taxonomy, model_tags: set[str], topics: tuple[str, ...] | None = None
) -> np.ndarray:
    """(topics, LEX_FEATURES) signals of the first two methods, in ``topics`` order (default:
    the taxonomy's; a model's own order when it decides)."""
    topics = tuple(taxonomy.topics) if topics is None else topics
    out = np.zeros((len(topics), len(LEX_FEATURES)), dtype=np.float64)
    needs = {slug for slug, t in taxonomy.topics.items() if t.requires}
    best = max((s.score for s in result.scored.values()), default=0.0)
    for i, slug in enumerate(topics):
        scored = result.scored.get(slug)
        score = scored.score if scored else 0.0
        ratio = score / taxonomy.threshold(slug)
        evidence = scored.evidence if scored else []
        fields = {e["field"] for e in evidence}
        requires_ok = slug not in needs or slug in result.required_ok
        out[i] = (
            min(ratio, 3.0),
            math.log1p(score),
            float(ratio >= 1.0 and requires_ok),
            float("title" in fields),
            float("lead" in fields),
            min(len(evidence), 5) / 5,
            min(len(result.cue_hits.get(slug, ())), 3) / 3,
            float(requires_ok),
            float(slug in model_tags),
            score / best if best > 0 else 0.0,
        )
    return out


@dataclass(frozen=True)
class LinearModel:
    """Per-topic weights: ``bow[gram]`` (one weight per topic), ``lex`` (topics x LEX_FEATURES)."""

    version: str
    topics: tuple[str, ...]
    vocab: dict[str, int]
    bow: np.ndarray  # (len(vocab), topics)
    lex: np.ndarray  # (topics, LEX_FEATURES)
    bias: np.ndarray  # (topics,)
    threshold: float
    meta: dict[str, Any]
    sha256: str

    @property
    def method(self) -> str:
        """``linear/1#<first 8 hex of the file's SHA-256>``: retrained weights are a new method."""
        return f"{self.version}#{self.sha256[:8]}" if self.sha256 else self.version

    def applies_to(self, taxonomy: Taxonomy) -> bool:
        """Only for the taxonomy's own topics (a custom topics file tags without it); their
        order in the file does not matter."""
        return set(taxonomy.topics) == set(self.topics)

    def probabilities(self, bow: dict[str, float], lex: np.ndarray) -> np.ndarray:
        logits = self.bias + (self.lex * lex).sum(axis=1)
        for gram, value in bow.items():
            j = self.vocab.get(gram)
            if j is not None:
                logits = logits + value * self.bow[j]
        return 1.0 / (1.0 + np.exp(-logits))

    def sentence_weights(self, sentences: list[Sentence], topic: int) -> list[float]:
        """How much each sentence's words push ``topic`` up (raw n-gram weights summed)."""
        column = self.bow[:, topic]
        out = []
        for sent in sentences:
            total = 0.0
            for gram in set(ngrams(sent.text)):
                j = self.vocab.get(gram)
                if j is not None:
                    total += float(column[j])
            out.append(total)
        return out

    def to_json(self) -> str:
        """Deterministic text: readable signal weights; the word weights as float16, base64."""
        grams = sorted(self.vocab, key=self.vocab.__getitem__)
        words = np.ascontiguousarray(self.bow, dtype="<f2")
        payload = {
            "version": self.version,
            "topics": list(self.topics),
            "lex_features": list(LEX_FEATURES),
            "threshold": round(float(self.threshold), 4),
            "bias": [round(float(b), 5) for b in self.bias],
            "lex": [[round(float(v), 5) for v in row] for row in self.lex],
            "meta": self.meta,
            "vocab": grams,
            "bow_float16_base64": base64.b64encode(words.tobytes()).decode("ascii"),
        }
        return json.dumps(payload, ensure_ascii=False, separators=(",", ":")) + "\n"

    @classmethod
    def from_json(cls, text: str) -> LinearModel:
        data = json.loads(text)
        if tuple(data["lex_features"]) != LEX_FEATURES:
            raise ValueError("model file was trained with other lexicon features; retrain it")
        grams = data["vocab"]
        topics = tuple(data["topics"])
        raw = np.frombuffer(base64.b64decode(data["bow_float16_base64"]), dtype="<f2")
        return cls(
            version=data["version"],
            topics=topics,
            vocab={g: i for i, g in enumerate(grams)},
            bow=raw.astype(np.float64).reshape(len(grams), len(topics)),
            lex=np.array(data["lex"], dtype=np.float64),
            bias=np.array(data["bias"], dtype=np.float64),
            threshold=float(data["threshold"]),
            meta=data.get("meta", {}),
            sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),  # of the file's bytes
        )


def linear_model_sha256(path: Path = MODEL_FILE) -> str | None:
    """SHA-256 of the shipped weights file (None when absent), without parsing it."""
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


@cache
def load_model(path: Path = MODEL_FILE) -> LinearModel | None:
    """The shipped model, read once per process; None when the file is absent."""
    if not path.exists():
        return None
    return LinearModel.from_json(path.read_text(encoding="utf-8"))


def decide(
    model: LinearModel,
    taxonomy: Taxonomy,
    result: TagResult,
    title: str,
    body: str,
    model_tags: set[str],
    lead: int = 0,
    bow: dict[str, float] | None = None,
) -> dict[str, tuple[float, list[dict[str, Any]]]]:
    """Topics the layer assigns: slug -> (probability, the sentences that carried it).
    ``bow``: the article's ``bag_of_words(title, body)`` when already computed."""
    lex = lexicon_features(result, taxonomy, model_tags, model.topics)
    probs = model.probabilities(bag_of_words(title, body) if bow is None else bow, lex)
    chosen = [i for i, p in enumerate(probs) if p >= model.threshold]
    if not chosen:
        return {}
    sentences = [("title", s) for s in ([Sentence(0, len(title), title)] if title.strip() else [])]
    sentences += [("text", s) for s in split_sentences(body)]
    out: dict[str, tuple[float, list[dict[str, Any]]]] = {}
    for i in chosen:
        weights = model.sentence_weights([s for _, s in sentences], i)
        ranked = sorted(range(len(sentences)), key=lambda k: (-weights[k], k))
        evidence = []
        for k in ranked[:MAX_EVIDENCE_SENTENCES]:
            if weights[k] <= 0 and evidence:
                break
            where, sent = sentences[k]
            evidence.append(
                {
                    "start": sent.start,
                    "end": sent.end,
                    "snippet": sent.text,
                    "field": where if where == "title" else ("lead" if sent.start < lead else "body"),
                    "method": model.method,
                    "probability": round(float(probs[i]), 4),
                    "weight": round(weights[k], 4),
                }
            )
        out[model.topics[i]] = (float(probs[i]), evidence)
    return out
