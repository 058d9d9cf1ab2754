"""The fetch policy: what an outlet's crawl may fetch, checked on every request and hop.

Three places, because each sees what the others cannot:

- ``FetchPolicyMiddleware`` (priority 50, before robots.txt) checks every request the
  downloader is given: start requests, discovered URLs, each redirect hop (Scrapy's redirect
  middlewares re-schedule the next hop as a new request) and ``<meta http-equiv=refresh>``
  targets. Scheme, URL length, host (the outlet's registrable domain or its
  ``allowed_hosts``), port, IP-literal hosts, and loops through already visited URLs.
- ``PolicyResolver`` filters DNS answers at connection time: a name that resolves to a
  loopback, private, link-local, ... address gets no address to connect to, so DNS
  rebinding between a check and the connection cannot reach one.
- ``FetchGuardMiddleware`` (priority 945, next to the fetch log) sees each raw response and
  error: it refuses a redirect whose target breaks the policy or loops (so the next hop is
  never made), turns the resolver's refusal into outcome ``refused``, and checks the address
  the response actually came from.

A refusal is a ``FetchRefused`` (an ``IgnoreRequest``): the fetch log writes (or re-labels)
its row with the outcome and reason, the spider's errback counts it.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import CannotResolveHostError, IgnoreRequest
from scrapy.http import Response
from twisted.internet.interfaces import IHostnameResolver, IResolutionReceiver
from w3lib.url import safe_url_string
from zope.interface import implementer

from pipeline.netpolicy import HostRules, Refusal, address_refusal
from pipeline.sites import site_of
from pipeline.storage import set_fetch_outcome
from spiders.context import CrawlContext
from spiders.redirects import QuietMetaRefreshMiddleware

log = logging.getLogger("dadkhah.crawl")

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# How long a name's refused DNS answer explains a later "cannot resolve" of that name.
_DNS_REFUSAL_SECONDS = 600.0


class FetchRefused(IgnoreRequest):
    """A request the fetch policy will not make (or follow); ``outcome`` names the fetch row's outcome."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.reason)
        self.outcome = refusal.outcome
        self.reason = refusal.reason


# -- process-wide state: the resolver serves every outlet crawled in this process ---------
# Sites (registrable domains) and host suffixes of the outlets crawled with
# allow_private_network: only names under these may resolve to non-public addresses.
_PRIVATE_SITES: set[str] = set()
_PRIVATE_HOSTS: set[str] = set()
# Names whose every DNS answer the resolver refused, with why and when.
_DNS_REFUSALS: dict[str, tuple[str, float]] = {}


def _ascii_host(host: str) -> str:
    host = host.strip("[]").rstrip(".").lower()
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def register_private_outlet(rules: HostRules) -> None:
    """Let the names of an outlet with allow_private_network resolve to non-public addresses."""
    _PRIVATE_SITES.add(rules.site)
    _PRIVATE_HOSTS.update(rules.allowed_hosts)


def private_network_host(host: str) -> bool:
    """Whether ``host`` belongs to an outlet crawled here with allow_private_network."""
    if not _PRIVATE_SITES and not _PRIVATE_HOSTS:
        return False
    if site_of(host) in _PRIVATE_SITES:
        return True
    return any(host == h or host.endswith("." + h) for h in _PRIVATE_HOSTS)


def dns_refusal(host: str) -> str | None:
    """Why the resolver refused every address of ``host`` lately, or None."""
    entry = _DNS_REFUSALS.get(_ascii_host(host))
    if entry is None or time.monotonic() - entry[1] > _DNS_REFUSAL_SECONDS:
        return None
    return entry[0]


