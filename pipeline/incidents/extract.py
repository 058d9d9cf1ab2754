"""Incident mentions in one article: what happened, to whom, where, when, on whose word.

Rule-based and explainable: a *trigger* (a kind and stage phrase, ``lexicon.KIND_PATTERNS``)
in a sentence makes a mention; its victims, charge, place and date are read from that
sentence, then from its neighbours, then from the article; every field keeps the
character span (``evidence``) it was read from, offsets into the stored text. Mentions of
the same kind and victims in one article are one mention. A mention dated well before
publication, or next to an anniversary cue, is a *background* mention.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

from pipeline.extraction.jalali import fold_chars
from pipeline.incidents import lexicon as L
from pipeline.incidents.dates import DateHit, find_dates, format_date
from pipeline.incidents.names import SAME_PERSON, name_similarity
from pipeline.incidents.people import (
    NOT_NAME_WORDS,
    Victim,
    article_names,
    capitalised_names,
    counted_groups,
    details_elsewhere,
    english_names,
    fill_details,
    name_shaped,
    persian_names,
)
from pipeline.tagging.tagger import TEXT_CAP, examined_length

# 2: the test split's error classes fixed (stored articles are read again)
# 3: the spent holdout split's error classes fixed with general rules (read again)
EXTRACTOR_VERSION = "incidents-rules 5"
KINDS = ("execution", "death_sentence", "death_in_custody", "extrajudicial_killing", "flogging", "amputation")
CHARGES = (
    "drug",
    "murder_qisas",
    "moharebeh",
    "rape_sexual",
    "espionage",
    "armed_robbery",
    "other",
    "unknown",
)
BACKGROUND_DAYS = 120  # an event this much older than the article is background, not news
# ... and this much older when told after the article's lead (a passing mention of an event
# more than about a month old recalls it; a late first report tells it in the lead)
PASSING_DAYS = 45
_SENTENCE = re.compile(r"[^.!?؟\n]+(?:[.!?؟]+|\n|$)")


@dataclass(frozen=True, slots=True)
class ArticleInput:
    """What the extractor reads: text, title, publication date, language, outlet type."""

    text: str
    title: str = ""
    published: date | None = None
    language: str | None = None
    outlet_type: str | None = None  # rights_group | state_media | independent_media | un_body


@dataclass(slots=True)
class Mention:
    kind: str
    stage: str
    start: int  # the trigger
    end: int
    background: bool = False
    victims: list[Victim] = field(default_factory=list)
    charge: str = "unknown"
    prison: str | None = None
    city: str | None = None
    province: str | None = None
    event_date: str | None = None
    event_date_precision: str = "unknown"
    source_type: str = "media"
    evidence: dict[str, list] = field(default_factory=dict)
    inherited: bool = False  # victims read from other sentences than the trigger's
    recalled: bool = False  # background by a cue (anniversary, "two months after X was hanged")

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "stage": self.stage,
            "background": self.background,
            "victims": [v.as_dict() for v in self.victims],
            "charge": self.charge,
            "prison": self.prison,
            "city": self.city,
            "province": self.province,
            "event_date": self.event_date,
            "event_date_precision": self.event_date_precision,
            "source_type": self.source_type,
            "evidence": {"trigger": [self.start, self.end], **self.evidence},
        }


def sentences(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _SENTENCE.finditer(text) if m.group().strip()]


def _prison_finder(topics_file: str | None):
    """The tagger's gazetteer matcher for the taxonomy file in force (loaded once per file)."""
    from pipeline.settings import Settings

    return _finder_for(str(Path(topics_file) if topics_file else Settings.from_env().topics_file))


@lru_cache(maxsize=4)
def _finder_for(path: str):
    from pipeline.tagging.tagger import LexiconTagger
    from pipeline.tagging.taxonomy import load_taxonomy

    return LexiconTagger(load_taxonomy(Path(path)))


def _triggers(folded: str) -> list[tuple[str, str, int, int]]:
    """(kind, stage, start, end) of every trigger, overlaps resolved by pattern priority."""
    blocked = [(m.start(), m.end()) for m in L.scan(L.NOT_EVENT, folded)]
    hits: list[tuple[int, str, str, int, int]] = []
    for priority, (kind, stage, rx) in enumerate(L.KIND_PATTERNS):
        for m in L.scan(rx, folded):
            s, e = m.start(), m.end()
            while s < e and folded[s] == " ":
                s += 1
            if any(a <= s < b or a < e <= b for a, b in blocked):
                continue
            hits.append((priority, kind, stage, s, e))
    hits.sort()
    kept: list[tuple[str, str, int, int]] = []
    for _, kind, stage, s, e in hits:
        if any(a < e and s < b for _, _, a, b in kept):
            continue
        kept.append((kind, stage, s, e))
    kept.sort(key=lambda h: h[2])
    return kept


def _victims_in(text: str, folded: str, span: tuple[int, int], persian: bool, known=()) -> list[Victim]:
    s, e = span
    names = persian_names(text, folded, s, e) if persian else english_names(text, s, e)
    names = [v for v in names if name_shaped(v, fold_chars(v.name), persian)]
    if known:
        names = _with_article_names(text, s, e, names, known)
    # "relatives and a former prisoner told ...", «یک زندانی سابق گفت»: the teller, not a victim
    groups = [g for g in counted_groups(folded, s, e) if not _TELLS.match(folded, g.end, min(e, g.end + 40))]
    # A count next to names that it sums ("two men, Reza X and Ali Y") is not a new group.
    if names:  # "five prisoners, including X": the named and the rest of the group
        for k, g in enumerate(groups):  # "three people, including a boy named X": X is the part
            if g.part and k > 0:
                groups[k - 1].count += g.count
        groups = [g for g in groups if not g.part]
        rest = []
        for g in groups:
            if _OTHER_GROUP.search(folded, g.start, g.end):
                rest.append(g)  # "X, with two other men": the two are besides X
            elif g.count > len(names):
                g.count -= len(names)
                rest.append(g)
        groups = rest[:1]
    return names + groups


_TELLS = re.compile(
    r"(?:\s+[a-z]+){0,2}?\s+(?:told|said|says|reported|confirmed|wrote)\b"
    r"|(?:\s+[\u0620-\u064a\u066e-\u06d3]+){0,2}?\s+(?:گفت|گفته است|اعلام کرد|خبر داد)(?![\u0600-\u06ff])"
)


def _with_article_names(text: str, s: int, e: int, names: list[Victim], known) -> list[Victim]:
    """The article's people (``people.article_names``: told again elsewhere in the article)
    named in ``text[s:e]`` without a cue of their own ("Kurdish activist Shilan Mahmoudi"),
    and a given name told alone or before a fuller name ("Hossein Ali" of "Hossein Ali
    Jahanbin"), read as the person's full name."""
    out = list(names)
    for v in out:
        fuller = [n for n in known if n.startswith(v.name + " ")]
        if len(fuller) == 1:
            if text.startswith(fuller[0], v.start):
                v.end = v.start + len(fuller[0])
            v.name = fuller[0]
    for n in known:
        for m in re.finditer(rf"(?<![\w'’-]){re.escape(n)}(?![\w-])", text[s:e]):
            a, b = s + m.start(), s + m.end()
            if any(v.start < b and a < v.end for v in out):
                continue
            out.append(Victim(n, a, b, gender=None))
    # "Mr Azizi", "Azizi had spent ...": a surname alone is the one person of the article
    # told in full with it
    by_surname: dict[str, list[str]] = {}
    for n in known:
        by_surname.setdefault(n.split()[-1], []).append(n)
    for surname, full in by_surname.items():
        if len(full) != 1:
            continue
        for m in re.finditer(rf"(?<![\w'’-]){re.escape(surname)}(?![\w-])", text[s:e]):
            a, b = s + m.start(), s + m.end()
            if any(v.start <= a < v.end or v.start < b <= v.end for v in out):
                continue
            out.append(Victim(full[0], a, b, gender=None))
    out.sort(key=lambda v: v.start)
    return out


