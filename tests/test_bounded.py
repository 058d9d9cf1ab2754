"""Bounded work: tagging linear in the text and capped, extraction off the reactor thread
with a per-page time limit, and storage or extraction failures recorded, never invisible.

Real crawls (``pipeline.ingest.ingest``) against servers on 127.0.0.x, into a real
PostgreSQL, as tests/test_crawl.py does.
"""

from __future__ import annotations

import logging
import os
import random
import re
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from sqlalchemy import create_engine, text

from pipeline.db import upgrade
from pipeline.fixture_site.render import article_html, urlset
from pipeline.ingest import ingest
from pipeline.settings import DEFAULT_TOPICS_FILE, Settings
from pipeline.tagging import tag_pending
from pipeline.tagging.matcher import Hit
from pipeline.tagging.tagger import TEXT_CAP, LexiconTagger, _unblocked, examined_length
from pipeline.tagging.taxonomy import expand_term, load_taxonomy
from spiders.extraction_pool import ENV_TIME_LIMIT, settings_from_env
from tests.pg import create_scratch_database, drop_database

OUTLET_STYLE = {"language": "en", "site_name": "Bounded Test"}
FILLER = "the a and of in on at by report said family lawyer week city officials".split()
NORMAL_TEXT = (
    "Relatives said the detainee was moved to a solitary cell in Evin prison last week after "
    "security agents searched the family home and seized phones, books and documents. A lawyer "
    "for the family said no charge had been announced and that requests for a visit were refused."
)


# --- building pages from the lexicon's own terms ----------------------------------------


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy(DEFAULT_TOPICS_FILE)


def _lexicon_terms(taxonomy, *, english_only: bool = False) -> list[str]:
    """Every expanded term of the taxonomy: topic terms, weak terms, excludes and facets;
    the gap of a gapped term is filled with two words, so its pieces line up."""
    terms: list[str] = []
    for topic in taxonomy.topics.values():
        for terms_list in (topic.terms, topic.weak_terms, topic.exclude):
            for term in terms_list.en + ([] if english_only else terms_list.fa):
                terms.extend(v.replace(" ... ", " of the ") for v in expand_term(term.term))
    for entries in taxonomy.model.facets.values():
        for entry in entries:
            for term in entry.terms.en + ([] if english_only else entry.terms.fa):
                terms.extend(expand_term(term.term))
    return terms


def _dense_text(terms: list[str], size: int, seed: int) -> str:
    """About ``size`` characters in which most words are lexicon terms (many hits)."""
    rng = random.Random(seed)
    parts: list[str] = []
    length = 0
    while length < size:
        words = [rng.choice(terms) if rng.random() < 0.7 else rng.choice(FILLER) for _ in range(12)]
        sentence = " ".join(words).capitalize() + rng.choice([". ", " ", ", ", "\n"])
        parts.append(sentence)
        length += len(sentence)
    return "".join(parts)[:size]


def _page(slug: str, title: str, paragraphs: list[str], base: str) -> bytes:
    article = {
        "slug": slug,
        "title": title,
        "author": "Test Writer",
        "published": "2025-03-01T10:00:00+00:00",
        "paragraphs": paragraphs,
    }
    html = article_html(article, OUTLET_STYLE, base, canonical=f"{base}/{slug}/")
    return html.encode("utf-8")


def _normal_page(slug: str, base: str, n: int) -> bytes:
    """A short ordinary article; ``n`` makes its text differ from the others' (no duplicate)."""
    paragraphs = [
        f"Activist number {n} of the union was seen on day {n + k}. {NORMAL_TEXT}" for k in range(4)
    ]
    return _page(slug, f"Activist {n} moved to solitary confinement", paragraphs, base)


def _big_page(slug: str, base: str, terms: list[str], size: int, seed: int) -> bytes:
    text = _dense_text(terms, size, seed)
    paragraphs = [text[i : i + 2000] for i in range(0, len(text), 2000)]
    return _page(slug, "Annual report: executions, arrests and trials", paragraphs, base)


