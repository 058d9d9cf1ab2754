"""Replay end to end: the fixture site crawled into a scratch database and archive, the site
stopped, pywb started on a free loopback port, and headless Chromium shown each capture.

The replay server runs from its own environment (requirements/replay.txt), created on first
use at the default place (``.venv-replay``) and reused afterwards.
"""

from __future__ import annotations

import json
import re
import socket
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from pipeline.archive import read_response_decoded
from pipeline.db import upgrade
from pipeline.fixture_site import FixtureSite
from pipeline.ingest import ingest
from pipeline.replay import server
from pipeline.replay.index import archive_files, index_dir, rebuild_index, update_index
from pipeline.replay.urls import record_base_url, replay_url
from pipeline.settings import Settings
from tests.pg import create_scratch_database, drop_database

CHROMIUM = Path("/usr/bin/chromium")
OUTLETS = ["Demo Wire", "Demo Persian News"]
VIEWPORT = {"width": 1000, "height": 900}
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"no browser: Debian's chromium is not installed at {CHROMIUM} (apt-get install chromium)",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _rows(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).mappings().all()


def _words(value: str) -> str:
    return re.sub(r"\s+", " ", value).strip()


def _visible_text(page_or_frame) -> str:
    return _words(page_or_frame.evaluate("() => document.body.innerText"))


def _pixel_differences(a: Path, b: Path) -> tuple[int, int]:
    """(pixels that differ, the largest difference in any channel), the first row aside.

    pywb's frame starts at a fractional offset under its banner, so an element screenshot's
    first row may hold the banner's edge."""
    from PIL import Image, ImageChops

    with Image.open(a) as left, Image.open(b) as right:
        assert left.size == right.size, (left.size, right.size)
        width, height = left.size
        box = (0, 1, width, height)
        diff = ImageChops.difference(left.convert("RGB").crop(box), right.convert("RGB").crop(box))
    levels = [max(pixel) for pixel in diff.get_flattened_data()]
    return sum(1 for level in levels if level), max(levels)


def _only_documents(route) -> None:
    """The crawler keeps each page's HTML, not its images or scripts: the live page is shown
    the same way, so the comparison is of what the archive holds."""
    if route.request.resource_type == "document":
        route.continue_()
    else:
        route.abort()


def _live_views(urls: list[str], shots: Path) -> dict[str, dict]:
    """The live pages in Chromium, as captured: text and a screenshot of each."""
    from playwright.sync_api import sync_playwright

    views = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        page = browser.new_page(viewport=VIEWPORT)
        page.route("**/*", _only_documents)
        for number, url in enumerate(urls):
            page.goto(url, wait_until="load")
            shot = shots / f"live-{number}.png"
            page.screenshot(path=str(shot))
            views[url] = {"text": _visible_text(page), "shot": shot}
        browser.close()
    return views


@pytest.fixture(scope="module")
def replayed(pg_server_url, tmp_path_factory):
    """Two passes (an article published between them), the site stopped, pywb serving."""
    tmp = tmp_path_factory.mktemp("replay")
    url = create_scratch_database(pg_server_url)
    engine = create_engine(url)
    upgrade(engine)
    settings = Settings(database_url=url, archive_dir=tmp / "archive", data_dir=tmp)
    site = FixtureSite(slow_seconds=1.0).start()
    process = None
    try:
        outlets = site.write_outlets_yaml(tmp)
        passes = [
            ingest(settings, outlet_names=OUTLETS, outlets_file=outlets, trigger="test", stream_logs=False)
        ]
        site.site("Demo Wire").publish(1)
        passes.append(
            ingest(settings, outlet_names=OUTLETS, outlets_file=outlets, trigger="test", stream_logs=False)
        )
        live = _live_views([a["final_url"] for a in _articles(engine)], tmp) if CHROMIUM.exists() else {}
        site.stop()  # from here on, only the archive can answer
        port = _free_port()
        process = server.start(settings, port=port, quiet=True)
        server.wait_until_serving(process, "127.0.0.1", port)
        base = f"http://127.0.0.1:{port}"
        record_base_url(engine, base)
        articles = _articles(engine)
        yield {
            "engine": engine,
            "settings": settings,
            "passes": passes,
            "articles": articles,
            "base": base,
            "live": live,
            "tmp": tmp,
        }
    finally:
        site.stop()
        if process is not None:
            process.terminate()
            process.wait(timeout=30)
        engine.dispose()
        drop_database(pg_server_url, url)


def _articles(engine):
    return _rows(
        engine,
        "SELECT a.article_id, a.url, a.title, a.text, a.outlet, s.final_url, s.fetched_at, s.warc_file, "
        "s.warc_offset, s.replay_url FROM consumer.articles a "
        "JOIN consumer.article_sources s ON s.article_id = a.article_id ORDER BY a.article_id",
    )


def _index_lines(replay_dir: Path) -> list[str]:
    lines = []
    for path in sorted(index_dir(replay_dir).glob("*.cdxj")):
        lines.extend(path.read_text(encoding="utf-8").splitlines())
    return lines


