"""Per-outlet status: its health first, then what is stored, when it last ran, what failed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, text

_STATUS_SQL = text(
    """
    WITH last_run AS (
        SELECT DISTINCT ON (r.outlet_id) r.outlet_id, r.run_id, r.started_at, r.finished_at,
               r.status, r.stats
          FROM outlet_runs r
         ORDER BY r.outlet_id, r.started_at DESC
    ), counts AS (
        SELECT outlet_id, count(*) AS articles FROM articles GROUP BY outlet_id
    ), failures AS (
        SELECT f.outlet_id, jsonb_object_agg(f.outcome, f.n) AS by_kind
          FROM (SELECT f.outlet_id, f.outcome, count(*) AS n
                  FROM fetches f JOIN last_run lr ON lr.outlet_id = f.outlet_id AND lr.run_id = f.run_id
                 WHERE f.outcome NOT IN ('stored', 'duplicate', 'parsed', 'not_modified', 'redirect',
                                         'fetched', 'retried')
                   AND f.kind <> 'robots'
                 GROUP BY f.outlet_id, f.outcome) f
         GROUP BY f.outlet_id
    )
    SELECT o.name, COALESCE(c.articles, 0) AS articles, lr.started_at AS last_run,
           lr.finished_at, lr.status, COALESCE((lr.stats->>'stored')::int, 0) AS new_in_last_run,
           COALESCE(fl.by_kind, '{}'::jsonb) AS failures
      FROM outlets o
      LEFT JOIN counts c ON c.outlet_id = o.outlet_id
      LEFT JOIN last_run lr ON lr.outlet_id = o.outlet_id
      LEFT JOIN failures fl ON fl.outlet_id = o.outlet_id
     ORDER BY o.name
    """
)


def outlet_status(engine: Engine) -> list[dict[str, Any]]:
    """One row per outlet; ``health``/``health_reasons``/``health_checked_at`` from its latest verdict."""
    from pipeline.health import latest_health

    with engine.connect() as conn:
        rows = [dict(row._mapping) for row in conn.execute(_STATUS_SQL)]
    verdicts = latest_health(engine)
    for row in rows:
        verdict = verdicts.get(row["name"])
        row["health"] = verdict.state if verdict else None
        row["health_reasons"] = list(verdict.reasons) if verdict else []
        row["health_checked_at"] = verdict.checked_at if verdict else None
    return rows


def format_health(rows: list[dict[str, Any]]) -> list[str]:
    """The health block: each outlet's state, and the reasons of those that are not ok."""
    lines = ["health (latest verdict):"]
    for row in rows:
        state = (row.get("health") or "unknown").upper()
        when = (
            f"{row['health_checked_at']:%Y-%m-%d %H:%M}" if row.get("health_checked_at") else "never checked"
        )
        lines.append(f"  {state:<9} {row['name']}  ({when})")
        lines.extend(f"            - {reason}" for reason in row.get("health_reasons") or [])
    return lines


def format_status(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "No outlets have been crawled yet. Run `dadkhah run` first."
    lines = [*format_health(rows), ""]
    lines.append(f"{'outlet':<28} {'articles':>8} {'new':>5}  {'last run (UTC)':<20} {'status':<10} failures")
    for row in rows:
        when = row["last_run"].strftime("%Y-%m-%d %H:%M:%S") if row["last_run"] else "never"
        failures = ", ".join(f"{k} {v}" for k, v in sorted(row["failures"].items())) or "-"
        lines.append(
            f"{row['name'][:28]:<28} {row['articles']:>8} {row['new_in_last_run']:>5}  {when:<20} "
            f"{(row['status'] or '-'):<10} {failures}"
        )
    return "\n".join(lines)
