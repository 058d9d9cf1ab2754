"""Build the labelled near-duplicate evaluation set from the hand-written stories.

    python tests/data/dedup/build.py        # rewrites docs.jsonl and pairs.jsonl here

Inputs: ``stories_en.yaml`` and ``stories_fa.yaml`` (fictional stories written for this
set: an original and a follow-up per event, with a topic). For every original this script
makes four republished copies the way other outlets republish: their own lede and trailer
boilerplate, a new opening sentence, synonyms and small word edits, a dropped or moved
sentence, an added context paragraph, a truncated copy, and for Persian Arabic-typed
letters, ZWNJ typed as space or dropped, and other digits. A follow-up becomes a document
that reuses the last paragraph(s) of the original as background, as outlets do. The
output is deterministic (seeded), so the committed files can be regenerated exactly.

Labels: a pair is 1 (same story) for original/copy and copy/copy pairs; 0 for
original-or-copy vs. follow-up, and for two different stories with the same topic.
"""

from __future__ import annotations

import json
import random
import re
from datetime import datetime, timedelta
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent

EN_OUTLETS = [
    {
        "name": "Iran Rights Monitor",
        "lede": "Iran Rights Monitor (IRM); {long}: ",
        "trailer": "Follow IRM on Telegram and X for daily updates on human rights in Iran.",
    },
    {
        "name": "Tehran Dispatch",
        "lede": "TEHRAN (Tehran Dispatch) — ",
        "trailer": "© 2026 Tehran Dispatch. All rights reserved.",
    },
    {
        "name": "Persia Wire",
        "lede": "{short} - ",
        "trailer": "Read more: Iran's execution crisis in numbers\nShare this: Facebook | X | WhatsApp",
    },
    {
        "name": "Kurdistan Rights Network",
        "lede": "Kurdistan Rights Network (KRN) – ",
        "trailer": "Subscribe to our newsletter to receive our weekly report.",
    },
    {"name": "Azadi Daily", "lede": "", "trailer": "Tags: Iran, human rights, prisoners"},
]
FA_OUTLETS = [
    {"name": "آزادی‌نامه", "lede": "به گزارش خبرگزاری حقوق بشری آزادی‌نامه، ", "trailer": "انتهای پیام"},
    {
        "name": "کمیته گزارشگران",
        "lede": "کمیته گزارشگران حقوق بشر - ",
        "trailer": "کانال تلگرام ما را دنبال کنید",
    },
    {"name": "پیام ایران", "lede": "پیام ایران؛ {fa_date}: ", "trailer": "کلیه حقوق این سایت محفوظ است."},
    {
        "name": "دیدبان",
        "lede": "به نقل از سایت دیدبان حقوق بشر، ",
        "trailer": "بیشتر بخوانید: آمار اعدام‌ها در سال گذشته",
    },
    {"name": "روزنامه آزادی", "lede": "", "trailer": "منبع: روزنامه آزادی"},
]

# Openings an outlet writes in front of a story it republishes (not stripped: real edits).
EN_NEW_LEADS = [
    "In yet another case that has alarmed rights defenders, new details have emerged.",
    "Reports reaching us from inside Iran describe the following events.",
    "Rights defenders have raised the alarm over a new case.",
    "The following report was received from sources inside the country.",
]
FA_NEW_LEADS = [
    "در ادامه موج سرکوب در ایران، گزارش تازه‌ای منتشر شده است.",
    "گزارش‌های رسیده از داخل کشور حاکی از رویداد زیر است.",
    "مدافعان حقوق بشر نسبت به پرونده‌ای تازه هشدار داده‌اند.",
]
# Background paragraphs an outlet adds at the end of a republished story.
EN_CONTEXT = [
    "Iran carries out more executions than any other country except China, according to "
    "rights groups, and many of those executed are not named by official sources.",
    "Human rights organisations have repeatedly called on the international community to "
    "hold Iranian officials accountable for violations of fair trial standards.",
    "Families of detainees often say they are threatened by security agents if they speak "
    "publicly about their relatives' cases.",
]
FA_CONTEXT = [
    "به گفته سازمان‌های حقوق بشری، ایران پس از چین بیشترین شمار اعدام‌ها را در جهان دارد و "
    "بسیاری از اعدام‌ها در رسانه‌های رسمی اعلام نمی‌شود.",
    "نهادهای حقوق بشری بارها از جامعه جهانی خواسته‌اند مقامات ایران را به دلیل نقض موازین "
    "دادرسی عادلانه پاسخگو کنند.",
    "خانواده‌های بازداشت‌شدگان بارها گفته‌اند در صورت اطلاع‌رسانی درباره وضعیت بستگانشان از "
    "سوی ماموران امنیتی تهدید می‌شوند.",
]

