"""The `dadkhah` command line: the same library functions the DAGs call.

Exit codes (the README's table is the contract): 0 success; 1 a post-processing step failed;
2 bad configuration or usage; 3 database unreachable or not migrated; 4 the pass finished
but some outlets failed or were skipped; 130 interrupted (Ctrl-C, SIGTERM).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InterfaceError, OperationalError
from typer.core import TyperGroup

from pipeline import __version__
from pipeline.archive_verify import archive_app
from pipeline.clustering import cluster_pending
from pipeline.clustering.cli import cluster_command, recluster_command
from pipeline.config import ConfigError, load_outlets
from pipeline.db import (
    EMBEDDED_DATABASE,
    DatabaseUnavailable,
    describe_database,
    embedded_database_url,
    ensure_database,
    get_engine,
    normalise_url,
    one_line,
    safe_url,
    stop_embedded,
    upgrade,
)
from pipeline.evidence.cli import evidence_app, verify_command
from pipeline.extraction.cli import extract_command
from pipeline.feed import export_command
from pipeline.health_cli import health_command
from pipeline.incidents.cli import incidents_command
from pipeline.incidents.store import extract_pending
from pipeline.replay.cli import replay_command
from pipeline.reprocess import reprocess_command
from pipeline.revisit.cli import revisit_command
from pipeline.search import search_command
from pipeline.settings import Settings, SettingsError
from pipeline.tagging import tag_pending
from pipeline.tagging.cli import tag_command

EXIT_OK, EXIT_POST_FAILED, EXIT_CONFIG, EXIT_DATABASE, EXIT_OUTLETS_FAILED = 0, 1, 2, 3, 4
EXIT_INTERRUPTED = 130
# Commands that use neither the database nor the archive: no start-up line for them.
OFFLINE_COMMANDS = {"config", "extract", "demo", "verify"}  # the demo says where its own data goes
LOG_HANDLER_MARK = "_dadkhah_cli_handler"


def _error(message: str) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)


@contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """SIGTERM (a service manager stopping dadkhah) closes the run like Ctrl-C does."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _raise(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signal.Signals(signum).name}")

    previous = signal.signal(signal.SIGTERM, _raise)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class DadkhahGroup(TyperGroup):
    """Every command: a known failure is one line and its documented exit code, no traceback."""

    def invoke(self, ctx: typer.Context) -> Any:
        # Seen here, before the group hands the arguments to the subcommand: `CMD --help`
        # prints help only, not the start-up line.
        ctx.meta["dadkhah.asks_help"] = "--help" in [*getattr(ctx, "_protected_args", ()), *ctx.args]
        try:
            with _sigterm_interrupts():
                return super().invoke(ctx)
        except DatabaseUnavailable as exc:  # SchemaNotCurrent included
            _error(str(exc))
            raise typer.Exit(EXIT_DATABASE) from None
        except (OperationalError, InterfaceError) as exc:  # the connection went away mid-command
            _error(f"database error: {one_line(exc)}")
            raise typer.Exit(EXIT_DATABASE) from None
        except (ConfigError, SettingsError) as exc:
            _error(str(exc))
            raise typer.Exit(EXIT_CONFIG) from None
        except KeyboardInterrupt:
            _error("interrupted")
            raise typer.Exit(EXIT_INTERRUPTED) from None


app = typer.Typer(
    cls=DadkhahGroup,
    help="dadkhah: evidence-grade collection of human-rights news.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # a traceback must never print the database password
)
db_app = typer.Typer(help="Database schema and the embedded server.", no_args_is_help=True)
config_app = typer.Typer(help="Configuration files.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(config_app, name="config")
app.add_typer(archive_app, name="archive")
app.add_typer(evidence_app, name="evidence")
app.command("verify")(verify_command)


def _fail(message: str, code: int = EXIT_CONFIG) -> None:
    _error(message)
    raise typer.Exit(code)


def _remove_log_handlers() -> None:
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, LOG_HANDLER_MARK, False)]:
        root.removeHandler(handler)
        handler.close()


