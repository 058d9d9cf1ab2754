"""Outlet health against real PostgreSQL, real crawls of the fixture site, and `dag.test()`.

Each scenario is a site that misbehaves the way real ones do: one goes dark, one is
redesigned so that dates, bylines and text vanish, one puts up a 403 wall, one stops
publishing (its history is moved back in time in the database: real rows, older dates).
"""

from __future__ import annotations

import email
import json
import logging
import socketserver
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.fixture_site import FixtureSite
from pipeline.health import (
    HealthSettings,
    assess_outlets,
    latest_health,
    percentile,
    verdicts_after_pass,
)
from pipeline.ingest import ingest
from pipeline.settings import Settings
from pipeline.status import format_status, outlet_status
from tests import airflow_env  # noqa: F401 - sets AIRFLOW_HOME etc. before airflow is imported

WIRE = "Demo Wire"
PERSIAN = "Demo Persian News"
runner = CliRunner()


@pytest.fixture()
def site() -> Iterator[FixtureSite]:
    site = FixtureSite(slow_seconds=1.0).start()
    yield site
    site.stop()


@pytest.fixture()
def crawl(site: FixtureSite, fresh_database_url: str, fresh_engine: Engine, tmp_path: Path):
    """``crawl(*names)``: one real pass over those fixture outlets (quick ones only)."""
    config = site.outlets_config()
    path = tmp_path / "outlets.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    settings = replace(Settings(), database_url=fresh_database_url, archive_dir=tmp_path / "archive")

    def run(*names: str):
        return ingest(
            settings,
            outlet_names=list(names),
            outlets_file=path,
            trigger="test",
            stream_logs=False,
            timeout=120,
            engine=fresh_engine,
        )

    run.outlets_file = path
    return run


def stored_verdicts(engine: Engine, outlet: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT outlet, checked_at, state, reasons, figures, run_id FROM consumer.outlet_health "
                "WHERE outlet = :o ORDER BY health_id"
            ),
            {"o": outlet},
        )
        return [dict(r._mapping) for r in rows]


def reasons_of(verdict) -> str:
    return "\n".join(verdict.reasons)


# ------------------------------------------------------------------------------ scenarios


def test_every_pass_stores_a_verdict_and_a_healthy_outlet_is_ok(crawl, fresh_engine):
    report = crawl(WIRE)
    assert report.outlets[WIRE]["stored"] == 3
    (row,) = stored_verdicts(fresh_engine, WIRE)
    assert row["state"] == "ok" and row["reasons"] == []
    assert row["run_id"] == report.run_id
    assert row["figures"]["passes"]["consecutive_failed"] == 0
    assert row["figures"]["stale"]["last_new_article_at"] is not None
    assert row["figures"]["block"]["fetches"] >= 4  # the feed and three articles
    crawl(WIRE)
    assert [r["state"] for r in stored_verdicts(fresh_engine, WIRE)] == ["ok", "ok"]  # history kept
    latest = latest_health(fresh_engine)[WIRE]
    assert latest.state == "ok"

    # Airflow's health task: the verdict of the outlet's own run is reused, others judged anew.
    reused = verdicts_after_pass(fresh_engine, [WIRE, "Never Crawled"], {WIRE: latest.run_id})
    assert reused[WIRE].checked_at == latest.checked_at and reused["Never Crawled"] is None
    assert len(stored_verdicts(fresh_engine, WIRE)) == 2
    anew = verdicts_after_pass(fresh_engine, [WIRE], {})  # its crawl died before judging it
    assert anew[WIRE].checked_at > latest.checked_at and len(stored_verdicts(fresh_engine, WIRE)) == 3


