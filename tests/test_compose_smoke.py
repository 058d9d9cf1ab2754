"""The compose smoke test's log rule: a line below WARNING logged as ERROR is caught.

scripts/compose-smoke.sh applies it to every task log of a real stack run; here it meets the
line forms that reach a task log, so a rule that lets them through fails here first.
"""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

import pytest

from pipeline.crawl_child import _LINE

ROOT = Path(__file__).resolve().parent.parent


def _smoke():
    spec = importlib.util.spec_from_file_location("compose_smoke", ROOT / "docker" / "compose_smoke.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _child_line(level: int, message: str) -> str:
    """A line as the crawl child writes it (the relay's own pattern must accept it)."""
    record = logging.LogRecord("scrapy.core.engine", level, __file__, 1, message, None, None)
    line = logging.Formatter("%(asctime)s %(levelname)s [%(name)s] %(message)s", "%H:%M:%S").format(record)
    assert _LINE.match(line), line
    return line


@pytest.mark.parametrize("level", [logging.DEBUG, logging.INFO, logging.WARNING])
@pytest.mark.parametrize("logged_as", ["error", "ERROR", "critical"])
def test_a_lower_child_line_logged_as_error_is_caught(level: int, logged_as: str) -> None:
    assert _smoke().misleveled(logged_as, _child_line(level, "Spider opened"))


@pytest.mark.parametrize(
    "event",
    [
        "2026-12-01 12:00:00 [scrapy.core.engine] INFO: Spider opened",  # Scrapy's own format
        "WARNING:py.warnings:something",  # logging's basic format
        "/x/jwt/api_jws.py:3: InsecureKeyLengthWarning: The HMAC key is 43 bytes long",
        "/x/site.py:9: DeprecationWarning: datetime.utcnow() is deprecated",
    ],
)
def test_other_lower_forms_logged_as_error_are_caught(event: str) -> None:
    assert _smoke().misleveled("error", event)


@pytest.mark.parametrize(
    "level, event",
    [
        ("error", None),  # a real error from the child
        ("critical", None),
        ("error", "Task failed with exception"),
        ("error", "crawl process exited with code 1; last error: database unavailable"),
        ("warning", "12:00:00 INFO [scrapy.core.engine] Spider opened"),  # not logged as ERROR
        ("info", "12:00:00 DEBUG [scrapy.core.engine] Crawled (200)"),
    ],
)
def test_real_errors_and_lower_records_pass(level: str, event: str | None) -> None:
    if event is None:
        event = _child_line(logging.ERROR if level == "error" else logging.CRITICAL, "Gave up retrying")
    assert not _smoke().misleveled(level, event)
