"""`dadkhah evidence ARTICLE_ID`: one self-contained WACZ per article, checkable by anyone.

What goes in (WACZ 1.1.1 layout; every file listed with its SHA-256 in datapackage.json):

- ``archive/``: the WARC files holding the article's captures and the feed or sitemap
  captures that led to them, each cut to the size its chain entry seals, so plain
  ``sha256sum`` of a bundled file equals the entry's ``sha256``;
- ``indexes/index.cdx``: a CDXJ index of their responses, so any WACZ reader replays them;
- ``pages/pages.jsonl``: the article's captures as pages;
- ``evidence/``: the article, every extracted version (extractor and settings), the diffs
  between versions (and the word-level diff of each edit a revisit found), every revisit
  (``revisits.jsonl``: when, outcome, why, its fetch), the fetch-log rows, the chain entries from the first bundled file's
  entry to the head (``manifest.jsonl``, the exact signed lines), their Ed25519 signatures
  and the public key, the RFC 3161 tokens and the authority's CA, and ``summary.txt``.
"""

from __future__ import annotations

import base64
import difflib
import hashlib
import json
import os
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, or_, select
from surt import surt as canonical_surt
from warcio.archiveiterator import ArchiveIterator

from pipeline import __version__
from pipeline.archive import resolve_inside
from pipeline.evidence import keys
from pipeline.evidence.chain import iso, load_chain
from schema.models import (
    Article,
    ArticleRevisit,
    ArticleSource,
    ArticleVersion,
    Fetch,
    Outlet,
    WarcManifestEntry,
)

WACZ_VERSION = "1.1.1"
DISCOVERY_DEPTH = 5  # article <- feed <- sitemap index ...: how far back the trail is followed
FETCH_COLUMNS = [c.name for c in Fetch.__table__.columns]
VERSION_COLUMNS = [c.name for c in ArticleVersion.__table__.columns]
REVISIT_COLUMNS = [c.name for c in ArticleRevisit.__table__.columns]
CAPTURE_KINDS = ("article", "revisit")  # fetches of the article's own page


class BundleError(RuntimeError):
    """No bundle can be written (unknown article, capture not sealed, file missing)."""


def bundle_name(warc_file: str) -> str:
    """``YYYY/MM/DD/name.warc.gz`` -> ``archive/YYYY-MM-DD-name.warc.gz`` (WACZ keeps one level)."""
    return "archive/" + warc_file.replace("/", "-")


def surt(url: str) -> str:
    """The CDXJ URL key, as pywb and cdxj-indexer compute it (the ``surt`` package): readers
    look a URL up by that key, so any other spelling (a kept trailing slash, a lowercased
    path) is a capture they cannot find."""
    return canonical_surt(url)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


def _row(row, columns: list[str]) -> dict[str, Any]:
    return {c: _jsonable(getattr(row, c)) for c in columns}


@dataclass
class BundleResult:
    path: Path
    article_id: int
    fetches: int
    warc_files: int
    chain_entries: int
    timestamps: int
    size: int


def _fetches(conn, article: Article) -> list:
    ids = set(
        conn.execute(
            select(ArticleSource.fetch_id).where(ArticleSource.article_id == article.article_id)
        ).scalars()
    )
    ids |= {  # revisits: every later fetch of the page (a redirect's first hop via discovered_from)
        i
        for i in conn.execute(
            select(ArticleRevisit.fetch_id).where(ArticleRevisit.article_id == article.article_id)
        ).scalars()
        if i is not None
    }
    ids |= {
        i
        for i in conn.execute(
            select(ArticleVersion.fetch_id).where(ArticleVersion.article_id == article.article_id)
        ).scalars()
        if i is not None
    }
    if article.first_fetch_id:
        ids.add(article.first_fetch_id)
    rows = {r.fetch_id: r for r in conn.execute(select(Fetch).where(Fetch.fetch_id.in_(ids)))}
    frontier = list(rows.values())
    for _depth in range(DISCOVERY_DEPTH):  # the captures that led to them
        found = []
        for fetch in frontier:
            if not fetch.discovered_from:
                continue
            source = conn.execute(
                select(Fetch)
                .where(
                    Fetch.outlet_id == fetch.outlet_id,
                    or_(
                        Fetch.requested_url == fetch.discovered_from, Fetch.final_url == fetch.discovered_from
                    ),
                    Fetch.warc_file.is_not(None),
                    Fetch.fetched_at <= fetch.fetched_at,
                )
                .order_by(Fetch.fetched_at.desc())
                .limit(1)
            ).first()
            if source is not None and source.fetch_id not in rows:
                rows[source.fetch_id] = source
                found.append(source)
        frontier = found
    return sorted(rows.values(), key=lambda r: (r.fetched_at, r.fetch_id))


