"""The archive at scale: consumer-query latency, search, known-URL check, export, disk.

    nice python bench/scale.py --sizes 100000 1000000       # grows one database to each size
    python bench/scale.py --sizes 20000 --keep               # a quick look; keep the database

Loads synthetic articles by COPY into a scratch database migrated to head (sources, fetches,
versions, topics, facets, clusters, signatures in the proportions of a real crawl, ~300 new
articles a day over 10 outlets, 55% Persian), then measures each query of the consumer
contract (median and p95 of repeated runs with varying parameters). Writes EXPLAIN (ANALYZE,
BUFFERS) of every query to ``bench/results/scale-explain-<N>.txt`` and a summary to stdout.

The load bypasses the triggers (``session_replication_role = replica``) and then builds what
they maintain (``articles.topics`` is loaded with the taggings, ``articles.cluster_id`` and
``is_representative`` with the placements, ``cluster_outlets``, ``clusters.outlet_count`` and
the change feed by one SQL statement each): the same state the triggers keep, built in bulk. Not
loaded: clustering's LSH band rows (42 a article, only read when placing a new article).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import io
import json
import math
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from pipeline.db import normalise_url, upgrade  # noqa: E402
from pipeline.feed import export  # noqa: E402
from pipeline.storage import CrawlConnection, known_url_reasons  # noqa: E402

RESULTS = ROOT / "bench" / "results"
PER_DAY = 300
START = datetime(2017, 1, 1, tzinfo=UTC)
OUTLETS = [
    (f"Outlet {i:02d}", "fa" if i < 6 else "en") for i in range(10)
]  # 6 Persian of 10 (~55% of articles)
TOPICS = [
    "execution", "arbitrary_arrest", "prison_conditions", "torture_ill_treatment", "death_in_custody",
    "corporal_punishment", "protest_crackdown", "women_gender_sexuality", "ethnic_minorities",
    "religious_minorities", "political_prisoners", "defenders_lawyers_civil_society",
    "expression_media_internet", "death_sentence", "children_juveniles", "enforced_disappearance",
    "unfair_trial_sentencing", "forced_confession", "extrajudicial_killing", "accountability_justice",
    "un_international_mechanisms", "transnational_repression_hostages", "massacre_1988_1980s",
    "economy",
]  # fmt: skip  # the taxonomy's slugs (config/topics.yaml) and one that has no window index
FA_LETTERS = "ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی"
EN_LETTERS = "abcdefghijklmnoprstuvwy"
VOCAB_SIZE = 20000


def _vocabulary(letters: str, rng: random.Random) -> list[str]:
    words: set[str] = set()
    while len(words) < VOCAB_SIZE:
        words.add("".join(rng.choices(letters, k=rng.randint(3, 9))))
    return sorted(words, key=lambda w: (hash(w) % 7919, w))  # a stable, unsorted-looking rank order


class Synth:
    """Deterministic synthetic archive: article i is the same whatever the batch it falls in."""

    def __init__(self, seed: int = 15) -> None:
        rng = random.Random(seed)
        self.vocab = {"fa": _vocabulary(FA_LETTERS, rng), "en": _vocabulary(EN_LETTERS, rng)}
        weights = [1.0 / (r + 1) for r in range(VOCAB_SIZE)]  # Zipf
        total = 0.0
        self.cum = []
        for w in weights:
            total += w
            self.cum.append(total)
        topic_w = [1.0 / (r + 1) ** 0.8 for r in range(len(TOPICS))]
        t = 0.0
        self.topic_cum = []
        for w in topic_w:
            t += w
            self.topic_cum.append(t)

    def words(self, rng: random.Random, lang: str, k: int) -> str:
        return " ".join(rng.choices(self.vocab[lang], cum_weights=self.cum, k=k))

    def topics(self, rng: random.Random) -> list[str]:
        n = rng.choices([0, 1, 2, 3], weights=[40, 35, 18, 7])[0]
        return sorted(set(rng.choices(TOPICS, cum_weights=self.topic_cum, k=n)))


def _founder(i: int) -> bool:
    """Whether article i starts a story (a fixed rule, so no state is needed across batches)."""
    return i <= 50 or (i * 2654435761) % 100 < 65


def _arr(items: list[str]) -> str:
    return "{" + ",".join(items) + "}"


def _ts(dt: datetime) -> str:
    return dt.isoformat()


class Loader:
    """Writes the TSV lines of every table for articles [lo, hi) and COPYs them in."""

    def __init__(self, url: str, synth: Synth) -> None:
        self.url, self.synth = url, synth

    def batch(self, lo: int, hi: int) -> dict[str, io.StringIO]:
        out = {
            t: io.StringIO()
            for t in (
                "fetches", "articles", "article_versions", "article_sources", "article_urls", "clusters",
                "article_clusters", "article_signatures", "article_taggings", "article_topics", "article_facets",
            )
        }  # fmt: skip
        s = self.synth
        for i in range(lo, hi):
            rng = random.Random(i * 7919 + 1)
            aid = i + 1
            outlet = i % len(OUTLETS)
            lang = OUTLETS[outlet][1]
            seen = START + timedelta(seconds=i * 86400 / PER_DAY)
            published = None if rng.random() < 0.03 else seen - timedelta(hours=rng.uniform(0, 20))
            url = f"https://outlet{outlet}.example.org/news/{aid}"
            title = s.words(rng, lang, rng.randint(6, 12))
            body = s.words(rng, lang, rng.randint(150, 300))
            digest = f"{aid:064x}"
            fid = aid * 2  # article fetches: 2i (first), 2i+1 (a second source or a duplicate)
            for f, kind, outcome, req in (
                (fid, "article", "stored", url),
                (fid + 1, "article", "duplicate", url + "?amp=1"),
            ):
                if f == fid + 1 and rng.random() > 0.3:
                    continue
                out["fetches"].write(
                    f"{f}\tf{f}\t{outlet + 1}\t{kind}\t{req}\t{req}\t200\t{outcome}\t{_ts(seen)}\t{'a' * 64}\t"
                    f"outlet{outlet}-{i // 5000}.warc.gz\t{rng.randint(0, 10**9)}\t{rng.randint(3000, 90000)}\n"
                )
                match = "new" if f == fid else "same_url"
                out["article_sources"].write(f"{aid}\t{f}\t{req}\t{match}\t{_ts(seen)}\n")
            if rng.random() < 0.15:  # a listing page or a refused/non-article URL, settled
                f = 10**10 + aid
                outcome = rng.choice(["not_article", "not_html"])
                out["fetches"].write(
                    f"{f}\tf{f}\t{outlet + 1}\tarticle\thttps://outlet{outlet}.example.org/tag/{aid}\t\\N\t200\t"
                    f"{outcome}\t{_ts(seen)}\t\\N\t\\N\t\\N\t\\N\n"
                )
            versions = 2 if rng.random() < 0.1 else 1
            pub = _ts(published) if published else "\\N"
            topics = s.topics(rng)
            article_line = (  # written below, with its cluster (0018 stores it on the article)
                f"{aid}\t{outlet + 1}\t{url}\t{title}\t{{}}\t{pub}\t{lang}\t{body}\t{digest}\t{_ts(seen)}\t{fid}\t"
                f"trafilatura 2.0\t{{}}\t{versions}\t{_arr(topics)}\t{_ts(seen)}\tmeta"
            )
            for v in range(1, versions + 1):
                vbody = body if v == versions else body + " " + s.words(rng, lang, 20)
                out["article_versions"].write(
                    f"{aid}\t{v}\t{fid}\t{_ts(seen)}\ttrafilatura 2.0\t{{}}\t{title}\t{{}}\t{pub}\t{lang}\t{vbody}\t"
                    f"{digest}\t{'ingest' if v == 1 else 'reprocess'}\n"
                )
            out["article_urls"].write(f"{url}\t{aid}\n")
            if rng.random() < 0.3:
                out["article_urls"].write(f"{url}?amp=1\t{aid}\n")
            # Clusters: ~65% of articles found a story; the others join a recent story's cluster.
            if i > 50 and not _founder(i):
                first = i - rng.randint(1, 40)
                while not _founder(first):
                    first -= 1
                cluster, matched, sim = first + 1, first + 1, round(rng.uniform(0.5, 0.95), 3)
            else:
                cluster, matched, sim = aid, "\\N", "\\N"
                out["clusters"].write(f"{aid}\t{aid}\t{pub}\n")
            out["article_clusters"].write(f"{aid}\t{cluster}\t{matched}\t{sim}\tminhash-lsh\t{{}}\n")
            # A cluster's representative is its founder (the earliest member).
            out["articles"].write(f"{article_line}\t{cluster}\t{'t' if cluster == aid else 'f'}\n")
            out["article_signatures"].write(f"{aid}\tmh-v1\t\\\\x{rng.randbytes(512).hex()}\n")
            out["article_taggings"].write(f"{aid}\tbench-1\tlexicon\t{_arr(topics)}\t{versions}\n")
            for t in topics:
                out["article_topics"].write(f"{aid}\tbench-1\tlexicon\t{t}\t{rng.uniform(1, 5):.2f}\t[]\n")
            for k in range(rng.choice([0, 0, 1, 2, 3, 4])):
                start = k * 200 + rng.randint(0, 150)
                out["article_facets"].write(
                    f"{aid}\tbench-1\tprison\tp{rng.randint(1, 80)}\t{start}\t{start + 12}\tx{k}\n"
                )
        return out

    def encoded(self, lo: int, hi: int) -> dict[str, bytes]:
        return {t: buf.getvalue().encode() for t, buf in self.batch(lo, hi).items()}

    COLUMNS = {
        "fetches": "fetch_id, fetch_uid, outlet_id, kind, requested_url, final_url, http_status, outcome, "
        "fetched_at, raw_sha256, warc_file, warc_offset, warc_length",
        "articles": "article_id, outlet_id, canonical_url, title, authors, published_at, language, text, "
        "content_sha256, first_seen_at, first_fetch_id, extractor, extractor_settings, current_version, "
        "topics, updated_at, published_method, cluster_id, is_representative",
        "article_versions": "article_id, version, fetch_id, extracted_at, extractor, extractor_settings, title, "
        "authors, published_at, language, text, content_sha256, reason",
        "article_sources": "article_id, fetch_id, url, match, linked_at",
        "article_urls": "url, article_id",
        "clusters": "cluster_id, representative_article_id, first_published_at",
        "article_clusters": "article_id, cluster_id, matched_article_id, similarity, method, params",
        "article_signatures": "article_id, params_key, signature",
        "article_taggings": "article_id, taxonomy_version, method, topics, article_version",
        "article_topics": "article_id, taxonomy_version, method, topic, score, evidence",
        "article_facets": 'article_id, taxonomy_version, facet, value, start, "end", matched',
    }

    def load(self, lo: int, hi: int, step: int = 5000) -> None:
        """COPY articles [lo, hi) with the secondary indexes dropped, then rebuild them."""
        import psycopg

        with psycopg.connect(self.url.replace("postgresql+psycopg", "postgresql")) as conn:
            conn.execute("SET session_replication_role = replica")  # bulk: no triggers, no FK checks
            conn.execute("SET maintenance_work_mem = '256MB'")
            # The dropped indexes' DDL is kept in the database until they are rebuilt: an
            # interrupted load is resumed by the next run, which rebuilds them all.
            conn.execute("CREATE TABLE IF NOT EXISTS bench_dropped_indexes (name text PRIMARY KEY, ddl text)")
            conn.execute(
                "INSERT INTO bench_dropped_indexes SELECT i.indexrelid::regclass::text, "
                "pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace "
                "WHERE n.nspname = 'public' AND NOT i.indisprimary AND NOT i.indisunique "
                "AND t.relname = ANY(%s) ON CONFLICT DO NOTHING",
                [list(self.COLUMNS)],
            )
            conn.commit()
            indexes = conn.execute("SELECT name, ddl FROM bench_dropped_indexes ORDER BY name").fetchall()
            for name, _ in indexes:
                conn.execute(f"DROP INDEX IF EXISTS {name}")
            conn.commit()
            # The next batch is generated in another process while this one is copied (one
            # ahead: memory stays at two batches).
            starts = list(range(lo, hi, step))
            with ProcessPoolExecutor(1) as pool:
                ahead = pool.submit(self.encoded, starts[0], min(hi, starts[0] + step)) if starts else None
                for k, start in enumerate(starts):
                    parts = ahead.result()
                    if k + 1 < len(starts):
                        nxt = starts[k + 1]
                        ahead = pool.submit(self.encoded, nxt, min(hi, nxt + step))
                    with conn.cursor() as cur:
                        for table, data in parts.items():
                            with cur.copy(f"COPY {table} ({self.COLUMNS[table]}) FROM STDIN") as cp:
                                cp.write(data)
                    conn.commit()
                    print(f"  loaded {min(hi, start + step):,}", file=sys.stderr, flush=True)
            t0 = time.perf_counter()
            for name, ddl in indexes:
                conn.execute(ddl)
                conn.execute("DELETE FROM bench_dropped_indexes WHERE name = %s", [name])
                conn.commit()
            print(
                f"  rebuilt {len(indexes)} indexes in {time.perf_counter() - t0:.0f} s",
                file=sys.stderr,
                flush=True,
            )


def _setup(engine) -> None:
    with engine.begin() as conn:
        for i, (name, lang) in enumerate(OUTLETS):
            conn.execute(
                text(
                    "INSERT INTO outlets (outlet_id, name, home, language, affiliation, config) "
                    "VALUES (:i, :n, :h, :l, 'independent', '{}')"
                ),
                {"i": i + 1, "n": name, "h": f"https://outlet{i}.example.org", "l": lang},
            )
        conn.execute(
            text(
                "INSERT INTO taxonomies (version, sha256, content) VALUES ('bench-1', repeat('0', 64), '{}')"
            )
        )


def _derive(engine, lo: int, hi: int) -> None:
    """What the triggers keep, built in bulk for articles (lo, hi]."""
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(
            text(
                "INSERT INTO cluster_outlets AS co (cluster_id, outlet_id, articles) "
                "SELECT ac.cluster_id, a.outlet_id, count(*) FROM article_clusters ac "
                "JOIN articles a USING (article_id) WHERE ac.article_id > :lo AND ac.article_id <= :hi "
                "GROUP BY 1, 2 ON CONFLICT (cluster_id, outlet_id) "
                "DO UPDATE SET articles = co.articles + EXCLUDED.articles"
            ),
            {"lo": lo, "hi": hi},
        )
        # clusters.outlet_count (0018) of the clusters these articles joined.
        conn.execute(
            text(
                "UPDATE clusters c SET outlet_count = s.n FROM ("
                "  SELECT co.cluster_id, count(*)::int AS n FROM cluster_outlets co WHERE co.cluster_id IN ("
                "    SELECT ac.cluster_id FROM article_clusters ac WHERE ac.article_id > :lo AND ac.article_id <= :hi)"
                "  GROUP BY 1) s "
                "WHERE c.cluster_id = s.cluster_id AND c.outlet_count <> s.n"
            ),
            {"lo": lo, "hi": hi},
        )
        last = conn.execute(text("SELECT last_change_id FROM change_counter")).scalar_one()
        conn.execute(
            text(
                "INSERT INTO article_changes (change_id, xid, article_id, kind, changed_at) "
                "SELECT :last + row_number() OVER (ORDER BY a.article_id, k.n), 0, a.article_id, k.kind, "
                "a.first_seen_at + k.n * interval '1 minute' "
                "FROM articles a CROSS JOIN (VALUES (0, 'article'), (1, 'cluster'), (2, 'tags')) k(n, kind) "
                "WHERE a.article_id > :lo AND a.article_id <= :hi AND (k.n < 2 OR a.topics <> '{}')"
            ),
            {"lo": lo, "hi": hi, "last": last},
        )
        conn.execute(
            text("UPDATE change_counter SET last_change_id = (SELECT max(change_id) FROM article_changes)")
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


def _timed(fn: Callable[[], object], reps: int) -> list[float]:
    out = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def _server_work(conn, sql: str, params: dict) -> tuple[float, float]:
    """Shared buffers touched and planning + execution ms of one run, from EXPLAIN ANALYZE."""
    (doc,) = conn.execute(text("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql), params).scalar_one()
    top = doc["Plan"]
    planning = doc.get("Planning", {})
    buffers = top.get("Shared Hit Blocks", 0) + top.get("Shared Read Blocks", 0)
    buffers += planning.get("Shared Hit Blocks", 0) + planning.get("Shared Read Blocks", 0)
    return float(buffers), doc["Planning Time"] + doc["Execution Time"]


def _stats(ms: list[float]) -> tuple[float, float]:
    ms = sorted(ms)
    return statistics.median(ms), ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]


def _queries(
    n: int, newest: datetime, rng: random.Random, synth: Synth
) -> dict[str, tuple[str, Callable[[], dict]]]:
    def some_id() -> dict:
        return {"id": rng.randint(1, n)}

    def window() -> dict:
        days = (newest - START).days
        end = newest - timedelta(days=rng.randint(0, max(0, days - 30)))
        return {
            "topic": rng.choice(TOPICS[:8]),
            "lang": rng.choice(["fa", "en"]),
            "from": end - timedelta(days=30),
            "to": end,
        }

    def any_window() -> dict:  # any slug of the taxonomy, rare ones included
        return {**window(), "topic": rng.choice(TOPICS[:23])}

    def cluster() -> dict:
        return {"id": rng.randint(1, n)}

    def year() -> dict:  # "this year": the last 365 days of the archive, so equal at every size
        return {"year": newest - timedelta(days=365)}

    fa, en = synth.vocab["fa"], synth.vocab["en"]
    return {
        "lookup by id": ("SELECT * FROM consumer.articles WHERE article_id = :id", some_id),
        "newest page (50)": (
            "SELECT article_id, outlet, title, published_at, topics FROM consumer.articles "
            "ORDER BY published_at DESC NULLS LAST LIMIT 50",
            dict,
        ),
        "newest page of one outlet": (
            "SELECT article_id, title, published_at FROM consumer.articles WHERE outlet = :o "
            "ORDER BY published_at DESC NULLS LAST LIMIT 50",
            lambda: {"o": rng.choice(OUTLETS)[0]},
        ),
        "topic + language + 30 days": (
            "SELECT article_id, title, published_at FROM consumer.articles WHERE topics @> ARRAY[:topic] "
            "AND language = :lang AND published_at >= :from AND published_at < :to "
            "ORDER BY published_at DESC LIMIT 100",
            window,
        ),
        "'slug' = ANY(topics) + language + 30 days": (
            "SELECT article_id, title, published_at FROM consumer.articles WHERE :topic = ANY(topics) "
            "AND language = :lang AND published_at >= :from AND published_at < :to "
            "ORDER BY published_at DESC LIMIT 100",
            any_window,
        ),
        "newest 100 of a topic (any date)": (
            "SELECT article_id, title, published_at FROM consumer.articles WHERE :topic = ANY(topics) "
            "ORDER BY published_at DESC LIMIT 100",
            lambda: {"topic": rng.choice(TOPICS[:23])},
        ),
        "article joined to its cluster": (
            "SELECT a.article_id, a.title, c.article_count, c.outlet_count, c.outlets "
            "FROM consumer.articles a JOIN consumer.clusters c USING (cluster_id) WHERE a.article_id = :id",
            some_id,
        ),
        "a cluster's articles": (
            "SELECT article_id, outlet, url, is_representative FROM consumer.articles WHERE cluster_id = "
            "(SELECT cluster_id FROM consumer.articles WHERE article_id = :id)",
            cluster,
        ),
        "README: executions in Persian this year": (
            "SELECT a.published_at, a.outlet, a.title, c.outlet_count "
            "FROM consumer.articles a JOIN consumer.clusters c USING (cluster_id) "
            "WHERE a.topics @> ARRAY['execution'] AND a.language = 'fa' AND a.is_representative "
            "AND a.published_at >= :year",
            year,
        ),
        "README: the same, newest 100": (
            "SELECT a.published_at, a.outlet, a.title, c.outlet_count "
            "FROM consumer.articles a JOIN consumer.clusters c USING (cluster_id) "
            "WHERE a.topics @> ARRAY['execution'] AND a.language = 'fa' AND a.is_representative "
            "AND a.published_at >= :year ORDER BY a.published_at DESC LIMIT 100",
            year,
        ),
        "README: the capture behind an article": (
            "SELECT requested_url, fetched_at, raw_sha256, warc_file, warc_offset "
            "FROM consumer.article_sources WHERE article_id = :id",
            some_id,
        ),
        "search: one word (fa)": (
            "SELECT * FROM consumer.search(:q)",
            lambda: {"q": fa[rng.randint(500, 3000)]},
        ),
        "search: two words (en)": (
            "SELECT * FROM consumer.search(:q)",
            lambda: {"q": f"{en[rng.randint(50, 400)]} {en[rng.randint(300, 2000)]}"},
        ),
        "search: phrase + outlet + since": (
            "SELECT * FROM consumer.search(:q, 'Outlet 02', NULL, :since)",
            lambda: {
                "q": f'"{fa[rng.randint(20, 200)]} {fa[rng.randint(20, 200)]}" {fa[rng.randint(100, 1000)]}',
                "since": newest - timedelta(days=365),
            },
        ),  # fmt: skip
    }


def _old_views(engine) -> None:
    """The 0004 views, in a side schema, to show what the rewrite changed."""
    path = ROOT / "schema" / "migrations" / "versions" / "0009_fast_consumer_views.py"
    spec = importlib.util.spec_from_file_location("m0009", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS consumer_0004 CASCADE"))
        conn.execute(text("CREATE SCHEMA consumer_0004"))
        for name, body in module.VIEWS_0004.items():
            conn.execute(text(f"CREATE VIEW consumer_0004.{name} AS {body}"))


def known_url_candidates(rng: random.Random, n: int) -> list[str]:
    """200 candidate URLs of one feed over an archive of ``n`` articles: 120 article URLs, 30
    tag pages, 50 new URLs (what one ingestion checks against the archive)."""
    known = [f"https://outlet{rng.randrange(10)}.example.org/news/{rng.randint(1, n)}" for _ in range(120)]
    tags = [f"https://outlet{rng.randrange(10)}.example.org/tag/{rng.randint(1, n)}" for _ in range(30)]
    new = [f"https://outlet{rng.randrange(10)}.example.org/news/new-{rng.random()}" for _ in range(50)]
    return known + tags + new


def due_selections(outlet: int, now: datetime, reps: int) -> list[tuple[str, object, dict, int]]:
    """(name, statement, parameters, repetitions) of a revisit run's due selection for one
    outlet: the indexed selection of 0017 and the statement before it (5 runs: it is slow)."""
    from pipeline.config import RevisitConfig
    from pipeline.revisit.schedule import _SELECT as OLD_DUE_SELECT
    from pipeline.revisit.schedule import due_select

    revisit = RevisitConfig()
    due_stmt, stages = due_select(revisit.after_days)
    due = {"outlet_id": outlet, "now": now, "max_rows": revisit.max_per_run, **stages}
    old_due = {**due, "days": [float(d) for d in revisit.after_days], "due_only": True}
    return [
        ("revisit: due selection of one outlet", due_stmt, due, reps),
        ("revisit: due selection, before 0017", OLD_DUE_SELECT, old_due, 5),
    ]


def measure(engine, n: int, synth: Synth, reps: int, explain_file: Path, derived: bool = True) -> dict:
    rng = random.Random(n)
    with engine.connect() as conn:
        newest = conn.execute(  # of the loaded articles (a rerun finds the probes of derived_work)
            text("SELECT max(published_at) FROM articles WHERE article_id < :p"), {"p": PROBE_IDS}
        ).scalar_one()
    results: dict[str, object] = {"articles": n}
    plans = [f"# EXPLAIN (ANALYZE, BUFFERS) at {n:,} articles, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n"]
    with engine.connect() as conn:
        for name, (sql, params) in _queries(n, newest, rng, synth).items():
            stmt = text(sql)
            conn.execute(stmt, params()).all()  # warm
            ms = _timed(lambda stmt=stmt, params=params: conn.execute(stmt, params()).all(), reps)
            results[name] = _stats(ms)
            # What the server read (shared buffers hit + read, and server-side ms), over 20
            # parameter draws: buffers do not depend on the machine's load, so they show
            # whether a query's work grows with the archive when the timings are noisy.
            work = [_server_work(conn, sql, params()) for _ in range(20)]
            results[f"{name} [buffers]"] = _stats([w[0] for w in work])
            results[f"{name} [server ms]"] = _stats([w[1] for w in work])
            p = params()
            plan = conn.execute(text("EXPLAIN (ANALYZE, BUFFERS) " + sql), p).scalars().all()
            plans.append(f"\n## {name}\n-- {sql}\n-- {json.dumps(p, default=str, ensure_ascii=False)}\n")
            plans.extend(line + "\n" for line in plan)
            conn.rollback()

    # One ingestion's known-URL check: 200 candidates from a feed, 150 known, 50 new.
    db = CrawlConnection(engine)  # what a crawl uses
    try:
        known_url_reasons(db, known_url_candidates(rng, n))
        results["known-URL check, 200 candidates"] = _stats(
            _timed(lambda: known_url_reasons(db, known_url_candidates(rng, n)), reps)
        )
    finally:
        db.close()

    # A revisit run's due selection for one outlet (pipeline.revisit.schedule), the day after
    # the newest article: the indexed selection of 0017, and the statement before it.
    with engine.connect() as conn:
        conn.execute(text("SET LOCAL jit = off"))  # as select_articles runs it (until the rollback)
        for name, stmt, p, reps_ in due_selections(3, newest + timedelta(days=1), reps=50):
            conn.execute(stmt, p).all()
            results[name] = _stats(_timed(lambda s=stmt, p=p: conn.execute(s, p).all(), reps_))
            plan = conn.execute(text("EXPLAIN (ANALYZE, BUFFERS) " + stmt.text), p).scalars().all()
            plans.append(f"\n## {name}\n-- {stmt.text.strip()}\n")
            plans.append(f"-- {json.dumps(p, default=str)}\n")
            plans.extend(line + "\n" for line in plan)

    # An export of the last 10k changes (to /dev/null: the cost of reading and writing JSON).
    with engine.connect() as conn:
        top = conn.execute(text("SELECT max(change_id) FROM consumer.changes")).scalar_one()
    with open(os.devnull, "w", encoding="utf-8") as sink:
        results["export of 10k changes"] = _stats(_timed(lambda: export(engine, top - 10000, sink), 3))

    if n >= 500000:  # the 0004 views, a few runs only: they scan the archive
        _old_views(engine)
        with engine.connect() as conn:
            for name in ("article joined to its cluster", "README: executions in Persian this year"):
                sql, params = _queries(n, newest, rng, synth)[name]
                old = sql.replace("consumer.", "consumer_0004.").replace(
                    "a.topics @> ARRAY['execution']", "'execution' = ANY(a.topics)"
                )
                results[f"(0004 views) {name}"] = _stats(
                    _timed(lambda o=old, p=params: conn.execute(text(o), p()).all(), 3)
                )
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA consumer_0004 CASCADE"))

    if derived:
        results["derived work"] = derived_work(engine, n, synth, plans)

    with engine.connect() as conn:
        size = conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
        tables = conn.execute(
            text(
                "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c "
                "JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = 'public' AND c.relkind = 'r' "
                "ORDER BY 2 DESC LIMIT 8"
            )
        ).all()
    results["disk"] = {"total_bytes": size, "per_article_bytes": size // n, "largest": dict(tables)}
    explain_file.write_text("".join(plans), encoding="utf-8")
    return results


PROBE_IDS = 900_000_000  # probe articles get ids far above any loaded one


def _probe_articles(engine, synth: Synth, first: int, count: int) -> list[int]:
    """Insert ``count`` new synthetic articles the ordinary way (triggers on: they are queued)."""
    rows = []
    for k in range(count):
        aid = PROBE_IDS + first + k
        rng = random.Random(aid)
        outlet = k % len(OUTLETS)
        lang = OUTLETS[outlet][1]
        body = synth.words(rng, lang, rng.randint(150, 300))
        rows.append(
            {
                "id": aid,
                "o": outlet + 1,
                "url": f"https://outlet{outlet}.example.org/probe/{aid}",
                "title": synth.words(rng, lang, rng.randint(6, 12)),
                "lang": lang,
                "text": body,
                "sha": f"{aid:064x}",
            }
        )
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO articles (article_id, outlet_id, canonical_url, title, authors, language, text, "
                "content_sha256, first_seen_at, published_at, extractor, extractor_settings, current_version) "
                "SELECT r.id, r.o, r.url, r.title, '{}', r.lang, r.text, r.sha, now(), now(), 'bench', '{}', 1 "
                "FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(id bigint, o int, url text, "
                "title text, lang text, text text, sha text)"
            ),
            {"rows": json.dumps(rows, ensure_ascii=False)},
        )
    return [r["id"] for r in rows]


def _change_texts(engine, synth: Synth, ids: list[int]) -> None:
    """A new version of each article with another text, stored as reprocess stores one."""
    from pipeline.workqueue import enqueue_changed

    with engine.begin() as conn:
        for aid in ids:
            rng = random.Random(-aid)
            lang = conn.execute(
                text("SELECT language FROM articles WHERE article_id = :a"), {"a": aid}
            ).scalar_one()
            conn.execute(
                text(
                    "UPDATE articles SET text = :t, content_sha256 = :s, current_version = current_version + 1 "
                    "WHERE article_id = :a"
                ),
                {"a": aid, "t": synth.words(rng, lang, rng.randint(150, 300)), "s": f"c{aid:063x}"},
            )
            enqueue_changed(conn, aid, ["text"])


def derived_work(engine, n: int, synth: Synth, plans: list[str]) -> dict:
    """Clustering and tagging through the work queue with a full archive: per new article, per
    changed text, and with nothing to do; EXPLAIN of the queue's statements."""
    from pipeline import workqueue
    from pipeline.clustering import cluster_pending
    from pipeline.tagging import tag_pending
    from pipeline.tagging.taxonomy import load_taxonomy

    topics = ROOT / "config" / "topics.yaml"
    taxonomy = load_taxonomy(topics)
    with engine.begin() as conn:
        # The loaded clusters carry explicit ids: new ones must start above them.
        conn.execute(
            text(
                "SELECT setval(pg_get_serial_sequence('clusters', 'cluster_id'), "
                "GREATEST(2000000000, (SELECT max(cluster_id) FROM clusters)))"
            )
        )
        # As after the archive was tagged under this configuration (the load wrote its rows).
        from pipeline.tagging.model import CombinedTagger
        from pipeline.tagging.store import register_taxonomy
        from pipeline.tagging.tagger import TEXT_CAP

        register_taxonomy(conn, taxonomy)
        method = CombinedTagger(taxonomy, text_cap=TEXT_CAP).method  # the one tag_pending uses
        workqueue.set_swept(
            conn,
            workqueue.TAGGING,
            {
                "taxonomy_version": taxonomy.version,
                "method": method,
                "text_cap": TEXT_CAP,
                "file_sha256": hashlib.sha256(topics.read_bytes()).hexdigest(),
            },
        )
    out: dict[str, object] = {}

    def timed(fn) -> float:
        t0 = time.perf_counter()
        fn()
        return (time.perf_counter() - t0) * 1000

    out["tagging, nothing queued (ms)"] = statistics.median(
        timed(lambda: tag_pending(engine, topics)) for _ in range(5)
    )
    out["clustering, nothing queued (ms)"] = statistics.median(
        timed(lambda: cluster_pending(engine)) for _ in range(5)
    )
    with engine.connect() as conn:
        first = conn.execute(
            text("SELECT count(*) FROM articles WHERE article_id >= :p"), {"p": PROBE_IDS}
        ).scalar_one()
    probes = 200
    assert len(_probe_articles(engine, synth, first, probes)) == probes
    with engine.connect() as conn:
        for name, sql in (
            ("queue: clustering's pending events", "SELECT event_id, article_id, article_version, reason "
             "FROM work_queue WHERE consumer = 'clustering' ORDER BY event_id LIMIT 1000"),
            ("queue: claim a tagging batch", "SELECT event_id, article_id, article_version, reason "
             "FROM work_queue WHERE consumer = 'tagging' ORDER BY event_id LIMIT 500 FOR UPDATE SKIP LOCKED"),
        ):  # fmt: skip
            plan = conn.execute(text("EXPLAIN (ANALYZE, BUFFERS) " + sql)).scalars().all()
            plans.append(f"\n## {name} ({probes} new articles queued)\n-- {sql}\n")
            plans.extend(line + "\n" for line in plan)
            conn.rollback()
    clustered = timed(lambda: out.setdefault("clustering stats (new)", cluster_pending(engine)))
    tagged = timed(lambda: out.setdefault("tagging stats (new)", tag_pending(engine, topics)))
    out["clustering per new article (ms)"] = clustered / probes
    out["tagging per new article (ms)"] = tagged / probes
    rng = random.Random(n + 1)
    changed = sorted(rng.sample(range(1, n + 1), 100))
    _change_texts(engine, synth, changed)
    clustered = timed(lambda: out.setdefault("clustering stats (changed)", cluster_pending(engine)))
    tagged = timed(lambda: out.setdefault("tagging stats (changed)", tag_pending(engine, topics)))
    out["clustering per changed text (ms)"] = clustered / len(changed)
    out["tagging per changed text (ms)"] = tagged / len(changed)
    for key in [k for k in out if k.endswith("stats (new)") or k.endswith("stats (changed)")]:
        stats = out[key]
        out[key] = {
            k: v
            for k, v in stats.items()
            if k in ("events", "placed", "replaced", "examined", "tagged", "seconds")
        }
    return out


