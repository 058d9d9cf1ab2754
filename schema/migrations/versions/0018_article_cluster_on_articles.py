"""an article's cluster and representative flag stored on the article; a cluster's outlet count stored

Measured at 300,000 to 1,000,000 synthetic articles (bench/scale.py), the README example
"executions reported in Persian this year, with who reported them first" returned ~7,400 rows
for ~125,000 buffers (~120 ms on the server) at every size: for each of the topic's rows of the
year in Persian it looked up the article's cluster (``article_clusters``) and that cluster's
representative (``clusters``), both to compute ``is_representative``, then for each returned
row the cluster again (``consumer.clusters``) and its ``cluster_outlets`` rows for
``outlet_count``: four index lookups, ~17 buffers a row. This revision stores what those
lookups computed, so that the filter reads the article's own row and the join one index entry:

- ``articles.cluster_id``: the article's ``article_clusters.cluster_id`` (NULL while it is not
  placed), B-tree indexed (``ix_articles_cluster``: "a cluster's articles" is a range of it);
- ``articles.is_representative``: whether the article is the representative of that cluster
  (``clusters.representative_article_id = article_id``; false while it is not placed);
- ``clusters.outlet_count``: how many ``cluster_outlets`` rows the cluster has (the outlets
  it holds articles of), included in ``ix_clusters_cluster_cover`` with the representative
  and ``merged_into``, so a join to ``consumer.clusters`` that names ``outlet_count`` is one
  index-only lookup.

They are kept by statement-level triggers, in the statement that changes what they copy, by
recomputing them from their sources for the rows that statement touched (so no code path of
clustering has to know, and a path added later cannot forget): on ``article_clusters`` (insert,
update, delete: its articles), on ``clusters`` (insert, delete, and an update of its
representative or id: the old and the new representative) and on ``cluster_outlets`` (insert,
delete, and an update moving a row: the clusters concerned). A recomputed value equal to the
stored one is not written. Writers of clusters serialise on clustering's placement lock
(``pipeline.clustering.store.LOCK_KEY``), so no two transactions recompute the same article
from each other's uncommitted states. Neither stored column is a consumer-visible change of
its own: the change feed already notes a ``cluster`` change when membership or the
representative changes (0009), and the ``version`` trigger on ``articles`` does not list them.

``consumer.articles`` reads ``cluster_id`` and ``is_representative`` from the article (no join
to ``article_clusters`` or ``clusters``) and ``consumer.clusters`` reads ``outlet_count`` from
the cluster; columns, types and values are unchanged (``tests/test_article_cluster_stored.py``
compares the rows with those of the 0017 definitions).

The backfill rewrites ``articles`` once (``ALTER COLUMN ... TYPE ... USING``: rows stay in
their physical order, which the topic windows' correlation relies on, and no dead row is
left), which rebuilds its indexes; at 1M articles it takes minutes and holds an exclusive lock
on ``articles`` meanwhile. Run ``VACUUM ANALYZE articles, clusters`` afterwards on a large
archive (index-only lookups need the visibility map).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

FUNCTIONS = """
CREATE FUNCTION public.dadkhah_article_cluster_of(id bigint) RETURNS bigint
    LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT ac.cluster_id FROM public.article_clusters ac WHERE ac.article_id = id);
END $$;

CREATE FUNCTION public.dadkhah_is_representative(id bigint) RETURNS boolean
    LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN COALESCE((SELECT c.representative_article_id = id
                       FROM public.article_clusters ac
                       JOIN public.clusters c ON c.cluster_id = ac.cluster_id
                      WHERE ac.article_id = id), false);
END $$;

-- articles.cluster_id and is_representative of these articles, recomputed from their sources.
CREATE FUNCTION public.dadkhah_refresh_article_clusters(ids bigint[]) RETURNS void
    LANGUAGE plpgsql AS $$
BEGIN
    IF cardinality(ids) IS NULL OR cardinality(ids) = 0 THEN
        RETURN;
    END IF;
    UPDATE public.articles a SET cluster_id = s.cluster_id, is_representative = s.is_representative
      FROM (SELECT x.id, ac.cluster_id,
                   COALESCE(c.representative_article_id = x.id, false) AS is_representative
              FROM (SELECT DISTINCT unnest(ids) AS id) x
              LEFT JOIN public.article_clusters ac ON ac.article_id = x.id
              LEFT JOIN public.clusters c ON c.cluster_id = ac.cluster_id) s
     WHERE a.article_id = s.id
       AND (a.cluster_id, a.is_representative) IS DISTINCT FROM (s.cluster_id, s.is_representative);