def test_an_outlet_that_goes_dark_fails_after_consecutive_failed_passes(site, crawl, fresh_engine):
    crawl(WIRE, PERSIAN)
    site.go_dark(WIRE)
    states = []
    for _ in range(3):
        crawl(WIRE, PERSIAN)
        states.append(latest_health(fresh_engine)[WIRE].state)
    assert states == ["degraded", "degraded", "failing"]  # failing from the 3rd failure in a row
    verdict = latest_health(fresh_engine)[WIRE]
    assert "3 failed pass(es) in a row" in reasons_of(verdict)
    assert "every discovery source failed (connection_refused" in reasons_of(verdict)
    assert verdict.figures["passes"]["consecutive_failed"] == 3
    assert latest_health(fresh_engine)[PERSIAN].state == "ok"  # the other outlet is fine

    site.come_back(WIRE)
    crawl(WIRE)
    assert latest_health(fresh_engine)[WIRE].state == "ok"  # one good pass clears it


def test_a_pass_whose_articles_all_fail_is_a_failed_pass(site, crawl, fresh_engine):
    site.site(WIRE).mode = "broken-articles"  # the feed is read, every article answers 500
    report = crawl(WIRE)
    assert report.outlets[WIRE]["stored"] == 0
    verdict = latest_health(fresh_engine)[WIRE]
    assert verdict.state == "degraded", verdict.reasons
    assert "3 article(s) found but none could be fetched or stored" in reasons_of(verdict)


def test_a_redesign_that_drops_dates_and_text_is_drift(site, crawl, fresh_engine):
    wire = site.site(WIRE)
    crawl(WIRE)
    wire.publish(4)
    crawl(WIRE)
    wire.publish(3)
    crawl(WIRE)  # a baseline of 10 articles with dates, bylines and full text
    assert latest_health(fresh_engine)[WIRE].state == "ok"
    wire.redesign()
    wire.publish(5)
    report = crawl(WIRE)
    assert report.outlets[WIRE]["stored"] == 5
    verdict = latest_health(fresh_engine)[WIRE]
    assert verdict.state == "degraded", verdict.reasons
    reasons = reasons_of(verdict)
    assert "extraction drift" in reasons
    assert "100% of the latest 5 articles without a date (baseline 0% of the 10 before)" in reasons
    assert "without an author" in reasons
    assert "median text" in reasons
    assert verdict.figures["drift"]["current"]["no_date"] == 1.0
    assert verdict.figures["drift"]["baseline"]["no_date"] == 0.0


