"""revisit due selection walks indexes: each article's last conclusive revisit, kept by trigger

The due selection of pipeline.revisit.schedule read every article of an outlet (a bitmap scan
of ~100,000 rows at 1M articles) and probed ``article_revisits`` for each, to keep the 500
most overdue: 40 ms at 100k, 1,457 ms at 1M. An article is due at stage ``d`` of its outlet's
``after_days`` when ``first_seen_at + d days <= now`` and its last conclusive revisit (any
outcome but ``unreachable``) is before ``first_seen_at + d days``; so it needs one stored time:

- ``articles.last_conclusive_revisit_at``: the latest ``checked_at`` of the article's revisits
  other than ``unreachable`` (NULL while there is none), kept by a row trigger on
  ``article_revisits`` in the transaction that records the revisit (an insert raises it; an
  update or delete, which the pipeline never does, recomputes it). Backfilled here. It is not
  a consumer-visible change: the change feed's trigger on ``articles`` does not list it.
- ``ix_articles_revisit_never``: ``(outlet_id, first_seen_at, last_checked_at NULLS FIRST,
  article_id)`` over the articles with no conclusive revisit. For one stage the due ones among
  them are a range of ``first_seen_at`` read in the selection's order: the walk stops at the limit.
- ``ix_articles_revisit_conclusive``: ``(outlet_id, last_conclusive_revisit_at - first_seen_at)``
  over the others (with the columns the selection needs, for index-only scans). At stage ``d``
  an article is due only if its last conclusive revisit came before age ``d``: a range of the
  key, holding in a running archive the articles still between two stages (those of the last
  ``max(after_days)`` days), however large the archive. Articles revisited at their last stage
  are never read again.

The selection (one branch per stage, each limited, merged and limited again) returns the same
rows in the same order as the old statement when days are counted as 24 hours, which they are
in a UTC session (the server's and the tests' setting); the old statement counted calendar days
of the session's TimeZone, 23 or 25 hours across a DST change elsewhere.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

FUNCTION = """
CREATE FUNCTION dadkhah_revisit_conclusive() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.outcome <> 'unreachable' THEN
            UPDATE articles SET last_conclusive_revisit_at = NEW.checked_at
             WHERE article_id = NEW.article_id
               AND (last_conclusive_revisit_at IS NULL OR last_conclusive_revisit_at < NEW.checked_at);
        END IF;
        RETURN NULL;
    END IF;
    UPDATE articles a SET last_conclusive_revisit_at = (
           SELECT max(r.checked_at) FROM article_revisits r
            WHERE r.article_id = a.article_id AND r.outcome <> 'unreachable')
     WHERE a.article_id IN (OLD.article_id, CASE WHEN TG_OP = 'UPDATE' THEN NEW.article_id END);
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    op.execute("ALTER TABLE articles ADD COLUMN last_conclusive_revisit_at timestamptz")
    op.execute(
        "UPDATE articles a SET last_conclusive_revisit_at = r.at FROM ("
        "  SELECT article_id, max(checked_at) AS at FROM article_revisits"
        "   WHERE outcome <> 'unreachable' GROUP BY article_id) r"
        " WHERE a.article_id = r.article_id"
    )
    op.execute(FUNCTION)
    op.execute(
        "CREATE TRIGGER dadkhah_revisit_conclusive AFTER INSERT OR UPDATE OR DELETE ON article_revisits "
        "FOR EACH ROW EXECUTE FUNCTION dadkhah_revisit_conclusive()"
    )
    op.execute(
        "CREATE INDEX ix_articles_revisit_never ON articles "
        "(outlet_id, first_seen_at, last_checked_at NULLS FIRST, article_id) "
        "WHERE last_conclusive_revisit_at IS NULL"
    )
    op.execute(
        "CREATE INDEX ix_articles_revisit_conclusive ON articles "
        "(outlet_id, (last_conclusive_revisit_at - first_seen_at)) "
        "INCLUDE (first_seen_at, last_conclusive_revisit_at, last_checked_at) "
        "WHERE last_conclusive_revisit_at IS NOT NULL"
    )


def downgrade() -> None:
    op.execute("DROP INDEX ix_articles_revisit_conclusive")
    op.execute("DROP INDEX ix_articles_revisit_never")
    op.execute("DROP TRIGGER dadkhah_revisit_conclusive ON article_revisits")
    op.execute("DROP FUNCTION dadkhah_revisit_conclusive()")
    op.execute("ALTER TABLE articles DROP COLUMN last_conclusive_revisit_at")
