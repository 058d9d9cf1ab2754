"""Outlet health: after every pass, a verdict per outlet with the reasons behind it.

A silent breakage (a layout change, a moved feed, a bot wall) must show the same day, so
every pass ends with a verdict per outlet, stored as history in ``outlet_health`` (read it
in ``consumer.outlet_health``). Each rule compares the outlet with its own past, never with
a global constant alone: an NGO that posts weekly and a wire that posts hourly both get
judged against their usual rhythm. The README's "Outlet health" section is the contract for
the rules and their thresholds; ``HealthSettings`` holds the defaults.

States, worst first: ``failing`` (the outlet yields nothing now: passes fail, or a wall
answers), ``stale`` (no new article for far longer than usual), ``degraded`` (it works, but
something drifted), ``ok``.
"""

from __future__ import annotations

import json
import math
import os
import statistics
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.engine import Connection

SEVERITY = {"ok": 0, "degraded": 1, "stale": 2, "failing": 3}
UNHEALTHY = ("failing", "stale")
DISCOVERY_KINDS = ("feed", "sitemap", "listing")
READ_OUTCOMES = ("parsed", "not_modified")  # a discovery document that was read
HANDLED_ARTICLE = ("stored", "duplicate", "not_article", "not_html")  # an article fetch that ended well
NOT_ATTEMPTED = ("robots", "refused", "url_too_long")  # the crawl's own choice not to fetch
BLOCK_STATUSES = (403, 429, 503)
# Not judged: still going (or died unrecorded), or stopped by a person (Ctrl-C): neither says
# anything about the outlet. A crawl that timed out is recorded "failed" and does count.
NOT_A_PASS = ("running", "interrupted")


class UnknownOutlet(ValueError):
    """An outlet name or id asked for that the database does not know."""


def _env_number(name: str, default: float, cast: type = float) -> Any:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return cast(default)
    try:
        value = cast(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a number, got {raw!r}") from exc
    if value < 0:
        raise ValueError(f"{name} must not be negative, got {raw!r}")
    return value


@dataclass(frozen=True)
class HealthSettings:
    """Thresholds of the health rules (environment ``DADKHAH_HEALTH_<NAME>``, upper case)."""

    failing_passes: int = 3  # this many failed passes in a row: failing (fewer: degraded)
    stale_floor_hours: float = 24.0  # never stale sooner than this
    stale_factor: float = 3.0  # stale after factor x the outlet's usual gap
    stale_percentile: float = 90.0  # the usual gap: this percentile of past gaps
    stale_min_gaps: int = 5  # gaps needed before the usual gap counts as learned
    stale_default_hours: float = 72.0  # threshold while the usual gap is not learned yet
    stale_history: int = 200  # latest hours-with-new-articles looked at to learn the gap
    block_degraded_share: float = 0.2  # share of blocked answers in a pass: degraded
    block_failing_share: float = 0.5  # ...: failing
    drift_sample: int = 5  # latest articles (and article fetches) compared...
    drift_baseline: int = 50  # ...with this many before them
    drift_min_baseline: int = 5  # no drift verdict with a shorter baseline
    drift_share: float = 0.4  # a missing-field or not-article share this much above baseline
    drift_text_ratio: float = 0.5  # median text length below this fraction of the baseline's
    silent_passes: int = 6  # a source read in this many passes without one new URL: silent

    def __post_init__(self) -> None:
        at_least_one = ("failing_passes", "stale_min_gaps", "stale_history", "drift_sample")
        at_least_one += ("drift_min_baseline", "silent_passes")
        for name in at_least_one:
            if getattr(self, name) < 1:
                raise ValueError(f"DADKHAH_HEALTH_{name.upper()} must be at least 1")
        shares = ("block_degraded_share", "block_failing_share", "drift_share", "drift_text_ratio")
        for name in shares:
            if not 0 < getattr(self, name) <= 1:
                raise ValueError(f"DADKHAH_HEALTH_{name.upper()} must be a share in (0, 1]")
        if not 0 < self.stale_percentile <= 100:
            raise ValueError("DADKHAH_HEALTH_STALE_PERCENTILE must be in (0, 100]")

    @classmethod
    def from_env(cls) -> HealthSettings:
        values = {}
        for name, default in asdict(cls()).items():
            cast = int if isinstance(default, int) else float
            values[name] = _env_number(f"DADKHAH_HEALTH_{name.upper()}", default, cast)
        return cls(**values)


@dataclass
class Verdict:
    """One outlet's health at one moment: state, sentences a person reads, figures behind them."""

    outlet: str
    state: str
    reasons: list[str] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)
    outlet_id: int | None = None
    run_id: int | None = None
    checked_at: datetime | None = None
    thresholds: dict[str, Any] = field(default_factory=dict)

    @property
    def unhealthy(self) -> bool:
        return self.state in UNHEALTHY

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["checked_at"] = self.checked_at.isoformat() if self.checked_at else None
        return data