# --- loopback servers --------------------------------------------------------------------


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # 8 connections at once and more: no connect left waiting in the backlog

    def handle_error(self, request, client_address) -> None:
        """A client that gave up on a silent page resets its connection: expected here."""


class Site:
    """A page server on one loopback address.

    ``hang`` paths never get an answer; for each such request the server notes when it came
    and when the client gave up and closed the connection (``waits``: path, start, end, in
    ``time.time()``), so the client's timeout is measured from outside the crawl.
    """

    def __init__(self, host: str) -> None:
        self.pages: dict[str, bytes] = {}
        self.hang: set[str] = set()
        self.waits: list[tuple[str, float, float]] = []
        self.stopping = threading.Event()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                return

            def do_GET(self) -> None:  # noqa: N802
                path = self.path.split("?")[0]
                if path in site.hang:
                    started = time.time()
                    self.connection.settimeout(60)
                    try:
                        while self.connection.recv(65536):  # until the client closes
                            pass
                    except OSError:
                        pass
                    site.waits.append((path, started, time.time()))
                    self.close_connection = True
                    return
                body = b"User-agent: *\nAllow: /\n" if path == "/robots.txt" else site.pages.get(path)
                status = 200 if body is not None else 404
                body = body if body is not None else b"not found"
                ctype = "application/xml" if path.endswith(".xml") else "text/html; charset=utf-8"
                if path == "/robots.txt":
                    ctype = "text/plain"
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = _QuietServer((host, 0), Handler)
        self.base = f"http://{host}:{self.server.server_address[1]}"

    def start(self) -> Site:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()

    def sitemap(self, paths: list[str]) -> None:
        self.pages["/sitemap.xml"] = urlset([(self.base + p, "2025-03-01") for p in paths]).encode()

    def outlet(self, name: str, **extra) -> dict:
        return {
            "name": name,
            "home": self.base + "/",
            "language": "en",
            "sitemaps": [self.base + "/sitemap.xml"],
            "min_delay_seconds": 0,
            "allow_private_network": True,  # served on loopback
            **extra,
        }


def _write_outlets(directory: Path, outlets: list[dict]) -> Path:
    path = directory / "outlets.yaml"
    path.write_text(yaml.safe_dump({"outlets": outlets}, allow_unicode=True), encoding="utf-8")
    return path


def _rows(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).mappings().all()


def _path(url: str) -> str:
    return "/" + url.split("/", 3)[3]


POISON_TRIGGER = """
CREATE FUNCTION test_refuse_poisoned_article() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.canonical_url LIKE '%/poisoned-story/%' THEN
        RAISE EXCEPTION 'test trigger refuses article %', NEW.canonical_url;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER test_refuse_poisoned_article BEFORE INSERT ON articles
    FOR EACH ROW EXECUTE FUNCTION test_refuse_poisoned_article();
"""

BIG_BYTES = 8_000_000  # the big article: its extraction must outlast several download timeouts, even on a quiet machine
HANG_TIMEOUT = 1.0  # the hanging outlet's download timeout, seconds