def _setup_logging(level: int, log_file: Path | None) -> None:
    """One stderr handler (and optionally a file) on the root logger, for this command only."""
    _remove_log_handlers()
    root = logging.getLogger()
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file is not None:
        try:
            handlers.append(logging.FileHandler(log_file, encoding="utf-8"))
        except OSError as exc:
            _fail(f"cannot open log file {log_file}: {exc.strerror or exc}")
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in handlers:
        handler.setFormatter(fmt)
        setattr(handler, LOG_HANDLER_MARK, True)
        root.addHandler(handler)
    root.setLevel(level)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"dadkhah {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    ctx: typer.Context,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
    verbose: Annotated[
        int, typer.Option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
    ] = 0,
    log_level: Annotated[
        str | None, typer.Option("--log-level", help="debug, info, warning (default) or error.")
    ] = None,
    log_file: Annotated[
        Path | None, typer.Option("--log-file", help="Also write the log to this file.")
    ] = None,
) -> None:
    """dadkhah: evidence-grade collection of human-rights news."""
    if log_level is not None:
        level = logging.getLevelName(log_level.upper())
        if log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR") or not isinstance(level, int):
            raise typer.BadParameter(f"{log_level!r} is not one of debug, info, warning, error")
    else:
        level = {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    previous_level = logging.getLogger().level
    _setup_logging(level, log_file)

    def _restore() -> None:  # in-process callers (tests, other tools) get their logging back
        _remove_log_handlers()
        logging.getLogger().setLevel(previous_level)

    ctx.call_on_close(_restore)
    asks_help = ctx.meta.get("dadkhah.asks_help", False)
    if ctx.invoked_subcommand not in OFFLINE_COMMANDS and not (ctx.resilient_parsing or asks_help):
        settings = Settings.from_env()
        typer.echo(
            f"dadkhah: database {describe_database(settings)}; archive {settings.archive_dir}", err=True
        )


# -- database ---------------------------------------------------------------------------------


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the schema migrations (the consumer views included) to head; idempotent.

    The only command that changes the schema: the others check it and stop when it is behind.
    """
    engine = get_engine(Settings.from_env(), require_current_schema=False)
    heads = upgrade(engine)
    typer.echo(f"database at revision {', '.join(heads)}")


@db_app.command("stop")
def db_stop() -> None:
    """Stop the embedded PostgreSQL server (it keeps running between commands otherwise)."""
    settings = Settings.from_env()
    if settings.database_url:
        _fail("DADKHAH_DATABASE_URL is set: that server is not dadkhah's to stop")
    pid = stop_embedded(settings.embedded_pgdata)
    if pid is None:
        typer.echo(f"the embedded server in {settings.embedded_pgdata} is not running")
    else:
        typer.echo(f"stopped the embedded server in {settings.embedded_pgdata} (pid {pid})")


# -- configuration ----------------------------------------------------------------------------


@config_app.command("check")
def config_check(
    outlets: Annotated[Path | None, typer.Option("--outlets", help="Outlets YAML file.")] = None,
    topics: Annotated[Path | None, typer.Option("--topics", help="Taxonomy YAML file.")] = None,
) -> None:
    """Validate the outlets and topics files (no database needed); exit 2 naming what is wrong."""
    from pipeline.tagging import TaxonomyError, load_taxonomy

    settings = Settings.from_env()
    outlets_file, topics_file = outlets or settings.outlets_file, topics or settings.topics_file
    problems: list[str] = []
    try:
        config = load_outlets(outlets_file)
        enabled = sum(o.enabled for o in config.outlets)
        typer.echo(f"{outlets_file}: {len(config.outlets)} outlets ({enabled} enabled)")
    except ConfigError as exc:
        problems.append(str(exc))
    try:
        taxonomy = load_taxonomy(topics_file)
        typer.echo(f"{topics_file}: taxonomy {taxonomy.version}, {len(taxonomy.topics)} topics")
    except TaxonomyError as exc:
        problems.append(str(exc))
    except (UnicodeDecodeError, IsADirectoryError) as exc:
        problems.append(f"{topics_file}: cannot read the taxonomy file: {exc}")
    for problem in problems:
        _error(problem)
    if problems:
        raise typer.Exit(EXIT_CONFIG)


# -- one pass ---------------------------------------------------------------------------------

POST_STEPS = (("clustering", cluster_pending), ("tagging", tag_pending), ("incidents", extract_pending))


def _post_processing(engine, quiet: bool) -> tuple[bool, dict[str, Any]]:
    """Near-duplicate clustering, topic tagging, then the incident register. Returns (all
    steps ok, their results).

    A failing step never undoes what the pass stored; it is reported and the exit code
    says so, and the next run picks up the articles that step missed.
    """
    ok, results = True, {}
    for label, step in POST_STEPS:
        try:
            result = step(engine)
        except Exception as exc:  # noqa: BLE001 - report, keep going with the next step
            _error(f"{label} failed: {type(exc).__name__}: {exc}")
            results[label] = {"error": f"{type(exc).__name__}: {exc}"}
            ok = False
            continue
        results[label] = result
        if not quiet:
            summary = ", ".join(f"{k} {v}" for k, v in result.items() if not isinstance(v, dict | list))
            typer.echo(f"{label}: {summary}")
    return ok, results


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
    failed = report.failed_outlets()
    if failed:
        typer.echo(f"{len(failed)} of {len(report.outlets)} outlets did not finish: {', '.join(failed)}")


def _json_default(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _echo_json(payload: Any) -> None:
    typer.echo(json.dumps(payload, ensure_ascii=False, indent=2, default=_json_default))


def _check_archive(archive_dir: Path) -> None:
    """The archive must be writable before a crawl starts, or every capture would be lost."""
    try:
        archive_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _fail(f"archive folder {archive_dir} cannot be created: {exc.strerror or exc}")
    if not os.access(archive_dir, os.W_OK | os.X_OK):
        _fail(f"archive folder {archive_dir} is not writable")


def _run_pass(
    settings: Settings,
    outlets_file: Path | None,
    outlet: list[str] | None,
    max_articles: int | None,
    trigger: str,
    as_json: bool = False,
) -> int:
    """One pass and its post-processing; prints the report and returns the exit code."""
    from pipeline.ingest import PassInterrupted, ingest

    # Configuration first: a bad file is exit 2 whatever the state of the database.
    load_outlets(outlets_file or settings.outlets_file).select(outlet or None)
    _check_archive(settings.archive_dir)
    engine = get_engine(settings)
    try:
        report = ingest(
            settings,
            outlet_names=outlet or None,
            outlets_file=outlets_file,
            max_articles=max_articles,
            trigger=trigger,
            engine=engine,
            # -v / --log-level reach the crawl child's Scrapy and library lines too.
            log_level=logging.getLevelName(min(logging.getLogger().getEffectiveLevel(), logging.WARNING)),
        )
    except PassInterrupted as exc:
        if as_json:
            _echo_json({"report": exc.report.as_dict(), "exit_code": EXIT_INTERRUPTED})
        else:
            _print_report(exc.report)
        _error(f"interrupted: run {exc.report.run_id} closed as interrupted; what it stored is kept")
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        _error("interrupted: the run was closed as interrupted; what it stored is kept")
        return EXIT_INTERRUPTED
    if not as_json:
        _print_report(report)
    if report.status == "interrupted":  # closed as interrupted without raising: no post-processing
        code, post_ok, post = EXIT_INTERRUPTED, True, {}
    else:
        post_ok, post = _post_processing(engine, quiet=as_json)
        failed = report.status != "finished" or bool(report.failed_outlets())
        code = EXIT_POST_FAILED if not post_ok else EXIT_OUTLETS_FAILED if failed else EXIT_OK
    if as_json:
        _echo_json({"report": report.as_dict(), "post_processing": post, "exit_code": code})
    return code


MaxArticles = Annotated[
    int | None, typer.Option("--max-articles", min=1, help="Cap per outlet (at least 1).")
]


@app.command()
def run(
    outlets: Annotated[Path | None, typer.Option("--outlets", help="Outlets YAML file.")] = None,
    outlet: Annotated[
        list[str] | None, typer.Option("--outlet", help="Only this outlet (repeatable).")
    ] = None,
    max_articles: MaxArticles = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON on stdout.")] = False,
) -> None:
    """One full pass: discover, fetch, extract, deduplicate, store, cluster and tag."""
    code = _run_pass(Settings.from_env(), outlets, outlet, max_articles, "cli", as_json)
    raise typer.Exit(code)


# -- what is there ----------------------------------------------------------------------------


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print the rows as JSON on stdout.")] = False,
) -> None:
    """Per outlet: articles stored, last run, new in last run, failures by kind."""
    from pipeline.status import format_status, outlet_status

    rows = outlet_status(get_engine(Settings.from_env()))
    if as_json:
        _echo_json(rows)
    else:
        typer.echo(format_status(rows))


# Columns of `dadkhah outlets`: (key, heading, width); rows are dicts with these keys.
OUTLET_COLUMNS = [
    ("name", "outlet", 28),
    ("enabled", "enabled", 7),
    ("language", "lang", 5),
    ("articles", "articles", 8),
    ("last_run", "last run (UTC)", 19),
    ("last_status", "last status", 12),
    ("health", "health", 9),
]


def outlet_rows(settings: Settings, outlets_file: Path | None) -> tuple[list[dict[str, Any]], str | None]:
    """The configured outlets, with what the database knows of them when it answers.

    Returns (rows, why the database figures are missing or None).
    """
    from pipeline.status import outlet_status

    config = load_outlets(outlets_file or settings.outlets_file)
    rows = [
        {"name": o.name, "enabled": o.enabled, "language": o.language, "home": o.home} for o in config.outlets
    ]
    try:
        stored = {row["name"]: row for row in outlet_status(get_engine(settings))}
    except DatabaseUnavailable as exc:
        return rows, str(exc)
    for row in rows:
        known = stored.get(row["name"]) or {}
        row.update(
            articles=known.get("articles", 0),
            last_run=known.get("last_run"),
            last_status=known.get("status"),
            health=known.get("health"),
            health_reasons=known.get("health_reasons") or [],
        )
    return rows, None


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


@app.command("outlets")
def outlets_command(
    outlets: Annotated[Path | None, typer.Option("--outlets", help="Outlets YAML file.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the rows as JSON on stdout.")] = False,
) -> None:
    """The configured outlets: enabled or not, and (when the database answers) what is stored."""
    rows, missing = outlet_rows(Settings.from_env(), outlets)
    if missing:
        typer.echo(f"note: no stored figures ({missing})", err=True)
    if as_json:
        _echo_json(rows)
        return
    columns = [
        c for c in OUTLET_COLUMNS if missing is None or c[0] not in ("articles", "last_run", "last_status")
    ]
    typer.echo("  ".join(f"{heading:<{width}}" for _key, heading, width in columns).rstrip())
    for row in rows:
        typer.echo(
            "  ".join(f"{_cell(row.get(key))[:width]:<{width}}" for key, _h, width in columns).rstrip()
        )


# -- the demo ---------------------------------------------------------------------------------


def demo_settings(settings: Settings) -> Settings:
    """The demo's own database and archive: never the user's.

    DADKHAH_DEMO_DATABASE_URL if set; else a database named ``<yours>_demo`` on the same
    server (created when missing); else ``dadkhah_demo`` on the embedded server. The archive
    goes to ``<data dir>/demo/archive``.
    """
    explicit = os.environ.get("DADKHAH_DEMO_DATABASE_URL")
    if explicit:
        url = normalise_url(explicit)
    elif settings.database_url:
        user = make_url(normalise_url(settings.database_url))
        url = user.set(database=f"{user.database}_demo").render_as_string(hide_password=False)
        try:
            ensure_database(user.render_as_string(hide_password=False), f"{user.database}_demo")
        except DatabaseUnavailable as exc:
            raise DatabaseUnavailable(f"{exc} (or set DADKHAH_DEMO_DATABASE_URL for the demo)") from exc
    else:
        url = embedded_database_url(settings.embedded_pgdata, f"{EMBEDDED_DATABASE}_demo")
    if settings.database_url and _same_database(url, normalise_url(settings.database_url)):
        _fail("the demo's database is your configured database: set DADKHAH_DEMO_DATABASE_URL elsewhere")
    archive = Path(settings.data_dir) / "demo" / "archive"
    if archive.absolute() == Path(settings.archive_dir).absolute():
        _fail(f"the demo's archive {archive} is your configured archive: set DADKHAH_ARCHIVE_DIR elsewhere")
    return replace(settings, database_url=url, archive_dir=archive)


def _same_database(a: str, b: str) -> bool:
    ua, ub = make_url(a), make_url(b)
    return (ua.host, ua.port, ua.database) == (ub.host, ub.port, ub.database)


@app.command()
def demo() -> None:
    """Run the whole pass against the bundled offline site in a database of its own."""
    from sqlalchemy import text

    from pipeline.fixture_site import FixtureSite
    from pipeline.status import format_status, outlet_status

    settings = demo_settings(Settings.from_env())
    engine = get_engine(settings, require_current_schema=False)
    upgrade(engine)  # the demo's own database: running the demo is asking for its schema
    typer.echo(
        f"demo: database {safe_url(settings.database_url or '')}; archive {settings.archive_dir} "
        "(your own database and archive are not touched)"
    )
    site = FixtureSite(slow_seconds=3.0).start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            outlets_file = site.write_outlets_yaml(Path(tmp))
            typer.echo("Serving the demo site on " + ", ".join(s.base_url for s in site.sites.values()))
            code = _run_pass(settings, outlets_file, None, None, "demo")
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
    typer.echo("\nStored articles (query them in the consumer.articles view of the demo database):")
    for row in rows:
        typer.echo(f"  {row.day}  {row.outlet:<22} {row.title}")
    raise typer.Exit(code)


app.command("extract")(extract_command)
app.command("reprocess")(reprocess_command)
app.command("revisit")(revisit_command)
app.command("tag")(tag_command)
app.command("cluster")(cluster_command)
app.command("recluster")(recluster_command)
app.command("health")(health_command)
app.command("search")(search_command)
app.command("export")(export_command)
app.command("replay")(replay_command)
app.command("incidents")(incidents_command)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
