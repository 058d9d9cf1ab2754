"""work_queue: one queue of "article changed" events for every step that derives data

Until now clustering had its own queue (``cluster_queue``, 0003: filled on insert only, so a
re-extracted article kept the cluster decided on its old text) and tagging found its work by
walking the whole archive on every run. This revision replaces both with one table:

- ``work_consumers``: one row per step that derives data from articles (``clustering``,
  ``tagging``; a later step such as incident extraction is one more row), with the article
  columns it reads (``inputs``) and, in ``swept``, the configuration under which it last
  went through the whole archive (tagging: taxonomy version, method, text cap);
- ``work_queue``: one row per (consumer, event). An article's insert queues an event for every
  consumer (a trigger, as 0003 did); a stored new version whose watched columns changed queues
  one for each consumer reading one of them (``pipeline.workqueue.enqueue_changed``, called
  in the same transaction as the version). A consumer deletes its events in the same
  transaction as the results it derived from them: a pending row is "not done yet".

Upgrade moves the ``cluster_queue`` rows over and queues for tagging every article that has
no tagging or whose tagging predates its current version.

Two consumer queries missed their goal at a million articles (bench/scale.py): they read
many ``articles`` heap rows to find few, and a row was ~1.2 kB (text and search vector partly
inline). ``articles`` gets ``toast_tuple_target = 1024``: the text and search vector of a new
or rewritten row go out of line while the small columns filters read (language, dates,
topics, title) stay inline, so a row is ~0.35 kB and a filter over a month of articles reads
about a third of the pages. Rows stored before are narrowed when the table is rewritten
(``VACUUM FULL articles``: it locks the table; not done here).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

FUNCTIONS = """
-- Queue an event for these articles for every consumer that reads one of ``fields``
-- (every consumer when ``reason`` is 'new'). Returns the number of events queued.
CREATE FUNCTION public.dadkhah_enqueue_work(ids bigint[], reason text, fields text[])
    RETURNS integer LANGUAGE sql VOLATILE
BEGIN ATOMIC
    WITH queued AS (
        INSERT INTO public.work_queue (consumer, article_id, article_version, reason, fields)
        SELECT c.name, a.article_id, a.current_version, dadkhah_enqueue_work.reason,
               dadkhah_enqueue_work.fields
          FROM public.work_consumers c
          JOIN public.articles a ON a.article_id = ANY(dadkhah_enqueue_work.ids)
         WHERE dadkhah_enqueue_work.reason = 'new' OR c.inputs && dadkhah_enqueue_work.fields
         ORDER BY a.article_id, c.name
        RETURNING 1)
    SELECT count(*)::integer FROM queued;
END;

CREATE FUNCTION public.dadkhah_articles_queue_new() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM public.dadkhah_enqueue_work(ARRAY(SELECT article_id FROM new_rows), 'new', '{}');
    RETURN NULL;
END $$;
"""

# The 0003 trigger and function, frozen here for downgrade.
QUEUE_0003 = """
CREATE FUNCTION dadkhah_queue_for_clustering() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO cluster_queue (article_id) VALUES (NEW.article_id) ON CONFLICT DO NOTHING;
    RETURN NEW;
END $$;
CREATE TRIGGER articles_queue_for_clustering AFTER INSERT ON articles
    FOR EACH ROW EXECUTE FUNCTION dadkhah_queue_for_clustering();
"""


def upgrade() -> None:
    op.create_table(
        "work_consumers",
        sa.Column("name", sa.Text(), primary_key=True),
        sa.Column("inputs", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("swept", postgresql.JSONB(), nullable=True),
        sa.Column("swept_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
    )
    op.execute(
        "INSERT INTO work_consumers (name, inputs, description) VALUES "
        "('clustering', ARRAY['text', 'published_at'], 'story clusters (pipeline.clustering)'), "
        "('tagging', ARRAY['title', 'text'], 'topics and facets (pipeline.tagging)')"
    )
    op.create_table(
        "work_queue",
        sa.Column("event_id", sa.BigInteger(), sa.Identity(always=False), primary_key=True),
        sa.Column(
            "consumer",
            sa.Text(),
            sa.ForeignKey("work_consumers.name", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "article_id",
            sa.BigInteger(),
            sa.ForeignKey("articles.article_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("article_version", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("fields", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column(
            "queued_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.CheckConstraint("reason IN ('new', 'changed')", name="ck_work_queue_reason"),
    )
    op.create_index("ix_work_queue_consumer", "work_queue", ["consumer", "event_id"])
    op.create_index("ix_work_queue_article", "work_queue", ["article_id"])
    op.execute(FUNCTIONS)
    op.execute(
        "INSERT INTO work_queue (consumer, article_id, article_version, reason, fields, queued_at) "
        "SELECT 'clustering', q.article_id, a.current_version, 'new', '{}', q.queued_at "
        "FROM cluster_queue q JOIN articles a USING (article_id) ORDER BY q.queued_at, q.article_id"
    )
    op.execute(
        "INSERT INTO work_queue (consumer, article_id, article_version, reason, fields) "
        "SELECT 'tagging', a.article_id, a.current_version, "
        "       CASE WHEN t.article_id IS NULL THEN 'new' ELSE 'changed' END, "
        "       CASE WHEN t.article_id IS NULL THEN '{}'::text[] ELSE ARRAY['title', 'text'] END "
        "FROM articles a LEFT JOIN article_taggings t USING (article_id) "
        "WHERE t.article_id IS NULL OR a.current_version > t.article_version ORDER BY a.article_id"
    )
    op.execute("DROP TRIGGER articles_queue_for_clustering ON articles")
    op.execute("DROP FUNCTION dadkhah_queue_for_clustering()")
    op.drop_table("cluster_queue")
    op.execute(
        "CREATE TRIGGER dadkhah_articles_queue_new AFTER INSERT ON articles "
        "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
        "EXECUTE FUNCTION dadkhah_articles_queue_new()"
    )
    op.execute("ALTER TABLE articles SET (toast_tuple_target = 1024)")


def downgrade() -> None:
    op.execute("ALTER TABLE articles RESET (toast_tuple_target)")
    op.execute("DROP TRIGGER dadkhah_articles_queue_new ON articles")
    op.create_table(
        "cluster_queue",
        sa.Column(
            "article_id",
            sa.BigInteger(),
            sa.ForeignKey("articles.article_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("queued_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    # 0003's queue held unplaced articles only; a changed text has no place there.
    op.execute(
        "INSERT INTO cluster_queue (article_id, queued_at) "
        "SELECT article_id, min(queued_at) FROM work_queue w WHERE consumer = 'clustering' "
        "AND NOT EXISTS (SELECT 1 FROM article_clusters ac WHERE ac.article_id = w.article_id) "
        "GROUP BY article_id"
    )
    op.execute(QUEUE_0003)
    op.execute("DROP FUNCTION public.dadkhah_articles_queue_new()")
    op.execute("DROP FUNCTION public.dadkhah_enqueue_work(bigint[], text, text[])")
    op.drop_table("work_queue")
    op.drop_table("work_consumers")
