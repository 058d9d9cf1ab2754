"""Scoring the incident extractor and resolver against the labelled set (tests/data/incidents).

Gold format: tests/data/incidents/README.md. Predicted and gold mentions are paired per
article (same kind, a victim in common: a name that matches, or the same count when
unnamed). Figures: (victim, kind, event date) triple precision/recall/F1, per-field
precision/recall, pairwise incident precision/recall over paired mentions, monthly people
counts by kind against gold, and extraction CPU per article.
"""

from __future__ import annotations

import itertools
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from pipeline.incidents.extract import ArticleInput, extract_mentions
from pipeline.incidents.names import SAME_PERSON, name_similarity
from pipeline.incidents.register import Source, summarise
from pipeline.incidents.resolve import Resolver

MENTION_FIELDS = (
    "stage",
    "background",
    "charge",
    "prison",
    "city",
    "province",
    "event_date",
    "event_date_precision",
    "source_type",
)
VICTIM_FIELDS = ("age", "age_at_offence", "gender", "ethnicity", "nationality", "religion")


def load_items(paths: list[Path]) -> list[dict]:
    items: list[dict] = []
    for p in paths:
        items.extend(yaml.safe_load(p.read_text(encoding="utf-8")) or [])
    return items


@dataclass
class Scores:
    triples: dict[str, float] = field(default_factory=dict)
    fields: dict[str, dict[str, float]] = field(default_factory=dict)
    pairs: dict[str, float] = field(default_factory=dict)
    monthly: dict[str, dict[str, float]] = field(default_factory=dict)
    cpu_ms_per_article: float = 0.0  # extraction of mentions
    resolve_cpu_ms_per_article: float = 0.0  # resolution into incidents
    errors: list[str] = field(default_factory=list)
    causes: dict[str, list[int]] = field(default_factory=dict)  # cause -> [missed, false] triples
    pair_causes: dict[str, list[int]] = field(default_factory=dict)  # cause -> [missed, false] pairs


def _victim_match(g: dict, p: dict) -> bool:
    if g.get("name") and p.get("name"):
        return name_similarity(g["name"], p["name"]) >= SAME_PERSON
    if not g.get("name") and not p.get("name"):
        return (g.get("count") or 1) == (p.get("count") or 1)
    return False


def _pair_mentions(gold: list[dict], pred: list[dict]) -> list[tuple[int, int]]:
    cands = []
    for i, g in enumerate(gold):
        for j, p in enumerate(pred):
            if g["kind"] != p["kind"]:
                continue
            shared = sum(1 for gv in g["victims"] for pv in p["victims"] if _victim_match(gv, pv))
            score = shared * 4 + (g.get("event_date") == p.get("event_date")) * 2 + (g["stage"] == p["stage"])
            if shared or (len(gold) == 1 and len(pred) == 1) or score >= 2:
                cands.append((score, i, j))
    cands.sort(reverse=True)
    used_g, used_p, out = set(), set(), []
    for _, i, j in cands:
        if i not in used_g and j not in used_p:
            used_g.add(i)
            used_p.add(j)
            out.append((i, j))
    return out


TRIPLE_CAUSES = ("mention", "victim", "kind", "date")


def _triple_cause(victim: dict, kind: str, day: str | None, other: list[dict]) -> str:
    """Which stage lost a missed (or false) triple, against the other side's mentions of its
    article: ``date`` when the other side has the victim with the kind on another date,
    ``kind`` when it has the victim under another kind, ``victim`` when it has a mention of
    the kind without this victim (a name or count read differently), ``mention`` when it has
    neither (the mention was not detected, or is not there at all)."""
    same_victim = [
        m for m in other if any(_victim_match(victim, v) or _victim_match(v, victim) for v in m["victims"])
    ]
    if any(m["kind"] == kind for m in same_victim):
        return "date"
    if same_victim:
        return "kind"
    if any(m["kind"] == kind for m in other):
        return "victim"
    return "mention"


def _pair_cause(a: dict, b: dict) -> str:
    """Why two predicted mentions were (not) put in one incident: their dates differ, their
    named victims do not match, one names nobody, or something else (kind, count, place)."""
    if a.get("event_date") and b.get("event_date") and a["event_date"] != b["event_date"]:
        return "date"
    na = [v["name"] for v in a["victims"] if v.get("name")]
    nb = [v["name"] for v in b["victims"] if v.get("name")]
    if na and nb:
        return "name" if not any(name_similarity(x, y) >= SAME_PERSON for x in na for y in nb) else "other"
    if na or nb:
        return "unnamed"
    return "other"