def _report(all_results: list[dict]) -> None:
    def timed(r: dict, k: str) -> bool:
        return isinstance(r[k], list | tuple) and len(r[k]) == 2

    names: list[str] = []
    for r in all_results:
        names += [k for k in r if k not in names and timed(r, k)]
    head = "".join(f"{r['articles']:>22,}" for r in all_results)
    print(f"{'ms (median / p95)':<44}{head}")
    for name in names:
        cells = "".join(
            f"{f'{r[name][0]:.2f} / {r[name][1]:.2f}':>22}" if name in r else f"{'-':>22}"
            for r in all_results
        )
        print(f"{name:<44}{cells}")
    print(
        f"{'disk per article (bytes)':<44}"
        + "".join(f"{r['disk']['per_article_bytes']:>22,}" for r in all_results)
    )
    for r in all_results:
        work = r.get("derived work", {})
        print(f"  at {r['articles']:,}, derived work: " + json.dumps(work, default=str))
        largest = ", ".join(f"{k} {v / 1e6:.0f} MB" for k, v in r["disk"]["largest"].items())
        print(f"  at {r['articles']:,}: total {r['disk']['total_bytes'] / 1e9:.2f} GB; {largest}")


def _merge_results(path: Path, new: list[dict]) -> list[dict]:
    """The stored results with these sizes replaced (one run per size may be kept apart)."""
    old = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
    sizes = {r["articles"] for r in new}
    return sorted([r for r in old if r["articles"] not in sizes] + new, key=lambda r: r["articles"])