EN_SYNONYMS = {
    "arrested": "detained",
    "detained": "held",
    "prison": "jail",
    "executed": "hanged",
    "said": "stated",
    "told": "informed",
    "family": "relatives",
    "court": "tribunal",
    "sentenced": "condemned",
    "lawyer": "attorney",
    "activists": "campaigners",
    "at least": "no fewer than",
    "protest": "demonstration",
    "protesters": "demonstrators",
    "released": "freed",
    "transferred": "moved",
    "authorities": "officials",
    "more than": "over",
    "several": "a number of",
    "reported": "said",
    "according to": "citing",
    "security forces": "security agents",
    "agents": "officers",
    "charges": "accusations",
    "has been": "was",
    "have been": "were",
    "however": "but",
    "received": "got",
    "his family": "his relatives",
    "rights groups": "rights organisations",
    "Mr": "Mr.",
    "Ms": "Ms.",
    "percent": "per cent",
    "organisation": "organization",
    "children": "kids",
    "home": "house",
    "women": "female",
    "killed": "slain",
    "called on": "urged",
    "despite": "in spite of",
    "two": "2",
    "three": "3",
}
FA_SYNONYMS = {
    "بازداشت": "دستگیر",
    "گفت": "اظهار کرد",
    "خانواده": "بستگان",
    "دادگاه": "محکمه",
    "حکم": "رای",
    "منزل": "خانه",
    "مقامات": "مسئولان",
    "دست‌کم": "حداقل",
    "بیش از": "بالغ بر",
    "همچنین": "نیز",
    "تاکنون": "تا کنون",
    "ماموران": "نیروهای",
    "منتقل": "انتقال داده",
    "اعلام کرد": "اعلام داشت",
    "می‌گویند": "اظهار می‌کنند",
    "گزارش": "خبر",
    "شهروند": "فرد",
    "روز": "روزِ",
    "اعتراض": "اعتراضات",
    "زندانی": "محبوس",
    "سازمان‌های حقوق بشری": "نهادهای حقوق بشری",
    "همسر": "شریک زندگی",
    "پیش‌تر": "قبلا",
}

_ARABIC_LETTERS = str.maketrans({"ی": "ي", "ک": "ك"})
_PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
_ARABIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"
_SENT_SPLIT = re.compile(r"(?<=[.!?؟])\s+")


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.strip().split("\n\n") if p.strip()]


def _sentences(par: str) -> list[str]:
    return [s for s in _SENT_SPLIT.split(par) if s]


def _substitute(text: str, synonyms: dict[str, str], rate: float, rng: random.Random) -> str:
    """Replace a share of synonym-able phrases (whole words) with their synonym."""
    for src, dst in synonyms.items():
        pattern = re.compile(rf"(?<!\w){re.escape(src)}(?!\w)")

        def repl(m: re.Match, dst=dst) -> str:
            return dst if rng.random() < rate else m.group(0)

        text = pattern.sub(repl, text)
    return text


def _word_edits(text: str, rate: float, rng: random.Random) -> str:
    """Delete or duplicate-shift a share of words (copy-editing noise) per paragraph."""
    out_pars = []
    for par in text.split("\n\n"):
        words = par.split(" ")
        out = []
        for w in words:
            r = rng.random()
            if r < rate / 2 and len(words) > 8:
                continue  # deletion
            out.append(w)
            if r > 1 - rate / 2:
                out.append(
                    rng.choice(["also", "reportedly", "then"])
                    if w.isascii()
                    else rng.choice(["نیز", "ظاهرا", "سپس"])
                )
        out_pars.append(" ".join(out))
    return "\n\n".join(out_pars)


