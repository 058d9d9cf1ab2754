"""Airflow wiring for dadkhah: thin tasks around the library in ``pipeline``.

Two DAGs:

* ``dadkhah_ingest`` (scheduled, hourly by default): one mapped ``crawl`` task per configured
  outlet. Each crawls in its own child process (``pipeline.ingest.ingest_outlet`` does that),
  so one outlet's failure or slowness never blocks the others. ``publish`` then emits the
  ``dadkhah://articles`` asset event when any outlet stored new articles, and ``summary``
  logs one line per outlet and fails the run if any outlet failed. ``health`` then judges
  each outlet of the run (``pipeline.health``) and fails when one is failing or stale, which
  calls the notifiers configured in ``DADKHAH_HEALTH_NOTIFIERS`` (e-mail, Slack, a webhook).
* ``dadkhah_process`` (scheduled on that asset): ``cluster`` (near-duplicates), then ``tag``.

Parse time stays cheap: no database access and no heavy imports here. The library is imported
inside the task functions, so a missing or broken module fails only that task. The dadkhah
database is resolved when a task runs: the Airflow connection ``dadkhah_db``
(``AIRFLOW_CONN_DADKHAH_DB``) if defined, else ``DADKHAH_DATABASE_URL``.

Knobs (environment, read at parse time):

* ``DADKHAH_INGEST_SCHEDULE``: cron expression or preset (default ``@hourly``; ``none`` for
  manual runs only).
* ``DADKHAH_INGEST_MAX_PARALLEL``: outlets crawled at once in one run (default 4).
* ``DADKHAH_INGEST_RETRIES`` / ``DADKHAH_INGEST_RETRY_DELAY_SECONDS``: retries per outlet,
  with exponential back-off from that first delay (defaults 2 and 300).
* ``DADKHAH_OUTLET_TIMEOUT_SECONDS``: the most one outlet's crawl may take (default 3600).
* ``DADKHAH_HEALTH_NOTIFIERS``: JSON, one object or a list of them, each
  ``{"class": "<dotted path of an Airflow notifier>", "kwargs": {...}}``: called when the
  ``health`` task fails (a wrong setting fails that task on every run, never the crawls). Templated kwargs see the task context, e.g. ``{{ exception }}``
  (which outlets are unhealthy and why). See the README, "Airflow and Docker".
"""

from __future__ import annotations

import hashlib
import logging
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pendulum
from airflow.sdk import Asset, BaseNotifier, Param, dag, get_current_context, task

log = logging.getLogger("dadkhah.airflow")

ARTICLES = Asset(name="dadkhah_articles", uri="dadkhah://articles")
CONN_ID = "dadkhah_db"
START_DATE = pendulum.datetime(2026, 1, 1, tz="UTC")
LIBPQ_EXTRAS = ("sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout", "options")


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    try:
        return int(raw) if raw else default
    except ValueError as exc:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from exc


def _schedule() -> str | None:
    value = os.environ.get("DADKHAH_INGEST_SCHEDULE", "").strip() or "@hourly"
    return None if value.lower() in ("none", "manual", "off") else value


def _configured_outlet_names() -> list[str]:
    """Outlet names for the trigger form's picker: a plain YAML read, never fatal."""
    try:
        import yaml

        path = os.environ.get("DADKHAH_OUTLETS_FILE") or ""
        if not path:
            from pipeline.settings import DEFAULT_OUTLETS_FILE

            path = str(DEFAULT_OUTLETS_FILE)
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        names = [o["name"] for o in raw["outlets"] if isinstance(o, dict) and o.get("name")]
        return [str(n) for n in names]
    except Exception:  # noqa: BLE001 - the picker is a convenience; tasks validate for real
        return []


# --------------------------------------------------------------------------- run-time helpers


