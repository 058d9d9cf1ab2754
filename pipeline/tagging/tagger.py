"""The lexicon tagger: what an article is *about*, with evidence, plus facet hits.

Scoring (all knobs live in the taxonomy's ``scoring`` section):

* every hit of a topic term counts ``weight x field weight x phrase factor``: the term's
  weight (``weight`` if given, else 1 for ``terms`` and ``scoring.weak_weight`` for
  ``weak_terms``); the field weight of where it occurs (title, lead, body); and a bonus
  for multi-word terms, which are more specific;
* repeats of the same term decay geometrically (``repeat_decay``), so frequency helps
  but one word repeated does not make a topic;
* a hit inside a longer hit of another topic ("mock execution" inside torture, "hunger
  strike" inside prison conditions) or inside an ``exclude`` phrase of its own topic does
  not count, nor does a shorter hit of the same topic inside a longer one;
* a topic is assigned when its score reaches its threshold (and, if ``min_share`` > 0,
  that share of the best topic's score). Passing mentions in the body stay below it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from pipeline.tagging.matcher import Hit, Lexicon, tokenize
from pipeline.tagging.taxonomy import Taxonomy, TermList, expand_term

METHOD = "lexicon/1"
FIELDS = ("title", "lead", "body")
MAX_EVIDENCE = 25
_SENTENCE_END = re.compile(r"[.!?؟۔]\s|\n")


@dataclass(frozen=True, slots=True)
class _TopicKey:
    kind: str  # "topic", "weak", "exclude"
    slug: str
    weight: float


@dataclass(frozen=True, slots=True)
class _FacetKey:
    facet: str
    value: str


@dataclass(slots=True)
class TopicScore:
    slug: str
    score: float
    evidence: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class FacetHit:
    facet: str
    value: str
    start: int
    end: int
    matched: str


@dataclass(slots=True)
class TagResult:
    """Assigned topics (slug -> score and evidence), every scored topic, and facet hits."""

    topics: dict[str, TopicScore]
    scores: dict[str, float]
    facets: list[FacetHit]

    @property
    def slugs(self) -> list[str]:
        return sorted(self.topics)


def lead_end(text: str, lead_chars: int) -> int:
    """End offset of the lead: the sentence that ends after half of ``lead_chars``."""
    if lead_chars <= 0 or not text:
        return 0
    if len(text) <= lead_chars:
        return len(text)
    for m in _SENTENCE_END.finditer(text, lead_chars // 2):
        if m.end() <= lead_chars * 1.5:
            return m.end()
        break
    return lead_chars


class LexiconTagger:
    """Multi-label tagger built from a taxonomy; immutable once built, cheap to call."""

    method = METHOD

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        scoring = taxonomy.model.scoring
        self.scoring = scoring
        self.field_weights = scoring.field_weights.model_dump()
        self.topics = Lexicon()
        self.facets = Lexicon()
        for slug, topic in taxonomy.topics.items():
            self._add_terms(topic.terms, "topic", slug, 1.0)
            self._add_terms(topic.weak_terms, "weak", slug, scoring.weak_weight)
            self._add_terms(topic.exclude, "exclude", slug, 0.0)
        for facet, entries in taxonomy.model.facets.items():
            for entry in entries:
                for term in entry.terms.en + entry.terms.fa:
                    for variant in expand_term(term.term):
                        self.facets.add(variant, _FacetKey(facet, entry.value), exact=term.exact)

    def _add_terms(self, terms: TermList, kind: str, slug: str, default_weight: float) -> None:
        for term in terms.en + terms.fa:
            weight = term.weight if term.weight is not None else default_weight
            for variant in expand_term(term.term):
                self.topics.add(variant, _TopicKey(kind, slug, weight), exact=term.exact)

    # -- topics -----------------------------------------------------------------------

    def tag(self, title: str | None, text: str | None) -> TagResult:
        title = title or ""
        text = text or ""
        matches = self._topic_matches(title, text)
        scored: dict[str, TopicScore] = {}
        decay = self.scoring.repeat_decay
        for slug, items in matches.items():
            items.sort(key=lambda m: (FIELDS.index(m[0]), m[1]))
            seen: dict[str, int] = defaultdict(int)
            total = 0.0
            evidence = []
            for fld, start, end, hit, weight in items:
                factor = min(
                    self.scoring.max_phrase_factor,
                    1.0 + self.scoring.phrase_bonus * (hit.entry.n_tokens - 1),
                )
                total += weight * self.field_weights[fld] * factor * decay ** seen[hit.pattern]
                seen[hit.pattern] += 1
                source = title if fld == "title" else text
                evidence.append(
                    {
                        "start": start,
                        "end": end,
                        "snippet": source[start:end],
                        "term": hit.entry.term,
                        "field": fld,
                    }
                )
            scored[slug] = TopicScore(slug, round(total, 6), evidence[:MAX_EVIDENCE])
        best = max((s.score for s in scored.values()), default=0.0)
        assigned = {
            slug: s
            for slug, s in scored.items()
            if s.score >= self.taxonomy.threshold(slug) and s.score >= self.scoring.min_share * best
        }
        return TagResult(
            topics=assigned,
            scores={slug: s.score for slug, s in scored.items()},
            facets=self.find_facets(text),
        )

    def _topic_matches(self, title: str, text: str) -> dict[str, list[tuple]]:
        """Per topic: (field, start, end, hit, weight) after blocking nested hits."""
        boundary = lead_end(text, self.scoring.lead_chars)
        out: dict[str, list[tuple]] = defaultdict(list)
        for source, is_title in ((title, True), (text, False)):
            hits = self.topics.find(source)
            if not hits:
                continue
            kept = _unblocked(hits)
            for hit in kept:
                key: _TopicKey = hit.entry.payload
                if is_title:
                    fld = "title"
                else:
                    fld = "lead" if hit.start < boundary else "body"
                out[key.slug].append((fld, hit.start, hit.end, hit, key.weight))
        return out

    # -- facets -----------------------------------------------------------------------

    def find_facets(self, text: str) -> list[FacetHit]:
        """Gazetteer hits in ``text`` (the stored article text), longest match wins."""
        hits = self.facets.find(text, tokenize(text))
        by_facet: dict[str, list[Hit]] = defaultdict(list)
        for hit in hits:
            by_facet[hit.entry.payload.facet].append(hit)
        out: set[FacetHit] = set()
        for facet_hits in by_facet.values():
            for hit in facet_hits:
                if any(_strictly_inside(hit, other) for other in facet_hits):
                    continue
                key: _FacetKey = hit.entry.payload
                out.add(FacetHit(key.facet, key.value, hit.start, hit.end, text[hit.start : hit.end]))
        return sorted(out, key=lambda f: (f.start, f.facet, f.value))


def _inside(inner: Hit, outer: Hit) -> bool:
    """Whether ``inner`` lies within ``outer`` (within one piece of a gapped term)."""
    return any(start <= inner.start and inner.end <= end for start, end in outer.spans)


def _strictly_inside(inner: Hit, outer: Hit) -> bool:
    return (outer.end - outer.start) > (inner.end - inner.start) and _inside(inner, outer)


def _unblocked(hits: list[Hit]) -> list[Hit]:
    """Topic hits that are not inside a longer hit (any topic) or an exclude of their topic."""
    kept: list[Hit] = []
    seen: set[tuple[str, int, int]] = set()
    for hit in sorted(hits, key=lambda h: -h.entry.payload.weight):
        key: _TopicKey = hit.entry.payload
        if key.kind == "exclude":
            continue
        blocked = False
        for other in hits:
            okey: _TopicKey = other.entry.payload
            if okey.kind == "exclude":
                if okey.slug == key.slug and _inside(hit, other):
                    blocked = True
                    break
            elif _strictly_inside(hit, other):
                blocked = True
                break
        ident = (key.slug, hit.start, hit.end)
        if blocked or ident in seen:
            continue
        seen.add(ident)
        kept.append(hit)
    return kept