class _Judgement:
    """Collects (state, reason) findings; the verdict's state is the worst one."""

    def __init__(self) -> None:
        self.state = "ok"
        self.reasons: list[str] = []
        self.rules: list[str] = []

    def add(self, rule: str, state: str, reason: str) -> None:
        if SEVERITY[state] > SEVERITY[self.state]:
            self.state = state
        self.reasons.append(reason)
        self.rules.append(rule)


def _pct(share: float) -> str:
    return f"{share * 100:.0f}%"


def _hours(value: float) -> str:
    return f"{value / 24:.1f} days" if value >= 48 else f"{value:.1f} h"


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (no interpolation: the figure is one of the observed gaps)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


# --------------------------------------------------------------------------- the data read


@dataclass
class _Pass:
    run_id: int
    status: str
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None
    discovery: list[dict[str, Any]] = field(default_factory=list)  # discovery fetch rows
    article_outcomes: Counter[str] = field(default_factory=Counter)
    credits: Counter[str] = field(default_factory=Counter)  # discovered_from -> article fetches
    failed_because: str | None = None


def _load_passes(conn: Connection, outlet_id: int, up_to_run: int | None, limit: int) -> list[_Pass]:
    rows = conn.execute(
        text(
            """
            SELECT run_id, status, started_at, finished_at, error FROM outlet_runs
             WHERE outlet_id = :o AND status <> ALL(:skip) AND status NOT LIKE 'skipped%'
               AND (CAST(:up_to AS bigint) IS NULL OR run_id <= :up_to)
             ORDER BY run_id DESC LIMIT :n
            """
        ),
        {"o": outlet_id, "skip": list(NOT_A_PASS), "up_to": up_to_run, "n": limit},
    ).all()
    passes = [_Pass(r.run_id, r.status, r.started_at, r.finished_at, r.error) for r in rows]
    if not passes:
        return passes
    by_run = {p.run_id: p for p in passes}
    runs = list(by_run)
    for r in conn.execute(
        text(
            """
            SELECT run_id, kind, requested_url, discovered_from, outcome, http_status, error
              FROM fetches WHERE outlet_id = :o AND run_id = ANY(:runs) AND kind = ANY(:kinds)
             ORDER BY fetch_id
            """
        ),
        {"o": outlet_id, "runs": runs, "kinds": list(DISCOVERY_KINDS)},
    ):
        by_run[r.run_id].discovery.append(dict(r._mapping))
    for r in conn.execute(
        text(
            """
            SELECT run_id, discovered_from, outcome, count(*) AS n FROM fetches
             WHERE outlet_id = :o AND run_id = ANY(:runs) AND kind = 'article'
               AND outcome NOT IN ('retried', 'redirect')
             GROUP BY run_id, discovered_from, outcome
            """
        ),
        {"o": outlet_id, "runs": runs},
    ):
        by_run[r.run_id].article_outcomes[r.outcome] += r.n
        by_run[r.run_id].credits[r.discovered_from or ""] += r.n
    for p in passes:
        p.failed_because = _why_pass_failed(p)
    return passes


def _why_pass_failed(p: _Pass) -> str | None:
    """Why this pass counts as failed (the definition of issue 10's point 1), or None."""
    if p.status != "finished":
        return f"the pass ended {p.status}" + (f" ({p.error[:200]})" if p.error else "")
    if p.discovery and not any(row["outcome"] in READ_OUTCOMES for row in p.discovery):
        outcomes = Counter(row["outcome"] for row in p.discovery)
        listed = ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items()))
        return f"no feed, sitemap or listing could be read ({listed})"
    attempted = {k: v for k, v in p.article_outcomes.items() if k not in NOT_ATTEMPTED}
    fetched = sum(attempted.values())
    if fetched and not any(attempted.get(o) for o in HANDLED_ARTICLE):
        listed = ", ".join(f"{k} {v}" for k, v in sorted(attempted.items()))
        return f"{fetched} article(s) found but none could be fetched or stored ({listed})"
    return None


# --------------------------------------------------------------------------------- the rules


