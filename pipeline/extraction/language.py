"""A script-based language guess: enough to tell Persian and Arabic from English."""

from __future__ import annotations

import re

_ARABIC_SCRIPT = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
# Letters Persian has and Arabic lacks, and Arabic forms Persian spelling avoids.
_PERSIAN_ONLY = re.compile(r"[\u067e\u0686\u0698\u06af\u06a9\u06cc]")  # پ چ ژ گ ک ی
_ARABIC_ONLY = re.compile(r"[\u0629\u064a\u0643\u0649]")  # ة ي ك ى
ARABIC_SCRIPT_LANGUAGES = frozenset({"fa", "ar", "ur", "ps", "ckb", "ku"})


def primary_subtag(lang: str | None) -> str | None:
    """``"fa-IR"`` -> ``"fa"``; empty or junk -> None."""
    if not lang:
        return None
    sub = re.split(r"[-_]", lang.strip(), maxsplit=1)[0].lower()
    return sub if re.fullmatch(r"[a-z]{2,3}", sub) else None


def detect_script_language(text: str) -> str | None:
    """ "fa", "ar" or "en" from the letters of ``text``; None when unsure.

    Arabic script (Persian told from Arabic by letters only one of them uses) or Latin
    must make up most letters; other scripts (Cyrillic, Hangul, …) and too little text
    give None, so the declared or configured language decides.
    """
    sample = text[:20000]
    letters = sum(map(str.isalpha, sample))
    if letters < 20:
        return None
    if sample.isascii():  # every ASCII letter is a Latin one, and none is Arabic script
        arabic, latin = 0, letters
    else:
        arabic = len(_ARABIC_SCRIPT.findall(sample))
        latin = len(_LATIN.findall(sample))
    if arabic * 2 > letters:
        persian = len(_PERSIAN_ONLY.findall(sample))
        arabic_only = len(_ARABIC_ONLY.findall(sample))
        return "fa" if persian >= arabic_only else "ar"
    if latin * 2 > letters:
        return "en"
    return None


def choose_language(declared: str | None, text: str, configured: str | None) -> str | None:
    """The page's declared language when the text's script agrees with it, else a guess.

    A declared language whose script disagrees with the text (a Persian article in a
    template saying ``lang="en"``) loses to the script; for Latin text that declares
    nothing, the outlet's configured language (if Latin-script) beats a bare "en".
    """
    declared = primary_subtag(declared)
    configured = primary_subtag(configured)
    detected = detect_script_language(text)
    if detected is None:
        return declared or configured
    detected_arabic = detected in ARABIC_SCRIPT_LANGUAGES
    for candidate in (declared, configured):
        if candidate and (candidate in ARABIC_SCRIPT_LANGUAGES) == detected_arabic:
            return candidate
    return detected
