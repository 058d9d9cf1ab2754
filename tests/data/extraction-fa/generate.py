"""Build the Persian extraction set: ``NN-<template>.html`` pages and ``gold.json``.

    python tests/data/extraction-fa/generate.py

The shells copy the shapes Persian outlets use (WordPress RTL themes, news-agency CMSs,
blogs, NGO sites): Jalali dates in headers and bylines, a "today" date in the site header,
share bars, «بیشتر بخوانید» blocks inside the body, related-news lists, comments, tags,
"news code" lines. The article texts and gold come from ``articles.py``. Gold dates are the
Gregorian day of each article's Jalali date, converted with the project's converter (checked
against the official calendar in tests/test_extraction_dates.py).
"""

from __future__ import annotations

import html
import json
import sys
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[2]))

from articles import ARTICLES  # noqa: E402

from pipeline.extraction.jalali import jalali_to_gregorian  # noqa: E402

ZWNJ = "\u200c"
MONTHS = ["فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند"]
WEEKDAYS = ["دوشنبه", "سه\u200cشنبه", "چهارشنبه", "پنج\u200cشنبه", "جمعه", "شنبه", "یک\u200cشنبه"]
DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
SITES = [
    ("خبرگزاری دادپویان", "dadpouyan.example.ir"),
    ("هرانا نیوز نمونه", "hrana-sample.example.org"),
    ("روزنامه صبح امید", "sobh-omid.example.ir"),
    ("کانون مدافعان", "kanoon.example.org"),
    ("وبلاگ یادداشت\u200cهای یک معلم", "moallem.example.blog"),
]
# A short Persian teaser the «بیشتر بخوانید» blocks and related lists link to (not gold).
TEASERS = [
    "واکنش\u200cها به حکم تازه دادگاه ادامه دارد",
    "گزارش تصویری از تجمع دیروز",
    "آخرین وضعیت پرونده بازداشت\u200cشدگان",
    "نامه خانواده\u200cها به رئیس قوه قضاییه",
    "بیانیه تازه تشکل\u200cهای صنفی",
]
COMMENTS = [
    ("علی", "ممنون از گزارش دقیقتان، لطفاً پیگیری کنید."),
    ("ناشناس", "این وضعیت در شهر ما هم همین\u200cطور است و کسی پاسخگو نیست."),
]


def fa(n: int | str) -> str:
    return str(n).translate(DIGITS)


def jalali_long(j: tuple[int, int, int], g: date) -> str:
    return f"{WEEKDAYS[g.weekday()]} {fa(j[2])} {MONTHS[j[1] - 1]} {fa(j[0])}"


def jalali_numeric(j: tuple[int, int, int]) -> str:
    return fa(f"{j[0]}/{j[1]:02d}/{j[2]:02d}")


def paras(texts: list[str], read_more_after: int | None = None, teaser: str = "") -> str:
    out = []
    for i, t in enumerate(texts):
        out.append(f"<p>{html.escape(t)}</p>")
        if read_more_after is not None and i == read_more_after:
            out.append(
                f'<div class="read-more"><strong>بیشتر بخوانید:</strong> <a href="/news/1">{teaser}</a></div>'
            )
    return "".join(out)


def share_bar() -> str:
    return (
        '<div class="share"><span>اشتراک\u200cگذاری:</span> <a href="#">تلگرام</a> <a href="#">توییتر</a>'
        ' <a href="#">واتس\u200cاپ</a> <a href="#">فیس\u200cبوک</a></div>'
    )


def related(n: int) -> str:
    items = "".join(f'<li><a href="/news/{k}">{TEASERS[(n + k) % len(TEASERS)]}</a></li>' for k in range(4))
    return f'<section class="related-news"><h3>اخبار مرتبط</h3><ul>{items}</ul></section>'


def comments_block() -> str:
    items = "".join(
        f'<li class="comment"><div class="comment-author">{a}</div><div class="comment-body"><p>{t}</p></div></li>'
        for a, t in COMMENTS
    )
    return (
        f'<div id="comments" class="comments-area"><h3>دیدگاه\u200cها</h3><ol class="comment-list">{items}</ol>'
        "<p>دیدگاه خود را بنویسید</p></div>"
    )


