"""The second tagging method: sentence embeddings checked against each topic's examples.

The lexicon recognises what is *named*; an article that *describes* a topic ("the family
has not been told where he is held", «از محل نگهداری او اطلاعی ندارند», a beating told by
its methods) leaves only weak or cue hits. For those topics, and only those, this method
embeds the sentences that carry the hits (multilingual-e5-small, ``pipeline.tagging.embedder``)
and compares them with the topic's ``examples`` in ``config/topics.yaml`` and with the
taxonomy's background examples (ordinary news sentences that are about none of the topics):

* a topic the lexicon scored at least ``model.band`` x its threshold, but below it, is
  assigned when one of its sentences is at least ``confirm_margin`` more similar to the
  topic's nearest example than to the nearest background example;
* a topic with cue hits only needs ``alone_margin``;
* either way the topic must be among the ``max_rank`` topics nearest to that sentence, so a
  sentence about an arrest does not confirm a passing mention of a child.

Only these sentences are embedded (at most ``max_sentences`` per article, each cut to
``max_sentence_chars``), so an article the lexicon settles costs nothing more. A tag the
model assigned keeps the lexicon's evidence plus, for each sentence that carried it, its
offsets, field, similarity, margin and the nearest example.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.tagging.embedder import Embedder, get_embedder, model_id
from pipeline.tagging.sentences import Sentence, clip, sentence_at, split_sentences
from pipeline.tagging.tagger import METHOD as LEXICON_METHOD
from pipeline.tagging.tagger import (
    TEXT_CAP,
    LexiconTagger,
    TagResult,
    TopicScore,
    examined_length,
    lead_end,
)
from pipeline.tagging.taxonomy import Taxonomy

MODEL_METHOD = "e5-sentences/1"


@dataclass(frozen=True, slots=True)
class _Candidate:
    slug: str
    mode: str  # "confirm" (lexicon evidence below threshold) or "alone" (cue hits only)
    priority: float
    sentences: tuple[tuple[str, int], ...]  # (field, sentence index)


class Prototypes:
    """Embedded examples per topic and background examples, built once per taxonomy."""

    def __init__(self, taxonomy: Taxonomy, embedder: Embedder) -> None:
        self.examples: dict[str, list[str]] = {}
        self.vectors: dict[str, np.ndarray] = {}
        for slug, topic in taxonomy.topics.items():
            texts = topic.examples.en + topic.examples.fa
            if texts:
                self.examples[slug] = texts
                self.vectors[slug] = embedder.embed(texts)
        self.slugs = list(self.vectors)
        # Every topic's examples stacked, to ask which topic a sentence is nearest to.
        self.stacked = (
            np.concatenate([self.vectors[s] for s in self.slugs])
            if self.slugs
            else np.zeros((0, embedder.dim), np.float32)
        )
        self.bounds = np.cumsum([0] + [len(self.vectors[s]) for s in self.slugs])[:-1]
        bg = taxonomy.model.scoring.model.background
        texts = bg.en + bg.fa
        self.background = embedder.embed(texts) if texts else np.zeros((0, embedder.dim), np.float32)

    def nearest_topics(self, vectors: np.ndarray) -> np.ndarray:
        """(sentences, topics) best similarity of each sentence to each topic's examples."""
        if not self.slugs:
            return np.zeros((len(vectors), 0), np.float32)
        return np.maximum.reduceat(vectors @ self.stacked.T, self.bounds, axis=1)