def test_an_outlet_behind_a_403_wall_is_blocked_and_reported(
    site, crawl, fresh_database_url, fresh_engine, tmp_path
):
    """The verdict, `dadkhah status` (health first) and `dadkhah health` with its exit codes."""
    env = {
        "DADKHAH_DATABASE_URL": fresh_database_url,
        "DADKHAH_ARCHIVE_DIR": str(tmp_path / "a"),
        "DADKHAH_OUTLETS_FILE": str(crawl.outlets_file),
    }
    empty = runner.invoke(app, ["health"], env=env)
    assert empty.exit_code == 0 and "No outlet has been crawled yet" in empty.output
    crawl(WIRE, PERSIAN)
    ok = runner.invoke(app, ["health"], env=env)
    assert ok.exit_code == 0, ok.output
    assert [line.split()[0] for line in ok.stdout.splitlines()] == ["OK", "OK"]

    site.site(PERSIAN).mode = "forbidden"
    crawl(PERSIAN)
    verdict = latest_health(fresh_engine)[PERSIAN]
    assert verdict.state == "failing", verdict.reasons
    reasons = reasons_of(verdict)
    assert "blocked: 100% of the last pass's" in reasons and "HTTP 403" in reasons
    assert "sitemap http://127.0.0.3:" in reasons and "failed in the last pass (HTTP 403)" in reasons
    assert verdict.figures["block"]["share"] == 1.0

    rows = outlet_status(fresh_engine)
    by_name = {r["name"]: r for r in rows}
    assert by_name[PERSIAN]["health"] == "failing" and by_name[WIRE]["health"] == "ok"
    lines = format_status(rows).splitlines()
    assert lines[0].startswith("health")
    assert lines[1].split()[0] == "FAILING" and PERSIAN in lines[1]
    table = lines.index(next(line for line in lines if line.startswith("outlet ")))
    assert "blocked" in "\n".join(lines[2:table])  # its reasons, before the table
    assert any(line.split()[0] == "OK" and WIRE in line for line in lines[2:table])

    bad = runner.invoke(app, ["health", "--json"], env=env)
    assert bad.exit_code == 4
    verdicts = {v["outlet"]: v for v in json.loads(bad.stdout)}
    assert verdicts[PERSIAN]["state"] == "failing" and verdicts[WIRE]["state"] == "ok"
    assert any("blocked" in reason for reason in verdicts[PERSIAN]["reasons"])
    only_wire = runner.invoke(app, ["health", "--outlet", WIRE], env=env)
    assert only_wire.exit_code == 0 and PERSIAN not in only_wire.output
    checks = len(stored_verdicts(fresh_engine, PERSIAN))
    latest = runner.invoke(app, ["health", "--latest"], env=env)
    assert latest.exit_code == 4 and "FAILING" in latest.output
    assert len(stored_verdicts(fresh_engine, PERSIAN)) == checks  # --latest only reads
    assert runner.invoke(app, ["health", "--outlet", "Nope"], env=env).exit_code == 2
    listed = runner.invoke(app, ["outlets", "--json", "--outlets", str(crawl.outlets_file)], env=env)
    assert listed.exit_code == 0, listed.output
    by_name = {row["name"]: row for row in json.loads(listed.stdout)}
    assert by_name[PERSIAN]["health"] == "failing" and by_name[WIRE]["health"] == "ok"
    assert any("blocked" in reason for reason in by_name[PERSIAN]["health_reasons"])

    # An outlet disabled in the outlets file is no longer judged (nor fails the check).
    config = yaml.safe_load(crawl.outlets_file.read_text(encoding="utf-8"))
    next(o for o in config["outlets"] if o["name"] == PERSIAN)["enabled"] = False
    disabled = tmp_path / "disabled.yaml"
    disabled.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    quiet = runner.invoke(app, ["health", "--outlets", str(disabled)], env=env)
    assert quiet.exit_code == 0, quiet.output
    assert f"not judged (disabled or not in the outlets file): {PERSIAN}" in quiet.output
    broken = tmp_path / "broken.yaml"
    broken.write_text("outlets: [", encoding="utf-8")
    assert runner.invoke(app, ["health", "--outlets", str(broken)], env=env).exit_code == 2
    bogus = {**env, "DADKHAH_DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none"}
    assert runner.invoke(app, ["health"], env=bogus).exit_code == 3


def test_an_outlet_that_stopped_publishing_goes_stale(site, crawl, fresh_engine):
    wire = site.site(WIRE)
    crawl(WIRE)
    wire.publish(7)
    crawl(WIRE)
    # History: its ten articles arrived every 6 hours, the last one 10 days ago.
    with fresh_engine.begin() as conn:
        conn.execute(
            text(
                """
                WITH ordered AS (
                    SELECT a.article_id, row_number() OVER (ORDER BY a.article_id DESC) AS k
                      FROM articles a JOIN outlets o USING (outlet_id) WHERE o.name = :o
                )
                UPDATE articles a SET first_seen_at = now() - interval '10 days'
                                                     - (ordered.k - 1) * interval '6 hours'
                  FROM ordered WHERE ordered.article_id = a.article_id
                """
            ),
            {"o": WIRE},
        )
    crawl(WIRE)  # a pass that finds nothing new
    verdict = latest_health(fresh_engine)[WIRE]
    assert verdict.state == "stale", verdict.reasons
    reasons = reasons_of(verdict)
    assert "no new article for 10.0 days" in reasons
    assert "stale after 24.0 h" in reasons  # 3 x 6 h = 18 h, raised to the 24 h floor
    assert "usual gap is 6.0 h (p90 of 9 gaps)" in reasons
    assert verdict.figures["stale"]["usual_gap_hours"] == 6.0
    assert verdict.figures["passes"]["consecutive_failed"] == 0  # the passes themselves worked

    # A higher floor from the environment moves the line: not stale below 11 days.
    settings = replace(HealthSettings(), stale_floor_hours=11 * 24)
    (again,) = assess_outlets(fresh_engine, [WIRE], settings=settings)
    assert again.state == "ok"
    assert latest_health(fresh_engine)[WIRE].state == "ok"  # that check is history too


