"""Chain of custody and evidence bundles, end to end on a real crawl of a loopback site.

A real pass over a small loopback site with a real RFC 3161 authority on loopback (OpenSSL's
`ts -reply`, tests/tsa.py) seals its WARC files; bundles are written with the CLI, checked
with `dadkhah verify`, with the `wacz` package's validator and with plain OpenSSL and
SHA-256 as a third party would; then each kind of tampering is shown to be detected.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from pipeline.archive import WarcArchive, scan_members
from pipeline.cli import app
from pipeline.db import upgrade
from pipeline.evidence import keys
from pipeline.evidence.chain import GENESIS, entry_hash, seal_pending
from pipeline.ingest import ingest
from pipeline.settings import Settings
from tests.loopback import news_site, outlets_yaml
from tests.pg import create_scratch_database, drop_database
from tests.tsa import LocalTSA

ARTICLES = 3


def _crawl(pg_server_url, tmp: Path, tsa: LocalTSA | None):
    url = create_scratch_database(pg_server_url)
    engine = create_engine(url)
    upgrade(engine)  # ingest never migrates
    settings = Settings(
        database_url=url,
        archive_dir=tmp / "archive",
        data_dir=tmp / "data",
        tsa_url=tsa.url if tsa else None,
        tsa_ca_file=tsa.ca_file if tsa else None,
    )
    site = news_site(ARTICLES)
    try:
        outlets = outlets_yaml(
            tmp, [{"name": "Monitor", "home": site.base + "/", "feeds": [site.base + "/feed"]}]
        )
        report = ingest(settings, outlets_file=outlets, trigger="test", stream_logs=False, engine=engine)
    finally:
        site.stop()
    assert report.status == "finished", report.outlets
    assert report.outlets["Monitor"]["stored"] == ARTICLES, report.outlets
    env = {
        "DADKHAH_DATABASE_URL": url,
        "DADKHAH_ARCHIVE_DIR": str(settings.archive_dir),
        "DADKHAH_DATA_DIR": str(settings.data_dir),
        "DADKHAH_TSA_URL": settings.tsa_url or "",
        "DADKHAH_TSA_CA_FILE": str(settings.tsa_ca_file or ""),
    }
    return {"engine": engine, "url": url, "settings": settings, "env": env, "tmp": tmp}


@pytest.fixture(scope="module")
def tsa():
    authority = LocalTSA().start()
    yield authority
    authority.stop()


@pytest.fixture(scope="module")
def crawl(pg_server_url, tmp_path_factory, tsa):
    state = _crawl(pg_server_url, tmp_path_factory.mktemp("evidence"), tsa)
    yield state
    state["engine"].dispose()
    drop_database(pg_server_url, state["url"])


def _rows(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).mappings().all()


def _article_id(engine) -> int:
    return _rows(engine, "SELECT min(article_id) AS id FROM articles")[0]["id"]


@pytest.fixture(scope="module")
def bundle(crawl, tmp_path_factory):
    out = tmp_path_factory.mktemp("bundle") / "article.wacz"
    result = CliRunner().invoke(
        app, ["evidence", str(_article_id(crawl["engine"])), "--out", str(out)], env=crawl["env"]
    )
    assert result.exit_code == 0, result.output
    return out


def _verify(path: Path, env: dict, *extra: str):
    return CliRunner().invoke(app, ["verify", str(path), *extra], env=env)


# -- the chain --------------------------------------------------------------------------------


def test_crawl_seals_each_file_into_a_signed_timestamped_chain(crawl):
    settings = crawl["settings"]
    entries = _rows(crawl["engine"], "SELECT * FROM warc_manifest ORDER BY seq")
    files = sorted(str(p.relative_to(settings.archive_dir)) for p in settings.archive_dir.rglob("*.warc.gz"))
    assert [e["warc_file"] for e in entries] == files and len(files) == 1
    private, public = keys.key_paths(settings.data_dir)
    assert private.stat().st_mode & 0o777 == 0o600
    public_key = keys.load_public_pem(public.read_bytes())
    prev = GENESIS
    for e in entries:
        path = settings.archive_dir / e["warc_file"]
        assert e["size"] == path.stat().st_size == scan_members(path).complete_end
        assert e["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        fetched = _rows(
            crawl["engine"],
            "SELECT count(*) AS n, min(fetched_at) AS first, max(fetched_at) AS last FROM fetches "
            "WHERE warc_file = :f",
            f=e["warc_file"],
        )[0]
        assert e["records"] == 1 + 2 * fetched["n"]  # warcinfo, then a response and a request per fetch
        assert e["first_capture"] == fetched["first"] and e["last_capture"] == fetched["last"]
        assert e["prev_hash"] == prev and json.loads(e["entry"])["prev"] == prev
        assert e["entry_hash"] == entry_hash(e["entry"])
        assert keys.verify_signature(public_key, bytes(e["signature"]), e["entry"].encode())
        prev = e["entry_hash"]
    head = entries[-1]
    assert head["tsa_token"] is not None and abs((head["tsa_time"] - head["sealed_at"]).total_seconds()) < 60
    # A third party's check of the stamp, with OpenSSL alone.
    tmp = crawl["tmp"]
    (tmp / "head.txt").write_bytes(head["entry"].encode())
    (tmp / "head.tsr").write_bytes(bytes(head["tsa_token"]))
    check = subprocess.run(
        [
            "openssl",
            "ts",
            "-verify",
            "-data",
            "head.txt",
            "-in",
            "head.tsr",
            "-CAfile",
            str(settings.tsa_ca_file),
        ],
        cwd=tmp,
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0 and "Verification: OK" in check.stdout, check.stdout + check.stderr


def test_seal_command_seals_a_crashed_writers_file_and_leaves_an_open_one(crawl, tsa):
    settings, engine, env = crawl["settings"], crawl["engine"], crawl["env"]
    now = datetime.now(UTC)
    exchange = {
        "url": "http://127.0.0.1:9/x",
        "method": "GET",
        "request_headers": [("User-Agent", "t")],
        "status": 200,
        "reason": "OK",
        "protocol": "HTTP/1.1",
        "response_headers": [("Content-Type", "text/html")],
        "body": b"<html>left by a crash</html>",
        "fetched_at": now,
    }
    crashed = WarcArchive(settings.archive_dir, outlet_id=99, run_id=990, software="t", now=now)
    crashed.write_exchange(**exchange)
    crashed.close()  # what a killed child leaves: records on disk, no seal
    open_one = WarcArchive(settings.archive_dir, outlet_id=99, run_id=991, software="t", now=now)
    open_one.write_exchange(**exchange)
    try:
        result = CliRunner().invoke(app, ["evidence", "seal"], env=env)
        assert result.exit_code == 0, result.output
        assert "sealed entry" in result.output and crashed.relative in result.output
        assert f"still being written, sealed later: {open_one.relative}" in result.output
    finally:
        open_one.close()
    sealed = {r["warc_file"] for r in _rows(engine, "SELECT warc_file FROM warc_manifest")}
    assert crashed.relative in sealed and open_one.relative not in sealed
    # Appended to again (a retried crawl): a new entry covers the new size; the old one stays.
    again = WarcArchive(settings.archive_dir, outlet_id=99, run_id=990, software="t", now=now)
    assert again.relative == crashed.relative
    again.write_exchange(**exchange)
    again.close()
    report = seal_pending(engine, settings.archive_dir, settings.data_dir, tsa_url=tsa.url)
    assert crashed.relative in [e.warc_file for e in report.sealed] and not report.problems
    sizes = [
        r["size"]
        for r in _rows(
            engine, "SELECT size FROM warc_manifest WHERE warc_file = :f ORDER BY seq", f=crashed.relative
        )
    ]
    assert len(sizes) == 2 and sizes[0] < sizes[1]
    # A sealed byte changed, then the file grown: refused, exit 5, never sealed over.
    path = settings.archive_dir / crashed.relative
    original = path.read_bytes()
    raw = bytearray(original)
    raw[sizes[0] // 2] ^= 0x01
    path.write_bytes(bytes(raw))
    with open(path, "ab") as fh:
        fh.write(gzip.compress(b"WARC/1.1\r\n"))
    result = CliRunner().invoke(app, ["evidence", "seal"], env=env)
    assert result.exit_code == 5, result.output
    assert "damaged after sealing; not sealed again" in result.output
    path.write_bytes(original)  # put back as sealed, for the other tests
    assert (
        hashlib.sha256(original).hexdigest()
        == _rows(
            engine,
            "SELECT sha256 FROM warc_manifest WHERE warc_file = :f ORDER BY seq DESC LIMIT 1",
            f=crashed.relative,
        )[0]["sha256"]
    )


def test_pubkey_command_prints_the_key_that_signs(crawl):
    result = CliRunner().invoke(app, ["evidence", "pubkey"], env=crawl["env"])
    assert result.exit_code == 0, result.output
    pem = result.stdout[result.stdout.index("-----BEGIN PUBLIC KEY-----") :].split(
        "-----END PUBLIC KEY-----"
    )[0]
    key = keys.load_public_pem((pem + "-----END PUBLIC KEY-----\n").encode())
    ids = {r["key_id"] for r in _rows(crawl["engine"], "SELECT DISTINCT key_id FROM warc_manifest")}
    assert ids == {keys.key_id(key)}


# -- bundles ----------------------------------------------------------------------------------


def test_bundle_is_written_and_verifies(crawl, bundle):
    result = _verify(bundle, crawl["env"])
    assert result.exit_code == 0, result.output
    assert "FAILED" not in result.output and "checks hold" in result.output
    assert "RFC 3161 timestamp of entry" in result.output
    with zipfile.ZipFile(bundle) as zf:
        names = set(zf.namelist())
        fetches = [json.loads(line) for line in zf.read("evidence/fetches.jsonl").splitlines()]
        versions = [json.loads(line) for line in zf.read("evidence/versions.jsonl").splitlines()]
        summary = zf.read("evidence/summary.txt").decode()
        package = json.loads(zf.read("datapackage.json"))
    assert {"datapackage.json", "datapackage-digest.json", "indexes/index.cdx", "pages/pages.jsonl"} <= names
    assert package["wacz_version"] == "1.1.1"
    kinds = sorted(f["kind"] for f in fetches)
    assert kinds == ["article", "feed"], kinds  # the feed capture that led to the article is in
    article = next(f for f in fetches if f["kind"] == "article")
    feed = next(f for f in fetches if f["kind"] == "feed")
    assert article["discovered_from"] == feed["requested_url"]
    assert versions and versions[0]["extractor"] and "extractor_settings" in versions[0]
    assert versions[0]["fetch_id"] == article["fetch_id"]
    assert "Report number" in summary and article["raw_sha256"] in summary and "timestamped" in summary


def test_bundle_passes_the_wacz_packages_validator(bundle):
    result = subprocess.run(
        [sys.executable, "-m", "wacz", "validate", "-f", str(bundle)], capture_output=True, text=True
    )
    assert result.returncode == 0 and "Validation succeeded" in result.stdout, result.stdout + result.stderr


def test_third_party_checks_without_dadkhah(crawl, bundle, tmp_path):
    """sha256sum, openssl pkeyutl and openssl ts -verify on the bundle's own files."""
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(tmp_path)
    entries = [json.loads(line) for line in (tmp_path / "evidence/manifest.jsonl").read_text().splitlines()]
    for warc in (tmp_path / "archive").iterdir():
        digest = subprocess.run(
            ["sha256sum", str(warc)], capture_output=True, text=True, check=True
        ).stdout.split()[0]
        assert digest in {e["sha256"] for e in entries}
    # The README's chain-link check with coreutils only: a line's SHA-256 is the next one's prev.
    link = subprocess.run(
        "head -n1 evidence/manifest.jsonl | tr -d '\\n' | sha256sum",
        shell=True, cwd=tmp_path, capture_output=True, text=True, check=True,
    )  # fmt: skip
    stored = _rows(
        crawl["engine"], "SELECT entry_hash FROM warc_manifest WHERE seq = :s", s=entries[0]["seq"]
    )
    assert link.stdout.split()[0] == stored[0]["entry_hash"]
    if len(entries) > 1:
        assert link.stdout.split()[0] == entries[1]["prev"]
    sig = subprocess.run(
        ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", "evidence/public-key.pem", "-rawin",
         "-in", "evidence/head.txt", "-sigfile", "evidence/head.sig"],
        cwd=tmp_path, capture_output=True, text=True,
    )  # fmt: skip
    assert sig.returncode == 0 and "Signature Verified Successfully" in sig.stdout, sig.stdout + sig.stderr
    tokens = sorted((tmp_path / "evidence").glob("entry-*.tsr"))
    assert tokens
    for token in tokens:
        stamp = subprocess.run(
            ["openssl", "ts", "-verify", "-data", str(token.with_suffix(".txt")), "-in", str(token),
             "-CAfile", "evidence/tsa-ca.pem"],
            cwd=tmp_path, capture_output=True, text=True,
        )  # fmt: skip
        assert stamp.returncode == 0 and "Verification: OK" in stamp.stdout, stamp.stdout + stamp.stderr