def _nearest(hits: list, pos: int, key=lambda h: h.start):
    return min(hits, key=lambda h: abs(key(h) - pos)) if hits else None


def examined(text: str) -> int:
    """How much of a text is read: all of it up to the tagger's cap (``TEXT_CAP``, cut
    before a word), so a broken multi-megabyte page costs a bounded time."""
    return examined_length(text, TEXT_CAP)


def extract_mentions(article: ArticleInput, *, topics_file: str | None = None) -> list[Mention]:
    """Every incident mention in the article (its first ``TEXT_CAP`` characters), merged
    per (kind, stage, victims)."""
    text = article.text or ""
    text = text[: examined(text)]
    folded = fold_chars(text)
    persian = (article.language or "").startswith("fa") or _mostly_persian(text)
    sents = sentences(text)
    if not sents:
        return []
    raw = _triggers(folded)
    if not raw:
        return []
    # Dates, places and charges are read near the triggers (two sentences either side),
    # so the rest of a long article is not scanned; the article-wide fallbacks of charge
    # and prison read the whole text only when a mention needs them.
    near_text, near_folded = _near_triggers(text, folded, sents, raw)
    dates = find_dates(near_text, article.published, folded=near_folded)
    triggers = _event_triggers(raw, text, folded, sents, dates, persian)
    if not triggers:
        return []
    known = [] if persian else article_names(text, article.title or "", persian)
    finder = _prison_finder(topics_file)
    whole = near_text is text  # every sentence is near a trigger: one scan serves both
    prisons = _Lazy(
        lambda: [h for h in finder.find_facets(near_text) if h.facet == "prison"],
        lambda: [h for h in finder.find_facets(text) if h.facet == "prison"],
        whole,
    )
    cities = _places(near_folded, "city", text)
    provinces = _places(near_folded, "province")
    article_source = _outlet_source(article.outlet_type)
    charges = _Lazy(lambda: _charges(near_folded), lambda: _charges(folded), whole)

    mentions: list[Mention] = []
    for kind, stage, ts, te, anaphoric in triggers:
        si = next(i for i, (a, b) in enumerate(sents) if a <= ts < b)
        sent = sents[si]
        mention = Mention(kind, stage, ts, te)
        mention.victims = _mention_victims(
            text, folded, sents, si, persian, ts, te, anaphoric, dates, raw, known
        )
        mention.inherited = not any(sent[0] <= v.start < sent[1] for v in mention.victims)
        told = [v for v in mention.victims if sent[0] <= v.start < sent[1] and (v.start, v.end) != (ts, te)]
        if not told and _VAGUE_SUBJECT.search(folded, sent[0], ts):
            continue  # "several people convicted of ... have been executed": talk, no event
        _split_described_part(mention.victims, folded, sents, si)
        if kind != "extrajudicial_killing":
            _drop_offence_victims(mention, folded)
        for v in mention.victims:
            own = next(((a, b) for a, b in sents if a <= v.start < b), sent)
            fill_details(v, text, folded, own, sent)
        for v in mention.victims:  # "six prisoners, among them a woman": her word, not theirs
            g = v.evidence.get("gender")
            if g and any(w is not v and w.start <= g[0] < w.end for w in mention.victims):
                v.gender = None
                del v.evidence["gender"]
        _set_charge(mention, charges, sents, si)
        _set_place(mention, prisons, cities, provinces, sents, si, folded)
        _set_date(mention, dates, sents, si, article.published, folded, persian, raw, text)
        _set_source(mention, folded, sent, article_source)
        mention.background = mention.background or _is_background(
            mention, folded, sent, article.published, lead=si <= 1
        )
        mentions.append(mention)
    title_commuted = bool(L.COMMUTED_CUES.search(fold_chars(article.title or "")))
    mentions = [
        m
        for m in mentions
        if not (m.kind == "death_sentence" and title_commuted) and not _commuted(m, folded, sents)
    ]
    mentions = [m for m in mentions if not _a_figure(m)]
    out = _examples_apart(_one_event_per_day_and_place(_drop_history(_merge(mentions))), folded, sents)
    for m in out:
        for v in m.victims:
            details_elsewhere(v, text, folded, sents)
        # a merged mention dated long before publication recalls an old incident
        lead = m.start < sents[min(1, len(sents) - 1)][1]
        m.background = m.background or _is_background(
            m, folded, (m.start, m.start), article.published, lead=lead
        )
        if m.background and m.event_date is None:
            _date_of_recollection(m, dates, sents, article.published)
        if m.stage == "at_risk":
            m.stage = "imminent"
    return out


def _date_of_recollection(m: Mention, dates: list[DateHit], sents, published: date | None) -> None:
    """An old act told without a date in its sentence ("Six years ago, X was hanged ... 'They
    took you in September 2019'") takes the nearest written date in the next two sentences
    that lies long before publication."""
    if published is None:
        return
    si = next((i for i, (a, b) in enumerate(sents) if a <= m.start < b), None)
    if si is None:
        return
    lo, hi = sents[si][0], sents[min(len(sents) - 1, si + 2)][1]
    old = [
        d
        for d in dates
        if lo <= d.start < hi and d.how != "relative" and (published - d.value).days > BACKGROUND_DAYS
    ]
    if old:
        d = min(old, key=lambda h: abs(h.start - m.start))
        m.event_date = format_date(d.value, d.precision)
        m.event_date_precision = d.precision
        m.evidence["event_date"] = [d.start, d.end]


NEAR = 2  # sentences either side of a trigger that dates, places and charges are read from
NOTIFIED_AFTER = 4  # how far after a sentence's trigger "the ruling was communicated on ..." is read


def _near_triggers(text: str, folded: str, sents, raw) -> tuple[str, str]:
    """``text`` and ``folded`` with every sentence farther than ``NEAR`` from a trigger
    blanked (same length, so offsets hold)."""
    keep = [False] * len(sents)
    for _, _, ts, _ in raw:
        si = next(i for i, (a, b) in enumerate(sents) if a <= ts < b)
        for j in range(max(0, si - NEAR), min(len(sents), si + NEAR + 1)):
            keep[j] = True
        for j in range(si + NEAR + 1, min(len(sents), si + NOTIFIED_AFTER + 1)):
            keep[j] = keep[j] or bool(L.NOTIFIED_CUES.search(folded, *sents[j]))
    if all(keep):
        return text, folded
    spans, pos = [], 0
    for (a, b), k in zip(sents, keep, strict=True):
        if k:
            spans.append((pos, a, False))
            spans.append((a, b, True))
            pos = b
    t_parts, f_parts = [], []
    for a, b, kept in spans + [(pos, len(text), False)]:
        t_parts.append(text[a:b] if kept else " " * (b - a))
        f_parts.append(folded[a:b] if kept else " " * (b - a))
    return "".join(t_parts), "".join(f_parts)


