"""incident register: mentions, incidents, merges; consumer.incidents and incident_sources

``incident_extractions`` says which article version the extractor last read (and which
extractor version), so only articles whose text changed are read again.
``incident_mentions`` keeps every mention with its field evidence (character offsets into
the article text); ``incidents`` holds the resolved events, recomputed from their mentions;
an incident found to be another keeps its row and points to it (``merged_into``), and
``incident_merges`` records when and through which article.

Revision ID: 0014
Revises: 0010
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

KINDS = (
    "kind IN ('execution', 'death_sentence', 'death_in_custody', 'extrajudicial_killing',"
    " 'flogging', 'amputation')"
)


def _victim_array(field: str, cast: str = "text") -> str:
    return (
        f"ARRAY(SELECT (v->>'{field}')::{cast} FROM jsonb_array_elements(i.victims)"
        f" WITH ORDINALITY AS e(v, n) ORDER BY n)"
    )


INCIDENTS_VIEW = f"""
CREATE OR REPLACE VIEW consumer.incidents AS
SELECT i.incident_id,
       i.kind,
       i.event_date,
       i.event_date_precision,
       i.victims,
       ARRAY(SELECT v->>'name' FROM jsonb_array_elements(i.victims) WITH ORDINALITY AS e(v, n)
              WHERE v->>'name' IS NOT NULL ORDER BY n) AS victim_names,
       i.people AS victim_count,
       {_victim_array("age", "int")} AS ages,
       {_victim_array("age_at_offence", "int")} AS ages_at_offence,
       {_victim_array("gender")} AS genders,
       {_victim_array("ethnicity")} AS ethnicities,
       {_victim_array("nationality")} AS nationalities,
       {_victim_array("religion")} AS religions,
       i.charge,
       i.prison,
       i.city,
       i.province,
       i.official_confirmation,
       i.first_reported_at,
       i.source_count,
       i.independent_source_count,
       i.outlets,
       i.stage,
       i.charges,
       i.background_only,
       i.created_at,
       i.updated_at
  FROM public.incidents i
 WHERE i.merged_into IS NULL AND i.source_count > 0
"""

SOURCES_VIEW = """
CREATE OR REPLACE VIEW consumer.incident_sources AS
SELECT m.incident_id,
       m.article_id,
       o.name AS outlet,
       m.mention,
       m.kind,
       m.stage,
       m.background,
       m.source_type,
       a.published_at,
       a.canonical_url AS url,
       ac.cluster_id,
       m.article_version,
       m.extractor_version,
       m.extracted_at
  FROM public.incident_mentions m
  JOIN public.articles a ON a.article_id = m.article_id
  JOIN public.outlets o ON o.outlet_id = a.outlet_id
  LEFT JOIN public.article_clusters ac ON ac.article_id = m.article_id
"""

MERGES_VIEW = """
CREATE OR REPLACE VIEW consumer.incident_merges AS
SELECT absorbed_id, into_id, merged_at, article_id FROM public.incident_merges
"""


def upgrade() -> None:
    op.create_table(
        "incident_extractions",
        sa.Column(
            "article_id",
            sa.BigInteger(),
            sa.ForeignKey("articles.article_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("article_version", sa.Integer(), nullable=False),
        sa.Column("extractor_version", sa.Text(), nullable=False),
        sa.Column("mentions", sa.Integer(), nullable=False),
        sa.Column("text_examined", sa.Integer(), nullable=False),
        sa.Column("extracted_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.create_table(
        "incidents",
        sa.Column("incident_id", sa.BigInteger(), primary_key=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("step", sa.Text(), nullable=False),
        sa.Column("stage", sa.Text()),
        sa.Column("event_date", sa.Date()),
        sa.Column("event_date_precision", sa.Text(), server_default=sa.text("'unknown'"), nullable=False),
        sa.Column("victims", JSONB(), server_default=sa.text("'[]'::jsonb"), nullable=False),
        sa.Column("people", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("charge", sa.Text(), server_default=sa.text("'unknown'"), nullable=False),
        sa.Column("charges", JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column("prison", sa.Text()),
        sa.Column("city", sa.Text()),
        sa.Column("province", sa.Text()),
        sa.Column("official_confirmation", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("background_only", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("first_reported_at", sa.DateTime(timezone=True)),
        sa.Column("source_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("independent_source_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("outlets", ARRAY(sa.Text()), server_default=sa.text("'{}'::text[]"), nullable=False),
        sa.Column("merged_into", sa.BigInteger(), sa.ForeignKey("incidents.incident_id")),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint(KINDS, name="ck_incidents_kind"),
    )
    op.create_index("ix_incidents_kind_date", "incidents", ["kind", "event_date"])
    op.create_index(
        "ix_incidents_merged_into",
        "incidents",
        ["merged_into"],
        postgresql_where=sa.text("merged_into IS NOT NULL"),
    )
    op.create_table(
        "incident_mentions",
        sa.Column("mention_id", sa.BigInteger(), primary_key=True),
        sa.Column(
            "article_id",
            sa.BigInteger(),
            sa.ForeignKey("articles.article_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("article_version", sa.Integer(), nullable=False),
        sa.Column("extractor_version", sa.Text(), nullable=False),
        sa.Column("incident_id", sa.BigInteger(), sa.ForeignKey("incidents.incident_id"), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("stage", sa.Text(), nullable=False),
        sa.Column("background", sa.Boolean(), nullable=False),
        sa.Column("source_type", sa.Text(), nullable=False),
        sa.Column("mention", JSONB(), nullable=False),
        sa.Column("extracted_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.UniqueConstraint("article_id", "seq", name="uq_incident_mentions_article_seq"),
    )
    op.create_index("ix_incident_mentions_incident", "incident_mentions", ["incident_id"])
    op.create_table(
        "incident_merges",
        sa.Column("merge_id", sa.BigInteger(), primary_key=True),
        sa.Column("absorbed_id", sa.BigInteger(), sa.ForeignKey("incidents.incident_id"), nullable=False),
        sa.Column("into_id", sa.BigInteger(), sa.ForeignKey("incidents.incident_id"), nullable=False),
        sa.Column("article_id", sa.BigInteger()),
        sa.Column("merged_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.execute("CREATE SCHEMA IF NOT EXISTS consumer")
    op.execute(INCIDENTS_VIEW)
    op.execute(SOURCES_VIEW)
    op.execute(MERGES_VIEW)


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS consumer.incident_merges")
    op.execute("DROP VIEW IF EXISTS consumer.incident_sources")
    op.execute("DROP VIEW IF EXISTS consumer.incidents")
    op.drop_table("incident_merges")
    op.drop_index("ix_incident_mentions_incident", table_name="incident_mentions")
    op.drop_table("incident_mentions")
    op.drop_index("ix_incidents_merged_into", table_name="incidents")
    op.drop_index("ix_incidents_kind_date", table_name="incidents")
    op.drop_table("incidents")
    op.drop_table("incident_extractions")