def test_a_feed_that_stops_listing_new_urls_is_flagged(site, crawl, fresh_engine):
    """The wire's Atom feed freezes while a sitemap (added to its config) keeps listing."""
    wire = site.site(WIRE)
    crawl(WIRE)  # the feed finds the first three stories
    config = yaml.safe_load(crawl.outlets_file.read_text(encoding="utf-8"))
    entry = next(o for o in config["outlets"] if o["name"] == WIRE)
    entry["sitemaps"] = [wire.base_url + "/sitemap.xml"]
    crawl.outlets_file.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    settings = HealthSettings(silent_passes=2)
    wire.freeze_feed = True
    for _ in range(2):
        wire.publish(1)
        crawl(WIRE)
    (verdict,) = assess_outlets(fresh_engine, [WIRE], settings=settings)
    assert verdict.state == "degraded", verdict.reasons
    assert f"feed {wire.base_url}/atom.xml listed no new URL in the last 2 passes" in reasons_of(verdict)
    figures = verdict.figures["sources"][wire.base_url + "/atom.xml"]
    assert figures["new_urls_recent"] == 0 and figures["new_urls_before"] >= 1


def test_a_health_failure_never_breaks_the_pass(crawl, fresh_engine, monkeypatch):
    monkeypatch.setenv("DADKHAH_HEALTH_FAILING_PASSES", "not-a-number")
    report = crawl(WIRE)
    assert report.status == "finished" and report.outlets[WIRE]["stored"] == 3
    assert stored_verdicts(fresh_engine, WIRE) == []
    with pytest.raises(ValueError, match="DADKHAH_HEALTH_FAILING_PASSES must be a number"):
        HealthSettings.from_env()
    monkeypatch.setenv("DADKHAH_HEALTH_FAILING_PASSES", "0")
    with pytest.raises(ValueError, match="DADKHAH_HEALTH_FAILING_PASSES must be at least 1"):
        HealthSettings.from_env()
    monkeypatch.delenv("DADKHAH_HEALTH_FAILING_PASSES")
    monkeypatch.setenv("DADKHAH_HEALTH_BLOCK_FAILING_SHARE", "50")
    with pytest.raises(ValueError, match="BLOCK_FAILING_SHARE must be a share"):
        HealthSettings.from_env()
    monkeypatch.setenv("DADKHAH_HEALTH_BLOCK_FAILING_SHARE", "0.6")
    assert HealthSettings.from_env().block_failing_share == 0.6


def test_percentile_is_nearest_rank():
    assert percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90) == 9
    assert percentile([6.0], 90) == 6.0
    assert percentile([1, 100], 50) == 1


# ------------------------------------------------------------------------------ Airflow


class MailSink:
    """A minimal SMTP server on loopback that keeps the messages it is sent (no relaying)."""

    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []
        sink = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                self.wfile.write(b"220 sink ready\r\n")
                while line := self.rfile.readline():
                    verb = line[:4].upper()
                    if verb == b"DATA":
                        self.wfile.write(b"354 go ahead\r\n")
                        data = b"".join(iter(self.rfile.readline, b".\r\n"))
                        sink.messages.append(email.message_from_bytes(data))
                        self.wfile.write(b"250 queued\r\n")
                    elif verb == b"QUIT":
                        self.wfile.write(b"221 bye\r\n")
                        return
                    else:  # EHLO, HELO, MAIL, RCPT, RSET, NOOP
                        self.wfile.write(b"250 ok\r\n")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def mail() -> Iterator[MailSink]:
    sink = MailSink()
    yield sink
    sink.close()