# -- tampering --------------------------------------------------------------------------------


def _rewrite(src: Path, dst: Path, change, *, rehash: bool = True) -> None:
    """Copy a bundle, letting ``change(files)`` edit its members; with ``rehash`` the forger
    also fixes datapackage.json and its digest, so only the deeper checks can catch it."""
    with zipfile.ZipFile(src) as zf:
        files = {n: zf.read(n) for n in zf.namelist()}
    change(files)
    if rehash:
        package = json.loads(files["datapackage.json"])
        for resource in package["resources"]:
            data = files[resource["path"]]
            resource["hash"] = "sha256:" + hashlib.sha256(data).hexdigest()
            resource["bytes"] = len(data)
        files["datapackage.json"] = json.dumps(package, indent=2).encode()
        files["datapackage-digest.json"] = json.dumps(
            {
                "path": "datapackage.json",
                "hash": "sha256:" + hashlib.sha256(files["datapackage.json"]).hexdigest(),
            }
        ).encode()
    with zipfile.ZipFile(dst, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)


def _warc_name(files) -> str:
    return next(n for n in files if n.startswith("archive/"))


def _article_fetch(files) -> dict:
    return next(
        f
        for f in (json.loads(line) for line in files["evidence/fetches.jsonl"].splitlines())
        if f["kind"] == "article"
    )


