"""revisits: stored articles fetched again, with their edits and takedowns

``article_revisits``: one row per revisit of an article (its fetch, when, the outcome
``unchanged`` / ``edited`` / ``removed`` / ``unreachable`` and why). A row whose ``change`` is
set is a change of the article a consumer sees (``edited``: a new version, with the word-level
diff from the version before; ``removed``: first seen gone; ``restored``: back after being
removed), read through the new view ``consumer.article_changes``.

The change feed (``consumer.changes``, 0009) also notes a ``version`` change when an
article's ``status`` or ``removed_at`` changes (a takedown is a change of what a consumer
sees); ``last_checked_at`` alone is no change.

``articles`` gains ``last_checked_at``, ``status`` (``live`` / ``edited`` / ``removed``) and
``removed_at``; ``consumer.articles`` gains them (and ``version_count``) at the end of its
column list; its other columns are unchanged.

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# consumer.articles as 0009 left it, frozen here (for downgrade and as the base of the new one).
ARTICLES_0009 = """
        SELECT a.article_id,
               o.name AS outlet,
               a.canonical_url AS url,
               a.title,
               a.authors,
               a.published_at,
               a.language,
               a.text,
               a.content_sha256,
               a.first_seen_at,
               a.extractor,
               ac.cluster_id,
               COALESCE(c.representative_article_id = a.article_id, false) AS is_representative,
               a.topics,
               a.published_raw,
               a.published_calendar,
               a.published_method,
               a.site_name,
               o.affiliation AS outlet_affiliation,
               a.current_version AS extraction_version
          FROM public.articles a
          JOIN public.outlets o ON o.outlet_id = a.outlet_id
          LEFT JOIN public.article_clusters ac ON ac.article_id = a.article_id
          LEFT JOIN public.clusters c ON c.cluster_id = ac.cluster_id
"""

ARTICLES = """
        SELECT a.article_id,
               o.name AS outlet,
               a.canonical_url AS url,
               a.title,
               a.authors,
               a.published_at,
               a.language,
               a.text,
               a.content_sha256,
               a.first_seen_at,
               a.extractor,
               ac.cluster_id,
               COALESCE(c.representative_article_id = a.article_id, false) AS is_representative,
               a.topics,
               a.published_raw,
               a.published_calendar,
               a.published_method,
               a.site_name,
               o.affiliation AS outlet_affiliation,
               a.current_version AS extraction_version,
               a.last_checked_at,
               a.status,
               a.removed_at,
               a.current_version AS version_count
          FROM public.articles a
          JOIN public.outlets o ON o.outlet_id = a.outlet_id
          LEFT JOIN public.article_clusters ac ON ac.article_id = a.article_id
          LEFT JOIN public.clusters c ON c.cluster_id = ac.cluster_id
"""

ARTICLE_CHANGES = """
        SELECT r.article_id,
               r.checked_at AS detected_at,
               r.change AS kind,
               r.from_version,
               r.to_version,
               r.diff,
               r.fetch_id
          FROM public.article_revisits r
         WHERE r.change IS NOT NULL
"""


def _articles_updated(extra: str) -> str:
    """The 0009 trigger function noting 'version' changes, comparing ``extra`` columns too."""
    columns = (
        "outlet_id, canonical_url, title, authors, published_at, language, text, content_sha256, "
        "first_seen_at, extractor, published_raw, published_calendar, published_method, site_name, "
        "current_version" + extra
    )
    new = ", ".join(f"n.{c.strip()}" for c in columns.split(","))
    old = ", ".join(f"o.{c.strip()}" for c in columns.split(","))
    return f"""
CREATE OR REPLACE FUNCTION public.dadkhah_articles_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM public.dadkhah_note_changes('version', ARRAY(
        SELECT n.article_id FROM new_rows n JOIN old_rows o USING (article_id)
         WHERE ({new}) IS DISTINCT FROM ({old})));
    RETURN NULL;
END $$;
"""


def upgrade() -> None:
    op.add_column("articles", sa.Column("last_checked_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "articles", sa.Column("status", sa.String(16), server_default=sa.text("'live'"), nullable=False)
    )
    op.add_column("articles", sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_check_constraint("ck_articles_status", "articles", "status IN ('live', 'edited', 'removed')")
    op.create_table(
        "article_revisits",
        sa.Column("revisit_id", sa.BigInteger(), primary_key=True),
        sa.Column("article_id", sa.BigInteger(), sa.ForeignKey("articles.article_id"), nullable=False),
        sa.Column("run_id", sa.BigInteger(), sa.ForeignKey("crawl_runs.run_id"), nullable=True),
        sa.Column("fetch_id", sa.BigInteger(), sa.ForeignKey("fetches.fetch_id"), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("change", sa.String(16), nullable=True),
        sa.Column("from_version", sa.Integer(), nullable=True),
        sa.Column("to_version", sa.Integer(), nullable=True),
        sa.Column("diff", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "outcome IN ('unchanged', 'edited', 'removed', 'unreachable')", name="ck_article_revisits_outcome"
        ),
        sa.CheckConstraint(
            "change IS NULL OR change IN ('edited', 'removed', 'restored')", name="ck_article_revisits_change"
        ),
    )
    op.create_index("ix_article_revisits_article_checked", "article_revisits", ["article_id", "checked_at"])
    op.create_index(
        "ix_article_revisits_changes",
        "article_revisits",
        ["checked_at"],
        postgresql_where=sa.text("change IS NOT NULL"),
    )
    op.execute(f"CREATE OR REPLACE VIEW consumer.articles AS {ARTICLES}")
    op.execute(f"CREATE VIEW consumer.article_changes AS {ARTICLE_CHANGES}")
    op.execute(_articles_updated(", status, removed_at"))


def downgrade() -> None:
    op.execute(_articles_updated(""))
    op.execute("DROP VIEW consumer.article_changes")
    # Columns cannot be dropped from a view by CREATE OR REPLACE: drop and recreate it.
    op.execute("DROP VIEW consumer.articles")
    op.execute(f"CREATE VIEW consumer.articles AS {ARTICLES_0009}")
    op.drop_index("ix_article_revisits_changes", table_name="article_revisits")
    op.drop_index("ix_article_revisits_article_checked", table_name="article_revisits")
    op.drop_table("article_revisits")
    op.drop_constraint("ck_articles_status", "articles", type_="check")
    op.drop_column("articles", "removed_at")
    op.drop_column("articles", "status")
    op.drop_column("articles", "last_checked_at")
