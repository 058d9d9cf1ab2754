"""The ``consumer`` schema: the stable read contract for other tools.

The views are created and changed by Alembic migrations only (first in
``0004_consumer_views_in_migrations``), each with its own frozen SQL: nothing at run time
issues view DDL, so a consumer's long query never blocks a crawl, and ``downgrade`` works to
base. Views only ever gain columns, appended at the end, so a migration changing a view uses
``CREATE OR REPLACE VIEW`` and existing readers keep working.

This module only reads: what the views are, for tests and tools that check the contract.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

CONSUMER_SCHEMA = "consumer"


def consumer_view_columns(conn: Connection) -> dict[str, list[str]]:
    """Every view in the consumer schema and its columns, in order."""
    rows = conn.execute(
        text(
            "SELECT c.table_name, c.column_name FROM information_schema.columns c "
            "JOIN information_schema.views v "
            "  ON v.table_schema = c.table_schema AND v.table_name = c.table_name "
            "WHERE c.table_schema = :schema ORDER BY c.table_name, c.ordinal_position"
        ),
        {"schema": CONSUMER_SCHEMA},
    )
    views: dict[str, list[str]] = {}
    for table, column in rows:
        views.setdefault(table, []).append(column)
    return views
