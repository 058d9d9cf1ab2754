"""Bot walls and challenge pages: answers about the crawler, not about the page.

A CDN or firewall that wants a browser answers with a small page of its own ("Just a
moment...", "Checking your browser", "Access Denied", a captcha, a script that sets a
cookie and reloads), often with HTTP 200. Such a page says nothing about the URL: it is
recorded as ``blocked`` and never settles the URL (see ``pipeline.retry``).

Recognition is tiered, so a real article that mentions Cloudflare or embeds a comment-form
captcha is not taken for a wall:
- the ``cf-mitigated: challenge`` header, and tokens only a challenge page carries
  (Cloudflare's challenge script names and form ids), count on any page of wall size
  (``WALL_MAX_CHARS``; real articles are mostly larger and are not examined further);
- vendor phrases and pages (Cloudflare, DDoS-Guard, Sucuri, Imperva, DataDome, PerimeterX,
  AWS WAF, ArvanCloud, Akamai), and a 403/429/503 from a CDN, count on a small page with
  little visible text (a wall, not an article);
- generic signs (a captcha widget, "verify you are human", "enable JavaScript and
  cookies", a script that only redirects or sets a cookie) only on a nearly empty page.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# Visible text up to this many characters is "little": walls say a sentence or two (a
# Sucuri block page, among the longest, ~700); the shortest real articles (30 words) ~180.
SMALL_PAGE_CHARS = 1000
EMPTY_PAGE_CHARS = 300
# Walls are small documents (Cloudflare's, with its inline scripts, ~30 KB): a longer page is
# no wall (only the header can say otherwise), which keeps the check free on real articles.
WALL_MAX_CHARS = 64_000

# (what is recognised, literal to look for first, confirming pattern): tokens that only
# challenge pages carry. Case-sensitive, as the vendor writes them.
_DEFINITE = tuple(
    (what, needle, re.compile(pattern))
    for what, needle, pattern in (
        ("Cloudflare challenge (cf_chl_opt)", "cf_chl_", r"cf_chl_(?:opt|prog|jschl)"),
        (
            "Cloudflare challenge (challenge form)",
            "challenge-",
            r"id=[\"']challenge-(?:form|running|stage|body-text)[\"']",
        ),
        ("Cloudflare challenge (jschl)", "jschl", r"jschl[-_](?:vc|answer)"),
    )
)
# Phrases, vendor names and widgets that mark a wall when the page has little else to say
# (a protected site's ordinary pages may load the same vendor's scripts).
_ON_SMALL_PAGE = tuple(
    (what, re.compile(pattern, re.IGNORECASE))
    for what, pattern in (
        ("Cloudflare 'Just a moment'", r"<title>\s*Just a moment\.*\s*</title>"),
        ("Cloudflare 'Attention Required'", r"Attention Required!\s*\|\s*Cloudflare"),
        ("DDoS-Guard", r"DDoS[- ]Guard|__ddg[0-9a-z_]*="),
        ("Sucuri firewall", r"Sucuri WebSite Firewall|cloudproxy@sucuri\.net"),
        ("Imperva/Incapsula", r"Incapsula incident ID|_Incapsula_Resource"),
        ("DataDome", r"captcha-delivery\.com|datadome"),
        ("PerimeterX/HUMAN", r"\bpx-captcha\b|_pxAppId|Press (?:&amp;|&) Hold"),
        ("AWS WAF", r"awswaf|AwsWafIntegration"),
        ("ArvanCloud", r"arvancloud|ابر\s*آروان"),
        ("Akamai 'Access Denied'", r"You don't have permission to access .{0,200}? on this server"),
        ("'Access Denied' page", r"<title>\s*(?:Access Denied|403 Forbidden|Request Rejected)\s*</title>"),
        ("'Checking your browser'", r"Checking (?:your browser|if the site connection is secure)"),
    )
)
# Generic signs (a captcha, a plea for JavaScript) mark a wall only on a nearly empty page: a
# short real article may well carry a captcha on its comment form.
_ON_EMPTY_PAGE = tuple(
    (what, re.compile(pattern, re.IGNORECASE))
    for what, pattern in (
        (
            "'verify you are human'",
            r"verify(?:ing)? (?:that )?you are (?:a )?human|are you a robot|not a robot",
        ),
        ("'enable JavaScript and cookies'", r"enable JavaScript and cookies|turn JavaScript on and reload"),
        ("captcha widget", r"\b(?:g-recaptcha|h-captcha|cf-turnstile|captcha-container)\b"),
    )
)
# A script that only sends the browser elsewhere or reloads with a cookie.
_SCRIPT_REDIRECT = re.compile(
    r"(?:window\.|document\.|top\.)?location(?:\.href)?\s*=|location\.(?:replace|assign|reload)\s*\("
    r"|document\.cookie\s*=",
    re.IGNORECASE,
)
_SCRIPT_OR_STYLE = re.compile(r"<(script|style|noscript)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_SCRIPTS = re.compile(r"<script\b[^>]*>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
# Headers only walls send; and the servers whose 403/429/503 bodies are walls.
_WALL_SERVERS = re.compile(r"cloudflare|ddos-guard|sucuri|akamaighost|arvancloud|incapsula", re.I)


def visible_text_length(html: str) -> int:
    """Characters a reader sees: scripts, styles, tags and runs of space removed."""
    return len(_SPACE.sub(" ", _TAG.sub(" ", _SCRIPT_OR_STYLE.sub(" ", html))).strip())


def _header(headers: Mapping[str, str] | None, name: str) -> str:
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return value or ""
    return ""


def header_wall(headers: Mapping[str, str] | None) -> str | None:
    """A wall the response headers alone declare (whatever the body)."""
    if _header(headers, "cf-mitigated").strip().lower() == "challenge":
        return "Cloudflare challenge (cf-mitigated header)"
    return None


def recognise_wall(status: int, headers: Mapping[str, str] | None, html: str) -> str | None:
    """What wall ``html`` (answered with ``status``) is, or None for an ordinary page."""
    by_header = header_wall(headers)
    if by_header or len(html) > WALL_MAX_CHARS:
        return by_header
    for what, needle, pattern in _DEFINITE:
        if needle in html and pattern.search(html):
            return what
    visible = visible_text_length(html)
    if visible > SMALL_PAGE_CHARS:
        return None
    for what, pattern in _ON_SMALL_PAGE:
        if pattern.search(html):
            return f"{what} on a page of {visible} visible characters"
    server = _header(headers, "server")
    if status in (403, 429, 503) and _WALL_SERVERS.search(server):
        return f"HTTP {status} from {server.strip()[:60]} on a page of {visible} visible characters"
    if visible > EMPTY_PAGE_CHARS:
        return None
    for what, pattern in _ON_EMPTY_PAGE:
        if pattern.search(html):
            return f"{what} on a page of {visible} visible characters"
    if any(_SCRIPT_REDIRECT.search(script) for script in _SCRIPTS.findall(html)):
        return f"script redirect on a page of {visible} visible characters"
    return None
