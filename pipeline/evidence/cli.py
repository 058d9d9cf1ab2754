"""`dadkhah evidence ...` and `dadkhah verify FILE`.

``dadkhah evidence ARTICLE_ID [--out FILE]`` writes an article's evidence bundle (the same
as ``dadkhah evidence bundle ARTICLE_ID``); ``dadkhah evidence seal`` seals WARC files a
crash left out of the chain; ``dadkhah evidence pubkey`` prints the signing key to publish.

Exit codes: ``evidence``: 0 written; 2 no such article or bad arguments; 3 database
unavailable; 5 a capture cannot be proven (not sealed, its file missing or changed).
``evidence seal``: 0 all sealed (files still being written are listed and left for later);
4 sealed, but the timestamp authority failed; 5 a file could not be sealed (it changed or
shrank since it was sealed). ``evidence check``: 0 the chain and the files hold; 5 not.
``verify``: 0 everything holds; 5 a check failed; 2 not a readable bundle.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import click
import typer
from typer.core import TyperGroup

from pipeline.evidence.verify import EXIT_FAILED, EXIT_UNREADABLE, BundleUnreadable, verify_bundle

EXIT_NOT_PROVEN = 5
EXIT_STAMP_FAILED = 4
EXIT_BAD_ARGUMENT = 2


class _EvidenceGroup(TyperGroup):
    """``dadkhah evidence 42`` is ``dadkhah evidence bundle 42``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0].isdigit():
            args = ["bundle", *args]
        return super().parse_args(ctx, args)


evidence_app = typer.Typer(
    cls=_EvidenceGroup,
    help="Evidence: per-article bundles (`dadkhah evidence ARTICLE_ID`), the chain of custody, the signing key.",
    no_args_is_help=True,
)


def _error(message: str) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)


def _signing_key_error(exc: Exception) -> None:
    _error(str(exc))
    raise typer.Exit(EXIT_BAD_ARGUMENT) from None


def _seal(settings, engine, quiet: bool = False):
    from pipeline.evidence.chain import seal_pending
    from pipeline.evidence.keys import SigningKeyError

    try:
        report = seal_pending(engine, settings.archive_dir, settings.data_dir, tsa_url=settings.tsa_url)
    except SigningKeyError as exc:
        _signing_key_error(exc)
    if not quiet:
        for entry in report.sealed:
            typer.echo(
                f"sealed entry {entry.seq}: {entry.warc_file} ({entry.size} bytes, {entry.records} records)"
            )
        for name in report.busy:
            typer.echo(f"still being written, sealed later: {name}")
    for problem in report.problems:
        _error(f"not sealed: {problem}")
    for problem in report.stamp_errors:
        _error(f"no timestamp: {problem}")
    return report


@evidence_app.command("bundle")
def bundle_command(
    article_id: Annotated[int, typer.Argument(help="The article's id (consumer.articles.article_id).")],
    out: Annotated[
        Path | None, typer.Option("--out", help="The WACZ to write (default: article-ID.wacz).")
    ] = None,
) -> None:
    """Write one self-contained WACZ with every capture, version and proof of the article."""
    from pipeline.db import get_engine
    from pipeline.evidence.bundle import BundleError, write_bundle
    from pipeline.settings import Settings

    settings = Settings.from_env()
    engine = get_engine(settings)
    _seal(settings, engine, quiet=True)  # fresh captures are proven too
    target = out or Path(f"article-{article_id}.wacz")
    try:
        result = write_bundle(
            engine,
            settings.archive_dir,
            settings.data_dir,
            article_id,
            target,
            tsa_ca_file=settings.tsa_ca_file,
        )
    except BundleError as exc:
        _error(str(exc))
        raise typer.Exit(
            EXIT_BAD_ARGUMENT if str(exc).startswith("no article") else EXIT_NOT_PROVEN
        ) from None
    except OSError as exc:
        _error(f"cannot write {target}: {exc.strerror or exc}")
        raise typer.Exit(EXIT_NOT_PROVEN) from None
    typer.echo(
        f"wrote {result.path} ({result.size} bytes): {result.fetches} captures in {result.warc_files} WARC "
        f"files, {result.chain_entries} chain entries, {result.timestamps} timestamps"
    )