class _Lazy:
    """Hits near the triggers, and the whole article's hits computed only when asked."""

    def __init__(self, near, everywhere, same: bool = False) -> None:
        self._near, self._everywhere = near, (near if same else everywhere)
        self._n = self._e = None
        self._same = same

    @property
    def near(self) -> list:
        if self._n is None:
            self._n = self._near()
        return self._n

    @property
    def everywhere(self) -> list:
        if self._same:
            return self.near
        if self._e is None:
            self._e = self._everywhere()
        return self._e


def _event_day_in(folded: str, a: int, b: int, dates) -> bool:
    """The sentence gives the day of an event: a day that is not an end of a span ("between
    1 and 30 November", «از ۱ آبان تا ۳۰ آبان», «در فاصله ۱۰ آبان تا ۹ آذر»)."""
    days = [d for d in dates if a <= d.start < b and d.precision == "day"]
    return any(not _span_end(folded, d, dates, a, b) for d in days)


_SPAN_OPEN = re.compile(r"(?:\bbetween|\bfrom|(?<![\u0600-\u06ff])(?:از|بین|میان|فاصله))\s*$")
_SPAN_JOIN = re.compile(r"\s*(?:and|to|until|through|-|–|تا|و)\s*$")


def _span_end(folded: str, d, dates, a: int, b: int) -> bool:
    others = [o for o in dates if a <= o.start < b and o is not d]
    for o in others:
        first, second = (d, o) if d.start < o.start else (o, d)
        if _SPAN_JOIN.match(folded, first.end, second.start) and _SPAN_OPEN.search(
            folded, max(a, first.start - 12), first.start
        ):
            return True
    return False


def _one_event(text: str, folded: str, a: int, b: int, dates, persian: bool) -> bool:
    """A sentence that names someone (or counts a group) and gives a day reports one event,
    even when it also has words of figures ("the execution on Wednesday of X, and the
    arrest of dozens", "twelve prisoners were hanged on Wednesday, the most this year").
    The ends of a span of days ("between 1 and 30 November") are no event's day."""
    if not _event_day_in(folded, a, b, dates):
        return False
    names = persian_names(text, folded, a, b) if persian else english_names(text, a, b)
    return bool(names) or bool(counted_groups(folded, a, b))


def _event_triggers(
    triggers, text: str, folded: str, sents, dates, persian: bool
) -> list[tuple[str, str, int, int, bool]]:
    """Triggers that report an event: not in a sentence of figures or generalities; a bare
    death verb becomes a death in custody or a killing by what the sentence says (or the
    sentence before: "... was shot by security forces. He died on the way to hospital").
    The last item tells an anaphoric trigger ("the sentence was carried out", «این حکم»):
    its victims are the ones named before it."""
    out = []
    families = [
        (ts, kind) for kind, stage, ts, _ in triggers if kind in ("death_sentence", "flogging", "amputation")
    ]
    for kind, stage, ts, te in triggers:
        si = next(i for i, (a, b) in enumerate(sents) if a <= ts < b)
        a, b = sents[si]
        if L.TALLY_CUES.search(folded, a, b):
            continue
        if L.STATISTIC_CUES.search(folded, a, b) and not _one_event(text, folded, a, b, dates, persian):
            continue
        habit = L.HABIT_CUES.search(folded, a, b)
        if habit and habit.start() < te:
            continue
        if L.AT_LEAST_CUES.search(folded, a, b) and not _event_day_in(folded, a, b, dates):
            continue
        anaphoric = kind in ("sentence_step", "sentence_act", "sentence_pending")
        if kind == "sentence_pending":
            kind = min(families, key=lambda f: abs(f[0] - ts))[1] if families else "death_sentence"
            stage = "upheld" if L.UPHELD_CUE.search(folded, a, b) else "issued"
        elif kind == "sentence_step":
            kind = min(families, key=lambda f: abs(f[0] - ts))[1] if families else "death_sentence"
        elif kind == "sentence_act":
            acts = [f for f in families if f[1] != "death_sentence"] + [
                (t, k) for k, _, t, _ in triggers if k == "execution"
            ]
            near = min(acts + families, key=lambda f: abs(f[0] - ts))[1] if acts + families else "execution"
            kind = "execution" if near == "death_sentence" else near
        if kind == "execution" and _halted(folded, ts, te, b):
            continue  # "the execution of X was postponed": it did not take place
        if kind in ("death", "extrajudicial_killing") and L.NON_STATE_ATTACKERS.search(folded, a, b):
            continue  # gunmen, smugglers: a crime, not a killing by state agents
        if kind == "death":
            pa = sents[si - 1][0] if si > 0 else a
            if L.SHOOTING_CONTEXT.search(folded, a, b) and L.STATE_AGENTS.search(folded, a, b):
                kind = "extrajudicial_killing"
            elif L.CUSTODY_CONTEXT.search(folded, a, b):
                kind = "death_in_custody"
            elif (
                pa < a
                and _PRONOUN_SUBJECT.match(folded, a)
                and L.SHOOTING_CONTEXT.search(folded, pa, a)
                and L.STATE_AGENTS.search(folded, pa, a)
            ):
                kind = "extrajudicial_killing"  # "X was shot by police. He died ..."
            else:
                continue
        elif kind == "extrajudicial_killing" and not L.STATE_AGENTS.search(folded, a, b):
            continue
        out.append((kind, stage, ts, te, anaphoric))
    return out


def _halted(folded: str, ts: int, te: int, b: int) -> bool:
    """The act's trigger is followed closely, in its sentence, by its postponement or halt
    ("The execution of X was postponed", «اجرای حکم اعدام X روز یکشنبه متوقف شد»)."""
    cue = L.HALTED_CUES.search(folded, ts, b)
    return cue is not None and cue.start() - te < 60


# a vague plural subject before the trigger: people in general, not anyone named before
_VAGUE_SUBJECT = re.compile(
    r"\b(?:several|many|some|numerous|dozens of|scores of|hundreds of|a number of)\s+(?:[a-z]+\s+)?"
    r"(?:people|prisoners|men|women|individuals|persons|others|detainees|protesters)\b"
    r"|(?<![\u0600-\u06ff])(?:چندین|ده ها|صدها|برخی|شماری از|تعدادی از|بسیاری از)(?![\u0600-\u06ff])"
)
_PRONOUN_SUBJECT = re.compile(r"\s*(?:he|she|they|او|وی)\b")
# a singular pronoun as the subject before the trigger, in the trigger's clause
_PRONOUN_BEFORE = re.compile(
    r"(?:^|[\s,])(?:he|she)(?:\s+(?:was|had|has|is|had been|has been))?\s*$|^\s*(?:او|وی)\s"
)


