"""URL indexes that hold URLs of any length (up to the fetch policy's 64 KiB)

A btree index entry cannot exceed about 2.7 KB, even compressed; a long Persian slug
percent-encodes to tens of KB, and inserting it failed the fetch row (``fetches``'s
requested-URL index), the article (``articles``' unique canonical URL) or its URL record
(``article_urls``, ``http_cache`` primary keys). Uniqueness and look-ups now go through a
SHA-256 key of the URL (``dadkhah_url_key(url)``); the plain look-up of fetches by URL
through a hash index, which stores only a hash of the value and serves ``=`` as before.

The key is a stored generated column where it is the primary key (``article_urls``,
``http_cache``), an expression index on ``articles``. ``dadkhah_url_key`` is declared
IMMUTABLE: ``convert_to(url, 'UTF8')`` only depends on the database encoding, fixed for a
database's life.

Downgrade restores the btree indexes; it fails while a stored URL is too long for them.

Revision ID: 0006
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION dadkhah_url_key(url text) RETURNS bytea
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
        AS $$ SELECT sha256(convert_to(url, 'UTF8')) $$
        """
    )
    op.drop_index("ix_fetches_requested_url", table_name="fetches")
    op.execute("CREATE INDEX ix_fetches_requested_url ON fetches USING hash (requested_url)")
    for table in ("article_urls", "http_cache"):
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN url_key bytea NOT NULL"
            " GENERATED ALWAYS AS (dadkhah_url_key(url)) STORED"
        )
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT {table}_pkey")
        op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {table}_pkey PRIMARY KEY (url_key)")
    op.drop_constraint("uq_articles_outlet_url", "articles", type_="unique")
    op.execute(
        "CREATE UNIQUE INDEX uq_articles_outlet_url_key ON articles (outlet_id, dadkhah_url_key(canonical_url))"
    )


def downgrade() -> None:
    op.execute("DROP INDEX uq_articles_outlet_url_key")
    op.create_unique_constraint("uq_articles_outlet_url", "articles", ["outlet_id", "canonical_url"])
    for table in ("article_urls", "http_cache"):
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT {table}_pkey")
        op.execute(f"ALTER TABLE {table} DROP COLUMN url_key")
        op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {table}_pkey PRIMARY KEY (url)")
    op.drop_index("ix_fetches_requested_url", table_name="fetches")
    op.create_index("ix_fetches_requested_url", "fetches", ["requested_url"], unique=False)
    op.execute("DROP FUNCTION dadkhah_url_key(text)")
