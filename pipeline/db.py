"""Database access: engines, the embedded server fallback, the schema check and migrations.

Only ``upgrade`` (``dadkhah db upgrade``) changes the schema. Everything else checks that the
database is at the migrations' head and stops with a clear message when it is not: DDL taken
implicitly by a crawl would wait behind (and block) whoever is reading the consumer views.
"""

from __future__ import annotations

import logging
import os
import signal
import time
import warnings
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from pipeline.settings import DEFAULT_CONNECT_TIMEOUT, Settings

log = logging.getLogger(__name__)
SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schema"
EMBEDDED_DATABASE = "dadkhah"
UPGRADE_LOCK = 72417001  # pg_advisory_xact_lock key: one upgrade at a time


class DatabaseUnavailable(RuntimeError):
    """The configured database cannot be used: a clear, one-line, user-facing message."""


class SchemaNotCurrent(DatabaseUnavailable):
    """The database's schema revision is not the one this dadkhah's migrations end at."""

    def __init__(self, current: list[str], needed: list[str], unknown: list[str]) -> None:
        self.current, self.needed, self.unknown = current, needed, unknown
        at = ", ".join(current) or "none (not initialised)"
        want = ", ".join(needed)
        if unknown:
            super().__init__(
                f"database schema is at {at}, which this dadkhah does not know (written by a newer "
                f"version?); dadkhah needs {want}: use the dadkhah that migrated it"
            )
        else:
            super().__init__(f"database schema is at {at}, dadkhah needs {want}: run `dadkhah db upgrade`")


def one_line(exc: BaseException) -> str:
    """A driver error as one line: the driver's own message, without SQLAlchemy's wrapping."""
    inner = getattr(exc, "orig", None) or exc
    lines = [" ".join(line.split()) for line in str(inner).splitlines()]
    return "; ".join(line for line in lines if line) or type(inner).__name__


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs (Airflow connections give those)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def with_connect_timeout(url: str, seconds: int = DEFAULT_CONNECT_TIMEOUT) -> str:
    """The URL with libpq's ``connect_timeout`` set, unless the URL sets its own.

    Carried in the URL (not in engine arguments) so that the crawl's child process, which
    gets the URL, has the same bound on every connection it opens.
    """
    parsed = make_url(url)
    if "connect_timeout" in parsed.query:
        return url
    return parsed.update_query_dict({"connect_timeout": str(seconds)}).render_as_string(hide_password=False)


def safe_url(url: str) -> str:
    """The URL for messages: password hidden, dadkhah's own connect_timeout left out."""
    parsed = make_url(url)
    query = {k: v for k, v in parsed.query.items() if k != "connect_timeout"}
    return parsed.set(query=query).render_as_string(hide_password=True)


def _pgserver():
    with warnings.catch_warnings():  # platformdirs warns about XDG_RUNTIME_DIR on import
        warnings.simplefilter("ignore")
        import pgserver  # imported lazily: only needed without DADKHAH_DATABASE_URL
    return pgserver


def embedded_database_url(pgdata: Path, database: str = EMBEDDED_DATABASE) -> str:
    """Start (or reuse) the embedded PostgreSQL in ``pgdata``; create ``database`` on it."""
    pgdata = Path(pgdata).absolute()
    try:
        pgdata.parent.mkdir(parents=True, exist_ok=True)
        server = _pgserver().get_server(str(pgdata), cleanup_mode=None)
        uri = server.get_uri()
    except Exception as exc:  # noqa: BLE001 - any failure to start it is "unavailable"
        raise DatabaseUnavailable(f"cannot start the embedded database in {pgdata}: {one_line(exc)}") from exc
    ensure_database(normalise_url(uri), database)
    # render_as_string, not str(): str() masks the password as "***", which would then be sent.
    return normalise_url(make_url(uri).set(database=database).render_as_string(hide_password=False))


