"""The third layer: one logistic regression per topic over the article's words and the
first two methods' signals, trained on the labelled set (``pipeline.tagging.train``).

The lexicon and the sentence model were tuned by hand on the same articles they were
measured on, and lost about 0.15 micro-F1 on articles written later. A supervised layer
learns from every labelled split how much each signal is worth per topic, and which words
of a whole article (not only the lexicon's terms) go with a topic, so the choice is fitted
on data and measured by grouped cross-validation (train on every split but one, score the
one left out) instead of by eye.

Features of topic ``t`` for one article:

* the article's word unigrams and bigrams (normalised text; the title counted twice),
  English word stems and stem bigrams, ``log(1 + count)``, L2-normalised: shared by all
  topics, one weight vector per topic;
* the lexicon's signals for ``t`` (score over threshold, assigned, hits in the title and
  lead, number of hits, cue hits, ``requires`` met, its share of the article's best
  lexicon score, the best lexicon ratio of any other topic, the most cues of ``t`` within
  one passage, the article's language) and whether the sentence model assigned ``t``.

A topic is assigned when its probability reaches the model's ``threshold`` (chosen by
cross-validation; the file may hold one per language, ``thresholds``, which linear/3 does
not use: grouped CV found no gain). A tag's evidence is the lexicon's and the sentence model's evidence for
it plus the sentence(s) whose words gave the topic most weight, with offsets: what
carried the model's decision. The weights live in a small JSON file whose ``version`` is
part of the method id, so a retrained model re-tags the archive as any method change does.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
from dataclasses import dataclass, field
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
    "other_best",  # the best lexicon ratio of any *other* topic, capped at 3, / 3
    "cue_cluster",  # most cue hits of the topic within one passage (CUE_WINDOW chars), capped at 3, / 3
    "persian",  # the article is Persian (``article_language``): a per-language bias per topic
)
MAX_EVIDENCE_SENTENCES = 2
# A description is several cues close together ("chained his arms above his head ... a bag
# over his head ... counted down"): how far apart, in characters of one field, they may be.
CUE_WINDOW = 250
_ARABIC_SCRIPT = re.compile(r"[\u0600-\u06FF\u0750-\u077F\uFB50-\uFDFF\uFE70-\uFEFF]")
_LATIN = re.compile(r"[A-Za-z]")


def article_language(title: str, text: str, sample: int = 2000) -> str:
    """``"fa"`` when the title and the start of the text hold more Arabic-script letters than
    Latin ones, else ``"en"``: the only two languages of the labelled set and the taxonomy."""
    head = (title or "") + " " + (text or "")[:sample]
    return "fa" if len(_ARABIC_SCRIPT.findall(head)) > len(_LATIN.findall(head)) else "en"


def _cue_cluster(hits: list[tuple[str, int, int]]) -> int:
    """Most hits within ``CUE_WINDOW`` characters of one field."""
    best = 0
    by_field: dict[str, list[int]] = {}
    for fld, start, _ in hits:
        by_field.setdefault(fld if fld == "title" else "text", []).append(start)
    for starts in by_field.values():
        starts.sort()
        lo = 0
        for hi, start in enumerate(starts):
            while start - starts[lo] > CUE_WINDOW:
                lo += 1
            best = max(best, hi - lo + 1)
    return best


def ngrams(text: str) -> list[str]:
    """Word unigrams and bigrams of ``text`` after normalisation (Persian ZWNJ joins split),
    plus ``~stem`` for each English word the lexicon's light stemmer shortens ("confessions",
    "confessed" -> ``~confess``), so one inflection seen in training counts for the others,
    and ``~stem ~stem`` for each pair of adjacent English words."""
    words = tokens(text)
    grams = words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]
    stems: list[str | None] = []
    for w in words:
        if w.isascii() and w.isalpha():
            stem = stem_en(w)
            stems.append(stem)
            if stem != w:
                grams.append("~" + stem)
        else:
            stems.append(None)
    # Stem bigrams of adjacent English words ("chained his arms" and "chains his arm" share
    # "~chain ~his", "~his ~arm"): one inflection seen in training counts for the others in a
    # two-word description too (new in linear/3, chosen by grouped CV).
    grams += [f"~{a} ~{b}" for a, b in zip(stems, stems[1:], strict=False) if a and b]
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
    result: TagResult,
    taxonomy: Taxonomy,
    model_tags: set[str],
    topics: tuple[str, ...] | None = None,
    lang: str = "en",
) -> np.ndarray:
    """(topics, LEX_FEATURES) signals of the first two methods, in ``topics`` order (default:
    the taxonomy's; a model's own order when it decides); ``lang``: ``article_language``."""
    topics = tuple(taxonomy.topics) if topics is None else topics
    out = np.zeros((len(topics), len(LEX_FEATURES)), dtype=np.float64)
    needs = {slug for slug, t in taxonomy.topics.items() if t.requires}
    best = max((s.score for s in result.scored.values()), default=0.0)
    ratios = {slug: s.score / taxonomy.threshold(slug) for slug, s in result.scored.items()}
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
            min(max((r for t, r in ratios.items() if t != slug), default=0.0), 3.0) / 3,
            min(_cue_cluster(result.cue_hits.get(slug, [])), 3) / 3,
            float(lang == "fa"),
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
    # Per-language thresholds (chosen by grouped CV); a language not in it uses ``threshold``.
    thresholds: dict[str, float] = field(default_factory=dict)

    def threshold_for(self, lang: str) -> float:
        return self.thresholds.get(lang, self.threshold)

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
            "thresholds": {k: round(float(v), 4) for k, v in sorted(self.thresholds.items())},
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
            thresholds={k: float(v) for k, v in data.get("thresholds", {}).items()},
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
    lang = article_language(title, body)
    lex = lexicon_features(result, taxonomy, model_tags, model.topics, lang)
    probs = model.probabilities(bag_of_words(title, body) if bow is None else bow, lex)
    threshold = model.threshold_for(lang)
    chosen = [i for i, p in enumerate(probs) if p >= threshold]
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
