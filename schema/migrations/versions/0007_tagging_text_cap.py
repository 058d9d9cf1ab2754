"""article_taggings: how much of the text the tagger read (text_cap, text_examined, text_truncated)

The tagger reads at most a fixed number of characters of an article (a 5 MB page would
otherwise cost minutes on every run). The tagging says so: ``text_cap`` is the cap in force
when the article was tagged, ``text_examined`` the characters of the stored text read, and
``text_truncated`` whether the cap cut the text (then topics and facets come from its first
``text_examined`` characters only). All three are NULL on rows tagged before the cap
existed, which read the whole text.

Revision ID: 0007
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("article_taggings", sa.Column("text_cap", sa.Integer(), nullable=True))
    op.add_column("article_taggings", sa.Column("text_examined", sa.Integer(), nullable=True))
    op.add_column("article_taggings", sa.Column("text_truncated", sa.Boolean(), nullable=True))


def downgrade() -> None:
    op.drop_column("article_taggings", "text_truncated")
    op.drop_column("article_taggings", "text_examined")
    op.drop_column("article_taggings", "text_cap")
