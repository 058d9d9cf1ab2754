"""consumer.search reads the newest matches window by window, not every match

``consumer.search`` (0009) ranks the newest ``candidates`` matches. To find them it read every
matching article's row (a bitmap scan of the full-text index, then a top-N sort on
``published_at``), so a word's cost followed how often it occurs in the whole archive: one
Persian word took 111 / 151 ms on the server at a million articles and grows with the archive.

The matches are now found by ``public.dadkhah_search_candidates`` (PL/pgSQL), which walks
``published_at`` windows newest first and stops once it holds ``candidates`` matches:

- the first window has no upper bound and holds about ``candidates`` articles at the
  archive's mean rate (``reltuples`` over the dated range): what a word found in every
  article needs;
- each next one starts where the last ended and is sized, from the density of matches so far,
  to about what the matches still needed take (+25%); or, when reading every remaining match
  is expected to cost less than walking on (the date index's pages over the articles that
  would hold them, plus those matches), it is the last: no lower bound (or ``since``), and
  the undated articles with it (``NULLS LAST``). A query with few matches is so read as 0009
  read it: one statement of the full-text index and the matches' rows, after a first window
  of a few pages.

Windows are disjoint and in order, and ties on ``published_at`` fall in one window, ordered
there by ``article_id``: the rows collected are exactly 0009's newest ``candidates`` matches,
and ``consumer.search`` ranks, orders and snips them as 0009 did, reading them by ``ctid``
(every statement of a STABLE function reads the calling query's snapshot, so the row
versions the walk matched are the ones ranked).

Each window is one statement planned with its bounds known, with plain index scans and
sequential scans off (in the function only): it then ANDs the full-text index with the
``published_at`` index (or a topic's window index) and reads only the window's matches. With
index scans allowed the planner read the window's dates through ``ix_articles_published`` and
filtered on ``@@``, which detoasts every article's vector of the window (it prices that filter
as nearly free): 44k pages for a rare word's first window at 300k articles. For a word found
in most articles it may still read a window's articles through the date index alone; such a
word's windows are about ``candidates`` articles.

Same signature, columns and results as 0009 (tests/test_search_windows.py compares both
definitions); no index, column or extension is added. ``downgrade`` restores the 0009 function.

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
RETURNS tid[] LANGUAGE plpgsql STABLE
SET enable_indexscan = on SET enable_seqscan = on  -- the caller's values come back at exit
AS $fn$
DECLARE
    filters text := '';
    outlet_key integer;
    newest timestamptz;
    oldest timestamptz;
    rate float8;        -- dated articles a second, on average
    top timestamptz;    -- where the window ends (the first has no upper bound: upper is NULL)
    upper timestamptz;
    lower timestamptz;  -- NULL in the last window without since: no lower bound
    span interval;
    covered float8 := 0;  -- articles in the windows read so far (at the mean rate)
    density float8;
    needed float8;
    rest float8;
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

    -- The windows: dated articles, newest first; infinite dates fall in the open first/last one.
    newest := (SELECT max(a.published_at) FROM public.articles a WHERE a.published_at < 'infinity');
    oldest := (SELECT min(a.published_at) FROM public.articles a WHERE a.published_at > '-infinity');
    rate := greatest((SELECT c.reltuples FROM pg_class c WHERE c.oid = 'public.articles'::regclass), 1)
            / greatest(extract(epoch FROM newest - oldest)::float8, 1);
    -- The first window holds about ``candidates`` articles (what a word found in every article
    -- needs), at least an hour.
    span := greatest(interval '1 hour', make_interval(secs => greatest(candidates, 1) / rate));
    top := newest;
    -- From here on, in this function only: no plain index scan, no sequential scan. A window
    -- is then read through the full-text index ANDed with the published_at (or topic) index,
    -- and only its matches are read; an index scan of the window's dates filtering on @@ would
    -- detoast every article of the window (the planner prices that filter as nearly free and
    -- chose it for all but the largest windows).
    PERFORM set_config('enable_indexscan', 'off', true), set_config('enable_seqscan', 'off', true);
    LOOP
        last := last OR coalesce(top - oldest <= span, true)
                OR (since IS NOT NULL AND top - since <= span);
        lower := CASE WHEN last THEN since ELSE top - span END;
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
        picked := picked || coalesce(got, ARRAY[]::tid[]);
        EXIT WHEN last OR cardinality(picked) >= candidates;
        -- The next window: from the density so far, either all the rest at once (when its
        -- expected matches cost less than walking on: the date index's pages, ~300 entries
        -- each, over the articles holding the matches still needed, plus those matches), or
        -- about the span those matches need (+25%).
        covered := covered + rate * extract(epoch FROM span)::float8;
        upper := lower;
        top := lower;
        needed := candidates - cardinality(picked);
        density := (cardinality(picked) + 1) / greatest(covered, 1);
        rest := rate * extract(epoch FROM top - greatest(oldest, since))::float8;
        IF density * rest <= needed / density / 300 + needed THEN
            last := true;
        ELSE
            span := greatest(interval '1 hour', make_interval(secs => 1.25 * needed / density / rate));
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