def test_airflow_health_task_fails_on_a_stale_outlet_and_notifies(
    site, crawl, fresh_database_url, fresh_engine, monkeypatch, tmp_path, mail
):
    from tests.test_dags import parse_dags, ti_states

    airflow_env.migrate_metadata_db()
    sent = tmp_path / "notifications.jsonl"
    notifiers = [
        {
            "class": "tests.health_notifier.RecordingNotifier",
            "kwargs": {"path": str(sent), "message": "dadkhah {{ ti.task_id }}: {{ exception }}"},
        },
        {  # the README's e-mail example, against a mail server on loopback
            "class": "airflow.providers.smtp.notifications.smtp.SmtpNotifier",
            "kwargs": {
                "to": "monitor@example.org",
                "from_email": "dadkhah@example.org",
                "subject": "dadkhah: unhealthy outlets ({{ ds }})",
                "html_content": "<pre>{{ exception }}</pre>",
            },
        },
    ]
    monkeypatch.setenv("DADKHAH_HEALTH_NOTIFIERS", json.dumps(notifiers))
    monkeypatch.setenv(
        "AIRFLOW_CONN_SMTP_DEFAULT", f"smtp://127.0.0.1:{mail.port}?disable_tls=true&disable_ssl=true"
    )
    monkeypatch.setenv("AIRFLOW_CONN_DADKHAH_DB", fresh_database_url.replace("+psycopg", ""))
    monkeypatch.setenv("DADKHAH_ARCHIVE_DIR", str(tmp_path / "archive"))
    monkeypatch.setenv("DADKHAH_OUTLETS_FILE", str(crawl.outlets_file))
    dag = parse_dags()["dadkhah_ingest"]  # parsed now: the notifier setting is read at parse time
    assert dag.task_dict["health"].on_failure_callback

    healthy = dag.test(run_conf={"outlets": [WIRE]})
    states = ti_states(healthy)
    assert healthy.state == "success", states
    assert states[("health", "-1")] == "success"
    assert not sent.exists() and mail.messages == []  # nothing to report
    checks = len(stored_verdicts(fresh_engine, WIRE))
    assert checks == 1  # the crawl judged its outlet; the health task reused that verdict

    site.site(WIRE).publish(7)
    crawl(WIRE)
    with fresh_engine.begin() as conn:  # ten articles, every 6 hours, the last 9 days ago
        conn.execute(
            text(
                """
                WITH ordered AS (
                    SELECT article_id, row_number() OVER (ORDER BY article_id DESC) AS k FROM articles
                )
                UPDATE articles a SET first_seen_at = now() - interval '9 days'
                                                     - (ordered.k - 1) * interval '6 hours'
                  FROM ordered WHERE ordered.article_id = a.article_id
                """
            )
        )
    stale = dag.test(run_conf={"outlets": [WIRE]})
    states = ti_states(stale)
    assert states[("crawl", WIRE)] == "success" and states[("summary", "-1")] == "success"
    assert states[("health", "-1")] == "failed"
    assert stale.state == "failed", states
    (notification,) = [json.loads(line) for line in sent.read_text(encoding="utf-8").splitlines()]
    assert notification["task"] == "health"
    assert notification["message"].startswith(
        "dadkhah health: 1 of 1 outlet(s) unhealthy: Demo Wire (stale: "
    )
    assert "no new article for 9.0 days" in notification["message"]
    (message,) = mail.messages
    assert message["To"] == "monitor@example.org"
    assert message["Subject"].startswith("dadkhah: unhealthy outlets (")
    body = "".join(
        part.get_payload(decode=True).decode()
        for part in message.walk()
        if part.get_content_type() == "text/html"
    )
    assert "Demo Wire (stale: no new article for 9.0 days" in body