def dadkhah_settings():
    """``pipeline.settings.Settings`` with the database taken from Airflow, resolved now."""
    from dataclasses import replace

    from pipeline.settings import Settings

    settings = Settings.from_env()
    url = _connection_url() or settings.database_url
    if not url:
        raise RuntimeError(
            f"no dadkhah database configured: define the Airflow connection {CONN_ID!r} "
            "(e.g. AIRFLOW_CONN_DADKHAH_DB=postgresql://user:password@host:5432/dadkhah) "
            "or set DADKHAH_DATABASE_URL"
        )
    return replace(settings, database_url=url)


def _connection_url() -> str | None:
    """The ``dadkhah_db`` connection as a SQLAlchemy URL, or None when it is not defined."""
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowNotFoundException
    from sqlalchemy.engine import URL

    try:
        conn = Connection.get(CONN_ID)
    except AirflowNotFoundException:
        return None
    extra = conn.extra_dejson or {}
    query = {k: str(extra[k]) for k in LIBPQ_EXTRAS if extra.get(k) not in (None, "")}
    url = URL.create(
        "postgresql+psycopg",
        username=conn.login or None,
        password=conn.password or None,
        host=conn.host or None,
        port=conn.port or None,
        database=conn.schema or None,
        query=query,
    )
    return url.render_as_string(hide_password=False)


def _run_uid(run_id: str, outlet_name: str, try_number: int) -> str:
    """Ties the crawl run to this Airflow task try; at most 64 characters, readable prefix."""
    uid = f"airflow:{run_id}:{outlet_name}:try{try_number}"
    if len(uid) <= 64:
        return uid
    return uid[:47] + "~" + hashlib.sha256(uid.encode()).hexdigest()[:16]


AIRFLOW_RUN_LABEL = "airflow_run_id"  # kept with each crawl run's stats


def _failure_reasons(run_id: str) -> dict[str, str]:
    """Per outlet, the status and error of its latest crawl in this DAG run."""
    from pipeline.db import get_engine
    from pipeline.runs import outlet_runs_labelled

    try:
        runs = outlet_runs_labelled(get_engine(dadkhah_settings()), AIRFLOW_RUN_LABEL, run_id)
    except Exception as exc:  # noqa: BLE001 - the summary still names the failed outlets
        log.error("could not read the crawl runs' errors: %s", exc)
        return {}
    return {name: f"{run['status']}: {run['error']}" for name, run in runs.items()}


def format_report(report: dict[str, Any]) -> str:
    """A human summary of one outlet's crawl: the counts, then one line per failure reason."""
    failures = report.get("failures") or {}
    examples = report.get("failure_examples") or {}
    line = (
        f"outlet {report.get('outlet')!r}: discovered {report.get('discovered', 0)} "
        f"(already stored {report.get('skipped_known', 0)}), fetched {report.get('fetched', 0)}, "
        f"new {report.get('stored', 0)}, duplicate {report.get('duplicate', 0)}, "
        f"not an article {report.get('not_article', 0)}, failed {report.get('failed', 0)}"
    )
    for reason, count in sorted(failures.items()):
        example = examples.get(reason)
        line += f"\n    failed: {reason}: {count}" + (f" (e.g. {example})" if example else "")
    return line


class ConfiguredNotifier(BaseNotifier):
    """A notifier named in configuration: its class is imported only when it must notify.

    So parsing never imports a provider, and a typo in a class path fails the notification
    (loudly, in the task log) instead of the DAG.
    """

    def __init__(self, class_path: str, kwargs: dict[str, Any]) -> None:
        super().__init__()
        self.class_path = class_path
        self.kwargs = kwargs

    def notify(self, context) -> None:
        import importlib

        module_name, _, class_name = self.class_path.rpartition(".")
        notifier_class = getattr(importlib.import_module(module_name), class_name)
        notifier_class(**self.kwargs)(context)  # renders its own templated fields, then sends


