"""consumer views that stay fast, full-text search, and a change feed

Until 0004 the consumer views computed everything at read time: ``consumer.clusters`` was an
aggregate over the whole archive (any join to it scanned and sorted everything), and
``topics`` came through a LEFT JOIN, so a filter on it could use no index. This revision
stores what the views read, kept current by triggers on the tables the pipeline already writes
(no pipeline code has to know):

- ``articles.topics``: the current tagging's topics (``article_taggings.topics``), GIN-indexed;
- ``cluster_outlets``: per cluster and outlet, how many articles it holds; the clusters view
  sums a handful of rows per cluster (LATERAL) instead of grouping the archive;
- ``articles.search_tsv``: a stored, generated ``tsvector`` (English stemmed; every other
  language ``simple`` over text folded like ``pipeline/textnorm.py``: Arabic letter variants,
  digits, harakat, tatweel, ZWNJ), GIN-indexed, read by ``consumer.search(query, ...)``;
- ``article_changes``: one row per consumer-visible change (``article``, ``version``, ``tags``,
  ``cluster``), read through ``consumer.changes``. Its ``change_id`` is given at commit time,
  under a one-row counter's lock (``change_counter``), so ids grow in commit order: a reader
  that has seen id N will never later see a change with an id <= N (a plain sequence would let
  a long transaction commit an id below one a reader already passed). Rows are first written
  with no id; a deferred constraint trigger on ``change_pending_tx`` (one row per writing
  transaction) numbers them just before commit. A later work queue can drain the same table
  with its own cursor.

Columns of the existing views and their meaning are unchanged; ``downgrade`` restores the
0004 definitions exactly.

Revision ID: 0009
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _u(codepoints: list[int]) -> str:
    """A SQL literal holding these characters, written as escapes (no invisible characters here)."""
    return "U&'" + "".join(f"\\{cp:04X}" for cp in codepoints) + "'"


# The folding of pipeline/textnorm.normalize_for_matching, frozen here (a test checks that the
# two agree): letter variants -> Persian letters, Persian/Arabic-Indic digits -> ASCII,
# invisible format characters -> space; tatweel and combining marks dropped.
_LETTERS = {
    0x064A: 0x06CC, 0x0649: 0x06CC, 0x0626: 0x06CC, 0x0643: 0x06A9, 0x0629: 0x0647,
    0x06C0: 0x0647, 0x06D5: 0x0647, 0x0623: 0x0627, 0x0625: 0x0627, 0x0622: 0x0627,
    0x0671: 0x0627, 0x0624: 0x0648,
}  # fmt: skip
for _i in range(10):
    _LETTERS[0x06F0 + _i] = 0x30 + _i
    _LETTERS[0x0660 + _i] = 0x30 + _i
_INVISIBLE = [
    0x200C, 0x200D, 0x200E, 0x200F, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E,
    0x2066, 0x2067, 0x2068, 0x2069, 0x061C, 0xFEFF, 0x00AD, 0x00A0,
]  # fmt: skip
# Dropped: tatweel, harakat and other Arabic marks, combining diacritics (as regex ranges).
_DROPPED = [(0x0640, 0x0640), (0x064B, 0x065F), (0x0670, 0x0670), (0x06D6, 0x06DC), (0x06DF, 0x06E4),
            (0x06E7, 0x06E8), (0x06EA, 0x06ED), (0x0300, 0x036F)]  # fmt: skip


def _class(ranges: list[tuple[int, int]], extra: str = "", repeat: str = "") -> str:
    """A regex bracket expression of these code point ranges, written as escapes."""
    body = "".join(f"\\u{a:04X}" + (f"-\\u{b:04X}" if b != a else "") for a, b in ranges)
    return f"'[{extra}{body}]{repeat}'"


# Measured on 1,000 synthetic articles: translate() costs per character of its ``from`` list,
# so only the letters go through it, and only when the text holds one of them; the rest are
# regular-expression classes (0.6 ms an article instead of 3.6 ms with one long translate).
_MARKS = _class(_DROPPED)
_SPACES = _class([(cp, cp) for cp in _INVISIBLE], extra="\\s", repeat="+")
_VARIANTS = _class([(cp, cp) for cp in _LETTERS])

FUNCTIONS = f"""
CREATE FUNCTION public.dadkhah_fold_letters(t text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURNS NULL ON NULL INPUT
    RETURN CASE WHEN t ~ {_VARIANTS} THEN translate(t, {_u(list(_LETTERS))}, {_u(list(_LETTERS.values()))})
                ELSE t END;

CREATE FUNCTION public.dadkhah_fold(t text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURNS NULL ON NULL INPUT
    RETURN btrim(lower(public.dadkhah_fold_letters(
               regexp_replace(regexp_replace(normalize(t, NFKC), {_MARKS}, '', 'g'), {_SPACES}, ' ', 'g'))));

-- Compounds written with ZWNJ, also as one word: 'قزل‌حصار' is then found as 'قزلحصار' too.
CREATE FUNCTION public.dadkhah_zwnj_joined(t text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURNS NULL ON NULL INPUT
BEGIN ATOMIC
    SELECT coalesce(string_agg(replace(m[1], chr(8204), ''), ' '), '')
      FROM regexp_matches(t, '(\\S*\\u200c\\S*)', 'g') AS m;
END;

CREATE FUNCTION public.dadkhah_search_config(language text) RETURNS regconfig
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN language ILIKE 'en%' THEN 'english'::regconfig ELSE 'simple'::regconfig END;

CREATE FUNCTION public.dadkhah_search_document(language text, title text, body text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN setweight(to_tsvector(public.dadkhah_search_config(language),
                                 public.dadkhah_fold(coalesce(title, ''))), 'A')
        || setweight(to_tsvector(public.dadkhah_search_config(language),
                                 public.dadkhah_fold(coalesce(body, ''))), 'B')
        || to_tsvector('simple', public.dadkhah_fold(
               public.dadkhah_zwnj_joined(coalesce(title, '') || ' ' || coalesce(body, ''))));

-- A query matches an English article through the stemmed form, any other through the folded
-- words, written with ZWNJ, a space or nothing between the parts of a compound.
CREATE FUNCTION public.dadkhah_search_query(q text) RETURNS tsquery
    LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURNS NULL ON NULL INPUT
    RETURN websearch_to_tsquery('english', public.dadkhah_fold(q))
        || websearch_to_tsquery('simple', public.dadkhah_fold(q))
        || websearch_to_tsquery('simple', public.dadkhah_fold(replace(q, chr(8204), '')));

-- Change feed: note the changes of this transaction; ids are given at commit.
CREATE FUNCTION public.dadkhah_note_changes(kind text, ids bigint[]) RETURNS void
    LANGUAGE plpgsql AS $$
DECLARE
    me bigint := pg_current_xact_id()::text::bigint;
BEGIN
    IF cardinality(ids) IS NULL OR cardinality(ids) = 0 THEN
        RETURN;
    END IF;
    INSERT INTO public.article_changes (xid, article_id, kind)
    SELECT me, id, kind FROM unnest(ids) AS id ORDER BY id;
    IF coalesce(current_setting('dadkhah.change_xid', true), '') <> me::text THEN
        INSERT INTO public.change_pending_tx (xid) VALUES (me) ON CONFLICT DO NOTHING;
        PERFORM set_config('dadkhah.change_xid', me::text, true);
    END IF;
END $$;

-- At commit (deferred): number this transaction's changes after every earlier commit's.
CREATE FUNCTION public.dadkhah_assign_change_ids() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
    base bigint;
BEGIN
    SELECT count(*) INTO n FROM public.article_changes WHERE xid = NEW.xid AND change_id IS NULL;
    -- The row lock is held until this transaction commits: the next writer waits here, so
    -- ids are handed out in commit order.
    UPDATE public.change_counter SET last_change_id = last_change_id + n
     RETURNING last_change_id - n INTO base;
    UPDATE public.article_changes c SET change_id = base + o.rn
      FROM (SELECT ctid AS row_ref, row_number() OVER (ORDER BY changed_at, article_id, kind) AS rn
              FROM public.article_changes WHERE xid = NEW.xid AND change_id IS NULL) o
     WHERE c.ctid = o.row_ref;
    DELETE FROM public.change_pending_tx WHERE xid = NEW.xid;
    PERFORM set_config('dadkhah.change_xid', '', true);  -- SET CONSTRAINTS IMMEDIATE: start over
    RETURN NULL;
END $$;

CREATE FUNCTION public.dadkhah_articles_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM public.dadkhah_note_changes('article', ARRAY(SELECT article_id FROM new_rows));
    RETURN NULL;
END $$;

-- What a consumer sees of an article, apart from topics (their own trigger) and the cluster.
CREATE FUNCTION public.dadkhah_articles_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM public.dadkhah_note_changes('version', ARRAY(
        SELECT n.article_id FROM new_rows n JOIN old_rows o USING (article_id)
         WHERE (n.outlet_id, n.canonical_url, n.title, n.authors, n.published_at, n.language,
                n.text, n.content_sha256, n.first_seen_at, n.extractor, n.published_raw,
                n.published_calendar, n.published_method, n.site_name, n.current_version)
               IS DISTINCT FROM
               (o.outlet_id, o.canonical_url, o.title, o.authors, o.published_at, o.language,
                o.text, o.content_sha256, o.first_seen_at, o.extractor, o.published_raw,
                o.published_calendar, o.published_method, o.site_name, o.current_version)));
    RETURN NULL;
END $$;

-- article_taggings -> articles.topics, and a 'tags' change.
CREATE FUNCTION public.dadkhah_taggings_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ids bigint[];
BEGIN
    IF TG_OP = 'DELETE' THEN
        ids := ARRAY(SELECT article_id FROM old_rows);
        UPDATE public.articles a SET topics = ARRAY[]::text[]
          FROM old_rows o WHERE a.article_id = o.article_id AND a.topics <> ARRAY[]::text[];
    ELSE
        IF TG_OP = 'UPDATE' THEN
            ids := ARRAY(SELECT n.article_id FROM new_rows n JOIN old_rows o USING (article_id)
                          WHERE (n.*) IS DISTINCT FROM (o.*));
        ELSE
            ids := ARRAY(SELECT article_id FROM new_rows);
        END IF;
        UPDATE public.articles a SET topics = coalesce(n.topics, ARRAY[]::text[])
          FROM new_rows n WHERE a.article_id = n.article_id
           AND a.topics IS DISTINCT FROM coalesce(n.topics, ARRAY[]::text[]);
    END IF;
    PERFORM public.dadkhah_note_changes('tags', ids);
    RETURN NULL;
END $$;

-- article_clusters -> cluster_outlets counts, and a 'cluster' change.
CREATE FUNCTION public.dadkhah_article_clusters_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE public.cluster_outlets co SET articles = co.articles - d.n
          FROM (SELECT o.cluster_id, a.outlet_id, count(*) AS n
                  FROM old_rows o JOIN public.articles a USING (article_id)
                 GROUP BY 1, 2) d
         WHERE co.cluster_id = d.cluster_id AND co.outlet_id = d.outlet_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO public.cluster_outlets AS co (cluster_id, outlet_id, articles)
        SELECT n.cluster_id, a.outlet_id, count(*)
          FROM new_rows n JOIN public.articles a USING (article_id)
         GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (cluster_id, outlet_id) DO UPDATE SET articles = co.articles + EXCLUDED.articles;
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        DELETE FROM public.cluster_outlets co USING (SELECT DISTINCT cluster_id FROM old_rows) d
         WHERE co.cluster_id = d.cluster_id AND co.articles <= 0;
    END IF;
    IF TG_OP = 'INSERT' THEN
        PERFORM public.dadkhah_note_changes('cluster', ARRAY(SELECT article_id FROM new_rows));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM public.dadkhah_note_changes('cluster', ARRAY(SELECT article_id FROM old_rows));
    ELSE
        PERFORM public.dadkhah_note_changes('cluster', ARRAY(
            SELECT n.article_id FROM new_rows n JOIN old_rows o USING (article_id)
             WHERE n.cluster_id IS DISTINCT FROM o.cluster_id));
    END IF;
    RETURN NULL;
END $$;

-- A new representative changes is_representative of two articles.
CREATE FUNCTION public.dadkhah_clusters_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM public.dadkhah_note_changes('cluster', ARRAY(
        SELECT DISTINCT x FROM new_rows n JOIN old_rows o USING (cluster_id),
               unnest(ARRAY[n.representative_article_id, o.representative_article_id]) AS x
         WHERE n.representative_article_id IS DISTINCT FROM o.representative_article_id
           AND x IS NOT NULL));
    RETURN NULL;
END $$;
"""

# (trigger, table, event, function): statement-level, so a bulk write costs one call.
TRIGGERS = [
    ("dadkhah_articles_ins", "articles", "INSERT", "dadkhah_articles_inserted"),
    ("dadkhah_articles_upd", "articles", "UPDATE", "dadkhah_articles_updated"),
    ("dadkhah_taggings_ins", "article_taggings", "INSERT", "dadkhah_taggings_changed"),
    ("dadkhah_taggings_upd", "article_taggings", "UPDATE", "dadkhah_taggings_changed"),
    ("dadkhah_taggings_del", "article_taggings", "DELETE", "dadkhah_taggings_changed"),
    ("dadkhah_article_clusters_ins", "article_clusters", "INSERT", "dadkhah_article_clusters_changed"),
    ("dadkhah_article_clusters_upd", "article_clusters", "UPDATE", "dadkhah_article_clusters_changed"),
    ("dadkhah_article_clusters_del", "article_clusters", "DELETE", "dadkhah_article_clusters_changed"),
    ("dadkhah_clusters_upd", "clusters", "UPDATE", "dadkhah_clusters_updated"),
]
FUNCTION_NAMES = [
    "dadkhah_clusters_updated()",
    "dadkhah_article_clusters_changed()",
    "dadkhah_taggings_changed()",
    "dadkhah_articles_updated()",
    "dadkhah_articles_inserted()",
    "dadkhah_assign_change_ids()",
    "dadkhah_note_changes(text, bigint[])",
    "dadkhah_search_query(text)",
    "dadkhah_search_document(text, text, text)",
    "dadkhah_search_config(text)",
    "dadkhah_zwnj_joined(text)",
    "dadkhah_fold(text)",
    "dadkhah_fold_letters(text)",
]


SEARCH_DOCUMENT = "dadkhah_search_document(language, title, text)"


def _transition(event: str) -> str:
    return {
        "INSERT": "REFERENCING NEW TABLE AS new_rows",
        "UPDATE": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "DELETE": "REFERENCING OLD TABLE AS old_rows",
    }[event]


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
    """,
    "clusters": """
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
    """,
}

CHANGES_VIEW = """
    SELECT ch.change_id, ch.article_id, ch.kind, ch.changed_at
      FROM public.article_changes ch
     WHERE ch.change_id IS NOT NULL
"""

# Ranking reads each candidate's tsvector (out of line, compressed): a word matching 2% of a
# million articles would cost ~0.6 s. So the matches are first narrowed by a cheap order (the
# newest ``candidates``, from the heap only), then ranked; with fewer matches every one is ranked.
SEARCH_FUNCTION = """
CREATE FUNCTION consumer.search(query text, outlet text DEFAULT NULL, topic text DEFAULT NULL,
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

# The 0004 definitions, frozen again here for downgrade.
VIEWS_0004: dict[str, str] = {
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
}


def upgrade() -> None:
    op.add_column(
        "articles",
        sa.Column(
            "topics", postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'::text[]"), nullable=False
        ),
    )
    op.execute(
        "UPDATE articles a SET topics = t.topics FROM article_taggings t "
        "WHERE t.article_id = a.article_id AND t.topics IS NOT NULL AND t.topics <> '{}'"
    )
    op.create_index("ix_articles_topics", "articles", ["topics"], postgresql_using="gin")
    op.create_index("ix_articles_language_published", "articles", ["language", "published_at"])
    op.create_index(
        "ix_articles_published_desc", "articles", [sa.text("published_at DESC NULLS LAST"), "article_id"]
    )
    op.create_table(
        "cluster_outlets",
        sa.Column(
            "cluster_id",
            sa.BigInteger(),
            sa.ForeignKey("clusters.cluster_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("outlet_id", sa.Integer(), sa.ForeignKey("outlets.outlet_id"), primary_key=True),
        sa.Column("articles", sa.Integer(), nullable=False),
    )
    op.execute(
        "INSERT INTO cluster_outlets (cluster_id, outlet_id, articles) "
        "SELECT ac.cluster_id, a.outlet_id, count(*) FROM article_clusters ac "
        "JOIN articles a USING (article_id) GROUP BY 1, 2"
    )
    op.create_table(
        "article_changes",
        sa.Column("change_id", sa.BigInteger(), nullable=True),
        sa.Column("xid", sa.BigInteger(), nullable=False),
        sa.Column(
            "article_id",
            sa.BigInteger(),
            sa.ForeignKey("articles.article_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column(
            "changed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
    )
    op.create_index("ix_article_changes_change_id", "article_changes", ["change_id"], unique=True)
    op.create_index(
        "ix_article_changes_pending",
        "article_changes",
        ["xid"],
        postgresql_where=sa.text("change_id IS NULL"),
    )
    op.create_index("ix_article_changes_article", "article_changes", ["article_id"])
    op.create_table(
        "change_counter",
        sa.Column("one", sa.Boolean(), server_default=sa.text("true"), primary_key=True),
        sa.Column("last_change_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("one", name="ck_change_counter_one_row"),
    )
    op.create_table("change_pending_tx", sa.Column("xid", sa.BigInteger(), primary_key=True))
    # What is already stored is the feed's start: one 'article' change per article.
    op.execute(
        "INSERT INTO article_changes (change_id, xid, article_id, kind, changed_at) "
        "SELECT row_number() OVER (ORDER BY article_id), 0, article_id, 'article', first_seen_at "
        "FROM articles"
    )
    op.execute("INSERT INTO change_counter (last_change_id) SELECT count(*) FROM article_changes")

    op.execute(FUNCTIONS)
    op.add_column(
        "articles",
        sa.Column(
            "search_tsv",
            postgresql.TSVECTOR(),
            sa.Computed(SEARCH_DOCUMENT, persisted=True),
            nullable=True,
        ),
    )
    op.create_index("ix_articles_search", "articles", ["search_tsv"], postgresql_using="gin")
    op.execute(
        "CREATE CONSTRAINT TRIGGER dadkhah_change_ids AFTER INSERT ON change_pending_tx "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION dadkhah_assign_change_ids()"
    )
    for name, table, event, function in TRIGGERS:
        op.execute(
            f"CREATE TRIGGER {name} AFTER {event} ON {table} {_transition(event)} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        )

    for name, body in VIEWS.items():
        op.execute(f"CREATE OR REPLACE VIEW consumer.{name} AS {body}")
    op.execute(f"CREATE VIEW consumer.changes AS {CHANGES_VIEW}")
    op.execute(SEARCH_FUNCTION)


def downgrade() -> None:
    op.execute("DROP FUNCTION consumer.search(text, text, text, timestamptz, integer, integer)")
    op.execute("DROP VIEW consumer.changes")
    for name, body in VIEWS_0004.items():
        op.execute(f"CREATE OR REPLACE VIEW consumer.{name} AS {body}")
    for name, table, _event, _function in TRIGGERS:
        op.execute(f"DROP TRIGGER {name} ON {table}")
    op.execute("DROP TRIGGER dadkhah_change_ids ON change_pending_tx")
    op.drop_index("ix_articles_search", table_name="articles")
    op.drop_column("articles", "search_tsv")
    for signature in FUNCTION_NAMES:
        op.execute(f"DROP FUNCTION public.{signature}")
    op.drop_table("change_pending_tx")
    op.drop_table("change_counter")
    op.drop_table("article_changes")
    op.drop_table("cluster_outlets")
    op.drop_index("ix_articles_published_desc", table_name="articles")
    op.drop_index("ix_articles_language_published", table_name="articles")
    op.drop_index("ix_articles_topics", table_name="articles")
    op.drop_column("articles", "topics")