END $$;

CREATE FUNCTION public.dadkhah_article_clusters_stored() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM public.dadkhah_refresh_article_clusters(ARRAY(SELECT article_id FROM new_rows));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM public.dadkhah_refresh_article_clusters(ARRAY(SELECT article_id FROM old_rows));
    ELSE
        PERFORM public.dadkhah_refresh_article_clusters(ARRAY(
            SELECT article_id FROM new_rows UNION SELECT article_id FROM old_rows));
    END IF;
    RETURN NULL;
END $$;

-- A cluster's representative (or id) changed: its old and new representative.
CREATE FUNCTION public.dadkhah_clusters_stored() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM public.dadkhah_refresh_article_clusters(ARRAY(
            SELECT representative_article_id FROM new_rows WHERE representative_article_id IS NOT NULL));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM public.dadkhah_refresh_article_clusters(ARRAY(
            SELECT representative_article_id FROM old_rows WHERE representative_article_id IS NOT NULL));
    ELSE
        PERFORM public.dadkhah_refresh_article_clusters(ARRAY(
            SELECT representative_article_id
              FROM ((SELECT cluster_id, representative_article_id FROM new_rows
                     EXCEPT SELECT cluster_id, representative_article_id FROM old_rows)
                    UNION ALL
                    (SELECT cluster_id, representative_article_id FROM old_rows
                     EXCEPT SELECT cluster_id, representative_article_id FROM new_rows)) d
             WHERE representative_article_id IS NOT NULL));
    END IF;
    RETURN NULL;
END $$;

-- clusters.outlet_count of these clusters, recomputed from cluster_outlets.
CREATE FUNCTION public.dadkhah_refresh_outlet_counts(ids bigint[]) RETURNS void
    LANGUAGE plpgsql AS $$
BEGIN
    IF cardinality(ids) IS NULL OR cardinality(ids) = 0 THEN
        RETURN;
    END IF;
    UPDATE public.clusters c SET outlet_count = s.n
      FROM (SELECT x.id, (SELECT count(*)::int FROM public.cluster_outlets co
                           WHERE co.cluster_id = x.id) AS n
              FROM (SELECT DISTINCT unnest(ids) AS id) x) s
     WHERE c.cluster_id = s.id AND c.outlet_count IS DISTINCT FROM s.n;
END $$;

CREATE FUNCTION public.dadkhah_cluster_outlets_stored() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM public.dadkhah_refresh_outlet_counts(ARRAY(SELECT cluster_id FROM new_rows));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM public.dadkhah_refresh_outlet_counts(ARRAY(SELECT cluster_id FROM old_rows));
    ELSE  -- a count changing is no change of outlet_count; a row moving to another cluster is
        PERFORM public.dadkhah_refresh_outlet_counts(ARRAY(
            SELECT cluster_id FROM ((SELECT cluster_id, outlet_id FROM new_rows
                                     EXCEPT SELECT cluster_id, outlet_id FROM old_rows)
                                    UNION ALL
                                    (SELECT cluster_id, outlet_id FROM old_rows
                                     EXCEPT SELECT cluster_id, outlet_id FROM new_rows)) d));
    END IF;
    RETURN NULL;
END $$;
"""

# (trigger, table, event, function): statement-level, with transition tables.
TRIGGERS = [
    ("dadkhah_article_clusters_stored_ins", "article_clusters", "INSERT", "dadkhah_article_clusters_stored"),
    ("dadkhah_article_clusters_stored_upd", "article_clusters", "UPDATE", "dadkhah_article_clusters_stored"),
    ("dadkhah_article_clusters_stored_del", "article_clusters", "DELETE", "dadkhah_article_clusters_stored"),
    ("dadkhah_clusters_stored_ins", "clusters", "INSERT", "dadkhah_clusters_stored"),
    ("dadkhah_clusters_stored_upd", "clusters", "UPDATE", "dadkhah_clusters_stored"),
    ("dadkhah_clusters_stored_del", "clusters", "DELETE", "dadkhah_clusters_stored"),
    ("dadkhah_cluster_outlets_stored_ins", "cluster_outlets", "INSERT", "dadkhah_cluster_outlets_stored"),
    ("dadkhah_cluster_outlets_stored_upd", "cluster_outlets", "UPDATE", "dadkhah_cluster_outlets_stored"),
    ("dadkhah_cluster_outlets_stored_del", "cluster_outlets", "DELETE", "dadkhah_cluster_outlets_stored"),
]
FUNCTION_NAMES = [
    "dadkhah_cluster_outlets_stored()",
    "dadkhah_refresh_outlet_counts(bigint[])",
    "dadkhah_clusters_stored()",
    "dadkhah_article_clusters_stored()",
    "dadkhah_refresh_article_clusters(bigint[])",
    "dadkhah_is_representative(bigint)",
    "dadkhah_article_cluster_of(bigint)",
]


def _transition(event: str) -> str:
    return {
        "INSERT": "REFERENCING NEW TABLE AS new_rows",
        "UPDATE": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "DELETE": "REFERENCING OLD TABLE AS old_rows",
    }[event]


# consumer.articles as 0012 left it (unchanged through 0017), frozen here for downgrade and
# for the tests comparing rows; ARTICLES is the same with the two columns read from articles.
ARTICLES_0012 = """
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
               a.cluster_id,
               a.is_representative,
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
"""

# consumer.clusters as 0016 left it, frozen here; CLUSTERS reads the stored outlet_count.
CLUSTERS_0016 = """
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