def _rule_failed_passes(j: _Judgement, passes: list[_Pass], s: HealthSettings) -> dict[str, Any]:
    streak = 0
    for p in passes:
        if p.failed_because is None:
            break
        streak += 1
    last_ok = next((p for p in passes if p.failed_because is None), None)
    figures = {
        "consecutive_failed": streak,
        "passes_seen": len(passes),
        "last_pass_run_id": passes[0].run_id if passes else None,
        "last_success_run_id": last_ok.run_id if last_ok else None,
    }
    if streak:
        why = passes[0].failed_because
        since = (
            f"; last successful pass: run {last_ok.run_id}" if last_ok else "; no successful pass on record"
        )
        state = "failing" if streak >= s.failing_passes else "degraded"
        j.add(
            "failed_passes",
            state,
            f"{streak} failed pass(es) in a row (failing from {s.failing_passes}): "
            f"the last one because {why}{since}",
        )
    return figures


def _rule_stale(
    j: _Judgement, conn: Connection, outlet_id: int, passes: list[_Pass], now: datetime, s: HealthSettings
) -> dict[str, Any]:
    last = conn.execute(
        text("SELECT max(first_seen_at) FROM articles WHERE outlet_id = :o"), {"o": outlet_id}
    ).scalar()
    # The latest hours that brought new articles, walked back one index look-up per hour
    # (a loose index scan), so the cost does not grow with the outlet's archive.
    hours_rows = conn.execute(
        text(
            """
            WITH RECURSIVE hours(h, n) AS (
                SELECT date_trunc('hour', CAST(:last AS timestamptz)), 1
                 WHERE CAST(:last AS timestamptz) IS NOT NULL
                UNION ALL
                SELECT (SELECT date_trunc('hour', max(a.first_seen_at)) FROM articles a
                         WHERE a.outlet_id = :o AND a.first_seen_at < hours.h), hours.n + 1
                  FROM hours WHERE hours.h IS NOT NULL AND hours.n <= :n
            )
            SELECT h FROM hours WHERE h IS NOT NULL
            """
        ),
        {"o": outlet_id, "n": s.stale_history, "last": last},
    ).scalars()
    buckets = sorted(hours_rows)
    gaps = [(b - a).total_seconds() / 3600 for a, b in zip(buckets, buckets[1:], strict=False)]
    learned = len(gaps) >= s.stale_min_gaps
    usual = percentile(gaps, s.stale_percentile) if gaps else None
    if learned:
        threshold = max(s.stale_floor_hours, s.stale_factor * usual)
        basis = (
            f"its usual gap is {_hours(usual)} (p{s.stale_percentile:g} of {len(gaps)} gaps) "
            f"x {s.stale_factor:g}, at least {_hours(s.stale_floor_hours)}"
        )
    else:
        threshold = max(s.stale_floor_hours, s.stale_default_hours)
        basis = f"too little history to learn its rhythm ({len(gaps)} gaps), so the default"
    first_pass = min((p.started_at for p in passes if p.started_at), default=None)
    since = last or first_pass
    silent_hours = (now - since).total_seconds() / 3600 if since else 0.0
    figures = {
        "last_new_article_at": last.isoformat() if last else None,
        "hours_without_new": round(silent_hours, 2),
        "usual_gap_hours": round(usual, 2) if usual is not None else None,
        "gaps_learned_from": len(gaps),
        "stale_after_hours": round(threshold, 2),
    }
    if since and silent_hours > threshold:
        what = (
            f"no new article for {_hours(silent_hours)} (last first seen {last:%Y-%m-%d %H:%M} UTC)"
            if last
            else f"no article stored at all in {_hours(silent_hours)} since its first pass"
        )
        j.add("stale", "stale", f"{what}; stale after {_hours(threshold)}: {basis}")
    return figures


def _rule_block(
    j: _Judgement, conn: Connection, outlet_id: int, run_id: int, s: HealthSettings
) -> dict[str, Any]:
    rows = conn.execute(
        text(
            """
            SELECT http_status, outcome, count(*) AS n FROM fetches
             WHERE outlet_id = :o AND run_id = :r AND kind <> 'robots'
             GROUP BY http_status, outcome
            """
        ),
        {"o": outlet_id, "r": run_id},
    ).all()
    total = sum(r.n for r in rows)
    kinds: Counter[str] = Counter()
    for r in rows:
        if r.outcome == "blocked":
            kinds["challenge page"] += r.n
        elif r.http_status in BLOCK_STATUSES:
            kinds[f"HTTP {r.http_status}"] += r.n
    blocked = sum(kinds.values())
    share = blocked / total if total else 0.0
    figures = {"fetches": total, "blocked": blocked, "share": round(share, 4), "by_kind": dict(kinds)}
    if total and share >= s.block_degraded_share:
        state = "failing" if share >= s.block_failing_share else "degraded"
        listed = ", ".join(f"{k} x{v}" for k, v in sorted(kinds.items()))
        j.add(
            "blocked",
            state,
            f"blocked: {_pct(share)} of the last pass's {total} request(s) met a bot wall or "
            f"block ({listed}); degraded from {_pct(s.block_degraded_share)}, failing from "
            f"{_pct(s.block_failing_share)}",
        )
    return figures


