"""tag_pending against a real PostgreSQL: storage, idempotency, version changes, history."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from sqlalchemy import insert, text, update

from pipeline.tagging import TaxonomyError, tag_pending
from pipeline.workqueue import enqueue_changed
from schema.models import Article, Outlet
from tests.conftest import table_count

ROOT = Path(__file__).resolve().parent.parent
TOPICS_FILE = ROOT / "config" / "topics.yaml"

ARTICLES = [
    (
        "Man hanged in Ghezel Hesar Prison on drug charges",
        "A man convicted of drug trafficking was hanged in Ghezel Hesar Prison in Karaj on "
        "Tuesday. His family were allowed a final visit. He was executed without notice to "
        "his lawyer, rights groups said.",
    ),
    (
        "اعدام سه زندانی در زندان قزلحصار",
        "حکم اعدام سه زندانی صبح امروز در زندان قزل حصار کرج اجرا شد. این زندانیان به "
        "اتهام قاچاق مواد مخدر به اعدام محکوم شده بودند.",
    ),
    (
        "Man flogged 80 times for drinking alcohol",
        "A man was flogged 80 times in public in Qazvin after being sentenced to 80 lashes "
        "for drinking alcohol. The flogging was carried out in a square.",
    ),
    (
        "Rial hits record low",
        "Iran's currency fell to a record low on Sunday. Shopkeepers said sales had slowed "
        "and prices of imported goods rose sharply.",
    ),
]


def _insert_articles(engine, rows=ARTICLES) -> list[int]:
    now = datetime.now(UTC)
    with engine.begin() as conn:
        outlet_id = conn.execute(
            insert(Outlet.__table__)
            .values(name=f"test-{now.timestamp()}", home="https://example.org", language="en", config={})
            .returning(Outlet.__table__.c.outlet_id)
        ).scalar_one()
        ids = []
        for i, (title, body) in enumerate(rows):
            ids.append(
                conn.execute(
                    insert(Article.__table__)
                    .values(
                        outlet_id=outlet_id,
                        canonical_url=f"https://example.org/{i}",
                        title=title,
                        text=body,
                        content_sha256=hashlib.sha256(body.encode()).hexdigest(),
                        first_seen_at=now,
                        extractor="test 0",
                        extractor_settings={},
                        authors=[],
                        current_version=1,
                    )
                    .returning(Article.__table__.c.article_id)
                ).scalar_one()
            )
    return ids


def _topics(engine) -> dict[int, list[str]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT article_id, topics FROM article_taggings"))
        return {a: sorted(t) for a, t in rows}


def _changed_taxonomy(tmp_path: Path, version: str, mutate) -> Path:
    data = yaml.safe_load(TOPICS_FILE.read_text(encoding="utf-8"))
    data["version"] = version
    mutate(data)
    path = tmp_path / f"topics-{version}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_tag_pending_stores_topics_evidence_facets_and_views(fresh_engine):
    ids = _insert_articles(fresh_engine)
    counts = tag_pending(fresh_engine, TOPICS_FILE)
    assert counts["examined"] == counts["tagged"] == 4
    assert counts["unchanged"] == 0
    assert counts["topics"]["execution"] == 2
    assert counts["topics"]["corporal_punishment"] == 1

    topics = _topics(fresh_engine)
    assert "execution" in topics[ids[0]] and "execution" in topics[ids[1]]
    assert topics[ids[2]] == ["corporal_punishment"]
    assert topics[ids[3]] == []  # examined, nothing to say: still has a tagging row

    with fresh_engine.connect() as conn:
        version, sha, content = conn.execute(text("SELECT version, sha256, content FROM taxonomies")).one()
        assert version == counts["taxonomy_version"] and len(sha) == 64
        assert "execution" in content["topics"]
        # evidence points into the stored text
        rows = conn.execute(
            text(
                "SELECT a.title, a.text, t.evidence FROM consumer.article_topics t"
                " JOIN articles a USING (article_id)"
            )
        ).all()
        assert rows
        for title, body, evidence in rows:
            assert evidence
            for e in evidence:
                source = title if e["field"] == "title" else body
                assert source[e["start"] : e["end"]] == e["snippet"]
        facets = conn.execute(
            text(
                'SELECT f.article_id, f.facet, f.value, f.start, f."end", f.matched, a.text'
                " FROM consumer.article_facets f JOIN articles a USING (article_id)"
            )
        ).all()
        assert {(r.article_id, r.facet, r.value) for r in facets} >= {
            (ids[0], "prison", "ghezel_hesar"),
            (ids[1], "prison", "ghezel_hesar"),
            (ids[1], "charge", "drug_trafficking"),
        }
        for r in facets:
            assert r.text[r.start : r.end] == r.matched
        view_topics = dict(conn.execute(text("SELECT article_id, topics FROM consumer.articles")).all())
        assert sorted(view_topics[ids[2]]) == ["corporal_punishment"]


def test_second_run_adds_nothing_and_retag_rewrites_in_place(fresh_engine):
    _insert_articles(fresh_engine)
    tag_pending(fresh_engine, TOPICS_FILE, batch_size=3)
    before = {
        t: table_count(fresh_engine, t)
        for t in ("article_topics", "article_facets", "article_taggings", "taxonomies")
    }
    again = tag_pending(fresh_engine, TOPICS_FILE, batch_size=3)
    assert again["examined"] == again["tagged"] == 0
    assert {t: table_count(fresh_engine, t) for t in before} == before

    retag = tag_pending(fresh_engine, TOPICS_FILE, retag=True, batch_size=3)
    assert retag["examined"] == retag["tagged"] == 4
    assert {t: table_count(fresh_engine, t) for t in before} == before


def test_changed_article_text_is_retagged(fresh_engine):
    ids = _insert_articles(fresh_engine)
    tag_pending(fresh_engine, TOPICS_FILE)
    new_text = "A man was flogged in public. He had been sentenced to 74 lashes for drinking."
    with fresh_engine.begin() as conn:
        conn.execute(
            update(Article.__table__)
            .where(Article.__table__.c.article_id == ids[3])
            .values(title="Man flogged in Tehran", text=new_text, current_version=2)
        )
        # What every path that stores a new version does (pipeline.workqueue).
        assert enqueue_changed(conn, ids[3], ["title", "text"]) == 3  # clustering, tagging and incidents
    counts = tag_pending(fresh_engine, TOPICS_FILE)
    assert counts["swept"] is False and counts["events"] == 1
    assert counts["examined"] == counts["tagged"] == 1
    assert _topics(fresh_engine)[ids[3]] == ["corporal_punishment"]
    with fresh_engine.connect() as conn:
        assert (
            conn.execute(
                text("SELECT article_version FROM article_taggings WHERE article_id = :a"),
                {"a": ids[3]},
            ).scalar_one()
            == 2
        )


def test_version_change_retags_only_affected_articles_and_keeps_history(fresh_engine, tmp_path):
    ids = _insert_articles(fresh_engine)
    first = tag_pending(fresh_engine, TOPICS_FILE)
    old_version = first["taxonomy_version"]
    with fresh_engine.connect() as conn:
        rows = conn.execute(text("SELECT article_id, tagged_at FROM article_taggings"))
        old_times = {a: t for a, t in rows}

    # Put corporal punishment out of reach of the lexicon and the sentence model (the
    # lexicon's threshold, the model's examples): only the flogging article's signals change,
    # so only it is re-tagged (the linear layer still reads its words: it keeps the topic,
    # with another score).
    def mutate(data):
        data["topics"]["corporal_punishment"]["threshold"] = 999.0
        data["topics"]["corporal_punishment"]["examples"] = {"en": [], "fa": []}

    new_file = _changed_taxonomy(tmp_path, "test-v2", mutate)
    counts = tag_pending(fresh_engine, new_file)
    assert counts["taxonomy_version"] == "test-v2"
    assert counts["examined"] == 4
    assert counts["tagged"] == 1
    assert counts["unchanged"] == 3
    assert set(counts["topics"]) <= {"corporal_punishment"}

    topics = _topics(fresh_engine)
    assert "execution" in topics[ids[0]]
    with fresh_engine.connect() as conn:
        rows = conn.execute(
            text("SELECT article_id, taxonomy_version, tagged_at FROM article_taggings")
        ).all()
        assert {r.taxonomy_version for r in rows} == {"test-v2"}
        new_times = {r.article_id: r.tagged_at for r in rows}
        for a in (ids[0], ids[1], ids[3]):
            assert new_times[a] == old_times[a]  # carried forward, not re-tagged
        assert new_times[ids[2]] > old_times[ids[2]]
        # history: the old version's rows are still there, next to the new version's
        history = conn.execute(
            text(
                "SELECT taxonomy_version, topic, score FROM article_topics WHERE article_id = :a"
                " ORDER BY taxonomy_version"
            ),
            {"a": ids[2]},
        ).all()
        assert (old_version, "corporal_punishment") in [(r[0], r[1]) for r in history]
        new_rows = [r for r in history if r[0] == "test-v2"]
        old_rows = [r for r in history if r[0] == old_version]
        assert [(r[1], r[2]) for r in new_rows] != [(r[1], r[2]) for r in old_rows]
        # the consumer view shows only the current tagging
        current = conn.execute(
            text("SELECT topic FROM consumer.article_topics WHERE article_id = :a"),
            {"a": ids[2]},
        ).all()
        assert [r[0] for r in current] == [r[1] for r in new_rows]
        assert (
            conn.execute(
                text("SELECT count(*) FROM consumer.article_topics WHERE article_id = :a"),
                {"a": ids[0]},
            ).scalar_one()
            >= 1
        )
        assert conn.execute(text("SELECT count(*) FROM taxonomies")).scalar_one() == 2

    assert tag_pending(fresh_engine, new_file)["examined"] == 0


def test_label_only_change_carries_everything_forward(fresh_engine, tmp_path):
    _insert_articles(fresh_engine)
    tag_pending(fresh_engine, TOPICS_FILE)

    def mutate(data):
        data["topics"]["execution"]["definition"] = "A death sentence was carried out (edited)."

    counts = tag_pending(fresh_engine, _changed_taxonomy(tmp_path, "test-v3", mutate))
    assert counts["examined"] == counts["unchanged"] == 4
    assert counts["tagged"] == 0


def test_same_version_with_other_content_is_refused(fresh_engine, tmp_path):
    _insert_articles(fresh_engine)
    first = tag_pending(fresh_engine, TOPICS_FILE)

    def mutate(data):
        data["topics"]["execution"]["threshold"] = 10.0

    path = _changed_taxonomy(tmp_path, first["taxonomy_version"], mutate)
    with pytest.raises(TaxonomyError, match="change `version`"):
        tag_pending(fresh_engine, path)


def test_tag_command_uses_settings(fresh_database_url, monkeypatch, capsys):
    from sqlalchemy import create_engine

    from pipeline.tagging.cli import tag_command

    engine = create_engine(fresh_database_url)
    _insert_articles(engine)
    monkeypatch.setenv("DADKHAH_DATABASE_URL", fresh_database_url)
    monkeypatch.setenv("DADKHAH_TOPICS_FILE", str(TOPICS_FILE))
    tag_command(retag=False)
    out = capsys.readouterr().out
    assert "examined 4, tagged 4" in out
    assert "execution" in out
    engine.dispose()


def test_retag_reports_progress_and_model_evidence_is_stored_with_offsets(fresh_engine, tmp_path):
    described = (
        "A student's relatives search for him",
        "Agents took the student from his dormitory in Mashhad in April. Since then nothing "
        "is known of his fate: every office his relatives visit denies holding him, and he "
        "has not been allowed to call home.",
    )
    ids = _insert_articles(fresh_engine, ARTICLES + [described])
    calls: list[tuple[int, int]] = []
    counts = tag_pending(fresh_engine, TOPICS_FILE, batch_size=2, progress=lambda d, t: calls.append((d, t)))
    assert counts["method"].startswith("lexicon/2+e5-sentences/2+linear/4#")
    assert calls[0] == (0, 5) and calls[-1] == (5, 5)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls) and len(calls) == 4  # 0, 2, 4, 5
    calls.clear()
    tag_pending(fresh_engine, TOPICS_FILE, progress=lambda d, t: calls.append((d, t)))
    assert calls == [(0, 0)]  # nothing pending: nothing to do, and it says so
    tag_pending(fresh_engine, TOPICS_FILE, retag=True, progress=lambda d, t: calls.append((d, t)))
    assert calls[-1] == (5, 5)
    with fresh_engine.connect() as conn:
        method, evidence = conn.execute(
            text("SELECT method, evidence FROM article_topics WHERE article_id = :a AND topic = :t"),
            {"a": ids[-1], "t": "enforced_disappearance"},
        ).one()
    assert method == counts["method"]
    for e in evidence:
        assert (
            described[1][e["start"] : e["end"]] == e["snippet"]
            or described[0][e["start"] : e["end"]] == e["snippet"]
        )
    # The shipped layer decides this article without the sentence model (the gate); weights
    # that lean on the model's signal make it run, and its sentences are stored as evidence.
    from pipeline.tagging.linear import LEX_FEATURES, MODEL_FILE, LinearModel

    model = LinearModel.from_json(MODEL_FILE.read_text(encoding="utf-8"))
    model.lex[:, LEX_FEATURES.index("sentence_model")] = 30.0  # the model's tag decides...
    model.bias[:] -= 15.0  # ...and nothing else does
    heavy = tmp_path / "linear.json"
    heavy.write_text(model.to_json(), encoding="utf-8")
    counts = tag_pending(fresh_engine, TOPICS_FILE, model_file=heavy)
    with fresh_engine.connect() as conn:
        (evidence,) = conn.execute(
            text("SELECT evidence FROM article_topics WHERE article_id = :a AND topic = :t AND method = :m"),
            {"a": ids[-1], "t": "enforced_disappearance", "m": counts["method"]},
        ).one()
    by_model = [e for e in evidence if e["method"] == "e5-sentences/2"]
    assert by_model
    for e in by_model:
        assert described[1][e["start"] : e["end"]] == e["snippet"]
        assert e["similarity"] > 0 and e["model"].startswith("multilingual-e5-small")


def test_retrained_linear_weights_retag_as_a_method_change(fresh_engine, tmp_path):
    from pipeline.tagging.linear import MODEL_FILE, LinearModel

    _insert_articles(fresh_engine)
    first = tag_pending(fresh_engine, TOPICS_FILE)
    assert "+linear/4#" in first["method"]
    assert tag_pending(fresh_engine, TOPICS_FILE)["examined"] == 0
    # Same weights but one bias moved: other weights, so another method id.
    model = LinearModel.from_json(MODEL_FILE.read_text(encoding="utf-8"))
    model.bias[0] += 0.5
    retrained = tmp_path / "linear.json"
    retrained.write_text(model.to_json(), encoding="utf-8")
    counts = tag_pending(fresh_engine, TOPICS_FILE, model_file=retrained)
    assert counts["method"] != first["method"] and counts["method"].startswith(
        "lexicon/2+e5-sentences/2+linear/4#"
    )
    assert counts["examined"] == counts["tagged"] == 4
    with fresh_engine.connect() as conn:
        methods = {m for (m,) in conn.execute(text("SELECT DISTINCT method FROM article_taggings"))}
    assert methods == {counts["method"]}
    assert tag_pending(fresh_engine, TOPICS_FILE, model_file=retrained)["examined"] == 0
    assert tag_pending(fresh_engine, TOPICS_FILE)["examined"] == 4  # back to the shipped weights