def menu() -> str:
    links = ["صفحه اصلی", "سیاسی", "اجتماعی", "اقتصادی", "فرهنگی", "حقوق بشر", "تماس با ما"]
    return "<ul>" + "".join(f'<li><a href="/c/{i}">{x}</a></li>' for i, x in enumerate(links)) + "</ul>"


def head(title: str, site: str, extra: str = "") -> str:
    return (
        f'<!DOCTYPE html><html lang="fa-IR" dir="rtl"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)} - {site}</title>{extra}</head>"
    )


TODAY = (1404, 9, 10)  # the "today" the site headers show: never a publication date


def t_wordpress(n, a, site, host, url, g):
    title, authors, j, texts = a
    iso = f"{g.isoformat()}T{8 + n % 10:02d}:{(n * 7) % 60:02d}:00+03:30"
    return head(title, site) + (
        '<body class="rtl single-post"><header id="masthead" class="site-header">'
        f'<div class="site-branding"><a href="/">{site}</a></div>'
        f'<div class="header-date">{jalali_long(TODAY, date(2025, 12, 1))}</div>'
        f'<nav class="main-navigation">{menu()}</nav></header>'
        '<div id="content" class="site-content"><div id="primary" class="content-area"><main id="main">'
        '<article class="post type-post hentry"><header class="entry-header">'
        f'<h1 class="entry-title">{title}</h1><div class="entry-meta">'
        f'<span class="posted-on"><time class="entry-date published" datetime="{iso}">{jalali_long(j, g)}</time></span>'
        f' <span class="byline">نویسنده: <span class="author vcard"><a href="/author/x">{authors[0]}</a></span></span>'
        "</div></header>"
        f'<div class="entry-content">{paras(texts, 0, TEASERS[n % 5])}</div>'
        f'<footer class="entry-footer">{share_bar()}<span class="tags-links">برچسب\u200cها: <a href="/tag/a">حقوق بشر</a></span></footer>'
        f"</article>{related(n)}{comments_block()}</main></div>"
        f'<aside id="secondary" class="widget-area"><section class="widget"><h2 class="widget-title">پربازدیدترین\u200cها</h2>{related(n + 1)}</section></aside>'
        f'</div><footer id="colophon" class="site-footer"><p>کلیه حقوق برای {site} محفوظ است.</p></footer></body></html>'
    )


def t_agency(n, a, site, host, url, g):
    title, authors, j, texts = a
    lead, body = texts[0], texts[1:]
    return head(title, site, f'<meta property="og:title" content="{html.escape(title)}">') + (
        f'<body><div class="top-bar"><span>امروز: {jalali_long(TODAY, date(2025, 12, 1))}</span></div>'
        f'<div class="menu">{menu()}</div><div class="container"><div class="col-main">'
        f'<div class="news-head"><div class="news-code">کد خبر: {fa(100000 + n * 37)}</div>'
        f'<div class="news-date">{jalali_numeric(j)} - {fa(f"{9 + n % 12:02d}:{(n * 11) % 60:02d}")}</div>'
        f'<h1 class="title">{title}</h1></div>'
        f'<div class="lead">{html.escape(lead)}</div>'
        f'<div class="news-body">{paras(body, 0, TEASERS[(n + 2) % 5])}'
        f'<p class="reporter">خبرنگار: {" و ".join(authors)}</p></div>'
        f'{share_bar()}<div class="tags">برچسب\u200cها: <a href="/t/1">جامعه</a></div>{related(n)}</div>'
        f'<div class="col-side"><div class="box"><h4>آخرین اخبار</h4>{related(n + 2)}</div></div></div>'
        f'<div class="footer"><p>تمامی حقوق این سایت محفوظ است.</p></div></body></html>'
    )