@pytest.fixture(scope="module")
def crawled(pg_server_url, tmp_path_factory, taxonomy):
    """One pass over three outlets, each on its own loopback address:

    * "Bounded Big": a 5.5 MB article dense with lexicon terms, and two normal articles;
    * "Bounded Hang": 16 pages that never answer (1 s timeout, 3 attempts each, 8 at a
      time): about 6 s of downloads timing out, while the big article is extracted;
    * "Bounded Poison": three articles, one of which a database trigger refuses to store.
    """
    tmp = tmp_path_factory.mktemp("bounded")
    url = create_scratch_database(pg_server_url)
    engine = create_engine(url)
    terms = _lexicon_terms(taxonomy, english_only=True)
    big, hang, poison = Site("127.0.0.21"), Site("127.0.0.22"), Site("127.0.0.23")
    big.pages["/big-report/"] = _big_page("big-report", big.base, terms, BIG_BYTES, seed=3)
    for n in (1, 2):
        big.pages[f"/normal-{n}/"] = _normal_page(f"normal-{n}", big.base, n)
    big.sitemap(["/big-report/", "/normal-1/", "/normal-2/"])
    hang.hang = {f"/silent-{n}/" for n in range(1, 17)}
    hang.sitemap(sorted(hang.hang))
    for n, slug in enumerate(("good-story-1", "poisoned-story", "good-story-2")):
        poison.pages[f"/{slug}/"] = _normal_page(slug, poison.base, 10 + n)
    poison.sitemap(["/good-story-1/", "/poisoned-story/", "/good-story-2/"])
    outlets = _write_outlets(
        tmp,
        [
            big.outlet("Bounded Big", max_body_bytes=20 * 1024 * 1024),
            hang.outlet("Bounded Hang", timeout_seconds=HANG_TIMEOUT),
            poison.outlet("Bounded Poison"),
        ],
    )
    settings = Settings(database_url=url, archive_dir=tmp / "archive", data_dir=tmp)
    for site in (big, hang, poison):
        site.start()
    try:
        upgrade(engine)
        with engine.begin() as conn:
            conn.execute(text(POISON_TRIGGER))
        started = time.monotonic()
        report = ingest(
            settings, outlets_file=outlets, trigger="test", stream_logs=False, engine=engine, timeout=600
        )
        crawl_seconds = time.monotonic() - started
        deadline = time.monotonic() + 10  # the server threads note the last closes
        while len(hang.waits) < 48 and time.monotonic() < deadline:
            time.sleep(0.05)
        started = time.monotonic()
        tag_counts = tag_pending(engine, DEFAULT_TOPICS_FILE)
        tag_seconds = time.monotonic() - started
        yield {
            "engine": engine,
            "report": report,
            "crawl_seconds": crawl_seconds,
            "tag_counts": tag_counts,
            "tag_seconds": tag_seconds,
            "hang_waits": list(hang.waits),
        }
    finally:
        for site in (big, hang, poison):
            site.stop()
        engine.dispose()
        drop_database(pg_server_url, url)


def _outlet_stats(engine, run_id: int) -> dict[str, dict]:
    rows = _rows(
        engine,
        "SELECT o.name, r.stats FROM outlet_runs r JOIN outlets o USING (outlet_id) WHERE r.run_id = :r",
        r=run_id,
    )
    return {row["name"]: row["stats"] for row in rows}


def test_a_5mb_article_is_stored_and_tagged_in_bounded_time(crawled):
    engine = crawled["engine"]
    rows = _rows(
        engine,
        """
        SELECT a.canonical_url, char_length(a.text) AS chars, t.topics, t.text_cap, t.text_examined,
               t.text_truncated
          FROM articles a JOIN article_taggings t USING (article_id)
          JOIN outlets o USING (outlet_id) WHERE o.name = 'Bounded Big'
        """,
    )
    by_path = {_path(r["canonical_url"]): r for r in rows}
    assert set(by_path) == {"/big-report/", "/normal-1/", "/normal-2/"}
    big = by_path["/big-report/"]
    assert big["chars"] > 5_000_000
    # Tagging read the first TEXT_CAP characters (cut before a word), and says so.
    assert big["text_cap"] == TEXT_CAP and big["text_truncated"] is True
    assert TEXT_CAP - 1000 < big["text_examined"] <= TEXT_CAP
    assert big["topics"]  # the text is dense with lexicon terms
    for path in ("/normal-1/", "/normal-2/"):
        normal = by_path[path]
        assert normal["text_truncated"] is False and normal["text_examined"] == normal["chars"]
    evidence = _rows(
        engine,
        """
        SELECT e.value FROM article_topics tp JOIN articles a USING (article_id),
               jsonb_array_elements(tp.evidence) e WHERE a.canonical_url LIKE '%/big-report/'
        """,
    )
    assert evidence and all(int(e["value"]["end"]) <= big["text_examined"] for e in evidence)
    facets = _rows(
        engine,
        'SELECT max("end") AS last FROM article_facets f JOIN articles a USING (article_id)'
        " WHERE a.canonical_url LIKE '%/big-report/'",
    )
    assert facets[0]["last"] is not None and facets[0]["last"] <= big["text_examined"]
    # Bounded: before this work tagging this article did not finish at all (quadratic).
    assert crawled["tag_counts"]["tagged"] == crawled["tag_counts"]["examined"] == 5  # 3 + 2 stored
    assert crawled["tag_seconds"] < 60, crawled["tag_seconds"]
    # A second run has nothing to do (the capped tagging is current, not pending again).
    again = tag_pending(engine, DEFAULT_TOPICS_FILE)
    assert again["examined"] == 0


