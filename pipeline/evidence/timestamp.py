"""RFC 3161 trusted timestamps (rfc3161-client): a third party's word on *when*.

A signature made with our own key says who wrote the chain head, not when: the clock is
ours. A timestamp authority signs the head's hash with its own time, so a chain head
stamped at T proves every file it covers existed, unchanged, by T.
"""

from __future__ import annotations

import hashlib
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography import x509
from rfc3161_client import (
    HashAlgorithm,
    PKIStatus,
    TimestampRequestBuilder,
    VerificationError,
    VerifierBuilder,
    decode_timestamp_response,
)

DEFAULT_TIMEOUT = 10.0


class TimestampError(RuntimeError):
    """No usable timestamp was obtained (the authority failed, refused, or answered wrongly)."""


@dataclass(frozen=True)
class Stamp:
    token: bytes  # the whole TimeStampResp, DER: what `openssl ts -verify -in` reads
    gen_time: datetime
    tsa_url: str


def request_stamp(url: str, message: bytes, *, timeout: float = DEFAULT_TIMEOUT) -> Stamp:
    """Ask the authority at ``url`` to stamp ``message`` (its SHA-256 is sent, not the bytes)."""
    request = TimestampRequestBuilder().data(message).hash_algorithm(HashAlgorithm.SHA256).build()
    http = urllib.request.Request(
        url, data=request.as_bytes(), headers={"Content-Type": "application/timestamp-query"}
    )
    try:
        with urllib.request.urlopen(http, timeout=timeout) as answer:  # noqa: S310 - configured URL
            body = answer.read()
    except OSError as exc:
        raise TimestampError(f"timestamp authority {url}: {exc}") from exc
    try:
        response = decode_timestamp_response(body)
    except Exception as exc:  # noqa: BLE001 - the parser raises its own types on garbage
        raise TimestampError(f"timestamp authority {url}: not a timestamp response: {exc}") from exc
    if PKIStatus(response.status) not in (PKIStatus.GRANTED, PKIStatus.GRANTED_WITH_MODS):
        raise TimestampError(f"timestamp authority {url} refused: status {response.status}")
    if response.tst_info.message_imprint.message != hashlib.sha256(message).digest():
        raise TimestampError(f"timestamp authority {url} stamped another hash")
    if request.nonce is not None and response.tst_info.nonce != request.nonce:
        raise TimestampError(f"timestamp authority {url} answered with another nonce")
    return Stamp(response.as_bytes(), response.tst_info.gen_time, url)


def load_certificates(pem: bytes) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(pem)


def verify_stamp(token: bytes, message: bytes, roots: list[x509.Certificate]) -> datetime:
    """The stamped time, if ``token`` is a valid timestamp of ``message`` chaining to ``roots``.

    Raises TimestampError saying why not."""
    if not roots:
        raise TimestampError("no trusted certificate for the timestamp authority")
    try:
        response = decode_timestamp_response(token)
        intermediates = [
            cert
            for cert in (x509.load_der_x509_certificate(c) for c in response.signed_data.certificates)
            if cert not in roots
        ]
        builder = VerifierBuilder(roots=list(roots), intermediates=intermediates)
        builder.build().verify_message(response, message)
    except VerificationError as exc:
        raise TimestampError(f"timestamp does not verify: {exc}") from exc
    except Exception as exc:  # noqa: BLE001 - malformed token
        raise TimestampError(f"timestamp unreadable: {type(exc).__name__}: {exc}") from exc
    return response.tst_info.gen_time


def read_ca_file(path: Path | None) -> bytes | None:
    return Path(path).read_bytes() if path else None
