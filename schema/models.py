"""SQLAlchemy 2 models: dadkhah's storage contract.

Raw tables live in the ``public`` schema and may evolve through Alembic migrations.
Other tools read the ``consumer`` views (see ``schema/views.py``), which only ever gain
columns. Every row that states a fact says where, when and how it was obtained.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy import text as sql_text  # `text` is also a column name below
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


# URLs are keyed by their SHA-256 (the SQL function dadkhah_url_key, migration 0006): a
# btree index entry cannot hold a URL over ~2.7 KB, and the fetch policy accepts 64 KiB.
def _url_key() -> Computed:
    return Computed("dadkhah_url_key(url)", persisted=True)


class Base(DeclarativeBase):
    """Declarative base shared by every dadkhah table."""


class Outlet(Base):
    """A configured source. Its config is snapshotted on every run for provenance."""

    __tablename__ = "outlets"

    outlet_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    home: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(16))
    affiliation: Mapped[str | None] = mapped_column(Text)
    config: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class CrawlRun(Base):
    """One pass over one or more outlets: who started it, with what, and what it found."""

    __tablename__ = "crawl_runs"

    run_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    run_uid: Mapped[str] = mapped_column(String(64), unique=True)
    trigger: Mapped[str] = mapped_column(String(32))  # cli, demo, airflow, test
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(32), default="running")
    outlets: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    software: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    stats: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)


class OutletRun(Base):
    """Per-outlet outcome of a run: counts by outcome, for `dadkhah status` and logs."""

    __tablename__ = "outlet_runs"

    run_id: Mapped[int] = mapped_column(ForeignKey("crawl_runs.run_id"), primary_key=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("outlets.outlet_id"), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(32), default="running")
    error: Mapped[str | None] = mapped_column(Text)
    stats: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)


class Fetch(Base):
    """One HTTP exchange (or a refusal to make one), with its raw capture's location."""

    __tablename__ = "fetches"

    fetch_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    fetch_uid: Mapped[str] = mapped_column(String(64), unique=True)  # idempotency key
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.run_id"))
    outlet_id: Mapped[int] = mapped_column(ForeignKey("outlets.outlet_id"))
    kind: Mapped[str] = mapped_column(String(16))  # feed, sitemap, listing, article, robots
    requested_url: Mapped[str] = mapped_column(Text)
    final_url: Mapped[str | None] = mapped_column(Text)
    discovered_from: Mapped[str | None] = mapped_column(Text)
    http_status: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(Text)
    fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    duration_ms: Mapped[float | None] = mapped_column(Float)
    content_type: Mapped[str | None] = mapped_column(Text)
    body_length: Mapped[int | None] = mapped_column(BigInteger)
    raw_sha256: Mapped[str | None] = mapped_column(String(64))
    warc_file: Mapped[str | None] = mapped_column(Text)
    warc_offset: Mapped[int | None] = mapped_column(BigInteger)
    warc_length: Mapped[int | None] = mapped_column(BigInteger)
    warc_record_id: Mapped[str | None] = mapped_column(Text)
    request_headers: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    response_headers: Mapped[dict[str, Any] | None] = mapped_column(JSONB)

    __table_args__ = (
        Index("ix_fetches_outlet_fetched", "outlet_id", "fetched_at"),
        Index("ix_fetches_run", "run_id"),
        # A hash index: any URL length (a btree entry is limited to ~2.7 KB), `=` only.
        Index("ix_fetches_requested_url", "requested_url", postgresql_using="hash"),
    )


class WarcManifestEntry(Base):
    """One sealed WARC file (or the part appended since its last entry): a link of the hash chain."""

    __tablename__ = "warc_manifest"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    warc_file: Mapped[str] = mapped_column(Text)  # relative to the archive directory
    size: Mapped[int] = mapped_column(BigInteger)  # bytes covered, from the start of the file
    sha256: Mapped[str] = mapped_column(String(64))  # of those bytes
    records: Mapped[int] = mapped_column(Integer)
    first_capture: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_capture: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry: Mapped[str] = mapped_column(Text)  # the canonical JSON line hashed and signed
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)
    sealed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    key_id: Mapped[str] = mapped_column(String(64))
    signature: Mapped[bytes] = mapped_column(LargeBinary)
    tsa_url: Mapped[str | None] = mapped_column(Text)
    tsa_token: Mapped[bytes | None] = mapped_column(LargeBinary)
    tsa_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (UniqueConstraint("warc_file", "size", name="uq_warc_manifest_file_size"),)


