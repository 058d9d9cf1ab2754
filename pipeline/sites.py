"""Which site a host belongs to: its registrable domain, by the public-suffix list.

``bbc.co.uk`` and ``evil.co.uk`` are two sites, ``amp.example.org`` and ``www.example.org``
one. The list is the snapshot bundled with tldextract, never fetched at run time (a crawl
must not depend on, or be steered by, a download), private suffixes included, so that two
blogs on one hosting domain are two sites. Loaded at first use: reading outlets.yaml with
every entry point on the home's host needs no list.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def _extractor() -> Any:
    import tldextract

    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True)


@lru_cache(maxsize=8192)
def site_of(host: str) -> str:
    """The registrable domain of a host (public-suffix aware): what identifies a site.

    An IP address is its own site; a name under no known suffix (``localhost``, an intranet
    name) is a site by itself, so ``a.localhost`` is not ``localhost``."""
    host = host.strip("[]").rstrip(".").lower()
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    extracted = _extractor()(host)
    if extracted.suffix and extracted.domain:
        return f"{extracted.domain}.{extracted.suffix}"
    return host


def is_public_suffix(host: str) -> bool:
    """Whether ``host`` is itself a public suffix (``com``, ``co.uk``, ``blogspot.com``)."""
    return host.rstrip(".").lower() in _public_suffixes()


@lru_cache(maxsize=1)
def _public_suffixes() -> frozenset[str]:
    return frozenset(_extractor().tlds)