def health_notifiers() -> list[BaseNotifier]:
    """The notifiers of ``DADKHAH_HEALTH_NOTIFIERS`` (parse time: a JSON read, no import)."""
    import json

    raw = os.environ.get("DADKHAH_HEALTH_NOTIFIERS", "").strip()
    if not raw:
        return []
    try:
        specs = json.loads(raw)
    except ValueError as exc:
        raise ValueError(f"DADKHAH_HEALTH_NOTIFIERS is not valid JSON: {exc}") from exc
    specs = specs if isinstance(specs, list) else [specs]
    notifiers: list[BaseNotifier] = []
    for spec in specs:
        if not isinstance(spec, dict) or not isinstance(spec.get("class"), str) or "." not in spec["class"]:
            raise ValueError(
                'DADKHAH_HEALTH_NOTIFIERS: each entry must be {"class": "package.module.Class", '
                f'"kwargs": {{...}}}}, got {spec!r}'
            )
        kwargs = spec.get("kwargs") or {}
        if not isinstance(kwargs, dict):
            raise ValueError(f"DADKHAH_HEALTH_NOTIFIERS: kwargs of {spec['class']} must be an object")
        notifiers.append(ConfiguredNotifier(spec["class"], kwargs))
    return notifiers


def _health_callbacks() -> tuple[list[BaseNotifier], str | None]:
    """(notifiers, None), or ([], the error) when the setting is wrong.

    A wrong notifier setting must not stop the crawls: the DAG still loads, and its
    ``health`` task fails every run with the error until it is fixed.
    """
    try:
        return health_notifiers(), None
    except ValueError as exc:
        log.error("%s", exc)
        return [], str(exc)


# --------------------------------------------------------------------------------- the DAGs