class HttpCacheEntry(Base):
    """Validators for conditional GET of feeds, sitemaps and listings."""

    __tablename__ = "http_cache"

    url: Mapped[str] = mapped_column(Text)
    url_key: Mapped[bytes] = mapped_column(LargeBinary, _url_key(), primary_key=True)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    last_status: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class HostSlot(Base):
    """The latest reserved request start per host: the politeness budget every crawl shares."""

    __tablename__ = "host_slots"

    host: Mapped[str] = mapped_column(Text, primary_key=True)  # hostname, lower-case, no port
    last_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # start of the latest request
    next_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # + that request's own delay

    __table_args__ = {"prefixes": ["UNLOGGED"]}  # no evidence: a server crash may empty it


# Topic window indexes (0015, one key column since 0016): per slug, a B-tree on published_at
# over the articles carrying it, in both ways a filter is written, so a topic + date query
# reads its window only (one key column: the planner prices it at published_at's correlation).
TOPIC_WINDOW_SLUGS = (
    "execution", "death_sentence", "extrajudicial_killing", "death_in_custody", "corporal_punishment",
    "arbitrary_arrest", "enforced_disappearance", "unfair_trial_sentencing", "political_prisoners",
    "torture_ill_treatment", "forced_confession", "prison_conditions", "protest_crackdown",
    "expression_media_internet", "defenders_lawyers_civil_society", "women_gender_sexuality",
    "ethnic_minorities", "religious_minorities", "children_juveniles", "massacre_1988_1980s",
    "un_international_mechanisms", "accountability_justice", "transnational_repression_hostages",
)  # fmt: skip


def _topic_window_indexes(slug: str) -> tuple[Index, Index]:
    return (
        Index(
            f"ix_articles_topic_{slug}",
            "published_at",
            postgresql_where=sql_text(f"topics @> '{{{slug}}}'::text[]"),
        ),
        Index(
            f"ix_articles_topic_any_{slug}",
            "published_at",
            postgresql_where=sql_text(f"'{slug}'::text = ANY (topics)"),
        ),
    )


class Article(Base):
    """One stored story copy of one outlet; its current extraction is the latest version."""

    __tablename__ = "articles"

    article_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("outlets.outlet_id"))
    canonical_url: Mapped[str] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    authors: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    published_raw: Mapped[str | None] = mapped_column(Text)
    published_calendar: Mapped[str | None] = mapped_column(String(16))
    published_method: Mapped[str | None] = mapped_column(String(32))
    language: Mapped[str | None] = mapped_column(String(16))
    site_name: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    content_sha256: Mapped[str] = mapped_column(String(64))
    first_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    first_fetch_id: Mapped[int | None] = mapped_column(ForeignKey("fetches.fetch_id"))
    extractor: Mapped[str] = mapped_column(Text)  # "name version"
    extractor_settings: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # Stored for the consumer views (0009): the current tagging's topics, kept by a trigger on
    # article_taggings, and the full-text document (English stemmed, other languages folded).
    topics: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=sql_text("'{}'::text[]"))
    search_tsv: Mapped[Any | None] = mapped_column(
        TSVECTOR, Computed("dadkhah_search_document(language, title, text)", persisted=True)
    )
    # Revisits (0012): when the page was last fetched again, and what it is now.
    last_checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16), server_default=sql_text("'live'"))
    removed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The latest revisit other than unreachable (0017, kept by a trigger on article_revisits):
    # what the revisit due selection walks by index.
    last_conclusive_revisit_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The article's cluster and whether it is that cluster's representative (0018): copies of
    # article_clusters.cluster_id and clusters.representative_article_id kept by triggers on
    # article_clusters and clusters, so consumer.articles filters on them without a lookup.
    cluster_id: Mapped[int | None] = mapped_column(BigInteger)
    is_representative: Mapped[bool] = mapped_column(Boolean, server_default=sql_text("false"))

    __table_args__ = (
        Index(
            "uq_articles_outlet_url_key", "outlet_id", sql_text("dadkhah_url_key(canonical_url)"), unique=True
        ),
        UniqueConstraint("outlet_id", "content_sha256", name="uq_articles_outlet_content"),
        Index("ix_articles_published", "published_at"),
        Index("ix_articles_first_seen", "first_seen_at"),
        Index("ix_articles_topics", "topics", postgresql_using="gin"),
        Index("ix_articles_language_published", "language", "published_at"),
        Index("ix_articles_published_desc", sql_text("published_at DESC NULLS LAST"), "article_id"),
        Index("ix_articles_search", "search_tsv", postgresql_using="gin"),
        Index("ix_articles_cluster", "cluster_id"),
        CheckConstraint("status IN ('live', 'edited', 'removed')", name="ck_articles_status"),
        Index(
            "ix_articles_revisit_never",
            "outlet_id",
            "first_seen_at",
            sql_text("last_checked_at NULLS FIRST"),
            "article_id",
            postgresql_where=sql_text("last_conclusive_revisit_at IS NULL"),
        ),
        Index(
            "ix_articles_revisit_conclusive",
            "outlet_id",
            sql_text("(last_conclusive_revisit_at - first_seen_at)"),
            postgresql_include=["first_seen_at", "last_conclusive_revisit_at", "last_checked_at"],
            postgresql_where=sql_text("last_conclusive_revisit_at IS NOT NULL"),
        ),
        *(index for slug in TOPIC_WINDOW_SLUGS for index in _topic_window_indexes(slug)),
    )


