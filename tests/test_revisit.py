"""Revisits end to end: a real crawl of a loopback site, the site changed, real revisit runs.

The site serves articles that, between passes, get edited, deleted (404), redirected to the
home page, replaced by a not-found page (200), slowed past the timeout once, or left alone
(answered 304 to a conditional GET, or re-sent with other bytes and the same text). The
schedule is driven by an injected clock, never by sleeping.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.db import upgrade
from pipeline.evidence.bundle import write_bundle
from pipeline.ingest import ingest
from pipeline.revisit import store
from pipeline.revisit.run import revisit
from pipeline.settings import Settings
from tests.loopback import outlets_yaml
from tests.pg import create_scratch_database, drop_database
from tests.revisit_site import Route, Site

PUBLISHED = "2026-11-01T10:00:00+00:00"


def _paragraphs(subject: str, figure: str) -> str:
    lines = [
        f"Human rights monitors reported that {figure} prisoners held in {subject} were executed at dawn.",
        f"Relatives of the prisoners in {subject} said they had not been told in advance of the executions.",
        "The families gathered outside the prison gates and asked the authorities for the bodies.",
        "Lawyers said the trials lasted minutes and that confessions had been extracted under torture.",
        "Rights groups called on the United Nations to open an inquiry into the executions without delay.",
    ]
    return "".join(f"<p>{line} {line}</p>" for line in lines)


def article_page(title: str, subject: str, figure: str = "twelve", noise: str = "") -> bytes:
    return (
        f"<html><head><title>{title}</title>"
        f'<meta property="article:published_time" content="{PUBLISHED}"></head>'
        f"<body><nav><a href='/'>Home</a></nav><article><h1>{title}</h1>{_paragraphs(subject, figure)}"
        f"</article><footer>{noise}</footer></body></html>"
    ).encode()


NOT_FOUND = (
    b"<html><head><title>Page not found</title></head><body><h1>Page not found</h1>"
    b"<p>Sorry, the page you requested could not be found.</p></body></html>"
)


NAMES = ("edited", "deleted", "moved", "soft", "slow", "etag", "same")
SUBJECTS = {
    "edited": "Ghezel Hesar",
    "deleted": "Evin",
    "moved": "Qarchak",
    "soft": "Vakilabad",
    "slow": "Adelabad",
    "etag": "Dizelabad",
    "same": "Lakan",
}


def _feed(base: str) -> bytes:
    items = "".join(
        f"<item><title>{n}</title><link>{base}/news/{n}/</link><pubDate>Sun, 01 Nov 2026 10:00:00 GMT</pubDate></item>"
        for n in NAMES
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()
    )


@pytest.fixture(scope="module")
def world(pg_server_url, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("revisit")
    url = create_scratch_database(pg_server_url)
    engine = create_engine(url)
    upgrade(engine)
    settings = Settings(database_url=url, archive_dir=tmp / "archive", data_dir=tmp / "data")
    site = Site()
    site.routes["/"] = Route(b"<html><body><a href='/news/etag/'>latest</a></body></html>")
    site.routes["/feed"] = Route(_feed(site.base))
    for name in NAMES:
        site.routes[f"/news/{name}/"] = Route(
            article_page(f"Executions in {SUBJECTS[name]}", SUBJECTS[name]),
            etag='"v1"' if name == "etag" else None,
        )
    outlets = outlets_yaml(
        tmp,
        [
            {
                "name": "Monitor",
                "home": site.base + "/",
                "feeds": [site.base + "/feed"],
                "timeout_seconds": 3,
                "revisit": {"after_days": [1, 7, 30, 180]},
            }
        ],
    )
    report = ingest(settings, outlets_file=outlets, trigger="test", stream_logs=False, engine=engine)
    assert report.outlets["Monitor"]["stored"] == len(NAMES), report.outlets
    with engine.connect() as conn:
        ids = dict(conn.execute(text("SELECT canonical_url, article_id FROM articles")).all())
        first_seen = conn.execute(text("SELECT max(first_seen_at) FROM articles")).scalar_one()
    state = {
        "engine": engine,
        "settings": settings,
        "site": site,
        "outlets": outlets,
        "ids": {n: ids[f"{site.base}/news/{n}/"] for n in NAMES},
        "first_seen": first_seen,
        "tmp": tmp,
    }
    yield state
    site.stop()
    engine.dispose()
    drop_database(pg_server_url, url)


def _revisit(world, days: float, *, due_only: bool = True, **kwargs):
    now = world["first_seen"] + timedelta(days=days)
    return revisit(
        world["settings"],
        outlets_file=world["outlets"],
        due_only=due_only,
        clock=lambda: now,
        trigger="test",
        engine=world["engine"],
        stream_logs=False,
        **kwargs,
    )


def _article(world, name: str):
    with world["engine"].connect() as conn:
        return (
            conn.execute(
                text("SELECT * FROM consumer.articles WHERE article_id = :id"), {"id": world["ids"][name]}
            )
            .mappings()
            .one()
        )


def _changes(world, name: str):
    with world["engine"].connect() as conn:
        return (
            conn.execute(
                text("SELECT * FROM consumer.article_changes WHERE article_id = :id ORDER BY detected_at"),
                {"id": world["ids"][name]},
            )
            .mappings()
            .all()
        )


@pytest.fixture(scope="module")
def passes(world):
    """Not due yet; then the site changes and the first stage comes due; then the slow page
    answers again and a later stage comes due."""
    site, results = world["site"], {}
    before = len(site.article_requests())
    results["early"] = _revisit(world, 0.5)
    results["early_requests"] = len(site.article_requests()) - before
    site.routes["/news/edited/"] = Route(article_page("Executions in Ghezel Hesar", "Ghezel Hesar", "two"))
    site.routes["/news/deleted/"] = Route(b"gone", status=404)
    site.routes["/news/moved/"] = Route(status=301, location=site.base + "/")
    site.routes["/news/soft/"] = Route(NOT_FOUND)
    site.routes["/news/slow/"].delay = 8.0
    site.routes["/news/same/"] = Route(article_page("Executions in Lakan", "Lakan", noise="served 2"))
    before = len(site.requests)
    results["day1"] = _revisit(world, 1.5)
    results["day1_requests"] = site.requests[before:]
    before = len(site.article_requests())
    results["day1_again"] = _revisit(world, 1.6)
    results["day1_again_requests"] = site.article_requests()[before:]
    site.routes["/news/slow/"].delay = 0.0
    results["day2"] = _revisit(world, 2.0)
    results["day8"] = _revisit(world, 8.0)
    return results


def _reasons(world, run_id: int) -> list:
    with world["engine"].connect() as conn:
        return conn.execute(
            text("SELECT article_id, outcome, reason FROM article_revisits WHERE run_id = :r"), {"r": run_id}
        ).all()


def test_nothing_is_revisited_before_it_is_due(passes):
    assert passes["early"].total("selected") == 0
    assert passes["early_requests"] == 0


def test_first_stage_outcomes(world, passes):
    report = passes["day1"]
    assert report.status == "finished", report.outlets
    outlet = report.outlets["Monitor"]
    assert outlet["selected"] == len(NAMES) and outlet["not_checked"] == 0, outlet
    assert (outlet["unchanged"], outlet["edited"], outlet["removed"], outlet["unreachable"]) == (
        2,
        1,
        3,
        1,
    ), _reasons(world, report.run_id)


def test_one_conditional_get_per_due_article(world, passes):
    paths = [p for p, _ in passes["day1_requests"] if p.startswith("/news/")]
    assert sorted(paths) == sorted(f"/news/{n}/" for n in NAMES)
    headers = dict(passes["day1_requests"])
    assert headers["/news/etag/"].get("If-None-Match") == '"v1"'


def test_edit_is_a_new_version_with_a_word_diff(world, passes):
    row = _article(world, "edited")
    assert row["status"] == "edited" and row["version_count"] == 2 and row["removed_at"] is None
    assert "two prisoners" in row["text"] and "twelve" not in row["text"]
    (change,) = _changes(world, "edited")
    assert (change["kind"], change["from_version"], change["to_version"]) == ("edited", 1, 2)
    assert "[-twelve-] {+two+}" in change["diff"]
    with world["engine"].connect() as conn:
        version = conn.execute(
            text("SELECT reason, fetch_id FROM article_versions WHERE article_id = :id AND version = 2"),
            {"id": world["ids"]["edited"]},
        ).one()
        kind = conn.execute(
            text("SELECT kind, outcome, warc_file FROM fetches WHERE fetch_id = :f"),
            {"f": change["fetch_id"]},
        ).one()
    assert version.reason == "revisit" and version.fetch_id == change["fetch_id"]
    assert kind.kind == "revisit" and kind.outcome == "edited" and kind.warc_file


def test_an_edit_is_queued_for_clustering_and_tagging_and_a_check_is_not(world, passes):
    """The edited text reaches the derived-data steps through the work queue (re-placed in
    its cluster, re-tagged); an unchanged or removed article queues nothing."""
    with world["engine"].connect() as conn:
        rows = conn.execute(
            text(
                "SELECT consumer, article_id, article_version FROM work_queue "
                "WHERE reason = 'changed' ORDER BY consumer, article_id"
            )
        ).all()
    queued = {(r.consumer, r.article_id, r.article_version) for r in rows}
    edited = world["ids"]["edited"]
    assert {("clustering", edited, 2), ("tagging", edited, 2)} <= queued
    unchanged = {world["ids"][name] for name in ("same", "etag", "deleted", "moved", "soft")}
    assert not [q for q in queued if q[1] in unchanged], queued


@pytest.mark.parametrize("name", ["deleted", "moved", "soft"])
def test_takedowns_are_removed_with_the_date_first_seen(world, passes, name):
    row = _article(world, name)
    assert row["status"] == "removed", name
    (change,) = _changes(world, name)  # day 8 saw it removed again: no second change
    assert change["kind"] == "removed" and change["detected_at"] == row["removed_at"]
    assert row["removed_at"] == passes["day1"].checked_at
    assert "Ghezel" not in (row["text"] or "") and row["version_count"] == 1


def test_redirect_and_soft_404_reasons(world, passes):
    with world["engine"].connect() as conn:
        reasons = dict(
            conn.execute(
                text("SELECT article_id, reason FROM article_revisits WHERE change = 'removed'")
            ).all()
        )
    assert reasons[world["ids"]["deleted"]] == "HTTP 404"
    assert reasons[world["ids"]["moved"]].startswith("redirected to the home page")
    assert "not found" in reasons[world["ids"]["soft"]].lower()


def test_timeout_once_is_unreachable_then_checked_again(world, passes):
    with world["engine"].connect() as conn:
        outcomes = conn.execute(
            text("SELECT outcome, reason FROM article_revisits WHERE article_id = :id ORDER BY revisit_id"),
            {"id": world["ids"]["slow"]},
        ).all()
    assert outcomes[0].outcome == "unreachable" and outcomes[0].reason.startswith("timeout")
    # not due again at 1.6 days for the others, but the unreachable one is retried
    assert passes["day1_again"].total("selected") == 1
    assert [o.outcome for o in outcomes[:3]] == ["unreachable", "unreachable", "unchanged"]
    assert _article(world, "slow")["status"] == "live" and not _changes(world, "slow")


def test_304_and_same_text_are_unchanged(world, passes):
    with world["engine"].connect() as conn:
        reasons = dict(
            conn.execute(
                text(
                    "SELECT article_id, reason FROM article_revisits WHERE run_id = :r AND outcome = 'unchanged'"
                ),
                {"r": passes["day1"].run_id},
            ).all()
        )
    assert reasons[world["ids"]["etag"]] == "HTTP 304 Not Modified"
    assert reasons[world["ids"]["same"]] == "same title and text"
    for name in ("etag", "same"):
        row = _article(world, name)
        assert row["status"] == "live" and row["last_checked_at"] == passes["day8"].checked_at


def test_second_stage_comes_due_later(passes):
    # stage 1 is done for all but the page that timed out twice, which answers now
    assert passes["day2"].total("selected") == 1 and passes["day2"].total("unchanged") == 1
    assert passes["day8"].total("selected") == len(NAMES)


def test_bundle_holds_the_revisits_and_the_diff(world, passes, tmp_path):
    settings = world["settings"]
    result = write_bundle(
        world["engine"], settings.archive_dir, settings.data_dir, world["ids"]["edited"], tmp_path / "a.wacz"
    )
    with zipfile.ZipFile(result.path) as zf:
        fetches = zf.read("evidence/fetches.jsonl").decode()
        revisits = zf.read("evidence/revisits.jsonl").decode()
        diffs = zf.read("evidence/diffs.txt").decode()
        summary = zf.read("evidence/summary.txt").decode()
        pages = zf.read("pages/pages.jsonl").decode()
    assert fetches.count('"kind": "revisit"') == 2  # day 1 (edited) and day 8 (unchanged)
    assert revisits.count('"outcome"') == 2 and '"edited"' in revisits
    assert "[-twelve-] {+two+}" in diffs
    assert "Revisits (2; status edited)" in summary and "edited -> EDITED" in summary
    assert pages.count('"id": "fetch-') == 3
    env = {"DADKHAH_DATA_DIR": str(settings.data_dir)}
    verified = CliRunner().invoke(app, ["verify", str(result.path)], env=env)
    assert verified.exit_code == 0, verified.output
    validated = subprocess.run(
        [sys.executable, "-m", "wacz", "validate", "-f", str(result.path)], capture_output=True, text=True
    )
    assert validated.returncode == 0, validated.stdout + validated.stderr


def test_cli_exit_codes(world, passes):
    env = {
        "DADKHAH_DATABASE_URL": world["engine"].url.render_as_string(hide_password=False),
        "DADKHAH_ARCHIVE_DIR": str(world["settings"].archive_dir),
        "DADKHAH_DATA_DIR": str(world["settings"].data_dir),
    }
    runner = CliRunner()
    outlets = str(world["outlets"])
    done = runner.invoke(app, ["revisit", "--outlets", outlets, "--due-only", "--json"], env=env)
    assert done.exit_code == 0, done.output
    payload = json.loads(done.stdout)
    assert payload["exit_code"] == 0 and payload["report"]["status"] == "finished"
    everything = runner.invoke(app, ["revisit", "--outlets", outlets], env=env)  # not only the due
    assert everything.exit_code == 0, everything.output
    assert f"revisited {len(NAMES)} of {len(NAMES)}" in everything.stdout
    unknown = runner.invoke(app, ["revisit", "--outlets", outlets, "--outlet", "Nobody"], env=env)
    assert unknown.exit_code == 2 and "unknown outlet" in unknown.output
    off = Path(world["tmp"]) / "off.yaml"
    off.write_text(Path(outlets).read_text().replace("revisit:\n", "revisit: false\n  x_revisit:\n"))
    bad = runner.invoke(app, ["config", "check", "--outlets", str(off)])
    assert bad.exit_code == 2 and "x_revisit" in bad.output


def test_change_feed_notes_takedowns_and_edits_not_mere_checks(world, passes):
    with world["engine"].connect() as conn:
        kinds = {
            name: conn.execute(
                text(
                    "SELECT array_agg(kind ORDER BY change_id) FROM consumer.changes WHERE article_id = :id"
                ),
                {"id": world["ids"][name]},
            ).scalar_one()
            for name in ("deleted", "edited", "etag")
        }
    assert kinds["deleted"] == ["article", "version"]
    assert kinds["edited"] == ["article", "version"]
    assert kinds["etag"] == ["article"]  # checked twice, unchanged: nothing for a consumer


def test_text_changed_hook_runs_in_the_versions_transaction(world, passes):
    """record_page stores an edit and calls article_text_changed's handlers in its transaction."""
    from pipeline.extraction import ExtractionHints, extract_article

    engine, article_id = world["engine"], world["ids"]["etag"]
    html = article_page("Executions in Dizelabad", "Dizelabad", "nine").decode()
    extracted = extract_article(html, ExtractionHints(url=world["site"].base + "/news/etag/", language="en"))
    with engine.connect() as conn:
        fetch_id = conn.execute(
            text(
                "SELECT fetch_id FROM article_revisits WHERE article_id = :id ORDER BY revisit_id DESC LIMIT 1"
            ),
            {"id": article_id},
        ).scalar_one()
    seen = []

    def handler(conn, changed_id, version):
        seen.append(
            (
                changed_id,
                version,
                conn.execute(
                    text("SELECT current_version FROM articles WHERE article_id = :i"), {"i": changed_id}
                ).scalar_one(),
            )
        )

    store.TEXT_CHANGED_HANDLERS.append(handler)
    try:
        done = store.record_page(
            engine,
            article_id,
            html=html,
            extracted=extracted,
            not_article=None,
            redirected=False,
            run_id=None,
            fetch_id=fetch_id,
            checked_at=passes["day8"].checked_at + timedelta(hours=1),
        )
    finally:
        store.TEXT_CHANGED_HANDLERS.clear()
    assert (done.outcome, done.change, done.to_version) == ("edited", "edited", 2)
    assert seen == [(article_id, 2, 2)]  # the handler sees the new version, uncommitted yet
    assert _article(world, "etag")["status"] == "edited"