class CombinedTagger:
    """The lexicon tagger, with the model deciding the topics the lexicon leaves uncertain."""

    def __init__(
        self,
        taxonomy: Taxonomy,
        *,
        text_cap: int | None = TEXT_CAP,
        embedder: Embedder | None = None,
        use_model: bool | None = None,
    ) -> None:
        self.taxonomy = taxonomy
        self.lexicon = LexiconTagger(taxonomy, text_cap=text_cap)
        self.text_cap = self.lexicon.text_cap
        self.config = taxonomy.model.scoring.model
        self.use_model = self.config.enabled if use_model is None else use_model
        self.method = f"{LEXICON_METHOD}+{MODEL_METHOD}" if self.use_model else LEXICON_METHOD
        self._embedder = embedder
        self._prototypes: Prototypes | None = None
        self.sentences_embedded = 0  # sentences shown to the model (cache hits included)

    @property
    def model_id(self) -> str:
        return model_id()

    def prototypes(self) -> Prototypes:
        """Embed the taxonomy's examples on first need (loads the model once per process)."""
        if self._prototypes is None:
            if self._embedder is None:
                self._embedder = get_embedder()
            self._prototypes = Prototypes(self.taxonomy, self._embedder)
        return self._prototypes

    def find_facets(self, text: str):  # noqa: ANN201 - same as the lexicon tagger's
        return self.lexicon.find_facets(text)

    def tag(self, title: str | None, text: str | None) -> TagResult:
        result = self.lexicon.tag(title, text)
        if not self.use_model:
            return result
        title = title or ""
        title = title[: examined_length(title, self.text_cap)]
        body = (text or "")[: result.text_examined]
        lead = lead_end(body, self.lexicon.scoring.lead_chars)
        sentences = {
            "title": [Sentence(0, len(title), title)] if title.strip() else [],
            "text": split_sentences(body),
        }
        starts = [s.start for s in sentences["text"]]
        candidates = self._candidates(result, sentences["text"], starts, bool(sentences["title"]))
        if not candidates:
            return result
        chosen = self._choose(candidates)
        if not chosen:
            return result
        protos = self.prototypes()
        keys = sorted(chosen)
        texts = [clip(self._sentence(sentences, k).text, self.config.max_sentence_chars) for k in keys]
        vectors = self._embedder.embed(texts)  # type: ignore[union-attr]
        self.sentences_embedded += len(texts)
        background = (
            (vectors @ protos.background.T).max(axis=1) if len(protos.background) else np.zeros(len(texts))
        )
        row = {k: i for i, k in enumerate(keys)}
        per_topic = protos.nearest_topics(vectors)
        # Rank of each topic for each sentence (0: the sentence's nearest topic).
        ranks = (-per_topic).argsort(axis=1).argsort(axis=1)
        col = {slug: j for j, slug in enumerate(protos.slugs)}
        for cand in candidates:
            proto = protos.vectors.get(cand.slug)
            mine = [k for k in cand.sentences if k in row]
            if proto is None or not mine:
                continue
            sims = vectors[[row[k] for k in mine]] @ proto.T
            need = self.config.confirm_margin if cand.mode == "confirm" else self.config.alone_margin
            carried = []
            for j, k in enumerate(mine):
                best = int(sims[j].argmax())
                sim = float(sims[j, best])
                margin = sim - float(background[row[k]])
                rank = int(ranks[row[k], col[cand.slug]])
                if margin >= need and rank < self.config.max_rank:
                    s = self._sentence(sentences, k)
                    carried.append(
                        {
                            "start": s.start,
                            "end": s.end,
                            "snippet": s.text,
                            "field": "title" if k[0] == "title" else ("lead" if s.start < lead else "body"),
                            "method": MODEL_METHOD,
                            "model": self.model_id,
                            "similarity": round(sim, 4),
                            "margin": round(margin, 4),
                            "rank": rank,
                            "example": protos.examples[cand.slug][best],
                        }
                    )
            if carried:
                lexical = result.scored.get(cand.slug)
                score = lexical.score if lexical else 0.0
                evidence = (lexical.evidence if lexical else []) + carried
                result.topics[cand.slug] = TopicScore(cand.slug, score, evidence)
        return result

    def _sentence(self, sentences: dict[str, list[Sentence]], key: tuple[str, int]) -> Sentence:
        return sentences["title" if key[0] == "title" else "text"][key[1]]

    def _candidates(
        self, result: TagResult, sentences: list[Sentence], starts: list[int], has_title: bool
    ) -> list[_Candidate]:
        out = []
        for slug in self.taxonomy.topics:
            if slug in result.topics:
                continue
            if slug in self.lexicon.needs_required and slug not in result.required_ok:
                continue
            lexical = result.scored.get(slug)
            threshold = self.taxonomy.threshold(slug)
            spans: list[tuple[str, int]] = []
            if lexical and lexical.score >= self.config.band * threshold:
                mode, priority = "confirm", lexical.score / threshold
                spans = [(e["field"], e["start"]) for e in lexical.evidence]
                spans += [(f, s) for f, s, _ in result.cue_hits.get(slug, ())]
            elif slug in result.cue_hits:
                mode, priority = "alone", 0.0
                spans = [(f, s) for f, s, _ in result.cue_hits[slug]]
            else:
                continue
            keys: list[tuple[str, int]] = []
            for fld, offset in spans:
                if fld == "title":
                    key = ("title", 0) if has_title else None
                else:
                    i = sentence_at(sentences, starts, offset)
                    key = ("text", i) if i is not None else None
                if key is not None and key not in keys:
                    keys.append(key)
            if keys:
                out.append(_Candidate(slug, mode, priority, tuple(keys)))
        return out

    def _choose(self, candidates: list[_Candidate]) -> set[tuple[str, int]]:
        """At most ``max_sentences`` sentences: the best-supported topics' first."""
        chosen: set[tuple[str, int]] = set()
        limit = self.config.max_sentences
        ordered = sorted(candidates, key=lambda c: -c.priority)
        # Round-robin over topics so one topic with many hits cannot take every slot.
        depth = 0
        while len(chosen) < limit and any(depth < len(c.sentences) for c in ordered):
            for cand in ordered:
                if depth < len(cand.sentences) and len(chosen) < limit:
                    chosen.add(cand.sentences[depth])
            depth += 1
        return chosen
