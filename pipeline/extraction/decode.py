"""Bytes to text for fetched, archived and saved pages: one decoding path everywhere.

The crawl, ``reprocess`` and ``extract`` all call :func:`decode_text`, so the same bytes
give the same text wherever they are read. Order: a byte-order mark; the declared
charsets (HTTP ``Content-Type``, then the page's ``<meta charset>`` / ``http-equiv``;
a Latin-1 / Windows-1252 / ASCII header, the usual server default, yields to a different
meta declaration); strict UTF-8; charset-normalizer's guess, checked against the script
of the language the page declares; UTF-8 with replacement.

Servers lie both ways: a declared charset is used only if the bytes decode with it, a
single-byte declaration loses to bytes that are valid multi-byte UTF-8 (text in a
single-byte charset is almost never valid UTF-8 by accident), and a UTF-8 declaration the
bytes fail is dropped unless the failures are a few stray bytes in real UTF-8.

Bodies that are not text at all (a PDF, an image, random bytes or NUL padding served as
``text/html``) raise :class:`BinaryContent`: they are never extracted or stored as text.
"""

from __future__ import annotations

import codecs
import gzip
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

_META_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_HEADER_CHARSET_RE = re.compile(r"charset\s*=\s*[\"']?\s*([A-Za-z0-9._:-]+)", re.IGNORECASE)
_HTML_LANG_RE = re.compile(rb"""<html[^>]*?\slang\s*=\s*["']?\s*([A-Za-z]{2,3})\b""", re.IGNORECASE)
# UTF-32 first: its little-endian mark starts with UTF-16's.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# What servers send when nobody configured a charset.
_SERVER_DEFAULTS = frozenset({"iso8859-1", "cp1252", "ascii"})
# As browsers do (WHATWG Encoding Standard), a Latin-1 or ASCII label means Windows-1252;
# bytes Windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D: پ چ گ and ZWNJ in
# Windows-1256) make the label fail, so the page goes on to the guess.
_READ_AS = {"iso8859-1": "cp1252", "ascii": "cp1252"}
# A UTF-8 declaration survives this share of invalid bytes among its non-ASCII bytes.
UTF8_DAMAGE_TOLERANCE = 0.01
# Magic numbers of formats that are never a web page.
MAGIC_NUMBERS = (
    (b"%PDF-", "PDF document"),
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"II*\x00", "TIFF image"),
    (b"MM\x00*", "TIFF image"),
    (b"PK\x03\x04", "ZIP archive (or Office document)"),
    (b"\x1f\x8b\x08", "gzip data"),
    (b"BZh91AY&SY", "bzip2 data"),
    (b"\xfd7zXZ\x00", "xz data"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip archive"),
    (b"Rar!\x1a\x07", "RAR archive"),
    (b"\x28\xb5\x2f\xfd", "zstd data"),
    (b"OggS", "Ogg media"),
    (b"ID3", "MP3 audio"),
    (b"fLaC", "FLAC audio"),
    (b"\x1aE\xdf\xa3", "Matroska/WebM media"),
    (b"wOFF", "WOFF font"),
    (b"wOF2", "WOFF2 font"),
    (b"\x7fELF", "ELF executable"),
    (b"\x00asm", "WebAssembly module"),
    (b"SQLite format 3\x00", "SQLite database"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "OLE document (old Office)"),
)
# Share of NUL bytes (outside UTF-16/32) and of control / replacement characters in the
# decoded text above which a body is binary. Real pages have none of either; random bytes
# give ~11% controls, a decode that failed everywhere ~50% replacements.
MAX_NUL_SHARE = 0.01
MAX_BAD_CHAR_SHARE = 0.05
# C0 controls other than white space, and DEL: the same bytes in every ASCII-compatible
# charset, so they are counted in the bytes (fast); C1 controls in the text.
_CONTROL_BYTES = bytes([*range(0x00, 0x09), *range(0x0E, 0x20), 0x7F])
_NOT_CONTROL_BYTES = bytes(b for b in range(256) if b not in _CONTROL_BYTES)
_BAD_CHARS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffd]")
_C1_CHARS = re.compile(r"[\x80-\x9f]")


class BinaryContent(ValueError):
    """A body that is not text in any charset: a file format or noise, not a page."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name.strip().strip("\"'")).name
    except LookupError:
        return None


def header_charset(headers: Mapping[str, str] | None) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == "content-type" and value:
            m = _HEADER_CHARSET_RE.search(value)
            return _codec(m.group(1)) if m else None
    return None


def meta_charset(body: bytes) -> str | None:
    m = _META_CHARSET_RE.search(body[:8192])
    return _codec(m.group(1).decode("ascii", "ignore")) if m else None


@lru_cache(maxsize=64)
def _single_byte(codec: str) -> bool:
    """Whether every byte is one character in ``codec`` (Latin-1, cp125x, KOI8, ...)."""
    try:
        return len(bytes(range(256)).decode(codec, errors="replace")) == 256
    except LookupError:
        return False


def _try(body: bytes, encoding: str) -> str | None:
    try:
        return body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _is_multibyte_utf8(body: bytes) -> bool:
    return not body.isascii() and _try(body, "utf-8") is not None


def _damaged_utf8(body: bytes) -> str | None:
    """UTF-8 with replacement when only a few stray bytes fail (a cut or patched page)."""
    text = body.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    non_ascii = len(text) - len(text.encode("ascii", "ignore"))
    if non_ascii and bad <= UTF8_DAMAGE_TOLERANCE * non_ascii:
        return text
    return None


def _declared(body: bytes, headers: Mapping[str, str] | None) -> list[str]:
    header, meta = header_charset(headers), meta_charset(body)
    if header in _SERVER_DEFAULTS and meta and meta != header:
        return [meta, header]
    return [c for c in dict.fromkeys((header, meta)) if c]


def _dominant_script(text: str) -> str | None:
    """The Unicode script (``ARABIC``, ``CYRILLIC``, ...) of most non-ASCII letters."""
    scripts = Counter(
        unicodedata.name(ch, "?").split(" ", 1)[0] for ch in text[:50000] if ord(ch) > 127 and ch.isalpha()
    )
    return scripts.most_common(1)[0][0] if scripts else None


def _declared_script(body: bytes) -> str | None:
    """The script of the language in ``<html lang>``, from CLDR's likely subtags."""
    m = _HTML_LANG_RE.search(body[:8192])
    return _language_script(m.group(1).decode("ascii").lower()) if m else None