@implementer(IResolutionReceiver)
class _FilteringReceiver:
    """Passes on only the addresses the policy allows for the name being resolved."""

    def __init__(self, receiver: Any, host: str) -> None:
        self._receiver = receiver
        self._host = _ascii_host(host)
        self._allow_private = private_network_host(self._host)
        self._refused: list[str] = []
        self._passed = 0

    def resolutionBegan(self, resolution: Any) -> None:  # noqa: N802 - Twisted interface
        self._receiver.resolutionBegan(resolution)

    def addressResolved(self, address: Any) -> None:  # noqa: N802 - Twisted interface
        try:
            ip = ipaddress.ip_address(address.host.split("%", 1)[0])
        except (AttributeError, ValueError):
            self._refused.append(f"{address!r} (not an IP address)")
            return
        why = address_refusal(ip, self._allow_private)
        if why:
            self._refused.append(f"{ip} ({why})")
            return
        self._passed += 1
        self._receiver.addressResolved(address)

    def resolutionComplete(self) -> None:  # noqa: N802 - Twisted interface
        if self._refused and not self._passed:
            why = f"host {self._host} resolves only to refused addresses: {', '.join(self._refused[:4])}"
            if len(_DNS_REFUSALS) > 10_000:
                _DNS_REFUSALS.clear()
            _DNS_REFUSALS[self._host] = (why, time.monotonic())
        else:
            _DNS_REFUSALS.pop(self._host, None)
        self._receiver.resolutionComplete()


@implementer(IHostnameResolver)
class PolicyResolver:
    """Wraps the reactor's name resolver (Scrapy's caching one) with the address rules.

    Every TCP connection Scrapy's HTTP handler makes goes through a HostnameEndpoint, which
    asks this resolver, IP-literal hosts included, and connects only to the addresses it
    passes on: the check is at connection time, on the very answer used.
    """

    def __init__(self, wrapped: Any) -> None:
        self.wrapped = wrapped

    def resolveHostName(  # noqa: N802 - Twisted interface
        self,
        resolutionReceiver: Any,  # noqa: N803
        hostName: str,  # noqa: N803
        portNumber: int = 0,  # noqa: N803
        addressTypes: Any = None,  # noqa: N803
        transportSemantics: str = "TCP",  # noqa: N803
    ) -> Any:
        return self.wrapped.resolveHostName(
            _FilteringReceiver(resolutionReceiver, hostName),
            hostName,
            portNumber,
            addressTypes,
            transportSemantics,
        )


def install_resolver(reactor: Any) -> None:
    """Put the policy resolver in front of the reactor's own (once per process)."""
    if not isinstance(reactor.nameResolver, PolicyResolver):
        reactor.installNameResolver(PolicyResolver(reactor.nameResolver))


# -- the middlewares ---------------------------------------------------------------------
class _PolicyBase:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self._rules: HostRules | None = None

    @property
    def context(self) -> CrawlContext:
        return self.crawler.spider.context  # type: ignore[union-attr]

    @property
    def rules(self) -> HostRules:
        if self._rules is None:
            self._rules = self.context.outlet.host_rules()
        return self._rules

    def check(self, url: str) -> Refusal | None:
        rules = self.rules
        refusal = rules.check(url)
        if refusal is None and not rules.allow_private:
            host = urlsplit(url).hostname or ""
            if private_network_host(host):
                why = f"host {host} belongs to an outlet crawled with allow_private_network"
                refusal = Refusal("refused", why)
        return refusal

    def refuse(self, request: Request, refusal: Refusal) -> FetchRefused:
        """The exception to raise; counted here only if no spider errback will count it."""
        if request.errback is None:  # e.g. robots.txt requests made by Scrapy itself
            self.context.stats.fail(refusal.outcome, f"{request.url[:300]}: {refusal.reason}")
        return FetchRefused(refusal)