@dag(
    dag_id="dadkhah_ingest",
    description="Crawl every configured outlet (one mapped task each) and store new articles.",
    schedule=_schedule(),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,  # with one task per outlet: never two crawls of one outlet at once
    tags=["dadkhah"],
    doc_md=__doc__,
    params={
        "outlets": Param(
            [],
            type="array",
            items={"type": "string"},
            title="Outlets",
            description="Outlet names to crawl. Empty: every enabled outlet in outlets.yaml.",
            **({"examples": names} if (names := _configured_outlet_names()) else {}),
        ),
        "max_articles_per_outlet": Param(
            None,
            type=["null", "integer"],
            minimum=1,
            title="Max articles per outlet",
            description="Cap on articles fetched per outlet in this run. "
            "Empty: each outlet's max_articles_per_run.",
        ),
    },
    default_args={
        "owner": "dadkhah",
        "retries": _env_int("DADKHAH_INGEST_RETRIES", 2),
        "retry_delay": timedelta(seconds=_env_int("DADKHAH_INGEST_RETRY_DELAY_SECONDS", 300)),
        "retry_exponential_backoff": 2.0,
        "max_retry_delay": timedelta(hours=2),
    },
)
def dadkhah_ingest():
    @task(retries=0)
    def select_outlets() -> list[str]:
        """Validate outlets.yaml and pick the outlets for this run (all enabled by default)."""
        from pipeline.config import load_outlets

        params = get_current_context()["params"]
        settings = dadkhah_settings()
        config = load_outlets(settings.outlets_file)
        names = [o.name for o in config.select(list(params.get("outlets") or []) or None)]
        log.info(
            "outlets file %s: %d outlet(s) selected: %s",
            settings.outlets_file,
            len(names),
            ", ".join(names) or "(none)",
        )
        return names

    @task(
        # The outlet's name labels each mapped instance (rendered before it runs, so a task
        # that times out is labelled too).
        map_index_template="{{ task.op_kwargs['outlet_name'] }}",
        max_active_tis_per_dagrun=_env_int("DADKHAH_INGEST_MAX_PARALLEL", 4),
        execution_timeout=timedelta(seconds=_env_int("DADKHAH_OUTLET_TIMEOUT_SECONDS", 3600)),
    )
    def crawl(outlet_name: str) -> dict[str, Any]:
        """Crawl one outlet in a child process and store what it finds."""
        from pipeline.ingest import ingest_outlet

        context = get_current_context()
        ti = context["ti"]
        cap = context["params"].get("max_articles_per_outlet")
        run_uid = _run_uid(context["run_id"], outlet_name, ti.try_number)
        log.info("crawling outlet %r (cap: %s, crawl run %s)", outlet_name, cap or "config", run_uid)
        # Raises when the outlet did not succeed (its crawl did not finish, no discovery
        # source could be read, or nothing found could be fetched): the task fails and retries.
        report = ingest_outlet(
            outlet_name,
            settings=dadkhah_settings(),
            max_articles=int(cap) if cap else None,
            trigger="airflow",
            run_uid=run_uid,
            labels={AIRFLOW_RUN_LABEL: context["run_id"]},
        )
        log.info("%s", format_report(report))
        return report

    @task(outlets=[ARTICLES], trigger_rule="all_done_min_one_success")
    def publish(reports: list[dict[str, Any] | None]) -> dict[str, Any]:
        """Emit the articles asset event when any outlet stored new articles."""
        from airflow.sdk.exceptions import AirflowSkipException

        done = [r for r in reports[:] if r]  # a slice: failed outlets simply have no report
        new_ids = [i for r in done for i in (r.get("new_article_ids") or [])]
        per_outlet = {r["outlet"]: int(r.get("stored") or 0) for r in done}
        if not new_ids and not any(per_outlet.values()):
            raise AirflowSkipException("no new articles in this run: no asset event")
        extra = {
            "new_articles": len(new_ids) or sum(per_outlet.values()),
            "per_outlet": {k: v for k, v in per_outlet.items() if v},
            "crawl_run_ids": sorted({r["run_id"] for r in done if r.get("run_id") is not None}),
        }
        get_current_context()["outlet_events"][ARTICLES].extra = extra
        log.info("published %d new article(s): %s", extra["new_articles"], extra["per_outlet"])
        return extra

    @task(trigger_rule="all_done", retries=0)
    def summary(selected: list[str], reports: list[dict[str, Any] | None]) -> None:
        """One line per outlet; fail the run (not the other outlets) naming every outlet that
        failed and why (its last try's error, as the crawl recorded it)."""
        from airflow.sdk.exceptions import AirflowFailException

        if selected is None:  # select_outlets failed: nothing was crawled
            raise AirflowFailException("no outlets selected: see the select_outlets task log")
        by_name = {r["outlet"]: r for r in reports[:] if r}
        failed = [name for name in selected if name not in by_name]
        reasons = _failure_reasons(get_current_context()["run_id"]) if failed else {}
        why = {name: reasons.get(name) or "no crawl recorded (see its crawl task log)" for name in failed}
        for name in selected:
            if name in by_name:
                log.info("%s", format_report(by_name[name]))
            else:
                log.error("outlet %r: FAILED: %s", name, why[name])
        if failed:
            message = (
                f"{len(failed)} of {len(selected)} outlet(s) failed: {', '.join(failed)} -- "
                + "; ".join(f"{name}: {why[name]}" for name in failed)
            )
            log.error("%s", message)
            raise AirflowFailException(message)

    notifiers, notifier_error = _health_callbacks()

    @task(trigger_rule="all_done", retries=0, on_failure_callback=notifiers or None)
    def health(selected: list[str] | None, reports: list[dict[str, Any] | None]) -> dict[str, Any]:
        """Judge the outlets of this run; fail (and notify) when one is failing or stale.

        The run's state follows its leaf, this task: it also fails when ``summary`` did.
        """
        from airflow.sdk.exceptions import AirflowFailException

        from pipeline.db import get_engine
        from pipeline.health import verdicts_after_pass

        context = get_current_context()
        problems = [f"{notifier_error}: nobody can be notified until it is fixed"] if notifier_error else []
        ti = context["ti"]
        states = ti.get_task_states(dag_id=ti.dag_id, task_ids=["summary"], run_ids=[context["run_id"]])
        if (states.get(context["run_id"]) or {}).get("summary") in ("failed", "upstream_failed"):
            problems.append("summary failed: some outlet's crawl failed (see the summary task log)")
        if selected is None:
            raise AirflowFailException("; ".join([*problems, "no outlets selected: nothing to judge"]))
        run_ids = {r["outlet"]: r.get("run_id") for r in reports[:] if r}
        verdicts = verdicts_after_pass(get_engine(dadkhah_settings()), selected, run_ids)
        unhealthy = []
        for name in selected:
            verdict = verdicts.get(name)
            if verdict is None:
                log.error("outlet %r: not judged: it was never crawled", name)
                unhealthy.append(f"{name} (never crawled)")
                continue
            level = (
                logging.ERROR if verdict.unhealthy else logging.WARNING if verdict.reasons else logging.INFO
            )
            log.log(
                level,
                "outlet %r: %s%s",
                name,
                verdict.state,
                "".join(f"\n    - {r}" for r in verdict.reasons),
            )
            if verdict.unhealthy:
                unhealthy.append(f"{name} ({verdict.state}: {'; '.join(verdict.reasons)})")
        if unhealthy:
            problems.append(
                f"{len(unhealthy)} of {len(selected)} outlet(s) unhealthy: " + ", ".join(unhealthy)
            )
        if problems:
            message = " | ".join(problems)
            log.error("%s", message)
            raise AirflowFailException(message)
        return {name: v.state for name, v in verdicts.items() if v}

    selected = select_outlets()
    reports = crawl.expand(outlet_name=selected)
    published = publish(reports)
    done = summary(selected, reports)
    published >> done
    done >> health(selected, reports)


