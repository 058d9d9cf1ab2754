"""`dadkhah revisit`: fetch stored articles again and record edits and takedowns.

Exit codes as for `dadkhah run`: 0 every selected outlet's revisit finished (pages that did
not answer are recorded as unreachable, not fatal); 2 bad configuration or usage; 3 the
database is unreachable or not migrated; 4 some outlets failed or were skipped; 130
interrupted.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated

import typer

EXIT_OK, EXIT_OUTLETS_FAILED, EXIT_INTERRUPTED = 0, 4, 130


def _print(report) -> None:
    for name, o in report.outlets.items():
        typer.echo(
            f"[{name}] revisited {o['selected'] - o['not_checked']} of {o['selected']}: unchanged "
            f"{o['unchanged']}, edited {o['edited']}, removed {o['removed']}, unreachable "
            f"{o['unreachable']}; changes: edited {o['changes_edited']}, removed {o['changes_removed']}, "
            f"restored {o['changes_restored']}" + (f" -- {o['error']}" if o.get("error") else "")
        )
    run = f"run {report.run_id}" if report.run_id else "no run (nothing to revisit)"
    typer.echo(
        f"{run} {report.status}: {report.total('selected') - report.total('not_checked')} articles revisited"
    )


def revisit_command(
    outlets: Annotated[Path | None, typer.Option("--outlets", help="Outlets YAML file.")] = None,
    outlet: Annotated[
        list[str] | None, typer.Option("--outlet", help="Only this outlet (repeatable).")
    ] = None,
    due_only: Annotated[
        bool, typer.Option("--due-only", help="Only the articles the revisit schedule says are due now.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON on stdout.")] = False,
) -> None:
    """Fetch stored articles again (conditional GET) and record unchanged, edited, removed or
    unreachable; without --due-only, every stored article of the selected outlets."""
    from pipeline.cli import _check_archive
    from pipeline.revisit.run import RevisitInterrupted, revisit
    from pipeline.settings import Settings

    settings = Settings.from_env()
    from pipeline.revisit.run import select_outlets

    select_outlets(settings, outlet or None, outlets)  # configuration first: exit 2 before the database
    _check_archive(settings.archive_dir)
    level = logging.getLevelName(min(logging.getLogger().getEffectiveLevel(), logging.WARNING))
    try:
        report = revisit(
            settings, outlet_names=outlet or None, outlets_file=outlets, due_only=due_only, log_level=level
        )
    except RevisitInterrupted as exc:
        if as_json:
            typer.echo(json.dumps({"report": exc.report.as_dict(), "exit_code": EXIT_INTERRUPTED}, indent=2))
        else:
            _print(exc.report)
        typer.secho(
            f"error: interrupted: revisit run {exc.report.run_id} closed as interrupted", err=True, fg="red"
        )
        raise typer.Exit(EXIT_INTERRUPTED) from None
    code = EXIT_OUTLETS_FAILED if report.failed_outlets() else EXIT_OK
    if as_json:
        typer.echo(json.dumps({"report": report.as_dict(), "exit_code": code}, ensure_ascii=False, indent=2))
    else:
        _print(report)
    raise typer.Exit(code)
