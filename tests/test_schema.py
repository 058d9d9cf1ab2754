"""The database contract: migrations apply idempotently and the consumer views exist."""

from sqlalchemy import create_engine, text

from pipeline.db import upgrade

CONTRACT = {
    "articles": [
        "article_id",
        "outlet",
        "url",
        "title",
        "authors",
        "published_at",
        "language",
        "text",
        "content_sha256",
        "first_seen_at",
        "extractor",
        "cluster_id",
        "is_representative",
        "topics",
    ],
    "article_sources": [
        "article_id",
        "requested_url",
        "final_url",
        "http_status",
        "fetched_at",
        "raw_sha256",
        "warc_file",
        "warc_offset",
    ],
    "fetches": ["fetch_id", "outlet", "url", "outcome", "http_status", "error", "fetched_at"],
    "clusters": [
        "cluster_id",
        "representative_article_id",
        "first_published_at",
        "article_count",
        "outlet_count",
        "outlets",
    ],
    "article_topics": ["article_id", "topic", "score", "method", "taxonomy_version", "evidence"],
    "article_facets": ["article_id", "facet", "value", "start", "end"],
    "incidents": [
        "incident_id",
        "kind",
        "event_date",
        "event_date_precision",
        "victims",
        "victim_names",
        "victim_count",
        "ages",
        "ages_at_offence",
        "genders",
        "ethnicities",
        "nationalities",
        "religions",
        "charge",
        "prison",
        "city",
        "province",
        "official_confirmation",
        "first_reported_at",
        "source_count",
        "independent_source_count",
        "outlets",
    ],
    "incident_sources": ["incident_id", "article_id", "outlet", "mention"],
}


def test_consumer_views_have_contract_columns_in_order(db_engine):
    with db_engine.connect() as conn:
        for view, expected in CONTRACT.items():
            cols = list(conn.execute(text(f"SELECT * FROM consumer.{view} LIMIT 0")).keys())
            assert cols[: len(expected)] == expected, view


def test_upgrade_is_idempotent(fresh_database_url):
    engine = create_engine(fresh_database_url)
    assert upgrade(engine) == upgrade(engine)
    engine.dispose()