def _triples(mentions: list[dict]) -> list[tuple[dict, str, str | None]]:
    return [(v, m["kind"], m.get("event_date")) for m in mentions for v in m["victims"]]


def _norm(fieldname: str, value: Any) -> Any:
    if fieldname == "charge" and value == "unknown":
        return None
    if fieldname == "event_date_precision" and value == "unknown":
        return None
    if fieldname == "background":
        return bool(value)
    return value


def _incident_people(mentions: list[dict]) -> int:
    """People in one incident: the most any mention reports, or more distinct named people."""
    persons: list[str] = []
    for m in mentions:
        for v in m["victims"]:
            if not v.get("name"):
                continue
            if v.get("person"):
                if v["person"] not in persons:
                    persons.append(v["person"])
            elif not any(name_similarity(v["name"], p) >= SAME_PERSON for p in persons):
                persons.append(v["name"])
    per_mention = max(sum(v.get("count") or 1 for v in m["victims"]) for m in mentions)
    return max(per_mention, len(persons))


def _register(groups: dict[Any, list[dict]]) -> dict[tuple[str, str], int]:
    """(month or 'unknown', kind) -> people, each incident once, dated by its first news
    report. An old incident known only from recollections (anniversary pieces, a relative's
    execution given as context) is not counted: background mentions never count."""
    out: dict[tuple[str, str], int] = defaultdict(int)
    for mentions in groups.values():
        news = [m for m in mentions if not m.get("background")]
        if not news:
            continue
        dated = sorted(m["event_date"] for m in news if m.get("event_date") and len(m["event_date"]) >= 7)
        month = dated[0][:7] if dated else "unknown"
        out[(month, mentions[0]["kind"])] += _incident_people(mentions)
    return out


def _predicted_register(groups: dict[Any, list[Source]]) -> dict[tuple[str, str], int]:
    """(month or 'unknown', kind) -> people, as the register counts them: each incident's
    row from ``register.summarise`` (its date and people), i.e. what the documented monthly
    query sums."""
    out: dict[tuple[str, str], int] = defaultdict(int)
    for sources in groups.values():
        row = summarise(sources)
        if row["background_only"]:
            continue  # a recollection of an old incident: never a count
        dated = row["event_date"] is not None and row["event_date_precision"] in ("day", "month")
        month = row["event_date"].isoformat()[:7] if dated else "unknown"
        out[(month, row["kind"])] += row["people"]
    return out


