"""extract_article on fixture pages (English and Persian): text, boilerplate, metadata."""

from __future__ import annotations

import copy
import gzip
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import trafilatura
from lxml import html as lxml_html

from pipeline.extraction import (
    EXTRACTOR_ID,
    ExtractedArticle,
    ExtractionHints,
    NotAnArticle,
    extract_article,
)
from pipeline.extraction.cli import extract_command, extract_file
from pipeline.extraction.core import TRAFILATURA_OPTIONS, needs_trafilatura_metadata
from pipeline.extraction.decode import decode_html
from pipeline.extraction.page import Protector, parse_html, prune_page_chrome, read_structured_data

DATA = Path(__file__).parent / "data" / "extraction"
ZWNJ = "\u200c"


def page(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def extract(name: str, **hints) -> ExtractedArticle:
    hints.setdefault("url", "https://news.example.org/2025/07/story-123")
    return extract_article(page(name), ExtractionHints(**hints))


BOILERPLATE = (
    "Comments are closed",
    "Latest news",
    "Must read",
    "Privacy Overview",
    "uses cookies",
    "کوکی",
    "Image credit",
    "technical problems",
    "newsletter",
    "Share",
    "Tweet",
    "مطالب مرتبط",
    "انتقال یک زندانی سیاسی",  # a related-post teaser
    "Resurrection of the Concept",  # a "Latest news" teaser
    "اشتراک",
    "عکس:",
    "خانه »",
    "Home >",
    "محفوظ",
    "©",
)


def assert_clean(text: str) -> None:
    for phrase in BOILERPLATE:
        assert phrase not in text, f"boilerplate {phrase!r} reached the text"


# --- Persian -----------------------------------------------------------------------------


def test_persian_page_text_metadata_and_jalali_date_near_title() -> None:
    art = extract("fa_jalali_named.html")
    assert art.title == "گزارش‌های تازه از بازداشت فعالان مدنی در زندان اوین"
    assert art.site_name == "خبرنامه حقوق بشر"
    assert art.authors == ["مریم احمدی"]
    assert art.language == "fa"
    # The header's "today" (۳۰ آبان ۱۴۰۵) must not win over the date under the headline.
    assert art.published_at == datetime(2025, 7, 12, 10, 30, tzinfo=UTC)
    assert art.published_raw == "۲۱ تیر ۱۴۰۴ - ۱۰:۳۰"
    assert art.published_calendar == "jalali"
    assert art.published_method == "near-title"
    assert art.text.startswith("بر اساس گزارش‌های رسیده")
    assert art.text.endswith("به سکوت تهدید می‌کنند.")
    assert len(art.text.split("\n")) == 4
    assert_clean(art.text)


def test_zwnj_is_preserved_in_text_and_title() -> None:
    art = extract("fa_jalali_named.html")
    for word in ("گزارش‌های", "شده‌اند", "بی‌خبرند", "سازمان‌های", "می‌گویند", "پیش‌تر"):
        assert ZWNJ in word and word in art.text, word
    assert "گزارشهای" not in art.text
    assert "می" + ZWNJ + "داد" in art.text  # written as &zwnj; in the page
    assert ZWNJ in art.title
    # No placeholder leaks out.
    assert all(ord(ch) < 0x2B00 or ord(ch) > 0x2BFF for ch in art.text)


def test_zwnj_survives_even_when_a_placeholder_symbol_is_in_the_page() -> None:
    html = page("fa_jalali_named.html").replace("<main>", "<main><p>\u2bd1 \u2bd2</p>")
    art = extract_article(html, ExtractionHints(url="https://news.example.org/a"))
    assert "گزارش‌های" in art.text


def test_persian_numeric_jalali_date_and_language_detection_without_lang() -> None:
    art = extract("fa_jalali_numeric_nolang.html")
    assert art.title == "اعتصاب غذای زندانیان در زندان قزل‌حصار"
    assert art.language == "fa"  # the page declares nothing: detected from the script
    assert art.published_at == datetime(2025, 7, 12, tzinfo=UTC)
    assert art.published_raw == "۱۴۰۴/۰۴/۲۱"
    assert art.published_calendar == "jalali"
    assert "technical problems" not in art.text
    assert "Copyright" not in art.text


def test_persian_text_beats_a_wrong_lang_attribute() -> None:
    html = page("fa_jalali_named.html").replace('lang="fa"', 'lang="en"')
    art = extract_article(html, ExtractionHints(url="https://news.example.org/a"))
    assert art.language == "fa"


# --- English metadata --------------------------------------------------------------------


def test_jsonld_date_authors_title_and_boilerplate() -> None:
    art = extract("en_jsonld.html")
    assert art.title == "Court upholds death sentence of protester in Isfahan"
    assert art.authors == ["Jane Doe", "Reza Karimi"]
    assert art.site_name == "Example Rights Monitor"
    assert art.language == "en"
    assert art.published_method == "json-ld"
    assert art.published_raw == "2025-07-12T09:15:00+03:30"
    assert art.published_at == datetime(2025, 7, 12, 5, 45, tzinfo=UTC)
    assert art.published_calendar == "gregorian"
    assert art.text.startswith("The Supreme Court has upheld")
    assert art.text.endswith("meets international standards.")
    assert_clean(art.text)


def test_trafilatura_metadata_only_fills_what_structured_data_leaves_open() -> None:
    described = read_structured_data(parse_html(page("en_jsonld.html")))
    assert not needs_trafilatura_metadata(described)  # headline, authors, publisher given
    bare = (
        "<html><head><title>Prison transfer ordered | Example Rights Monitor</title>"
        '<meta name="author" content="Sara Ahmadi"></head><body><article>'
        + "".join(
            f"<p>Paragraph {i} on the transfer of the prisoner to another ward and its reasons.</p>"
            for i in range(6)
        )
        + "</article></body></html>"
    )
    assert needs_trafilatura_metadata(read_structured_data(parse_html(bare)))
    art = extract_article(bare, ExtractionHints(url="https://news.example.org/2025/07/transfer"))
    assert art.title == "Prison transfer ordered"  # trafilatura's title, site name stripped
    assert art.authors == ["Sara Ahmadi"]  # trafilatura's author


def test_persian_author_found_by_trafilatura_keeps_its_zwnj() -> None:
    name = "مریم رضایی" + ZWNJ + "نژاد"
    body = "".join(
        f"<p>بند {i}: گزارش"
        + ZWNJ
        + "های تازه از انتقال این زندانی سیاسی به زندان دیگری خبر می"
        + ZWNJ
        + "دهند.</p>"
        for i in range(8)
    )
    html = (
        f'<html lang="fa"><head><title>انتقال زندانی</title><meta name="author" content="{name}">'
        f"</head><body><article>{body}</article></body></html>"
    )
    art = extract_article(html, ExtractionHints(url="https://fa.example.org/news/1", language="fa"))
    assert art.authors == [name]


def test_page_chrome_is_pruned_but_json_ld_and_tails_stay() -> None:
    tree = parse_html(
        "<html><head><script>var x = 1;</script><style>p {}</style>"
        '<script type="application/ld+json">{"@type": "NewsArticle"}</script></head>'
        "<body><nav><a href='/'>Home</a></nav>kept tail<main><p>Body text.</p>"
        "<aside>Related</aside><svg><text>icon</text></svg></main>"
        "<footer><p>© 2025</p><nav>inner</nav></footer><noscript>enable js</noscript></body></html>"
    )
    assert prune_page_chrome(tree) == 7  # the footer's own <nav> goes with the footer
    left = lxml_html.tostring(tree, encoding="unicode")
    for gone in ("var x", "p {}", "Home", "Related", "icon", "© 2025", "enable js"):
        assert gone not in left, gone
    assert "NewsArticle" in left and "kept tail" in left and "Body text." in left


@pytest.mark.parametrize("name", sorted(p.name for p in DATA.glob("*.html")))
def test_pruning_the_chrome_first_does_not_change_what_trafilatura_extracts(name: str) -> None:
    """trafilatura discards these elements itself: removing them first only saves time."""
    url = "https://news.example.org/2025/07/story-123"
    whole = parse_html(page(name))
    pruned = copy.deepcopy(whole)
    prune_page_chrome(pruned)
    before = trafilatura.bare_extraction(whole, url=url, **TRAFILATURA_OPTIONS)
    after = trafilatura.bare_extraction(pruned, url=url, **TRAFILATURA_OPTIONS)
    assert (after.text if after else None) == (before.text if before else None)


SENTENCE = (
    "The prisoner was transferred to solitary confinement on Monday according to informed "
    "sources who spoke to the monitor. "
)


def test_site_names_from_json_ld_graph_are_stripped_when_trafilatura_metadata_is_skipped() -> None:
    """A Yoast-like graph: the publisher is the acronym, the WebSite node the full name."""
    graph = {
        "@context": "https://schema.org",
        "@graph": [
            {
                "@type": "NewsArticle",
                "author": {"@type": "Person", "name": "Sara Karimi"},
                "publisher": {"@type": "Organization", "name": "IHRM"},
            },
            {"@type": "WebSite", "name": "Iran Human Rights Monitor"},
        ],
    }
    html = (
        '<html><head><title>x</title><meta property="og:site_name" content="IHRM">'
        '<meta property="og:title" content="Prisoner executed in Ghezel Hesar | Iran Human Rights Monitor">'
        f'<script type="application/ld+json">{json.dumps(graph)}</script></head>'
        f"<body><article><p>{SENTENCE * 3}</p><p>{SENTENCE * 2}</p><p>Iran Human Rights Monitor</p>"
        "</article></body></html>"
    )
    assert not needs_trafilatura_metadata(read_structured_data(parse_html(html)))
    art = extract_article(html, ExtractionHints(url="https://iran-hrm.example/2024/05/x"))
    assert art.title == "Prisoner executed in Ghezel Hesar"
    assert not art.text.endswith("Iran Human Rights Monitor")
    assert art.site_name == "IHRM" and art.authors == ["Sara Karimi"]


def test_a_figure_keeps_its_caption_when_its_table_sits_in_an_aside() -> None:
    html = (
        f"<html><head><title>Executions in May</title></head><body><article><h1>Executions in May</h1>"
        f"<p>{SENTENCE * 3}</p><figure><aside class='chart'><table><tr><th>Prison</th><th>Executions</th>"
        "</tr><tr><td>Ghezel Hesar</td><td>12</td></tr></table></aside><p>Figure: At least twelve "
        "prisoners were executed in Ghezel Hesar prison in May, by the monitor's count.</p></figure>"
        f"<p>{SENTENCE * 2}</p></article></body></html>"
    )
    tree = parse_html(html)
    assert prune_page_chrome(tree) == 0  # what a figure holds decides its fate in trafilatura
    art = extract_article(html, ExtractionHints(url="https://example.org/news/2024/05/x"))
    assert "Figure: At least twelve prisoners were executed" in art.text


@pytest.mark.parametrize("joiner", ["&zwnj;", "&#8204;", "&#8204", "&#08204;", "&#x200c;", "&#x0200C;"])
def test_zwnj_written_as_any_entity_survives(joiner: str) -> None:
    words = "گزارش{j}های تازه نشان می{j}دهد که زندانیان به سلول{j}های انفرادی منتقل شده{j}اند. "
    body = words.format(j=joiner)
    html = f"<html lang='fa'><body><article><p>{body * 4}</p><p>{body * 3}</p></article></body></html>"
    art = extract_article(html, ExtractionHints(url="https://fa.example.org/news/1", language="fa"))
    assert "گزارش" + ZWNJ + "های" in art.text and "گزارشهای" not in art.text


def test_protector_changes_nothing_on_a_page_without_joiners() -> None:
    protector = Protector("<html><body><p>No joiner here \u2bd1</p></body></html>")
    text = "Title \u2bd1 kept"
    assert not protector.active and protector.restore(text) is text


def test_meta_published_time_beats_header_time() -> None:
    art = extract("en_meta_time.html")
    assert art.published_method == "meta"
    assert art.published_at == datetime(2024, 3, 5, 14, 20, tzinfo=UTC)
    assert art.title == "Kurdish labourer shot dead near border"
    assert art.authors == ["Sara Ahmadi"]


def test_time_element_in_header_is_ignored() -> None:
    art = extract("en_time_element.html")
    assert art.published_method == "time-element"
    assert art.published_at.date() == date(2023, 9, 18)
    assert art.title == "Journalist summoned over social media posts"


def test_feed_date_is_used_when_the_page_has_no_structured_date() -> None:
    feed = datetime(2025, 1, 2, 3, 4, tzinfo=UTC)
    art = extract("en_no_date.html", feed_published=feed, feed_published_raw="Thu, 02 Jan 2025 03:04:00 GMT")
    assert art.published_at == feed
    assert art.published_method == "feed"
    assert art.published_raw == "Thu, 02 Jan 2025 03:04:00 GMT"


def test_header_today_and_footer_copyright_never_give_the_date() -> None:
    art = extract("en_no_date.html")
    if art.published_at is not None:  # a generic search may find nothing: that is fine
        assert art.published_at.date() != date(2026, 11, 20)
        assert art.published_at.year != 2019
    assert "Copyright" not in art.text


def test_naive_feed_date_becomes_utc() -> None:
    art = extract("en_no_date.html", feed_published=datetime(2025, 1, 2, 3, 4))
    assert art.published_at == datetime(2025, 1, 2, 3, 4, tzinfo=UTC)


def test_structured_date_beats_feed_date() -> None:
    art = extract("en_jsonld.html", feed_published=datetime(2020, 1, 1, tzinfo=UTC))
    assert art.published_method == "json-ld"


# --- per-outlet hints ----------------------------------------------------------------------


def test_drop_selectors_and_drop_line_patterns_apply() -> None:
    art = extract(
        "en_jsonld.html",
        drop_selectors=(".entry-content p:first-child",),
        drop_line_patterns=(r"^Human rights groups say",),
    )
    assert "The Supreme Court has upheld" not in art.text
    assert "Human rights groups" not in art.text
    assert art.text.startswith("The protester, who was 22")
    assert art.extractor_settings["drop_selectors"] == [".entry-content p:first-child"]
    assert art.extractor_settings["drop_line_patterns"] == [r"^Human rights groups say"]


def test_invalid_drop_selector_is_ignored() -> None:
    art = extract("en_jsonld.html", drop_selectors=("p[[[",))
    assert art.text.startswith("The Supreme Court")


# --- not an article ------------------------------------------------------------------------


def test_tag_listing_is_not_an_article() -> None:
    with pytest.raises(NotAnArticle) as err:
        extract("en_tag_listing.html", url="https://rights.example.org/tag/executions/")
    assert err.value.reason == "listing-url"


def test_link_list_is_not_an_article_whatever_its_url() -> None:
    items = "".join(
        f'<li><a href="/a/{i}">A rather long headline number {i} about a court case</a></li>'
        for i in range(12)
    )
    html = f"<html><body><main><h1>News</h1><ul>{items}</ul></main></body></html>"
    with pytest.raises(NotAnArticle):
        extract_article(html, ExtractionHints(url="https://x.example.org/news"))


@pytest.mark.parametrize("html", ["", "   ", "<html><body></body></html>"])
def test_empty_pages_are_not_articles(html: str) -> None:
    with pytest.raises(NotAnArticle):
        extract_article(html, ExtractionHints(url="https://x.example.org/a"))


def test_stub_page_is_too_short() -> None:
    with pytest.raises(NotAnArticle) as err:
        extract("empty_stub.html")
    assert err.value.reason == "too-short"
    assert "words" in str(err.value)


# --- provenance --------------------------------------------------------------------------


def test_extractor_id_and_settings_are_recorded_and_serialisable() -> None:
    art = extract("en_jsonld.html")
    assert art.extractor == EXTRACTOR_ID
    assert EXTRACTOR_ID.startswith("dadkhah-extract/") and "trafilatura/2.3.1" in EXTRACTOR_ID
    settings = json.loads(json.dumps(art.extractor_settings))
    assert settings["trafilatura"]["favor_precision"] is True
    assert settings["trafilatura"]["include_comments"] is False
    assert settings["trafilatura_metadata"].startswith("extract_metadata's title, author and site name steps")


def test_extraction_is_deterministic() -> None:
    assert extract("fa_jalali_named.html") == extract("fa_jalali_named.html")


# --- decoding and the CLI ----------------------------------------------------------------


def test_decode_uses_declared_charset_for_legacy_persian_pages() -> None:
    # Windows-1256 has Arabic yeh/kaf and ZWNJ (0x9D) but no Persian yeh: old sites used it.
    text_1256 = "گزارش" + ZWNJ + "هاي بازداشت فعالان مدني"
    html = f'<html><head><meta charset="windows-1256"></head><body><p>{text_1256}</p></body></html>'
    text, encoding = decode_html(html.encode("windows-1256"))
    assert encoding == "cp1256"
    assert text_1256 in text


def test_decode_guesses_when_nothing_is_declared() -> None:
    html = (
        "<html><body><p>" + "گزارش" + ZWNJ + "هاي بازداشت فعالان مدني در زندان " * 20 + "</p></body></html>"
    )
    text, _ = decode_html(html.encode("windows-1256"))
    assert "بازداشت فعالان" in text


def test_decode_prefers_valid_utf8_over_a_latin1_header() -> None:
    body = page("fa_jalali_named.html").encode("utf-8")
    text, encoding = decode_html(body, {"Content-Type": "text/html; charset=ISO-8859-1"})
    assert encoding == "utf-8"
    assert "گزارش‌های" in text


def test_cli_extracts_plain_and_gzipped_files(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    gz = tmp_path / "page.html.gz"
    gz.write_bytes(gzip.compress((DATA / "fa_jalali_named.html").read_bytes()))
    extract_command([gz, DATA / "en_tag_listing.html"])
    lines = capsys.readouterr().out.strip().split("\n")
    assert len(lines) == 2
    first = json.loads(lines[0])
    assert first["path"] == str(gz)
    assert first["title"] == "گزارش‌های تازه از بازداشت فعالان مدنی در زندان اوین"
    assert first["published_at"] == "2025-07-12T10:30:00+00:00"
    assert first["published_raw"] == "۲۱ تیر ۱۴۰۴ - ۱۰:۳۰"
    assert first["language"] == "fa"
    assert first["authors"] == ["مریم احمدی"]
    assert "گزارش‌های رسیده" in first["text"]
    second = json.loads(lines[1])
    assert "not_an_article" in second and "text" not in second


def test_cli_record_matches_the_pipeline_call() -> None:
    record = extract_file(DATA / "en_jsonld.html", url="https://news.example.org/2025/07/story-123")
    art = extract("en_jsonld.html")
    assert record["text"] == art.text
    assert record["title"] == art.title


def test_wordpress_chrome_top_date_breadcrumb_and_site_line_are_dropped() -> None:
    art = extract("en_wordpress_chrome.html", url="https://www.ncr-iran.org/en/news/experts-urge/")
    assert (
        art.title == "Experts urge the UN to prevent a repeat of the 1988 massacre amid a surge in executions"
    )
    assert art.site_name == "NCRI"
    assert art.text.startswith("A coalition of international experts")
    assert art.text.endswith("without delay.")
    for phrase in (
        "September 19, 2025",
        "HomeIran",
        "surge...",
        "\nNCRI",
        "RELATED",
        "Recommended",
        *BOILERPLATE,
    ):
        assert phrase not in art.text
    assert art.published_method == "meta" and art.published_at.date() == date(2025, 7, 24)


@pytest.mark.parametrize(
    "footer",
    [
        '<div class="bottom"><p>Copyright © 2019 Example Teachers Network.</p></div>',
        '<div class="bottom"><p>© 2019</p></div>',
        '<div id="x">Last updated 2019</div>',
    ],
)
def test_a_bare_year_outside_the_footer_never_becomes_1_january(footer: str) -> None:
    html = page("en_no_date.html").replace(
        "<footer><p>Copyright © 2019 Example Teachers Network. All rights reserved.</p></footer>", footer
    )
    art = extract_article(html, ExtractionHints(url="https://news.example.org/teachers"))
    assert art.published_at is None or (art.published_at.month, art.published_at.day) != (1, 1)
