"""Bytes to text for saved and archived pages: the same decoding everywhere.

Order: a byte-order mark; the HTTP ``Content-Type`` charset; the page's ``<meta charset>``
(or ``http-equiv``); strict UTF-8; charset-normalizer's guess; UTF-8 with replacement.
A declared charset is used only if the bytes decode with it; a Latin-1/Windows-1252
declaration loses to valid multi-byte UTF-8 (a common server default that is wrong).
"""

from __future__ import annotations

import codecs
import gzip
import re
from collections.abc import Mapping
from pathlib import Path

_META_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_HEADER_CHARSET_RE = re.compile(r"charset\s*=\s*[\"']?\s*([A-Za-z0-9._:-]+)", re.IGNORECASE)
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_WEAK = {"iso-8859-1", "latin-1", "latin1", "windows-1252", "cp1252", "us-ascii", "ascii"}


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


def _try(body: bytes, encoding: str) -> str | None:
    try:
        return body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _is_multibyte_utf8(body: bytes) -> bool:
    return any(b >= 0x80 for b in body) and _try(body, "utf-8") is not None


def decode_html(body: bytes, headers: Mapping[str, str] | None = None) -> tuple[str, str]:
    """(text, encoding used) for an HTML body."""
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return body.decode(encoding, errors="replace"), encoding
    for declared in (header_charset(headers), meta_charset(body)):
        if not declared:
            continue
        if codecs.lookup(declared).name in {_codec(w) for w in _WEAK} and _is_multibyte_utf8(body):
            return body.decode("utf-8"), "utf-8"
        text = _try(body, declared)
        if text is not None:
            return text, declared
    text = _try(body, "utf-8")
    if text is not None:
        return text, "utf-8"
    from charset_normalizer import from_bytes

    best = from_bytes(body).best()
    if best is not None and best.encoding:
        return str(best), best.encoding
    return body.decode("utf-8", errors="replace"), "utf-8"


def read_saved_page(path: Path) -> tuple[str, str]:
    """A saved HTML file (``.gz`` is gunzipped) -> (text, encoding)."""
    data = Path(path).read_bytes()
    if path.suffix == ".gz" or data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return decode_html(data)