def evaluate(items: list[dict], *, topics_file: str | None = None, verbose: bool = False) -> Scores:
    scores = Scores()
    order = sorted(range(len(items)), key=lambda i: (str(items[i]["published"]), items[i]["id"]))
    counter = itertools.count(1)
    resolver = Resolver(lambda _mention: f"X{next(counter)}")
    predicted: dict[str, list[dict]] = {}
    pred_incident: dict[tuple[str, int], Any] = {}
    cpu = resolve_cpu = 0.0
    # Steady state, as in a run over thousands of articles: the taxonomy loaded and every
    # pattern compiled (and its literal gate read) once, outside the timing.
    for it in items:
        pub = it["published"]
        pub = pub if isinstance(pub, date) else date.fromisoformat(str(pub))
        extract_mentions(ArticleInput(it["text"], "", pub, it["lang"]), topics_file=topics_file)
    for idx in order:
        it = items[idx]
        pub = it["published"]
        pub = pub if isinstance(pub, date) else date.fromisoformat(str(pub))
        art = ArticleInput(it["text"], it.get("title") or "", pub, it["lang"], it.get("outlet_type"))
        t0 = time.process_time()
        ms = [m.as_dict() for m in extract_mentions(art, topics_file=topics_file)]
        cpu += time.process_time() - t0
        predicted[it["id"]] = ms
        t0 = time.process_time()
        for k, m in enumerate(ms):
            pred_incident[(it["id"], k)] = resolver.assign(m, (it["id"], k))
        resolve_cpu += time.process_time() - t0
    merged = dict(resolver.merges)

    def final(iid: Any) -> Any:
        while iid in merged:
            iid = merged[iid]
        return iid

    scores.cpu_ms_per_article = 1000 * cpu / max(1, len(items))
    scores.resolve_cpu_ms_per_article = 1000 * resolve_cpu / max(1, len(items))

    tp = fp = fn = 0
    field_counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # correct, predicted, gold
    paired: list[tuple[str, int, int]] = []
    causes = {c: [0, 0] for c in TRIPLE_CAUSES}
    for it in items:
        gold, pred = it["mentions"] or [], predicted[it["id"]]
        # triples
        gt, pt = _triples(gold), _triples(pred)
        used = set()
        for pv, kind, d in pt:
            hit = next(
                (
                    i
                    for i, (gv, gk, gd) in enumerate(gt)
                    if i not in used and gk == kind and gd == d and _victim_match(gv, pv)
                ),
                None,
            )
            if hit is None:
                fp += 1
                cause = _triple_cause(pv, kind, d, gold)
                causes[cause][1] += 1
                if verbose:
                    scores.errors.append(
                        f"{it['id']} FP [{cause}] {kind} {d} {pv.get('name') or pv.get('count')}"
                    )
            else:
                used.add(hit)
                tp += 1
        for i, (gv, gk, gd) in enumerate(gt):
            if i not in used:
                fn += 1
                cause = _triple_cause(gv, gk, gd, pred)
                causes[cause][0] += 1
                if verbose:
                    scores.errors.append(
                        f"{it['id']} FN [{cause}] {gk} {gd} {gv.get('name') or gv.get('count')}"
                    )
        # fields
        pairs = _pair_mentions(gold, pred)
        pg = {i: j for i, j in pairs}
        for i, g in enumerate(gold):
            p = pred[pg[i]] if i in pg else None
            for f in MENTION_FIELDS:
                gvv = _norm(f, g.get(f))
                pvv = _norm(f, p.get(f)) if p else None
                _count(field_counts[f], gvv, pvv, f in ("background",))
                if (
                    verbose
                    and p is not None
                    and gvv != pvv
                    and f in ("charge", "event_date", "prison", "city", "source_type", "stage")
                ):
                    scores.errors.append(f"{it['id']} field {f}: gold {gvv!r} predicted {pvv!r}")
            vpairs = _pair_victims(g["victims"], p["victims"] if p else [])
            for gv, pv in vpairs:
                for f in VICTIM_FIELDS:
                    _count(field_counts[f], gv.get(f), pv.get(f) if pv else None, False)
        for j, p in enumerate(pred):
            if j in pg.values():
                continue
            for f in MENTION_FIELDS:
                if _norm(f, p.get(f)) not in (None, False):
                    field_counts[f][1] += 1
            for pv in p["victims"]:
                for f in VICTIM_FIELDS:
                    if pv.get(f) is not None:
                        field_counts[f][1] += 1
        paired.extend((it["id"], i, j) for i, j in pairs)
    scores.triples = _prf(tp, fp, fn)
    scores.causes = causes
    for f, (c, p, g) in field_counts.items():
        scores.fields[f] = {
            "precision": c / p if p else 1.0,
            "recall": c / g if g else 1.0,
            "gold": g,
            "predicted": p,
        }
    # pairwise incident agreement over paired mentions
    gold_of = {(aid, i): items_by_id(items)[aid]["mentions"][i]["incident"] for aid, i, _ in paired}
    pred_of = {(aid, i): final(pred_incident[(aid, j)]) for aid, i, j in paired}
    keys = sorted(gold_of)
    ptp = pfp = pfn = 0
    pred_mention = {(aid, i): predicted[aid][j] for aid, i, j in paired}
    pair_causes: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for a, b in itertools.combinations(keys, 2):
        gs, ps = gold_of[a] == gold_of[b], pred_of[a] == pred_of[b]
        if gs and ps:
            ptp += 1
        elif ps:
            pfp += 1
            pair_causes[_pair_cause(pred_mention[a], pred_mention[b])][1] += 1
            if verbose:
                scores.errors.append(f"pair FP {a} {b}")
        elif gs:
            pfn += 1
            cause = _pair_cause(pred_mention[a], pred_mention[b])
            pair_causes[cause][0] += 1
            if verbose:
                scores.errors.append(f"pair FN [{cause}] {a} {b} (predicted {pred_of[a]} / {pred_of[b]})")
    scores.pair_causes = dict(pair_causes)
    scores.pairs = _prf(ptp, pfp, pfn)
    # monthly counts
    gold_groups: dict[Any, list[dict]] = defaultdict(list)
    for it in items:
        for m in it["mentions"] or []:
            gold_groups[m["incident"]].append(m)
    pred_groups: dict[Any, list[Source]] = defaultdict(list)
    by_id = items_by_id(items)
    for (aid, k), iid in pred_incident.items():
        it = by_id[aid]
        pred_groups[final(iid)].append(Source(aid, predicted[aid][k], it["outlet"], None, it.get("story")))
    gr, pr = _register(gold_groups), _predicted_register(pred_groups)
    scores.monthly = monthly_errors(gr, pr)
    if verbose:
        for kind in scores.monthly:
            months = {m for m, k in gr if k == kind} | {m for m, k in pr if k == kind}
            for m in sorted(months):
                if pr.get((m, kind), 0) != gr.get((m, kind), 0):
                    scores.errors.append(
                        f"month {m} {kind}: gold {gr.get((m, kind), 0)} predicted {pr.get((m, kind), 0)}"
                    )
    return scores