@lru_cache(maxsize=64)
def _language_script(language: str) -> str | None:
    from babel.core import Locale, get_global

    likely = get_global("likely_subtags").get(language)
    parts = likely.split("_") if likely else []
    if len(parts) < 2:
        return None
    name = Locale("en").scripts.get(parts[1])
    return name.upper() if name else None


def _guess(body: bytes) -> tuple[str, str] | None:
    """charset-normalizer's best match; one that writes the declared language's script first."""
    from charset_normalizer import from_bytes

    matches = [m for m in from_bytes(body) if m.encoding]
    if not matches:
        return None
    script = _declared_script(body)
    if script:
        for match in matches:
            text = str(match)
            if _dominant_script(text) == script:
                return text, match.encoding
    return str(matches[0]), matches[0].encoding


def decode_html(body: bytes, headers: Mapping[str, str] | None = None) -> tuple[str, str]:
    """(text, encoding used) for an HTML body; never fails (see :func:`decode_text`)."""
    text, encoding, _lossy = _decode(body, headers)
    return text, encoding


def _decode(body: bytes, headers: Mapping[str, str] | None) -> tuple[str, str, bool]:
    """(text, encoding, whether undecodable bytes were replaced)."""
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return body.decode(encoding, errors="replace"), encoding, True
    for declared in _declared(body, headers):
        if _single_byte(declared) and _is_multibyte_utf8(body):
            return body.decode("utf-8"), "utf-8", False
        encoding = _READ_AS.get(declared, declared)
        text = _try(body, encoding)
        if text is not None:
            return text, encoding, False
        if declared == "utf-8":
            damaged = _damaged_utf8(body)
            if damaged is not None:
                return damaged, "utf-8", True
    text = _try(body, "utf-8")
    if text is not None:
        return text, "utf-8", False
    guessed = _guess(body)
    if guessed is not None:
        return guessed[0], guessed[1], False
    return body.decode("utf-8", errors="replace"), "utf-8", True


def binary_reason(body: bytes, text: str, encoding: str, lossy: bool = True) -> str | None:
    """Why ``body`` (decoded as ``text``; ``lossy``: with replacement characters) is not
    text, or None when it is."""
    head = body[:64].lstrip(b" \t\r\n")
    for magic, what in MAGIC_NUMBERS:
        if body.startswith(magic) or head.startswith(magic):
            return f"{what} (magic number {magic[:8]!r})"
    if not body:
        return None
    if encoding.startswith(("utf-16", "utf-32")):  # NULs are part of the encoding
        bad = sum(1 for _ in _BAD_CHARS.finditer(text))
    else:
        controls = body.translate(None, _NOT_CONTROL_BYTES)
        nuls = controls.count(0)
        if nuls > MAX_NUL_SHARE * len(body):
            return f"{nuls} NUL bytes in {len(body)} ({nuls / len(body):.0%})"
        bad = len(controls) + (text.count("\ufffd") if lossy else 0)
        # C1 controls in a strict UTF-8 decode are text someone wrote (noise is not valid
        # UTF-8); from a single-byte charset they are bytes 0x80-0x9F of binary data.
        if not encoding.startswith("utf-8") and not text.isascii():
            bad += sum(1 for _ in _C1_CHARS.finditer(text))
    if text and bad > MAX_BAD_CHAR_SHARE * len(text):
        replaced = text.count("\ufffd") if lossy else 0
        return (
            f"{bad - replaced} control and {replaced} undecodable characters in {len(text)} "
            f"({bad / len(text):.0%}, decoded as {encoding})"
        )
    return None


def decode_text(body: bytes, headers: Mapping[str, str] | None = None) -> tuple[str, str]:
    """(text, encoding) of a page body; raises :class:`BinaryContent` for a non-text body."""
    text, encoding, lossy = _decode(body, headers)
    reason = binary_reason(body, text, encoding, lossy)
    if reason:
        raise BinaryContent(reason)
    return text, encoding


def read_saved_page(path: Path) -> tuple[str, str]:
    """A saved HTML file (``.gz`` is gunzipped) -> (text, encoding); may raise BinaryContent."""
    data = Path(path).read_bytes()
    if path.suffix == ".gz" or data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return decode_text(data)