def _covering_entries(conn, fetches: list) -> dict[str, WarcManifestEntry]:
    """Per WARC file, the smallest sealed prefix holding every bundled record of it."""
    need: dict[str, int] = {}
    for f in fetches:
        if f.warc_file and f.warc_offset is not None:
            need[f.warc_file] = max(need.get(f.warc_file, 0), f.warc_offset + (f.warc_length or 1))
    chosen = {}
    for warc_file, end in need.items():
        entry = conn.execute(
            select(WarcManifestEntry)
            .where(WarcManifestEntry.warc_file == warc_file, WarcManifestEntry.size >= end)
            .order_by(WarcManifestEntry.size)
            .limit(1)
        ).first()
        if entry is None:
            raise BundleError(
                f"{warc_file} is not sealed up to byte {end} (still being written, or a crash left it "
                "unsealed): run `dadkhah evidence seal` when no crawl writes it"
            )
        chosen[warc_file] = entry
    return chosen


def _cdxj_lines(path: Path, name: str, size: int) -> list[str]:
    """CDXJ lines for the responses in the first ``size`` bytes of a bundled WARC file."""
    records = []
    with open(path, "rb") as fh:
        iterator = ArchiveIterator(fh, check_digests=False)
        for record in iterator:
            start = iterator.get_record_offset()
            if start >= size:
                break
            http = record.http_headers
            records.append(
                (
                    start,
                    record.rec_type,
                    record.rec_headers.get_header("WARC-Target-URI"),
                    record.rec_headers.get_header("WARC-Date") or "",
                    http.get_statuscode() if http else "",
                    (http.get_header("Content-Type") or "").split(";")[0].strip() if http else "",
                    record.rec_headers.get_header("WARC-Payload-Digest") or "",
                )
            )
    out = []
    for i, (start, rec_type, url, date, status, mime, digest) in enumerate(records):
        if rec_type not in ("response", "revisit") or not url:
            continue
        end = records[i + 1][0] if i + 1 < len(records) else size
        fields = {
            "url": url,
            "mime": mime,
            "status": status,
            "digest": digest,
            "offset": start,
            "length": end - start,
            "filename": name.split("/", 1)[1],
        }
        stamp = "".join(ch for ch in date if ch.isdigit())[:14]
        out.append(f"{surt(url)} {stamp} {json.dumps(fields, separators=(',', ':'), ensure_ascii=False)}")
    return sorted(out)


def _diffs(versions: list, revisits: list) -> str:
    """Line diffs between consecutive extracted versions (empty for a single version), then
    the word-level diff of each edit a revisit found on the site."""
    parts = []
    for old, new in zip(versions, versions[1:], strict=False):
        diff = difflib.unified_diff(
            old.text.splitlines(),
            new.text.splitlines(),
            fromfile=f"version {old.version} ({iso(old.extracted_at)})",
            tofile=f"version {new.version} ({iso(new.extracted_at)})",
            lineterm="",
        )
        parts.append("\n".join(diff) or f"version {old.version} -> {new.version}: text unchanged")
    for r in revisits:
        if r.change == "edited":
            parts.append(
                f"edit found by revisit at {iso(r.checked_at)} (fetch {r.fetch_id}): version "
                f"{r.from_version} -> {r.to_version}, word level\n{r.diff or ''}"
            )
    return "\n\n".join(parts) + ("\n" if parts else "")