def monthly_errors(
    gr: dict[tuple[str, str], int], pr: dict[tuple[str, str], int]
) -> dict[str, dict[str, float]]:
    """Per kind, the error of the monthly people counts against gold: the sum over the gold
    months and any month the prediction adds (``unknown`` for an undated incident) of
    |predicted - gold|, relative to the kind's gold total; people in a month gold does not
    have are error too, so a misdated incident counts twice (gone from one month, extra in
    another)."""
    out: dict[str, dict[str, float]] = {}
    kinds = sorted({k for _, k in gr} | {k for _, k in pr})
    for kind in kinds:
        months = {m for m, k in gr if k == kind} | {m for m, k in pr if k == kind}
        gold_total = sum(gr.get((m, kind), 0) for m in months)
        abs_err = sum(abs(pr.get((m, kind), 0) - gr.get((m, kind), 0)) for m in months)
        out[kind] = {
            "gold": gold_total,
            "predicted": sum(pr.get((m, kind), 0) for m in months),
            "abs_error": abs_err,
            "relative_error": abs_err / gold_total if gold_total else float(abs_err > 0),
            "months": len(months),
            "months_off": sum(1 for m in months if pr.get((m, kind), 0) != gr.get((m, kind), 0)),
            "worst_month_error": max(
                (
                    abs(pr.get((m, kind), 0) - gr.get((m, kind), 0)) / max(1, gr.get((m, kind), 0))
                    for m in months
                ),
                default=0.0,
            ),
        }
    return out


_BY_ID: dict[int, dict[str, dict]] = {}


def items_by_id(items: list[dict]) -> dict[str, dict]:
    key = id(items)
    if key not in _BY_ID:
        _BY_ID[key] = {it["id"]: it for it in items}
    return _BY_ID[key]


def _pair_victims(gold: list[dict], pred: list[dict]) -> list[tuple[dict, dict | None]]:
    out, used = [], set()
    for gv in gold:
        j = next((j for j, pv in enumerate(pred) if j not in used and _victim_match(gv, pv)), None)
        if j is None and len(gold) == 1 and len(pred) == 1:
            j = 0
        if j is not None:
            used.add(j)
        out.append((gv, pred[j] if j is not None else None))
    return out


def _count(counts: list[int], gold: Any, pred: Any, boolean: bool) -> None:
    if boolean:  # background: the positive class is True
        gold, pred = (gold or None), (pred or None)
    if pred is not None:
        counts[1] += 1
    if gold is not None:
        counts[2] += 1
    if pred is not None and pred == gold:
        counts[0] += 1


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f1": f, "tp": tp, "fp": fp, "fn": fn}


def format_scores(name: str, n: int, s: Scores) -> str:
    t = s.triples
    lines = [
        f"== {name}: {n} articles",
        f"victim+kind+date  P {t['precision']:.3f}  R {t['recall']:.3f}  F1 {t['f1']:.3f}  (tp {t['tp']}, fp {t['fp']}, fn {t['fn']})",
        f"incident pairs    P {s.pairs['precision']:.3f}  R {s.pairs['recall']:.3f}  (tp {s.pairs['tp']}, fp {s.pairs['fp']}, fn {s.pairs['fn']})",
        "lost triples by stage (missed / false): "
        + ", ".join(f"{c} {m}/{f}" for c, (m, f) in s.causes.items())
        + "; pairs by cause (missed / false): "
        + (", ".join(f"{c} {m}/{f}" for c, (m, f) in sorted(s.pair_causes.items())) or "none"),
        "fields            "
        + "  ".join(f"{f} {v['precision']:.2f}/{v['recall']:.2f}" for f, v in sorted(s.fields.items())),
        "monthly people by kind (gold -> predicted; error = sum over months of |predicted - gold| / gold;"
        " months off; worst month):",
    ]
    for kind, v in s.monthly.items():
        lines.append(
            f"  {kind:<22} {v['gold']:>4} -> {v['predicted']:<4} {v['relative_error']:6.1%}"
            f"  {v['months_off']}/{v['months']} months off  worst {v['worst_month_error']:.0%}"
        )
    lines.append(
        f"CPU {s.cpu_ms_per_article:.2f} ms per article (extraction of mentions)"
        f" + {s.resolve_cpu_ms_per_article:.2f} ms (resolution)"
    )
    return "\n".join(lines)
