"""Option parsing shared by the CLI's commands (kept light: no heavy imports here)."""

from __future__ import annotations

from datetime import UTC, datetime

import typer


def parse_since(value: str | None) -> datetime | None:
    """A ``--since`` ISO date or date-time; one without a zone is UTC, as the help says."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"not an ISO date or date-time: {value!r}", param_hint="--since") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
