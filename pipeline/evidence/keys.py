"""The installation's Ed25519 signing key: made on first use, private part readable by the owner only.

Why a key of its own: a manifest chain proves that nothing changed since it was written,
but only a signature says *who* wrote it. The private key never leaves the data directory
and is never loaded by the crawl child (which parses hostile pages); only the sealing step,
run by the parent after the crawl, reads it.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

KEY_DIR = "evidence"
PRIVATE_NAME = "signing-key.pem"
# The field of a bundle's datapackage-digest.json holding the signature of its datapackage.json
# hash (the wacz validator ignores fields it does not know).
PACKAGE_SIGNATURE = "dadkhah_ed25519"
PUBLIC_NAME = "signing-key.pub.pem"


class SigningKeyError(RuntimeError):
    """The signing key exists but cannot be used (wrong permissions, not an Ed25519 key)."""


@dataclass(frozen=True)
class SigningKey:
    private: Ed25519PrivateKey
    path: Path

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    @property
    def key_id(self) -> str:
        return key_id(self.public)

    def public_pem(self) -> bytes:
        return public_pem(self.public)

    def sign(self, message: bytes) -> bytes:
        return self.private.sign(message)


def key_id(public: Ed25519PublicKey) -> str:
    """SHA-256 of the raw 32-byte public key, hex: what a third party compares."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def public_pem(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def load_public_pem(data: bytes) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(data)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def verify_signature(public: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    try:
        public.verify(signature, message)
    except InvalidSignature:
        return False
    return True


def key_paths(data_dir: Path) -> tuple[Path, Path]:
    folder = Path(data_dir) / KEY_DIR
    return folder / PRIVATE_NAME, folder / PUBLIC_NAME


def load_or_create(data_dir: Path) -> SigningKey:
    """The key under ``data_dir/evidence``; created (0600) when there is none yet."""
    private_path, public_path = key_paths(data_dir)
    private_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not private_path.exists():
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        try:  # O_EXCL: two first uses at once keep one key, the loser reads the winner's
            fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as fh:
                fh.write(pem)
                fh.flush()
                os.fsync(fh.fileno())
    mode = private_path.stat().st_mode & 0o777
    if mode & 0o077:
        raise SigningKeyError(f"{private_path} is readable by others (mode {mode:o}): chmod 600 it")
    try:
        key = serialization.load_pem_private_key(private_path.read_bytes(), password=None)
    except ValueError as exc:
        raise SigningKeyError(f"{private_path}: not a readable private key: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{private_path}: not an Ed25519 key")
    signing = SigningKey(key, private_path)
    if not public_path.exists() or public_path.read_bytes() != signing.public_pem():
        public_path.write_bytes(signing.public_pem())
    return signing
