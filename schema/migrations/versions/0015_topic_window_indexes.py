"""topic window indexes; the incident register drains the work queue

Topic window indexes: one partial B-tree per topic slug, so a topic filter reads its window.

A filter on a topic with a date range or a newest-N order (``'execution' = ANY(topics) AND
language = 'fa' AND published_at >= ... ORDER BY published_at DESC LIMIT 100``) used the GIN
index on ``topics``, whose bitmap holds every article of that topic: its cost grew with the
archive. A B-tree on ``(published_at, language)`` restricted to the articles carrying one
slug is walked from the end of the asked window and stops at the limit: its cost depends on
the rows returned, whatever the archive size. Two predicates per slug, because the planner
matches a partial index only when the query's clause is written the same way: ``'slug' =
ANY(topics)`` and ``topics @> ARRAY['slug']`` (``topics @> '{slug}'``). No view changes.

The slugs are frozen here (``TOPIC_SLUGS``): a slug added to the taxonomy later gets its two
indexes from a later migration (``tests/test_topic_indexes.py`` fails until it does); until
then its filter uses the GIN index, as every slug did before.

The incident register (``pipeline.incidents.store``) becomes a consumer of the work queue:
a ``work_consumers`` row ``incidents`` reading title, text, date and language, so inserts
and changed texts queue its work; with no sweep recorded, its first run walks the archive
once (the old selection). ``work_consumers.changes_read``: the change-feed id up to which a
consumer has acted on ``article_changes`` (the register recounts independent sources only
for incidents whose articles changed cluster after it).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

TOPIC_SLUGS = (
    "execution", "death_sentence", "extrajudicial_killing", "death_in_custody", "corporal_punishment",
    "arbitrary_arrest", "enforced_disappearance", "unfair_trial_sentencing", "political_prisoners",
    "torture_ill_treatment", "forced_confession", "prison_conditions", "protest_crackdown",
    "expression_media_internet", "defenders_lawyers_civil_society", "women_gender_sexuality",
    "ethnic_minorities", "religious_minorities", "children_juveniles", "massacre_1988_1980s",
    "un_international_mechanisms", "accountability_justice", "transnational_repression_hostages",
)  # fmt: skip


def index_ddl(slug: str) -> list[tuple[str, str]]:
    """(name, CREATE INDEX) of the two window indexes of one slug (frozen at 0015)."""
    assert slug.replace("_", "").isalnum() and slug == slug.lower(), slug
    cols = "public.articles (published_at, language)"
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


def upgrade() -> None:
    for slug in TOPIC_SLUGS:
        for _, ddl in index_ddl(slug):
            op.execute(ddl)
    op.add_column("work_consumers", sa.Column("changes_read", sa.BigInteger(), nullable=True))
    op.execute(
        "INSERT INTO work_consumers (name, inputs, description) VALUES ('incidents', "
        "ARRAY['title', 'text', 'published_at', 'language'], 'incident register (pipeline.incidents)')"
    )


def downgrade() -> None:
    op.execute("DELETE FROM work_consumers WHERE name = 'incidents'")  # its events go with it
    op.drop_column("work_consumers", "changes_read")
    for slug in TOPIC_SLUGS:
        for name, _ in index_ddl(slug):
            op.execute(f"DROP INDEX IF EXISTS public.{name}")
