"""Which URLs, hosts and addresses an outlet's crawl may reach: the rules, without Scrapy.

A hostile outlet (or one that has been compromised) must not make the archive fetch local
files, internal services or other sites' pages as its own. Config validation
(``pipeline.config``) and the crawl's fetch policy (``spiders.policy``) share these rules,
so a URL refused at run time is refused for the same reason when it is configured.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from urllib.parse import urlsplit

from pipeline.sites import site_of

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Longest URL fetched, in characters of its percent-encoded form. A 5,000-character Persian
# slug percent-encodes to 26,000-30,000 characters; 64 KiB leaves room for a query on top.
# Longer URLs are refused with a fetch row (outcome url_too_long), never dropped unseen.
MAX_URL_LENGTH = 65_536
SCHEMES = frozenset({"http", "https"})
DEFAULT_PORTS = {"http": 80, "https": 443}

# Never reached, even with allow_private_network: cloud instance-metadata services (they
# hand out credentials), plus ranges no outlet can live on (link-local, unspecified,
# multicast, broadcast).
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254")
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_BROADCAST = ipaddress.ip_address("255.255.255.255")
_LOCALHOST_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
# Host names as they appear in a URL after IDNA encoding (underscores occur in real names).
_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$"
)
_LEGACY_IPV4 = re.compile(r"^[0-9a-fx.]+$")


def _embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, NAT64, 6to4, Teredo client)."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    return None


@lru_cache(maxsize=4096)
def address_refusal(ip: IPAddress, allow_private: bool) -> str | None:
    """Why a connection to ``ip`` is refused ('loopback', 'private', ...), or None.

    Non-public addresses are refused unless ``allow_private`` (the outlet's
    allow_private_network opt-in); metadata, link-local, unspecified, multicast and broadcast
    addresses are refused either way.
    """
    embedded = _embedded_ipv4(ip)
    if embedded is not None:
        why = address_refusal(embedded, allow_private)
        return f"{why} (as {embedded})" if why else None
    if ip in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_multicast:
        return "multicast"
    if ip.is_link_local:
        return "link-local"
    if ip == _BROADCAST:
        return "broadcast"
    if allow_private:
        return None
    if ip.is_loopback:
        return "loopback"
    if ip.is_private:
        return "private"
    if ip.is_reserved:
        return "reserved"
    if not ip.is_global:
        return "not public"
    return None


@lru_cache(maxsize=4096)
def ip_literal(host: str) -> IPAddress | None:
    """The address a URL host names directly (also legacy forms like ``127.1``), else None."""
    host = host.strip("[]")
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    if _LEGACY_IPV4.match(host) and not host.endswith("."):
        try:  # what the system resolver accepts as an address: 2130706433, 0x7f.1, 127.1
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def is_localhost_name(host: str) -> bool:
    host = host.rstrip(".")
    return host in _LOCALHOST_NAMES or host.endswith(".localhost")


def host_syntax_refusal(host: str) -> str | None:
    if not host:
        return "the URL has no host"
    if ip_literal(host) is not None:
        return None
    if not _HOSTNAME.match(host.rstrip(".")):
        return f"host {host[:100]!r} is not a valid host name"
    return None


def private_host_refusal(host: str, allow_private: bool) -> str | None:
    """Why a host named in a URL is refused by the address rules alone (before DNS)."""
    ip = ip_literal(host)
    if ip is not None:
        why = address_refusal(ip, allow_private)
        return f"address {ip} is {why}" if why else None
    if not allow_private and is_localhost_name(host):
        return f"host {host} is a loopback name"
    return None


def normalise_host(entry: str) -> str:
    """An ``allowed_hosts`` entry as URL hosts are compared: lower case, IDNA, no dot at the end."""
    host = entry.strip().lower().rstrip(".")
    if ip_literal(host) is not None:
        return str(ip_literal(host))
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


@dataclass(frozen=True)
class Refusal:
    """A URL the policy will not fetch: the fetch outcome and why, for the fetch row."""

    outcome: str  # refused | url_too_long
    reason: str


@dataclass
class HostRules:
    """One outlet's policy: its site, the other hosts it may use, its ports, its opt-in."""

    home_host: str
    allowed_hosts: tuple[str, ...] = ()
    ports: frozenset[int] = frozenset({80, 443})
    allow_private: bool = False
    _verdicts: dict[str, str | None] = field(default_factory=dict, repr=False)

    @classmethod
    def for_urls(cls, home: str, urls: list[str], allowed_hosts: list[str], allow_private: bool) -> HostRules:
        ports = {80, 443}
        for url in [home, *urls]:
            try:
                port = urlsplit(url).port
            except ValueError:
                port = None
            if port is not None:
                ports.add(port)
        return cls(
            home_host=(urlsplit(home).hostname or "").rstrip("."),
            allowed_hosts=tuple(normalise_host(h) for h in allowed_hosts),
            ports=frozenset(ports),
            allow_private=allow_private,
        )

    @cached_property
    def site(self) -> str:
        """The registrable domain of the outlet's home (an IP literal: that address)."""
        return site_of(self.home_host)

    def on_site(self, host: str) -> bool:
        """Whether ``host`` is the outlet's own site or one of its allowed hosts."""
        if host == self.home_host or site_of(host) == self.site:
            return True
        return any(host == h or host.endswith("." + h) for h in self.allowed_hosts)

    def host_refusal(self, host: str) -> str | None:
        """Why this outlet may not fetch from ``host`` (cached per host), or None."""
        try:
            return self._verdicts[host]
        except KeyError:
            pass
        why = host_syntax_refusal(host) or private_host_refusal(host, self.allow_private)
        if why is None and not self.on_site(host):
            why = f"host {host} is not on the outlet's site ({self.site}) nor in its allowed_hosts"
        if len(self._verdicts) < 10_000:
            self._verdicts[host] = why
        return why

    def check(self, url: str) -> Refusal | None:
        """The refusal of ``url`` by scheme, length, user info, port and host, or None."""
        if len(url) > MAX_URL_LENGTH:
            return Refusal("url_too_long", f"URL is {len(url)} characters; the limit is {MAX_URL_LENGTH}")
        try:
            parts = urlsplit(url)
            host = parts.hostname or ""
        except ValueError as exc:  # e.g. an unclosed IPv6 bracket
            return Refusal("refused", f"the URL cannot be parsed ({exc})")
        scheme = parts.scheme.lower()
        if scheme not in SCHEMES:
            return Refusal("refused", f"scheme {scheme or '(none)'!r} is not http or https")
        if "@" in parts.netloc:
            return Refusal("refused", "the URL carries user info (user@host)")
        why = self.host_refusal(host)
        if why:
            return Refusal("refused", why)
        try:
            port = parts.port or DEFAULT_PORTS[scheme]
        except ValueError:
            return Refusal("refused", f"port in {parts.netloc[:100]!r} is not a valid port number")
        if port not in self.ports:
            allowed = ", ".join(str(p) for p in sorted(self.ports))
            return Refusal("refused", f"port {port} is not one of the outlet's ports ({allowed})")
        return None