def _mention_victims(
    text, folded, sents, si, persian, ts, te, anaphoric=False, dates=(), raw=(), known=()
) -> list[Victim]:
    """Victims of the trigger in sentence ``si``: named in it, or counted in it and named in
    the next sentences ("A man was hanged ... He was identified as ..."), else the nearest.
    An anaphoric trigger with no victim of its own ("the sentence was carried out") takes
    those of the sentences before it."""
    here = _victims_in(text, folded, sents[si], persian, known)
    named = [v for v in here if v.name]
    if named:
        return here
    # "X had lived in Iran since ... On Sunday he was hanged, with two other men": a pronoun
    # subject before the trigger is the person named in the sentence before
    if si > 0 and _PRONOUN_BEFORE.search(folded[sents[si][0] : ts]):
        before = [v for v in _victims_in(text, folded, sents[si - 1], persian, known) if v.name]
        if len(before) == 1:
            return before + [v for v in here if not v.name and v.count > 1]
    if (anaphoric or _REFERS_BACK.search(folded, *sents[si])) and not here:
        for j in (si - 1, si - 2):
            if j >= 0:
                before = _victims_in(text, folded, sents[j], persian, known)
                if before:
                    return before
    groups = [v for v in here if not v.name]
    total = sum(v.count for v in groups) if groups else 0
    # a counted group named in the next sentences, one or several per sentence ("Two of the
    # three men have been identified. A was ... B was ..."): names are gathered from
    # consecutive sentences until the count is reached or a sentence names no one
    gathered: list[Victim] = []
    for j in (si + 1, si + 2, si + 3):
        if j >= len(sents) or (j == si + 3 and not total):
            break
        if _reports_own_act(folded, sents[j], dates, raw):
            break  # "On Saturday X was hanged in Y": the next event's victim, not the group's
        names = [v for v in _victims_in(text, folded, sents[j], persian, known) if v.name]
        if not names:
            if gathered:
                break
            continue
        if total and len(gathered) + len(names) > total:
            break
        gathered += [v for v in names if not any(same_name_in_article(v.name, g.name) for g in gathered)]
        if not total or len(gathered) >= total:
            break
    if gathered:
        rest = total - len(gathered)
        if rest > 0:
            gathered.append(Victim(None, groups[0].start, groups[0].end, count=rest, gender=groups[0].gender))
        return gathered
    if not persian and not here and (lone := _surname_of_earlier_name(text, sents, si, ts)):
        return [lone]
    if here:
        return here
    if si > 0:
        before = _victims_in(text, folded, sents[si - 1], persian, known)
        if before:
            return before
    return [Victim(None, ts, te, count=1)]


_NUM_EN = "|".join(w for w in L.NUMBER_WORDS_EN if w not in ("a", "an"))
_NUM_FA = "|".join(L.NUMBER_WORDS_FA)
# "two of them", "one of the three men", «یکی از آنان», «دو تن از این زندانیان»
_PART_PHRASE = L.rx(
    rf"\b(\d+|{_NUM_EN}) of (?:them|these|those|the (?:\w+ )?(?:{L.VICTIM_NOUNS_EN}))\b",
    rf"{L.B}(یکی|\d+|{_NUM_FA})(?: (?:تن|نفر))? از (?:آنان|آنها|ایشان|این (?:\w+ )?(?:{L.VICTIM_NOUNS_FA})|زندانیان|اعدام شدگان){L.E}",
)
_PART_GENDER = L.rx(r"\bwom[ae]n\b|\bgirls?\b", rf"{L.B}(?:زن|زنان|دختر){L.E}")


_OTHER_GROUP = re.compile(r"\bother\b|(?<![\u0600-\u06ff])دیگر(?![\u0600-\u06ff])")
PART_AFTER = 3  # how many sentences after the group's a described part is looked for


def _split_described_part(victims: list[Victim], folded: str, sents, si: int) -> None:
    """ "Three men, two of them Afghan nationals", «پنج زندانی ... یکی از آنان شهروند افغانستان
    بوده است»: an unnamed group whose part is described apart (nationality, ethnicity,
    religion, a woman) is two entries, the part and the rest. Only for a group with no
    named victim (the part of a partly named group is its named victims)."""
    groups = [v for v in victims if not v.name]
    if len(groups) != 1 or groups[0].count < 2:
        return
    g = groups[0]
    # "X was hanged with two other men, one of them also an Afghan national": a group of
    # others than the named is split as an unnamed group is
    if len(victims) != 1 and not _OTHER_GROUP.search(folded, g.start, g.end):
        return
    for j in range(si, min(len(sents), si + PART_AFTER + 1)):
        a, b = sents[j]
        m = _PART_PHRASE.search(folded, max(a, g.end) if j == si else a, b)
        if m is None:
            continue
        raw = m.group(1) or m.group(2)
        n = (
            1
            if raw == "یکی"
            else int(raw)
            if raw.isdigit()
            else L.NUMBER_WORDS_EN.get(raw) or L.NUMBER_WORDS_FA.get(raw)
        )
        if not n or n >= g.count:
            return
        hi = min(b, m.end() + 80)
        tables = [rx for _, rx in (*L.NATIONALITY, *L.ETHNICITY, *L.RELIGION)] + [_PART_GENDER]
        if not any(next(L.scan_span(rx, folded, m.start(), hi), None) for rx in tables):
            return
        g.count -= n
        victims.append(Victim(None, m.start(), m.end(), count=n))
        return


EARLIER_NAME_CHARS = 3000  # how far back the full name of a surname alone is looked for
_CAPITAL_WORD = re.compile(r"\b[A-Z][a-z'’]{3,}(?:-[A-Z][a-z]+)?\b")


def _surname_of_earlier_name(text: str, sents, si: int, ts: int) -> Victim | None:
    """ "... another, Amir-Hossein Qanbari, then 17, was arrested. Five years later,
    Qanbari was hanged": a surname alone before the trigger is the person named in full
    earlier in the article."""
    a = sents[si][0]
    words = [m for m in _CAPITAL_WORD.finditer(text, a, ts)]
    if not words:
        return None
    # the surname told again alone is itself the cue that the capitalised pair is a person
    earlier = [n for n in capitalised_names(text, max(0, a - EARLIER_NAME_CHARS), a) if len(n.split()) >= 2]
    for w in reversed(words):
        if w.group().lower() in NOT_NAME_WORDS:
            continue
        full = [n for n in earlier if n.split()[-1] == w.group()]
        if full:
            return Victim(full[-1], w.start(), w.end(), gender=None)
    return None


# "convicted of murdering Ali Karimi", «X را به قتل رساند»: the person the offence was
# done to, not the one punished
_OFFENCE_OBJECT_BEFORE = L.rx(
    r"\b(?:murder(?:ing|ed)?|kill(?:ing|ed)|stabb(?:ing|ed)|rap(?:ing|ed)|rape of|murder of|death of|assault(?:ing|ed)? on)"
    r" (?:(?:the|a|an|police|officer|guard|lieutenant|sergeant|his|her) ){0,3}$",
)
_OFFENCE_OBJECT_AFTER = L.rx(
    rf"^ را (?:{L.GAP})?(?:به قتل|به شهادت|کشت|کشته|مجروح|زخمی|ربود|مورد تجاوز){L.E}",
)


def _drop_offence_victims(m: Mention, folded: str) -> None:
    """A named person who is the object of the offence in the sentence is not a victim of
    the punishment (when someone else is)."""

    def offended(v: Victim) -> bool:
        return bool(
            _OFFENCE_OBJECT_BEFORE.search(folded[max(0, v.start - 40) : v.start])
            or _OFFENCE_OBJECT_AFTER.match(folded[v.end : v.end + 60])
        )

    keep = [v for v in m.victims if not (v.name and offended(v))]
    if keep and len(keep) < len(m.victims):
        m.victims = keep


