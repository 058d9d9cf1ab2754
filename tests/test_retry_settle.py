"""Retry before settling, bot walls, binary bodies and one decoding path, against real crawls.

A loopback site changes its answers between passes (a challenge page that becomes the
article, a maintenance page that becomes HTML); real spiders crawl it into a real
PostgreSQL. Back-off is tested by moving the ``fetched_at`` of earlier fetch rows into the
past, as the passing of time would.
"""

from __future__ import annotations

import hashlib
import random
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from sqlalchemy import create_engine, text

from pipeline.archive import read_response, read_response_decoded
from pipeline.challenge import recognise_wall
from pipeline.db import upgrade
from pipeline.extraction.cli import extract_file
from pipeline.extraction.decode import BinaryContent, decode_html, decode_text
from pipeline.ingest import ingest
from pipeline.reprocess import reprocess
from pipeline.retry import RetryPolicy, UrlHistory, decide
from pipeline.settings import Settings
from pipeline.storage import _KNOWN_URLS, FetchRecord, known_url_reasons, record_fetch, upsert_outlet
from tests.pg import create_scratch_database, drop_database

OUTLET = "Hostile Monitor"
SUBJECTS = (
    "a teacher detained in Sanandaj",
    "a labour activist sentenced in Tehran",
    "a journalist summoned in Rasht",
    "a student expelled in Mashhad",
    "a lawyer arrested in Tabriz",
    "a poet banned from travel in Shiraz",
)


def _english(subject: str) -> str:
    return _page(f"Report on {subject}", _paragraphs(subject), lang="en")


def _paragraphs(subject: str) -> str:
    return "".join(
        f"<p>{s}</p>"
        for s in (
            f"Rights monitors reported the case of {subject} on Monday, citing relatives and two "
            f"former cellmates who spoke on condition of anonymity about the file.",
            f"According to the family, {subject} was held without access to a lawyer for eleven "
            "days, and officials refused to say which authority had ordered the detention.",
            "The monitors called on the judiciary to publish the charges, to allow independent "
            "counsel and to end the practice of holding detainees incommunicado during questioning.",
        )
    )


def _page(title: str, paragraphs: str, *, lang: str, charset: str = "utf-8", extra: str = "") -> str:
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="{charset}"><title>{title}</title>'
        '<meta property="article:published_time" content="2025-06-01T10:00:00+00:00"></head>'
        '<body><header><nav><a href="/">Home</a> <a href="/about/">About</a></nav></header>'
        f"<article><h1>{title}</h1>{extra}{paragraphs}</article><footer>Contact the desk</footer>"
        "</body></html>"
    )


CURLY = "<p>The rapporteur was “alarmed” by the sentence – a café owner’s testimony was ignored.</p>"
# Persian as a Windows-1256 page writes it (that charset has no Farsi yeh: Arabic yeh stands in).
PERSIAN = (
    "<p>به گزارش گروه‌هاي حقوق بشري، يک زنداني سياسي روز گذشته در زندان قزل‌حصار کرج اعدام شد و "
    "خانواده او پيش از اجراي حکم مطلع نشده بودند.</p>"
    "<p>پيکر اين زنداني به خانواده تحويل داده نشد و مأموران امنيتي بستگان او را به سکوت تهديد کردند.</p>"
    "<p>کارشناسان سازمان ملل بارها خواستار توقف فوري اعدام‌ها در ايران و پايان دادن به اعدام "
    "زندانيان سياسي شده‌اند و چگونگي اين پرونده هنوز روشن نيست.</p>"
)
PERSIAN_TITLE = "اعدام يک زنداني سياسي در زندان قزل‌حصار"
CHALLENGE = (
    "<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>"
    "<noscript>Enable JavaScript and cookies to continue</noscript>"
    '<div id="challenge-body-text">Checking your browser before accessing the site.</div>'
    '<script>window._cf_chl_opt={cvId:"3",cZone:"example",cType:"managed"};</script></body></html>'
)
DDOS_GUARD = (
    "<html><head><title>DDoS-Guard</title></head><body><h1>Checking your browser before accessing</h1>"
    "<p>This process is automatic. DDoS protection by DDoS-Guard.</p></body></html>"
)
NOT_AN_ARTICLE = "<html><head><title>Tag: prisons</title></head><body><p>No posts yet.</p></body></html>"