def _flip_body_byte(files):
    """One byte of the article's body changed, its gzip member rebuilt so it still reads."""
    name, fetch = _warc_name(files), _article_fetch(files)
    raw = files[name]
    start, end = fetch["warc_offset"], fetch["warc_offset"] + fetch["warc_length"]
    record = gzip.decompress(raw[start:end])
    at = record.index(b"Report number")
    record = record[:at] + b"Rep0rt" + record[at + 6 :]
    files[name] = raw[:start] + gzip.compress(record) + raw[end:]


def _flip_raw_byte(files):
    name, fetch = _warc_name(files), _article_fetch(files)
    raw = bytearray(files[name])
    raw[fetch["warc_offset"] + fetch["warc_length"] // 2] ^= 0x01
    files[name] = bytes(raw)


def _remove_record(files):
    name, fetch = _warc_name(files), _article_fetch(files)
    raw = files[name]
    start, end = fetch["warc_offset"], fetch["warc_offset"] + fetch["warc_length"]
    files[name] = raw[:start] + raw[end:]


def _edit_entry(files):
    """The entry of the bundle's WARC file says one record fewer."""
    lines = files["evidence/manifest.jsonl"].decode().splitlines()
    for i, line in enumerate(lines):
        entry = json.loads(line)
        if entry["file"] == _article_fetch(files)["warc_file"]:
            entry["records"] -= 1
            lines[i] = json.dumps(entry, sort_keys=True, separators=(",", ":"))
    files["evidence/manifest.jsonl"] = ("\n".join(lines) + "\n").encode()


def _wrong_signature(files):
    other = Ed25519PrivateKey.generate()
    lines = files["evidence/signatures.jsonl"].decode().splitlines()
    manifest = files["evidence/manifest.jsonl"].decode().splitlines()
    sig = json.loads(lines[-1])
    sig["ed25519"] = base64.b64encode(other.sign(manifest[-1].encode())).decode()
    lines[-1] = json.dumps(sig)
    files["evidence/signatures.jsonl"] = ("\n".join(lines) + "\n").encode()


def _forge_fetch_row(files):
    """The article's fetch row says another URL and an earlier capture time than its record:
    what a reader cites, while the record and every hash the chain seals are untouched."""
    lines = files["evidence/fetches.jsonl"].decode().splitlines()
    for i, line in enumerate(lines):
        row = json.loads(line)
        if row["kind"] == "article":
            row["final_url"] = row["requested_url"] = row["final_url"].replace("/news/", "/official/")
            row["fetched_at"] = "2020-01-01T00:00:00.000000Z"
            lines[i] = json.dumps(row)
            break
    files["evidence/fetches.jsonl"] = ("\n".join(lines) + "\n").encode()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_flip_body_byte, "record reads back to its SHA-256"),
        (_forge_fetch_row, "URL, capture time and status are the record's"),
        (_flip_raw_byte, "SHA-256 = entry"),
        (_remove_record, "size"),
        (_edit_entry, "Ed25519 signatures"),
        (_wrong_signature, "signature does not verify"),
    ],
    ids=["body-byte", "fetch-row", "raw-byte", "record-removed", "entry-edited", "wrong-signature"],
)
def test_tampering_is_detected(crawl, bundle, tmp_path, change, expected):
    forged = tmp_path / "forged.wacz"
    _rewrite(bundle, forged, change)
    result = _verify(forged, crawl["env"])
    assert result.exit_code == 5, result.output
    failed = [line for line in result.output.splitlines() if line.startswith("FAILED")]
    assert any(expected in line for line in failed), result.output
    # The same change without the forger's re-hashing fails the package hashes too.
    naive = tmp_path / "naive.wacz"
    _rewrite(bundle, naive, change, rehash=False)
    result = _verify(naive, crawl["env"])
    assert result.exit_code == 5 and "hash: sha256:" in result.output, result.output


