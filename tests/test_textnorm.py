"""The fast paths of pipeline.textnorm give exactly the keys of the plain definition.

Stored articles carry ``content_sha256`` keys computed before the fast paths existed: a
changed key would make a re-fetched story a new article. The reference below is the
definition (NFKC, translate, drop tatweel and combining marks, collapse spaces, case fold),
step by step, with no shortcut.
"""

from __future__ import annotations

import hashlib
import random
import re
import unicodedata

from pipeline import textnorm
from pipeline.textnorm import content_sha256, normalize_for_matching, tokens


def reference_normalize(text: str) -> str:
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text)
    text = text.translate(textnorm._TRANSLATION).replace("\u0640", "")
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"\s+", " ", text).strip().casefold()


def reference_tokens(text: str) -> list[str]:
    return re.findall(r"\w+", reference_normalize(text))


SAMPLES = [
    "",
    "   ",
    "Plain English text, with punctuation; and  double  spaces.\n\tNew line.",
    "İstanbul ΣΊΣΥΦΟΣ Straße ﬁnance Ⅻ ＡＢＣ",  # case folding that lengthens, NFKC
    "دادگاه انقلاب، حکم اعدام را تأیید كرد: ۱۴۰۲/۰۵/۱۲ و ١٤٠٢",  # Arabic kaf, digits
    "قزل\u200cحصار — زندانی\u200dها \u00a0 مي\u200fشود ـــ",  # ZWNJ, ZWJ, RLM, NBSP, tatweel
    "بِسْمِ الله",  # harakat
    "e\u0301 café \u2028 line\u2029para\u3000ideographic",
]


def _random_texts(count: int) -> list[str]:
    rng = random.Random(13)
    alphabet = [chr(c) for c in range(0x20, 0x3100)] + list(
        "\u200c\u200d\u00a0\u0640\u064a\u0643\u06f1\u064b\t\n "
    )
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80))) for _ in range(count)]


def test_keys_equal_the_definition_on_samples_and_random_text():
    for text in SAMPLES + _random_texts(3000):
        assert normalize_for_matching(text) == reference_normalize(text), repr(text)
        assert tokens(text) == reference_tokens(text), repr(text)
        expected = hashlib.sha256(" ".join(reference_tokens(text)).encode("utf-8")).hexdigest()
        assert content_sha256(text) == expected, repr(text)


def test_keys_equal_the_definition_on_every_code_point():
    # Every assigned or unassigned code point once (surrogates replaced), in runs of 300:
    # a character the variant check missed, or one whose case folding is whitespace,
    # would show here.
    every = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)
    for start in range(0, len(every), 300):
        chunk = every[start : start + 300]
        assert normalize_for_matching(chunk) == reference_normalize(chunk), hex(ord(chunk[0]))
        assert tokens(chunk) == reference_tokens(chunk), hex(ord(chunk[0]))


def test_persian_variants_still_fold():
    assert tokens("كتاب‌هاي") == tokens("کتاب های") == ["کتاب", "های"]
    assert content_sha256("۱۴۰۲ ـ زندان") == content_sha256("1402 زندان")