def _drop_sentence(pars: list[str], rng: random.Random) -> list[str]:
    candidates = [
        (i, j) for i, p in enumerate(pars) for j, _ in enumerate(_sentences(p)) if len(_sentences(p)) > 1
    ]
    if not candidates:
        return pars
    i, j = rng.choice(candidates)
    sents = _sentences(pars[i])
    del sents[j]
    return pars[:i] + [" ".join(sents)] + pars[i + 1 :]


def _dates(published: datetime) -> dict[str, str]:
    return {
        "long": published.strftime("%B %-d, %Y"),
        "short": published.strftime("%d %b %Y"),
        "fa_date": f"{published.day} {['دی', 'بهمن', 'اسفند'][published.month % 3]} ۱۴۰۴",
    }


def _frame(body: str, outlet: dict, published: datetime, lang: str) -> str:
    lede = outlet["lede"].format(**_dates(published))
    if lang == "fa":
        lede = lede.translate(str.maketrans("0123456789", _PERSIAN_DIGITS))
    return f"{lede}{body}\n\n{outlet['trailer']}"


def _persian_variant(text: str, style: str) -> str:
    if style == "arabic":
        return text.translate(_ARABIC_LETTERS)
    if style == "zwnj_space":
        return text.replace("\u200c", " ")
    if style == "zwnj_joined":
        text = text.replace("\u200c", "")
        return text.translate(str.maketrans(_PERSIAN_DIGITS, "0123456789"))
    if style == "arabic_digits":
        return text.translate(str.maketrans(_PERSIAN_DIGITS, _ARABIC_DIGITS)).translate(_ARABIC_LETTERS)
    return text


# Copy profiles: (name, synonym rate, word-edit rate, new lead, drop sentence,
# swap paragraphs, add context, keep share of paragraphs, persian style)
PROFILES = [
    ("wire", 0.05, 0.00, False, False, False, False, 1.0, "arabic"),
    ("edited", 0.15, 0.04, True, True, False, False, 1.0, "zwnj_space"),
    ("heavy", 0.25, 0.08, True, True, True, True, 1.0, "zwnj_joined"),
    ("partial", 0.10, 0.03, False, False, False, False, 0.7, "arabic_digits"),
]


def make_copy(story: dict, k: int, rng: random.Random) -> dict:
    lang = story["lang"]
    name, syn, wed, lead, drop, swap, context, keep, style = PROFILES[k]
    pars = _paragraphs(story["original"])
    if keep < 1.0:  # the outlet ran the story without its last sentences
        words = sum(len(p.split()) for p in pars)
        kept_pars, total = [], 0
        for p in pars:
            kept = []
            for sent in _sentences(p):
                if total >= keep * words:
                    break
                kept.append(sent)
                total += len(sent.split())
            if kept:
                kept_pars.append(" ".join(kept))
        pars = kept_pars
    if drop:
        pars = _drop_sentence(pars, rng)
    if swap and len(pars) > 3:
        pars[1], pars[2] = pars[2], pars[1]
    if lead:
        pars[0] = rng.choice(EN_NEW_LEADS if lang == "en" else FA_NEW_LEADS) + " " + pars[0]
    if context:
        pars.append(rng.choice(EN_CONTEXT if lang == "en" else FA_CONTEXT))
    body = "\n\n".join(pars)
    body = _substitute(body, EN_SYNONYMS if lang == "en" else FA_SYNONYMS, syn, rng)
    if wed:
        body = _word_edits(body, wed, rng)
    outlets = EN_OUTLETS if lang == "en" else FA_OUTLETS
    outlet = outlets[(k + 1 + int(story["id"][2:])) % len(outlets)]
    published = story["published"] + timedelta(hours=rng.randint(1, 40))
    text = _frame(body, outlet, published, lang)
    if lang == "fa":
        text = _persian_variant(text, style)
    return {
        "doc_id": f"{story['id']}-c{k + 1}",
        "story": story["id"],
        "kind": f"copy:{name}",
        "lang": lang,
        "outlet": outlet["name"],
        "published_at": published.isoformat(),
        "text": text,
    }