def test_a_removed_article_that_comes_back_is_restored(world, passes):
    """Last (it changes the site): the deleted page is served again, as it was first captured."""
    site = world["site"]
    site.routes["/news/deleted/"] = Route(article_page("Executions in Evin", "Evin"))
    report = _revisit(world, 31)
    assert report.status == "finished"
    row = _article(world, "deleted")
    assert row["status"] == "live" and row["removed_at"] is None and row["version_count"] == 1
    assert [c["kind"] for c in _changes(world, "deleted")] == ["removed", "restored"]
    assert _article(world, "moved")["status"] == "removed"  # still redirected home


def test_robots_refusal_is_unreachable_never_removed(world, passes):
    """Last too: robots.txt now forbids the articles; every check is unreachable, no status moves."""
    site = world["site"]
    site.routes["/robots.txt"] = Route(b"User-agent: *\nDisallow: /news/\n")
    with world["engine"].connect() as conn:
        before = dict(conn.execute(text("SELECT article_id, status FROM articles")).all())
    try:
        report = _revisit(world, 40, due_only=False)
    finally:
        del site.routes["/robots.txt"]
    assert report.status == "finished"
    assert report.total("unreachable") == report.total("selected") == len(NAMES)
    with world["engine"].connect() as conn:
        after = dict(conn.execute(text("SELECT article_id, status FROM articles")).all())
        reasons = set(
            conn.execute(
                text("SELECT split_part(reason, ':', 1) FROM article_revisits WHERE run_id = :r"),
                {"r": report.run_id},
            ).scalars()
        )
    assert after == before and reasons == {"robots"}


