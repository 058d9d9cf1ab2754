"""Shared fixtures: a real, migrated PostgreSQL database per test session."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text

from pipeline.db import upgrade
from tests.pg import create_scratch_database, drop_database, server_url

# Never let anything in the tests reach outside loopback through a proxy.
for _var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"):
    os.environ.pop(_var, None)
os.environ["NO_PROXY"] = "*"


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    return server_url()


@pytest.fixture(scope="session")
def database_url(pg_server_url: str) -> Iterator[str]:
    """A fresh database, migrated to head, for the whole session."""
    url = create_scratch_database(pg_server_url)
    engine = create_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    if not os.environ.get("DADKHAH_KEEP_TEST_DB"):
        drop_database(pg_server_url, url)


@pytest.fixture(scope="session")
def db_engine(database_url: str) -> Iterator[Engine]:
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture()
def fresh_database_url(pg_server_url: str) -> Iterator[str]:
    """A fresh migrated database for one test (for tests that assert exact counts)."""
    url = create_scratch_database(pg_server_url)
    engine = create_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    drop_database(pg_server_url, url)


@pytest.fixture()
def fresh_engine(fresh_database_url: str) -> Iterator[Engine]:
    engine = create_engine(fresh_database_url)
    yield engine
    engine.dispose()


def table_count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