def _revisit_lines(article, revisits: list) -> list[str]:
    if not revisits:
        return ["", "Revisits: none yet (the page has not been fetched again)."]
    state = f"status {article.status}"
    if article.removed_at:
        state += f", first seen removed {iso(article.removed_at)}"
    lines = ["", f"Revisits ({len(revisits)}; {state}):"]
    for r in revisits:
        change = f" -> {r.change.upper()}" if r.change else ""
        lines.append(f"  {iso(r.checked_at)}  {r.outcome}{change}: {r.reason} (fetch {r.fetch_id})")
    return lines


def _summary(article, outlet, versions, fetches, entries, covering, key_id, stamps, revisits) -> str:
    captures = [f for f in fetches if f.kind in CAPTURE_KINDS]
    lines = [
        "EVIDENCE BUNDLE (dadkhah)",
        "=========================",
        f"Article {article.article_id}: {article.title or '(no title)'}",
        f"Outlet: {outlet.name} ({outlet.home}){' - ' + outlet.affiliation if outlet.affiliation else ''}",
        f"URL: {article.canonical_url}",
        f"Authors: {', '.join(article.authors or []) or '(none found)'}",
        f"Published (as the page states): {iso(article.published_at) or 'unknown'}"
        + (f" [raw: {article.published_raw}, {article.published_method}]" if article.published_raw else ""),
        f"First captured: {iso(article.first_seen_at)}",
        "",
        f"Captures ({len(fetches)} exchanges, {len(captures)} of the article itself):",
    ]
    for f in fetches:
        lines.append(
            f"  {iso(f.fetched_at)}  {f.kind:<8} HTTP {f.http_status}  {f.final_url or f.requested_url}\n"
            f"      body sha256 {f.raw_sha256}  in {f.warc_file}@{f.warc_offset}"
        )
    lines += ["", f"Extracted versions ({len(versions)}):"]
    for v in versions:
        lines.append(
            f"  v{v.version}  {iso(v.extracted_at)}  {v.extractor} ({v.reason}) from fetch {v.fetch_id}; "
            f"title {v.title!r}; text sha256 {v.content_sha256}"
        )
    if len(versions) > 1:
        lines.append("  what changed between versions: evidence/diffs.txt")
    else:
        lines.append("  no later version: the text has not changed since it was first extracted")
    lines += _revisit_lines(article, revisits)
    head = entries[-1]
    lines += [
        "",
        "Chain of custody:",
        *[
            f"  entry {e.seq}: {e.warc_file}, {e.size} bytes, sha256 {e.sha256}, {e.records} records, "
            f"captures {iso(e.first_capture)} .. {iso(e.last_capture)}"
            for e in covering.values()
        ],
        f"  chain entries {entries[0].seq}..{head.seq} included (evidence/manifest.jsonl), "
        f"each signed with Ed25519 key {key_id}",
    ]
    if stamps:
        for seq, when, url in stamps:
            lines.append(f"  entry {seq} timestamped {iso(when)} by {url} (RFC 3161)")
    else:
        lines.append("  no RFC 3161 timestamp: the times above rest on this installation's clock and key")
    lines += [
        "",
        "To check this bundle: `dadkhah verify FILE`; without dadkhah: `sha256sum archive/*` against",
        "evidence/manifest.jsonl, `openssl pkeyutl -verify -pubin -inkey evidence/public-key.pem -rawin",
        "-in evidence/head.txt -sigfile evidence/head.sig`, and `openssl ts -verify -data",
        "evidence/entry-N.txt -in evidence/entry-N.tsr -CAfile evidence/tsa-ca.pem` (dadkhah README,",
        "section 'Evidence and chain of custody').",
        f"Written {iso(datetime.now(UTC))} by dadkhah {__version__}.",
    ]
    return "\n".join(lines) + "\n"


