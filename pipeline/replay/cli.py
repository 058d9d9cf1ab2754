"""`dadkhah replay`: serve every capture of the archive in a browser, through pywb.

``dadkhah replay [--port N] [--bind ADDR]`` brings the CDXJ index up to date, records its
base URL (DADKHAH_REPLAY_URL, else http://127.0.0.1:N) for consumer.article_sources.replay_url,
and serves until stopped. ``--reindex`` rebuilds the whole index from the WARC files and
exits; ``--prepare`` only creates pywb's environment (the Docker image does, at build time).

Exit codes: 0 done (``--reindex``, ``--prepare``); 1 the server could not start or stopped
on its own; 2 bad arguments; 3 database unavailable; 5 ``--reindex`` or the start-up update
could not index some WARC file (each is listed; the rest is indexed); 130 stopped (Ctrl-C,
SIGTERM).
"""

from __future__ import annotations

from typing import Annotated

import typer

from pipeline.settings import DEFAULT_REPLAY_PORT, Settings

EXIT_SERVER, EXIT_BAD_ARGUMENT, EXIT_UNINDEXED = 1, 2, 5


def _error(message: str) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)


def _print_report(report, what: str) -> None:
    typer.echo(f"{what}: {report.records} records from {len(report.indexed)} WARC files", err=True)
    for relative in report.busy:
        typer.echo(f"  still being written (indexed next time): {relative}", err=True)
    for problem in report.problems:
        _error(f"not indexed: {problem}")


def replay_command(
    port: Annotated[int, typer.Option("--port", help="Port to serve on.")] = DEFAULT_REPLAY_PORT,
    bind: Annotated[
        str, typer.Option("--bind", help="Address to listen on (loopback unless you mean otherwise).")
    ] = "127.0.0.1",
    reindex: Annotated[
        bool, typer.Option("--reindex", help="Rebuild the whole CDXJ index from the WARC files, then exit.")
    ] = False,
    prepare: Annotated[
        bool, typer.Option("--prepare", help="Create the replay server's environment, then exit.")
    ] = False,
) -> None:
    """Replay the archive in a browser: each capture as it looked when fetched (pywb)."""
    from pipeline.db import get_engine
    from pipeline.replay import server
    from pipeline.replay.index import rebuild_index, update_index
    from pipeline.replay.urls import base_url, record_base_url

    settings = Settings.from_env()
    if not 0 < port < 65536:
        _error(f"--port {port}: not a TCP port")
        raise typer.Exit(EXIT_BAD_ARGUMENT)
    try:
        if prepare:
            typer.echo(f"replay environment ready: {server.ensure_env(settings.replay_env).parent.parent}")
            return
        if reindex:
            report = rebuild_index(settings.archive_dir, settings.replay_dir)
            _print_report(report, "replay index rebuilt")
            raise typer.Exit(EXIT_UNINDEXED if report.problems else 0)
        engine = get_engine(settings)
        report = update_index(settings.archive_dir, settings.replay_dir)
        _print_report(report, "replay index updated")
        base = base_url(settings, port)
        record_base_url(engine, base)
        engine.dispose()
        if not server.is_loopback(bind):
            typer.secho(
                f"warning: serving on {bind}, not loopback: anyone who reaches it sees the archive",
                fg=typer.colors.YELLOW,
                err=True,
            )
        process = server.start(settings, port=port, bind=bind)
    except server.ReplayError as exc:
        _error(str(exc))
        raise typer.Exit(EXIT_SERVER) from None
    try:
        server.wait_until_serving(process, "127.0.0.1" if bind in ("0.0.0.0", "::") else bind, port)
        typer.echo(f"replaying {settings.archive_dir} at {base}/{server.COLLECTION}/ (Ctrl-C stops)")
        if report.problems:
            _error(f"{len(report.problems)} WARC files could not be indexed (listed above)")
        code = process.wait()
    except server.ReplayError as exc:
        _error(str(exc))
        raise typer.Exit(EXIT_SERVER) from None
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except Exception:  # noqa: BLE001 - it would not stop: make it
                process.kill()
                process.wait()
    _error(f"the replay server stopped on its own (exit {code})")
    raise typer.Exit(EXIT_SERVER)
