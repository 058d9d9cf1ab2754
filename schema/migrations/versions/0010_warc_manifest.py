"""warc_manifest: the chain of custody over the WARC files

Each sealed WARC file (or the grown part of one appended to again) gets an entry: its
name, the size covered, the SHA-256 of those bytes, its record count and capture times,
and the previous entry's hash. ``entry`` is the canonical JSON line that is hashed
(``entry_hash``) and signed (Ed25519, ``signature``); ``tsa_token`` is an RFC 3161
timestamp of that line when a timestamp authority is configured.

Revision ID: 0010
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "warc_manifest",
        sa.Column("seq", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("warc_file", sa.Text(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("first_capture", sa.DateTime(timezone=True)),
        sa.Column("last_capture", sa.DateTime(timezone=True)),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("entry", sa.Text(), nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("sealed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.Column("tsa_url", sa.Text()),
        sa.Column("tsa_token", sa.LargeBinary()),
        sa.Column("tsa_time", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("warc_file", "size", name="uq_warc_manifest_file_size"),
    )


def downgrade() -> None:
    op.drop_table("warc_manifest")
