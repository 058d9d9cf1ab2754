"""The migration chain: down to base and up again on a database holding a real crawl's data,
and the models agree with what the migrations build."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, text

from pipeline.db import SchemaNotCurrent, check_schema, downgrade, migration_heads, upgrade
from pipeline.fixture_site import FixtureSite
from pipeline.ingest import ingest
from pipeline.settings import Settings
from schema.models import Base
from schema.views import consumer_view_columns
from tests.pg import create_scratch_database, drop_database

# What alembic's autogenerate cannot see, and so is checked by other means:
# - the consumer views (autogenerate compares tables only): test_schema checks their columns,
#   and the round trip below checks they come back reading the same rows;
# - the triggers and functions of 0003 and 0011 (the work queue): test_clustering and
#   test_workqueue exercise them;
# - alembic_version: alembic's own bookkeeping, skipped by compare_metadata itself.
COMPARE_OPTS = {"compare_type": True, "compare_server_default": True}


def _differences(engine, metadata) -> list:
    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn, opts=COMPARE_OPTS), metadata)


def _user_relations(engine) -> list[str]:
    """Every table, view, sequence and function the migrations could have left behind."""
    with engine.connect() as conn:
        relations = conn.execute(
            text(
                "SELECT n.nspname || '.' || c.relname FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') "
                "  AND n.nspname NOT LIKE 'pg_toast%' AND c.relname NOT LIKE 'alembic_version%' "
                "ORDER BY 1"
            )
        ).scalars()
        functions = conn.execute(
            text(
                "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                "WHERE n.nspname = 'public'"
            )
        ).scalars()
        schemas = conn.execute(text("SELECT nspname FROM pg_namespace WHERE nspname = 'consumer'")).scalars()
        types = conn.execute(
            text(
                "SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
                "WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd', 'r')"  # enums, domains, ranges
            )
        ).scalars()
        return [*relations, *functions, *schemas, *types]


@pytest.fixture()
def crawled_database(pg_server_url, tmp_path):
    """A migrated database holding one real crawl of the fixture site's Atom outlet."""
    url = create_scratch_database(pg_server_url)
    engine = create_engine(url)
    upgrade(engine)
    site = FixtureSite(slow_seconds=6.0).start()
    try:
        outlets = site.write_outlets_yaml(tmp_path)
        settings = Settings(database_url=url, data_dir=tmp_path)
        report = ingest(
            settings,
            outlet_names=["Demo Wire"],
            outlets_file=outlets,
            trigger="test",
            stream_logs=False,
            engine=engine,
        )
        assert report.total("stored") == 3
        yield engine
    finally:
        site.stop()
        engine.dispose()
        drop_database(pg_server_url, url)


def test_models_and_migrations_agree(fresh_engine):
    assert _differences(fresh_engine, Base.metadata) == []


def test_the_comparison_sees_a_difference(fresh_engine):
    """The agreement above means something: a table the migrations lack is reported."""
    extra = MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(extra)
    Table("not_migrated", extra, Column("id", Integer, primary_key=True))
    found = _differences(fresh_engine, extra)
    assert [d[0] for d in found] == ["add_table"] and found[0][1].name == "not_migrated"


def test_downgrade_to_base_and_back_with_data(crawled_database):
    engine = crawled_database
    with engine.connect() as conn:
        views_before = consumer_view_columns(conn)
        articles_before = conn.execute(
            text("SELECT url, content_sha256 FROM consumer.articles ORDER BY 1")
        ).all()
    assert len(articles_before) == 3 and "articles" in views_before

    # Down one step: the views go, the data stays; up again: the views read it as before.
    assert downgrade(engine, "0003") == ["0003"]
    with engine.connect() as conn:
        assert consumer_view_columns(conn) == {}
        assert conn.execute(text("SELECT count(*) FROM articles")).scalar_one() == 3
    with pytest.raises(SchemaNotCurrent, match=r"at 0003, dadkhah needs .*dadkhah db upgrade"):
        check_schema(engine)
    assert upgrade(engine) == migration_heads()
    with engine.connect() as conn:
        assert consumer_view_columns(conn) == views_before
        after = conn.execute(text("SELECT url, content_sha256 FROM consumer.articles ORDER BY 1")).all()
    assert after == articles_before

    # Down to base with data in every table the crawl filled: nothing of ours is left.
    assert downgrade(engine, "base") == []
    assert _user_relations(engine) == []
    with pytest.raises(SchemaNotCurrent, match=r"at none \(not initialised\)"):
        check_schema(engine)

    # And up again: the same schema the models describe, the same views.
    assert upgrade(engine) == migration_heads()
    assert check_schema(engine) == migration_heads()
    assert _differences(engine, Base.metadata) == []
    with engine.connect() as conn:
        assert consumer_view_columns(conn) == views_before


def test_an_unknown_revision_is_not_sent_to_upgrade(fresh_engine):
    with fresh_engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'zz99'"))
    with pytest.raises(SchemaNotCurrent, match="does not know") as caught:
        check_schema(fresh_engine)
    assert "db upgrade" not in str(caught.value)


def test_a_database_whose_views_were_applied_the_old_way_upgrades(fresh_engine):
    """Before 0004 the views were applied outside the migrations, after each upgrade: such a
    database (at 0003, views present, possibly from an older release with fewer columns and
    a reader using them) takes 0004 without losing or reordering a column."""
    with fresh_engine.connect() as conn:
        full = consumer_view_columns(conn)
    assert downgrade(fresh_engine, "0003") == ["0003"]
    with fresh_engine.begin() as conn:
        conn.execute(text("CREATE SCHEMA consumer"))
        conn.execute(
            text(
                "CREATE VIEW consumer.articles AS SELECT a.article_id, o.name AS outlet, "
                "a.canonical_url AS url FROM articles a JOIN outlets o USING (outlet_id)"
            )
        )
        conn.execute(
            text("CREATE VIEW reader_report AS SELECT outlet, count(*) FROM consumer.articles GROUP BY 1")
        )
    assert upgrade(fresh_engine) == migration_heads()
    with fresh_engine.connect() as conn:
        assert consumer_view_columns(conn) == full
        assert conn.execute(text("SELECT count(*) FROM reader_report")).scalar_one() == 0