class ArticleVersion(Base):
    """Every extraction an article has had: history, never overwritten."""

    __tablename__ = "article_versions"

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.article_id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    fetch_id: Mapped[int | None] = mapped_column(ForeignKey("fetches.fetch_id"))
    extracted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    extractor: Mapped[str] = mapped_column(Text)
    extractor_settings: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    title: Mapped[str | None] = mapped_column(Text)
    authors: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    published_raw: Mapped[str | None] = mapped_column(Text)
    published_calendar: Mapped[str | None] = mapped_column(String(16))
    published_method: Mapped[str | None] = mapped_column(String(32))
    language: Mapped[str | None] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    content_sha256: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(32), default="ingest")  # ingest, reprocess


class ArticleRevisit(Base):
    """One revisit of a stored article: its fetch, its outcome, and the change it found, if any."""

    __tablename__ = "article_revisits"

    revisit_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.article_id"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.run_id"))
    fetch_id: Mapped[int | None] = mapped_column(ForeignKey("fetches.fetch_id"))
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str] = mapped_column(String(16))  # unchanged, edited, removed, unreachable
    reason: Mapped[str] = mapped_column(Text)
    change: Mapped[str | None] = mapped_column(String(16))  # edited, removed, restored
    from_version: Mapped[int | None] = mapped_column(Integer)
    to_version: Mapped[int | None] = mapped_column(Integer)
    diff: Mapped[str | None] = mapped_column(Text)  # word-level, pipeline/revisit/diff.py

    __table_args__ = (
        CheckConstraint(
            "outcome IN ('unchanged', 'edited', 'removed', 'unreachable')", name="ck_article_revisits_outcome"
        ),
        CheckConstraint(
            "change IS NULL OR change IN ('edited', 'removed', 'restored')", name="ck_article_revisits_change"
        ),
        Index("ix_article_revisits_article_checked", "article_id", "checked_at"),
        Index("ix_article_revisits_changes", "checked_at", postgresql_where=text("change IS NOT NULL")),
    )


