"""HTML, feeds and sitemaps for the fixture site, with the junk real sites carry."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

import yaml

DATA_FILE = Path(__file__).with_name("articles.yaml")


def load_content() -> dict[str, Any]:
    return yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))


def article_path(article: dict[str, Any]) -> str:
    return f"/news/{article['slug']}/"


def _today_banner(lang: str) -> str:
    now = datetime.now(UTC)
    if lang == "fa":
        # Site chrome that shows today's date is a known trap for date finders.
        return f'<div class="top-date">امروز: {now:%Y/%m/%d}</div>'
    return f'<div class="top-date">Today is {now:%A, %B %d, %Y}</div>'


def _date_markup(article: dict[str, Any]) -> tuple[str, str]:
    """(head markup, visible byline date) according to the article's date style."""
    style = article.get("date_style", "meta")
    published = article["published"]
    if style == "json-ld":
        ld = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": article["title"],
            "datePublished": published,
            "author": {"@type": "Person", "name": article["author"]},
        }
        return f'<script type="application/ld+json">{json.dumps(ld, ensure_ascii=False)}</script>', ""
    if style == "meta":
        return f'<meta property="article:published_time" content="{published}">', ""
    if style == "time":
        return "", f'<time datetime="{published}">{published[:10]}</time>'
    return "", f'<span class="date">{escape(article["published_jalali"])}</span>'


def article_html(
    article: dict[str, Any],
    outlet: dict[str, Any],
    base_url: str,
    *,
    canonical: str | None = None,
    amp: bool = False,
    latest: list[dict[str, Any]] | None = None,
    layout: str = "standard",
) -> str:
    if layout == "redesigned":
        return redesigned_article_html(article, outlet, base_url)
    lang = outlet["language"]
    rtl = lang == "fa"
    head_date, byline_date = _date_markup(article)
    paragraphs = "\n".join(f"<p>{escape(p)}</p>" for p in article["paragraphs"])
    canonical = canonical or base_url + article_path(article)
    related = "".join(
        f'<li><a href="{article_path(a)}">{escape(a["title"])}</a></li>' for a in (latest or [])[:4]
    )
    ui = _ui(lang)
    return f"""<!DOCTYPE html>
<html lang="{lang}" dir="{"rtl" if rtl else "ltr"}">
<head>
<meta charset="{article.get("encoding", "utf-8")}">
<title>{escape(article["title"])} | {escape(outlet["site_name"])}</title>
<link rel="canonical" href="{canonical}">
<meta property="og:site_name" content="{escape(outlet["site_name"])}">
<meta name="author" content="{escape(article["author"])}">
{head_date}
{'<link rel="amphtml" href="' + canonical + 'amp/">' if not amp else ""}
</head>
<body>
<div id="cookie-notice">{ui["cookie"]} <button>{ui["accept"]}</button></div>
<header>{_today_banner(lang)}<nav><a href="/">{ui["home"]}</a> <a href="/news/">{ui["news"]}</a>
<a href="/tag/executions/">{ui["tag"]}</a></nav></header>
<div class="breadcrumbs"><a href="/">{ui["home"]}</a> › <a href="/news/">{ui["news"]}</a> › {escape(article["title"])}</div>
<main>
<article>
<h1 class="entry-title">{escape(article["title"])}</h1>
<div class="byline">{ui["by"]} <span class="author">{escape(article["author"])}</span> {byline_date}</div>
<div class="share-bar">{ui["share"]} <a href="#">Facebook</a> <a href="#">X</a> <a href="#">Telegram</a></div>
<figure><img src="/img/photo.jpg" alt=""><figcaption>{ui["credit"]}</figcaption></figure>
<div class="entry-content">
{paragraphs}
</div>
<div class="newsletter">{ui["newsletter"]}</div>
</article>
<section id="comments"><h3>{ui["comments"]}</h3>
<div class="comment"><p>{ui["comment_text"]}</p></div>
<p class="comments-closed">Comments are closed.</p></section>
</main>
<aside><h3>{ui["latest"]}</h3><ul>{related}</ul><h3>{ui["must_read"]}</h3></aside>
<footer><p>{ui["technical"]}</p><p>© {datetime.now(UTC).year} {escape(outlet["site_name"])}</p></footer>
</body></html>"""