def _reports_own_act(folded: str, sent: tuple[int, int], dates, raw) -> bool:
    """The sentence reports an act of its own: an act trigger (of the article's ``raw``
    triggers) and the day of an event."""
    a, b = sent
    if not any(a <= ts < b and stage == "carried_out" for _, stage, ts, _ in raw):
        return False
    return _event_day_in(folded, a, b, dates)


# "his fingers were cut off", «حکم او»: a trigger sentence that points back to someone named
_REFERS_BACK = L.rx(
    r"\b(?:he|she|his|her|him|they|their|them)\b",
    rf"{L.B}(?:او|وی|آنان|آنها|این زندانی|این زندانیان|این متهم|این زن|این مرد|این جوان){L.E}",
)
FIGURE_COUNT = 10  # an unnamed group this large without a day is a figure, not one event
GROUP_MAX = 40  # more unnamed people than this in one mention is a figure even with a day


def _a_figure(m: Mention) -> bool:
    """A total ("80 Afghan nationals have been executed"): many unnamed people, no day; or
    more unnamed people than one event of the register plausibly has (``GROUP_MAX``)."""
    unnamed = [v for v in m.victims if not v.name]
    total = sum(v.count for v in unnamed)
    if total > GROUP_MAX:
        return True
    return len(unnamed) == len(m.victims) and total >= FIGURE_COUNT and m.event_date_precision != "day"


def _commuted(m: Mention, folded: str, sents) -> bool:
    """A death sentence reported as commuted, quashed or pardoned is not a death sentence."""
    if m.kind != "death_sentence":
        return False
    a, b = next((a, b) for a, b in sents if a <= m.start < b)
    return bool(L.COMMUTED_CUES.search(folded, a, b))


def _drop_history(mentions: list[Mention]) -> list[Mention]:
    """An execution (or flogging, amputation) report's sentence, appeal and transfer are its
    history, not mentions of their own: fold them into the act."""
    acts = [m for m in mentions if m.stage == "carried_out"]
    out = []
    for m in mentions:
        act_kind = "execution" if m.kind == "death_sentence" else m.kind
        if m.stage != "carried_out":
            # an old act (anniversary piece) takes only the history of its named victims
            same = [
                a
                for a in acts
                if a.kind == act_kind
                and (_named_same(a, m) if a.background else (_same_victims(a, m) or m.inherited))
            ]
            named = [a for a in same if _named_same(a, m)]
            if len(named) == 1:  # of several acts, the one of the sentence's named victim
                same = named
            act = same[0] if len(same) == 1 or (same and not m.inherited) else None
            if act is not None:
                _absorb(act, m)
                continue
        out.append(m)
    return out


# "more than 160 people were executed. Among them were X ... and Y": examples of a figure
_EXAMPLES_OF = re.compile(
    r"\bamong (?:them|those|the dead|the executed)\b|(?<![\u0600-\u06ff])از جمله(?![\u0600-\u06ff])"
)


def _examples_apart(mentions: list[Mention], folded: str, sents) -> list[Mention]:
    """People named as examples of a figure ("Among them were X, hanged in Isfahan, and the
    protester Y"), with no day in common, are each their own incident: one mention each."""
    out: list[Mention] = []
    for m in mentions:
        named = [v for v in m.victims if v.name]
        sent = next(((a, b) for a, b in sents if a <= m.start < b), None)
        if (
            m.stage != "carried_out"
            or len(named) < 2
            or len(named) != len(m.victims)
            or m.event_date_precision == "day"
            or sent is None
            or not _EXAMPLES_OF.search(folded, sent[0], sent[1])
        ):
            out.append(m)
            continue
        for v in named:
            one = copy.copy(m)
            one.victims = [v]
            one.evidence = dict(m.evidence)
            out.append(one)
    return out


def _mostly_persian(text: str) -> bool:
    sample = text[:2000]
    fa = sum(1 for ch in sample if "\u0600" <= ch <= "\u06ff")
    return fa > len(sample) * 0.3


@lru_cache(maxsize=4)
def _gazetteer(which: str) -> tuple[re.Pattern[str], dict[str, tuple[str, str]]]:
    """One alternation over every spelling of the cities (or provinces), longest first."""
    table = L.CITIES if which == "city" else [(p, p, spellings) for p, spellings in L.PROVINCES]
    by_key = {fold_chars(sp): (place, province) for place, province, spellings in table for sp in spellings}
    alternation = "|".join(re.escape(k) for k in sorted(by_key, key=len, reverse=True))
    return re.compile(rf"{L.B}(?:{alternation}){L.E}"), by_key


_PROVINCE_AFTER = re.compile(r" province\b")
_PROVINCE_BEFORE = re.compile(r"استان $")


def _places(folded: str, which: str, text: str = "") -> list[tuple[int, int, str, str]]:
    """Gazetteer hits; a city named as its province ("Tehran province", «استان تهران») or in
    a dateline ("TEHRAN, Apr. 6 (IRNA) –": where the outlet writes from) is not a city."""
    rx, by_key = _gazetteer(which)
    out = []
    for m in rx.finditer(folded):
        if which == "city":
            if _PROVINCE_AFTER.match(folded, m.end()) or _PROVINCE_BEFORE.search(
                folded, max(0, m.start() - 6), m.start()
            ):
                continue
            if m.start() < 40 and text[m.start() : m.end()].isupper() and _DATELINE.match(folded, m.end()):
                continue
        out.append((m.start(), m.end(), *by_key[m.group()]))
    return out


_DATELINE = re.compile(r"\s*(?:,|\(|-|–|—)")


def _charges(folded: str) -> list[tuple[int, int, str]]:
    out = []
    for value, rx in [*L.CHARGE_PATTERNS, ("other", L.OTHER_CHARGE)]:
        hits = sorted({(m.start(), m.end()) for m in L.scan(rx, folded)}, key=lambda h: (h[0], -h[1]))
        end = -1
        for s, e in hits:  # «مواد مخدر» and «مخدر» inside it: one hit, the longer
            if e > end:
                out.append((s, e, value))
                end = e
    return sorted(out)


def _in_window(hits, sents, si, width):
    lo = sents[max(0, si - width)][0]
    hi = sents[min(len(sents) - 1, si + width)][1]
    return [h for h in hits if lo <= h[0] < hi]


def _set_charge(m: Mention, charges: _Lazy, sents, si) -> None:
    if m.kind == "extrajudicial_killing":
        return
    for width in (0, 1, 2, 999):
        near = _in_window(charges.near if width <= NEAR else charges.everywhere, sents, si, width)
        if near:
            order = {c: i for i, c in enumerate(CHARGES)}
            best = min(near, key=lambda h: (abs(h[0] - m.start) > 200, order[h[2]], abs(h[0] - m.start)))
            m.charge = best[2]
            m.evidence["charge"] = [best[0], best[1]]
            return


_ORIGIN = re.compile(r"(?:\bfrom|\bnative of|اهل|ساکن|متولد) (?:the )?(?:city of |شهر )?$")


