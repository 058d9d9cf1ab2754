"""The `dadkhah` command line: the same library functions the DAGs call."""

from __future__ import annotations

import logging
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from pipeline.clustering import cluster_pending
from pipeline.clustering.cli import cluster_command, recluster_command
from pipeline.config import ConfigError
from pipeline.db import DatabaseUnavailable, get_engine, upgrade
from pipeline.extraction.cli import extract_command
from pipeline.health_cli import health_command
from pipeline.reprocess import reprocess_command
from pipeline.settings import Settings
from pipeline.tagging import tag_pending
from pipeline.tagging.cli import tag_command

app = typer.Typer(help="dadkhah: evidence-grade collection of human-rights news.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")


def _fail(message: str, code: int = 2) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def _engine(settings: Settings):
    try:
        return get_engine(settings)
    except DatabaseUnavailable as exc:
        _fail(str(exc), 3)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply schema migrations to head (idempotent)."""
    engine = _engine(Settings.from_env())
    heads = upgrade(engine)
    typer.echo(f"database at revision {', '.join(heads)}")


POST_STEPS = (("clustering", cluster_pending), ("tagging", tag_pending))


def _post_processing(engine) -> bool:
    """Near-duplicate clustering, then topic tagging. Returns False if a step failed.

    A failing step never undoes what the pass stored; it is reported and the exit code
    says so, and the next run picks up the articles that step missed.
    """
    ok = True
    for label, step in POST_STEPS:
        try:
            result = step(engine)
        except Exception as exc:  # noqa: BLE001 - report, keep going with the next step
            typer.secho(f"{label} failed: {type(exc).__name__}: {exc}", fg=typer.colors.RED, err=True)
            ok = False
            continue
        summary = ", ".join(f"{k} {v}" for k, v in result.items() if not isinstance(v, dict | list))
        typer.echo(f"{label}: {summary}")
    return ok


def _print_report(report) -> None:
    for name, stats in report.outlets.items():
        failures = stats.get("failures") or {}
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(failures.items())) or "none"
        typer.echo(
            f"[{name}] discovered {stats.get('discovered', 0)} (already stored "
            f"{stats.get('skipped_known', 0)}), fetched {stats.get('fetched', 0)}, stored "
            f"{stats.get('stored', 0)}, duplicate {stats.get('duplicate', 0)}, not an article "
            f"{stats.get('not_article', 0)}, failed {stats.get('failed', 0)} ({reasons})"
            + (f" -- {stats['error']}" if stats.get("error") else "")
        )
    typer.echo(f"run {report.run_id} {report.status}: {report.total('stored')} new articles")


def _run_pass(
    settings: Settings,
    outlets_file: Path | None,
    outlet: list[str] | None,
    max_articles: int | None,
    trigger: str,
):
    from pipeline.ingest import ingest

    try:
        engine = get_engine(settings)
        report = ingest(
            settings,
            outlet_names=outlet or None,
            outlets_file=outlets_file,
            max_articles=max_articles,
            trigger=trigger,
            engine=engine,
        )
    except ConfigError as exc:
        _fail(f"bad outlet configuration:\n{exc}")
    except DatabaseUnavailable as exc:
        _fail(str(exc), 3)
    _print_report(report)
    if not _post_processing(engine):
        raise typer.Exit(1)
    return report, engine


@app.command()
def run(
    outlets: Annotated[Path | None, typer.Option("--outlets", help="Outlets YAML file.")] = None,
    outlet: Annotated[
        list[str] | None, typer.Option("--outlet", help="Only this outlet (repeatable).")
    ] = None,
    max_articles: Annotated[int | None, typer.Option("--max-articles", help="Cap per outlet.")] = None,
) -> None:
    """One full pass: discover, fetch, extract, deduplicate, store, cluster and tag."""
    settings = Settings.from_env()
    _run_pass(settings, outlets, outlet, max_articles, "cli")


@app.command()
def status() -> None:
    """Per outlet: articles stored, last run, new in last run, failures by kind."""
    from pipeline.status import format_status, outlet_status

    engine = _engine(Settings.from_env())
    upgrade(engine)
    typer.echo(format_status(outlet_status(engine)))


@app.command()
def demo() -> None:
    """Run the whole pass against the bundled offline site, then summarise what was stored."""
    from sqlalchemy import text

    from pipeline.fixture_site import FixtureSite
    from pipeline.status import format_status, outlet_status

    settings = Settings.from_env()
    site = FixtureSite(slow_seconds=3.0).start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            outlets_file = site.write_outlets_yaml(Path(tmp))
            typer.echo("Serving the demo site on " + ", ".join(s.base_url for s in site.sites.values()))
            _report, engine = _run_pass(settings, outlets_file, None, None, "demo")
    finally:
        site.stop()
    typer.echo("")
    typer.echo(format_status(outlet_status(engine)))
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT outlet, published_at::date AS day, title FROM consumer.articles "
                "ORDER BY published_at DESC NULLS LAST LIMIT 20"
            )
        ).all()
    typer.echo("\nStored articles (query them in the consumer.articles view):")
    for row in rows:
        typer.echo(f"  {row.day}  {row.outlet:<22} {row.title}")


app.command("extract")(extract_command)
app.command("reprocess")(reprocess_command)
app.command("tag")(tag_command)
app.command("cluster")(cluster_command)
app.command("recluster")(recluster_command)
app.command("health")(health_command)


def main() -> None:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    app()


if __name__ == "__main__":
    main()
