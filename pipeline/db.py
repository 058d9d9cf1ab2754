"""Database access: engines, the embedded server fallback, and migrations."""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from pipeline.settings import Settings

log = logging.getLogger(__name__)
SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schema"


class DatabaseUnavailable(RuntimeError):
    """The configured database cannot be reached: a clear, user-facing message."""


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs (Airflow connections give those)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def embedded_database_url(data_dir: Path) -> str:
    """Start (or reuse) an embedded PostgreSQL under ``data_dir`` and return its URL."""
    import pgserver  # imported lazily: only needed without DADKHAH_DATABASE_URL

    pgdata = (data_dir / "pgdata").resolve()
    pgdata.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(str(pgdata), cleanup_mode=None)
    uri = server.get_uri()
    admin = create_engine(normalise_url(uri), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname='dadkhah'")).scalar()
        if not exists:
            conn.execute(text("CREATE DATABASE dadkhah"))
    admin.dispose()
    return normalise_url(str(make_url(uri).set(database="dadkhah")))


def resolve_database_url(settings: Settings) -> str:
    if settings.database_url:
        return normalise_url(settings.database_url)
    return embedded_database_url(settings.data_dir)


@lru_cache(maxsize=8)
def _engine_for(url: str) -> Engine:
    return create_engine(url, pool_pre_ping=True, future=True)


def get_engine(settings_or_url: Settings | str) -> Engine:
    """An engine for the settings (or URL); fails with DatabaseUnavailable if unreachable."""
    url = (
        normalise_url(settings_or_url)
        if isinstance(settings_or_url, str)
        else resolve_database_url(settings_or_url)
    )
    engine = _engine_for(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any driver error means "unreachable"
        safe = make_url(url).render_as_string(hide_password=True)
        raise DatabaseUnavailable(f"cannot connect to the database at {safe}: {exc}") from exc
    return engine


def upgrade(engine: Engine) -> list[str]:
    """Apply Alembic migrations to head, then (re)apply the consumer views. Idempotent."""
    from alembic import command
    from alembic.config import Config

    from schema.views import apply_consumer_views

    cfg = Config(str(SCHEMA_DIR / "alembic.ini"))
    cfg.set_main_option("script_location", str(SCHEMA_DIR / "migrations"))
    with engine.begin() as conn:
        # One upgrade at a time, even when several workers start together.
        conn.execute(text("SELECT pg_advisory_xact_lock(72417001)"))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "heads")  # feature branches may each add a head
        apply_consumer_views(conn)
        heads = conn.execute(text("SELECT version_num FROM alembic_version ORDER BY 1"))
        return list(heads.scalars())
