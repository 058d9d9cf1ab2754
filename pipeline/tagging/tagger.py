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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pipeline.tagging.matcher import TOKEN_PATTERN, Hit, Lexicon, tokenize
from pipeline.tagging.spans import Covering
from pipeline.tagging.taxonomy import Taxonomy, TermList, expand_term

METHOD = "lexicon/2"
FIELDS = ("title", "lead", "body")
MAX_EVIDENCE = 25
# The tagger reads at most this many characters of an article's text (and of its title):
# about 30,000 English words, far beyond any news article, while a hostile or broken page
# of many megabytes costs a bounded time. Tagging is linear in the text read (about 1.5 s
# per MB of text dense with lexicon terms), so the cap bounds it to a fraction of a second.
# The number of characters read is stored with the tagging (``article_taggings.text_examined``,
# with ``text_cap``); a cut falls before a word, never inside one.
TEXT_CAP = 200_000
# How far back from the cap to look for the start of the word the cap falls in.
_WORD_BACKOFF = 1_000
_SENTENCE_END = re.compile(r"[.!?؟۔]\s|\n")
_WORD_CHAR = re.compile(TOKEN_PATTERN)


def _is_side(kind: str) -> bool:
    """``requires:N`` and ``cue`` hits never score: they gate a topic or feed the model."""
    return kind == "cue" or kind.startswith("requires:")


@dataclass(frozen=True, slots=True)
class _TopicKey:
    kind: str  # "topic", "weak", "exclude", "requires:N" (N-th required list), "cue"
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
    text_examined: int = 0  # characters of the text read (the text's length unless capped)
    text_cap: int | None = None  # the cap in force (None: no cap)
    text_truncated: bool = False  # the cap cut the text: the rest of it was not read
    # Every scored topic with its evidence (assigned or not), and the topics whose ``requires``
    # terms or ``cues`` hit, with the spans of those hits: what a second method builds on.
    scored: dict[str, TopicScore] = field(default_factory=dict)
    cue_hits: dict[str, list[tuple[str, int, int]]] = field(default_factory=dict)
    required_ok: frozenset[str] = frozenset()

    @property
    def slugs(self) -> list[str]:
        return sorted(self.topics)


def examined_length(text: str, cap: int | None) -> int:
    """How much of ``text`` the tagger reads: all of it, or up to the cap, cut before a word.

    A cut inside a word would make a new word of its first letters ("executions" read as
    "execution"), so the cut moves back to the word's start (at most ``_WORD_BACKOFF``
    characters; a longer "word" is cut at the cap).
    """
    if cap is None or len(text) <= cap:
        return len(text)
    end = cap
    floor = max(0, cap - _WORD_BACKOFF)
    while end > floor and _is_word_char(text[end - 1]) and _is_word_char(text[end]):
        end -= 1
    return end if end > floor else cap


