"""The REST API half of scripts/compose-smoke.sh: drives and checks a running stack.

It waits for the API server, checks both DAGs are listed, active and free of import errors,
triggers ``dadkhah_ingest``, waits for it and for the ``dadkhah_process`` run its asset event
starts, then reads every task log of both runs through the API -- the log a user sees in the
UI, written through the task runner (which logs a task's stderr at ERROR), not ``dag.test()``
-- and fails if a line below WARNING was logged as ERROR.

Settings (environment): SMOKE_API (http://host:port), SMOKE_USER, SMOKE_PASSWORD,
SMOKE_TIMEOUT (seconds per wait).
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

# A record's text that carries a level below ERROR: the crawl child's "HH:MM:SS LEVEL ..."
# lines, Scrapy's and logging's "[name] LEVEL:" / "LEVEL:name:" forms, and Python warnings
# ("...: SomeWarning: ...") that reached stderr.
_LOWER_LEVEL = re.compile(
    r"^\d\d:\d\d:\d\d (DEBUG|INFO|WARNING) "
    r"|(?<![A-Za-z])(DEBUG|INFO|WARNING|WARN)(:|\])"
    r"|\b[A-Z]\w*Warning\b"
)


def misleveled(level: str, event: str) -> bool:
    """True when a record logged at ERROR or above is really a line of a lower level."""
    return level.lower() in ("error", "critical") and bool(_LOWER_LEVEL.search(event))


class Api:
    def __init__(self, base: str) -> None:
        self.base = base
        self.token: str | None = None

    def call(self, method: str, path: str, body: Any = None, *, auth: bool = True) -> Any:
        headers = {"Accept": "application/json", "Content-Type": "application/json"}
        if auth:
            headers["Authorization"] = f"Bearer {self.token}"
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, headers=headers, method=method)
        with urllib.request.urlopen(request, timeout=60) as response:
            payload = response.read()
        return json.loads(payload) if payload else None

    def get(self, path: str) -> Any:
        return self.call("GET", path)


def say(message: str) -> None:
    print(f"compose-smoke:   {message}", flush=True)


def wait(what: str, probe: Callable[[], Any], timeout: float, every: float = 3.0) -> Any:
    """Calls probe() until it returns something truthy; exits with its last error."""
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        try:
            result = probe()
            if result:
                return result
        except (urllib.error.URLError, ConnectionError, TimeoutError, json.JSONDecodeError) as exc:
            last = exc
        time.sleep(every)
    sys.exit(f"compose-smoke: timed out after {timeout:.0f}s waiting for {what} (last error: {last})")


def _run_path(dag_id: str, run_id: str) -> str:
    return f"/api/v2/dags/{dag_id}/dagRuns/{urllib.parse.quote(run_id, safe='')}"


def main() -> int:
    api, timeout = Api(os.environ["SMOKE_API"]), float(os.environ.get("SMOKE_TIMEOUT", "1500"))
    t0 = time.monotonic()
    wait(
        "the API server",
        lambda: api.call("GET", "/api/v2/monitor/health", auth=False)["metadatabase"]["status"] == "healthy",
        timeout,
    )
    say(f"API server healthy after {time.monotonic() - t0:.0f}s")
    credentials = {"username": os.environ["SMOKE_USER"], "password": os.environ["SMOKE_PASSWORD"]}
    api.token = api.call("POST", "/auth/token", credentials, auth=False)["access_token"]

    def both_dags() -> dict[str, Any] | None:
        ids = {d["dag_id"]: d for d in api.get("/api/v2/dags?limit=100")["dags"]}
        return ids if {"dadkhah_ingest", "dadkhah_process"} <= set(ids) else None

    dags = wait("both DAGs to be listed", both_dags, timeout)
    errors = api.get("/api/v2/importErrors")
    if errors["total_entries"]:
        sys.exit(f"compose-smoke: import errors: {json.dumps(errors['import_errors'], indent=1)}")
    paused = [dag_id for dag_id, dag in sorted(dags.items()) if dag["is_paused"]]
    if paused:
        sys.exit(f"compose-smoke: paused though AIRFLOW_DAGS_PAUSED_AT_CREATION=false: {paused}")
    say(f"both DAGs listed, none paused, no import errors ({time.monotonic() - t0:.0f}s)")

    before = {r["dag_run_id"] for r in api.get("/api/v2/dags/dadkhah_process/dagRuns?limit=100")["dag_runs"]}
    t_trigger = time.monotonic()
    run_id = api.call("POST", "/api/v2/dags/dadkhah_ingest/dagRuns", {"logical_date": None, "conf": {}})[
        "dag_run_id"
    ]
    say(f"triggered dadkhah_ingest run {run_id}")

    def finished() -> str | None:
        state = api.get(_run_path("dadkhah_ingest", run_id))["state"]
        return state if state in ("success", "failed") else None

    state = wait("dadkhah_ingest to finish", finished, timeout, every=5)
    say(f"dadkhah_ingest {state} in {time.monotonic() - t_trigger:.0f}s")
    runs = [
        ("dadkhah_ingest", run_id, api.get(_run_path("dadkhah_ingest", run_id) + "/taskInstances?limit=100"))
    ]
    for ti in runs[0][2]["task_instances"]:
        say(f"  {ti['task_id']}[{ti.get('rendered_map_index') or ti['map_index']}]: {ti['state']}")
    if state != "success":
        sys.exit("compose-smoke: dadkhah_ingest did not succeed on the fixture site")

    def process_run() -> dict[str, Any] | None:
        new = [
            r
            for r in api.get("/api/v2/dags/dadkhah_process/dagRuns?limit=100")["dag_runs"]
            if r["dag_run_id"] not in before
        ]
        done = [r for r in new if r["state"] in ("success", "failed")]
        return done[0] if done else None

    t_process = time.monotonic()
    process = wait("dadkhah_process (started by the asset event)", process_run, timeout, every=5)
    say(
        f"dadkhah_process run {process['dag_run_id']} ({process.get('run_type')}): {process['state']}, "
        f"{time.monotonic() - t_process:.0f}s after ingest ended"
    )
    if process["state"] != "success":
        sys.exit("compose-smoke: dadkhah_process failed")
    pid = process["dag_run_id"]
    runs.append(
        ("dadkhah_process", pid, api.get(_run_path("dadkhah_process", pid) + "/taskInstances?limit=100"))
    )

    counts: dict[str, int] = {}
    bad: list[str] = []
    for dag_id, rid, listing in runs:
        for ti in listing["task_instances"]:
            if ti["state"] in (None, "skipped", "upstream_failed", "removed"):
                continue
            where = f"{dag_id}.{ti['task_id']}[{ti.get('rendered_map_index') or ti['map_index']}]"
            path = (
                f"{_run_path(dag_id, rid)}/taskInstances/{ti['task_id']}/logs/{max(1, ti.get('try_number') or 1)}"
                f"?full_content=true&map_index={ti['map_index']}"
            )
            records = [r for r in api.get(path)["content"] if isinstance(r, dict)]
            if not any(r.get("level") for r in records):
                sys.exit(f"compose-smoke: {where}: the log has no leveled records")
            for record in records:
                level, event = str(record.get("level", "")), str(record.get("event", ""))
                counts[level or "(none)"] = counts.get(level or "(none)", 0) + 1
                if level.lower() in ("error", "critical"):
                    say(f"  {level.upper()} in {where}: {event[:160]}")
                if misleveled(level, event):
                    bad.append(f"{where} {record.get('logger', '')}: {event[:300]}")
    say(f"task log records by level: {json.dumps(dict(sorted(counts.items())))}")
    if bad:
        print("compose-smoke: lines below WARNING logged as ERROR:", *bad[:30], sep="\n  ", file=sys.stderr)
        return 1
    say("no line below WARNING logged as ERROR")
    return 0


if __name__ == "__main__":
    sys.exit(main())