def write_bundle(
    engine: Engine,
    archive_dir: Path,
    data_dir: Path,
    article_id: int,
    out: Path,
    *,
    tsa_ca_file: Path | None = None,
) -> BundleResult:
    """Write the article's WACZ to ``out`` (atomically: a temporary file renamed at the end)."""
    key = keys.load_or_create(data_dir)
    with engine.connect() as conn:
        article = conn.execute(select(Article).where(Article.article_id == article_id)).first()
        if article is None:
            raise BundleError(f"no article {article_id}")
        outlet = conn.execute(select(Outlet).where(Outlet.outlet_id == article.outlet_id)).first()
        versions = list(
            conn.execute(
                select(ArticleVersion)
                .where(ArticleVersion.article_id == article_id)
                .order_by(ArticleVersion.version)
            )
        )
        revisits = list(
            conn.execute(
                select(ArticleRevisit)
                .where(ArticleRevisit.article_id == article_id)
                .order_by(ArticleRevisit.checked_at, ArticleRevisit.revisit_id)
            )
        )
        fetches = _fetches(conn, article)
        covering = _covering_entries(conn, fetches)
    if not covering:
        raise BundleError(f"article {article_id} has no archived capture")
    entries = load_chain(engine, min(e.seq for e in covering.values()))
    stamps = [(e.seq, e.tsa_time, e.tsa_url) for e in entries if e.tsa_token]
    files: dict[str, bytes | Path] = {}
    pages = [json.dumps({"format": "json-pages-1.0", "id": "pages", "title": "All Pages"})]
    for f in fetches:
        later_page = f.kind == "revisit" and f.http_status == 200  # a revisit that saw the page
        if (f.kind == "article" or later_page) and f.warc_file in covering:
            pages.append(
                json.dumps(
                    {
                        "id": f"fetch-{f.fetch_id}",
                        "url": f.final_url or f.requested_url,
                        "ts": iso(f.fetched_at),
                        "title": article.title or "",
                    },
                    ensure_ascii=False,
                )
            )
    cdxj: list[str] = []
    with tempfile.TemporaryDirectory(prefix="dadkhah-bundle-") as tmp:
        for warc_file, entry in sorted(covering.items()):
            source = resolve_inside(archive_dir, warc_file)
            cut = Path(tmp) / warc_file.replace("/", "-")
            digest = hashlib.sha256()
            try:
                with open(source, "rb") as src, open(cut, "wb") as dst:
                    left = entry.size
                    while left:
                        chunk = src.read(min(left, 1 << 20))
                        if not chunk:
                            raise BundleError(f"{warc_file} is shorter than its sealed {entry.size} bytes")
                        digest.update(chunk)
                        dst.write(chunk)
                        left -= len(chunk)
            except FileNotFoundError:
                raise BundleError(
                    f"{warc_file} (sealed by entry {entry.seq}) is missing from the archive"
                ) from None
            if digest.hexdigest() != entry.sha256:
                raise BundleError(
                    f"{warc_file}: its first {entry.size} bytes hash to {digest.hexdigest()}, not to "
                    f"{entry.sha256} (entry {entry.seq}): the archive was altered after sealing; "
                    "`dadkhah archive verify` lists the damaged records"
                )
            files[bundle_name(warc_file)] = cut
            cdxj += _cdxj_lines(cut, bundle_name(warc_file), entry.size)
        fetch_rows = []
        for f in fetches:
            row = _row(f, FETCH_COLUMNS)
            row["bundle_warc_file"] = bundle_name(f.warc_file) if f.warc_file in covering else None
            row["manifest_seq"] = covering[f.warc_file].seq if f.warc_file in covering else None
            fetch_rows.append(row)
        files["indexes/index.cdx"] = ("\n".join(sorted(cdxj)) + "\n").encode()
        files["pages/pages.jsonl"] = ("\n".join(pages) + "\n").encode()
        article_json = _row(article, [c.name for c in Article.__table__.columns])
        article_json["outlet"] = _row(outlet, ["outlet_id", "name", "home", "language", "affiliation"])
        files["evidence/article.json"] = json.dumps(article_json, ensure_ascii=False, indent=2).encode()
        files["evidence/versions.jsonl"] = "".join(
            json.dumps(_row(v, VERSION_COLUMNS), ensure_ascii=False) + "\n" for v in versions
        ).encode()
        files["evidence/diffs.txt"] = _diffs(versions, revisits).encode()
        if revisits:  # absent when there are none (an empty JSONL file is no valid WACZ resource)
            files["evidence/revisits.jsonl"] = "".join(
                json.dumps(_row(r, REVISIT_COLUMNS), ensure_ascii=False) + "\n" for r in revisits
            ).encode()
        files["evidence/fetches.jsonl"] = "".join(
            json.dumps(r, ensure_ascii=False) + "\n" for r in fetch_rows
        ).encode()
        files["evidence/manifest.jsonl"] = "".join(e.entry + "\n" for e in entries).encode("ascii")
        files["evidence/signatures.jsonl"] = "".join(
            json.dumps({"seq": e.seq, "key_id": e.key_id, "ed25519": base64.b64encode(e.signature).decode()})
            + "\n"
            for e in entries
        ).encode()
        files["evidence/public-key.pem"] = key.public_pem()
        head = entries[-1]
        files["evidence/head.txt"] = head.entry.encode("ascii")  # exactly the signed bytes
        files["evidence/head.sig"] = head.signature
        for e in entries:
            if e.tsa_token:
                files[f"evidence/entry-{e.seq}.txt"] = e.entry.encode("ascii")
                files[f"evidence/entry-{e.seq}.tsr"] = e.tsa_token
        if stamps and tsa_ca_file:
            files["evidence/tsa-ca.pem"] = Path(tsa_ca_file).read_bytes()
        files["evidence/summary.txt"] = _summary(
            article, outlet, versions, fetches, entries, covering, key.key_id, stamps, revisits
        ).encode()
        size = _write_wacz(out, files, article, fetches, key)
    return BundleResult(out, article_id, len(fetches), len(covering), len(entries), len(stamps), size)