def _located(lines: list[str]) -> set[tuple[str, int]]:
    return {(j["filename"], int(j["offset"])) for j in (json.loads(line.split(" ", 2)[2]) for line in lines)}


def test_ingestion_indexes_every_archived_response(replayed):
    """Each fetch with a WARC record is in the index after the pass, and nothing else is."""
    settings = replayed["settings"]
    assert all(p.status == "finished" for p in replayed["passes"])
    fetched = {
        (r["warc_file"], r["warc_offset"])
        for r in _rows(
            replayed["engine"],
            "SELECT warc_file, warc_offset FROM consumer.fetches WHERE warc_file IS NOT NULL",
        )
    }
    lines = _index_lines(settings.replay_dir)
    assert len(fetched) >= 8 and len(lines) == len(fetched)
    assert _located(lines) == fetched
    state = json.loads((settings.replay_dir / "indexed.json").read_text())["files"]
    assert sorted(state) == archive_files(settings.archive_dir)
    # Nothing new: an update adds nothing.
    again = update_index(settings.archive_dir, settings.replay_dir)
    assert again.records == 0 and not again.problems


def test_rebuild_gives_the_same_index(replayed, tmp_path):
    settings = replayed["settings"]
    incremental = sorted(_index_lines(settings.replay_dir))
    report = rebuild_index(settings.archive_dir, tmp_path)
    assert not report.problems and not report.busy
    assert sorted(_index_lines(tmp_path)) == incremental
    assert len(list(index_dir(tmp_path).glob("*.cdxj"))) == 1  # merged into one file


def test_consumer_view_has_each_captures_replay_url(replayed):
    engine = replayed["engine"]
    cols = list(_rows(engine, "SELECT * FROM consumer.article_sources LIMIT 1")[0].keys())
    assert cols[-1] == "replay_url"
    for article in replayed["articles"]:
        assert article["replay_url"] == replay_url(
            replayed["base"], article["fetched_at"], article["final_url"]
        )


def test_raw_replay_returns_the_archived_bytes(replayed):
    """pywb's id_ mode gives the capture without rewriting: the WARC record's body."""
    settings = replayed["settings"]
    for article in replayed["articles"]:
        raw = article["replay_url"].replace(
            f"/{server.COLLECTION}/{article['fetched_at']:%Y%m%d%H%M%S}/",
            f"/{server.COLLECTION}/{article['fetched_at']:%Y%m%d%H%M%S}id_/",
        )
        with urllib.request.urlopen(raw, timeout=30) as response:
            body = response.read()
        _headers, archived = read_response_decoded(
            settings.archive_dir, article["warc_file"], article["warc_offset"]
        )
        assert body == archived, article["url"]


def test_each_capture_of_a_url_replays_as_it_was(replayed):
    """The Wire's feed, fetched in both passes with an article added between them: each
    capture's replay URL shows that capture's own content."""
    engine, settings = replayed["engine"], replayed["settings"]
    feeds = _rows(
        engine,
        "SELECT f.fetched_at, f.final_url, f.warc_file, f.warc_offset FROM consumer.fetches f "
        "WHERE f.url LIKE '%/atom.xml' AND f.warc_file IS NOT NULL AND f.http_status = 200 ORDER BY f.fetched_at",
    )
    assert len(feeds) == 2
    stamps = [f"{row['fetched_at']:%Y%m%d%H%M%S}" for row in feeds]
    assert stamps[0] != stamps[1]  # precondition: the passes are seconds apart
    bodies = []
    for row, stamp in zip(feeds, stamps, strict=True):
        url = f"{replayed['base']}/{server.COLLECTION}/{stamp}id_/{row['final_url']}"
        with urllib.request.urlopen(url, timeout=30) as response:
            bodies.append(response.read())
        assert (
            bodies[-1] == read_response_decoded(settings.archive_dir, row["warc_file"], row["warc_offset"])[1]
        )
    assert bodies[0] != bodies[1]
    # pywb's own list of captures (its CDX API) knows both.
    query = f"{replayed['base']}/{server.COLLECTION}/cdx?output=json&url={feeds[0]['final_url']}"
    with urllib.request.urlopen(query, timeout=30) as response:
        listed = [json.loads(line)["timestamp"] for line in response.read().decode().splitlines()]
    assert listed == stamps


