"""`dadkhah health`: each outlet's state and reasons, with an exit code for cron and monitors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from pipeline.health import UNHEALTHY, Verdict
from pipeline.settings import Settings

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
    outlets: Annotated[
        Path | None, typer.Option("--outlets", help="Outlets YAML file (which outlets are enabled).")
    ] = None,
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
    """Judge the enabled, crawled outlets now (and store the verdicts): ok, degraded, failing, stale.

    Outlets disabled or gone from the outlets file are left out (``--outlet`` names any
    crawled outlet). Exit codes: 0 when no outlet is failing or stale, 4 when one is, 2 for
    a bad outlets file or an unknown outlet, 3 when the database cannot be reached.
    """
    from pipeline.config import ConfigError, load_outlets
    from pipeline.db import DatabaseUnavailable, get_engine
    from pipeline.health import UnknownOutlet, assess_outlets, crawled_outlets, latest_health

    settings = Settings.from_env()
    try:
        engine = get_engine(settings)
        crawled = crawled_outlets(engine)
        if outlet:
            unknown = [name for name in outlet if name not in crawled]
            if unknown:
                raise UnknownOutlet(f"never crawled, or unknown: {', '.join(unknown)}")
            names = list(dict.fromkeys(outlet))
        else:
            enabled = {o.name for o in load_outlets(outlets or settings.outlets_file).select(None)}
            names = [name for name in crawled if name in enabled]
            left_out = [name for name in crawled if name not in enabled]
            if left_out:
                typer.echo(
                    f"not judged (disabled or not in the outlets file): {', '.join(left_out)}", err=True
                )
        if latest:
            stored = latest_health(engine)
            verdicts = [stored[name] for name in names if name in stored]
        else:
            verdicts = assess_outlets(engine, names) if names else []
    except ConfigError as exc:
        typer.secho(f"error: bad outlet configuration:\n{exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from exc
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