class HostileSite:
    """A loopback site whose answers depend on the pass (``self.pass_no``)."""

    def __init__(self) -> None:
        self.pass_no = 1
        self.hits: dict[str, int] = {}
        handler = self._handler()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    ARTICLES = (
        "/news/challenge-200/",
        "/news/challenge-503/",
        "/news/maintenance/",
        "/news/utf8-labelled-1252/",
        "/news/cp1256-labelled-utf8/",
        "/news/random-bytes/",
        "/news/pdf-as-html/",
        "/news/nul-padded/",
        "/news/tag-page/",
        "/news/always-walled/",
        "/news/gone/",
        "/news/not-yet/",
    )

    def answer(self, path: str) -> tuple[int, str, bytes]:
        """(status, Content-Type, body) for ``path`` on the current pass."""
        later = self.pass_no >= 2
        subject = dict(zip(self.ARTICLES, SUBJECTS * 2, strict=False))
        if path == "/robots.txt":
            return 404, "text/plain", b"not here"
        if path == "/feed/":
            items = "".join(
                f"<item><title>{p}</title><link>{self.base}{p}</link></item>" for p in self.ARTICLES
            )
            rss = f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'
            return 200, "application/rss+xml", rss.encode()
        if path == "/walled-feed/":
            return 200, "text/html; charset=utf-8", CHALLENGE.encode()
        if path == "/list/":
            if not later:
                return 200, "text/html; charset=utf-8", CHALLENGE.encode()
            links = '<ul><li><a href="/news/from-listing/">A story from the listing</a></li></ul>'
            return 200, "text/html; charset=utf-8", f"<html><body>{links}</body></html>".encode()
        if path == "/news/from-listing/":
            return 200, "text/html; charset=utf-8", _english("a doctor fired in Ahvaz").encode()
        html = "text/html; charset=utf-8"
        if path in ("/news/challenge-200/", "/news/maintenance/") and later:
            return 200, html, _english(subject[path]).encode()
        if path == "/news/challenge-200/":
            return 200, html, CHALLENGE.encode()
        if path == "/news/challenge-503/":
            if later:
                return 200, html, _english("a cartoonist jailed in Qom").encode()
            return 503, html, DDOS_GUARD.encode()
        if path == "/news/maintenance/":
            return 200, "text/plain; charset=utf-8", b"Down for maintenance, back in ten minutes."
        if path == "/news/utf8-labelled-1252/":
            body = CURLY + _paragraphs("a café owner in Karaj")
            page = _page("Rapporteur alarmed by sentence", body, lang="en", charset="windows-1252")
            return 200, "text/html; charset=windows-1252", page.encode("utf-8")
        if path == "/news/cp1256-labelled-utf8/":
            page = _page(PERSIAN_TITLE, PERSIAN, lang="fa", charset="utf-8")
            return 200, html, page.encode("cp1256")
        if path == "/news/random-bytes/":
            return 200, html, random.Random(path).randbytes(6000)
        if path == "/news/pdf-as-html/":
            return 200, html, b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n" * 20
        if path == "/news/nul-padded/":
            return 200, html, _english(subject[path]).encode().replace(b" ", b" \x00\x00")
        if path == "/news/tag-page/":
            return 200, html, NOT_AN_ARTICLE.encode()
        if path == "/news/always-walled/":
            return 403, html, CHALLENGE.encode()
        if path == "/news/gone/":
            return 410, "text/plain", b"gone"
        if path == "/news/not-yet/":  # listed in the feed before it is published
            if later:
                return 200, html, _english("a nurse detained in Zahedan").encode()
            return 404, "text/plain", b"not found"
        return 404, "text/plain", b"no such page"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                path = self.path.split("?", 1)[0]
                site.hits[path] = site.hits.get(path, 0) + 1
                status, ctype, body = site.answer(path)
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        return Handler

    def outlets_yaml(self, directory: Path) -> Path:
        entry = {
            "name": OUTLET,
            "home": self.base + "/",
            "language": "en",
            "affiliation": "test",
            "feeds": [self.base + "/feed/", self.base + "/walled-feed/"],
            "listing_pages": [self.base + "/list/"],
            "min_delay_seconds": 0,
            "timeout_seconds": 5,
            "allow_private_network": True,
        }
        path = directory / "outlets.yaml"
        path.write_text(yaml.safe_dump({"outlets": [entry]}, allow_unicode=True), encoding="utf-8")
        return path