@needs_chromium
def test_chromium_shows_each_article_as_captured(replayed):
    """The replay URL of every stored article, in headless Chromium: inside pywb's frame the
    page's text is the live page's text, and the frame looks the same, pixel for pixel, as
    the live page did when it was captured (at the same size)."""
    from playwright.sync_api import sync_playwright

    live, tmp = replayed["live"], replayed["tmp"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        page = browser.new_page(viewport=VIEWPORT)
        for number, article in enumerate(replayed["articles"]):
            page.goto(article["replay_url"], wait_until="load")
            frame = page.frame_locator("#replay_iframe").locator("body")
            frame.wait_for(timeout=30_000)
            framed_text = _words(frame.inner_text())
            expected = live[article["final_url"]]["text"]
            assert framed_text == expected, article["url"]
            assert _words(article["title"]) in framed_text
            assert _words(article["text"])[:200] in framed_text
            page.screenshot(path=str(tmp / f"replay-framed-{number}.png"))
            # The capture's own view (pywb's frame) at the live page's size, pixel for pixel.
            box = page.locator("#replay_iframe").bounding_box()
            if (box["width"], box["height"]) != (VIEWPORT["width"], VIEWPORT["height"]):
                page.set_viewport_size(
                    {
                        "width": page.viewport_size["width"] + VIEWPORT["width"] - round(box["width"]),
                        "height": page.viewport_size["height"] + VIEWPORT["height"] - round(box["height"]),
                    }
                )
                page.goto(article["replay_url"], wait_until="load")
                page.frame_locator("#replay_iframe").locator("body").wait_for(timeout=30_000)
            shot = tmp / f"replay-{number}.png"
            page.locator("#replay_iframe").screenshot(path=str(shot))
            # The same to the pixel but for antialiasing: a missing word or image changes
            # hundreds of pixels by far more than 32 of 255 levels.
            pixels, level = _pixel_differences(live[article["final_url"]]["shot"], shot)
            area = VIEWPORT["width"] * VIEWPORT["height"]
            assert pixels <= area // 1000 and level <= 32, (
                f"{article['url']}: the replayed page does not look like the captured one "
                f"({pixels} pixels differ, by up to {level} levels: {shot})"
            )
        browser.close()
    print(f"replay screenshots in {tmp}")


def test_the_replay_command_serves_records_its_url_and_stops_on_sigterm(replayed):
    """`dadkhah replay --port N` as a user runs it: the index brought up to date, the base URL
    in the consumer view, the archive served, and SIGTERM stopping pywb with it (exit 130)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    settings, engine = replayed["settings"], replayed["engine"]
    port = _free_port()
    public = f"http://replay.example.org:{port}"
    env = {
        **os.environ,
        "DADKHAH_DATABASE_URL": settings.database_url,
        "DADKHAH_DATA_DIR": str(settings.data_dir),
        "DADKHAH_ARCHIVE_DIR": str(settings.archive_dir),
        "DADKHAH_REPLAY_URL": public + "/",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "replay", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                assert process.poll() is None, process.communicate()
                time.sleep(0.2)
        article = replayed["articles"][0]
        urls = {r["replay_url"] for r in _rows(engine, "SELECT replay_url FROM consumer.article_sources")}
        expected = replay_url(public, article["fetched_at"], article["final_url"])
        assert expected in urls
        local = expected.replace(public, f"http://127.0.0.1:{port}")
        with urllib.request.urlopen(
            local.replace(
                f"{article['fetched_at']:%Y%m%d%H%M%S}/", f"{article['fetched_at']:%Y%m%d%H%M%S}id_/"
            ),
            timeout=30,
        ) as response:
            assert (
                response.read()
                == read_response_decoded(settings.archive_dir, article["warc_file"], article["warc_offset"])[
                    1
                ]
            )
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=30)
        assert process.returncode == 130, err
        assert "replay index updated" in err and "error: interrupted" in err and "Traceback" not in err
        with pytest.raises(OSError):  # pywb went with it
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
        record_base_url(engine, replayed["base"])


@needs_chromium
def test_a_bundle_replays_in_plain_pywb_without_dadkhah(replayed):
    """What a third party does with an evidence bundle: pywb's own tools (no dadkhah code)
    unpack the WACZ into a collection and replay it; Chromium shows the captured page."""
    import os
    import subprocess

    from playwright.sync_api import sync_playwright

    from pipeline.evidence.bundle import write_bundle

    settings, tmp = replayed["settings"], replayed["tmp"]
    article = replayed["articles"][0]
    bundle = tmp / "third-party" / f"article-{article['article_id']}.wacz"
    bundle.parent.mkdir()
    write_bundle(replayed["engine"], settings.archive_dir, settings.data_dir, article["article_id"], bundle)
    tools = server.ensure_env(settings.replay_env).parent
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PYWB"))}
    for command in (
        ["wb-manager", "init", "evidence"],
        ["wb-manager", "add", "--unpack-wacz", "evidence", bundle.name],
    ):
        done = subprocess.run(
            [str(tools / command[0]), *command[1:]],
            cwd=bundle.parent,
            env=env,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
    port = _free_port()
    pywb = subprocess.Popen(
        [str(tools / "wayback"), "-b", "127.0.0.1", "-p", str(port)],
        cwd=bundle.parent,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        server.wait_until_serving(pywb, "127.0.0.1", port)
        url = f"http://127.0.0.1:{port}/evidence/{article['fetched_at']:%Y%m%d%H%M%S}/{article['final_url']}"
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True)
            page = browser.new_page(viewport=VIEWPORT)
            page.goto(url, wait_until="load")
            frame = page.frame_locator("#replay_iframe").locator("body")
            frame.wait_for(timeout=30_000)
            assert _words(frame.inner_text()) == replayed["live"][article["final_url"]]["text"]
            page.screenshot(path=str(tmp / "third-party.png"))
            browser.close()
    finally:
        pywb.terminate()
        pywb.wait(timeout=30)