def test_download_timeouts_hold_while_a_page_is_extracted(crawled):
    engine = crawled["engine"]
    run_id = crawled["report"].run_id
    big = _rows(
        engine,
        """
        SELECT f.fetched_at AS downloaded, a.first_seen_at AS stored
          FROM fetches f JOIN articles a ON a.first_fetch_id = f.fetch_id
         WHERE f.run_id = :r AND f.requested_url LIKE '%/big-report/'
        """,
        r=run_id,
    )[0]
    extraction = (big["downloaded"].timestamp(), big["stored"].timestamp())
    # Extracting and storing the 5 MB article took seconds: time for downloads to time out.
    assert extraction[1] - extraction[0] > 1.5, extraction
    outcomes = _rows(
        engine,
        """
        SELECT f.outcome, count(*) AS n FROM fetches f JOIN outlets o USING (outlet_id)
         WHERE f.run_id = :r AND o.name = 'Bounded Hang' AND f.kind = 'article' GROUP BY 1
        """,
        r=run_id,
    )
    assert {r["outcome"]: r["n"] for r in outcomes} == {"retried": 32, "timeout": 16}
    # Seen from the server: how long each attempt waited before the client gave up. A
    # reactor busy with the big article would give up only when it was done.
    waits = crawled["hang_waits"]
    assert len(waits) >= 40  # a request a loaded server had not read yet when it was dropped is not seen
    longest = max(end - start for _, start, end in waits)
    assert longest < HANG_TIMEOUT + 1.5, longest
    # Some attempts were given up (on time, as above) while the big article was being
    # extracted and stored: the reactor kept its timers meanwhile.
    during = [w for w in waits if extraction[0] <= w[2] <= extraction[1]]
    assert during, (extraction, waits)


def test_a_storage_failure_is_recorded_counted_and_the_crawl_goes_on(crawled):
    engine = crawled["engine"]
    run_id = crawled["report"].run_id
    rows = _rows(
        engine,
        """
        SELECT f.requested_url, f.outcome, f.error FROM fetches f JOIN outlets o USING (outlet_id)
         WHERE f.run_id = :r AND o.name = 'Bounded Poison' AND f.kind = 'article'
        """,
        r=run_id,
    )
    by_path = {_path(r["requested_url"]): r for r in rows}
    assert by_path["/poisoned-story/"]["outcome"] == "store_error"
    assert "test trigger refuses article" in by_path["/poisoned-story/"]["error"]
    assert by_path["/good-story-1/"]["outcome"] == by_path["/good-story-2/"]["outcome"] == "stored"
    stored = {_path(r["url"]) for r in _rows(engine, "SELECT url FROM consumer.articles")}
    assert {"/good-story-1/", "/good-story-2/"} <= stored and "/poisoned-story/" not in stored
    stats = _outlet_stats(engine, run_id)["Bounded Poison"]
    assert stats["failures"] == {"store_error": 1} and stats["stored"] == 2
    assert "test trigger refuses article" in stats["failure_examples"]["store_error"]
    assert crawled["report"].outlets["Bounded Poison"]["status"] == "finished"


