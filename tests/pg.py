"""Find or start a real PostgreSQL for the tests.

Order: ``DADKHAH_TEST_DATABASE_URL``; else the local server on 127.0.0.1:5432 (trust auth,
user ``postgres``); else an embedded server (pgserver) under ``.pytest-pg/``.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from pipeline.db import normalise_url

ROOT = Path(__file__).resolve().parent.parent


def _reachable(url: str) -> bool:
    try:
        engine = create_engine(normalise_url(url), connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:  # noqa: BLE001 - unreachable for any reason: try the next option
        return False


def server_url() -> str:
    """URL of a server where the tests may create databases."""
    explicit = os.environ.get("DADKHAH_TEST_DATABASE_URL")
    if explicit:
        return normalise_url(explicit)
    local = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    if _reachable(local):
        return local
    import pgserver

    pgdata = ROOT / ".pytest-pg"
    pgdata.mkdir(exist_ok=True)
    server = pgserver.get_server(str(pgdata), cleanup_mode=None)
    return normalise_url(server.get_uri())


def create_scratch_database(base_url: str, prefix: str = "dadkhah_test") -> str:
    """Create a fresh, uniquely named database and return its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(base_url).set(database=name).render_as_string(hide_password=False)


def drop_database(base_url: str, url: str) -> None:
    name = make_url(url).database
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
