"""The three metadata fields dadkhah takes from trafilatura, without the rest of its search.

``bare_extraction(with_metadata=True)`` runs trafilatura's whole metadata search: title,
author, site name, and also an htmldate search, categories, tags and licence, which
nothing here uses and which cost ~3 ms per page (more than all of dadkhah's own rules).
:func:`title_author_sitename` asks trafilatura's own field extractors, in the order its
metadata search does, for the title, author and site name only; the body text does not
depend on the metadata search. Checked field for field against the full search for the
trafilatura version named in ``VERIFIED_VERSION``; under any other version the caller
keeps the full search.
"""

from __future__ import annotations

import logging
from typing import NamedTuple

import trafilatura
from lxml.html import HtmlElement
from trafilatura import metadata as tmeta

log = logging.getLogger(__name__)

VERIFIED_VERSION = "2.3.1"
SUPPORTED = trafilatura.__version__ == VERIFIED_VERSION


class TitleAuthorSite(NamedTuple):
    title: str | None
    author: str | None
    sitename: str | None


def title_author_sitename(tree: HtmlElement, url: str) -> TitleAuthorSite:
    """Title, author and site name as trafilatura's metadata search finds them for ``tree``
    (the tree given to ``bare_extraction``, which this does not change) and ``url``."""
    found = tmeta.examine_meta(tree)
    if found.author and " " not in found.author:  # a single word is no author name
        found.author = None
    try:
        found = tmeta.extract_meta_json(tree, found)
    except Exception as exc:  # noqa: BLE001 - trafilatura tolerates broken JSON-LD the same way
        log.debug("trafilatura JSON-LD metadata failed: %s", exc)
    found.title = found.title or tmeta.extract_title(tree)
    found.author = found.author or tmeta.extract_author(tree)
    found.url = found.url or tmeta.extract_url(tree, url)
    found.sitename = found.sitename or tmeta.extract_sitename(tree)
    if found.sitename:
        site = found.sitename.lstrip("@")  # a Twitter handle
        if site and "." not in site and not site[0].isupper():
            site = site.title()
        found.sitename = site
    elif found.url and (host := tmeta.META_URL.match(found.url)):
        found.sitename = host[1]
    found.clean_and_trim()
    return TitleAuthorSite(found.title, found.author, found.sitename)
