"""dadkhah's run of trafilatura's metadata steps gives what trafilatura.extract_metadata gives
for the fields dadkhah reads (title, author, site name), without its date, category, tag and
licence searches."""

from __future__ import annotations

import copy

import pytest
import trafilatura

from pipeline.extraction.core import _trafilatura_metadata, needs_trafilatura_metadata
from pipeline.extraction.page import parse_html, read_structured_data

STORY = (
    "<p>The appeal hearing of the four teachers arrested during the February strike was postponed "
    "again on Tuesday, their lawyers said, after the court announced a change of judge.</p>"
)
PAGES = {
    "byline in the page": (
        "<html><head><title>Hearing postponed | Rights Monitor</title></head><body>"
        "<header><a href='/'>Rights Monitor</a></header><article><h1>Hearing postponed</h1>"
        f"<p class='byline'>By <a rel='author' href='/authors/sara'>Sara Karimi</a></p>{STORY}</article>"
        "<footer><p>Category: Courts. Tags: teachers, strike</p></footer></body></html>"
    ),
    "meta tags only": (
        "<html><head><meta name='author' content='Reza Ahmadi'><meta property='og:title' "
        "content='Hearing postponed'><meta name='twitter:site' content='@rightsmonitor'>"
        "<meta name='keywords' content='courts,teachers'></head>"
        f"<body><article>{STORY}</article></body></html>"
    ),
    "one-word meta author, JSON-LD publisher": (
        "<html><head><meta name='author' content='admin'><script type='application/ld+json'>"
        '{"@type": "NewsArticle", "headline": "Hearing postponed", "publisher": {"@type": '
        '"Organization", "name": "Rights Monitor"}}</script></head>'
        f"<body><article>{STORY}</article></body></html>"
    ),
    "nothing declared": f"<html><body><div><h2>Hearing postponed</h2>{STORY}</div></body></html>",
}


@pytest.mark.parametrize("name", sorted(PAGES))
def test_the_fields_read_equal_trafilaturas_own(name: str) -> None:
    url = "https://monitor.example.org/2019/03/hearing"
    tree = parse_html(PAGES[name])
    sd = read_structured_data(tree)
    assert needs_trafilatura_metadata(sd)
    theirs = trafilatura.extract_metadata(copy.deepcopy(tree), url, None, False)
    ours = _trafilatura_metadata(copy.deepcopy(tree), sd, url)
    assert ours is not None
    # the fields extract_article reads: the title and the author only where structured data
    # leaves them open (its own value is taken otherwise), the site name always
    if not (sd.headline or sd.meta.get("og:title")):
        assert ours.title == theirs.title
    if not sd.authors:
        assert ours.author == theirs.author
    assert ours.sitename == theirs.sitename
    assert ours.date is None  # htmldate's search is not run
    assert any((ours.title, ours.author, ours.sitename))


def test_trafilaturas_author_search_is_skipped_where_structured_data_names_the_authors() -> None:
    """Its author search copies and prunes the whole page: not run when extract_article would
    take the authors structured data names. A byline in the page would be found by it."""
    page = (
        "<html><head><script type='application/ld+json'>"
        '{"@type": "NewsArticle", "author": {"@type": "Person", "name": "Sara Karimi"}}</script>'
        "<title>Hearing postponed | Rights Monitor</title></head><body><article>"
        f"<p class='byline'>By <a rel='author' href='/authors/reza'>Reza Ahmadi</a></p>{STORY}"
        "</article></body></html>"
    )
    url = "https://monitor.example.org/2019/03/hearing"
    tree = parse_html(page)
    sd = read_structured_data(tree)
    assert sd.authors and needs_trafilatura_metadata(sd)  # no headline, no site name declared
    theirs = trafilatura.extract_metadata(copy.deepcopy(tree), url, None, False)
    ours = _trafilatura_metadata(copy.deepcopy(tree), sd, url)
    assert theirs.author  # trafilatura's own search finds a name
    assert ours is not None and ours.author is None
    assert (ours.title, ours.sitename) == (theirs.title, theirs.sitename)