def _sha256_of(content: bytes | Path) -> tuple[str, int]:
    if isinstance(content, bytes):
        return hashlib.sha256(content).hexdigest(), len(content)
    digest = hashlib.sha256()
    with open(content, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest(), content.stat().st_size


def _write_wacz(out: Path, files: dict[str, bytes | Path], article, fetches, key: keys.SigningKey) -> int:
    created = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    resources = []
    for path, content in files.items():
        digest, size = _sha256_of(content)
        name = path.split("/")[-1].lower()
        resources.append({"name": name, "path": path, "hash": f"sha256:{digest}", "bytes": size})
    first = next((f for f in fetches if f.kind == "article"), None)  # the first capture, not a revisit
    package = {
        "profile": "data-package",
        "wacz_version": WACZ_VERSION,
        "title": f"dadkhah evidence: article {article.article_id}",
        "description": article.title or "",
        "created": created,
        "software": f"dadkhah {__version__}",
        "mainPageUrl": article.canonical_url,
        "mainPageDate": iso(first.fetched_at) if first else None,
        "resources": resources,
    }
    package_bytes = json.dumps(package, ensure_ascii=False, indent=2).encode()
    digest: dict = {"path": "datapackage.json", "hash": "sha256:" + hashlib.sha256(package_bytes).hexdigest()}
    # The chain signs the WARC files; this signs the rest (the article and its versions, the
    # fetch rows, the summary): datapackage.json lists every file's hash, and its hash is signed.
    signature = key.sign(digest["hash"].encode("ascii"))
    digest[keys.PACKAGE_SIGNATURE] = {
        "key_id": key.key_id,
        "signature": base64.b64encode(signature).decode("ascii"),
    }
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial-{os.getpid()}")
    try:
        # ZIP_STORED throughout: WACZ wants WARCs stored, and gzip members do not shrink again.
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_STORED) as zf:
            for path, content in files.items():
                if isinstance(content, bytes):
                    zf.writestr(path, content)
                else:
                    zf.write(content, path)
            zf.writestr("datapackage.json", package_bytes)
            zf.writestr("datapackage-digest.json", json.dumps(digest, indent=2))
        os.replace(partial, out)
    finally:
        if partial.exists():
            partial.unlink()
    return out.stat().st_size
