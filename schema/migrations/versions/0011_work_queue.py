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

Two consumer queries missed their goal at a million articles (bench/scale.py), both for the
same reason: they read many ``articles`` heap rows to find few, and a row was ~2 kB (text and
search vector partly inline). Here:

- ``articles`` gets ``toast_tuple_target = 256``: text and search vector of a new or rewritten
  row go out of line, and a row is ~0.3 kB, so a filter over a month of articles (topic +
  language + dates) reads ~13 times fewer pages. Rows stored before are narrowed when the
  table is rewritten (``VACUUM FULL articles``: it locks the table; not done here).
- ``consumer.search`` (same signature, same rows) looks for the newest ``candidates`` matches
  in a growing window of publication dates first (30 days, then x4), so it reads the heap
  rows of about ``candidates`` matches instead of every match in the archive; only when a
  window holds fewer does it look further, the last step being the whole archive as before.

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

# Same arguments, result and rows as 0009's function (SEARCH_0009 below): a window of
# publication dates [newest - span, +inf) holds the newest ``candidates`` matches as soon as it
# holds that many, since every match outside it is older or undated (sorted last).
SEARCH_FUNCTION = """
CREATE FUNCTION public.dadkhah_search_candidates(tsq tsquery, outlet_name text, topic text,
                                                 since timestamptz, candidates integer)
RETURNS bigint[] LANGUAGE plpgsql STABLE AS $fn$
DECLARE
    outlet_ids integer[];
    newest timestamptz;
    oldest timestamptz;
    span interval := interval '30 days';
    lower_bound timestamptz;
    found bigint[];
    pick constant text := $q$
        SELECT array_agg(m.article_id ORDER BY m.published_at DESC NULLS LAST, m.article_id DESC)
          FROM (SELECT a.article_id, a.published_at FROM public.articles a
                 WHERE a.search_tsv @@ $1
                   AND ($2 IS NULL OR a.outlet_id = ANY($2))
                   AND ($3 IS NULL OR a.topics @> ARRAY[$3])
                   AND ($4 IS NULL OR a.published_at >= $4)
                 ORDER BY a.published_at DESC NULLS LAST, a.article_id DESC
                 LIMIT $5) m $q$;
BEGIN
    IF outlet_name IS NOT NULL THEN
        outlet_ids := ARRAY(SELECT o.outlet_id FROM public.outlets o WHERE o.name = outlet_name);
        IF cardinality(outlet_ids) = 0 THEN
            RETURN NULL;
        END IF;
    END IF;
    SELECT max(a.published_at), min(a.published_at) INTO newest, oldest FROM public.articles a;
    LOOP
        lower_bound := newest - span;
        EXIT WHEN lower_bound IS NULL OR lower_bound <= oldest
               OR (since IS NOT NULL AND lower_bound <= since);
        -- EXECUTE: planned with these values (a narrow window makes the date index pay).
        EXECUTE pick INTO found USING tsq, outlet_ids, topic, lower_bound, candidates;
        IF cardinality(found) >= candidates THEN
            RETURN found;
        END IF;
        span := span * 4;
    END LOOP;
    EXECUTE pick INTO found USING tsq, outlet_ids, topic, since, candidates;
    RETURN found;
END
$fn$;

CREATE OR REPLACE FUNCTION consumer.search(query text, outlet text DEFAULT NULL, topic text DEFAULT NULL,
                                           since timestamptz DEFAULT NULL, max_rows integer DEFAULT 20,
                                           candidates integer DEFAULT 1000)
RETURNS TABLE (article_id bigint, outlet text, url text, title text, published_at timestamptz,
               language text, rank real, snippet text)
LANGUAGE sql STABLE
BEGIN ATOMIC
    WITH q AS (SELECT public.dadkhah_search_query(search.query) AS tsq),
    matched AS (
        SELECT a.article_id, a.search_tsv
          FROM public.articles a
         WHERE a.article_id = ANY(CAST((SELECT public.dadkhah_search_candidates(
                   q.tsq, search.outlet, search.topic, search.since, search.candidates) FROM q) AS bigint[]))
    ),
    hits AS (
        SELECT m.article_id, ts_rank_cd(m.search_tsv, q.tsq) AS rank, q.tsq
          FROM matched m, q
         ORDER BY rank DESC, m.article_id DESC
         LIMIT search.max_rows
    )
    SELECT a.article_id, o.name::text, a.canonical_url, a.title, a.published_at, a.language::text,
           h.rank,
           ts_headline(public.dadkhah_search_config(a.language), public.dadkhah_fold(a.text), h.tsq,
                       'MaxFragments=2, MinWords=8, MaxWords=25, StartSel=[, StopSel=]')
      FROM hits h
      JOIN public.articles a ON a.article_id = h.article_id
      JOIN public.outlets o ON o.outlet_id = a.outlet_id
     ORDER BY h.rank DESC, a.article_id DESC;
END;
"""

# 0009's function, frozen here for downgrade.
SEARCH_0009 = """
CREATE OR REPLACE FUNCTION consumer.search(query text, outlet text DEFAULT NULL, topic text DEFAULT NULL,
                                since timestamptz DEFAULT NULL, max_rows integer DEFAULT 20,
                                candidates integer DEFAULT 1000)
RETURNS TABLE (article_id bigint, outlet text, url text, title text, published_at timestamptz,
               language text, rank real, snippet text)
LANGUAGE sql STABLE
BEGIN ATOMIC
    WITH q AS (SELECT public.dadkhah_search_query(search.query) AS tsq),
    matched AS (
        SELECT a.article_id, a.search_tsv
          FROM public.articles a
         WHERE a.search_tsv @@ (SELECT tsq FROM q)
           AND (search.outlet IS NULL
                OR a.outlet_id = (SELECT o.outlet_id FROM public.outlets o WHERE o.name = search.outlet))
           AND (search.topic IS NULL OR a.topics @> ARRAY[search.topic])
           AND (search.since IS NULL OR a.published_at >= search.since)
         ORDER BY a.published_at DESC NULLS LAST, a.article_id DESC
         LIMIT search.candidates
    ),
    hits AS (
        SELECT m.article_id, ts_rank_cd(m.search_tsv, q.tsq) AS rank, q.tsq
          FROM matched m, q
         ORDER BY rank DESC, m.article_id DESC
         LIMIT search.max_rows
    )
    SELECT a.article_id, o.name::text, a.canonical_url, a.title, a.published_at, a.language::text,
           h.rank,
           ts_headline(public.dadkhah_search_config(a.language), public.dadkhah_fold(a.text), h.tsq,
                       'MaxFragments=2, MinWords=8, MaxWords=25, StartSel=[, StopSel=]')
      FROM hits h
      JOIN public.articles a ON a.article_id = h.article_id
      JOIN public.outlets o ON o.outlet_id = a.outlet_id
     ORDER BY h.rank DESC, a.article_id DESC;
END
"""
CANDIDATES_SIGNATURE = "public.dadkhah_search_candidates(tsquery, text, text, timestamptz, integer)"

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
    op.execute("ALTER TABLE articles SET (toast_tuple_target = 256)")
    op.execute(SEARCH_FUNCTION)


def downgrade() -> None:
    op.execute(SEARCH_0009)
    op.execute(f"DROP FUNCTION {CANDIDATES_SIGNATURE}")
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