def make_original(story: dict) -> dict:
    outlets = EN_OUTLETS if story["lang"] == "en" else FA_OUTLETS
    outlet = outlets[int(story["id"][2:]) % len(outlets)]
    body = "\n\n".join(_paragraphs(story["original"]))
    return {
        "doc_id": f"{story['id']}-o",
        "story": story["id"],
        "kind": "original",
        "lang": story["lang"],
        "outlet": outlet["name"],
        "published_at": story["published"].isoformat(),
        "text": _frame(body, outlet, story["published"], story["lang"]),
    }


def make_followup(story: dict, rng: random.Random) -> dict:
    """New reporting plus the original's last paragraph(s) reused as background."""
    pars = _paragraphs(story["original"])
    reused = pars[-story.get("followup_reuse", 1) :]
    body = "\n\n".join(_paragraphs(story["followup"]) + reused)
    outlets = EN_OUTLETS if story["lang"] == "en" else FA_OUTLETS
    outlet = outlets[int(story["id"][2:]) % len(outlets)]  # often the same outlet
    published = story["published"] + timedelta(days=rng.randint(2, 9))
    return {
        "doc_id": f"{story['id']}-f",
        "story": f"{story['id']}-followup",
        "kind": "followup",
        "lang": story["lang"],
        "outlet": outlet["name"],
        "published_at": published.isoformat(),
        "text": _frame(body, outlet, published, story["lang"]),
    }


def load_stories() -> list[dict]:
    stories = []
    for lang in ("en", "fa"):
        for s in yaml.safe_load((HERE / f"stories_{lang}.yaml").read_text(encoding="utf-8")):
            s["lang"] = lang
            if not isinstance(s["published"], datetime):
                s["published"] = datetime.fromisoformat(str(s["published"]))
            stories.append(s)
    return stories


def build() -> tuple[list[dict], list[dict]]:
    docs: list[dict] = []
    pairs: list[dict] = []
    stories = load_stories()
    by_topic: dict[tuple[str, str], list[dict]] = {}
    for s in stories:
        by_topic.setdefault((s["lang"], s["topic"]), []).append(s)

    def pair(a: str, b: str, label: int, kind: str) -> None:
        pairs.append({"pair_id": f"p{len(pairs) + 1:04d}", "a": a, "b": b, "label": label, "kind": kind})

    for s in stories:
        rng = random.Random(f"dadkhah-dedup-{s['id']}")
        o = make_original(s)
        copies = [make_copy(s, k, rng) for k in range(len(PROFILES))]
        f = make_followup(s, rng)
        docs += [o, *copies, f]
        for c in copies:
            pair(o["doc_id"], c["doc_id"], 1, f"copy:{c['kind'].split(':')[1]}")
        pair(copies[0]["doc_id"], copies[2]["doc_id"], 1, "copy:copy")
        pair(copies[1]["doc_id"], copies[3]["doc_id"], 1, "copy:copy")
        pair(o["doc_id"], f["doc_id"], 0, "followup")
        pair(copies[0]["doc_id"], f["doc_id"], 0, "followup")
        pair(copies[2]["doc_id"], f["doc_id"], 0, "followup")
    for group in by_topic.values():
        for i, s in enumerate(group):
            if len(group) < 2:
                continue
            t = group[(i + 1) % len(group)]
            if len(group) == 2 and i == 1:
                continue
            pair(f"{s['id']}-o", f"{t['id']}-o", 0, "same_topic")
            pair(f"{s['id']}-c3", f"{t['id']}-c1", 0, "same_topic")
            pair(f"{s['id']}-f", f"{t['id']}-o", 0, "same_topic")
    return docs, pairs


def main() -> None:
    docs, pairs = build()
    with open(HERE / "docs.jsonl", "w", encoding="utf-8") as fh:
        for d in docs:
            fh.write(json.dumps(d, ensure_ascii=False) + "\n")
    with open(HERE / "pairs.jsonl", "w", encoding="utf-8") as fh:
        for p in pairs:
            fh.write(json.dumps(p, ensure_ascii=False) + "\n")
    counts: dict[str, int] = {}
    for p in pairs:
        counts[p["kind"]] = counts.get(p["kind"], 0) + 1
    print(f"{len(docs)} documents, {len(pairs)} pairs: {counts}")


if __name__ == "__main__":
    main()
