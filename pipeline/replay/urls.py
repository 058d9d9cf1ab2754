"""Replay URLs: the base the consumer view builds them from, and the same rule in Python."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, func
from sqlalchemy.dialects.postgresql import insert

from pipeline.replay.server import COLLECTION
from schema.models import ReplayConfig


def base_url(settings, port: int) -> str:
    """DADKHAH_REPLAY_URL, else the loopback address of the port served on."""
    return settings.replay_url or f"http://127.0.0.1:{port}"


def record_base_url(engine: Engine, base: str) -> None:
    """Make consumer.article_sources.replay_url point at the server being started (the one
    row is written whether or not it is there)."""
    values = {"one": True, "base_url": base.rstrip("/"), "collection": COLLECTION}
    statement = insert(ReplayConfig).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=[ReplayConfig.one],
        set_={"base_url": statement.excluded.base_url, "collection": COLLECTION, "updated_at": func.now()},
    )
    with engine.begin() as conn:
        conn.execute(statement)


def replay_url(base: str, fetched_at: datetime, url: str) -> str:
    """``<base>/<collection>/<YYYYMMDDhhmmss UTC>/<url>``: pywb's address of that capture."""
    stamp = fetched_at.astimezone(UTC).strftime("%Y%m%d%H%M%S")
    return f"{base.rstrip('/')}/{COLLECTION}/{stamp}/{url}"
