"""`dadkhah verify FILE`: re-check an evidence bundle and say plainly what holds.

Every check is independent and reported; nothing stops at the first failure. What is
checked: the package's own hashes (datapackage-digest.json -> datapackage.json -> every
file, and no file unlisted); each bundled WARC file against its chain entry (size,
SHA-256, record count, first and last capture time); each fetch-log row against the record
at its offset (body SHA-256, record id); the chain links (each entry's ``prev`` is the hash
of the entry before it); every entry's Ed25519 signature with the bundled public key (or
the key you pass, which then must be the bundled one); and every RFC 3161 token against its
entry line, with the bundled authority CA or the one you pass.

Exit codes: 0 everything holds; 5 at least one check failed (each FAILED line says which);
2 the file is not a readable bundle.
"""

from __future__ import annotations

import base64
import hashlib
import json
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pipeline.archive import read_response_record, sha256_hex
from pipeline.evidence import keys
from pipeline.evidence.chain import GENESIS, entry_hash, file_facts, iso
from pipeline.evidence.timestamp import TimestampError, load_certificates, verify_stamp

EXIT_FAILED = 5
EXIT_UNREADABLE = 2
PACKAGE_FILES = {"datapackage.json", "datapackage-digest.json"}


class BundleUnreadable(RuntimeError):
    """Not a zip, or no datapackage.json: nothing can be checked."""


@dataclass
class Verdict:
    passed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def check(self, ok: bool, what: str, why: str = "") -> bool:
        (self.passed if ok else self.failed).append(what if ok else f"{what}: {why}")
        return ok

    @property
    def ok(self) -> bool:
        return not self.failed


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def verify_bundle(path: Path, *, public_key: Path | None = None, tsa_ca: Path | None = None) -> Verdict:
    verdict = Verdict()
    try:
        zf = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise BundleUnreadable(f"{path}: not a readable zip file: {exc}") from exc
    with zf, tempfile.TemporaryDirectory(prefix="dadkhah-verify-") as tmp:
        root = Path(tmp)
        names = [n for n in zf.namelist() if not n.endswith("/")]
        for name in names:
            if name.startswith("/") or ".." in Path(name).parts:
                raise BundleUnreadable(f"{path}: member {name!r} escapes the bundle")
        zf.extractall(root)
        if not (root / "datapackage.json").is_file():
            raise BundleUnreadable(f"{path}: no datapackage.json: not a WACZ")
        _check_package(root, names, verdict)
        manifest = _check_chain(root, verdict)
        _check_signatures(root, manifest, verdict, public_key)
        _check_warcs(root, manifest, verdict)
        _check_fetches(root, verdict)
        _check_timestamps(root, manifest, verdict, tsa_ca)
    return verdict


def _short(exc: Exception) -> str:
    """An exception in one printable line: warcio quotes the garbage it choked on."""
    text = "".join(ch if ch.isprintable() else "?" for ch in str(exc))
    return f"{type(exc).__name__}: {text[:120]}"