def _rows(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).mappings().all()


def _path(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def _age_fetches(engine, delta: timedelta) -> None:
    """Move every fetch row back in time by ``delta`` (what waiting that long would do)."""
    with engine.begin() as conn:
        conn.execute(text("UPDATE fetches SET fetched_at = fetched_at - :d"), {"d": delta})


def _article_fetches(engine, run_id: int) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for row in _rows(
        engine,
        "SELECT requested_url, outcome FROM fetches WHERE run_id = :r AND kind = 'article' ORDER BY fetch_id",
        r=run_id,
    ):
        out.setdefault(_path(row["requested_url"]), []).append(row["outcome"])
    return out


@pytest.fixture(scope="module")
def passes(pg_server_url, tmp_path_factory):
    """Six passes over the hostile site, time moved on between some of them."""
    tmp = tmp_path_factory.mktemp("retry")
    url = create_scratch_database(pg_server_url)
    engine = create_engine(url)
    upgrade(engine)  # ingest never migrates
    settings = Settings(database_url=url, archive_dir=tmp / "archive", data_dir=tmp)
    site = HostileSite()
    site.thread.start()
    outlets = site.outlets_yaml(tmp)

    def run():
        return ingest(settings, outlets_file=outlets, trigger="test", stream_logs=False, engine=engine)

    reports, stored_after = [], []
    try:
        reports.append(run())  # 1: walls, maintenance page, binary bodies, a tag page
        stored_after.append({_path(r["url"]) for r in _rows(engine, "SELECT url FROM consumer.articles")})
        reports.append(run())  # 2: at once: everything that failed is backing off
        _age_fetches(engine, timedelta(hours=1, minutes=1))
        site.pass_no = 2
        reports.append(run())  # 3: an hour on, the walls are gone, the failures are refetched
        _age_fetches(engine, timedelta(hours=1, minutes=1))
        reports.append(run())  # 4: the second wait (6 h) is not over
        _age_fetches(engine, timedelta(hours=6, minutes=1))
        reports.append(run())  # 5: the third counted pass
        _age_fetches(engine, timedelta(days=30))
        reports.append(run())  # 6: a month on: settled URLs are left alone, the wall is not
        yield {"engine": engine, "settings": settings, "reports": reports, "site": site, "tmp": tmp,
               "stored_after_first": stored_after[0]}  # fmt: skip
    finally:
        site.server.shutdown()
        site.server.server_close()
        engine.dispose()
        drop_database(pg_server_url, url)


def test_first_pass_records_walls_binary_and_non_html_without_storing_them(passes):
    engine, first = passes["engine"], passes["reports"][0]
    fetched = _article_fetches(engine, first.run_id)
    assert fetched["/news/challenge-200/"] == ["blocked"]
    assert fetched["/news/challenge-503/"] == ["retried", "retried", "blocked"]  # 503 retried in-pass
    assert fetched["/news/always-walled/"] == ["blocked"]
    assert fetched["/news/maintenance/"] == ["not_html"]
    assert fetched["/news/random-bytes/"] == ["binary"]
    assert fetched["/news/pdf-as-html/"] == ["binary"]
    assert fetched["/news/nul-padded/"] == ["binary"]
    assert fetched["/news/tag-page/"] == ["not_article"]
    assert fetched["/news/gone/"] == ["http_error"] and fetched["/news/not-yet/"] == ["http_error"]
    assert passes["stored_after_first"] == {"/news/utf8-labelled-1252/", "/news/cp1256-labelled-utf8/"}
    listing = _rows(
        engine, "SELECT outcome, error FROM fetches WHERE run_id = :r AND kind = 'listing'", r=first.run_id
    )
    assert [r["outcome"] for r in listing] == ["blocked"] and "cf_chl_opt" in listing[0]["error"]
    errors = {
        _path(r["requested_url"]): r["error"]
        for r in _rows(
            engine, "SELECT requested_url, error FROM fetches WHERE outcome IN ('blocked', 'binary')"
        )
    }
    assert "Cloudflare" in errors["/news/challenge-200/"]
    assert "DDoS-Guard" in errors["/news/challenge-503/"] and "503" in errors["/news/challenge-503/"]
    assert "PDF" in errors["/news/pdf-as-html/"] and "NUL" in errors["/news/nul-padded/"]
    assert "undecodable" in errors["/news/random-bytes/"] or "control" in errors["/news/random-bytes/"]
    # Walls and binary bodies are counted as failures of the pass (outlet health reads them).
    failures = first.outlets[OUTLET]["failures"]
    walled_feed = _rows(engine, "SELECT outcome FROM fetches WHERE requested_url LIKE '%/walled-feed/'")
    assert {r["outcome"] for r in walled_feed} == {"blocked"}  # a feed that is a wall: no parse error
    assert failures["blocked"] == 5 and failures["binary"] == 3 and failures["not_html"] == 1


def test_failures_back_off_instead_of_being_refetched_at_once(passes):
    engine, second = passes["engine"], passes["reports"][1]
    assert _article_fetches(engine, second.run_id) == {}
    assert second.total("stored") == 0


def test_a_wall_or_maintenance_page_does_not_lose_the_article(passes):
    engine, third = passes["engine"], passes["reports"][2]
    fetched = _article_fetches(engine, third.run_id)
    for path in ("/news/challenge-200/", "/news/challenge-503/", "/news/maintenance/"):
        assert fetched[path] == ["stored"], path
    assert fetched["/news/from-listing/"] == ["stored"]  # the listing's wall is gone too
    stored = {_path(r["url"]): r for r in _rows(engine, "SELECT url, title, text FROM consumer.articles")}
    assert "Checking your browser" not in stored["/news/challenge-200/"]["text"]
    assert "a cartoonist jailed in Qom" in stored["/news/challenge-503/"]["text"]
    assert "maintenance" not in stored["/news/maintenance/"]["text"]
    assert fetched["/news/always-walled/"] == ["blocked"]
    assert fetched["/news/tag-page/"] == ["not_article"] and fetched["/news/random-bytes/"] == ["binary"]
    assert "/news/utf8-labelled-1252/" not in fetched  # stored URLs are never fetched again
    assert fetched["/news/not-yet/"] == ["stored"]  # a 404 is retried: the story went live
    assert "/news/gone/" not in fetched  # 410 Gone settles at once


def test_a_non_article_is_retried_up_to_the_bound_then_settled(passes):
    engine, reports = passes["engine"], passes["reports"]
    history = {path: [] for path in ("/news/tag-page/", "/news/random-bytes/", "/news/always-walled/")}
    for report in reports:
        fetched = _article_fetches(engine, report.run_id)
        for path, outcomes in history.items():
            outcomes.append(fetched.get(path, [None])[-1])
    # Passes 1, 3 and 5 (after 1 h and 6 h of back-off) fetch it; 2 and 4 are too early.
    assert history["/news/tag-page/"] == ["not_article", None, "not_article", None, "not_article", None]
    assert history["/news/random-bytes/"] == ["binary", None, "binary", None, "binary", None]
    # A bot wall never settles: a month later it is fetched again.
    assert history["/news/always-walled/"] == ["blocked", None, "blocked", None, "blocked", "blocked"]
    site_hits = passes["site"].hits
    assert site_hits["/news/tag-page/"] == 3 and site_hits["/news/random-bytes/"] == 3
    assert not _rows(
        engine, "SELECT 1 FROM consumer.articles WHERE url LIKE '%tag-page%' OR url LIKE '%random%'"
    )
    urls = [
        passes["site"].base + p for p in ("/news/tag-page/", "/news/always-walled/", "/news/maintenance/")
    ]
    later = datetime.now(UTC) + timedelta(days=60)
    assert known_url_reasons(engine, urls, now=later) == {
        urls[0]: "settled:not_article",
        urls[2]: "stored",
    }


def test_lying_charsets_are_decoded_right_in_the_crawl(passes):
    engine = passes["engine"]
    stored = {_path(r["url"]): r for r in _rows(engine, "SELECT url, title, text FROM consumer.articles")}
    latin = stored["/news/utf8-labelled-1252/"]
    assert "“alarmed”" in latin["text"] and "café owner’s" in latin["text"] and "â€" not in latin["text"]
    persian = stored["/news/cp1256-labelled-utf8/"]
    assert persian["title"] == PERSIAN_TITLE
    assert "يک زنداني سياسي روز گذشته در زندان قزل‌حصار کرج اعدام شد" in persian["text"]
    assert "\ufffd" not in persian["text"]


def test_reprocess_and_extract_decode_the_same_bytes_to_the_same_text(passes):
    engine, settings, tmp = passes["engine"], passes["settings"], passes["tmp"]
    result = reprocess(engine, settings.archive_dir)
    assert result["errors"] == 0 and result["binary"] == 0
    assert result["updated"] == 0 and result["unchanged"] == result["articles"] == 7
    rows = _rows(
        engine,
        """SELECT a.url, a.text, f.warc_file, f.warc_offset FROM consumer.articles a
             JOIN articles x ON x.article_id = a.article_id JOIN fetches f ON f.fetch_id = x.first_fetch_id""",
    )
    for row in rows:
        headers, body = read_response_decoded(
            Path(settings.archive_dir), row["warc_file"], row["warc_offset"]
        )
        saved = tmp / (hashlib.sha256(row["url"].encode()).hexdigest()[:16] + ".html")
        saved.write_bytes(body)
        record = extract_file(saved, row["url"])
        assert record["text"] == row["text"], row["url"]
        assert decode_text(body, headers)[0] == decode_text(body)[0], row["url"]


def test_every_stored_offset_reads_back_to_its_hash(passes):
    engine, archive = passes["engine"], Path(passes["settings"].archive_dir)
    rows = _rows(engine, "SELECT warc_file, warc_offset, raw_sha256 FROM fetches WHERE warc_file IS NOT NULL")
    assert len(rows) > 40
    for row in rows:
        _headers, body = read_response(archive, row["warc_file"], row["warc_offset"])
        assert hashlib.sha256(body).hexdigest() == row["raw_sha256"]


# --------------------------------------------------------------------- the rules on their own


def test_decode_handles_lying_labels_boms_and_meta_against_header():
    utf8 = "<p>“alarmed” – café</p>".encode()
    for label in ("windows-1252", "iso-8859-1", "iso-8859-15", "windows-1250", "us-ascii"):
        assert decode_html(utf8, {"Content-Type": f"text/html; charset={label}"}) == (
            "<p>“alarmed” – café</p>",
            "utf-8",
        )
    cp1252 = "<p>“alarmed” – café</p>".encode("cp1252")
    assert (
        decode_html(cp1252, {"Content-Type": "text/html; charset=ISO-8859-1"})[0] == "<p>“alarmed” – café</p>"
    )
    persian = _page(PERSIAN_TITLE, PERSIAN, lang="fa", charset="windows-1256").encode("cp1256")
    # The server's Latin-1 default yields to the page's own declaration.
    assert decode_html(persian, {"Content-Type": "text/html; charset=iso-8859-1"})[1] == "cp1256"
    undeclared = _page(PERSIAN_TITLE, PERSIAN, lang="fa").replace('<meta charset="utf-8">', "")
    assert decode_html(undeclared.encode("cp1256"), {"Content-Type": "text/html; charset=iso-8859-1"}) == (
        undeclared,
        "cp1256",
    )
    lying = _page(PERSIAN_TITLE, PERSIAN, lang="fa").encode("cp1256")
    assert PERSIAN_TITLE in decode_html(lying, {"Content-Type": "text/html; charset=utf-8"})[0]
    assert (
        decode_html(b"\xef\xbb\xbf<p>caf\xc3\xa9</p>", {"Content-Type": "text/html; charset=latin-1"})[0]
        == "<p>café</p>"
    )
    assert decode_html("<p>café</p>".encode("utf-16"))[0] == "<p>café</p>"
    assert decode_html("<p>café</p>".encode("utf-32"))[0] == "<p>café</p>"
    # A few stray bytes in a UTF-8 page keep it UTF-8 (not a guess that garbles the rest).
    damaged = ("<p>" + "ایران آزاد " * 200 + "</p>").encode() + b"\xff"
    text, encoding = decode_html(damaged, {"Content-Type": "text/html; charset=utf-8"})
    assert encoding == "utf-8" and text.count("ایران") == 200


def test_binary_bodies_are_recognised_by_general_rules():
    samples = {
        "random": random.Random(1).randbytes(3000),
        "png": b"\x89PNG\r\n\x1a\n" + random.Random(2).randbytes(500),
        "zip": b"PK\x03\x04" + b"\x14\x00" * 100,
        "nul": b"<html><body>" + b"\x00" * 300 + b"text" * 200 + b"</body></html>",
        "controls": b"<html>" + bytes(range(1, 9)) * 60 + b"</html>",
    }
    for name, body in samples.items():
        with pytest.raises(BinaryContent):
            decode_text(body, {"Content-Type": "text/html"})
        assert name
    # Real pages in many scripts and charsets are text.
    for page, charset in (
        (CURLY * 20, "cp1252"),
        (PERSIAN * 3, "cp1256"),
        (PERSIAN, "utf-8"),
        ("<p>日本語の記事です。</p>" * 20, "shift_jis"),
    ):
        decode_text(page.encode(charset), {"Content-Type": f"text/html; charset={charset}"})
    assert decode_text(b"")[0] == ""


def test_walls_are_recognised_and_articles_about_walls_are_not():
    assert "Cloudflare" in recognise_wall(200, {}, CHALLENGE)
    assert "DDoS-Guard" in recognise_wall(503, {}, DDOS_GUARD)
    assert recognise_wall(200, {"cf-mitigated": "challenge"}, "<html></html>")
    akamai = (
        "<HTML><HEAD><TITLE>Access Denied</TITLE></HEAD><BODY><H1>Access Denied</H1>You don't have "
        'permission to access "http://x/a" on this server.<P>Reference #18.2</BODY></HTML>'
    )
    assert "Akamai" in recognise_wall(403, {"Server": "AkamaiGHost"}, akamai)
    assert "captcha" in recognise_wall(200, {}, '<html><body><div class="g-recaptcha"></div></body></html>')
    assert "script" in recognise_wall(
        200, {}, "<html><script>document.cookie='k=1';location.reload()</script></html>"
    )
    assert recognise_wall(429, {"Server": "cloudflare"}, "<html><body>Too many requests</body></html>")
    # A real article that talks about walls, or has a captcha on its comment form, is no wall.
    about = _page(
        "How state sites hide behind Cloudflare and DDoS-Guard",
        "<p>Checking your browser is what visitors see; the rapporteur said access was denied.</p>" * 25,
        lang="en",
        extra='<form class="comments"><div class="g-recaptcha"></div></form>',
    )
    assert recognise_wall(200, {"Server": "cloudflare"}, about) is None
    assert recognise_wall(404, {}, "<html><body><h1>Not found</h1></body></html>") is None


def test_settling_rule():
    now = datetime(2026, 1, 10, tzinfo=UTC)
    policy = RetryPolicy()
    assert decide(UrlHistory(0, 0, None, None, None), policy, now) is None
    just = now - timedelta(minutes=5)
    assert decide(UrlHistory(1, 1, just, "not_article", 200), policy, now) == "waiting:not_article"
    assert decide(UrlHistory(1, 1, now - timedelta(hours=2), "not_article", 200), policy, now) is None
    assert (
        decide(UrlHistory(2, 2, now - timedelta(hours=2), "timeout", None), policy, now) == "waiting:timeout"
    )
    assert (
        decide(UrlHistory(3, 3, now - timedelta(days=9), "http_error", 503), policy, now)
        == "settled:http_error"
    )
    assert decide(UrlHistory(1, 1, just, "http_error", 410), policy, now) == "settled:http_410"
    assert decide(UrlHistory(1, 1, now - timedelta(hours=2), "http_error", 404), policy, now) is None
    # Walls never settle and never use up attempts, but wait at most a day.
    assert (
        decide(UrlHistory(40, 0, now - timedelta(hours=23), "blocked", 403), policy, now) == "waiting:blocked"
    )
    assert decide(UrlHistory(40, 0, now - timedelta(hours=25), "blocked", 403), policy, now) is None
    # A crawl stopped before the page answered (or before its answer was read): no wait at all.
    assert decide(UrlHistory(3, 2, just, "interrupted", None), policy, now) is None
    assert [policy.delay(n).total_seconds() / 3600 for n in range(5)] == [0, 1, 6, 24, 24]


def test_retry_lookup_is_an_index_scan(fresh_engine):
    engine = fresh_engine
    with engine.begin() as conn:
        outlet = upsert_outlet(
            conn, name="O", home="https://o.org/", language="en", affiliation="x", config={}
        )
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(
            text(
                """INSERT INTO fetches (fetch_uid, outlet_id, kind, requested_url, outcome, fetched_at)
                   SELECT 'u' || i, :o, 'article', 'https://o.org/a/' || i, 'not_article', :t
                     FROM generate_series(1, 20000) AS i"""
            ),
            {"o": outlet, "t": now},
        )
        conn.execute(text("ANALYZE fetches"))
    urls = [f"https://o.org/a/{i}" for i in range(1, 201)]
    params = {"urls": urls, "uncounted": ["blocked", "retried"], "not_answers": ["retried"]}
    with engine.connect() as conn:
        plan = "\n".join(r[0] for r in conn.execute(text("EXPLAIN " + str(_KNOWN_URLS)), params))
    assert "ix_fetches_requested_url" in plan and "Seq Scan on fetches" not in plan, plan
    reasons = known_url_reasons(engine, urls[:3] + ["https://o.org/new"])
    assert reasons == {u: "waiting:not_article" for u in urls[:3]}
    record_fetch(
        engine,
        FetchRecord(
            fetch_uid="gone", outlet_id=outlet, run_id=None, kind="article", requested_url="https://o.org/gone",
            outcome="http_error", fetched_at=now, http_status=410,
        ),
    )  # fmt: skip
    assert known_url_reasons(engine, ["https://o.org/gone"]) == {"https://o.org/gone": "settled:http_410"}


def test_short_persian_page_with_a_lying_label_is_read_in_its_declared_language_script():
    body = _page(PERSIAN_TITLE, PERSIAN.split("</p>")[0] + "</p>", lang="fa").encode("cp1256")[:260]
    text, encoding = decode_html(body, {"Content-Type": "text/html; charset=utf-8"})
    assert encoding == "cp1256" and PERSIAN_TITLE in text


def test_extract_and_reprocess_refuse_binary_captures(fresh_engine, tmp_path):
    from tests.test_reprocess import World

    saved = tmp_path / "report.html"
    saved.write_bytes(b"%PDF-1.7\n" + random.Random(3).randbytes(2000))
    record = extract_file(saved, "https://monitor.example.org/report")
    assert "PDF" in record["binary"] and "text" not in record
    # A capture stored as an article before binary bodies were recognised is left as it is.
    world = World(fresh_engine, tmp_path / "archive")
    url = "https://monitor.example.org/news/noise"
    fetch_id = world.capture(url, random.Random(4).randbytes(5000))
    article_id = world.store(url, fetch_id, fixture="en_jsonld.html")
    world.archive.close()
    before = world.article(article_id)
    result = reprocess(fresh_engine, tmp_path / "archive")
    assert result["binary"] == 1 and result["updated"] == 0 and result["errors"] == 0
    assert world.article(article_id) == before
