"""A notifier for the health tests: a real Airflow notifier that writes what it sends to a file.

It lives in its own module so that Airflow imports it by its dotted path (as it would a
provider's notifier) only when it notifies; the test modules never import Airflow at
collection time.
"""

from __future__ import annotations

import json

from airflow.sdk import BaseNotifier


class RecordingNotifier(BaseNotifier):
    """Templated like any notifier (``message``); appends one JSON line per notification."""

    template_fields = ("message",)

    def __init__(self, path: str, message: str) -> None:
        super().__init__()
        self.path = path
        self.message = message

    def notify(self, context) -> None:
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"task": context["ti"].task_id, "message": self.message}) + "\n")