def _load_jsonl(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _check_package(root: Path, names: list[str], verdict: Verdict) -> None:
    package_bytes = (root / "datapackage.json").read_bytes()
    digest_file = root / "datapackage-digest.json"
    if digest_file.is_file():
        stated = json.loads(digest_file.read_text()).get("hash")
        actual = "sha256:" + hashlib.sha256(package_bytes).hexdigest()
        verdict.check(
            stated == actual, "datapackage.json matches datapackage-digest.json", f"{actual} != {stated}"
        )
    package = json.loads(package_bytes)
    listed = {}
    for resource in package.get("resources", []):
        listed[resource["path"]] = resource
        file = root / resource["path"]
        if not verdict.check(file.is_file(), f"{resource['path']} present", "listed but missing"):
            continue
        actual = "sha256:" + _sha256_file(file)
        verdict.check(
            actual == resource.get("hash") and file.stat().st_size == resource.get("bytes"),
            f"{resource['path']} hash",
            f"{actual}, {file.stat().st_size} bytes; listed {resource.get('hash')}, {resource.get('bytes')} bytes",
        )
    for name in names:
        if name not in PACKAGE_FILES and name not in listed:
            verdict.check(False, f"{name} listed", "in the bundle but not in datapackage.json")


def _check_chain(root: Path, verdict: Verdict) -> list[tuple[str, dict]]:
    """The manifest's lines, checked as a chain; (line, parsed) pairs."""
    lines = (root / "evidence" / "manifest.jsonl").read_text(encoding="ascii").splitlines()
    entries = [(line, json.loads(line)) for line in lines if line]
    if not verdict.check(
        bool(entries), "chain entries present", "evidence/manifest.jsonl is empty or missing"
    ):
        return []
    broken = []
    for (prev_line, prev), (_line, entry) in zip(entries, entries[1:], strict=False):
        if entry["seq"] != prev["seq"] + 1:
            broken.append(f"entry {entry['seq']} follows entry {prev['seq']}: an entry is missing")
        if entry["prev"] != entry_hash(prev_line):
            broken.append(f"entry {entry['seq']}'s prev is not the hash of entry {prev['seq']}")
    first = entries[0][1]
    verdict.check(
        not broken,
        f"chain links entries {first['seq']}..{entries[-1][1]['seq']}",
        "; ".join(broken),
    )
    if first["seq"] == 1:
        verdict.check(first["prev"] == GENESIS, "chain starts at the genesis", "entry 1 has a prev")
    else:
        verdict.notes.append(
            f"the chain is included from entry {first['seq']} on (its prev {first['prev'][:16]}... links it "
            "to the earlier entries, which cover other files)"
        )
    return entries


def _check_package_signature(root: Path, public, verdict: Verdict) -> None:
    """datapackage.json's hash (so every file it lists: article, versions, fetch rows, summary)
    signed by the bundle's key: without it, those files are only as good as their unsigned
    hash list, which anyone editing them can re-make."""
    digest_file = root / "datapackage-digest.json"
    try:
        digest = json.loads(digest_file.read_text()) if digest_file.is_file() else {}
        signed = digest.get(keys.PACKAGE_SIGNATURE) or {}
        ok = bool(signed) and keys.verify_signature(
            public, base64.b64decode(signed.get("signature", "")), str(digest.get("hash", "")).encode("ascii")
        )
    except (ValueError, UnicodeError, AttributeError):
        ok = False
    verdict.check(
        ok,
        "datapackage.json's hash is signed by the bundle's key (article, versions, fetch rows, summary)",
        "no valid signature in datapackage-digest.json: the files outside the WARCs are unproven"
        " (a bundle made before packages were signed: make it again with `dadkhah evidence ID`)",
    )


def _check_signatures(root: Path, manifest, verdict: Verdict, expected: Path | None) -> None:
    try:
        public = keys.load_public_pem((root / "evidence" / "public-key.pem").read_bytes())
    except (OSError, ValueError) as exc:
        verdict.check(False, "public key", f"evidence/public-key.pem unusable: {exc}")
        return
    kid = keys.key_id(public)
    _check_package_signature(root, public, verdict)
    if expected is not None:
        wanted = keys.key_id(keys.load_public_pem(Path(expected).read_bytes()))
        verdict.check(kid == wanted, f"bundled public key is the expected key {wanted}", f"it is {kid}")
    else:
        verdict.notes.append(
            f"signatures are checked with the key in the bundle, id {kid}: compare it with the "
            "installation's published key (`dadkhah evidence pubkey`), or pass --pubkey"
        )
    sigs = {s["seq"]: s for s in _load_jsonl(root / "evidence" / "signatures.jsonl")}
    bad = []
    for line, entry in manifest:
        sig = sigs.get(entry["seq"])
        if sig is None:
            bad.append(f"entry {entry['seq']} has no signature")
        elif entry.get("key_id") != kid:
            bad.append(f"entry {entry['seq']} names key {entry.get('key_id')}")
        elif not keys.verify_signature(public, base64.b64decode(sig["ed25519"]), line.encode("ascii")):
            bad.append(f"entry {entry['seq']}: signature does not verify")
    if manifest:
        verdict.check(not bad, f"Ed25519 signatures of {len(manifest)} chain entries", "; ".join(bad))
    head_txt, head_sig = root / "evidence" / "head.txt", root / "evidence" / "head.sig"
    if head_txt.is_file() and head_sig.is_file() and manifest:
        verdict.check(
            head_txt.read_bytes() == manifest[-1][0].encode("ascii")
            and keys.verify_signature(public, head_sig.read_bytes(), head_txt.read_bytes()),
            "head.txt is the last chain entry and head.sig its signature",
            "they do not match the chain",
        )


def _check_warcs(root: Path, manifest, verdict: Verdict) -> None:
    by_file = {}
    for _line, entry in manifest:
        by_file.setdefault(entry["file"], []).append(entry)
    fetches = _load_jsonl(root / "evidence" / "fetches.jsonl")
    bundled = {
        f["bundle_warc_file"]: (f["warc_file"], f["manifest_seq"])
        for f in fetches
        if f.get("bundle_warc_file")
    }
    archive = root / "archive"
    present = {f"archive/{p.name}" for p in archive.iterdir()} if archive.is_dir() else set()
    for name in sorted(present | set(bundled)):
        file = root / name
        if name not in bundled:
            verdict.notes.append(f"{name}: in the bundle but no fetch row points to it")
            continue
        original, seq = bundled[name]
        if not verdict.check(file.is_file(), f"{name} present", "a fetch row points to it but it is missing"):
            continue
        entry = next((e for e in by_file.get(original, []) if e["seq"] == seq), None)
        if not verdict.check(
            entry is not None, f"{name} has chain entry {seq}", "no such entry in the manifest"
        ):
            continue
        size = file.stat().st_size
        if not verdict.check(size == entry["size"], f"{name} size", f"{size} bytes, sealed {entry['size']}"):
            continue
        actual = _sha256_file(file)
        verdict.check(actual == entry["sha256"], f"{name} SHA-256 = entry {seq}", f"{actual}")
        try:
            facts = file_facts(file, size=size)
        except Exception as exc:  # noqa: BLE001 - a damaged file: say so, go on
            verdict.check(False, f"{name} readable", _short(exc))
            continue
        verdict.check(
            (facts.records, iso(facts.first_capture), iso(facts.last_capture))
            == (entry["records"], entry["first_capture"], entry["last_capture"]),
            f"{name} records and capture times = entry {seq}",
            f"{facts.records} records {iso(facts.first_capture)}..{iso(facts.last_capture)}; entry says "
            f"{entry['records']} {entry['first_capture']}..{entry['last_capture']}",
        )


def _check_fetches(root: Path, verdict: Verdict) -> None:
    fetches = _load_jsonl(root / "evidence" / "fetches.jsonl")
    verdict.check(bool(fetches), "fetch-log rows present", "evidence/fetches.jsonl is empty or missing")
    for f in fetches:
        if not f.get("bundle_warc_file"):
            continue
        what = f"fetch {f['fetch_id']} ({f['kind']}, {f['final_url'] or f['requested_url']})"
        try:
            record = read_response_record(root, f["bundle_warc_file"], f["warc_offset"])
        except Exception as exc:  # noqa: BLE001 - warcio raises assorted errors on garbage
            verdict.check(
                False, what, f"no record at {f['bundle_warc_file']}@{f['warc_offset']}: {_short(exc)}"
            )
            continue
        body = sha256_hex(record.body)
        rid = record.warc_headers.get("WARC-Record-ID")
        verdict.check(
            body == f["raw_sha256"] and (not f.get("warc_record_id") or rid == f["warc_record_id"]),
            f"{what}: record reads back to its SHA-256",
            f"body {body} / id {rid}; row says {f['raw_sha256']} / {f.get('warc_record_id')}",
        )
        # The row's URL, time and status are what a reader cites: they must be the sealed
        # record's own, not only a row whose hashes the (unsigned) package list vouches for.
        said = (
            f.get("final_url") or f.get("requested_url"),
            _instant(f.get("fetched_at")),
            f.get("http_status"),
        )
        sealed = (
            record.warc_headers.get("WARC-Target-URI"),
            _instant(record.warc_headers.get("WARC-Date")),
            record.status,
        )
        verdict.check(
            said == sealed and None not in sealed[:2],
            f"{what}: URL, capture time and status are the record's",
            f"record says {sealed[0]} at {record.warc_headers.get('WARC-Date')} HTTP {sealed[2]}; "
            f"row says {said[0]} at {f.get('fetched_at')} HTTP {said[2]}",
        )


def _instant(value: str | None) -> datetime | None:
    """A capture time as an instant (ISO 8601, ``Z`` or an offset), None if unreadable."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _check_timestamps(root: Path, manifest, verdict: Verdict, tsa_ca: Path | None) -> None:
    tokens = sorted((root / "evidence").glob("entry-*.tsr"))
    if not tokens:
        verdict.notes.append(
            "no RFC 3161 timestamp in the bundle: the capture and sealing times rest on the "
            "installation's own clock and signature"
        )
        return
    ca_path = Path(tsa_ca) if tsa_ca else root / "evidence" / "tsa-ca.pem"
    if not verdict.check(
        ca_path.is_file(), "timestamp authority CA available", f"{ca_path} missing (pass --tsa-ca)"
    ):
        return
    roots = load_certificates(ca_path.read_bytes())
    if tsa_ca is None:
        verdict.notes.append(
            "timestamps are checked against the CA included in the bundle: pass --tsa-ca with the "
            "authority's certificate from a source you trust"
        )
    lines = {entry["seq"]: line for line, entry in manifest}
    for token in tokens:
        seq = int(token.stem.split("-", 1)[1])
        line = lines.get(seq)
        if not verdict.check(
            line is not None, f"timestamp {token.name} names a chain entry", f"no entry {seq}"
        ):
            continue
        copy = token.with_suffix(".txt")  # the line as a file, for `openssl ts -verify -data`
        if copy.is_file():
            verdict.check(
                copy.read_bytes() == line.encode("ascii"), f"{copy.name} is entry {seq}", "it differs"
            )
        try:
            when = verify_stamp(token.read_bytes(), line.encode("ascii"), roots)
        except TimestampError as exc:
            verdict.check(False, f"RFC 3161 timestamp of entry {seq}", str(exc))
            continue
        verdict.check(True, f"RFC 3161 timestamp of entry {seq}: {iso(when)}")