def _set_place(m: Mention, prisons: _Lazy, cities, provinces, sents, si, folded: str) -> None:
    for width in (0, 1, 2, 99):
        lo = sents[max(0, si - width)][0]
        hi = sents[min(len(sents) - 1, si + width)][1]
        near = [p for p in (prisons.near if width <= NEAR else prisons.everywhere) if lo <= p.start < hi]
        if width > NEAR:  # a prison told far away, in another city than the one told near
            towns = {c[2] for c in _in_window(cities, sents, si, NEAR)}
            near = [p for p in near if not towns or L.PRISON_PLACE.get(p.value, (None,))[0] in towns]
        if near:
            p = _nearest(near, m.start)
            m.prison = p.value
            m.evidence["prison"] = [p.start, p.end]
            break
    if m.prison in L.PRISON_PLACE:
        m.city, m.province = L.PRISON_PLACE[m.prison]
        m.evidence["city"] = m.evidence["province"] = m.evidence["prison"]
        return
    for width in (0, 1, 2):
        window = _in_window(cities, sents, si, width)
        near = [c for c in window if not _ORIGIN.search(folded[max(0, c[0] - 12) : c[0]])] or window
        if near:
            c = min(near, key=lambda h: abs(h[0] - m.start))
            m.city, m.province = c[2], c[3]
            m.evidence["city"] = [c[0], c[1]]
            break
    if m.city is None and m.prison in L.PRISON_PLACE:
        m.city, m.province = L.PRISON_PLACE[m.prison]
        m.evidence["city"] = m.evidence["prison"]
    if m.province is None:
        near = _in_window(provinces, sents, si, 2)
        if near:
            p = min(near, key=lambda h: abs(h[0] - m.start))
            m.province = p[3]
            m.evidence["province"] = [p[0], p[1]]
    elif "city" in m.evidence:
        m.evidence["province"] = m.evidence["city"]


_ARREST = re.compile(r"\barrest(?:ed)?\b|\bdetained\b|بازداشت (?:شد|کرد|و)|دستگیر")
_CLAUSE_END = re.compile(r"[,،;؛:()«»]")


def _arrest_date(d: DateHit, m: Mention, folded: str, a: int, b: int, persian: bool) -> bool:
    """The date of an arrest, not of the event: in the date's clause (commas bound it, so
    «، که ... بازداشت شده بود،» is a clause of its own) the verb the date goes with is an
    arrest. Persian puts a date before its verb («روز شنبه ... بازداشت شد و امروز ... اعدام
    شد»), English mostly after ("arrested on 3 May and hanged on Sunday"); so the date goes
    with the first verb after it (Persian) or the nearest before it (English), else the other
    side's nearest."""
    lo = d.start
    while lo > a and not _CLAUSE_END.match(folded, lo - 1):
        lo -= 1
    hi = d.end
    while hi < b and not _CLAUSE_END.match(folded, hi):
        hi += 1
    verbs = [(x.start(), x.end(), True) for x in _ARREST.finditer(folded, lo, hi)]
    if not verbs:
        return False
    if lo <= m.start < hi:
        verbs.append((m.start, m.end, False))
    after = sorted(v for v in verbs if v[0] >= d.end)
    before = sorted((v for v in verbs if v[1] <= d.start), key=lambda v: -v[1])
    first, second = (after, before) if persian else (before, after)
    verb = (first or second or [(0, 0, False)])[0]
    return verb[2]


_REPORTED = re.compile(
    r"\b(?:said|says|announced|told reporters|reported|stated|added|wrote|posted|confirmed)\s+$"
    r"|(?:گفت|اعلام کرد|خبر داد|نوشت)\s+$"
    # "..., the spokesman said at his weekly press conference on Sunday": the statement's day
    r"|\b(?:said|announced|told|stated)\b[^.,;:!?\n]{0,40}\b(?:press conference|briefing|statement|interview|news conference)"
    r"(?:[^.,;:!?\n]{0,12})\s+$"
)
_DATE_RANK = {"explicit": 0, "jalali": 0, "gregorian": 0, "undated_year": 1, "relative": 2, "elapsed": 2}
_PRECISION_RANK = {"day": 0, "month": 1, "year": 2}


_CLAUSE_OPEN = re.compile(r"[,،;؛:()«»]| که | who | which | after | before ")
_PLUPERFECT = re.compile(
    r"\bhad (?:(?:been|already|once|previously|earlier) )?[a-z]+(?:ed|en|led|ght|ung|ot)\b"
    r"|[\u0600-\u06ff]ه (?:بود|بودند)(?![\u0600-\u06ff])"
)


def _earlier_act_date(d: DateHit, m: Mention, folded: str, a: int, b: int) -> bool:
    """The date of an earlier act told in a clause of its own, not of the event: «... خبر داد
    که سال ۱۴۰۳ به بانک حمله کرده بود», "..., who had attacked a bank in 2024, ...": the
    date's clause has a pluperfect verb and the trigger lies outside it."""
    return _in_earlier_clause(d.start, d.end, m, folded, a, b)


def _in_earlier_clause(s: int, e: int, m: Mention, folded: str, a: int, b: int) -> bool:
    """``folded[s:e]`` lies in a clause (commas, «که», who/which bound it) with a pluperfect
    verb that the trigger is not in: it tells an earlier act."""
    lo = max((x.end() for x in _CLAUSE_OPEN.finditer(folded, a, s)), default=a)
    nxt = _CLAUSE_OPEN.search(folded, e, b)
    hi = nxt.start() if nxt else b
    if m.start < hi and lo < m.end:  # the trigger's own clause
        return False
    return bool(_PLUPERFECT.search(folded, lo, hi))


def _date_sentences(m: Mention, sents, si, folded) -> list[tuple[int, bool]]:
    """Sentences to read the event date from, in order, and whether any precision will do
    there: the trigger's own; the next and the previous; for a sentence (not an act), a
    following sentence that tells
    when the ruling was made known ("the ruling was communicated to him on Monday",
    «این حکم در تیرماه ابلاغ شد»); the neighbours first, for a day (the day of the step
    itself, when told, comes before the day it was made known)."""
    out = [(si, True), (si + 1, False), (si - 1, False)]
    if m.stage != "carried_out":
        for j in range(si + 1, si + NOTIFIED_AFTER + 1):
            if j < len(sents) and L.NOTIFIED_CUES.search(folded, *sents[j]):
                out.append((j, True))
                break
    return out


# "A day later, ...", «یک روز بعد»: a day counted from the day told just before
_DAY_AFTER = L.rx(
    r"\b(?:a|one) day (?:later|after)\b|\bthe (?:next|following) day\b",
    rf"{L.B}(?:یک روز بعد|یک روز پس از آن|فردای آن روز|فردای همان روز){L.E}",
)
_DAY_BEFORE = L.rx(
    r"\b(?:a|one) day (?:earlier|before)\b|\bthe day before\b",
    rf"{L.B}(?:یک روز پیش|یک روز قبل){L.E}",
)


def _counted_day(m: Mention, dates: list[DateHit], sents, si, folded) -> DateHit | None:
    """The day of "A day later, X was hanged": one day after the last day written before
    the sentence (in the two sentences before it), or one day before for "a day earlier"."""
    a, b = sents[si]
    cue = _DAY_AFTER.search(folded, a, m.start) or _DAY_BEFORE.search(folded, a, m.start)
    if cue is None:
        return None
    lo = sents[max(0, si - 2)][0]
    before = [d for d in dates if lo <= d.start < a and d.precision == "day" and d.value is not None]
    if not before:
        return None
    last = max(before, key=lambda d: d.start)
    step = 1 if cue.re is _DAY_AFTER else -1
    return DateHit(cue.start(), cue.end(), last.value + timedelta(days=step), "day", "relative")