def t_jsonld(n, a, site, host, url, g):
    title, authors, j, texts = a
    iso = f"{g.isoformat()}T{7 + n % 12:02d}:{(n * 13) % 60:02d}:00+03:30"
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": title,
        "datePublished": iso,
        "dateModified": f"{date.fromordinal(g.toordinal() + 3).isoformat()}T10:00:00+03:30",
        "author": [{"@type": "Person", "name": x} for x in authors],
        "publisher": {"@type": "Organization", "name": site},
        "inLanguage": "fa",
    }
    script = f'<script type="application/ld+json">{json.dumps(ld, ensure_ascii=False)}</script>'
    byline = " و ".join(authors)
    return head(title, site, script + f'<meta property="og:site_name" content="{site}">') + (
        f'<body><header class="header"><a class="logo" href="/">{site}</a><nav>{menu()}</nav></header>'
        f"<main><article><h1>{title}</h1>"
        f'<div class="byline">{byline} | <span class="date">{jalali_long(j, g)}</span></div>'
        f"{share_bar()}<div class=\"article-body\">{paras(texts, 1, TEASERS[(n + 3) % 5])}</div>"
        f"</article>{related(n)}</main>"
        f"<footer><p>© {fa(1404)} {site}</p></footer></body></html>"
    )


def t_blog(n, a, site, host, url, g):
    title, authors, j, texts = a
    return head(title, site) + (
        f'<body><div class="header-outer"><h1 class="blog-title"><a href="/">{site}</a></h1></div>'
        '<div class="main-inner"><div class="widget Blog" id="Blog1"><div class="date-outer">'
        f'<h2 class="date-header"><span>{jalali_long(j, g)}</span></h2>'
        f'<div class="post hentry"><h3 class="post-title entry-title">{title}</h3>'
        f'<div class="post-body entry-content">{paras(texts)}</div>'
        f'<div class="post-footer">ارسال شده توسط <span class="post-author vcard">{authors[0]}</span></div>'
        f"</div></div>{comments_block()}</div></div>"
        f'<div class="sidebar"><div class="widget"><h2>بایگانی</h2>{related(n)}</div></div></body></html>'
    )


def t_ngo(n, a, site, host, url, g):
    title, authors, j, texts = a
    return head(title, site, f'<meta name="author" content="{authors[0]}">') + (
        f'<body><div id="header"><div class="logo">{site}</div><div id="nav">{menu()}</div></div>'
        '<div id="wrapper"><div class="breadcrumb"><a href="/">خانه</a> » <a href="/reports">گزارش\u200cها</a></div>'
        f'<div class="report"><h1>{title}</h1>'
        f'<p class="meta">تاریخ انتشار: {fa(j[2])} {MONTHS[j[1] - 1]} {fa(j[0])}</p>'
        f'<div class="report-text">{paras(texts[:2])}'
        f'<blockquote class="see-also">این را هم بخوانید: <a href="/r/2">{TEASERS[n % 5]}</a></blockquote>'
        f"{paras(texts[2:])}</div>{share_bar()}</div>"
        f'<div id="sidebar"><h3>پربازدیدترین مطالب</h3>{related(n + 3)}</div></div>'
        f'<div id="footer"><p>کلیه حقوق برای {site} محفوظ است.</p></div></body></html>'
    )


TEMPLATES = [t_wordpress, t_agency, t_jsonld, t_blog, t_ngo]


def build(out: Path = HERE) -> dict:
    gold = {}
    for n, a in enumerate(ARTICLES):
        title, authors, j, texts = a
        a = (
            title.replace("_", ZWNJ),
            [x.replace("_", ZWNJ) for x in authors],
            j,
            [t.replace("_", ZWNJ) for t in texts],
        )
        g = jalali_to_gregorian(*j)
        template = TEMPLATES[n % len(TEMPLATES)]
        site, host = SITES[n % len(SITES)]
        url = f"https://{host}/fa/news/{1000 + n}/"
        name = f"{n + 1:02d}-{template.__name__[2:]}.html"
        (out / name).write_text(template(n, a, site, host, url, g), encoding="utf-8")
        gold[name] = {"url": url, "title": a[0], "authors": a[1], "date": g.isoformat(), "text": "\n".join(a[3])}
    (out / "gold.json").write_text(json.dumps(gold, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return gold


if __name__ == "__main__":
    print(f"{len(build())} pages written to {HERE}")
