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
* any other open topic is assigned when a sentence holding a cue (of any topic), or the
  title or first sentence of an article the lexicon gave no topic, is nearest
  to it by at least ``alone_margin`` over the background and ``alone_gap`` over the next
  topic, in the title or lead, or in two sentences (one described sentence deep in the
  body is a passing mention);
* either way the topic must be among the ``max_rank`` topics nearest to that sentence, so a
  sentence about an arrest does not confirm a passing mention of a child.

Only these sentences are embedded (at most ``max_sentences`` per article, each cut to
``max_sentence_chars``), so an article the lexicon settles costs nothing more. A tag the
model assigned keeps the lexicon's evidence plus, for each sentence that carried it, its
offsets, field, similarity, margin and the nearest example.
"""

from __future__ import annotations

import numpy as np

from pipeline.tagging.embedder import Embedder, get_embedder, model_id
from pipeline.tagging.linear import (
    LEX_FEATURES,
    LinearModel,
    article_language,
    bag_of_words,
    decide,
    lexicon_features,
    load_model,
)
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

MODEL_METHOD = "e5-sentences/2"
SENTENCE_MODEL_FEATURE = LEX_FEATURES.index("sentence_model")


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
        self.background_texts = texts
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
        use_linear: bool | None = None,
        linear: LinearModel | None = None,
    ) -> None:
        self.taxonomy = taxonomy
        self.lexicon = LexiconTagger(taxonomy, text_cap=text_cap)
        self.text_cap = self.lexicon.text_cap
        self.config = taxonomy.model.scoring.model
        self.use_model = self.config.enabled if use_model is None else use_model
        self.method = f"{LEXICON_METHOD}+{MODEL_METHOD}" if self.use_model else LEXICON_METHOD
        # The supervised layer: on by default when the sentence model is, and only for the
        # topics it was trained on (a custom taxonomy tags with the first two methods).
        self.linear: LinearModel | None = None
        if self.use_model and use_linear is not False:
            candidate = linear or load_model()
            if candidate is not None and candidate.applies_to(taxonomy):
                self.linear = candidate
            elif use_linear:
                raise ValueError("no linear model for this taxonomy's topics (retrain it)")
        if self.linear is not None:
            self.method = f"{self.method}+{self.linear.method}"
        self._embedder = embedder
        self._prototypes: Prototypes | None = None
        self.sentences_embedded = 0  # sentences shown to the model (cache hits included)
        self.articles_gated = 0  # articles ``tag`` decided without running the model

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
        """Topics of one article: the lexicon's and the sentence model's, then, with the
        supervised layer, the topics it assigns given both (with the sentences that carried it)."""
        if self.linear is None:
            return self.tag_signals(title, text)[0]
        result = self.lexicon.tag(title, text)
        model_tags: set[str] = set()
        bow = None
        if self.use_model:
            undecided, bow = self.undecided(result, title, text)
            if undecided:
                before = set(result.topics)
                self._tag_sentences(result, title, text, only=undecided)
                model_tags = set(result.topics) - before
            else:
                self.articles_gated += 1
        return self.decide(result, model_tags, title, text, bow=bow)

    def undecided(
        self, result: TagResult, title: str | None, text: str | None
    ) -> tuple[set[str], dict[str, float]]:
        """The topics whose decision by the linear layer the sentence model could still
        change, and the article's bag of words (computed once, reused by ``decide``).

        The sentence model reaches the layer through one signal per topic (it assigned the
        topic or not), and it can only assign a topic the lexicon left open. So the layer's
        probabilities are computed twice, with that signal off and on for every topic (the
        same code as the decision itself): a topic whose two answers agree is decided
        whatever the model says, and when every open topic is decided the model is not run.
        Tags are the same as with the model run on every article (tested on the labelled
        splits); a topic decided without it has no model sentences in its evidence.
        """
        assert self.linear is not None
        title = title or ""
        title = title[: examined_length(title, self.text_cap)]
        body = (text or "")[: result.text_examined]
        bow = bag_of_words(title, body)
        lang = article_language(title, body)
        lex = lexicon_features(result, self.taxonomy, set(), self.linear.topics, lang)
        off = self.linear.probabilities(bow, lex)
        lex[:, SENTENCE_MODEL_FEATURE] = 1.0
        on = self.linear.probabilities(bow, lex)
        th = self.linear.threshold_for(lang)
        flips = {t for t, a, b in zip(self.linear.topics, off, on, strict=True) if (a >= th) != (b >= th)}
        return {t for t in self._open_topics(result) if t in flips}, bow

    def decide(
        self,
        result: TagResult,
        model_tags: set[str],
        title: str | None,
        text: str | None,
        bow: dict[str, float] | None = None,
    ) -> TagResult:
        """Replace ``result``'s topics by the linear layer's: each keeps the earlier methods'
        evidence for it plus the sentences whose words carried the decision."""
        assert self.linear is not None
        title = title or ""
        title = title[: examined_length(title, self.text_cap)]
        body = (text or "")[: result.text_examined]
        lead = lead_end(body, self.lexicon.scoring.lead_chars)
        decided = decide(self.linear, self.taxonomy, result, title, body, model_tags, lead, bow=bow)
        topics = {}
        for slug, (probability, evidence) in decided.items():
            earlier = result.topics.get(slug) or result.scored.get(slug)
            topics[slug] = TopicScore(
                slug, round(probability, 4), (earlier.evidence if earlier else []) + evidence
            )
        result.topics = topics
        return result

    def tag_signals(self, title: str | None, text: str | None) -> tuple[TagResult, set[str]]:
        """The first two methods' result, and the topics the sentence model assigned."""
        result = self.lexicon.tag(title, text)
        if not self.use_model:
            return result, set()
        before = set(result.topics)
        self._tag_sentences(result, title, text)
        return result, set(result.topics) - before

    def _open_topics(self, result: TagResult) -> list[str]:
        """Topics the sentence model may assign: not assigned by the lexicon, ``requires`` met."""
        return [
            slug
            for slug in self.taxonomy.topics
            if slug not in result.topics
            and (slug not in self.lexicon.needs_required or slug in result.required_ok)
        ]

    def _tag_sentences(
        self, result: TagResult, title: str | None, text: str | None, only: set[str] | None = None
    ) -> TagResult:
        """Add the topics the model assigns. With ``only``, decide just those topics: the
        sentences are chosen as for every open topic (so each topic's answer is the same as
        without ``only``), and only the chosen sentences those topics read are embedded."""
        title = title or ""
        title = title[: examined_length(title, self.text_cap)]
        body = (text or "")[: result.text_examined]
        lead = lead_end(body, self.lexicon.scoring.lead_chars)
        sentences = {
            "title": [Sentence(0, len(title), title)] if title.strip() else [],
            "text": split_sentences(body),
        }
        starts = [s.start for s in sentences["text"]]
        open_topics = self._open_topics(result)
        confirm, cue_keys = self._candidates(result, open_topics, sentences, starts)
        if not result.topics:
            # The lexicon found nothing: after any cue sentences, read the title and the first
            # sentence too, so an article that only describes its topic can still get one.
            first = [("title", 0)] if sentences["title"] else []
            first += [("text", 0)] if sentences["text"] else []
            cue_keys = cue_keys + [k for k in first if k not in cue_keys]
        chosen = self._choose(confirm, cue_keys)
        if only is not None:
            # A topic reads its own confirm sentences and every cue sentence (see below).
            read = set(cue_keys).union(*(confirm.get(slug, ()) for slug in only))
            chosen = [k for k in chosen if k in read]
            open_topics = [slug for slug in open_topics if slug in only]
        if not chosen:
            return result
        protos = self.prototypes()
        texts = [clip(self._sentence(sentences, k).text, self.config.max_sentence_chars) for k in chosen]
        vectors = self._embedder.embed(texts)  # type: ignore[union-attr]
        self.sentences_embedded += len(texts)
        background = (
            (vectors @ protos.background.T).max(axis=1) if len(protos.background) else np.zeros(len(texts))
        )
        # margin[i, j]: how much nearer sentence i is to topic j's examples than to background.
        margin = protos.nearest_topics(vectors) - background[:, None]
        order = np.argsort(-margin, axis=1)
        col = {slug: j for j, slug in enumerate(protos.slugs)}
        row = {k: i for i, k in enumerate(chosen)}
        cfg = self.config
        for slug in open_topics:
            j = col.get(slug)
            if j is None:
                continue
            own = [k for k in confirm.get(slug, ()) if k in row]
            pool = own + [k for k in cue_keys if k in row and k not in own]
            carried: list[tuple[tuple[str, int], float, float]] = []
            for k in pool:
                i = row[k]
                nearest = order[i, : cfg.max_rank]
                if j not in nearest:
                    continue
                gap = margin[i, j] - max((margin[i, x] for x in order[i, :2] if x != j), default=-1.0)
                if slug in confirm and k in own and margin[i, j] >= cfg.confirm_margin:
                    carried.append((k, float(margin[i, j]), float(gap)))
                elif margin[i, j] >= cfg.alone_margin and gap >= cfg.alone_gap:
                    carried.append((k, float(margin[i, j]), float(gap)))
            if not carried:
                continue
            confirmed = slug in confirm and any(k in own for k, _, _ in carried)
            in_lead = any(k[0] == "title" or self._sentence(sentences, k).start < lead for k, _, _ in carried)
            if not (confirmed or in_lead or len(carried) >= 2):
                continue  # described once, deep in the body: a passing mention
            evidence = []
            for k, m, gap in carried:
                sent = self._sentence(sentences, k)
                sims = vectors[row[k]] @ protos.vectors[slug].T
                best = int(sims.argmax())
                evidence.append(
                    {
                        "start": sent.start,
                        "end": sent.end,
                        "snippet": sent.text,
                        "field": "title" if k[0] == "title" else ("lead" if sent.start < lead else "body"),
                        "method": MODEL_METHOD,
                        "model": self.model_id,
                        "similarity": round(float(sims[best]), 4),
                        "margin": round(m, 4),
                        "gap": round(gap, 4),
                        "example": protos.examples[slug][best],
                    }
                )
            lexical = result.scored.get(slug)
            score = lexical.score if lexical else 0.0
            result.topics[slug] = TopicScore(slug, score, (lexical.evidence if lexical else []) + evidence)
        return result

    def _sentence(self, sentences: dict[str, list[Sentence]], key: tuple[str, int]) -> Sentence:
        return sentences["title" if key[0] == "title" else "text"][key[1]]

    def _key(
        self, sentences: dict[str, list[Sentence]], starts: list[int], fld: str, offset: int
    ) -> tuple[str, int] | None:
        if fld == "title":
            return ("title", 0) if sentences["title"] else None
        i = sentence_at(sentences["text"], starts, offset)
        return ("text", i) if i is not None else None

    def _candidates(
        self,
        result: TagResult,
        open_topics: list[str],
        sentences: dict[str, list[Sentence]],
        starts: list[int],
    ) -> tuple[dict[str, list[tuple[str, int]]], list[tuple[str, int]]]:
        """Topics to confirm (lexicon score within the band) with their sentences, in order
        of support; and every sentence holding a cue of an open topic, most cues first."""
        confirm: dict[str, list[tuple[str, int]]] = {}
        ranked = []
        for slug in open_topics:
            lexical = result.scored.get(slug)
            threshold = self.taxonomy.threshold(slug)
            if lexical and lexical.score >= self.config.band * threshold:
                spans = [(e["field"], e["start"]) for e in lexical.evidence]
                spans += [(f, s) for f, s, _ in result.cue_hits.get(slug, ())]
                keys = []
                for fld, offset in spans:
                    key = self._key(sentences, starts, fld, offset)
                    if key is not None and key not in keys:
                        keys.append(key)
                if keys:
                    ranked.append((-lexical.score / threshold, slug, keys))
        for _, slug, keys in sorted(ranked):
            confirm[slug] = keys
        cue_count: dict[tuple[str, int], int] = {}
        for slug in open_topics:
            for fld, offset, _ in result.cue_hits.get(slug, ()):
                key = self._key(sentences, starts, fld, offset)
                if key is not None:
                    cue_count[key] = cue_count.get(key, 0) + 1
        # The sentences with most cues first (a description is several cues), then in order.
        return confirm, sorted(cue_count, key=lambda k: (-cue_count[k], k[0] != "title", k[1]))

    def _choose(
        self, confirm: dict[str, list[tuple[str, int]]], cue_keys: list[tuple[str, int]]
    ) -> list[tuple[str, int]]:
        """At most ``max_sentences`` sentences: the topics to confirm first (round-robin, so
        one topic with many hits cannot take every slot), then cue sentences."""
        chosen: list[tuple[str, int]] = []
        limit = self.config.max_sentences
        lists = list(confirm.values())
        depth = 0
        while len(chosen) < limit and any(depth < len(keys) for keys in lists):
            for keys in lists:
                if depth < len(keys) and len(chosen) < limit and keys[depth] not in chosen:
                    chosen.append(keys[depth])
            depth += 1
        for key in cue_keys:
            if len(chosen) >= limit:
                break
            if key not in chosen:
                chosen.append(key)
        return chosen