def _heads(d: DateHit, raw, a: int, persian: bool):
    """(start, kind, stage) of the trigger a date goes with in its sentence ``a..``: in
    English the last trigger before it ("was upheld on 30 March", "the execution of X on
    Tuesday"), in Persian the first after it («روز دوشنبه اعدام شد»); None when none."""
    if persian:
        return min(((ts, k, st) for k, st, ts, _ in raw if ts >= d.end), default=None)
    before = [(ts, k, st) for k, st, ts, te in raw if a <= ts and te <= d.start]
    return max(before) if before else None


def _anothers_date(d: DateHit, m: Mention, raw, a: int) -> bool:
    """The date goes with a trigger of another kind or step than the mention's ("whose death
    sentence was upheld on 30 March"); one of the same act ("the execution of X, who was
    hanged in December 2022") is the mention's own."""
    head = _heads(d, raw, a, False)
    return head is not None and head[0] != m.start and (head[1], head[2]) != (m.kind, m.stage)


def _own_date(d: DateHit, m: Mention, raw, a: int) -> bool:
    head = _heads(d, raw, a, False)
    return head is not None and head[0] == m.start


def _anothers_act(m: Mention, text: str, folded: str, sent, dates, raw, persian: bool) -> bool:
    """ "... Among them were X and Y. On 5 May, Z was put to death in Zahedan": a neighbour
    that reports an act of its own on its own day, of someone else named (none of the
    mention's victims), keeps that day."""
    if not _reports_own_act(folded, sent, dates, raw):
        return False
    theirs = [v.name for v in _victims_in(text, folded, sent, persian) if v.name]
    ours = [v.name for v in m.victims if v.name]
    return bool(theirs) and bool(ours) and not any(same_name_in_article(a, b) for a in theirs for b in ours)


OWN_DATE_CHARS = 120  # how far after an English trigger its own date is looked for


def _set_date(
    m: Mention,
    dates: list[DateHit],
    sents,
    si,
    published,
    folded,
    persian: bool = False,
    raw=(),
    text: str | None = None,
) -> None:
    counted = _counted_day(m, dates, sents, si, folded)
    if counted is not None:
        m.event_date = format_date(counted.value, "day")
        m.event_date_precision = "day"
        m.evidence["event_date"] = [counted.start, counted.end]
        return
    for j, any_precision in _date_sentences(m, sents, si, folded):
        if not 0 <= j < len(sents):
            continue
        a, b = sents[j]
        if (
            j > si  # the sentence before may be the day told "the same day"
            and raw
            and text is not None
            and _anothers_act(m, text, folded, (a, b), dates, raw, persian)
        ):
            continue
        near = [d for d in dates if a <= d.start < b]
        # "Two days after X was hanged, ...": the elapsed days date the act that follows
        near = [
            d
            for d in near
            if d.how != "elapsed"
            or (
                j == si
                and d.end <= m.start
                and m.start - d.end < 80
                and not _CLAUSE_END.search(folded, d.end, m.start)
            )
        ]
        if j == si and raw and not persian:
            # a date that goes with another trigger of the sentence ("whose sentence was
            # upheld on 30 March, was executed on Tuesday") is that step's, not this one's
            near = [d for d in near if not _anothers_date(d, m, raw, a)]
            # the trigger's own date, after it with no other trigger between ("condemned the
            # execution of X on Tuesday", "was hanged in Y prison on Thursday") over one
            # before it that goes with another verb ("today condemned", "in 2019 was")
            own = [
                d
                for d in near
                if d.start >= m.end and d.start - m.end <= OWN_DATE_CHARS and _own_date(d, m, raw, a)
            ]
            if own and any(d.precision == "day" for d in own):
                near = own
        # a date that goes with an arrest in its clause is not the event's
        near = [d for d in near if not _arrest_date(d, m, folded, a, b, persian)]
        near = [d for d in near if not _earlier_act_date(d, m, folded, a, b)]
        # "..., the spokesman said on Tuesday": the day of the statement, not of the event
        near = [d for d in near if not _REPORTED.search(folded[max(0, d.start - 72) : d.start])]
        if not any_precision:
            near = [d for d in near if d.how == "relative" or d.precision == "day"]
        if L.BACKGROUND_CUES.search(folded, a, b) and any(d.how != "relative" for d in near):
            # "today marks the anniversary of the execution ... in December 2022": today is
            # the anniversary's day, the written date the event's
            near = [d for d in near if d.how != "relative"]
        if near:
            # a written day over a weekday, a day over a month or year, then the nearest
            d = min(
                near,
                key=lambda h: (
                    _PRECISION_RANK[h.precision],
                    _DATE_RANK.get(h.how, 1),
                    abs(h.start - m.start),
                ),
            )
            m.event_date = format_date(d.value, d.precision)
            m.event_date_precision = d.precision
            m.evidence["event_date"] = [d.start, d.end]
            return


def _outlet_source(outlet_type: str | None) -> str:
    if outlet_type in ("state_media", "official"):
        return "official"
    if outlet_type in ("rights_group", "un_body"):
        return "rights_group"
    return "media"


def _set_source(m: Mention, folded: str, sent: tuple[int, int], article_source: str) -> None:
    if article_source != "media":
        m.source_type = article_source
        return
    a, b = sent
    official = L.OFFICIAL_CUES.search(folded, a, b)
    rights = L.RIGHTS_CUES.search(folded, a, b)
    if official and not rights:
        m.source_type = "official"
        m.evidence["source_type"] = [official.start(), official.end()]
    elif rights:
        m.source_type = "rights_group"
        m.evidence["source_type"] = [rights.start(), rights.end()]


def _is_background(
    m: Mention, folded: str, sent: tuple[int, int], published: date | None, *, lead: bool = True
) -> bool:
    """An anniversary cue, time elapsed since the act, or an event date well before
    publication (``BACKGROUND_DAYS``; ``PASSING_DAYS`` after the lead); the evidence (the
    cue or the date) is recorded under ``background``."""
    cue = next(
        (
            c
            for c in L.BACKGROUND_CUES.finditer(folded, sent[0], sent[1])
            if not _in_earlier_clause(c.start(), c.end(), m, folded, sent[0], sent[1])
        ),
        None,
    )
    if cue and (m.event_date is None or m.event_date_precision == "year"):
        m.evidence["background"] = [cue.start(), cue.end()]
        m.recalled = m.stage == "carried_out" and bool(_ANNIVERSARY.match(folded, cue.start()))
        return True
    # "Two months after X was hanged, ...": the trigger is the event the time runs from
    if m.stage == "carried_out" and sent[0] < sent[1]:
        for el in L.ELAPSED_CUES.finditer(folded, sent[0], m.start):
            if not _CLAUSE_END.search(folded, el.end(), m.start) and m.start - el.end() < 80:
                m.evidence["background"] = [el.start(), el.end()]
                m.recalled = True
                return True
    # A sentence still pending is its current state, never background, however old.
    pending = m.stage != "carried_out" and m.kind in ("death_sentence", "flogging", "amputation")
    days = BACKGROUND_DAYS if lead else PASSING_DAYS
    if m.event_date and published is not None and not pending and _long_before(m, published, days):
        if "event_date" in m.evidence:
            m.evidence["background"] = m.evidence["event_date"]
        return True
    return False


