"""The topic taxonomy file (``config/topics.yaml``): its schema, validation and loading.

A taxonomy is a set of leaf topics (each with a definition and English and Persian terms),
grouped under group codes, plus facet gazetteers (prisons, charges, courts, agencies). It is
validated with pydantic on load; every error names the file and the field at fault.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pipeline.textnorm import joined_key

SLUG_RE = r"^[a-z][a-z0-9_]*$"
FACETS = ("prison", "charge", "court", "agency", "place")
FacetName = Literal["prison", "charge", "court", "agency", "place"]
_ALTERNATION_RE = re.compile(r"\{([^{}]*)\}")
MAX_EXPANSIONS = 256


class TaxonomyError(ValueError):
    """A taxonomy file that cannot be used; the message names the file and the field."""


def expand_term(term: str) -> list[str]:
    """Expand ``{a|b|}`` alternations: ``"sentenced {him|her|} to death"`` gives three terms.

    An empty alternative drops that slot. Whitespace is collapsed in every expansion.
    """
    match = _ALTERNATION_RE.search(term)
    if not match:
        return [" ".join(term.split())]
    out: list[str] = []
    for alternative in match.group(1).split("|"):
        out.extend(expand_term(term[: match.start()] + alternative + term[match.end() :]))
        if len(out) > MAX_EXPANSIONS:
            raise ValueError(f"term {term!r} expands to more than {MAX_EXPANSIONS} variants")
    return out


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Term(_Strict):
    """One lexicon entry. ``exact`` forbids Persian suffixes (plural, ezafe, verb endings)."""

    term: str = Field(min_length=1)
    weight: float | None = Field(default=None, gt=0, le=10)
    exact: bool = False

    @field_validator("term")
    @classmethod
    def _matchable(cls, value: str) -> str:
        for variant in expand_term(value):
            if not joined_key(variant):
                raise ValueError(f"term {value!r} has a variant with no letters or digits")
        return value


def _as_terms(value: Any) -> Any:
    """Accept plain strings as well as ``{term, weight, exact}`` mappings."""
    if isinstance(value, list):
        return [{"term": v} if isinstance(v, str) else v for v in value]
    return value


class TermList(_Strict):
    """Terms by language: ``en`` (Latin script, inflected) and ``fa`` (Persian, normalised)."""

    en: list[Term] = Field(default_factory=list)
    fa: list[Term] = Field(default_factory=list)

    _coerce_en = field_validator("en", mode="before")(_as_terms)
    _coerce_fa = field_validator("fa", mode="before")(_as_terms)

    def __bool__(self) -> bool:
        return bool(self.en or self.fa)


class Examples(_Strict):
    """Sentences that describe a topic without naming it, by language: the model's prototypes."""

    en: list[str] = Field(default_factory=list)
    fa: list[str] = Field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.en or self.fa)


class Group(_Strict):
    label: str = Field(min_length=1)
    label_fa: str = Field(min_length=1)


class Topic(_Strict):
    code: str = Field(pattern=r"^[A-Z][0-9]+$")
    group: str
    label: str = Field(min_length=1)
    label_fa: str = Field(min_length=1)
    definition: str = Field(min_length=10)
    threshold: float | None = Field(default=None, gt=0)
    terms: TermList
    weak_terms: TermList = Field(default_factory=TermList)
    exclude: TermList = Field(default_factory=TermList)
    # The topic is assigned only when every one of these lists has a hit (if any are given):
    # stricter evidence for topics whose ordinary terms are generic ("released", «آزاد شد»).
    requires: list[TermList] = Field(default_factory=list)
    # Words that make a sentence worth showing to the model for this topic (described, not
    # named: "ceiling", "cable", «کف پا»); they never score on their own.
    cues: TermList = Field(default_factory=TermList)
    examples: Examples = Field(default_factory=Examples)

    @field_validator("terms")
    @classmethod
    def _both_languages(cls, value: TermList) -> TermList:
        missing = [lang for lang in ("en", "fa") if not getattr(value, lang)]
        if missing:
            raise ValueError(f"needs at least one term in {' and '.join(missing)}")
        return value


class FacetEntry(_Strict):
    value: str = Field(pattern=SLUG_RE)
    label: str = Field(min_length=1)
    label_fa: str | None = None
    terms: TermList = Field(default_factory=TermList)


class FieldWeights(_Strict):
    title: float = Field(default=3.0, ge=0)
    lead: float = Field(default=2.0, ge=0)
    body: float = Field(default=1.0, ge=0)


class ModelScoring(_Strict):
    """How the sentence-embedding method is combined with the lexicon (``pipeline.tagging.model``).

    A topic the lexicon scored at least ``band`` x its threshold, but below it, is assigned
    when one of its candidate sentences is at least ``confirm_margin`` closer to the topic's
    examples than to the background examples, and the topic is among the ``max_rank`` topics
    nearest to that sentence; a topic with only cue hits needs ``alone_margin``.
    """

    enabled: bool = True
    band: float = Field(default=0.3, ge=0, le=1)
    confirm_margin: float = Field(default=0.02)
    alone_margin: float = Field(default=0.05)
    alone_gap: float = Field(default=0.03)
    max_rank: int = Field(default=1, ge=1)
    max_sentences: int = Field(default=4, ge=0)
    max_sentence_chars: int = Field(default=300, ge=20)
    background: Examples = Field(default_factory=Examples)


