"""consumer.search reads the newest matches window by window, not every match

``consumer.search`` (0009) ranks the newest ``candidates`` matches. To find them it read every
matching article's row (a bitmap scan of the full-text index, then a top-N sort on
``published_at``), so a word's cost followed how often it occurs in the whole archive: one
Persian word took 111 / 151 ms on the server at a million articles and grows with the archive.

The function is now PL/pgSQL and walks ``published_at`` windows newest first: the first window
is the 30 days before the newest (finite) publication date and has no upper bound, each next
one ends where the last began and is twice as long, the last has no lower bound (or stops at
``since``), and the undated articles come after all of them (``NULLS LAST``). Each window is
one statement planned with its bounds known, so the planner can AND the full-text index with
the ``published_at`` index (or a topic's window index) and read only the window's matches.
The walk stops as soon as ``candidates`` matches are collected; those are then exactly the
newest ``candidates`` of all matches (windows are disjoint and in order, ties on
``published_at`` fall in one window and are ordered by ``article_id`` there), and ranking,
order and snippet are those of 0009. A rare word walks every window (a few dozen index pages
each, ~10 windows for ten years); a common one stops in the first. Rows are carried from the
walk to the ranking by ``ctid``: all statements of a STABLE function read the calling query's
snapshot, so a row version found by the walk is the one the ranking reads.

Same signature, columns and results as 0009 (tests/test_search_windows.py compares both
definitions); no index or extension is added. ``downgrade`` restores the 0009 function.

Revision ID: 0019
Revises: 0017
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0019"
down_revision = "0017"
branch_labels = None
depends_on = None

# The 0009 definition, frozen here for downgrade (and for the tests' comparison).
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

# The walk: the ctids of the newest ``candidates`` matches, in order (every match when fewer).
# Each window's statement has the bounds and filters it asks written in, so it is planned for
# them (a generic plan of bound parameters cannot pick a topic's window index).
CANDIDATES = """
CREATE FUNCTION public.dadkhah_search_candidates(tsq tsquery, outlet_name text, topic text,
                                                 since timestamptz, candidates integer)
RETURNS tid[] LANGUAGE plpgsql STABLE AS $fn$
DECLARE
    filters text := '';
    outlet_key integer;
    newest timestamptz;
    oldest timestamptz;
    top timestamptz;    -- where the window ends (the first has no upper bound: upper is NULL)
    upper timestamptz;
    lower timestamptz;  -- NULL in the last window without since: no lower bound
    span interval := interval '30 days';
    last boolean;
    sql text;
    got tid[];
    picked tid[] := ARRAY[]::tid[];
BEGIN
    IF tsq IS NULL OR numnode(tsq) = 0 THEN
        RETURN picked;  -- matches nothing (as @@ a NULL or empty query)
    END IF;
    IF outlet_name IS NOT NULL THEN
        outlet_key := (SELECT o.outlet_id FROM public.outlets o WHERE o.name = outlet_name);
        IF outlet_key IS NULL THEN
            RETURN picked;  -- no such outlet
        END IF;
        filters := filters || format(' AND a.outlet_id = %s', outlet_key);
    END IF;
    IF topic IS NOT NULL THEN
        filters := filters || format(' AND a.topics @> ARRAY[%L]::text[]', topic);
    END IF;

    -- Dated articles, newest window first; infinite dates fall in the open first/last window.
    newest := (SELECT max(a.published_at) FROM public.articles a WHERE a.published_at < 'infinity');
    oldest := (SELECT min(a.published_at) FROM public.articles a WHERE a.published_at > '-infinity');
    top := newest;
    LOOP
        last := coalesce(top - oldest <= span, true) OR (since IS NOT NULL AND top - since <= span);
        lower := CASE WHEN last THEN since ELSE top - span END;
        sql := 'SELECT array_agg(a.ctid ORDER BY a.published_at DESC, a.article_id DESC) '
               'FROM public.articles a WHERE a.search_tsv @@ $1 AND a.published_at IS NOT NULL'
               || CASE WHEN lower IS NOT NULL THEN ' AND a.published_at >= $2' ELSE '' END
               || CASE WHEN upper IS NOT NULL THEN ' AND a.published_at < $3' ELSE '' END
               || filters;
        EXECUTE sql INTO got USING tsq, lower, upper;
        picked := picked || coalesce(got, ARRAY[]::tid[]);
        EXIT WHEN last OR coalesce(cardinality(picked) >= candidates, false);
        upper := lower;
        top := lower;
        span := span * 2;
    END LOOP;
    -- Undated articles come last (NULLS LAST), and never match a since.
    IF since IS NULL AND NOT coalesce(cardinality(picked) >= candidates, false) THEN
        EXECUTE 'SELECT array_agg(a.ctid ORDER BY a.article_id DESC) FROM public.articles a '
                'WHERE a.search_tsv @@ $1 AND a.published_at IS NULL' || filters
           INTO got USING tsq;
        picked := picked || coalesce(got, ARRAY[]::tid[]);
    END IF;
    IF candidates >= 0 AND cardinality(picked) > candidates THEN
        picked := picked[1:candidates];
    END IF;
    RETURN picked;
END
$fn$
"""

# As 0009, but the matches are the rows the walk found (by ctid: every statement of a STABLE
# function reads the calling query's snapshot, so these are the row versions it matched).
SEARCH = """
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
         WHERE a.ctid = ANY ((SELECT public.dadkhah_search_candidates(q.tsq, search.outlet, search.topic,
                                                                      search.since, search.candidates)
                                FROM q)::tid[])
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


def upgrade() -> None:
    op.execute(CANDIDATES)
    op.execute(SEARCH)  # same signature and result type: replaced in place, grants kept


def downgrade() -> None:
    op.execute(SEARCH_0009)
    op.execute("DROP FUNCTION public.dadkhah_search_candidates(tsquery, text, text, timestamptz, integer)")
