"""The revisit's decisions on their own: word diffs, not-found pages, redirects, statuses."""

from __future__ import annotations

import pytest

from pipeline.config import OutletConfig
from pipeline.revisit.compare import for_status, judge_page, redirect_to_front, version_digest
from pipeline.revisit.diff import article_words, similarity, word_diff
from pipeline.revisit.soft404 import soft_404

OUTLET = OutletConfig(
    name="Monitor",
    home="https://news.example.org/fa/",
    language="fa",
    feeds=["https://news.example.org/feed/"],
    listing_pages=["https://news.example.org/fa/archive/"],
)


def test_word_diff_marks_the_changed_words_with_context_and_positions():
    old = "Authorities executed 12 prisoners in Ghezel Hesar prison on Wednesday at dawn".split()
    new = "Authorities executed 2 prisoners in Ghezel Hesar prison on Wednesday".split()
    diff = word_diff(old, new, context=3)
    assert diff.splitlines() == [
        "@@ words 3-3 -> 3-3 @@ Authorities executed [-12-] {+2+} prisoners in Ghezel ...",
        "@@ words 11-12 -> 11-10 @@ ... prison on Wednesday [-at dawn-]",
    ]
    assert word_diff(old, old) == ""


def test_persian_words_with_zwnj_stay_whole():
    old = article_words("اعدام در زندان", "زندانی‌ها در قزل‌حصار اعدام شدند")
    new = article_words("اعدام در زندان", "زندانی‌ها در قزل‌حصار آزاد شدند")
    assert "[-اعدام-] {+آزاد+}" in word_diff(old, new)
    assert 0.5 < similarity(old, new) < 1


@pytest.mark.parametrize(
    ("html", "title", "text", "found"),
    [
        ("<title>Page not found | News</title>", None, None, True),
        ("<h1>صفحه مورد نظر یافت نشد</h1>", None, None, True),
        ("<title>خطای ۴۰۴</title>", None, None, True),
        ("<title>Error 404</title>", None, None, True),
        ("", "404 prisoners executed in one year", "short", False),  # a number, not an error
        ("", "Body of detained activist not found", "a few words", False),  # news, not a notice
        ("<title>Page not found</title>", "Page not found", " ".join(["word"] * 400), False),  # long
    ],
)
def test_soft_404(html, title, text, found):
    assert (soft_404(html, title, text) is not None) is found


def test_redirect_to_the_front_or_a_listing_but_not_to_another_url_of_the_article():
    art = "https://news.example.org/fa/news/123"
    assert redirect_to_front(OUTLET, art, "https://news.example.org/fa/") == "redirected to the home page"
    assert (
        redirect_to_front(OUTLET, art, "https://news.example.org/") == "redirected to the site's front page"
    )
    assert (
        redirect_to_front(OUTLET, art, "https://news.example.org/fa/archive/")
        == "redirected to a listing page"
    )
    assert redirect_to_front(OUTLET, art, "https://news.example.org/fa/news/123-slug") is None
    assert redirect_to_front(OUTLET, art, art + "?utm_source=x") is None


def test_statuses():
    assert for_status(304).outcome == "unchanged"
    assert for_status(404).outcome == for_status(410).outcome == "removed"
    assert for_status(403).outcome == for_status(503).outcome == "unreachable"
    assert for_status(200) is None


def test_judging_a_page():
    old_title, old_text = "Executions", "twelve prisoners were executed " * 20
    common = {"html": "<html></html>", "old_title": old_title, "old_text": old_text}
    common["old_digest"] = version_digest(old_title, old_text)
    same = judge_page(**common, new_title=old_title, new_text=old_text, redirected=False)
    assert same.outcome == "unchanged"
    edit = judge_page(
        **common, new_title=old_title, new_text=old_text.replace("twelve", "two", 1), redirected=False
    )
    assert edit.outcome == "edited"
    elsewhere = judge_page(
        **common, new_title="Sports", new_text="the match ended in a draw " * 20, redirected=True
    )
    assert elsewhere.outcome == "removed" and "another page" in elsewhere.reason
    rewritten = judge_page(
        **common, new_title="Sports", new_text="the match ended in a draw " * 20, redirected=False
    )
    assert rewritten.outcome == "edited"  # at its own address, a rewrite is an edit
    empty = judge_page(**common, new_title=None, new_text=None, redirected=False, not_article="no text")
    assert (empty.outcome, empty.confirm) == ("removed", True)