def test_a_changed_cap_retags_only_the_articles_it_affects(crawled):
    """Run last on this crawl: it changes the cap, then puts the default back."""
    engine = crawled["engine"]
    counts = tag_pending(engine, DEFAULT_TOPICS_FILE, text_cap=100_000)
    assert counts["examined"] == counts["tagged"] == 1  # only the 5 MB article was cut
    row = _rows(
        engine,
        "SELECT t.text_cap, t.text_examined, t.text_truncated FROM article_taggings t"
        " JOIN articles a USING (article_id) WHERE a.canonical_url LIKE '%/big-report/'",
    )[0]
    assert row["text_cap"] == 100_000 and row["text_truncated"] and row["text_examined"] <= 100_000
    assert tag_pending(engine, DEFAULT_TOPICS_FILE, text_cap=100_000)["examined"] == 0
    assert tag_pending(engine, DEFAULT_TOPICS_FILE)["tagged"] == 1


# --- the per-page extraction time limit ----------------------------------------------------


def _slow_to_extract_page(slug: str, base: str, blocks: int) -> bytes:
    """An article of many small blocks: trafilatura's work on it grows faster than its size
    (1.2 MB costs about 6 s of CPU, 3.6 MB about 100 s)."""
    body = "".join(
        f"<div><span>Detainee {i}</span> was <b>moved</b> to a cell today</div>" for i in range(blocks)
    )
    html = (
        f"<!DOCTYPE html><html><head><title>Slow report</title>"
        f'<link rel="canonical" href="{base}/{slug}/"></head>'
        f"<body><article><h1>Slow report</h1>{body}</article></body></html>"
    )
    return html.encode("utf-8")


LIMIT = 1.5  # seconds: far above a normal page (~0.05 s), far below the slow one


def test_a_page_over_the_extraction_time_limit_is_recorded_and_the_rest_stored(
    pg_server_url, tmp_path, monkeypatch
):
    url = create_scratch_database(pg_server_url)
    engine = create_engine(url)
    site = Site("127.0.0.24")
    site.pages["/slow-report/"] = _slow_to_extract_page("slow-report", site.base, 20_000)
    paths = ["/slow-report/"] + [f"/fine-{n}/" for n in range(1, 5)]
    for n in range(1, 5):
        site.pages[f"/fine-{n}/"] = _normal_page(f"fine-{n}", site.base, 20 + n)
    site.sitemap(paths)
    outlets = _write_outlets(tmp_path, [site.outlet("Bounded Slow")])
    monkeypatch.setenv(ENV_TIME_LIMIT, str(LIMIT))  # the crawl process inherits it
    settings = Settings(database_url=url, archive_dir=tmp_path / "archive", data_dir=tmp_path)
    site.start()
    try:
        upgrade(engine)
        report = ingest(
            settings, outlets_file=outlets, trigger="test", stream_logs=False, engine=engine, timeout=300
        )
        rows = _rows(
            engine,
            "SELECT requested_url, outcome, error FROM fetches WHERE run_id = :r AND kind = 'article'",
            r=report.run_id,
        )
        by_path = {_path(r["requested_url"]): r for r in rows}
        slow = by_path["/slow-report/"]
        assert slow["outcome"] == "extract_error"
        assert "ExtractionTimeout" in slow["error"] and f"time limit of {LIMIT:g} s" in slow["error"]
        for n in range(1, 5):
            assert by_path[f"/fine-{n}/"]["outcome"] == "stored", by_path[f"/fine-{n}/"]
        outlet = report.outlets["Bounded Slow"]
        assert outlet["status"] == "finished" and outlet["stored"] == 4
        assert outlet["failures"] == {"extract_error": 1}
        assert "time limit" in outlet["failure_examples"]["extract_error"]
        stored = {_path(r["url"]) for r in _rows(engine, "SELECT url FROM consumer.articles")}
        assert stored == {f"/fine-{n}/" for n in range(1, 5)}
    finally:
        site.stop()
        engine.dispose()
        drop_database(pg_server_url, url)