def test_an_extractor_upgrade_is_not_an_edit(world, passes):
    """Last too: the stored version looks as if an older extractor had read the page; the page
    comes back with other bytes, same text. The stored capture, read again by the current
    extractor, gives the same text: unchanged, no new version."""
    engine, article_id = world["engine"], world["ids"]["same"]
    with engine.begin() as conn:
        for table in ("articles", "article_versions"):
            conn.execute(
                text(
                    f"UPDATE {table} SET extractor = 'dadkhah-extract/0.0 (older)', text = text || ' Read more.'"
                    " WHERE article_id = :id"
                ),  # fmt: skip
                {"id": article_id},
            )
    world["site"].routes["/news/same/"] = Route(
        article_page("Executions in Lakan", "Lakan", noise="served 3")
    )
    report = _revisit(world, 41, due_only=False)
    assert report.status == "finished"
    with engine.connect() as conn:
        outcome, reason = conn.execute(
            text("SELECT outcome, reason FROM article_revisits WHERE run_id = :r AND article_id = :id"),
            {"r": report.run_id, "id": article_id},
        ).one()
    assert (outcome, reason) == ("unchanged", "same text as the stored capture read by the current extractor")
    assert _article(world, "same")["version_count"] == 1 and not _changes(world, "same")


def test_a_page_with_no_article_is_removed_only_on_a_second_check(world, passes):
    """Last too: a page with no article and no not-found notice (a maintenance page?)."""
    site, article_id = world["site"], world["ids"]["slow"]
    site.routes["/news/slow/"] = Route(
        b"<html><head><title>Adelabad</title></head><body><p>Back soon.</p></body></html>"
    )
    first = _revisit(world, 50, due_only=False)
    second = _revisit(world, 51, due_only=False)
    outcomes = [
        next(o for a, o, _r in _reasons(world, run.run_id) if a == article_id) for run in (first, second)
    ]
    assert outcomes == ["unreachable", "removed"]
    assert _article(world, "slow")["status"] == "removed"
    assert _article(world, "slow")["removed_at"] == second.checked_at


def test_an_outlet_another_revisit_holds_is_skipped(world, passes):
    from pipeline.locks import REVISIT_LOCK_NAMESPACE

    engine = world["engine"]
    with engine.connect() as holder:
        outlet_id = holder.execute(text("SELECT outlet_id FROM outlets WHERE name = 'Monitor'")).scalar_one()
        holder.execute(
            text("SELECT pg_advisory_lock(:ns, :id)"), {"ns": REVISIT_LOCK_NAMESPACE, "id": outlet_id}
        )
        report = _revisit(world, 60, due_only=False)
        holder.execute(
            text("SELECT pg_advisory_unlock(:ns, :id)"), {"ns": REVISIT_LOCK_NAMESPACE, "id": outlet_id}
        )
    assert report.status == "failed" and report.failed_outlets() == ["Monitor"]
    assert report.outlets["Monitor"]["status"] == "skipped" and report.total("selected") == 0