def test_edited_article_text_fails_the_package_signature(crawl, bundle, tmp_path):
    """The extracted text a reader quotes (evidence/article.json) is outside the WARC files the
    chain seals: a forger who edits it and re-makes the package hashes, keeping the signature
    field, is caught by the signature over datapackage.json's hash; so is one who drops it."""
    with zipfile.ZipFile(bundle) as zf:
        signed = json.loads(zf.read("datapackage-digest.json"))[keys.PACKAGE_SIGNATURE]

    def edit_text(files):
        article = json.loads(files["evidence/article.json"])
        article["text"] = article["text"].replace("Report number", "Rumour number")
        files["evidence/article.json"] = json.dumps(article).encode()

    def keep_signature(files):
        digest = json.loads(files["datapackage-digest.json"])
        files["datapackage-digest.json"] = json.dumps(digest | {keys.PACKAGE_SIGNATURE: signed}).encode()

    forged, stripped = tmp_path / "forged.wacz", tmp_path / "stripped.wacz"
    _rewrite(bundle, stripped, edit_text)
    _rewrite(stripped, forged, keep_signature, rehash=False)
    for path in (forged, stripped):
        result = _verify(path, crawl["env"])
        assert result.exit_code == 5, result.output
        failed = [line for line in result.output.splitlines() if line.startswith("FAILED")]
        assert failed == [line for line in failed if "datapackage.json's hash is signed" in line] != [], (
            result.output
        )
    assert _verify(bundle, crawl["env"]).exit_code == 0


