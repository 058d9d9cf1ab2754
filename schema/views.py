"""The ``consumer`` schema: the stable read contract for other tools.

Views only ever gain columns, appended at the end, so ``CREATE OR REPLACE VIEW`` keeps
working for existing readers. They are (re)applied after every migration.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

CONSUMER_VIEWS: dict[str, str] = {
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


def apply_consumer_views(conn: Connection) -> None:
    """Create or extend every consumer view (idempotent)."""
    conn.execute(text("CREATE SCHEMA IF NOT EXISTS consumer"))
    for name, body in CONSUMER_VIEWS.items():
        conn.execute(text(f"CREATE OR REPLACE VIEW consumer.{name} AS {body}"))
