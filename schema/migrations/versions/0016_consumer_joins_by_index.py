"""consumer joins read indexes only; topic windows the planner picks

Measured at 600,000 synthetic articles (bench/scale.py), the README example "executions
reported in Persian this year" read ~200,000 buffers for ~7,000 rows, for these reasons:

- The topic window indexes of 0015 are B-trees on ``(published_at, language)``. For an index
  of more than one key column the planner takes 3/4 of the first column's correlation, so it
  priced their heap reads as scattered and chose the plain ``published_at`` index instead,
  reading every article of the year (~1 page per row: published dates jitter against crawl
  order) to keep one in ten. The windows are now B-trees on ``published_at`` alone, still
  one per slug and written form: the planner prices them at the column's own correlation and
  walks them; the language is checked on the rows of the topic only.
- Each article's cluster id and representative flag came from heap pages of
  ``article_clusters`` and ``clusters`` (or a scan of all of ``article_clusters`` into a hash,
  whose cost grows with the archive). Two covering indexes make both lookups index-only:
  ``article_clusters (article_id) INCLUDE (cluster_id)`` and
  ``clusters (cluster_id) INCLUDE (representative_article_id, merged_into)``.
- ``consumer.clusters`` computed the sum, count and sorted outlet names of each cluster in one
  LATERAL aggregate joined to ``outlets``, whichever columns a query asked for. Each column is
  now its own scalar subquery over ``cluster_outlets``: a query naming ``outlet_count`` only
  reads the cluster's ``cluster_outlets`` index entries, and nothing is computed for columns
  it does not name. Columns, types and values are unchanged (``outlet_count`` counts the
  cluster's ``cluster_outlets`` rows, each of which references an outlet).
- With the windows fixed, the planner still chose a parallel plan driven by the date index
  (138 ms, 208k buffers at 1M): PostgreSQL gives a parallel scan workers by the pages it will
  read, and a topic's year (~50 index pages) is under ``min_parallel_index_scan_size``, so the
  only parallel path walked the whole year. ``articles`` gets ``parallel_workers = 2`` (the
  default ``max_parallel_workers_per_gather``): the topic window qualifies for a parallel scan
  too and the planner walks it (53 ms, 126k buffers; a serial plan over it: 63 ms). A small
  query stays serial (``parallel_setup_cost``); a server allowing more workers per query gets
  at most 2 on ``articles`` (``ALTER TABLE articles RESET (parallel_workers)`` to undo).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


TOPIC_SLUGS = (
    "execution", "death_sentence", "extrajudicial_killing", "death_in_custody", "corporal_punishment",
    "arbitrary_arrest", "enforced_disappearance", "unfair_trial_sentencing", "political_prisoners",
    "torture_ill_treatment", "forced_confession", "prison_conditions", "protest_crackdown",
    "expression_media_internet", "defenders_lawyers_civil_society", "women_gender_sexuality",
    "ethnic_minorities", "religious_minorities", "children_juveniles", "massacre_1988_1980s",
    "un_international_mechanisms", "accountability_justice", "transnational_repression_hostages",
)  # fmt: skip  # the slugs of 0015, frozen again here


def index_ddl(slug: str, cols: str = "published_at") -> list[tuple[str, str]]:
    """(name, CREATE INDEX) of the two window indexes of one slug (frozen at 0016; with
    ``cols="published_at, language"`` those of 0015, for downgrade)."""
    assert slug.replace("_", "").isalnum() and slug == slug.lower(), slug
    cols = f"public.articles ({cols})"
    return [
        (
            f"ix_articles_topic_{slug}",
            f"CREATE INDEX ix_articles_topic_{slug} ON {cols} WHERE topics @> '{{{slug}}}'::text[]",
        ),
        (
            f"ix_articles_topic_any_{slug}",
            f"CREATE INDEX ix_articles_topic_any_{slug} ON {cols} WHERE '{slug}'::text = ANY (topics)",
        ),
    ]


COVERING = [
    (
        "ix_article_clusters_article_cover",
        "CREATE INDEX ix_article_clusters_article_cover ON public.article_clusters (article_id) "
        "INCLUDE (cluster_id)",
    ),
    (
        "ix_clusters_cluster_cover",
        "CREATE INDEX ix_clusters_cluster_cover ON public.clusters (cluster_id) "
        "INCLUDE (representative_article_id, merged_into)",
    ),
]

CLUSTERS = """
        SELECT c.cluster_id,
               c.representative_article_id,
               c.first_published_at,
               COALESCE((SELECT sum(co.articles)::int FROM public.cluster_outlets co
                          WHERE co.cluster_id = c.cluster_id), 0) AS article_count,
               (SELECT count(*)::int FROM public.cluster_outlets co
                 WHERE co.cluster_id = c.cluster_id) AS outlet_count,
               COALESCE((SELECT array_agg(o.name ORDER BY o.name)
                           FROM public.cluster_outlets co
                           JOIN public.outlets o ON o.outlet_id = co.outlet_id
                          WHERE co.cluster_id = c.cluster_id), ARRAY[]::text[]) AS outlets
          FROM public.clusters c
         WHERE c.merged_into IS NULL
"""

# consumer.clusters as 0009 left it, frozen here for downgrade.
CLUSTERS_0009 = """
        SELECT c.cluster_id,
               c.representative_article_id,
               c.first_published_at,
               COALESCE(s.article_count, 0) AS article_count,
               s.outlet_count,
               COALESCE(s.outlets, ARRAY[]::text[]) AS outlets
          FROM public.clusters c
         CROSS JOIN LATERAL (
               SELECT sum(co.articles)::int AS article_count,
                      count(*)::int AS outlet_count,
                      array_agg(o.name ORDER BY o.name) AS outlets
                 FROM public.cluster_outlets co
                 JOIN public.outlets o ON o.outlet_id = co.outlet_id
                WHERE co.cluster_id = c.cluster_id
               ) s
         WHERE c.merged_into IS NULL
"""


def upgrade() -> None:
    for slug in TOPIC_SLUGS:
        for name, ddl in index_ddl(slug):
            op.execute(f"DROP INDEX IF EXISTS public.{name}")
            op.execute(ddl)
    for _, ddl in COVERING:
        op.execute(ddl)
    op.execute(f"CREATE OR REPLACE VIEW consumer.clusters AS {CLUSTERS}")
    op.execute("ALTER TABLE public.articles SET (parallel_workers = 2)")


def downgrade() -> None:
    op.execute("ALTER TABLE public.articles RESET (parallel_workers)")
    op.execute(f"CREATE OR REPLACE VIEW consumer.clusters AS {CLUSTERS_0009}")
    for name, _ in COVERING:
        op.execute(f"DROP INDEX IF EXISTS public.{name}")
    for slug in TOPIC_SLUGS:
        for name, ddl in index_ddl(slug, "published_at, language"):
            op.execute(f"DROP INDEX IF EXISTS public.{name}")
            op.execute(ddl)