class Scoring(_Strict):
    """How matches add up to a topic score (see ``pipeline.tagging.tagger``)."""

    threshold: float = Field(default=3.0, gt=0)
    weak_weight: float = Field(default=0.4, gt=0)
    field_weights: FieldWeights = Field(default_factory=FieldWeights)
    repeat_decay: float = Field(default=0.5, gt=0, le=1)
    phrase_bonus: float = Field(default=0.15, ge=0)
    max_phrase_factor: float = Field(default=1.6, ge=1)
    lead_chars: int = Field(default=400, ge=0)
    min_share: float = Field(default=0.0, ge=0, le=1)
    model: ModelScoring = Field(default_factory=ModelScoring)


class TaxonomyModel(_Strict):
    version: str = Field(min_length=1, pattern=r"^\S+$")
    description: str | None = None
    scoring: Scoring = Field(default_factory=Scoring)
    groups: dict[str, Group]
    topics: dict[str, Topic]
    facets: dict[FacetName, list[FacetEntry]] = Field(default_factory=dict)

    @field_validator("groups")
    @classmethod
    def _group_codes(cls, value: dict[str, Group]) -> dict[str, Group]:
        for code in value:
            if not re.fullmatch(r"[A-Z]", code):
                raise ValueError(f"group code {code!r} must be one capital letter")
        if not value:
            raise ValueError("at least one group is required")
        return value

    @field_validator("topics")
    @classmethod
    def _topic_slugs(cls, value: dict[str, Topic]) -> dict[str, Topic]:
        if not value:
            raise ValueError("at least one topic is required")
        for slug in value:
            if not re.fullmatch(SLUG_RE, slug):
                raise ValueError(f"topic slug {slug!r} must be lower_snake_case")
        return value

    @model_validator(mode="after")
    def _cross_references(self) -> TaxonomyModel:
        codes: dict[str, str] = {}
        for slug, topic in self.topics.items():
            if topic.group not in self.groups:
                raise ValueError(
                    f"topics.{slug}.group: unknown group {topic.group!r}"
                    f" (known: {', '.join(sorted(self.groups))})"
                )
            if not topic.code.startswith(topic.group):
                raise ValueError(
                    f"topics.{slug}.code: {topic.code!r} must start with its group {topic.group!r}"
                )
            if topic.code in codes:
                raise ValueError(f"topics.{slug}.code: {topic.code!r} is also used by {codes[topic.code]!r}")
            codes[topic.code] = slug
        for facet, entries in self.facets.items():
            seen: set[str] = set()
            for entry in entries:
                if entry.value in seen:
                    raise ValueError(f"facets.{facet}: value {entry.value!r} appears twice")
                seen.add(entry.value)
        return self


def _format_validation_error(path: Path, exc: ValidationError) -> str:
    lines = [f"{path}: invalid taxonomy ({exc.error_count()} error(s))"]
    for err in exc.errors():
        loc = ".".join(str(part) for part in err["loc"]) or "(top level)"
        lines.append(f"  {path}: field {loc}: {err['msg']}")
    return "\n".join(lines)


class Taxonomy:
    """A validated taxonomy plus where it came from and a hash of its content."""

    def __init__(self, model: TaxonomyModel, source: str | None = None) -> None:
        self.model = model
        self.source = source
        self.content: dict[str, Any] = model.model_dump(mode="json")
        self.sha256 = _sha256(self.content)

    @property
    def version(self) -> str:
        return self.model.version

    @property
    def topics(self) -> dict[str, Topic]:
        return self.model.topics

    def threshold(self, slug: str) -> float:
        topic = self.model.topics[slug]
        return topic.threshold if topic.threshold is not None else self.model.scoring.threshold

    def matching_fingerprint(self) -> str:
        """Hash of everything that can change a tagging result (not labels or definitions)."""
        return matching_fingerprint(self.content)

    @classmethod
    def from_content(cls, content: dict[str, Any], source: str | None = None) -> Taxonomy:
        return cls(TaxonomyModel.model_validate(content), source=source)


def _sha256(content: dict[str, Any]) -> str:
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def matching_fingerprint(content: dict[str, Any]) -> str:
    """Hash of the parts of a taxonomy's content that matching and scoring depend on."""
    keep_topic = ("threshold", "terms", "weak_terms", "exclude", "requires", "cues", "examples")
    reduced = {
        "scoring": content.get("scoring"),
        "topics": {
            slug: {k: topic.get(k) for k in keep_topic}
            for slug, topic in (content.get("topics") or {}).items()
        },
        "facets": {
            facet: [{"value": e.get("value"), "terms": e.get("terms")} for e in entries]
            for facet, entries in (content.get("facets") or {}).items()
        },
    }
    return _sha256(reduced)


def load_taxonomy(path: Path | str) -> Taxonomy:
    """Read and validate a taxonomy file; raise TaxonomyError naming the file and field."""
    path = Path(path)
    try:
        raw_text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise TaxonomyError(f"{path}: taxonomy file not found") from exc
    except OSError as exc:
        raise TaxonomyError(f"{path}: cannot read taxonomy file: {exc}") from exc
    try:
        raw = yaml.safe_load(raw_text)
    except yaml.YAMLError as exc:
        raise TaxonomyError(f"{path}: invalid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise TaxonomyError(f"{path}: expected a mapping at the top level, got {type(raw).__name__}")
    try:
        model = TaxonomyModel.model_validate(raw)
    except ValidationError as exc:
        raise TaxonomyError(_format_validation_error(path, exc)) from exc
    return Taxonomy(model, source=str(path))