def test_a_wrong_notifier_setting_fails_the_health_task_not_the_crawls(
    crawl, fresh_database_url, monkeypatch, tmp_path
):
    from tests.test_dags import parse_dags, ti_states

    airflow_env.migrate_metadata_db()
    monkeypatch.setenv("DADKHAH_HEALTH_NOTIFIERS", '{"class": "smtp"')
    monkeypatch.setenv("AIRFLOW_CONN_DADKHAH_DB", fresh_database_url.replace("+psycopg", ""))
    monkeypatch.setenv("DADKHAH_ARCHIVE_DIR", str(tmp_path / "archive"))
    monkeypatch.setenv("DADKHAH_OUTLETS_FILE", str(crawl.outlets_file))
    messages: list[str] = []
    handler = logging.Handler(level=logging.INFO)
    handler.emit = lambda record: messages.append(record.getMessage())
    logging.getLogger("dadkhah.airflow").addHandler(handler)
    try:
        run = parse_dags()["dadkhah_ingest"].test(run_conf={"outlets": [WIRE]})  # the DAG loads
    finally:
        logging.getLogger("dadkhah.airflow").removeHandler(handler)
    states = ti_states(run)
    assert states[("crawl", WIRE)] == "success" and states[("summary", "-1")] == "success"
    assert states[("health", "-1")] == "failed" and run.state == "failed"
    assert any(
        m.startswith("DADKHAH_HEALTH_NOTIFIERS is not valid JSON") and "nobody can be notified" in m
        for m in messages
    ), messages


def test_health_notifier_setting_is_checked_at_parse_time(monkeypatch):
    from tests.test_dags import load_dag_module

    module = load_dag_module()
    monkeypatch.setenv("DADKHAH_HEALTH_NOTIFIERS", "{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        module.health_notifiers()
    monkeypatch.setenv("DADKHAH_HEALTH_NOTIFIERS", json.dumps({"class": "NoDots"}))
    with pytest.raises(ValueError, match="package.module.Class"):
        module.health_notifiers()
    spec = [{"class": "airflow.providers.smtp.notifications.smtp.SmtpNotifier", "kwargs": {"to": "a@b.c"}}]
    monkeypatch.setenv("DADKHAH_HEALTH_NOTIFIERS", json.dumps(spec * 2))
    assert [n.class_path for n in module.health_notifiers()] == [spec[0]["class"]] * 2
    monkeypatch.delenv("DADKHAH_HEALTH_NOTIFIERS")
    assert module.health_notifiers() == []


def test_migration_0005_downgrades_and_upgrades_with_data(crawl, fresh_engine):
    from alembic import command
    from alembic.config import Config

    from pipeline.db import SCHEMA_DIR, upgrade

    crawl(WIRE)
    cfg = Config(str(SCHEMA_DIR / "alembic.ini"))
    cfg.set_main_option("script_location", str(SCHEMA_DIR / "migrations"))

    def objects() -> dict[str, Any]:
        with fresh_engine.connect() as conn:
            return {
                "table": conn.execute(text("SELECT to_regclass('public.outlet_health')")).scalar(),
                "view": conn.execute(text("SELECT to_regclass('consumer.outlet_health')")).scalar(),
                "index": conn.execute(
                    text("SELECT to_regclass('public.ix_articles_outlet_first_seen')")
                ).scalar(),
                "articles": conn.execute(text("SELECT count(*) FROM articles")).scalar(),
            }

    assert all(objects().values())
    with fresh_engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0005-1")
    assert objects() == {"table": None, "view": None, "index": None, "articles": 3}  # data kept
    upgrade(fresh_engine)
    assert all(objects().values())
    crawl(WIRE)
    assert [r["state"] for r in stored_verdicts(fresh_engine, WIRE)] == ["ok"]  # a new history


def test_consumer_view_contract(db_engine):
    with db_engine.connect() as conn:
        columns = list(conn.execute(text("SELECT * FROM consumer.outlet_health LIMIT 0")).keys())
    assert columns[:5] == ["outlet", "checked_at", "state", "reasons", "figures"]
    assert set(columns[5:]) >= {"outlet_id", "run_id", "thresholds"}
