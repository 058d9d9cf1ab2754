"""Mentions resolved into incidents across articles, outlets and scripts.

A mention joins an incident of the same kind (and, for sentences, floggings and
amputations, the same step: a sentence and its carrying out are two incidents) when:

* both name victims and one name matches across scripts and spellings
  (``names.name_similarity``), and their dates are compatible; or
* one or both are unnamed and kind, place and date agree (day-precise dates within a
  day; a prison or city in common and none conflicting), and the counts fit; or both are
  unnamed groups of the same size on one day and one of them names no place.

The resolver is pure (no database): ``store`` loads the open incidents into it, the
benchmark feeds it gold articles. When one mention matches two incidents, the later one is
merged into the earlier (ids never change meaning; the merge is returned and recorded).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pipeline.incidents.names import SAME_PERSON, name_similarity, skeleton

DAY_TOLERANCE = 1  # reports of one execution differ by a day at most (dawn vs the day after)
SENTENCE_KINDS = ("death_sentence", "flogging", "amputation")
# A person is executed, dies in custody or is killed once: two reports of one of these acts
# naming one person in full are one incident even when their dates disagree (one report's
# date is wrong, or is the day the news came out), within this many days.
ONCE_KINDS = ("execution", "death_in_custody", "extrajudicial_killing")
ONCE_WINDOW_DAYS = 62
FULL_NAME_MATCH = 0.9


def step(kind: str, stage: str) -> str:
    """The incident a mention belongs to: a sentence (issued/upheld/imminent) or the act."""
    if kind in SENTENCE_KINDS and stage != "carried_out":
        return "sentence"
    return "act"


def _parse(value: str | None) -> tuple[date, str] | None:
    if not value:
        return None
    parts = [int(p) for p in value.split("-")]
    if len(parts) == 3:
        return date(*parts), "day"
    if len(parts) == 2:
        return date(parts[0], parts[1], 1), "month"
    return date(parts[0], 1, 1), "year"


def dates_compatible(a: str | None, b: str | None, *, tolerance: int = DAY_TOLERANCE) -> bool | None:
    """True/False when both dates are known; None when either is unknown."""
    pa, pb = _parse(a), _parse(b)
    if pa is None or pb is None:
        return None
    (da, qa), (db, qb) = pa, pb
    if qa == "day" and qb == "day":
        return abs((da - db).days) <= tolerance
    if "year" in (qa, qb):
        return da.year == db.year
    return (da.year, da.month) == (db.year, db.month)


@dataclass
class IncidentState:
    """What the resolver knows of one incident: enough to match new mentions against it."""

    incident_id: Any
    kind: str
    step: str
    names: list[str] = field(default_factory=list)
    count: int = 0  # most people any one mention reports
    dates: list[str] = field(default_factory=list)
    prisons: set[str] = field(default_factory=set)
    cities: set[str] = field(default_factory=set)
    mentions: list[Any] = field(default_factory=list)

    def add(self, mention: dict, key: Any) -> None:
        for v in mention["victims"]:
            if v.get("name") and not any(name_similarity(v["name"], n) >= SAME_PERSON for n in self.names):
                self.names.append(v["name"])
        self.count = max(self.count, sum(v.get("count") or 1 for v in mention["victims"]))
        if mention.get("event_date"):
            self.dates.append(mention["event_date"])
        if mention.get("prison"):
            self.prisons.add(mention["prison"])
        if mention.get("city"):
            self.cities.add(mention["city"])
        self.mentions.append(key)


def _score(state: IncidentState, m: dict) -> float:
    """0 when the mention cannot be this incident; higher is a better match."""
    if state.kind != m["kind"] or state.step != step(m["kind"], m["stage"]):
        return 0.0
    names = [v["name"] for v in m["victims"] if v.get("name")]
    date_ok = [dates_compatible(m.get("event_date"), d) for d in state.dates] or [None]
    known = [ok for ok in date_ok if ok is not None]
    dates_agree = any(known) if known else None
    if state.step == "sentence":
        dates_agree = True if dates_agree is None or names else dates_agree  # stages span months
    place_conflict = bool(
        (m.get("prison") and state.prisons and m["prison"] not in state.prisons)
        or (m.get("city") and state.cities and m["city"] not in state.cities)
    )
    place_match = bool(
        (m.get("prison") and m["prison"] in state.prisons) or (m.get("city") and m["city"] in state.cities)
    )
    if names and state.names:
        best = max(name_similarity(a, b) for a in names for b in state.names)
        if best < SAME_PERSON:
            return 0.0
        if dates_agree is False and not (
            m.get("background") and state.step == "act" and known and _same_year(m, state)
        ):
            # the same person's once-in-a-life act on another day: joins, below any match
            # on a compatible day, and never merges two incidents (score under 2)
            return 1.5 + best / 10 if _same_life_event(state, m, names, best) else 0.0
        return 2.0 + best + (0.2 if place_match else 0.0)
    # at least one side unnamed: kind, place and date must agree
    if dates_agree is not True or place_conflict:
        return 0.0
    total = sum(v.get("count") or 1 for v in m["victims"])
    if not place_match:
        # one report without a place ("three men were hanged on Wednesday, state media
        # said"): the same group when both are unnamed groups of the same size on a day
        unplaced = not (m.get("prison") or m.get("city")) or not (state.prisons or state.cities)
        day = (m.get("event_date") or "").count("-") == 2
        same_group = not names and not state.names and total >= 2 and total == state.count
        return 0.9 if unplaced and day and same_group else 0.0
    if names and len(names) > state.count and state.count > 0:
        return 0.0
    if not names and state.names and total > max(state.count, len(state.names)) + 0:
        return 0.0
    if not names and not state.names and state.count and total != state.count:
        return 0.0
    return 1.0 + (0.1 if m.get("prison") else 0.0)


def _same_life_event(state: IncidentState, m: dict, names: list[str], best: float) -> bool:
    """A once-in-a-life act (execution, death in custody, killing) of one person named in
    full on both sides (given name and surname, a close match) within ``ONCE_WINDOW_DAYS``:
    the same incident whatever day each report gives it."""
    if state.kind not in ONCE_KINDS or best < FULL_NAME_MATCH or len(names) != 1:
        return False  # a roundup naming several people on one wrong day joins none of them
    full = [
        (a, b)
        for a in names
        for b in state.names
        if len(skeleton(a)) >= 2 and len(skeleton(b)) >= 2 and name_similarity(a, b) >= FULL_NAME_MATCH
    ]
    mine = _parse(m.get("event_date"))
    if not full or mine is None:
        return False
    theirs = [p for d in state.dates if (p := _parse(d)) is not None]
    return any(abs((mine[0] - d).days) <= ONCE_WINDOW_DAYS for d, _ in theirs)


def _matched(state: IncidentState, m: dict) -> set[int]:
    """Which of the mention's victims (by index) the incident's names match."""
    return {
        k
        for k, v in enumerate(m["victims"])
        if v.get("name") and any(name_similarity(v["name"], n) >= SAME_PERSON for n in state.names)
    }


def _same_year(m: dict, state: IncidentState) -> bool:
    y = (m.get("event_date") or "")[:4]
    return bool(y) and any(d[:4] == y for d in state.dates)


class Resolver:
    """Assigns mentions to incidents; ``new_id`` makes ids for new incidents."""

    def __init__(self, new_id) -> None:
        self.incidents: dict[Any, IncidentState] = {}
        self.merges: list[tuple[Any, Any]] = []  # (absorbed, into)
        self._new_id = new_id

    def load(self, state: IncidentState) -> None:
        self.incidents[state.incident_id] = state

    def assign(self, mention: dict, key: Any) -> Any:
        """The incident id the mention belongs to (creating or merging incidents)."""
        scored = sorted(
            ((s, iid) for iid, st in self.incidents.items() if (s := _score(st, mention)) > 0),
            key=lambda t: (-t[0], str(t[1])),
        )
        if not scored:
            iid = self._new_id(mention)
            self.incidents[iid] = IncidentState(iid, mention["kind"], step(mention["kind"], mention["stage"]))
        else:
            iid = scored[0][1]
            # Two incidents that this mention names the same victim of are one (a roundup
            # naming two people of two incidents joins the first, merges nothing).
            mine = _matched(self.incidents[iid], mention)
            for s, other in scored[1:]:
                if s >= 2.0 and scored[0][0] >= 2.0 and other in self.incidents:
                    if mine & _matched(self.incidents[other], mention):
                        iid = self._merge(iid, other)
        self.incidents[iid].add(mention, key)
        return iid

    def _merge(self, a: Any, b: Any) -> Any:
        keep, gone = sorted((a, b), key=_id_order)
        sa, sg = self.incidents[keep], self.incidents.pop(gone)
        for n in sg.names:
            if n not in sa.names:
                sa.names.append(n)
        sa.count = max(sa.count, sg.count)
        sa.dates += sg.dates
        sa.prisons |= sg.prisons
        sa.cities |= sg.cities
        sa.mentions += sg.mentions
        self.merges.append((gone, keep))
        return keep


def _id_order(iid: Any) -> tuple:
    return (0, iid) if isinstance(iid, int) else (1, str(iid))