def redesigned_article_html(article: dict[str, Any], outlet: dict[str, Any], base_url: str) -> str:
    """The same story after a site redesign that an extractor was not written for.

    Dates and bylines are gone from the markup, and the body is loaded by a script: the
    served HTML holds only the teaser paragraph. Real redesigns do this overnight.
    """
    lang = outlet["language"]
    ui = _ui(lang)
    teaser = escape(article["paragraphs"][0])
    return f"""<!DOCTYPE html>
<html lang="{lang}" dir="{"rtl" if lang == "fa" else "ltr"}">
<head>
<meta charset="utf-8">
<title>{escape(article["title"])} | {escape(outlet["site_name"])}</title>
<link rel="canonical" href="{base_url + article_path(article)}">
<meta property="og:site_name" content="{escape(outlet["site_name"])}">
<script src="/static/app.js" defer></script>
</head>
<body>
<div id="cookie-notice">{ui["cookie"]} <button>{ui["accept"]}</button></div>
<header><nav><a href="/">{ui["home"]}</a> <a href="/news/">{ui["news"]}</a></nav></header>
<main>
<div class="story-shell">
<h1 class="headline">{escape(article["title"])}</h1>
<p class="standfirst">{teaser}</p>
<div id="story-body" data-src="/api/story/{escape(article["slug"])}.json"></div>
</div>
</main>
<footer><p>© {datetime.now(UTC).year} {escape(outlet["site_name"])}</p></footer>
</body></html>"""


_GENERATED_SENTENCES = (
    "Relatives of {name} said on day {n} of the campaign that they had still not been told where he was held.",
    "A lawyer for the family said that a request to visit {name} had been refused for the {n}th time this year.",
    "Witnesses in {city} described security forces detaining at least {k} people near the main square.",
    "The organisation said it had documented {k} similar cases in {city} since the spring and published {n} reports.",
    "Officials in {city} did not answer questions about the case, which was first reported in bulletin {n}.",
    "Colleagues of {name} said the charges appeared to be linked to statements made at a gathering in {city}.",
    "According to the report, {k} of the detainees were later moved to a prison outside {city}.",
    "Human rights groups called for the release of {name} and for an independent inquiry into bulletin {n}.",
)
_NAMES = (
    "Dariush Nikpour",
    "Mina Shafiei",
    "Reza Alavi",
    "Shirin Hosseini",
    "Omid Jafari",
    "Parisa Ghaffari",
)
_CITIES = ("Tabriz", "Rasht", "Kermanshah", "Yazd", "Ahvaz", "Mashhad", "Bandar Abbas")


def generated_article(outlet_key: str, number: int, published: str) -> dict[str, Any]:
    """A fictional, unique article for an outlet that keeps publishing (health tests).

    Its text is built from fixed sentence patterns with the article's number woven in, so
    every generated article has its own content hash and enough words to be an article.
    """
    name = _NAMES[number % len(_NAMES)]
    city = _CITIES[number % len(_CITIES)]
    paragraphs = []
    for p in range(4):
        picks = [_GENERATED_SENTENCES[(number + p * 3 + i) % len(_GENERATED_SENTENCES)] for i in range(3)]
        paragraphs.append(
            " ".join(s.format(name=name, city=city, n=number, k=number % 9 + p + 2) for s in picks)
        )
    return {
        "outlet": outlet_key,
        "slug": f"update-{number}-{city.lower().replace(' ', '-')}",
        "title": f"Bulletin {number}: detentions reported in {city}",
        "author": f"Desk reporter {number % 4 + 1}",
        "published": published,
        "date_style": "json-ld",
        "paragraphs": paragraphs,
    }