def _is_word_char(ch: str) -> bool:
    return _WORD_CHAR.fullmatch(ch) is not None


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

    def __init__(self, taxonomy: Taxonomy, *, text_cap: int | None = TEXT_CAP) -> None:
        if text_cap is not None and text_cap < 1:
            raise ValueError(f"text_cap must be at least 1 (or None), not {text_cap}")
        self.taxonomy = taxonomy
        self.text_cap = text_cap
        scoring = taxonomy.model.scoring
        self.scoring = scoring
        self.field_weights = scoring.field_weights.model_dump()
        self.topics = Lexicon()
        self.facets = Lexicon()
        for slug, topic in taxonomy.topics.items():
            self._add_terms(topic.terms, "topic", slug, 1.0)
            self._add_terms(topic.weak_terms, "weak", slug, scoring.weak_weight)
            self._add_terms(topic.exclude, "exclude", slug, 0.0)
            for index, required in enumerate(topic.requires):
                self._add_terms(required, f"requires:{index}", slug, 0.0)
            self._add_terms(topic.cues, "cue", slug, 0.0)
        self.needs_required = {slug: len(t.requires) for slug, t in taxonomy.topics.items() if t.requires}
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
        """Topics and facets of one article, reading at most ``text_cap`` characters of each."""
        title = title or ""
        title = title[: examined_length(title, self.text_cap)]
        full = text or ""
        text = full[: examined_length(full, self.text_cap)]
        matches, side = self._topic_matches(title, text)
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
                        "method": METHOD,
                    }
                )
            scored[slug] = TopicScore(slug, round(total, 6), evidence[:MAX_EVIDENCE])
        best = max((s.score for s in scored.values()), default=0.0)
        groups_hit: dict[str, set[str]] = defaultdict(set)
        for slug, kind, *_ in side:
            if kind.startswith("requires:"):
                groups_hit[slug].add(kind)
        required_ok = frozenset(
            slug for slug, n in self.needs_required.items() if len(groups_hit.get(slug, ())) == n
        )
        cue_hits: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
        for slug, kind, fld, start, end in side:
            if kind == "cue":
                cue_hits[slug].append((fld, start, end))
        assigned = {
            slug: s
            for slug, s in scored.items()
            if s.score >= self.taxonomy.threshold(slug)
            and s.score >= self.scoring.min_share * best
            and (slug not in self.needs_required or slug in required_ok)
        }
        return TagResult(
            topics=assigned,
            scores={slug: s.score for slug, s in scored.items()},
            facets=self.find_facets(text),
            text_examined=len(text),
            text_cap=self.text_cap,
            text_truncated=len(text) < len(full),
            scored=scored,
            cue_hits=dict(cue_hits),
            required_ok=required_ok,
        )

    def _topic_matches(self, title: str, text: str) -> tuple[dict[str, list[tuple]], list[tuple]]:
        """Per topic: (field, start, end, hit, weight) after blocking nested hits; and the
        (slug, kind, field, start, end) of ``requires`` and ``cue`` hits, which never score."""
        boundary = lead_end(text, self.scoring.lead_chars)
        out: dict[str, list[tuple]] = defaultdict(list)
        side: list[tuple] = []
        for source, is_title in ((title, True), (text, False)):
            hits = self.topics.find(source)
            if not hits:
                continue
            scoring = [h for h in hits if not _is_side(h.entry.payload.kind)]
            for hit in hits:
                key: _TopicKey = hit.entry.payload
                if _is_side(key.kind):
                    fld = "title" if is_title else ("lead" if hit.start < boundary else "body")
                    side.append((key.slug, key.kind, fld, hit.start, hit.end))
            kept = _unblocked(scoring)
            for hit in kept:
                key = hit.entry.payload
                if is_title:
                    fld = "title"
                else:
                    fld = "lead" if hit.start < boundary else "body"
                out[key.slug].append((fld, hit.start, hit.end, hit, key.weight))
        return out, side

    # -- facets -----------------------------------------------------------------------

    def find_facets(self, text: str) -> list[FacetHit]:
        """Gazetteer hits in ``text`` (the stored article text), longest match wins."""
        text = text[: examined_length(text, self.text_cap)]
        hits = self.facets.find(text, tokenize(text))
        by_facet: dict[str, list[Hit]] = defaultdict(list)
        for hit in hits:
            by_facet[hit.entry.payload.facet].append(hit)
        out: set[FacetHit] = set()
        for facet_hits in by_facet.values():
            inside_longer = _inside_longer(facet_hits)
            for hit in facet_hits:
                if inside_longer(hit):
                    continue
                key: _FacetKey = hit.entry.payload
                out.add(FacetHit(key.facet, key.value, hit.start, hit.end, text[hit.start : hit.end]))
        return sorted(out, key=lambda f: (f.start, f.facet, f.value))


def _inside_longer(hits: list[Hit]) -> Callable[[Hit], bool]:
    """Whether a hit lies inside a longer hit of ``hits`` (within one piece of a gapped one).

    A whole (ungapped) hit is longer than a hit it contains unless both cover the same
    span; a gapped hit is longer than each of its pieces, so a hit inside one of them
    always is. Answered by binary search (``Covering``), not by comparing every pair.
    """
    whole = Covering((h.start, h.end) for h in hits if not h.parts)
    pieces = Covering(span for h in hits for span in h.parts)
    return lambda h: whole.contains_other(h.start, h.end) or pieces.contains(h.start, h.end)


def _unblocked(hits: list[Hit]) -> list[Hit]:
    """Topic hits that are not inside a longer hit (any topic) or an exclude of their topic."""
    topical = [h for h in hits if h.entry.payload.kind != "exclude"]
    inside_longer = _inside_longer(topical)
    exclude_spans: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for h in hits:
        if h.entry.payload.kind == "exclude":
            exclude_spans[h.entry.payload.slug].extend(h.spans)
    excludes = {slug: Covering(spans) for slug, spans in exclude_spans.items()}
    kept: list[Hit] = []
    seen: set[tuple[str, int, int]] = set()
    for hit in sorted(topical, key=lambda h: -h.entry.payload.weight):
        key: _TopicKey = hit.entry.payload
        ident = (key.slug, hit.start, hit.end)
        if ident in seen:
            continue
        exclude = excludes.get(key.slug)
        if (exclude is not None and exclude.contains(hit.start, hit.end)) or inside_longer(hit):
            continue
        seen.add(ident)
        kept.append(hit)
    return kept