class ArticleSource(Base):
    """Each fetch (and URL) that led to an article: its several sources."""

    __tablename__ = "article_sources"

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.article_id"), primary_key=True)
    fetch_id: Mapped[int] = mapped_column(ForeignKey("fetches.fetch_id"), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    match: Mapped[str] = mapped_column(String(32))  # new, same_url, same_content
    linked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ArticleUrl(Base):
    """Every URL known to lead to an article (variants, AMP, redirects): skip them next run."""

    __tablename__ = "article_urls"

    url: Mapped[str] = mapped_column(Text)
    url_key: Mapped[bytes] = mapped_column(LargeBinary, _url_key(), primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.article_id"))
    first_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class OutletHealth(Base):
    """One health verdict of one outlet (after a pass or on request): history, never updated."""

    __tablename__ = "outlet_health"

    health_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("outlets.outlet_id"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.run_id"))
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    state: Mapped[str] = mapped_column(String(16))  # ok, degraded, failing, stale
    reasons: Mapped[list[str]] = mapped_column(ARRAY(Text))
    figures: Mapped[dict[str, Any]] = mapped_column(JSONB)
    thresholds: Mapped[dict[str, Any]] = mapped_column(JSONB)

    __table_args__ = (
        CheckConstraint("state IN ('ok', 'degraded', 'failing', 'stale')", name="ck_outlet_health_state"),
        Index("ix_outlet_health_outlet_checked", "outlet_id", "checked_at"),
    )


# The health rules read an outlet's latest articles (migration 0005 adds it with the table).
Index("ix_articles_outlet_first_seen", Article.outlet_id, Article.first_seen_at)


# --- Story clusters (near-duplicates) ---------------------------------------------------


class Cluster(Base):
    """A story cluster. Ids are stable: a merged cluster points at the one that absorbed it."""

    __tablename__ = "clusters"

    cluster_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    representative_article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.article_id"))
    first_published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    merged_into: Mapped[int | None] = mapped_column(ForeignKey("clusters.cluster_id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # How many outlets it holds articles of: its cluster_outlets rows, kept by a trigger (0018).
    outlet_count: Mapped[int] = mapped_column(Integer, server_default=sql_text("0"))

    __table_args__ = (
        Index("ix_clusters_merged_into", "merged_into", postgresql_where=text("merged_into IS NOT NULL")),
        # 0016: a consumer join reads a cluster's representative and merge state index-only;
        # 0018: and its outlet count.
        Index(
            "ix_clusters_cluster_cover",
            "cluster_id",
            postgresql_include=["representative_article_id", "merged_into", "outlet_count"],
        ),
    )


class WorkConsumer(Base):
    """A step that derives data from articles and drains ``work_queue`` (pipeline.workqueue)."""

    __tablename__ = "work_consumers"

    name: Mapped[str] = mapped_column(Text, primary_key=True)
    inputs: Mapped[list[str]] = mapped_column(ARRAY(Text))  # article columns it reads
    # The configuration under which it last went through the whole archive, and when.
    swept: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True)
    swept_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    description: Mapped[str] = mapped_column(Text)
    # The change-feed id (article_changes) up to which it has acted on changes (0015).
    changes_read: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class WorkEvent(Base):
    """One "article changed" event not yet handled by one consumer (deleted when handled)."""

    __tablename__ = "work_queue"

    event_id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    consumer: Mapped[str] = mapped_column(ForeignKey("work_consumers.name", ondelete="CASCADE"))
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.article_id", ondelete="CASCADE"))
    article_version: Mapped[int] = mapped_column(Integer)  # the version that caused it
    reason: Mapped[str] = mapped_column(Text)  # new, changed
    fields: Mapped[list[str]] = mapped_column(ARRAY(Text))  # what changed ({} when new)
    queued_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("clock_timestamp()")
    )

    __table_args__ = (
        CheckConstraint("reason IN ('new', 'changed')", name="ck_work_queue_reason"),
        Index("ix_work_queue_consumer", "consumer", "event_id"),
        Index("ix_work_queue_article", "article_id"),
    )


class ArticleCluster(Base):
    """Where an article was placed, against which article, how similar, with which params."""

    __tablename__ = "article_clusters"

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.article_id"), primary_key=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.cluster_id"), index=True)
    matched_article_id: Mapped[int | None] = mapped_column(BigInteger)
    similarity: Mapped[float | None] = mapped_column(Float)
    method: Mapped[str] = mapped_column(Text)
    params: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    placed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    # 0016: consumer.articles reads an article's cluster id index-only.
    __table_args__ = (
        Index("ix_article_clusters_article_cover", "article_id", postgresql_include=["cluster_id"]),
    )


class ArticleSignature(Base):
    """MinHash signature of an article's normalised text (for verification and reclustering)."""

    __tablename__ = "article_signatures"

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.article_id"), primary_key=True)
    params_key: Mapped[str] = mapped_column(Text)
    signature: Mapped[bytes] = mapped_column(LargeBinary)
    shingles: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class LshBand(Base):
    """One LSH band key of one article: candidates are found by an index lookup."""

    __tablename__ = "lsh_bands"

    band_key: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.article_id", ondelete="CASCADE"), primary_key=True
    )