def ensure_database(server_url: str, database: str) -> None:
    """Create ``database`` on the server of ``server_url`` if it does not exist yet."""
    admin = create_engine(with_connect_timeout(server_url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": database})
            if not exists.scalar():
                conn.execute(text(f'CREATE DATABASE "{database}"'))
    except Exception as exc:  # noqa: BLE001 - no server, no right to create: say which
        raise DatabaseUnavailable(
            f"cannot create the database {database!r} at {safe_url(server_url)}: {one_line(exc)}"
        ) from exc
    finally:
        admin.dispose()


def describe_database(settings: Settings) -> str:
    """Which database the settings point at, for the start-up line (starts nothing)."""
    if settings.database_url:
        return safe_url(normalise_url(settings.database_url))
    return f"embedded PostgreSQL in {Path(settings.embedded_pgdata).absolute()}"


def resolve_database_url(settings: Settings) -> str:
    if settings.database_url:
        url = normalise_url(settings.database_url)
    else:
        url = embedded_database_url(settings.embedded_pgdata)
    return with_connect_timeout(url, settings.db_connect_timeout)


@lru_cache(maxsize=8)
def _engine_for(url: str) -> Engine:
    return create_engine(url, pool_pre_ping=True)


def get_engine(settings_or_url: Settings | str, *, require_current_schema: bool = True) -> Engine:
    """An engine for the settings (or URL), reachable and (by default) at the schema head.

    Raises DatabaseUnavailable when the server does not answer within the connect timeout,
    SchemaNotCurrent (a DatabaseUnavailable) when the schema needs `dadkhah db upgrade`.
    """
    if isinstance(settings_or_url, str):
        url = with_connect_timeout(normalise_url(settings_or_url))
    else:
        url = resolve_database_url(settings_or_url)
    engine = _engine_for(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any driver error means "unreachable"
        raise DatabaseUnavailable(
            f"cannot connect to the database at {safe_url(url)}: {one_line(exc)}"
        ) from exc
    if require_current_schema:
        check_schema(engine)
    return engine


def _alembic_config():
    from alembic.config import Config

    cfg = Config(str(SCHEMA_DIR / "alembic.ini"))
    cfg.set_main_option("script_location", str(SCHEMA_DIR / "migrations"))
    return cfg


@lru_cache(maxsize=1)
def _script_revisions() -> tuple[tuple[str, ...], frozenset[str]]:
    """(heads, every known revision) of the migrations shipped with this dadkhah."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_alembic_config())
    known = frozenset(rev.revision for rev in script.walk_revisions())
    return tuple(sorted(script.get_heads())), known


def migration_heads() -> list[str]:
    return list(_script_revisions()[0])


def database_revisions(engine: Engine) -> list[str]:
    """The revision(s) recorded in the database (empty when it was never migrated)."""
    from alembic.runtime.migration import MigrationContext

    try:
        with engine.connect() as conn:
            return sorted(MigrationContext.configure(conn).get_current_heads())
    except Exception as exc:  # noqa: BLE001 - a lost connection is "unavailable", not a traceback
        url = engine.url.render_as_string(hide_password=False)
        raise DatabaseUnavailable(
            f"cannot read the schema revision at {safe_url(url)}: {one_line(exc)}"
        ) from exc


def check_schema(engine: Engine) -> list[str]:
    """Return the database's revision(s) if they are the migrations' head(s), else raise.

    Reads one row; never takes a lock or changes anything.
    """
    heads, known = _script_revisions()
    current = database_revisions(engine)
    if current != list(heads):
        raise SchemaNotCurrent(current, list(heads), [rev for rev in current if rev not in known])
    log.debug("database schema at revision %s (current)", ", ".join(current))
    return current


def upgrade(engine: Engine) -> list[str]:
    """Apply the Alembic migrations to head (the consumer views included). Idempotent.

    The only function that changes the schema: called by `dadkhah db upgrade`, the demo's own
    database and the tests' scratch databases.
    """
    from alembic import command

    cfg = _alembic_config()
    with engine.begin() as conn:
        # One upgrade at a time, even when several workers start together.
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": UPGRADE_LOCK})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "heads")  # feature branches may each add a head
        heads = conn.execute(text("SELECT version_num FROM alembic_version ORDER BY 1"))
        return list(heads.scalars())


def downgrade(engine: Engine, revision: str) -> list[str]:
    """Migrate down to ``revision`` (``base`` empties the schema); for tests and recovery."""
    from alembic import command

    cfg = _alembic_config()
    with engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": UPGRADE_LOCK})
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
    return database_revisions(engine)


def stop_embedded(pgdata: Path, wait_seconds: float = 60.0) -> int | None:
    """Stop the embedded server running in ``pgdata``; return its pid (None: not running).

    PostgreSQL's documented "fast" shutdown (SIGINT to the postmaster named in
    postmaster.pid): open transactions are rolled back, the data is flushed, nothing is lost.
    """
    pid_file = Path(pgdata) / "postmaster.pid"
    try:
        pid = int(pid_file.read_text(encoding="ascii").splitlines()[0])
    except (FileNotFoundError, IndexError, ValueError):
        return None
    try:
        os.kill(pid, signal.SIGINT)
    except ProcessLookupError:
        return None  # a stale pid file: the server is not running
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        time.sleep(0.1)
    raise DatabaseUnavailable(f"the embedded server (pid {pid}) did not stop within {wait_seconds:.0f} s")
