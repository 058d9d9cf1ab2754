"""A real RFC 3161 timestamp authority on loopback: OpenSSL's `ts -reply` behind a tiny HTTP server.

The test CA and the TSA's certificate (extended key usage timeStamping, critical, as RFC
3161 requires) are made with `openssl req`/`x509` in a temporary folder.
"""

from __future__ import annotations

import subprocess
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

TSA_CONFIG = """\
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
dir = {dir}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.pem
certs = $dir/tsa.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


def _openssl(*args: str, cwd: Path, data: bytes | None = None) -> bytes:
    return subprocess.run(["openssl", *args], cwd=cwd, input=data, capture_output=True, check=True).stdout


def make_ca(folder: Path, name: str = "dadkhah test TSA") -> None:
    """ca.pem/ca.key, and tsa.pem/tsa.key signed by it, in ``folder``."""
    _openssl(
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", "ca.key", "-out", "ca.pem", "-days", "30", "-subj", f"/CN={name} root",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        cwd=folder,
    )  # fmt: skip
    _openssl(
        "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", "tsa.key", "-out", "tsa.csr", "-subj", f"/CN={name}",
        cwd=folder,
    )  # fmt: skip
    (folder / "tsa.ext").write_text(
        "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\n"
    )
    _openssl(
        "x509", "-req", "-in", "tsa.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "tsa.pem", "-days", "30", "-extfile", "tsa.ext",
        cwd=folder,
    )  # fmt: skip
    (folder / "serial").write_text("01\n")
    (folder / "tsa.cnf").write_text(TSA_CONFIG.format(dir=folder))


class LocalTSA:
    """``url`` answers timestamp queries; ``ca_file`` is the CA that verifies its tokens."""

    def __init__(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="dadkhah-tsa-")
        self.folder = Path(self._tmp.name)
        make_ca(self.folder)
        self.requests = 0
        self.fail = False  # answer 503 (an authority that is down)
        tsa = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                query = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                tsa.requests += 1
                if tsa.fail:
                    self.send_error(503)
                    return
                with tempfile.TemporaryDirectory(dir=tsa.folder) as work:
                    (Path(work) / "q.tsq").write_bytes(query)
                    subprocess.run(
                        ["openssl", "ts", "-reply", "-config", str(tsa.folder / "tsa.cnf"),
                         "-queryfile", "q.tsq", "-out", "r.tsr"],
                        cwd=work, capture_output=True, check=True,
                    )  # fmt: skip
                    body = (Path(work) / "r.tsr").read_bytes()
                self.send_response(200)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/tsa"

    @property
    def ca_file(self) -> Path:
        return self.folder / "ca.pem"

    def start(self) -> LocalTSA:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._tmp.cleanup()
