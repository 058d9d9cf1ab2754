"""replay: consumer.article_sources.replay_url, from the replay server's base URL

``replay_config`` holds the one base URL at which monitors reach `dadkhah replay`
(DADKHAH_REPLAY_URL, recorded by the server when it starts; seeded with the default).
Each source row's ``replay_url`` is that base, the collection, the capture's second
(UTC, pywb's 14-digit timestamp) and the URL whose response the fetch archived, so it
opens that very capture; NULL for a fetch with no WARC record.

Revision ID: 0013
Revises: 0010
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

DEFAULT_BASE_URL = "http://127.0.0.1:8090"  # pipeline.settings.DEFAULT_REPLAY_PORT
COLLECTION = "dadkhah"  # pipeline.replay.server.COLLECTION

SOURCES_0004 = """
        SELECT s.article_id,
               f.requested_url,
               f.final_url,
               f.http_status,
               f.fetched_at,
               f.raw_sha256,
               f.warc_file,
               f.warc_offset,
               f.fetch_id,
               s.url AS source_url,
               s.match
          FROM public.article_sources s
          JOIN public.fetches f ON f.fetch_id = s.fetch_id
"""

SOURCES = """
        SELECT s.article_id,
               f.requested_url,
               f.final_url,
               f.http_status,
               f.fetched_at,
               f.raw_sha256,
               f.warc_file,
               f.warc_offset,
               f.fetch_id,
               s.url AS source_url,
               s.match,
               CASE WHEN f.warc_file IS NOT NULL THEN
                    r.base_url || '/' || r.collection || '/'
                    || to_char(f.fetched_at AT TIME ZONE 'UTC', 'YYYYMMDDHH24MISS') || '/'
                    || COALESCE(f.final_url, f.requested_url)
               END AS replay_url
          FROM public.article_sources s
          JOIN public.fetches f ON f.fetch_id = s.fetch_id
          LEFT JOIN public.replay_config r ON r.one
"""


def upgrade() -> None:
    op.create_table(
        "replay_config",
        sa.Column("one", sa.Boolean(), primary_key=True, server_default=sa.text("true")),
        sa.Column("base_url", sa.Text(), nullable=False),
        sa.Column("collection", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("one", name="ck_replay_config_one_row"),
    )
    op.execute(
        sa.text("INSERT INTO replay_config (base_url, collection) VALUES (:base, :coll)").bindparams(
            base=DEFAULT_BASE_URL, coll=COLLECTION
        )
    )
    op.execute(f"CREATE OR REPLACE VIEW consumer.article_sources AS {SOURCES}")


def downgrade() -> None:
    # A view cannot lose a column by CREATE OR REPLACE: dropped and made as 0004 made it.
    op.execute("DROP VIEW consumer.article_sources")
    op.execute(f"CREATE VIEW consumer.article_sources AS {SOURCES_0004}")
    op.drop_table("replay_config")