@evidence_app.command("seal")
def seal_command() -> None:
    """Seal every WARC file not yet in the chain of custody (a crash can leave some); stamp the head."""
    from pipeline.db import get_engine
    from pipeline.settings import Settings

    settings = Settings.from_env()
    report = _seal(settings, get_engine(settings))
    typer.echo(
        f"{len(report.sealed)} sealed, {len(report.busy)} still being written, {len(report.problems)} could not be sealed"
    )
    if report.problems:
        raise typer.Exit(EXIT_NOT_PROVEN)
    if report.stamp_errors:
        raise typer.Exit(EXIT_STAMP_FAILED)


@evidence_app.command("pubkey")
def pubkey_command() -> None:
    """Print the installation's Ed25519 public key (PEM) and its id: publish both."""
    from pipeline.evidence import keys
    from pipeline.settings import Settings

    try:
        key = keys.load_or_create(Settings.from_env().data_dir)
    except keys.SigningKeyError as exc:
        _signing_key_error(exc)
    typer.echo(key.public_pem().decode().rstrip())
    typer.echo(f"key id (SHA-256 of the raw public key): {key.key_id}", err=True)


def verify_command(
    bundle: Annotated[Path, typer.Argument(help="An evidence bundle (.wacz) written by `dadkhah evidence`.")],
    pubkey: Annotated[
        Path | None,
        typer.Option("--pubkey", help="The installation's published public key (PEM) to require."),
    ] = None,
    tsa_ca: Annotated[
        Path | None,
        typer.Option(
            "--tsa-ca", help="The timestamp authority's CA (PEM) to trust instead of the bundled one."
        ),
    ] = None,
) -> None:
    """Re-check every hash, the chain, the signatures and the timestamps of an evidence bundle."""
    try:
        verdict = verify_bundle(bundle, public_key=pubkey, tsa_ca=tsa_ca)
    except BundleUnreadable as exc:
        _error(str(exc))
        raise typer.Exit(EXIT_UNREADABLE) from None
    for line in verdict.passed:
        typer.echo(f"ok      {line}")
    for line in verdict.failed:
        typer.echo(f"FAILED  {line}")
    for line in verdict.notes:
        typer.echo(f"note    {line}")
    if verdict.ok:
        typer.echo(f"{bundle}: all {len(verdict.passed)} checks hold")
    else:
        typer.echo(
            f"{bundle}: {len(verdict.failed)} of {len(verdict.passed) + len(verdict.failed)} checks FAILED"
        )
        raise typer.Exit(EXIT_FAILED)


@evidence_app.command("check")
def check_command(
    archive_dir: Annotated[
        Path | None, typer.Option(help="The archive directory (default: $DADKHAH_ARCHIVE_DIR).")
    ] = None,
    tsa_ca: Annotated[
        Path | None,
        typer.Option("--tsa-ca", help="The timestamp authority's CA (default: $DADKHAH_TSA_CA_FILE)."),
    ] = None,
) -> None:
    """Check the whole chain of custody (links, signatures, timestamps) against the files on disk."""
    from pipeline.db import get_engine
    from pipeline.evidence.audit import check_chain
    from pipeline.settings import Settings

    settings = Settings.from_env()
    verdict = check_chain(
        get_engine(settings),
        archive_dir or settings.archive_dir,
        settings.data_dir,
        tsa_ca_file=tsa_ca or settings.tsa_ca_file,
    )
    for line in verdict.failed:
        typer.echo(f"FAILED  {line}")
    for line in verdict.notes:
        typer.echo(f"note    {line}")
    typer.echo(f"chain of custody: {len(verdict.passed)} checks hold, {len(verdict.failed)} failed")
    if verdict.failed:
        raise typer.Exit(EXIT_FAILED)