def _ui(lang: str) -> dict[str, str]:
    if lang == "fa":
        return {
            "cookie": "این وب‌سایت از کوکی‌ها استفاده می‌کند. با ادامه مرور، با سیاست حریم خصوصی ما موافقت می‌کنید.",
            "accept": "پذیرفتن",
            "home": "خانه",
            "news": "اخبار",
            "tag": "برچسب: اعدام",
            "by": "نویسنده:",
            "share": "اشتراک‌گذاری:",
            "credit": "عکس: آرشیو",
            "newsletter": "برای دریافت خبرنامه ما ثبت‌نام کنید.",
            "comments": "دیدگاه‌ها",
            "comment_text": "خدا رحمتش کند. این ظلم است.",
            "latest": "آخرین اخبار",
            "must_read": "حتما بخوانید",
            "technical": "اگر با مشکل فنی روبه‌رو شدید با ما تماس بگیرید.",
        }
    return {
        "cookie": "We use cookies to improve your experience. By continuing you accept our privacy policy.",
        "accept": "Accept",
        "home": "Home",
        "news": "News",
        "tag": "Tag: executions",
        "by": "By",
        "share": "Share this:",
        "credit": "Photo: archive image / credit Demo Agency",
        "newsletter": "Subscribe to our newsletter to get the latest news in your inbox.",
        "comments": "3 Comments",
        "comment_text": "This is heartbreaking. Thank you for reporting.",
        "latest": "Latest news",
        "must_read": "Must read",
        "technical": "If you experience technical problems, please contact the webmaster.",
    }


def listing_html(
    outlet: dict[str, Any], title: str, links: list[tuple[str, str]], next_url: str | None
) -> str:
    items = "".join(f'<li><h2><a href="{href}">{escape(text)}</a></h2></li>' for href, text in links)
    nxt = f'<a class="next" rel="next" href="{next_url}">Older posts »</a>' if next_url else ""
    return f"""<!DOCTYPE html><html lang="{outlet["language"]}"><head><meta charset="utf-8">
<title>{escape(title)} | {escape(outlet["site_name"])}</title></head>
<body><header>{_today_banner(outlet["language"])}</header><main><h1>{escape(title)}</h1>
<ul class="posts">{items}</ul>{nxt}</main><footer>© {datetime.now(UTC).year}</footer></body></html>"""


def rss_feed(outlet: dict[str, Any], base_url: str, entries: list[tuple[str, str, str | None]]) -> str:
    """RSS 2.0: entries are (url, title, ISO date or None)."""

    def rfc822(iso: str) -> str:
        return datetime.fromisoformat(iso).astimezone(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")

    items = "".join(
        f"<item><title>{escape(title)}</title><link>{escape(url)}</link>"
        f"<guid>{escape(url)}</guid>" + (f"<pubDate>{rfc822(date)}</pubDate>" if date else "") + "</item>"
        for url, title, date in entries
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>{escape(outlet['site_name'])}</title><link>{base_url}/</link>"
        f"<description>Demo feed</description>{items}</channel></rss>"
    )


def atom_feed(outlet: dict[str, Any], base_url: str, entries: list[tuple[str, str, str | None]]) -> str:
    """Atom: entries are (url, title, ISO date or None for a feed that gives no dates)."""
    items = "".join(
        f'<entry><title>{escape(title)}</title><link href="{escape(url)}"/><id>{escape(url)}</id>'
        + (f"<published>{date}</published><updated>{date}</updated>" if date else "")
        + "</entry>"
        for url, title, date in entries
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{escape(outlet['site_name'])}</title><id>{base_url}/</id>"
        f"<updated>{datetime.now(UTC).isoformat()}</updated>{items}</feed>"
    )


def urlset(entries: list[tuple[str, str | None]], *, news: bool = False) -> str:
    ns = (
        'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"'
    )
    rows = []
    for url, date in entries:
        if news and date:
            rows.append(
                f"<url><loc>{escape(url)}</loc><news:news><news:publication>"
                f"<news:name>Demo</news:name><news:language>fa</news:language>"
                f"</news:publication><news:publication_date>{date}</news:publication_date>"
                f"</news:news></url>"
            )
        else:
            lastmod = f"<lastmod>{date}</lastmod>" if date else ""
            rows.append(f"<url><loc>{escape(url)}</loc>{lastmod}</url>")
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset {ns}>{"".join(rows)}</urlset>'


def sitemap_index(urls: list[str]) -> str:
    rows = "".join(f"<sitemap><loc>{escape(u)}</loc></sitemap>" for u in urls)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{rows}</sitemapindex>'
    )
