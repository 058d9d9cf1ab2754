"""Outlet configuration: a validated YAML file of the sources to watch.

A bad file fails with the file, the outlet and the field named, before any network work.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import yaml
from pydantic import (
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from pipeline.netpolicy import (
    HostRules,
    address_refusal,
    host_syntax_refusal,
    ip_literal,
    normalise_host,
    private_host_refusal,
)
from pipeline.sites import is_public_suffix


class ConfigError(ValueError):
    """A user-facing configuration error (message names file, outlet and field)."""


HttpUrl = Annotated[str, Field(min_length=1)]


def _check_http_url(value: str, what: str = "value") -> str:
    try:
        AnyHttpUrl(value)
    except ValueError as exc:
        reason = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
        raise ValueError(f"{what} {value!r} is not an http(s) URL ({reason})") from None
    return value


def _refused_even_with_opt_in(host: str) -> bool:
    """Whether the host is an address refused even with allow_private_network (metadata...)."""
    ip = ip_literal(host)
    return ip is not None and address_refusal(ip, True) is not None


DEFAULT_REVISIT_DAYS = (1.0, 7.0, 30.0, 180.0)


class RevisitConfig(BaseModel):
    """When stored articles are fetched again (days after first capture); see pipeline/revisit."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    after_days: list[float] = Field(default_factory=lambda: list(DEFAULT_REVISIT_DAYS), min_length=1)
    max_per_run: int = Field(default=500, ge=1, le=100_000)

    @field_validator("after_days")
    @classmethod
    def _increasing(cls, value: list[float]) -> list[float]:
        for i, days in enumerate(value):
            if not 0 < days <= 36_500:
                raise ValueError(f"entry {i + 1}: {days} is not a number of days in (0, 36500]")
            if i and days <= value[i - 1]:
                raise ValueError(f"entry {i + 1}: {days} is not after the entry before it ({value[i - 1]})")
        return value


class OutletConfig(BaseModel):
    """One outlet: where to find its articles and how politely to fetch them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=200)
    home: HttpUrl
    language: str = Field(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]+)?$")
    affiliation: str = ""
    feeds: list[HttpUrl] = Field(default_factory=list)
    sitemaps: list[HttpUrl] = Field(default_factory=list)
    listing_pages: list[HttpUrl] = Field(default_factory=list)
    max_listing_pages: int = Field(default=3, ge=1, le=1000)
    article_url_pattern: str | None = None
    exclude_url_pattern: str | None = None
    max_articles_per_run: int = Field(default=200, ge=1, le=100_000)
    min_delay_seconds: float = Field(default=1.0, ge=0, le=600)
    timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    drop_selectors: list[str] = Field(default_factory=list)
    drop_line_patterns: list[str] = Field(default_factory=list)
    # Opt-in for tests, the demo and the fixture site only: lets this outlet's fetches reach
    # loopback, private and other non-public addresses (refused by default). Cloud metadata,
    # link-local, multicast and unspecified addresses stay refused even then.
    allow_private_network: bool = False
    # Hosts besides the home's registrable domain that may serve this outlet's feeds,
    # sitemaps, listings and articles (each entry also covers its subdomains).
    allowed_hosts: list[str] = Field(default_factory=list)
    # Discovery documents (sitemap children, listing next pages) requested per pass beyond
    # the configured entry points; a sitemap index listing thousands of children stops here
    # (children with the latest <lastmod> are requested first).
    max_discovery_requests: int = Field(default=500, ge=1, le=100_000)
    enabled: bool = True
    # Passes with no article (not an article, not HTML, binary, HTTP or network errors)
    # before a URL is settled and never fetched again; see pipeline/retry.py.
    settle_after_attempts: int = Field(default=3, ge=1, le=50)
    # Revisits of stored articles: `revisit: false` turns them off for this outlet.
    revisit: RevisitConfig = Field(default_factory=RevisitConfig)

    @field_validator("revisit", mode="before")
    @classmethod
    def _revisit_switch(cls, value: object) -> object:
        if isinstance(value, bool):
            return {"enabled": value}
        return value

    @field_validator("home", "feeds", "sitemaps", "listing_pages")
    @classmethod
    def _urls(cls, value: str | list[str]) -> str | list[str]:
        if isinstance(value, list):
            return [_check_http_url(v, f"entry {i + 1}") for i, v in enumerate(value)]
        return _check_http_url(value)

    @field_validator("allowed_hosts")
    @classmethod
    def _hosts(cls, value: list[str]) -> list[str]:
        hosts = []
        for entry in value:
            host = normalise_host(entry)
            if any(c in entry for c in "/@ ") or (":" in host and ip_literal(host) is None):
                raise ValueError(f"{entry!r} is not a host name (give no scheme, port or path)")
            why = host_syntax_refusal(host)
            if why:
                raise ValueError(why)
            if ip_literal(host) is None and is_public_suffix(host):
                raise ValueError(f"{entry!r} is a public suffix: it would allow every site under it")
            hosts.append(host)
        return hosts

    @field_validator("article_url_pattern", "exclude_url_pattern")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from exc
        return value

    @field_validator("drop_line_patterns")
    @classmethod
    def _regexes(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"{pattern!r} is not a valid regular expression: {exc}") from exc
        return value

    @model_validator(mode="after")
    def _has_entry_point(self) -> OutletConfig:
        if not (self.feeds or self.sitemaps or self.listing_pages):
            raise ValueError("needs at least one of feeds, sitemaps or listing_pages")
        return self

    @model_validator(mode="after")
    def _reachable_by_policy(self) -> OutletConfig:
        """Every configured URL passes the fetch policy the crawl applies (spiders.policy)."""
        rules = self.host_rules()
        for host in self.allowed_hosts:
            why = private_host_refusal(host, self.allow_private_network)
            if why:
                raise ValueError(f"allowed_hosts: {host!r}: {why}")
        for what, urls in (
            ("home", [self.home]),
            ("feeds", self.feeds),
            ("sitemaps", self.sitemaps),
            ("listing_pages", self.listing_pages),
        ):
            for url in urls:
                host = urlsplit(url).hostname or ""
                why = private_host_refusal(host, self.allow_private_network)
                if why and _refused_even_with_opt_in(host):
                    raise ValueError(f"{what}: {url!r}: {why}, refused even with allow_private_network")
                if why:
                    raise ValueError(
                        f"{what}: {url!r}: {why}; only an outlet with allow_private_network: true"
                        " (tests, demo) may use such an address"
                    )
                refusal = rules.check(url)
                if refusal:
                    raise ValueError(f"{what}: {url!r}: {refusal.reason}")
        return self

    def host_rules(self) -> HostRules:
        """This outlet's fetch policy: its site, allowed hosts and ports, private opt-in."""
        return HostRules.for_urls(
            self.home,
            [*self.feeds, *self.sitemaps, *self.listing_pages],
            self.allowed_hosts,
            self.allow_private_network,
        )

    def wants_url(self, url: str) -> bool:
        """Whether a discovered URL may be an article of this outlet (config patterns)."""
        if self.exclude_url_pattern and re.search(self.exclude_url_pattern, url):
            return False
        if self.article_url_pattern:
            return re.search(self.article_url_pattern, url) is not None
        return True


class OutletsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outlets: list[OutletConfig]
    source: str = ""

    @model_validator(mode="after")
    def _unique_names(self) -> OutletsConfig:
        seen: set[str] = set()
        for outlet in self.outlets:
            if outlet.name in seen:
                raise ValueError(f"outlet name {outlet.name!r} appears twice")
            seen.add(outlet.name)
        return self

    def select(self, names: list[str] | None) -> list[OutletConfig]:
        """The enabled outlets, or exactly the named ones (unknown names are an error)."""
        if not names:
            return [o for o in self.outlets if o.enabled]
        by_name = {o.name: o for o in self.outlets}
        unknown = [n for n in names if n not in by_name]
        if unknown:
            raise ConfigError(
                f"{self.source}: unknown outlet(s) {', '.join(map(repr, unknown))}; "
                f"configured: {', '.join(sorted(by_name))}"
            )
        return [by_name[n] for n in names]

    def get(self, name: str) -> OutletConfig:
        return self.select([name])[0]


def _describe(error: dict, raw: dict, path: Path) -> str:
    loc = list(error.get("loc", ()))
    where = ""
    if len(loc) >= 2 and loc[0] == "outlets" and isinstance(loc[1], int):
        index = loc[1]
        outlets = raw.get("outlets") or []
        name = (
            outlets[index].get("name") if index < len(outlets) and isinstance(outlets[index], dict) else None
        )
        where = f"outlet #{index + 1}" + (f" ({name!r})" if name else "")
        loc = loc[2:]
    field = ".".join(str(p) for p in loc) or "(outlet)"
    return f"{path}: {where or 'top level'}: field {field}: {error.get('msg')}"


def load_outlets(path: Path | str) -> OutletsConfig:
    """Read and validate an outlets file; raise ConfigError naming file, outlet and field."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: file not found") from exc
    except IsADirectoryError as exc:
        raise ConfigError(f"{path}: is a folder, not an outlets file") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start}: {exc.reason})") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("outlets"), list):
        raise ConfigError(f"{path}: top level must be a mapping with an 'outlets' list")
    try:
        config = OutletsConfig.model_validate({**raw, "source": str(path)})
    except ValidationError as exc:
        raise ConfigError("\n".join(_describe(e, raw, path) for e in exc.errors())) from exc
    return config
