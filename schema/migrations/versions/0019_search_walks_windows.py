"""consumer.search reads the newest matches window by window, not every match

``consumer.search`` (0009) ranks the newest ``candidates`` matches. To find them it read every
matching article's row (a bitmap scan of the full-text index, then a top-N sort on
``published_at``), so a word's cost followed how often it occurs in the whole archive: one
Persian word took 111 / 151 ms on the server at a million articles and grows with the archive.

The matches are now found by ``public.dadkhah_search_candidates`` (PL/pgSQL), which walks
``published_at`` windows newest first and stops once it holds ``candidates`` matches:

- a window is the ``n`` newest dated articles before the last one (its lower bound read off
  the date index at offset ``n``), with every article sharing the oldest one's date; the
  first has no upper bound and ``n = candidates`` (what a word found in every article needs);
- the next ``n`` comes from the density of matches so far: about what the matches still
  needed take (+25%); or, when reading every remaining match is expected to cost less than
  walking on (the date index's pages over the articles that would hold them, plus those
  matches), the next window is the last: no lower bound (or ``since``), with the undated
  articles (``NULLS LAST``). A query with few matches is so read as 0009 read it, in one
  statement of the full-text index and the matches' rows, after a first window of a few pages.

Windows are disjoint and in order, and ties on ``published_at`` fall in one window, ordered
there by ``article_id``: the rows collected are exactly 0009's newest ``candidates`` matches,
and ``consumer.search`` ranks, orders and snips them as 0009 did, reading them by ``ctid``
(every statement of a STABLE function reads the calling query's snapshot, so the row
versions the walk matched are the ones ranked).

Each window is one statement planned with its bounds known, with plain index scans and
sequential scans off and ``cpu_tuple_cost`` at 0.3 (in that statement only): it then ANDs the
full-text index with the ``published_at`` index (or a topic's window index) and reads only the
window's matches. Left to itself the planner read the window's dates through
``ix_articles_published`` and filtered on ``@@``, which detoasts the vector of every article
of the window (it prices that filter and the row as nearly free): 44k pages for a rare word's
first window at 300k articles. For a word found in most articles it still reads a window's
articles through the date index alone (ANDing would save it no heap pages); such a word's
windows are about ``candidates`` articles, a few thousand pages, at any archive size.

Same signature, columns and results as 0009 (tests/test_search_windows.py compares both
definitions); no index, column or extension is added. ``downgrade`` restores the 0009 function.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0019"
down_revision = "0018"
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
RETURNS tid[] LANGUAGE plpgsql STABLE
-- The planner settings the walk changes: the defaults on entry, the caller's values back at exit.
SET enable_indexscan = on SET enable_seqscan = on SET cpu_tuple_cost = 0.01
AS $fn$
DECLARE
    filters text := '';
    outlet_key integer;
    articles float8 := greatest((SELECT c.reltuples FROM pg_class c WHERE c.oid = 'public.articles'::regclass), 1);
    upper timestamptz;  -- where the window ends (NULL: the first, no upper bound)
    lower timestamptz;  -- where it starts (NULL: the last without since, no lower bound)
    want float8 := greatest(candidates, 1);  -- articles in the next window
    covered float8 := 0;  -- articles in the windows read so far
    density float8;
    needed float8;
    last boolean := candidates IS NULL;  -- every match is wanted: one window
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

    LOOP
        IF NOT last THEN
            -- The window: the ``want`` newest dated articles before it (read off the date
            -- index), with every article sharing the oldest one's date.
            EXECUTE 'SELECT a.published_at FROM public.articles a WHERE a.published_at IS NOT NULL'
                    || CASE WHEN upper IS NOT NULL THEN ' AND a.published_at < $1' ELSE '' END
                    || ' ORDER BY a.published_at DESC OFFSET $2 LIMIT 1'
               INTO lower USING upper, least(want, 1e15)::bigint - 1;
            last := lower IS NULL OR coalesce(lower <= since, false);  -- fewer left, or since reached
        END IF;
        IF last THEN
            lower := since;
        END IF;
        -- In the window's statement only: no plain index scan, no sequential scan, and a heap
        -- row priced as what it may cost here, a detoasted vector (see above).
        PERFORM set_config('enable_indexscan', 'off', true), set_config('enable_seqscan', 'off', true),
                set_config('cpu_tuple_cost', '0.3', true);
        -- The last window without since also holds the undated articles (NULLS LAST).
        sql := 'SELECT array_agg(a.ctid ORDER BY a.published_at DESC NULLS LAST, a.article_id DESC) '
               'FROM public.articles a WHERE a.search_tsv @@ $1'
               || CASE WHEN lower IS NOT NULL THEN ' AND a.published_at >= $2'
                       WHEN NOT last THEN ' AND a.published_at IS NOT NULL' ELSE '' END
               || CASE WHEN upper IS NULL THEN ''
                       WHEN last AND since IS NULL THEN ' AND (a.published_at < $3 OR a.published_at IS NULL)'
                       ELSE ' AND a.published_at < $3' END
               || filters;
        EXECUTE sql INTO got USING tsq, lower, upper;
        PERFORM set_config('enable_indexscan', 'on', true), set_config('enable_seqscan', 'on', true),
                set_config('cpu_tuple_cost', '0.01', true);
        picked := picked || coalesce(got, ARRAY[]::tid[]);
        EXIT WHEN last OR cardinality(picked) >= candidates;
        -- The next window, from the density of matches so far: all the rest at once when its
        -- expected matches cost less than walking on (the date index's entries over the
        -- articles holding the matches still needed, read twice, at ~1/60 of a matched row's
        -- cost each as measured at 1M, plus those matches); else about the articles those
        -- matches need (+25%).
        covered := covered + want;
        upper := lower;
        needed := candidates - cardinality(picked);
        density := (cardinality(picked) + 1) / covered;
        IF density * greatest(articles - covered, 0) <= needed / density / 30 + needed THEN
            last := true;
        ELSE
            want := 1.25 * needed / density;
        END IF;
    END LOOP;
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
