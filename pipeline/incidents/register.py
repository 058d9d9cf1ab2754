"""One incident's register row, computed from its mentions (pure; the store writes it).

Victims: named people clustered across spellings and scripts (each keeps every spelling
seen), their details by first stated value; unnamed people are the remainder of the most
any one mention reports. Date: the earliest news (non-background) mention at the finest
precision reported. Charge: the most reported charge, rights groups' and media's word
before an official one when they differ (every version is kept in ``charges``). Sources:
distinct articles; independent sources: distinct story clusters (copies count once).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pipeline.incidents.names import SAME_PERSON, name_similarity

_PRECISION_RANK = {"day": 0, "month": 1, "year": 2}
_STAGE_RANK = {"issued": 0, "upheld": 1, "imminent": 2, "carried_out": 3}
VICTIM_FIELDS = ("age", "age_at_offence", "gender", "ethnicity", "nationality", "religion")


@dataclass(frozen=True, slots=True)
class Source:
    """A mention with what the register needs to know about its article."""

    article_id: int
    mention: dict
    outlet: str
    published_at: datetime | None
    cluster_id: int | None


def parse_event_date(value: str | None) -> date | None:
    if not value:
        return None
    parts = [int(p) for p in value.split("-")]
    return date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)


def _victims(mentions: list[dict]) -> tuple[list[dict], int]:
    people: list[dict] = []
    for m in mentions:
        for v in m["victims"]:
            if not v.get("name"):
                continue
            same = next(
                (p for p in people if any(name_similarity(v["name"], n) >= SAME_PERSON for n in p["names"])),
                None,
            )
            if same is None:
                same = {"name": v["name"], "names": [], "count": 1, **{f: None for f in VICTIM_FIELDS}}
                people.append(same)
            if v["name"] not in same["names"]:
                same["names"].append(v["name"])
            for f in VICTIM_FIELDS:
                if same[f] is None and v.get(f) is not None:
                    same[f] = v[f]
    total = max((sum(v.get("count") or 1 for v in m["victims"]) for m in mentions), default=0)
    total = max(total, len(people))
    rest = total - len(people)
    if rest > 0:
        unnamed = [v for m in mentions for v in m["victims"] if not v.get("name")]
        entry = {"name": None, "names": [], "count": rest, **{f: None for f in VICTIM_FIELDS}}
        for f in ("gender", "ethnicity", "nationality", "religion"):
            values = {v.get(f) for v in unnamed if v.get(f)}
            if len(values) == 1:
                entry[f] = values.pop()
        people.append(entry)
    return people, total


def _most(values: list[Any]) -> Any:
    values = [v for v in values if v not in (None, "unknown")]
    return Counter(values).most_common(1)[0][0] if values else None


def incident_date(mentions: list[dict]) -> tuple[int, str] | None:
    """(precision rank, date text) of the incident: its earliest reported step (a sentence's
    issue before its upholding, months apart), then the finest date inside that period (a
    day that falls in the earliest mention's month). Finest-first would date a sentence
    issued in one month and upheld on a day months later by the upholding, and so count it
    in the wrong month. An act (every mention carried out) told on several days takes the day
    most of its reports give."""
    dated = [
        (parse_event_date(m["event_date"]), _PRECISION_RANK[m["event_date_precision"]], m["event_date"])
        for m in mentions
        if m.get("event_date") and m.get("event_date_precision") in _PRECISION_RANK
    ]
    if not dated:
        return None
    days = Counter(t for _, r, t in dated if r == 0)
    if all(m.get("stage") == "carried_out" for m in mentions) and len(days) > 1:
        # one act told on different days (a report's date is wrong, or is its own day): the
        # day most reports give, the earliest of those when they tie
        top = max(days.values())
        return 0, min(t for t, n in days.items() if n == top)
    # earliest period first; among equal starts, the coarser one (its period holds the other)
    _, rank, text = min(dated, key=lambda d: (d[0], -d[1]))
    inside = [(r, t) for _, r, t in dated if t.startswith(text) and r <= rank]
    return min(inside, key=lambda d: (d[0], d[1]))


def summarise(sources: list[Source]) -> dict[str, Any]:
    """The register columns of the incident these mentions belong to."""
    mentions = [s.mention for s in sources]
    news = [m for m in mentions if not m.get("background")]
    best = incident_date(news or mentions)
    victims, people = _victims(mentions)
    charges: dict[str, list[str]] = {}
    for m in mentions:
        if m.get("charge") not in (None, "unknown"):
            charges.setdefault(m.get("source_type") or "media", [])
            if m["charge"] not in charges[m.get("source_type") or "media"]:
                charges[m.get("source_type") or "media"].append(m["charge"])
    unofficial = [m["charge"] for m in mentions if m.get("source_type") != "official"]
    charge = _most(unofficial) or _most([m.get("charge") for m in mentions]) or "unknown"
    published = [s.published_at for s in sources if s.published_at is not None]
    clusters = {("c", s.cluster_id) if s.cluster_id is not None else ("a", s.article_id) for s in sources}
    return {
        "kind": mentions[0]["kind"] if mentions else None,
        "stage": max(
            (m["stage"] for m in news or mentions), key=lambda s: _STAGE_RANK.get(s, 0), default=None
        ),
        "event_date": parse_event_date(best[1]) if best else None,
        "event_date_precision": {0: "day", 1: "month", 2: "year"}[best[0]] if best else "unknown",
        "victims": victims,
        "people": people,
        "charge": charge,
        "charges": charges,
        "prison": _most([m.get("prison") for m in mentions]),
        "city": _most([m.get("city") for m in mentions]),
        "province": _most([m.get("province") for m in mentions]),
        "official_confirmation": any(m.get("source_type") == "official" for m in mentions),
        "background_only": bool(mentions) and not news,
        "first_reported_at": min(published) if published else None,
        "source_count": len({s.article_id for s in sources}),
        "independent_source_count": len(clusters),
        "outlets": sorted({s.outlet for s in sources}),
    }