def _share_figures(rows: list[Any]) -> dict[str, float | None]:
    if not rows:
        return {}
    n = len(rows)
    return {
        "no_date": sum(r.published_at is None for r in rows) / n,
        "no_title": sum(not (r.title or "").strip() for r in rows) / n,
        "no_author": sum(not r.authors for r in rows) / n,
        "median_text_chars": statistics.median(r.chars for r in rows),
    }


def _rule_drift(j: _Judgement, conn: Connection, outlet_id: int, s: HealthSettings) -> dict[str, Any]:
    rows = conn.execute(
        text(
            """
            SELECT title, authors, published_at, length(text) AS chars FROM articles
             WHERE outlet_id = :o ORDER BY first_seen_at DESC, article_id DESC LIMIT :n
            """
        ),
        {"o": outlet_id, "n": s.drift_sample + s.drift_baseline},
    ).all()
    outcomes = conn.execute(
        text(
            """
            SELECT outcome FROM fetches
             WHERE outlet_id = :o AND kind = 'article' AND outcome = ANY(:handled)
             ORDER BY fetched_at DESC, fetch_id DESC LIMIT :n
            """
        ),
        {"o": outlet_id, "handled": list(HANDLED_ARTICLE), "n": s.drift_sample + s.drift_baseline},
    ).scalars()
    outcomes = list(outcomes)
    current, baseline = rows[: s.drift_sample], rows[s.drift_sample :]
    now_f, base_f = _share_figures(current), _share_figures(baseline)
    f_now, f_base = outcomes[: s.drift_sample], outcomes[s.drift_sample :]
    figures: dict[str, Any] = {"current": now_f, "baseline": base_f}
    drifted: list[str] = []
    if len(current) >= s.drift_sample and len(baseline) >= s.drift_min_baseline:
        labels = {
            "no_date": "without a date",
            "no_title": "without a title",
            "no_author": "without an author",
        }
        for key, label in labels.items():
            if now_f[key] - base_f[key] >= s.drift_share:
                drifted.append(
                    f"{_pct(now_f[key])} of the latest {len(current)} articles {label} "
                    f"(baseline {_pct(base_f[key])} of the {len(baseline)} before)"
                )
        base_len, now_len = base_f["median_text_chars"], now_f["median_text_chars"]
        if base_len and now_len < s.drift_text_ratio * base_len:
            drifted.append(
                f"median text {now_len:.0f} characters in the latest {len(current)} articles "
                f"against {base_len:.0f} before (below {_pct(s.drift_text_ratio)})"
            )
    if len(f_now) >= s.drift_sample and len(f_base) >= s.drift_min_baseline:
        share_now = f_now.count("not_article") / len(f_now)
        share_base = f_base.count("not_article") / len(f_base)
        figures["not_article"] = {"current": share_now, "baseline": share_base}
        if share_now - share_base >= s.drift_share:
            drifted.append(
                f"{_pct(share_now)} of the latest {len(f_now)} article pages were not articles "
                f"(baseline {_pct(share_base)})"
            )
    else:
        figures["not_article"] = None
    figures["enough_history"] = len(baseline) >= s.drift_min_baseline
    if drifted:
        j.add("drift", "degraded", "extraction drift (a layout change?): " + "; ".join(drifted))
    return figures


def _configured_sources(config: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (kind, url)
        for kind, key in (("feed", "feeds"), ("sitemap", "sitemaps"), ("listing", "listing_pages"))
        for url in (config.get(key) or [])
    ]


def _source_state(p: _Pass, url: str) -> tuple[str, dict[str, Any] | None]:
    """('read' | 'failed' | 'absent', the row that says why) for one source in one pass."""
    rows = [r for r in p.discovery if url in (r["requested_url"], r["discovered_from"])]
    own = [r for r in rows if r["requested_url"] == url]
    if not own:
        return "absent", None
    if any(r["outcome"] in READ_OUTCOMES for r in rows):
        return "read", None
    return "failed", own[-1]