class ClusterOutlet(Base):
    """How many articles of one outlet a cluster holds: consumer.clusters sums these, not the archive."""

    __tablename__ = "cluster_outlets"

    cluster_id: Mapped[int] = mapped_column(
        ForeignKey("clusters.cluster_id", ondelete="CASCADE"), primary_key=True
    )
    outlet_id: Mapped[int] = mapped_column(ForeignKey("outlets.outlet_id"), primary_key=True)
    articles: Mapped[int] = mapped_column(Integer)


# --- Change feed (consumer.changes) --------------------------------------------------------


class ArticleChange(Base):
    """One consumer-visible change of an article; ``change_id`` is given at commit, in commit order."""

    __tablename__ = "article_changes"
    __mapper_args__ = {"primary_key": ["change_id"]}  # no primary key: ids come at commit

    change_id: Mapped[int | None] = mapped_column(BigInteger)
    xid: Mapped[int] = mapped_column(BigInteger)  # the writing transaction, until numbered
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.article_id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(Text)  # article, version, tags, cluster
    changed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("clock_timestamp()")
    )

    __table_args__ = (
        Index("ix_article_changes_change_id", "change_id", unique=True),
        Index("ix_article_changes_pending", "xid", postgresql_where=text("change_id IS NULL")),
        Index("ix_article_changes_article", "article_id"),
    )


class ChangeCounter(Base):
    """The last change id handed out; its row lock orders the numbering by commit."""

    __tablename__ = "change_counter"

    one: Mapped[bool] = mapped_column(Boolean, primary_key=True, server_default=text("true"))
    last_change_id: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (CheckConstraint("one", name="ck_change_counter_one_row"),)


class ReplayConfig(Base):
    """Where monitors reach the replay server: the base of consumer.article_sources.replay_url."""

    __tablename__ = "replay_config"

    one: Mapped[bool] = mapped_column(Boolean, primary_key=True, server_default=text("true"))
    base_url: Mapped[str] = mapped_column(Text)  # DADKHAH_REPLAY_URL, recorded by `dadkhah replay`
    collection: Mapped[str] = mapped_column(Text)  # pywb's collection: <base>/<collection>/<ts>/<url>
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (CheckConstraint("one", name="ck_replay_config_one_row"),)


class ChangePendingTx(Base):
    """A transaction with changes still to number: its insert fires the deferred trigger."""

    __tablename__ = "change_pending_tx"

    xid: Mapped[int] = mapped_column(BigInteger, primary_key=True)


# --- Topic tagging ----------------------------------------------------------------------


class Taxonomy(Base):
    """A loaded taxonomy version, kept so that every tag can be traced to its definitions."""

    __tablename__ = "taxonomies"

    version: Mapped[str] = mapped_column(Text, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    source: Mapped[str | None] = mapped_column(Text)
    content: Mapped[dict[str, Any]] = mapped_column(JSONB)
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ArticleTagging(Base):
    """The current tagging state of an article: which taxonomy version and method apply now."""

    __tablename__ = "article_taggings"

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.article_id"), primary_key=True)
    taxonomy_version: Mapped[str] = mapped_column(ForeignKey("taxonomies.version"))
    method: Mapped[str] = mapped_column(Text)
    topics: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    article_version: Mapped[int] = mapped_column(Integer, default=1)
    tagged_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # The tagger reads at most ``text_cap`` characters of the title and of the text;
    # ``text_examined`` is how many characters of the stored text it read, and
    # ``text_truncated`` whether the cap cut it. NULL on rows tagged before the cap (0007).
    text_cap: Mapped[int | None] = mapped_column(Integer, nullable=True)
    text_examined: Mapped[int | None] = mapped_column(Integer, nullable=True)
    text_truncated: Mapped[bool | None] = mapped_column(Boolean, nullable=True)


class ArticleTopic(Base):
    """A topic assigned to an article by one taxonomy version and method (history kept)."""

    __tablename__ = "article_topics"

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.article_id"), primary_key=True)
    taxonomy_version: Mapped[str] = mapped_column(Text, primary_key=True)
    method: Mapped[str] = mapped_column(Text, primary_key=True)
    topic: Mapped[str] = mapped_column(Text, primary_key=True)
    score: Mapped[float] = mapped_column(Float)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    tagged_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (Index("ix_article_topics_topic", "topic"),)


class ArticleFacet(Base):
    """A gazetteer hit (prison, charge, court, agency) with character offsets in the text."""

    __tablename__ = "article_facets"

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.article_id"), primary_key=True)
    taxonomy_version: Mapped[str] = mapped_column(Text, primary_key=True)
    facet: Mapped[str] = mapped_column(Text, primary_key=True)
    value: Mapped[str] = mapped_column(Text, primary_key=True)
    start: Mapped[int] = mapped_column(Integer, primary_key=True)
    end: Mapped[int] = mapped_column(Integer)
    matched: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("ix_article_facets_value", "facet", "value"),)