def extrapolate(sizes: list[int], values: list[float], target: int) -> tuple[float, float]:
    """A power law ``t = a * n**b`` fitted by least squares on log t against log n (every
    measured size), evaluated at ``target``; returns (value, exponent b). b near 0 is flat,
    1 is proportional to the archive."""
    xs = [math.log(n) for n in sizes]
    ys = [math.log(max(v, 1e-3)) for v in values]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx if sxx else 0.0
    return math.exp(my + b * (math.log(target) - mx)), b


def _report_curve(results: list[dict], target: int = 10_000_000) -> None:
    """Per query: the measured medians / p95 at each size and 10M extrapolated from them."""
    results = [r for r in results if r["articles"] < target]
    if len(results) < 2:
        return
    all_sizes = [r["articles"] for r in results]
    print(f"\nThe curve (median / p95); {target:,} EXTRAPOLATED (power law fitted per query on log-log):")
    head = "".join(f"{n:>18,}" for n in all_sizes)
    print(f"{'query':<52}{head}{f'{target:,} (extrap.)':>26}{'exponent':>10}")
    for name in results[-1]:
        pairs = [(r["articles"], r[name]) for r in results if isinstance(r.get(name), list | tuple)]
        if len(pairs) < 2 or not all(len(c) == 2 for _, c in pairs):
            continue  # a series measured at one size only (or not a timing)
        sizes = [n for n, _ in pairs]
        med, b_med = extrapolate(sizes, [c[0] for _, c in pairs], target)
        p95, _ = extrapolate(sizes, [c[1] for _, c in pairs], target)
        got = dict(pairs)
        row = "".join(f"{f'{got[n][0]:.2f} / {got[n][1]:.2f}' if n in got else '-':>18}" for n in all_sizes)
        print(f"{name:<52}{row}{f'~{med:.2f} / ~{p95:.2f}':>26}{b_med:>10.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100000, 1000000])
    parser.add_argument(
        "--server",
        default=os.environ.get(
            "DADKHAH_BENCH_SERVER", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="Keep the bench database.")
    parser.add_argument(
        "--database",
        help="Use (and keep) this database: created and loaded if missing, grown if smaller, "
        "upgraded to the current migrations either way (reruns skip the load).",
    )
    parser.add_argument("--load-only", action="store_true", help="Load, do not measure.")
    parser.add_argument(
        "--curve", action="store_true", help="Print the curve of bench/results/scale.json and exit."
    )
    parser.add_argument(
        "--no-derived", action="store_true", help="Skip the clustering and tagging work through the queue."
    )
    args = parser.parse_args()
    if args.curve:
        _report_curve(json.loads((RESULTS / "scale.json").read_text(encoding="utf-8")))
        return 0
    sizes = sorted(args.sizes)
    server = normalise_url(args.server)
    name = args.database or f"dadkhah_bench_scale_{os.getpid()}"
    keep = args.keep or bool(args.database)
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.rsplit("/", 1)[0] + f"/{name}"
    engine = create_engine(url)
    RESULTS.mkdir(parents=True, exist_ok=True)
    all_results = []
    try:
        upgrade(engine)
        synth = Synth()
        loader = Loader(url, synth)
        with engine.connect() as conn:
            loaded = conn.execute(
                text("SELECT count(*) FROM articles WHERE article_id < :p"), {"p": PROBE_IDS}
            ).scalar_one()
        if not exists:
            _setup(engine)
        for n in sizes:
            if n > loaded:
                t0 = time.perf_counter()
                loader.load(loaded, n)
                with engine.connect() as conn:  # how far the bulk-built state got (a resumed load)
                    derived = conn.execute(
                        text(
                            "SELECT coalesce(max(article_id), 0) FROM article_changes "
                            "WHERE kind = 'article' AND article_id < :p"
                        ),
                        {"p": PROBE_IDS},
                    ).scalar_one()
                _derive(engine, min(derived, loaded), n)
                print(
                    f"loaded {n:,} articles in {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True
                )
                loaded = n
            elif n < loaded:
                print(f"skipping {n:,}: the database already holds {loaded:,}", file=sys.stderr)
                continue
            if args.load_only:
                continue
            all_results.append(
                measure(engine, n, synth, args.reps, RESULTS / f"scale-explain-{n}.txt", not args.no_derived)
            )
            all_results[-1]["measured_at"] = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
            all_results[-1]["load_average"] = os.getloadavg()
            _report(all_results)
            # Each size as soon as it is measured (a later, larger size may not finish).
            merged = _merge_results(RESULTS / "scale.json", all_results)
            (RESULTS / "scale.json").write_text(json.dumps(merged, indent=1, default=str), encoding="utf-8")
        if all_results:
            merged = _merge_results(RESULTS / "scale.json", all_results)
            (RESULTS / "scale.json").write_text(json.dumps(merged, indent=1, default=str), encoding="utf-8")
            _report_curve(merged)
    finally:
        engine.dispose()
        if not keep:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