_ANNIVERSARY = re.compile(r"anniversary|سالگرد")


def _long_before(m: Mention, published: date, days: int = BACKGROUND_DAYS) -> bool:
    if m.event_date:
        y = int(m.event_date[:4])
        mo = int(m.event_date[5:7]) if len(m.event_date) >= 7 else 12
        d = int(m.event_date[8:10]) if len(m.event_date) >= 10 else 28
        try:
            when = date(y, mo, d)
        except ValueError:
            return False
        return when < published - timedelta(days=days)
    return False


def _victim_key(v: Victim) -> str:
    return v.name or f"#{v.count}"


def same_name_in_article(x: str, y: str) -> bool:
    """Two names written in one article for one person: similar spellings, or a surname
    alone after the full name ("Omid Taheri ... Taheri", «امید طاهری ... طاهری»)."""
    if name_similarity(x, y) >= SAME_PERSON:
        return True
    px, py = x.replace("\u200c", " ").split(), y.replace("\u200c", " ").split()
    short, full = (px, py) if len(px) < len(py) else (py, px)
    if len(short) != 1 or len(full) < 2 or len(short[0]) < 4:
        return False
    # a surname alone after the full name, or a given name alone ("Sohrab, 31, ...", «سامان»)
    return short[0] == full[-1] or short[0] == full[0]


def _named_same(a: Mention, b: Mention) -> bool:
    na = [v.name for v in a.victims if v.name]
    nb = [v.name for v in b.victims if v.name]
    return any(same_name_in_article(x, y) for x in na for y in nb)


def _same_victims(a: Mention, b: Mention) -> bool:
    na = [v.name for v in a.victims if v.name]
    nb = [v.name for v in b.victims if v.name]
    if na and nb:
        return any(same_name_in_article(x, y) for x in na for y in nb)
    if _other_days(a, b):
        return False  # acts on two different days told in one article are two events
    if not na and not nb:
        return True
    return True  # an unnamed mention of the same kind in one article is the named one, retold


def _other_days(a: Mention, b: Mention) -> bool:
    """Two carried-out acts, each dated to its own day, on different days."""
    return (
        a.stage == b.stage == "carried_out"
        and a.event_date_precision == b.event_date_precision == "day"
        and a.event_date != b.event_date
        and not (a.background or b.background)
    )


def _merge(mentions: list[Mention]) -> list[Mention]:
    """One mention per (kind, stage family, victims) in the article; the first keeps evidence."""
    out: list[Mention] = []
    for m in mentions:
        for i, o in enumerate(out):
            if o.kind == m.kind and _stage_family(o.stage) == _stage_family(m.stage) and _same_victims(o, m):
                # the news told with its history; a mention whose own sentence names the
                # victims over one that borrowed them (its date and place are theirs)
                if (o.background and not m.background) or (
                    o.inherited and not m.inherited and o.background == m.background
                ):
                    _absorb(m, o)
                    out[i] = m
                else:
                    _absorb(o, m)
                # recalled as an old event once ("two months after X was hanged"): the
                # retelling of its date later in the article does not make it news
                if o.recalled or m.recalled:
                    out[i].background = out[i].recalled = True
                break
        else:
            out.append(m)
    return out


def _same_event(o: Mention, m: Mention) -> bool:
    """Two mentions of one article that report one event of several people: same kind and
    step, news, the same day, and the same prison (or the same city, prisons not differing)."""
    if o.kind != m.kind or _stage_family(o.stage) != _stage_family(m.stage) or o.background or m.background:
        return False
    if o.event_date_precision != "day" or o.event_date != m.event_date:
        return False
    if o.prison and m.prison:
        return o.prison == m.prison
    return bool(o.city and o.city == m.city) and not (o.prison and m.prison and o.prison != m.prison)


def _one_event_per_day_and_place(mentions: list[Mention]) -> list[Mention]:
    """ "X was hanged in Qom Prison on Tuesday. Another prisoner, Y, was also hanged there on
    Tuesday": executions (sentences, floggings, killings) of several people at one place on
    one day, told in one article, are one incident with several victims."""
    out: list[Mention] = []
    for m in mentions:
        o = next((o for o in out if _same_event(o, m)), None)
        if o is None:
            out.append(m)
        else:
            _absorb(o, m)
    return out


def _stage_family(stage: str) -> str:
    return "done" if stage == "carried_out" else "sentence"


_STAGE_RANK = {"at_risk": 0, "issued": 1, "upheld": 2, "imminent": 3, "carried_out": 4}


def _absorb(o: Mention, m: Mention) -> None:
    """Fill what ``o`` lacks from ``m`` (victims with names over unnamed ones, a date, a place);
    of a sentence's steps told in one article, the latest reported one is the mention's."""
    if not m.background and _STAGE_RANK[m.stage] > _STAGE_RANK[o.stage] and o.stage != "carried_out":
        o.stage = m.stage
        if m.event_date is not None:
            o.event_date, o.event_date_precision = m.event_date, m.event_date_precision
            o.evidence["event_date"] = m.evidence["event_date"]
    named_o = [v for v in o.victims if v.name]
    named_m = [v for v in m.victims if v.name]
    if named_m and (not named_o or not m.inherited):
        o.inherited = o.inherited and m.inherited if named_o else m.inherited  # own-sentence victims
    if named_m and not named_o:
        o.victims = m.victims
    elif named_m:
        for v in named_m:
            if not any(same_name_in_article(v.name, w.name) for w in named_o):
                o.victims.append(v)
            else:
                w = next(w for w in named_o if same_name_in_article(v.name, w.name))
                for attr in ("age", "age_at_offence", "gender", "ethnicity", "nationality", "religion"):
                    if getattr(w, attr) is None and getattr(v, attr) is not None:
                        setattr(w, attr, getattr(v, attr))
                        if attr in v.evidence:
                            w.evidence[attr] = v.evidence[attr]
    for attr, ev in (("charge", "charge"), ("prison", "prison"), ("city", "city"), ("province", "province")):
        empty = o.charge == "unknown" if attr == "charge" else getattr(o, attr) is None
        if empty and getattr(m, attr) not in (None, "unknown"):
            setattr(o, attr, getattr(m, attr))
            if ev in m.evidence:
                o.evidence[ev] = m.evidence[ev]
    # A sentence's mention carries the date of the step it reports: the day it was issued
    # is not the day it was upheld (an act takes the date of any retelling).
    same_step = o.stage == "carried_out" or m.stage == o.stage
    if m.event_date is not None and same_step and (o.event_date is None or _finer(m, o)):
        o.event_date, o.event_date_precision = m.event_date, m.event_date_precision
        o.evidence["event_date"] = m.evidence["event_date"]
    if o.source_type == "media" and m.source_type != "media":
        o.source_type = m.source_type


def _finer(m: Mention, o: Mention) -> bool:
    """``m`` dates the same event more precisely: a day inside ``o``'s month or year
    («مهرماه» in the lead, «۳۰ مهر ۱۴۰۴» further down)."""
    rank = {"day": 0, "month": 1, "year": 2}
    if rank.get(m.event_date_precision, 3) >= rank.get(o.event_date_precision, 3):
        return False
    return bool(m.event_date and o.event_date and m.event_date.startswith(o.event_date))
