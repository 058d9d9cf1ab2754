"""outlet_health: a verdict per outlet after every pass, kept as history

Each row says what state an outlet was judged to be in (ok, degraded, failing, stale), the
reasons in plain sentences, the figures the rules read and the thresholds they used, so a
verdict can be checked later against the data it came from. ``consumer.outlet_health`` is
the read contract for monitors. An index on ``articles (outlet_id, first_seen_at)`` serves
the rules' look-ups of one outlet's latest articles.

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

VIEW = """
CREATE VIEW consumer.outlet_health AS
SELECT o.name AS outlet,
       h.checked_at,
       h.state,
       h.reasons,
       h.figures,
       h.thresholds,
       h.outlet_id,
       h.run_id,
       h.health_id
  FROM public.outlet_health h
  JOIN public.outlets o ON o.outlet_id = h.outlet_id
"""


def upgrade() -> None:
    op.create_table(
        "outlet_health",
        sa.Column("health_id", sa.BigInteger(), primary_key=True),
        sa.Column("outlet_id", sa.Integer(), sa.ForeignKey("outlets.outlet_id"), nullable=False),
        sa.Column("run_id", sa.BigInteger(), sa.ForeignKey("crawl_runs.run_id"), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reasons", ARRAY(sa.Text()), nullable=False),
        sa.Column("figures", JSONB(), nullable=False),
        sa.Column("thresholds", JSONB(), nullable=False),
        sa.CheckConstraint("state IN ('ok', 'degraded', 'failing', 'stale')", name="ck_outlet_health_state"),
    )
    op.create_index("ix_outlet_health_outlet_checked", "outlet_health", ["outlet_id", "checked_at"])
    # The health rules read an outlet's latest articles; without this they scan every outlet's.
    op.create_index("ix_articles_outlet_first_seen", "articles", ["outlet_id", "first_seen_at"])
    op.execute("CREATE SCHEMA IF NOT EXISTS consumer")
    op.execute(VIEW)


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS consumer.outlet_health")
    op.drop_index("ix_articles_outlet_first_seen", table_name="articles")
    op.drop_index("ix_outlet_health_outlet_checked", table_name="outlet_health")
    op.drop_table("outlet_health")
