"""consumer views: created and changed by migrations only

Until now the ``consumer`` views were (re)applied with ``CREATE OR REPLACE VIEW`` after every
migration, by every ingestion and ``dadkhah status``: each took an exclusive lock on the views,
so a consumer's long query blocked the crawl, and a downgrade could not drop the tables the
views read. From this revision on the views belong to the migration chain: this one creates
them as they were (SQL frozen here), a later migration changes a view with its own SQL, and
``downgrade`` removes them. ``CREATE OR REPLACE`` keeps a database whose views were applied the
old way working unchanged (same columns, same order).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

VIEWS: dict[str, str] = {
    "articles": """
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
               COALESCE(t.topics, ARRAY[]::text[]) AS topics,
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
          LEFT JOIN public.article_taggings t ON t.article_id = a.article_id
    """,
    "article_sources": """
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
    """,
    "fetches": """
        SELECT f.fetch_id,
               o.name AS outlet,
               f.requested_url AS url,
               f.outcome,
               f.http_status,
               f.error,
               f.fetched_at,
               f.kind,
               f.final_url,
               f.duration_ms,
               f.raw_sha256,
               f.warc_file,
               f.warc_offset,
               f.run_id
          FROM public.fetches f
          JOIN public.outlets o ON o.outlet_id = f.outlet_id
    """,
    "clusters": """
        SELECT c.cluster_id,
               c.representative_article_id,
               c.first_published_at,
               count(ac.article_id)::int AS article_count,
               count(DISTINCT a.outlet_id)::int AS outlet_count,
               COALESCE(array_agg(DISTINCT o.name) FILTER (WHERE o.name IS NOT NULL),
                        ARRAY[]::text[]) AS outlets
          FROM public.clusters c
          LEFT JOIN public.article_clusters ac ON ac.cluster_id = c.cluster_id
          LEFT JOIN public.articles a ON a.article_id = ac.article_id
          LEFT JOIN public.outlets o ON o.outlet_id = a.outlet_id
         WHERE c.merged_into IS NULL
         GROUP BY c.cluster_id
    """,
    "article_topics": """
        SELECT tp.article_id,
               tp.topic,
               tp.score,
               tp.method,
               tp.taxonomy_version,
               tp.evidence
          FROM public.article_topics tp
          JOIN public.article_taggings t
            ON t.article_id = tp.article_id
           AND t.taxonomy_version = tp.taxonomy_version
           AND t.method = tp.method
    """,
    "article_facets": """
        SELECT fc.article_id,
               fc.facet,
               fc.value,
               fc.start,
               fc."end",
               fc.matched,
               fc.taxonomy_version
          FROM public.article_facets fc
          JOIN public.article_taggings t
            ON t.article_id = fc.article_id
           AND t.taxonomy_version = fc.taxonomy_version
    """,
}


def upgrade() -> None:
    op.execute("CREATE SCHEMA IF NOT EXISTS consumer")
    for name, body in VIEWS.items():
        op.execute(f"CREATE OR REPLACE VIEW consumer.{name} AS {body}")


def downgrade() -> None:
    for name in reversed(VIEWS):
        op.execute(f"DROP VIEW IF EXISTS consumer.{name}")
    # RESTRICT: a schema still holding objects someone else put there is an error, not a loss.
    op.execute("DROP SCHEMA IF EXISTS consumer RESTRICT")