def _roots(p: _Pass, sources: set[str]) -> dict[str, str]:
    """Map each discovery URL of a pass to the configured source it came from."""
    parent = {r["requested_url"]: r["discovered_from"] for r in p.discovery}
    roots: dict[str, str] = {}
    for url in parent:
        seen, node = set(), url
        while node not in sources and node in parent and node not in seen:
            seen.add(node)
            node = parent[node]
        if node in sources:
            roots[url] = node
    for url in sources:
        roots[url] = url
    return roots


def _rule_sources(
    j: _Judgement, config: dict[str, Any], passes: list[_Pass], s: HealthSettings
) -> dict[str, Any]:
    sources = _configured_sources(config)
    urls = {url for _, url in sources}
    figures: dict[str, Any] = {}
    if not passes or not sources:
        return figures
    latest = passes[0]
    credits_by_pass: list[Counter[str]] = []
    for p in passes:
        roots = _roots(p, urls)
        credit: Counter[str] = Counter()
        for origin, n in p.credits.items():
            if origin in roots:
                credit[roots[origin]] += n
        credits_by_pass.append(credit)
    window = passes[: s.silent_passes]
    before = credits_by_pass[s.silent_passes :]
    for kind, url in sources:
        state, row = _source_state(latest, url)
        streak = 0
        for p in passes:
            if _source_state(p, url)[0] != "failed":
                break
            streak += 1
        in_window = sum(c[url] for c in credits_by_pass[: s.silent_passes])
        others = sum(n for c in credits_by_pass[: s.silent_passes] for k, n in c.items() if k != url)
        read_all = len(window) >= s.silent_passes and all(_source_state(p, url)[0] == "read" for p in window)
        earlier = sum(c[url] for c in before)
        figures[url] = {
            "kind": kind,
            "last_pass": state,
            "failed_in_a_row": streak,
            "new_urls_recent": in_window,
            "new_urls_before": earlier,
        }
        if state == "failed" and row is not None:
            status = f"HTTP {row['http_status']}" if row["http_status"] else row["outcome"]
            j.add(
                "source_failed",
                "degraded",
                f"{kind} {url} failed in the last pass ({status}"
                + (f": {row['error'][:160]}" if row.get("error") and not row["http_status"] else "")
                + f"), {streak} pass(es) in a row",
            )
        elif read_all and in_window == 0 and others > 0 and earlier > 0:
            j.add(
                "source_silent",
                "degraded",
                f"{kind} {url} listed no new URL in the last {len(window)} passes while the "
                f"outlet's other sources found {others} (it found {earlier} in earlier passes)",
            )
    return figures


# ------------------------------------------------------------------------------ public API


def _select_outlets(
    conn: Connection, wanted: list[int | str] | None, run_id: int | None
) -> list[tuple[int, str, dict[str, Any]]]:
    rows = conn.execute(text("SELECT outlet_id, name, config FROM outlets ORDER BY name")).all()
    if wanted:
        by_key = {r.outlet_id: r for r in rows} | {r.name: r for r in rows}
        unknown = [w for w in wanted if w not in by_key]
        if unknown:
            raise UnknownOutlet(f"unknown outlet(s): {', '.join(map(str, unknown))}")
        chosen = list({by_key[w].outlet_id: by_key[w] for w in wanted}.values())
    elif run_id is not None:
        in_run = set(
            conn.execute(text("SELECT outlet_id FROM outlet_runs WHERE run_id = :r"), {"r": run_id}).scalars()
        )
        chosen = [r for r in rows if r.outlet_id in in_run]
    else:
        crawled = set(conn.execute(text("SELECT DISTINCT outlet_id FROM outlet_runs")).scalars())
        chosen = [r for r in rows if r.outlet_id in crawled]
    return [(r.outlet_id, r.name, dict(r.config or {})) for r in chosen]