def test_edited_entry_breaks_the_chain_link_and_the_timestamp(crawl, bundle, tmp_path):
    def edit_first(files):
        lines = files["evidence/manifest.jsonl"].decode().splitlines()
        entry = json.loads(lines[0])
        entry["sha256"] = "0" * 64
        lines[0] = json.dumps(entry, sort_keys=True, separators=(",", ":"))
        files["evidence/manifest.jsonl"] = ("\n".join(lines) + "\n").encode()

    forged = tmp_path / "forged.wacz"
    _rewrite(bundle, forged, edit_first)
    result = _verify(forged, crawl["env"])
    assert result.exit_code == 5, result.output
    assert "FAILED  chain links" in result.output or "FAILED  RFC 3161" in result.output, result.output


def test_resigned_with_another_key_fails_against_the_published_key(crawl, bundle, tmp_path):
    """A forger who re-signs everything with a key of their own passes the signature check
    only with that key: `--pubkey` with the published key catches it."""
    other = Ed25519PrivateKey.generate()

    def resign(files):
        manifest = files["evidence/manifest.jsonl"].decode().splitlines()
        kid = keys.key_id(other.public_key())
        new_lines, sigs, prev = [], [], None
        for line in manifest:
            entry = json.loads(line)
            entry["key_id"] = kid
            if prev is not None:
                entry["prev"] = entry_hash(prev)
            prev = json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
            new_lines.append(prev)
            sigs.append(
                json.dumps(
                    {
                        "seq": entry["seq"],
                        "key_id": kid,
                        "ed25519": base64.b64encode(other.sign(prev.encode())).decode(),
                    }
                )
            )
        files["evidence/manifest.jsonl"] = ("\n".join(new_lines) + "\n").encode()
        files["evidence/signatures.jsonl"] = ("\n".join(sigs) + "\n").encode()
        files["evidence/public-key.pem"] = keys.public_pem(other.public_key())
        files["evidence/head.txt"] = new_lines[-1].encode()
        files["evidence/head.sig"] = other.sign(new_lines[-1].encode())

    forged = tmp_path / "forged.wacz"
    _rewrite(bundle, forged, resign)
    published = tmp_path / "published.pem"
    published.write_bytes(CliRunner().invoke(app, ["evidence", "pubkey"], env=crawl["env"]).stdout.encode())
    result = _verify(forged, crawl["env"], "--pubkey", str(published))
    assert result.exit_code == 5, result.output
    assert "FAILED  bundled public key is the expected key" in result.output
    # The authority's timestamps were made over the original lines: they fail too.
    assert "FAILED  RFC 3161 timestamp" in result.output
    assert _verify(bundle, crawl["env"], "--pubkey", str(published)).exit_code == 0