@dag(
    dag_id="dadkhah_process",
    description="After new articles land: group near-duplicates, tag topics, update the incident register.",
    schedule=[ARTICLES],
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    tags=["dadkhah"],
    default_args={
        "owner": "dadkhah",
        "retries": _env_int("DADKHAH_PROCESS_RETRIES", 1),
        "retry_delay": timedelta(seconds=_env_int("DADKHAH_INGEST_RETRY_DELAY_SECONDS", 300)),
        "retry_exponential_backoff": 2.0,
    },
)
def dadkhah_process():
    @task
    def cluster() -> dict[str, Any]:
        """Group near-duplicate articles (the pending ones)."""
        from pipeline.clustering import cluster_pending
        from pipeline.db import get_engine

        result = cluster_pending(get_engine(dadkhah_settings()))
        log.info("clustering: %s", result)
        return result

    @task(trigger_rule="all_done")  # tags do not depend on clusters: run even if that failed
    def tag() -> dict[str, Any]:
        """Tag the pending articles with topics from topics.yaml."""
        from pipeline.db import get_engine
        from pipeline.tagging import tag_pending

        settings = dadkhah_settings()
        result = tag_pending(get_engine(settings), topics_file=settings.topics_file)
        log.info("tagging: %s", result)
        return result

    @task(trigger_rule="all_done")  # after tagging; uses clusters when there are, runs if not
    def incidents() -> dict[str, Any]:
        """Incident mentions of the articles that changed, resolved into the register."""
        from pipeline.db import get_engine
        from pipeline.incidents import extract_pending

        settings = dadkhah_settings()
        result = extract_pending(get_engine(settings), topics_file=str(settings.topics_file))
        log.info("incidents: %s", result)
        return result

    @task(trigger_rule="all_done", retries=0)
    def check() -> None:
        """Fail the run when a step failed (the run's state follows its last task)."""
        from airflow.sdk.exceptions import AirflowFailException

        context = get_current_context()
        ti = context["ti"]
        states = ti.get_task_states(
            dag_id=ti.dag_id, task_ids=["cluster", "tag", "incidents"], run_ids=[context["run_id"]]
        )
        bad = {
            task_id: state
            for task_id, state in (states.get(context["run_id"]) or {}).items()
            if state in ("failed", "upstream_failed")
        }
        if bad:
            raise AirflowFailException(f"processing steps failed: {bad}")

    cluster() >> tag() >> incidents() >> check()


dadkhah_ingest()
dadkhah_process()