def judge_outlet(
    conn: Connection,
    outlet_id: int,
    name: str,
    config: dict[str, Any],
    *,
    now: datetime,
    settings: HealthSettings,
    up_to_run: int | None = None,
) -> Verdict:
    """The verdict of one outlet from what the database holds (nothing is written)."""
    s = settings
    history = max(s.failing_passes, s.silent_passes * 3, 10)
    passes = _load_passes(conn, outlet_id, up_to_run, history)
    j = _Judgement()
    figures: dict[str, Any] = {}
    if not passes:
        j.add("no_pass", "degraded", "no finished pass on record yet: nothing to judge")
        return Verdict(name, j.state, j.reasons, {"rules": j.rules}, outlet_id, None, now, asdict(s))
    figures["passes"] = _rule_failed_passes(j, passes, s)
    figures["block"] = _rule_block(j, conn, outlet_id, passes[0].run_id, s)
    figures["stale"] = _rule_stale(j, conn, outlet_id, passes, now, s)
    figures["drift"] = _rule_drift(j, conn, outlet_id, s)
    figures["sources"] = _rule_sources(j, config, passes, s)
    figures["rules"] = j.rules
    return Verdict(name, j.state, j.reasons, figures, outlet_id, passes[0].run_id, now, asdict(s))


def assess_outlets(
    engine: Engine,
    outlet_ids_or_names: list[int | str] | None = None,
    *,
    run_id: int | None = None,
    settings: HealthSettings | None = None,
) -> list[Verdict]:
    """Judge the outlets and store one verdict row each; return the verdicts.

    Without names: the outlets of ``run_id`` if given (judged as of that pass), else every
    outlet that has been crawled. Raises UnknownOutlet for a name the database does not know.
    """
    settings = settings or HealthSettings.from_env()
    with engine.connect() as conn:
        now = conn.execute(text("SELECT now()")).scalar_one()
        chosen = _select_outlets(conn, outlet_ids_or_names, run_id)
        verdicts = [
            judge_outlet(conn, oid, name, config, now=now, settings=settings, up_to_run=run_id)
            for oid, name, config in chosen
        ]
    with engine.begin() as conn:
        for v in verdicts:
            v.checked_at = conn.execute(
                text(
                    """
                    INSERT INTO outlet_health (outlet_id, run_id, state, reasons, figures, thresholds)
                    VALUES (:o, :r, :state, :reasons, CAST(:figures AS jsonb), CAST(:thresholds AS jsonb))
                    RETURNING checked_at
                    """
                ),
                {
                    "o": v.outlet_id,
                    "r": v.run_id,
                    "state": v.state,
                    "reasons": v.reasons,
                    "figures": json.dumps(v.figures, default=str),
                    "thresholds": json.dumps(v.thresholds),
                },
            ).scalar_one()
    return verdicts


def crawled_outlets(engine: Engine) -> list[str]:
    """Names of the outlets that have at least one pass on record (the ones that can be judged)."""
    with engine.connect() as conn:
        return list(
            conn.execute(
                text(
                    "SELECT o.name FROM outlets o WHERE EXISTS "
                    "(SELECT 1 FROM outlet_runs r WHERE r.outlet_id = o.outlet_id) ORDER BY o.name"
                )
            ).scalars()
        )


def latest_health(engine: Engine) -> dict[str, Verdict]:
    """Each outlet's most recent stored verdict, by outlet name."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                """
                SELECT DISTINCT ON (h.outlet_id) o.name, h.outlet_id, h.run_id, h.checked_at,
                       h.state, h.reasons, h.figures, h.thresholds
                  FROM outlet_health h JOIN outlets o ON o.outlet_id = h.outlet_id
                 ORDER BY h.outlet_id, h.checked_at DESC, h.health_id DESC
                """
            )
        ).all()
    return {
        r.name: Verdict(
            r.name,
            r.state,
            list(r.reasons),
            dict(r.figures),
            r.outlet_id,
            r.run_id,
            r.checked_at,
            dict(r.thresholds),
        )
        for r in sorted(rows, key=lambda r: r.name)
    }


def verdicts_after_pass(
    engine: Engine, names: list[str], run_ids: dict[str, int | None]
) -> dict[str, Verdict | None]:
    """Each named outlet's verdict for the pass that just ran (Airflow's ``health`` task).

    A crawl judges its outlet when it ends: that verdict is taken when it belongs to the
    outlet's run in ``run_ids``; the others (their crawl died before judging) are judged now.
    None for an outlet that has never been crawled.
    """
    stored = latest_health(engine)
    verdicts: dict[str, Verdict | None] = {
        name: stored[name]
        for name in names
        if name in stored and run_ids.get(name) is not None and stored[name].run_id == run_ids[name]
    }
    crawled = set(crawled_outlets(engine))
    fresh = [name for name in names if name not in verdicts and name in crawled]
    verdicts |= {v.outlet: v for v in (assess_outlets(engine, fresh) if fresh else [])}
    return {name: verdicts.get(name) for name in names}