def _workers_started(caplog) -> list[int]:
    """Worker processes each crawl's extraction pool started, from its closing line."""
    found = []
    for record in caplog.records:
        match = re.search(r"extraction: (\d+) page\(s\) in (\d+) worker process", record.getMessage())
        if match:
            found.append(int(match.group(2)))
    return found


def test_a_pass_of_usual_pages_runs_on_one_extraction_worker(pg_server_url, tmp_path, caplog):
    """Three outlets' pages wait for the one worker on a loaded machine, none is slow to
    extract: no spare starts (it would cost its start-up and add no throughput)."""
    caplog.set_level(logging.INFO, logger="dadkhah.crawl")
    url = create_scratch_database(pg_server_url)
    engine = create_engine(url)
    sites = [Site(f"127.0.0.{host}") for host in (26, 27, 28)]
    for number, site in enumerate(sites):
        paths = [f"/usual-{n}/" for n in range(6)]
        for n, path in enumerate(paths):
            site.pages[path] = _normal_page(f"usual-{n}", site.base, 100 * number + n)
        site.sitemap(paths)
    outlets = _write_outlets(tmp_path, [site.outlet(f"Usual {n}") for n, site in enumerate(sites)])
    settings = Settings(database_url=url, archive_dir=tmp_path / "archive", data_dir=tmp_path)
    for site in sites:
        site.start()
    try:
        upgrade(engine)
        report = ingest(
            settings, outlets_file=outlets, trigger="test", stream_logs=False, engine=engine, timeout=300
        )
        assert report.status == "finished" and report.total("stored") == 18
        assert _workers_started(caplog) == [1]
    finally:
        for site in sites:
            site.stop()
        engine.dispose()
        drop_database(pg_server_url, url)


def test_a_page_slow_to_extract_gets_a_spare_worker_beside_it(pg_server_url, tmp_path, caplog):
    """Another outlet's usual pages, arriving while one page costs seconds of CPU, do not
    wait for it: a spare worker starts and stores them meanwhile."""
    caplog.set_level(logging.INFO, logger="dadkhah.crawl")
    url = create_scratch_database(pg_server_url)
    engine = create_engine(url)
    slow_site, fine_site = Site("127.0.0.29"), Site("127.0.0.30")
    slow_site.pages["/slow-report/"] = _slow_to_extract_page("slow-report", slow_site.base, 20_000)
    slow_site.sitemap(["/slow-report/"])
    paths = [f"/fine-{n}/" for n in range(1, 7)]
    for n, path in enumerate(paths, 1):
        fine_site.pages[path] = _normal_page(f"fine-{n}", fine_site.base, 40 + n)
    fine_site.sitemap(paths)
    outlets = _write_outlets(
        tmp_path,
        # About a second apart: they keep arriving while the slow page is extracted.
        [slow_site.outlet("Bounded Spare Slow"), fine_site.outlet("Bounded Spare Fine", min_delay_seconds=1)],
    )
    settings = Settings(database_url=url, archive_dir=tmp_path / "archive", data_dir=tmp_path)
    slow_site.start()
    fine_site.start()
    try:
        upgrade(engine)
        report = ingest(
            settings, outlets_file=outlets, trigger="test", stream_logs=False, engine=engine, timeout=300
        )
        assert _workers_started(caplog) == [2]
        rows = _rows(
            engine,
            """
            SELECT f.requested_url, f.outcome, f.fetched_at, a.first_seen_at
              FROM fetches f LEFT JOIN articles a ON a.first_fetch_id = f.fetch_id
             WHERE f.run_id = :r AND f.kind = 'article'
            """,
            r=report.run_id,
        )
        by_path = {_path(r["requested_url"]): r for r in rows}
        fine = [by_path[path] for path in paths]
        assert all(r["outcome"] == "stored" for r in fine), fine
        slow = by_path["/slow-report/"]
        if slow["first_seen_at"] is not None:  # stored: some fine page was stored meanwhile
            assert any(slow["fetched_at"] < r["first_seen_at"] < slow["first_seen_at"] for r in fine), rows
    finally:
        slow_site.stop()
        fine_site.stop()
        engine.dispose()
        drop_database(pg_server_url, url)