class FetchPolicyMiddleware(_PolicyBase):
    """Refuses a request before anything is sent (priority 50: before robots.txt)."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._resolver_installed = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FetchPolicyMiddleware:
        middleware = cls(crawler)
        outlet = crawler.spider.context.outlet  # type: ignore[union-attr]
        if outlet.allow_private_network:
            register_private_outlet(outlet.host_rules())
        return middleware

    def process_request(self, request: Request) -> None:
        if not self._resolver_installed:
            from twisted.internet import reactor

            install_resolver(reactor)
            self._resolver_installed = True
        refusal = self.check(request.url)
        if refusal is None:
            visited = request.meta.get("redirect_urls")
            if visited and _defrag(request.url) in {_defrag(u) for u in visited}:
                refusal = Refusal("redirect_loop", f"redirect back to {request.url[:300]}, visited before")
        if refusal is not None:
            raise self.refuse(request, refusal)
        return None


class FetchGuardMiddleware(_PolicyBase):
    """Checks raw responses and errors next to the fetch log (priority 945, inside 950)."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.max_redirects = crawler.settings.getint("REDIRECT_MAX_TIMES")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FetchGuardMiddleware:
        return cls(crawler)

    def _relabel(self, request: Request, refusal: Refusal) -> FetchRefused:
        from spiders.fetchlog import META_FETCH_ID

        fetch_id = request.meta.get(META_FETCH_ID)
        if fetch_id is not None:
            set_fetch_outcome(self.context.db, fetch_id, refusal.outcome, refusal.reason[:2000])
        return self.refuse(request, refusal)

    def process_response(self, request: Request, response: Response) -> Response:
        ip = response.ip_address
        # (Through a proxy, the address is the proxy's: the address rule is then the proxy's job.)
        if ip is not None and not self.rules.allow_private and not request.meta.get("proxy"):
            host = urlsplit(request.url).hostname or ""
            why = address_refusal(ip, private_network_host(host))
            if why:
                raise self._relabel(request, Refusal("refused", f"the response came from {ip} ({why})"))
        if response.status in REDIRECT_STATUSES and b"Location" in response.headers:
            refusal = self._redirect_refusal(request, response)
            if refusal is not None:
                raise self._relabel(request, refusal)
        return response

    def _redirect_refusal(self, request: Request, response: Response) -> Refusal | None:
        meta = request.meta
        if (
            meta.get("dont_redirect")
            or meta.get("handle_httpstatus_all")
            or response.status in meta.get("handle_httpstatus_list", ())
        ):
            return None  # Scrapy's redirect middleware will not follow it either
        try:
            target = urljoin(request.url, safe_url_string(response.headers[b"Location"]))
        except ValueError as exc:
            return Refusal("refused", f"redirect to a Location that cannot be parsed ({exc})")
        refusal = self.check(target)
        if refusal is not None:
            return Refusal(refusal.outcome, f"redirect to {target[:300]}: {refusal.reason}")
        visited = {_defrag(u) for u in meta.get("redirect_urls", ())} | {_defrag(request.url)}
        if _defrag(target) in visited:
            return Refusal("redirect_loop", f"redirect to {target[:300]}, visited before")
        hops = meta.get("redirect_times", 0)
        if hops >= self.max_redirects:
            why = f"redirect {hops + 1} to {target[:300]} exceeds the limit of {self.max_redirects}"
            return Refusal("redirect_loop", why)
        return None

    def process_exception(self, request: Request, exception: Exception) -> None:
        if isinstance(exception, CannotResolveHostError):
            why = dns_refusal(urlsplit(request.url).hostname or "")
            if why:
                raise self._relabel(request, Refusal("refused", why))
        return None


class SelfRefreshMetaRefreshMiddleware(QuietMetaRefreshMiddleware):
    """Scrapy's meta-refresh handling, except that a page refreshing itself is kept.

    ``<meta http-equiv=refresh content="60; url=(its own URL)">`` reloads the page for a
    reader; following it would loop, and the page, which is the content, would be lost."""

    def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        result = super().process_response(request, response)
        if isinstance(result, Request) and _defrag(result.url) == _defrag(response.url):
            return response
        return result


def _defrag(url: str) -> str:
    return urldefrag(url)[0]
