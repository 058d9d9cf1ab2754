"""robots.txt binds every request, also those queued while it was being fetched (spiders.robots).

A real pass over a loopback outlet with several feeds, all requested at the start: Scrapy's
own middleware let every waiting request but the first through unchecked.
"""

from __future__ import annotations

from sqlalchemy import create_engine, text

from pipeline.db import upgrade
from pipeline.ingest import ingest
from pipeline.settings import Settings
from tests.loopback import LoopbackSite, Page, feed, outlets_yaml
from tests.pg import create_scratch_database, drop_database


def test_every_request_waiting_for_robots_txt_is_checked(pg_server_url, tmp_path):
    url = create_scratch_database(pg_server_url)
    engine = create_engine(url)
    upgrade(engine)
    site = LoopbackSite().start()
    try:
        site.routes["/robots.txt"] = Page(b"User-agent: *\nDisallow: /private/\n", content_type="text/plain")
        feeds = [f"/feed{i}" for i in range(3)] + [f"/private/feed{i}" for i in range(5)]
        for path in feeds:
            site.routes[path] = Page(feed(site.base, []), content_type="application/rss+xml")
        outlets = outlets_yaml(
            tmp_path,
            [{"name": "Many feeds", "home": site.base + "/", "feeds": [site.base + p for p in feeds]}],
        )
        settings = Settings(database_url=url, archive_dir=tmp_path / "archive", data_dir=tmp_path / "data")
        ingest(settings, outlets_file=outlets, trigger="test", stream_logs=False, engine=engine)
        with engine.connect() as conn:
            outcomes = dict(
                conn.execute(text("SELECT requested_url, outcome FROM fetches WHERE kind = 'feed'")).all()
            )
    finally:
        site.stop()
        engine.dispose()
        drop_database(pg_server_url, url)
    assert site.hits("/private/") == 0
    assert {p: outcomes[site.base + p] for p in feeds} == {
        p: "robots" if p.startswith("/private/") else "parsed" for p in feeds
    }