def test_extraction_settings_are_checked():
    assert settings_from_env({}) == (30.0, 2)
    assert settings_from_env({ENV_TIME_LIMIT: "2.5", "DADKHAH_EXTRACT_WORKERS": "3"}) == (2.5, 3)
    for bad in ({ENV_TIME_LIMIT: "soon"}, {ENV_TIME_LIMIT: "0"}, {"DADKHAH_EXTRACT_WORKERS": "0"}):
        with pytest.raises(ValueError, match="DADKHAH_EXTRACT"):
            settings_from_env(bad)


# --- tagging: linear, capped, and the same results ------------------------------------------


def test_tagging_time_grows_linearly_with_the_text(taxonomy):
    """Before this work tagging was quadratic in term hits: 100 KB of such text cost 18 s."""
    tagger = LexiconTagger(taxonomy, text_cap=None)  # the algorithm itself, uncapped
    terms = _lexicon_terms(taxonomy)
    cpu = {}
    for size in (1_000_000, 5_000_000):
        text = _dense_text(terms, size, seed=size)
        started = time.process_time()
        result = tagger.tag("title", text)
        cpu[size] = time.process_time() - started
        assert result.text_examined == len(text) and not result.text_truncated
        assert len(result.facets) > size // 1000  # many hits: the case that was quadratic
    ratio = cpu[5_000_000] / cpu[1_000_000]
    assert ratio < 10, cpu  # linear: about 5; quadratic: 25
    assert cpu[5_000_000] < 120, cpu
    # With the default cap, a 5 MB text costs what its first TEXT_CAP characters cost.
    started = time.process_time()
    capped = LexiconTagger(taxonomy).tag("title", text)
    assert time.process_time() - started < cpu[5_000_000] / 4
    assert capped.text_truncated and capped.text_cap == TEXT_CAP


def test_the_cap_cuts_before_a_word(taxonomy):
    tagger = LexiconTagger(taxonomy, text_cap=50)
    text = "x " * 18 + "Prisoners executed at dawn in Ghezel Hesar prison."  # "executed": 46 to 54
    assert examined_length(text, 50) == text.index("executed")
    result = tagger.tag("", text)
    assert result.text_truncated and result.text_examined == text.index("executed")
    assert all(f.end <= result.text_examined for f in result.facets)
    whole = tagger.tag("", "Prisoner executed.")
    assert not whole.text_truncated and whole.text_examined == len("Prisoner executed.")
    assert examined_length("a" * 5000, 50) == 50  # one endless word: cut at the cap
    with pytest.raises(ValueError):
        LexiconTagger(taxonomy, text_cap=0)


def _pairwise_inside(inner: Hit, outer: Hit) -> bool:
    return any(start <= inner.start and inner.end <= end for start, end in outer.spans)


def _pairwise_unblocked(hits: list[Hit]) -> list[Hit]:
    """The blocking rules as first written: every hit compared with every other one."""
    kept, seen = [], set()
    for hit in sorted(hits, key=lambda h: -h.entry.payload.weight):
        key = hit.entry.payload
        if key.kind == "exclude":
            continue
        blocked = any(
            (o.entry.payload.slug == key.slug and _pairwise_inside(hit, o))
            if o.entry.payload.kind == "exclude"
            else ((o.end - o.start) > (hit.end - hit.start) and _pairwise_inside(hit, o))
            for o in hits
        )
        ident = (key.slug, hit.start, hit.end)
        if not blocked and ident not in seen:
            seen.add(ident)
            kept.append(hit)
    return kept


