"""clusters: index on merged_into

Merging a cluster re-points the clusters already merged into it (``merged_into = ANY(...)``);
without an index that is a scan of every cluster, which grows with the archive. Partial: only
merged clusters have a value.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_clusters_merged_into",
        "clusters",
        ["merged_into"],
        unique=False,
        postgresql_where=sa.text("merged_into IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_clusters_merged_into", table_name="clusters")
