"""Settings from the environment (one place, so CLI, DAGs and tests agree)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTLETS_FILE = PROJECT_ROOT / "config" / "outlets.yaml"
DEFAULT_TOPICS_FILE = PROJECT_ROOT / "config" / "topics.yaml"
CONTACT_URL = "https://github.com/dadkhah-project/dadkhah"


def _env_path(name: str, default: str) -> Path:
    return Path(os.environ.get(name) or default).expanduser()


@dataclass(frozen=True)
class Settings:
    """Runtime settings. ``database_url`` None means: use the embedded PostgreSQL."""

    database_url: str | None = field(default=None)
    archive_dir: Path = field(default=Path("./data/archive"))
    data_dir: Path = field(default=Path("./data"))
    outlets_file: Path = field(default=DEFAULT_OUTLETS_FILE)
    topics_file: Path = field(default=DEFAULT_TOPICS_FILE)
    user_agent: str = field(default=f"dadkhah/0.1 (+{CONTACT_URL})")

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            database_url=os.environ.get("DADKHAH_DATABASE_URL") or None,
            archive_dir=_env_path("DADKHAH_ARCHIVE_DIR", "./data/archive"),
            data_dir=_env_path("DADKHAH_DATA_DIR", "./data"),
            outlets_file=_env_path("DADKHAH_OUTLETS_FILE", str(DEFAULT_OUTLETS_FILE)),
            topics_file=_env_path("DADKHAH_TOPICS_FILE", str(DEFAULT_TOPICS_FILE)),
            user_agent=os.environ.get("DADKHAH_USER_AGENT") or cls.user_agent,
        )
