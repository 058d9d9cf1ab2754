"""`dadkhah evidence check`: the whole chain of custody against the archive on disk.

Where `dadkhah archive verify` checks each fetch row against its record, this checks what
the chain promises: every entry's line hashes to its stored hash and links to the one
before it, its signature holds with the installation's public key, its timestamp (when
there is one and the authority's CA is configured) holds, and each file's first ``size``
bytes still hash to what the entry sealed. A file altered in place, cut, replaced or removed
fails here even if no bundle was ever made of it. Files not (fully) sealed yet are listed.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from sqlalchemy import Engine, select

from pipeline.archive import ArchiveError, resolve_inside
from pipeline.evidence import keys
from pipeline.evidence.chain import GENESIS, archive_files, entry_hash
from pipeline.evidence.timestamp import TimestampError, load_certificates, verify_stamp
from pipeline.evidence.verify import Verdict
from schema.models import WarcManifestEntry

_CHUNK = 1 << 20


def _prefix_hashes(path: Path, sizes: list[int]) -> dict[int, str | None]:
    """SHA-256 of the first n bytes for each n in ``sizes``, in one read (None: file too short)."""
    wanted = sorted(set(sizes))
    out: dict[int, str | None] = {}
    digest = hashlib.sha256()
    done = 0
    with open(path, "rb") as fh:
        for size in wanted:
            while done < size:
                chunk = fh.read(min(_CHUNK, size - done))
                if not chunk:
                    break
                digest.update(chunk)
                done += len(chunk)
            out[size] = digest.hexdigest() if done == size else None
    return out


def check_chain(
    engine: Engine, archive_dir: Path, data_dir: Path, *, tsa_ca_file: Path | None = None
) -> Verdict:
    verdict = Verdict()
    with engine.connect() as conn:
        rows = list(conn.execute(select(WarcManifestEntry).order_by(WarcManifestEntry.seq)))
    public_path = keys.key_paths(data_dir)[1]
    public = keys.load_public_pem(public_path.read_bytes()) if public_path.is_file() else None
    if rows and public is None:
        verdict.check(False, "public key", f"{public_path} is missing: signatures cannot be checked")
    roots = load_certificates(Path(tsa_ca_file).read_bytes()) if tsa_ca_file else []
    prev, expected_seq, by_file = GENESIS, 1, {}
    for row in rows:
        where = f"entry {row.seq} ({row.warc_file})"
        problems = []
        if row.seq != expected_seq:
            problems.append(f"follows entry {expected_seq - 1}: entries are missing")
        fields = json.loads(row.entry)
        if entry_hash(row.entry) != row.entry_hash:
            problems.append("its line does not hash to its entry_hash")
        stated = (
            fields.get("file"),
            fields.get("size"),
            fields.get("sha256"),
            fields.get("prev"),
            fields.get("seq"),
        )
        if stated != (row.warc_file, row.size, row.sha256, row.prev_hash, row.seq):
            problems.append("its columns differ from its signed line")
        if fields.get("prev") != prev:
            problems.append("its prev is not the previous entry's hash: the chain is broken here")
        if public is not None and not (
            fields.get("key_id") == keys.key_id(public)
            and keys.verify_signature(public, bytes(row.signature), row.entry.encode("ascii"))
        ):
            problems.append("its signature does not verify with this installation's public key")
        if row.tsa_token is not None and roots:
            try:
                verify_stamp(bytes(row.tsa_token), row.entry.encode("ascii"), roots)
            except TimestampError as exc:
                problems.append(str(exc))
        verdict.check(not problems, where, "; ".join(problems))
        by_file.setdefault(row.warc_file, []).append(row)
        prev, expected_seq = row.entry_hash, row.seq + 1
    if rows and not roots and any(r.tsa_token is not None for r in rows):
        verdict.notes.append("timestamps not checked: set DADKHAH_TSA_CA_FILE (or pass --tsa-ca)")
    for warc_file, entries in sorted(by_file.items()):
        try:
            path = resolve_inside(archive_dir, warc_file)
        except ArchiveError as exc:
            verdict.check(False, warc_file, str(exc))
            continue
        if not verdict.check(path.is_file(), f"{warc_file} present", "sealed but missing from the archive"):
            continue
        hashes = _prefix_hashes(path, [e.size for e in entries])
        bad = [
            f"entry {e.seq}: first {e.size} bytes "
            + ("missing (file too short)" if hashes[e.size] is None else f"hash to {hashes[e.size]}")
            for e in entries
            if hashes[e.size] != e.sha256
        ]
        verdict.check(not bad, f"{warc_file} as sealed", "; ".join(bad))
    sealed_sizes = {f: max(e.size for e in es) for f, es in by_file.items()}
    for relative in archive_files(archive_dir):
        size = os.stat(Path(archive_dir) / relative).st_size
        if relative not in sealed_sizes:
            verdict.notes.append(f"{relative}: not sealed yet ({size} bytes)")
        elif size > sealed_sizes[relative]:
            verdict.notes.append(f"{relative}: {size - sealed_sizes[relative]} bytes after its last seal")
    return verdict
