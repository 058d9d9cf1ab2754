"""Settings from the environment (one place, so CLI, DAGs and tests agree)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTLETS_FILE = PROJECT_ROOT / "config" / "outlets.yaml"
DEFAULT_TOPICS_FILE = PROJECT_ROOT / "config" / "topics.yaml"
CONTACT_URL = "https://github.com/dadkhah-project/dadkhah"
DEFAULT_CONNECT_TIMEOUT = 10
DEFAULT_REPLAY_PORT = 8090  # `dadkhah replay` (8080 is Airflow's UI)
DEFAULT_REPLAY_ENV = PROJECT_ROOT / ".venv-replay"  # pywb's own environment (pipeline.replay.server)


class SettingsError(ValueError):
    """An environment variable holds a value dadkhah cannot use (names the variable)."""


def default_data_dir() -> Path:
    """Where the embedded database and the archive live when nothing says otherwise.

    The XDG base directory for user data, never the working directory: running `dadkhah`
    from another folder must find the same database, not silently start an empty one.
    """
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg).expanduser() if xdg and Path(xdg).expanduser().is_absolute() else None
    return (base or Path.home() / ".local" / "share") / "dadkhah"


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name)
    return Path(value).expanduser().absolute() if value else None


def _env_timeout(name: str) -> int:
    value = os.environ.get(name)
    if not value:
        return DEFAULT_CONNECT_TIMEOUT
    try:
        seconds = int(value)
    except ValueError:
        raise SettingsError(f"{name}={value!r}: not a whole number of seconds") from None
    if seconds < 2:  # libpq's floor: a smaller value is silently raised to 2, or 0 means "never"
        raise SettingsError(f"{name}={value!r}: must be at least 2 seconds")
    return seconds


def _env_replay_url(name: str) -> str | None:
    value = os.environ.get(name)
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise SettingsError(f"{name}={value!r}: not an http(s) base URL such as http://127.0.0.1:8090")
    return value.rstrip("/")


@dataclass(frozen=True)
class Settings:
    """Runtime settings. ``database_url`` None means: use the embedded PostgreSQL.

    ``archive_dir`` None means ``data_dir / "archive"``: the archive moves with the data
    directory unless it is given on its own.
    """

    database_url: str | None = field(default=None)
    archive_dir: Path = field(default=None)  # type: ignore[assignment] - filled in __post_init__
    data_dir: Path = field(default_factory=default_data_dir)
    outlets_file: Path = field(default=DEFAULT_OUTLETS_FILE)
    topics_file: Path = field(default=DEFAULT_TOPICS_FILE)
    user_agent: str = field(default=f"dadkhah/0.1 (+{CONTACT_URL})")
    db_connect_timeout: int = field(default=DEFAULT_CONNECT_TIMEOUT)
    # RFC 3161 timestamp authority for the chain of custody (pipeline.evidence); None: signed only.
    tsa_url: str | None = field(default=None)
    tsa_ca_file: Path | None = field(default=None)  # PEM: the authority's CA, put in bundles
    # Where monitors reach `dadkhah replay` (consumer.article_sources.replay_url); None:
    # http://127.0.0.1:<the port it serves on>.
    replay_url: str | None = field(default=None)
    replay_env: Path = field(default=DEFAULT_REPLAY_ENV)

    def __post_init__(self) -> None:
        if self.archive_dir is None:
            object.__setattr__(self, "archive_dir", Path(self.data_dir) / "archive")

    @classmethod
    def from_env(cls) -> Settings:
        data_dir = _env_path("DADKHAH_DATA_DIR") or default_data_dir()
        return cls(
            database_url=os.environ.get("DADKHAH_DATABASE_URL") or None,
            archive_dir=_env_path("DADKHAH_ARCHIVE_DIR") or data_dir / "archive",
            data_dir=data_dir,
            outlets_file=_env_path("DADKHAH_OUTLETS_FILE") or DEFAULT_OUTLETS_FILE,
            topics_file=_env_path("DADKHAH_TOPICS_FILE") or DEFAULT_TOPICS_FILE,
            user_agent=os.environ.get("DADKHAH_USER_AGENT") or cls.user_agent,
            db_connect_timeout=_env_timeout("DADKHAH_DB_CONNECT_TIMEOUT"),
            tsa_url=os.environ.get("DADKHAH_TSA_URL") or None,
            tsa_ca_file=_env_path("DADKHAH_TSA_CA_FILE"),
            replay_url=_env_replay_url("DADKHAH_REPLAY_URL"),
            replay_env=_env_path("DADKHAH_REPLAY_ENV") or DEFAULT_REPLAY_ENV,
        )

    @property
    def replay_dir(self) -> Path:
        """The replay index and the replay server's configuration (pipeline.replay)."""
        return Path(self.data_dir) / "replay"

    @property
    def embedded_pgdata(self) -> Path:
        """The embedded server's cluster folder (used only without ``database_url``)."""
        return Path(self.data_dir) / "pgdata"