CLUSTERS = """
        SELECT c.cluster_id,
               c.representative_article_id,
               c.first_published_at,
               COALESCE((SELECT sum(co.articles)::int FROM public.cluster_outlets co
                          WHERE co.cluster_id = c.cluster_id), 0) AS article_count,
               c.outlet_count,
               COALESCE((SELECT array_agg(o.name ORDER BY o.name)
                           FROM public.cluster_outlets co
                           JOIN public.outlets o ON o.outlet_id = co.outlet_id
                          WHERE co.cluster_id = c.cluster_id), ARRAY[]::text[]) AS outlets
          FROM public.clusters c
         WHERE c.merged_into IS NULL
"""

COVER_0016 = (
    "CREATE INDEX ix_clusters_cluster_cover ON public.clusters (cluster_id) "
    "INCLUDE (representative_article_id, merged_into)"
)
COVER = (
    "CREATE INDEX ix_clusters_cluster_cover ON public.clusters (cluster_id) "
    "INCLUDE (representative_article_id, merged_into, outlet_count)"
)


def upgrade() -> None:
    op.execute(FUNCTIONS)
    # Added empty (no rewrite), then filled by one rewrite of each table, which keeps the rows'
    # physical order and leaves no dead rows behind.
    op.execute(
        "ALTER TABLE public.articles ADD COLUMN cluster_id bigint, "
        "ADD COLUMN is_representative boolean NOT NULL DEFAULT false"
    )
    op.execute(
        "ALTER TABLE public.articles "
        "ALTER COLUMN cluster_id TYPE bigint USING public.dadkhah_article_cluster_of(article_id), "
        "ALTER COLUMN is_representative TYPE boolean USING public.dadkhah_is_representative(article_id)"
    )
    op.execute("CREATE INDEX ix_articles_cluster ON public.articles (cluster_id)")
    op.execute("ALTER TABLE public.clusters ADD COLUMN outlet_count integer NOT NULL DEFAULT 0")
    op.execute("DROP INDEX public.ix_clusters_cluster_cover")
    op.execute(
        "UPDATE public.clusters c SET outlet_count = s.n FROM ("
        "  SELECT cluster_id, count(*)::int AS n FROM public.cluster_outlets GROUP BY cluster_id) s"
        " WHERE c.cluster_id = s.cluster_id"
    )
    op.execute(COVER)
    for trigger, table, event, function in TRIGGERS:
        op.execute(
            f"CREATE TRIGGER {trigger} AFTER {event} ON public.{table} {_transition(event)} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION public.{function}()"
        )
    op.execute(f"CREATE OR REPLACE VIEW consumer.articles AS {ARTICLES}")
    op.execute(f"CREATE OR REPLACE VIEW consumer.clusters AS {CLUSTERS}")


def downgrade() -> None:
    op.execute(f"CREATE OR REPLACE VIEW consumer.clusters AS {CLUSTERS_0016}")
    op.execute(f"CREATE OR REPLACE VIEW consumer.articles AS {ARTICLES_0012}")
    for trigger, table, _, _ in TRIGGERS:
        op.execute(f"DROP TRIGGER {trigger} ON public.{table}")
    op.execute("DROP INDEX public.ix_clusters_cluster_cover")
    op.execute("ALTER TABLE public.clusters DROP COLUMN outlet_count")
    op.execute(COVER_0016)
    op.execute("DROP INDEX public.ix_articles_cluster")
    op.execute("ALTER TABLE public.articles DROP COLUMN is_representative, DROP COLUMN cluster_id")
    for name in FUNCTION_NAMES:
        op.execute(f"DROP FUNCTION public.{name}")