# --- Incident register (migration 0014) ---------------------------------------------------


class IncidentExtraction(Base):
    """Which text of an article the incident extractor last read, with which version."""

    __tablename__ = "incident_extractions"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.article_id", ondelete="CASCADE"), primary_key=True
    )
    article_version: Mapped[int] = mapped_column(Integer)
    extractor_version: Mapped[str] = mapped_column(Text)
    mentions: Mapped[int] = mapped_column(Integer)
    text_examined: Mapped[int] = mapped_column(Integer)  # characters read (the text, up to the cap)
    extracted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Incident(Base):
    """One reported event (an execution, a death sentence, ...). Ids are stable: an incident
    found to be another one points to it (``merged_into``) and keeps its row."""

    __tablename__ = "incidents"

    incident_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    kind: Mapped[str] = mapped_column(Text)
    step: Mapped[str] = mapped_column(Text)  # sentence | act
    stage: Mapped[str | None] = mapped_column(Text)
    event_date: Mapped[date | None] = mapped_column(Date)
    event_date_precision: Mapped[str] = mapped_column(Text, server_default=sql_text("'unknown'"))
    victims: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default=sql_text("'[]'::jsonb"))
    people: Mapped[int] = mapped_column(Integer, server_default=sql_text("0"))
    charge: Mapped[str] = mapped_column(Text, server_default=sql_text("'unknown'"))
    charges: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=sql_text("'{}'::jsonb"))
    prison: Mapped[str | None] = mapped_column(Text)
    city: Mapped[str | None] = mapped_column(Text)
    province: Mapped[str | None] = mapped_column(Text)
    official_confirmation: Mapped[bool] = mapped_column(Boolean, server_default=sql_text("false"))
    background_only: Mapped[bool] = mapped_column(Boolean, server_default=sql_text("false"))
    first_reported_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    source_count: Mapped[int] = mapped_column(Integer, server_default=sql_text("0"))
    independent_source_count: Mapped[int] = mapped_column(Integer, server_default=sql_text("0"))
    outlets: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=sql_text("'{}'::text[]"))
    merged_into: Mapped[int | None] = mapped_column(ForeignKey("incidents.incident_id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        CheckConstraint(
            "kind IN ('execution', 'death_sentence', 'death_in_custody', 'extrajudicial_killing',"
            " 'flogging', 'amputation')",
            name="ck_incidents_kind",
        ),
        Index("ix_incidents_kind_date", "kind", "event_date"),
        Index("ix_incidents_merged_into", "merged_into", postgresql_where=text("merged_into IS NOT NULL")),
    )


class IncidentMention(Base):
    """One incident mention read from one article version, with its field evidence."""

    __tablename__ = "incident_mentions"

    mention_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.article_id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)  # order in the article
    article_version: Mapped[int] = mapped_column(Integer)
    extractor_version: Mapped[str] = mapped_column(Text)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.incident_id"))
    kind: Mapped[str] = mapped_column(Text)
    stage: Mapped[str] = mapped_column(Text)
    background: Mapped[bool] = mapped_column(Boolean)
    source_type: Mapped[str] = mapped_column(Text)
    mention: Mapped[dict[str, Any]] = mapped_column(JSONB)
    extracted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        UniqueConstraint("article_id", "seq", name="uq_incident_mentions_article_seq"),
        Index("ix_incident_mentions_incident", "incident_id"),
    )


class IncidentMerge(Base):
    """A recorded merge: ``absorbed_id`` was found to be ``into_id`` (by which mention)."""

    __tablename__ = "incident_merges"

    merge_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    absorbed_id: Mapped[int] = mapped_column(ForeignKey("incidents.incident_id"))
    into_id: Mapped[int] = mapped_column(ForeignKey("incidents.incident_id"))
    article_id: Mapped[int | None] = mapped_column(BigInteger)
    merged_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
