"""`dadkhah health`: each outlet's state and reasons, with an exit code for cron and monitors."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from pipeline.health import UNHEALTHY, Verdict

EXIT_UNHEALTHY = 4  # some outlet is failing or stale
EXIT_BAD_INPUT = 2
EXIT_DATABASE = 3


def format_verdicts(verdicts: list[Verdict]) -> str:
    """One line per outlet (state, name, when), its reasons indented below."""
    if not verdicts:
        return "No outlet has been crawled yet: no health to report. Run `dadkhah run` first."
    width = max(len(v.outlet) for v in verdicts)
    lines = []
    for v in verdicts:
        when = f"{v.checked_at:%Y-%m-%d %H:%M:%S} UTC" if v.checked_at else "-"
        run = f"run {v.run_id}" if v.run_id is not None else "no run"
        lines.append(f"{v.state.upper():<9} {v.outlet:<{width}}  checked {when}, after {run}")
        lines.extend(f"          - {reason}" for reason in v.reasons)
    return "\n".join(lines)


def health_command(
    outlet: Annotated[
        list[str] | None, typer.Option("--outlet", help="Only this outlet (repeatable).")
    ] = None,
    latest: Annotated[
        bool,
        typer.Option(
            "--latest",
            help="Show the verdicts stored after the last passes instead of judging the outlets now.",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the verdicts as JSON.")] = False,
) -> None:
    """Judge every crawled outlet now (and store the verdicts): ok, degraded, failing or stale.

    Exit codes: 0 when no outlet is failing or stale, 4 when one is, 2 for an unknown
    outlet, 3 when the database cannot be reached.
    """
    from pipeline.db import DatabaseUnavailable, get_engine
    from pipeline.health import UnknownOutlet, assess_outlets, latest_health
    from pipeline.settings import Settings

    try:
        engine = get_engine(Settings.from_env())
        if latest:
            stored = latest_health(engine)
            unknown = [name for name in outlet or [] if name not in stored]
            if unknown:
                raise UnknownOutlet(f"no stored verdict for outlet(s): {', '.join(unknown)}")
            verdicts = [v for name, v in stored.items() if not outlet or name in outlet]
        else:
            verdicts = assess_outlets(engine, outlet or None)
    except (UnknownOutlet, ValueError) as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from exc
    except DatabaseUnavailable as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(EXIT_DATABASE) from exc
    if as_json:
        typer.echo(json.dumps([v.as_dict() for v in verdicts], ensure_ascii=False, indent=2, default=str))
    else:
        typer.echo(format_verdicts(verdicts))
    unhealthy = [v.outlet for v in verdicts if v.state in UNHEALTHY]
    if unhealthy:
        if not as_json:
            typer.secho(f"unhealthy: {', '.join(unhealthy)}", fg=typer.colors.RED, err=True)
        raise typer.Exit(EXIT_UNHEALTHY)