def test_linear_blocking_keeps_the_pairwise_results(taxonomy):
    tagger = LexiconTagger(taxonomy)
    terms = _lexicon_terms(taxonomy)
    gapped = exclude = 0
    for seed in range(60):
        text = _dense_text(terms, 3000, seed)
        hits = tagger.topics.find(text)
        gapped += sum(1 for h in hits if h.parts)
        exclude += sum(1 for h in hits if h.entry.payload.kind == "exclude")
        assert _unblocked(hits) == _pairwise_unblocked(hits), seed
        facet_hits = tagger.facets.find(text)
        expected = {
            (h.entry.payload.facet, h.entry.payload.value, h.start, h.end)
            for h in facet_hits
            if not any(
                o.entry.payload.facet == h.entry.payload.facet
                and (o.end - o.start) > (h.end - h.start)
                and _pairwise_inside(h, o)
                for o in facet_hits
            )
        }
        assert {(f.facet, f.value, f.start, f.end) for f in tagger.find_facets(text)} == expected
    assert gapped > 0 and exclude > 0  # the texts exercised gapped terms and excludes


def _descendants(pid: int) -> list[int]:
    """Processes under ``pid`` (Linux /proc), children first."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        children = [p for p, pp in parents.items() if pp == parent]
        found.extend(children)
        frontier.extend(children)
    return found


def _extraction_workers() -> list[int]:
    pids = []
    for pid in _descendants(os.getpid()):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spiders.extraction_worker" in cmdline:
            pids.append(pid)
    return pids


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds the worker through /proc")
def test_a_worker_that_dies_is_an_extract_error_and_the_crawl_goes_on(pg_server_url, tmp_path):
    """The worker extracting a slow page is killed from outside (as the OOM killer would)."""
    url = create_scratch_database(pg_server_url)
    engine = create_engine(url)
    site = Site("127.0.0.25")
    site.pages["/slow-report/"] = _slow_to_extract_page("slow-report", site.base, 20_000)
    for n in range(1, 4):
        site.pages[f"/fine-{n}/"] = _normal_page(f"fine-{n}", site.base, 30 + n)
    site.sitemap(["/slow-report/", "/fine-1/", "/fine-2/", "/fine-3/"])
    outlets = _write_outlets(tmp_path, [site.outlet("Bounded Killed")])
    settings = Settings(database_url=url, archive_dir=tmp_path / "archive", data_dir=tmp_path)
    killed: list[int] = []
    stop = threading.Event()

    def kill_the_busy_worker() -> None:
        """Kill the first worker seen busy (CPU time growing) for a second."""
        seen: dict[int, float] = {}
        while not stop.is_set() and not killed:
            for pid in _extraction_workers():
                try:
                    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
                if cpu - seen.setdefault(pid, cpu) > 1.0:
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                    break
            stop.wait(0.1)

    site.start()
    killer = threading.Thread(target=kill_the_busy_worker, daemon=True)
    try:
        upgrade(engine)
        killer.start()
        report = ingest(
            settings, outlets_file=outlets, trigger="test", stream_logs=False, engine=engine, timeout=300
        )
        stop.set()
        killer.join()
        assert killed, "no worker was seen busy"
        rows = _rows(
            engine,
            "SELECT requested_url, outcome, error FROM fetches WHERE run_id = :r AND kind = 'article'",
            r=report.run_id,
        )
        by_path = {_path(r["requested_url"]): r for r in rows}
        slow = by_path["/slow-report/"]
        assert slow["outcome"] == "extract_error" and "worker died" in slow["error"], slow
        assert all(by_path[f"/fine-{n}/"]["outcome"] == "stored" for n in range(1, 4)), by_path
        assert report.outlets["Bounded Killed"]["failures"] == {"extract_error": 1}
    finally:
        stop.set()
        site.stop()
        engine.dispose()
        drop_database(pg_server_url, url)