def test_archive_changed_after_sealing_is_refused_a_bundle(crawl, tmp_path):
    settings = crawl["settings"]
    article_id = _article_id(crawl["engine"])
    fetch = _rows(
        crawl["engine"],
        "SELECT warc_file, warc_offset, warc_length FROM fetches f JOIN articles a ON a.first_fetch_id = f.fetch_id "
        "WHERE a.article_id = :a",
        a=article_id,
    )[0]
    path = settings.archive_dir / fetch["warc_file"]
    original = path.read_bytes()
    raw = bytearray(original)
    raw[fetch["warc_offset"] + fetch["warc_length"] // 2] ^= 0x01
    path.write_bytes(bytes(raw))
    try:
        out = tmp_path / "b.wacz"
        result = CliRunner().invoke(app, ["evidence", str(article_id), "--out", str(out)], env=crawl["env"])
        assert result.exit_code == 5, result.output
        assert "the archive was altered after sealing" in result.output and not out.exists()
    finally:
        path.write_bytes(original)


def test_unknown_article_and_unreadable_bundle(crawl, tmp_path):
    result = CliRunner().invoke(
        app, ["evidence", "999999", "--out", str(tmp_path / "x.wacz")], env=crawl["env"]
    )
    assert result.exit_code == 2 and "no article 999999" in result.output
    junk = tmp_path / "junk.wacz"
    junk.write_bytes(b"not a zip")
    assert _verify(junk, crawl["env"]).exit_code == 2


def test_without_a_timestamp_authority_signing_still_works(pg_server_url, tmp_path):
    state = _crawl(pg_server_url, tmp_path, None)
    try:
        entries = _rows(state["engine"], "SELECT * FROM warc_manifest")
        assert entries and all(e["tsa_token"] is None and e["signature"] for e in entries)
        out = tmp_path / "b.wacz"
        result = CliRunner().invoke(
            app, ["evidence", str(_article_id(state["engine"])), "--out", str(out)], env=state["env"]
        )
        assert result.exit_code == 0, result.output
        verdict = _verify(out, state["env"])
        assert verdict.exit_code == 0, verdict.output
        assert "no RFC 3161 timestamp" in verdict.output
    finally:
        state["engine"].dispose()
        drop_database(pg_server_url, state["url"])


def test_an_authority_that_is_down_leaves_the_head_for_the_next_seal(crawl, tsa):
    settings, engine = crawl["settings"], crawl["engine"]
    archive = WarcArchive(settings.archive_dir, outlet_id=98, run_id=980, software="t")
    archive.write_exchange(
        url="http://127.0.0.1:9/y", method="GET", request_headers=[], status=200, reason="OK",
        protocol="HTTP/1.1", response_headers=[], body=b"y", fetched_at=datetime.now(UTC),
    )  # fmt: skip
    archive.close()
    tsa.fail = True
    try:
        result = CliRunner().invoke(app, ["evidence", "seal"], env=crawl["env"])
    finally:
        tsa.fail = False
    assert result.exit_code == 4 and "no timestamp" in result.output, result.output
    head = _rows(engine, "SELECT seq, tsa_token FROM warc_manifest ORDER BY seq DESC LIMIT 1")[0]
    assert head["tsa_token"] is None
    result = CliRunner().invoke(app, ["evidence", "seal"], env=crawl["env"])
    assert result.exit_code == 0, result.output
    head = _rows(engine, "SELECT seq, tsa_token FROM warc_manifest ORDER BY seq DESC LIMIT 1")[0]
    assert head["tsa_token"] is not None


def test_garbage_inside_an_unsealed_file_is_reported_and_its_sound_part_sealed(crawl):
    settings, engine = crawl["settings"], crawl["engine"]
    archive = WarcArchive(settings.archive_dir, outlet_id=97, run_id=970, software="t")
    for body in (b"first", b"second"):
        archive.write_exchange(
            url="http://127.0.0.1:9/z", method="GET", request_headers=[], status=200, reason="OK",
            protocol="HTTP/1.1", response_headers=[], body=body, fetched_at=datetime.now(UTC),
        )  # fmt: skip
    archive.close()
    path = settings.archive_dir / archive.relative
    sound = path.stat().st_size
    with open(path, "ab") as fh:  # not gzip at all: a foreign write, not a writer cut short
        fh.write(b"garbage that is no gzip member" + gzip.compress(b"more"))
    result = CliRunner().invoke(app, ["evidence", "seal"], env=crawl["env"])
    assert result.exit_code == 5, result.output
    assert f"bytes at offset {sound} " in result.output and "sealed up to offset" in result.output
    row = _rows(engine, "SELECT size, records FROM warc_manifest WHERE warc_file = :f", f=archive.relative)
    assert [(r["size"], r["records"]) for r in row] == [(sound, 5)]


def test_a_signing_key_others_can_read_is_refused(tmp_path):
    keys.load_or_create(tmp_path)
    private, _public = keys.key_paths(tmp_path)
    os.chmod(private, 0o644)
    result = CliRunner().invoke(app, ["evidence", "pubkey"], env={"DADKHAH_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 2 and "chmod 600" in result.output, result.output


def test_check_command_finds_altered_removed_and_rewritten_entries(crawl, tsa, tmp_path):
    settings, engine, env = crawl["settings"], crawl["engine"], crawl["env"]
    extra = WarcArchive(settings.archive_dir, outlet_id=96, run_id=960, software="t")
    extra.write_exchange(
        url="http://127.0.0.1:9/w", method="GET", request_headers=[], status=200, reason="OK",
        protocol="HTTP/1.1", response_headers=[], body=b"w", fetched_at=datetime.now(UTC),
    )  # fmt: skip
    extra.close()
    assert not seal_pending(engine, settings.archive_dir, settings.data_dir, tsa_url=tsa.url).problems
    good = CliRunner().invoke(app, ["evidence", "check"], env=env)
    assert good.exit_code == 0 and ", 0 failed" in good.output, good.output

    copy = tmp_path / "archive"
    shutil.copytree(settings.archive_dir, copy)
    fetch = _rows(
        engine, "SELECT warc_file, warc_offset, warc_length FROM fetches WHERE kind = 'article' LIMIT 1"
    )[0]
    path = copy / fetch["warc_file"]
    raw = path.read_bytes()
    start, end = fetch["warc_offset"], fetch["warc_offset"] + fetch["warc_length"]
    record = gzip.decompress(raw[start:end])
    at = record.index(b"Report number")
    member = gzip.compress(record[:at] + b"Rep0rt" + record[at + 6 :])
    path.write_bytes(raw[:start] + member + raw[end:])
    (copy / extra.relative).unlink()
    bad = CliRunner().invoke(app, ["evidence", "check", "--archive-dir", str(copy)], env=env)
    assert bad.exit_code == 5, bad.output
    failed = [line for line in bad.output.splitlines() if line.startswith("FAILED")]
    assert any(fetch["warc_file"] in line and "as sealed" in line for line in failed), bad.output
    assert any(extra.relative in line and "missing from the archive" in line for line in failed), bad.output

    # A manifest entry rewritten in the database, its hash recomputed: signature and next link fail.
    row = _rows(engine, "SELECT seq, entry, entry_hash FROM warc_manifest ORDER BY seq LIMIT 1")[0]
    fields = json.loads(row["entry"])
    fields["records"] += 1
    forged = json.dumps(fields, sort_keys=True, separators=(",", ":"))
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE warc_manifest SET entry = :e, entry_hash = :h, records = records + 1 WHERE seq = :s"
            ),
            {"e": forged, "h": entry_hash(forged), "s": row["seq"]},
        )
    try:
        bad = CliRunner().invoke(app, ["evidence", "check"], env=env)
    finally:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "UPDATE warc_manifest SET entry = :e, entry_hash = :h, records = records - 1 WHERE seq = :s"
                ),
                {"e": row["entry"], "h": row["entry_hash"], "s": row["seq"]},
            )
    assert bad.exit_code == 5, bad.output
    assert f"FAILED  entry {row['seq']} " in bad.output and "signature does not verify" in bad.output
    assert f"FAILED  entry {row['seq'] + 1} " in bad.output and "the chain is broken here" in bad.output
    assert CliRunner().invoke(app, ["evidence", "check"], env=env).exit_code == 0
