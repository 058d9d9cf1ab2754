"""The replay server: pywb, run from its own pinned environment as a child process.

Why a separate environment: pywb 2.10.0 cannot join requirements/lock.txt. It pins
``redis==2.10.6`` (for its fakeredis) while the Airflow celery provider needs redis>=4.5.2,
and ``pyopenssl<26.2`` (so cryptography<48) while dadkhah pins cryptography 50 for its
evidence signing. So requirements/replay.txt locks pywb and its dependencies (with hashes);
the environment is created from it on first use (``ensure_env``), next to ``.venv`` by
default, and recreated when the lock changes. dadkhah itself never imports pywb: it writes
pywb's configuration and starts ``wayback`` bound to loopback unless told otherwise.
"""

from __future__ import annotations

import fcntl
import hashlib
import ipaddress
import logging
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import yaml

from pipeline.replay.index import index_dir
from pipeline.settings import PROJECT_ROOT

log = logging.getLogger("dadkhah.replay")

LOCK_FILE = PROJECT_ROOT / "requirements" / "replay.txt"
COLLECTION = "dadkhah"  # the path segment of every replay URL: <base>/dadkhah/<timestamp>/<url>
STAMP = ".dadkhah-replay-installed"
WAYBACK = "wayback"


class ReplayError(RuntimeError):
    """The replay server cannot be set up or started (the message says why)."""


def _wanted_stamp(lock_file: Path) -> str:
    """What the installed environment must have been built from: this lock, this Python."""
    digest = hashlib.sha256(Path(lock_file).read_bytes()).hexdigest()
    return f"{digest} python{sys.version_info.major}.{sys.version_info.minor}\n"


def env_ready(env_dir: Path, lock_file: Path = LOCK_FILE) -> bool:
    stamp = Path(env_dir) / STAMP
    return (
        (Path(env_dir) / "bin" / WAYBACK).exists()
        and stamp.exists()
        and stamp.read_text() == _wanted_stamp(lock_file)
    )


def _uv() -> str | None:
    beside = Path(sys.executable).parent / "uv"
    return str(beside) if beside.exists() else shutil.which("uv")


def _run(command: list[str], what: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-15:]
        raise ReplayError(f"{what} failed (exit {done.returncode}): " + "\n".join(tail))


def ensure_env(env_dir: Path, lock_file: Path = LOCK_FILE) -> Path:
    """The replay environment, created (or recreated for a changed lock) if need be; its
    ``wayback`` path. Installs exactly the hashed pins of ``lock_file``, nothing else."""
    env_dir = Path(env_dir)
    if not Path(lock_file).exists():
        raise ReplayError(
            f"{lock_file} is missing: `dadkhah replay` runs from a checkout or the image, which hold it"
        )
    if env_ready(env_dir, lock_file):  # the usual case, and one a read-only install allows
        return env_dir / "bin" / WAYBACK
    env_dir.parent.mkdir(parents=True, exist_ok=True)
    with open(env_dir.with_name(env_dir.name + ".lock"), "a") as guard:
        fcntl.flock(guard.fileno(), fcntl.LOCK_EX)  # two first uses at once build it once
        if env_ready(env_dir, lock_file):
            return env_dir / "bin" / WAYBACK
        log.warning("creating the replay environment %s from %s (once)", env_dir, lock_file)
        shutil.rmtree(env_dir, ignore_errors=True)
        python = env_dir / "bin" / "python"
        uv = _uv()
        try:
            if uv:
                _run([uv, "venv", "-q", "-p", sys.executable, str(env_dir)], "creating the replay venv")
                install = [uv, "pip", "install", "-q", "-p", str(python)]
            else:
                _run([sys.executable, "-m", "venv", str(env_dir)], "creating the replay venv")
                install = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
            _run([*install, "--require-hashes", "--no-deps", "-r", str(lock_file)], "installing pywb")
            _run([str(python), "-c", "import pywb, gevent"], "checking the replay environment")
        except BaseException:
            shutil.rmtree(env_dir, ignore_errors=True)  # never a half environment taken as ready
            raise
        (env_dir / STAMP).write_text(_wanted_stamp(lock_file))
    return env_dir / "bin" / WAYBACK


def write_config(replay_dir: Path, archive_dir: Path) -> Path:
    """pywb's config.yaml: one collection over the whole archive, no live web, no recording."""
    replay_dir = Path(replay_dir)
    indexes = index_dir(replay_dir)
    indexes.mkdir(parents=True, exist_ok=True)
    config = {
        "debug": False,
        "enable_auto_colls": False,  # only the archive below; no collections folder scanned
        "framed_replay": True,  # pywb's banner says when the page shown was captured
        "collections": {
            COLLECTION: {
                "index_paths": str(indexes.resolve()),
                "archive_paths": str(Path(archive_dir).resolve()) + "/",
            }
        },
    }
    path = replay_dir / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=True), encoding="utf-8")
    return path


def is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return address == "localhost"


def start(
    settings, *, port: int, bind: str = "127.0.0.1", threads: int = 4, quiet: bool = False
) -> subprocess.Popen:
    """Start pywb on ``bind:port`` over the settings' archive and index; the child process.

    The caller waits for it (``wait_until_serving``) and stops it (terminate)."""
    wayback = ensure_env(settings.replay_env)
    config = write_config(settings.replay_dir, settings.archive_dir)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYWB_CONFIG_FILE"] = str(config.resolve())
    output = subprocess.DEVNULL if quiet else None
    return subprocess.Popen(
        [str(wayback), "-b", bind, "-p", str(port), "-t", str(threads), "-d", str(config.parent.resolve())],
        cwd=config.parent,
        env=env,
        stdout=output,
        stderr=output,
    )


def wait_until_serving(process: subprocess.Popen, host: str, port: int, timeout: float = 60.0) -> None:
    """Return once the server accepts connections; ReplayError if it exits or never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ReplayError(f"the replay server exited with code {process.returncode} before serving")
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise ReplayError(f"the replay server did not accept connections on {host}:{port} within {timeout:.0f} s")
