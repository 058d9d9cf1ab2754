"""Boilerplate that must never reach stored text: general line rules and tail cut-offs.

Two kinds of rule, both general (no site is named here; per-outlet rules come in through
``ExtractionHints``):

* ``DROP_LINE_PATTERNS`` — a line that *is* boilerplate (cookie notice, share bar, image
  credit, "Comments are closed.", newsletter prompt, technical-problems footer) is dropped;
* ``TAIL_HEADINGS`` — a short line that opens a block of teasers ("Latest news", "Must
  read", "Related posts", "مطالب مرتبط") ends the article: it and everything after it go,
  when it stands in the last part of the text.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

_I = re.IGNORECASE

READ_ALSO = (
    r"^(?:(?:à )?lire (?:aussi|également)|voir aussi|(?:lea|lee) (?:también|además)|te puede interesar"
    r"|leia (?:também|mais)|veja (?:também)|leggi anche|lesen sie (?:auch|mehr)|auch interessant"
    r"|mehr zum thema|lees ook|ayrıca (?:okuyun|bakınız)|ilginizi çekebilir|читайте (?:также|тоже)"
    r"|смотрите также|اقرأ (?:أيضا|أيضًا|أيضاً)|اقرأ المزيد"
    r"|(?:vea|ver) también|lesen sie hier|zum weiterlesen|czytaj (?:też|także|również|więcej)"
    r"|zobacz (?:też|także|również))"
)
DROP_LINE_PATTERNS: tuple[str, ...] = (
    # comments
    r"^comments? (are|is) (now )?closed\.?$",
    r"^(leave|post|add|write) a (comment|reply)\b.{0,40}$",
    r"^(\d+\s+)?comments?:?$",
    r"^(you must be )?logged in to post a comment\.?$",
    r"^(tell us what you think|what do you think|have your say|join the (conversation|discussion))"
    r"\b.{0,20}$",
    r"^نظرات?\s*(بسته|غیرفعال)\s*(است|شده است)?\.?$",
    r"^(دیدگاه|نظر)\s*(خود را)?\s*(بنویسید|ثبت کنید)\.?$",
    # cookies and privacy
    r"\b(this|our) (web)?site uses cookies\b",
    r"\bwe use cookies\b",
    r"^(accept|reject|allow)( all)? cookies\.?$",
    r"^(privacy|cookie) (overview|policy|settings|preferences)\.?$",
    r"\bby (continuing to use|using) (this|our) (web)?site,? you (agree|consent)\b",
    r"(این (وب)?سایت|ما) .{0,30}(از )?کوکی",
    # share bars and social prompts
    r"^(share|share this( article| story| post)?|tweet|email|print|whatsapp|telegram|facebook"
    r"|twitter|linkedin|pinterest|reddit|copy link)(\s*[|/·•:,]\s*(share|tweet|email|print"
    r"|whatsapp|telegram|facebook|twitter|x|linkedin|pinterest|reddit|copy link))*:?$",
    r"\bfollow (us|him|her|them|me) on (twitter|x|facebook|telegram|instagram|youtube)\b",
    r"^like this (story|article)\?",
    r"^(اشتراک\s*گذاری|به اشتراک بگذارید|همرسانی)\s*:?$",
    # image credits and captions' credit lines
    r"^(image|photo|picture|video|graphic|illustration|featured image|header image)"
    r"\s*(credit|credits|courtesy|source|by)?\s*:",
    r"^(photo|image)s? (credit|courtesy)\b",
    r"^(عکس|تصویر|منبع عکس|منبع تصویر|اعتبار عکس)\s*:",
    # newsletters and subscriptions
    r"\b(sign up|subscribe)\b.{0,60}\b(newsletters?|mailing list|e-?mail updates?)\b",
    r"\bdelivered (to|through|in) your (inbox|letterbox|mailbox)\b",
    r"^(subscribe|sign up)( now| today)?[.!]?$",
    r"^get (our|the) (latest|daily|weekly)? ?(news|newsletter|updates?) (in|to|delivered to)"
    r" your inbox\b",
    r"عضویت در خبرنامه|اشتراک خبرنامه|در خبرنامه .{0,20}عضو شوید",
    # technical / site footers
    r"^if you (experience|have|encounter) (any )?technical (problems|difficulties|issues)\b",
    r"^(all rights reserved|copyright ©|© ?(copyright )?\d{4})",
    r"(copyright\s*)?(©|\(c\)|copyright)\s*(\d{4}\s*[-–]\s*)?\d{4}\b.{0,80}(all rights reserved)?\.?$",
    r"^کلیه حقوق .{0,60}محفوظ است\.?$",
    r"^تمامی حقوق .{0,60}محفوظ است\.?$",
    # breadcrumbs: "Home > News > Iran" / "Home » Iran Human Rights"
    r"^(home|خانه|صفحه اصلی)\s*[>»/›|].{0,150}$",
    r"^(?-i:Home[A-Z])\S.{0,150}(\.\.\.|…)$",  # "HomeIran Human RightsSome Title..."
    # navigation leftovers
    r"^(previous|next) (article|post|story)\b.{0,120}$",
    r"^(read more|continue reading|بیشتر بخوانید|ادامه مطلب)\s*[:»›.…]*$",
    r"^(related|see also|see more|read more|read also|also read|more|don't miss|must read"
    r"|recommended|watch|listen|also on [\w.]+)\s*:",
    r"^(مطالب مرتبط|بیشتر بخوانید|بخوانید|همچنین بخوانید|مطلب مرتبط|این را هم بخوانید"
    r"|اینها را هم بخوانید|این مطلب را هم بخوانید|پیشنهاد (ما|سردبیر)|ببینید|بشنوید)\s*:",
    # "read also" in other languages: French, Spanish, Portuguese, Italian, German, Dutch,
    # Turkish, Russian, Arabic
    READ_ALSO + r"\s*[:»›]",
    # a bare time stamp line ("Updated at 1:23 p.m.", "Published Monday, Nov. 18, 2019")
    r"^\(?(updated|last updated|published|posted|first published)( at| on)?:?\s[^!?]{0,40}$",
    # WordPress shortcodes left in the text
    r"\[(\w+)\b[^\]]*\].*\[/\1\]",
    r"^(tags?|برچسب[\u200c ]?ها|کلیدواژه[\u200c ]?ها)\s*:",
    # the same kinds of line in other languages (German, Spanish, French, Italian, Polish),
    # and advertising disclosures: in one alternation anchored at the line's start (the
    # unanchored ones are SHORT_LINE_PATTERNS)
    "^(?:"
    + "|".join(
        (
            # advertising and affiliate disclosures ("Anzeige", "*Werbung. Dieser Beitrag ...")
            r"\*?(?:werbung|anzeige|advertisement|sponsored|publicidad|publicité|pubblicità|reklama)"
            r"\s*(?:$|[.:,|*–-])",
            r"this (?:post|article|page|story) (?:contains|may contain|includes) (?:references to"
            r" products|affiliate links)",
            # newsletters, apps and membership prompts
            r"[\w .'’&-]{0,40}\bnewsletter$",
            r"(?:jetzt )?(?:zum |für den |unseren )?newsletter (?:an|ab)melden\b",
            r"sign up (?:to|for) (?:get|receive|our)\b",
            r"subscribe (?:now|today) (?:to|for)\b",
            r"(?:hazte|become a|werde) (?:miembro|socio|member|mitglied)\b",
            # image credits
            r"(?:crédits? photos?|cr[ée]dito de (?:la )?(?:foto|imagen)|beitragsbild|titelbild"
            r"|vorschaubild|bildquelle|bildnachweis|fotos?|bild(?:er)?|fotograf[ií]a|foto di|zdjęcie"
            r"|copyright)\s*:",
            r"bild anzeigen$",
            # labels left alone on their line, disclaimers, contact and source lines
            r"(?:release date|last modified|kontakt|contact|pressekontakt|media contact"
            r"|ansprechpartner(?:in)?(?: zum thema)?)\s*:?$",
            r"\(?alle angaben ohne gewähr\)?\.?$",
            r"weitere (?:informationen|infos)\b.{0,80}$",
            r"(?:quelle|fuente|źródło)\s*:\s*.{1,60}$",
            # comments
            r"(?:keine|\d+) kommentare?\b.{0,60}$",
            r"(?:schreibe|hinterlasse|deja|laisser|lascia) (?:einen|un|tu) (?:kommentar|comentario"
            r"|commentaire|commento)\b",
        )
    )
    + ")",
)

# Prompts and disclosures that stand on a short line of their own, searched anywhere in it
# (an unanchored search costs a pass over the line: long paragraphs are not searched).
SHORT_LINE_CHARS = 300
SHORT_LINE_PATTERNS: tuple[str, ...] = (
    "|".join(
        (
            r"\bwe may (?:receive|earn) (?:a )?(?:compensation|commission)\b",
            r"\b(?:enthält|contains|includes) (?:affiliate|werbung|sponsored|paid)\b",
            r"\b(?:download|get) (?:the|our) [\w .'’-]{0,40}\bapps?\b.{0,30}\b(?:ios|android)\b",
            r"\bsign up here\.?$",
            r"\b(?:hier klicken|click here|haga clic aquí|cliquez ici)\b",
            r"\b(?:let us know|tell us|verraten sie(?: uns)?(?: gerne)?|schreibt uns|cuéntanos)"
            r" in (?:the|den|los) (?:comments|kommentaren|comentarios)\b",
            r"\b(?:our|nuestro|notre|unseren?) (?:youtube|telegram|whatsapp|instagram)[- ]?"
            r"(?:channel|canal|chaîne|kanal)\b",
            r"\b(?:nuestro canal|notre chaîne|unser(?:em|en)? kanal) (?:de |sur |auf )?"
            r"(?:youtube|telegram|whatsapp|instagram)\b",
            r"\bwe need your (?:help|support)\b",
            r"\bby e-?mail\b.{0,60}\bsign up\.?$",
        )
    ),
)

TAIL_HEADINGS: tuple[str, ...] = (
    r"latest (news|posts|stories|articles)",
    r"must read",
    r"(more )?related (posts|articles|stories|news|content|coverage)",
    r"related",
    r"you (might|may) (also )?like.{0,20}",
    r"recommended( for you| to you| stories| reading)?",
    r"(more|also) (from|in|on) .{1,40}",
    r"most (read|popular|viewed|shared)( stories| articles| news)?",
    r"(read|see) also",
    r"popular (posts|stories|articles)",
    r"trending( now| stories)?",
    r"in (other|case you missed) news",
    r"(notas|noticias|art[ií]culos|entradas) relacionad[ao]s",
    r"schon gelesen\??",
    r"(das )?(könnte|dürfte) (dich|sie|euch) auch interessieren",
    r"weitere( \w+)? (artikel|beiträge|themen|nachrichten|meldungen|berichte)( .{1,40})?",
    r"(mehr zum thema|más sobre|plus sur|lesen sie auch)( .{1,40})?",
    r"(articles? similaires|à lire aussi|potrebbe interessarti|podobne artykuły)",
    r"(مطالب|اخبار|خبرهای|مقالات|مطلب[\u200c ]?های) (مرتبط|مشابه|پیشنهادی)",
    r"(آخرین|تازه[\u200c ]?ترین|جدیدترین) (اخبار|خبرها|مطالب)",
    r"(پربازدیدترین|پربیننده[\u200c ]?ترین|پرخواننده[\u200c ]?ترین)( (اخبار|مطالب))?",
    r"(بیشتر بخوانید|این را هم بخوانید|بخوانید)",
    READ_ALSO,
)

_TAIL_RE = re.compile(r"^(?:" + "|".join(TAIL_HEADINGS) + r")\s*[:.…»]*$", _I)
# A tail heading only ends the article in its last part (a "Related" heading in the first
# half is more likely a real sub-heading).
TAIL_START_FRACTION = 0.4
# After a teaser heading come headlines (short lines); when most of what follows is in
# paragraphs of PROSE_LINE_CHARS or more, the article goes on and only the teaser box
# (its heading and headlines) goes.
PROSE_LINE_CHARS = 200
PROSE_FOLLOWS_SHARE = 0.5
# Every general rule and threshold, hashed: recorded with each extraction's settings.
RULES_SHA256 = hashlib.sha256(
    "\n".join(
        [
            *DROP_LINE_PATTERNS,
            "--",
            *SHORT_LINE_PATTERNS,
            str(SHORT_LINE_CHARS),
            "--",
            *TAIL_HEADINGS,
            "--",
            str(TAIL_START_FRACTION),
            str(PROSE_LINE_CHARS),
            str(PROSE_FOLLOWS_SHARE),
            "a match at or after PROSE_LINE_CHARS cuts the line",
        ]
    ).encode("utf-8")
).hexdigest()


def compile_patterns(patterns: Iterable[str]) -> list[re.Pattern[str]]:
    return [re.compile(p, _I) for p in patterns]


_DEFAULT_DROP = compile_patterns(DROP_LINE_PATTERNS)
_SHORT_DROP = compile_patterns(SHORT_LINE_PATTERNS)


def _prose_follows(rest: list[str]) -> bool:
    total = sum(len(x.strip()) for x in rest)
    prose = sum(len(x.strip()) for x in rest if len(x.strip()) >= PROSE_LINE_CHARS)
    return total > 0 and prose / total >= PROSE_FOLLOWS_SHARE


def clean_lines(
    lines: list[str], extra_patterns: Iterable[re.Pattern[str]] = ()
) -> tuple[list[str], dict[str, int]]:
    """Drop boilerplate lines and cut a teaser tail; return kept lines and counts."""
    extra = list(extra_patterns)
    long_patterns = (*extra, *_DEFAULT_DROP)
    short_patterns = (*long_patterns, *_SHORT_DROP)
    stats = {"dropped_lines": 0, "tail_cut_lines": 0}
    total_chars = sum(len(x) for x in lines) or 1
    seen_chars = 0
    in_box = False
    kept: list[str] = []
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            continue
        if (
            seen_chars / total_chars >= TAIL_START_FRACTION
            and len(stripped) <= 60
            and _TAIL_RE.match(stripped)
        ):
            if _prose_follows(lines[i + 1 :]):
                # a teaser box the article goes on after: the heading and the short lines
                # after it (its headlines) go, up to the next paragraph of prose
                stats["dropped_lines"] += 1
                in_box = True
                continue
            stats["tail_cut_lines"] = len(lines) - i
            break
        seen_chars += len(line)
        if in_box and len(stripped) < PROSE_LINE_CHARS:
            stats["dropped_lines"] += 1
            continue
        in_box = False
        patterns = short_patterns if len(stripped) <= SHORT_LINE_CHARS else long_patterns
        starts = [m.start() for p in patterns if (m := p.search(stripped))]
        if starts:
            if min(starts) >= PROSE_LINE_CHARS:
                # boilerplate run into the end of a long line (a page whose text comes out as
                # one block, its copyright notice or share bar last): the prose before stays
                stripped = stripped[: min(starts)].rstrip()
                stats["cut_lines"] = stats.get("cut_lines", 0) + 1
            else:
                stats["dropped_lines"] += 1
                continue
        kept.append(stripped)
    return kept, stats
