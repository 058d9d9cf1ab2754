"""Near-duplicate clustering: quality on the labelled set, and speed at archive scale.

    python bench/dedup.py                 # precision/recall/purity on tests/data/dedup
    python bench/dedup.py --scale         # 100k then 1M synthetic articles in PostgreSQL
    python bench/dedup.py --scale --sizes 10000,100000   # smaller runs

Both modes work in a scratch database created on DADKHAH_BENCH_DATABASE_URL (a server URL;
default postgresql://postgres@127.0.0.1:5432/postgres) and dropped afterwards.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import itertools
import json
import os
import random
import statistics
import sys
import time
import uuid
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from pipeline.clustering.minhash import DEFAULT_PARAMS, Params, pack, prepare_text  # noqa: E402
from pipeline.clustering.store import cluster_pending  # noqa: E402
from pipeline.clustering.text import jaccard  # noqa: E402
from pipeline.db import normalise_url, upgrade  # noqa: E402
from pipeline.textnorm import content_sha256  # noqa: E402

DATA = ROOT / "tests" / "data" / "dedup"
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


# --- scratch database -------------------------------------------------------------------


class ScratchDatabase:
    """A uniquely named database on the bench server, migrated to head, dropped on exit."""

    def __init__(self, prefix: str = "dadkhah_bench") -> None:
        self.server = normalise_url(os.environ.get("DADKHAH_BENCH_DATABASE_URL") or DEFAULT_SERVER)
        self.name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        self.url = make_url(self.server).set(database=self.name).render_as_string(hide_password=False)

    def __enter__(self):
        admin = create_engine(self.server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.name}"'))
        admin.dispose()
        self.engine = create_engine(self.url)
        upgrade(self.engine)
        return self.engine

    def __exit__(self, *exc) -> None:
        self.engine.dispose()
        admin = create_engine(self.server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        admin.dispose()


def copy_rows(engine, table: str, columns: list[str], rows) -> None:
    """Bulk-load rows with COPY (tab-separated text format)."""

    def esc(v) -> str:
        if v is None:
            return r"\N"
        if isinstance(v, bytes | bytearray | memoryview):
            return "\\\\x" + bytes(v).hex()
        s = str(v)
        return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")

    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp:
            buf = io.StringIO()
            for i, row in enumerate(rows, 1):
                buf.write("\t".join(esc(v) for v in row))
                buf.write("\n")
                if i % 5000 == 0:
                    cp.write(buf.getvalue())
                    buf = io.StringIO()
            cp.write(buf.getvalue())
        raw.commit()
    finally:
        raw.close()


ARTICLE_COLUMNS = [
    "article_id",
    "outlet_id",
    "canonical_url",
    "title",
    "authors",
    "published_at",
    "language",
    "text",
    "content_sha256",
    "first_seen_at",
    "extractor",
    "extractor_settings",
    "current_version",
]


def article_row(article_id, outlet_id, url, text_, lang, published, first_seen):
    return (
        article_id,
        outlet_id,
        url,
        None,
        "{}",
        published.isoformat(),
        lang,
        text_,
        content_sha256(text_),
        first_seen.isoformat(),
        "bench",
        "{}",
        1,
    )


def insert_outlets(engine, names: list[str]) -> dict[str, int]:
    ids = {}
    with engine.begin() as conn:
        for i, name in enumerate(names, 1):
            conn.execute(
                text(
                    "INSERT INTO outlets (outlet_id, name, home, language, config) "
                    "VALUES (:i, :n, :h, 'und', '{}')"
                ),
                {"i": i, "n": name, "h": f"https://outlet{i}.example/"},
            )
            ids[name] = i
    return ids


# --- quality ----------------------------------------------------------------------------


def load_set() -> tuple[dict[str, dict], list[dict]]:
    docs = {d["doc_id"]: d for d in map(json.loads, open(DATA / "docs.jsonl", encoding="utf-8"))}
    pairs = [json.loads(line) for line in open(DATA / "pairs.jsonl", encoding="utf-8")]
    return docs, pairs


def cluster_docs(engine, docs: dict[str, dict], params: Params) -> dict[str, int]:
    """Store the documents as articles, run cluster_pending, return doc_id -> cluster_id."""
    outlets = insert_outlets(engine, sorted({d["outlet"] for d in docs.values()}))
    rows, by_article = [], {}
    for i, d in enumerate(sorted(docs.values(), key=lambda d: d["published_at"]), 1):
        published = datetime.fromisoformat(d["published_at"])
        rows.append(
            article_row(
                i,
                outlets[d["outlet"]],
                f"https://x.example/{d['doc_id']}",
                d["text"],
                d["lang"],
                published,
                published + timedelta(minutes=30),
            )
        )
        by_article[i] = d["doc_id"]
    copy_rows(engine, "articles", ARTICLE_COLUMNS, rows)
    cluster_pending(engine, params=params)
    with engine.connect() as conn:
        got = conn.execute(text("SELECT article_id, cluster_id FROM article_clusters")).all()
    return {by_article[a]: c for a, c in got}


def evaluate(engine, params: Params = DEFAULT_PARAMS, verbose: bool = True) -> dict:
    docs, pairs = load_set()
    assign = cluster_docs(engine, docs, params)

    # Labelled pairs: predicted "same story" when both documents share a cluster.
    tp = fp = fn = 0
    by_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    sims = {}
    sh = {i: prepare_text(d["text"], params)[0] for i, d in docs.items()}
    verify_tp = verify_fp = 0
    for p in pairs:
        same = assign[p["a"]] == assign[p["b"]]
        sims[p["pair_id"]] = jaccard(sh[p["a"]], sh[p["b"]])
        above = sims[p["pair_id"]] >= params.threshold
        if p["label"]:
            tp += same
            fn += not same
            verify_tp += above
        else:
            fp += same
            verify_fp += above
        by_kind[p["kind"]][0] += same
        by_kind[p["kind"]][1] += 1
    positives = sum(p["label"] for p in pairs)

    # All document pairs, truth = same story.
    all_tp = all_fp = all_fn = 0
    for a, b in itertools.combinations(docs, 2):
        truth = docs[a]["story"] == docs[b]["story"]
        pred = assign[a] == assign[b]
        all_tp += truth and pred
        all_fp += pred and not truth
        all_fn += truth and not pred

    clusters: dict[int, list[str]] = defaultdict(list)
    for doc_id, c in assign.items():
        clusters[c].append(doc_id)
    purity = sum(Counter(docs[d]["story"] for d in m).most_common(1)[0][1] for m in clusters.values()) / len(
        docs
    )
    stories: dict[str, set[int]] = defaultdict(set)
    for doc_id, c in assign.items():
        stories[docs[doc_id]["story"]].add(c)
    split_stories = sum(1 for s in stories.values() if len(s) > 1)
    followups_merged = sum(
        1
        for d in docs.values()
        if d["kind"] == "followup" and assign[d["doc_id"]] == assign[d["doc_id"][:-2] + "-o"]
    )
    result = {
        "params": params.params_key,
        "threshold": params.threshold,
        "documents": len(docs),
        "pairs": len(pairs),
        "positive_pairs": positives,
        "pair_precision": round(tp / (tp + fp), 4) if tp + fp else 1.0,
        "pair_recall": round(tp / positives, 4),
        "verify_only_precision": round(verify_tp / (verify_tp + verify_fp), 4),
        "verify_only_recall": round(verify_tp / positives, 4),
        "all_pairs_precision": round(all_tp / (all_tp + all_fp), 4) if all_tp + all_fp else 1.0,
        "all_pairs_recall": round(all_tp / (all_tp + all_fn), 4),
        "cluster_purity": round(purity, 4),
        "clusters": len(clusters),
        "true_stories": len(stories),
        "stories_split": split_stories,
        "followups_in_original_cluster": followups_merged,
        "same_cluster_rate_by_kind": {k: f"{v[0]}/{v[1]}" for k, v in sorted(by_kind.items())},
    }
    if verbose:
        worst_pos = sorted((sims[p["pair_id"]], p["a"], p["b"]) for p in pairs if p["label"])[:3]
        best_neg = sorted(
            ((sims[p["pair_id"]], p["a"], p["b"]) for p in pairs if not p["label"]), reverse=True
        )[:3]
        result["lowest_copy_jaccard"] = [(round(s, 3), a, b) for s, a, b in worst_pos]
        result["highest_non_copy_jaccard"] = [(round(s, 3), a, b) for s, a, b in best_neg]
    return result


# --- scale ------------------------------------------------------------------------------

# Synthetic corpus: a Zipf-like vocabulary, so that frequent words ("the", "prison") recur
# across unrelated articles as in real news; copies are edited like the labelled set's.
_VOCAB_SIZE = 30000


def _vocab(rng: random.Random) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = set()
    while len(words) < _VOCAB_SIZE:
        words.add("".join(rng.choice(letters) for _ in range(rng.randint(2, 10))))
    return sorted(words)


class Synth:
    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.vocab = _vocab(self.rng)
        weights = [1 / (r + 1) ** 1.05 for r in range(_VOCAB_SIZE)]
        self.cum = list(itertools.accumulate(weights))

    def article(self, n_words: int = 400) -> str:
        words = self.rng.choices(self.vocab, cum_weights=self.cum, k=n_words)
        sents, i = [], 0
        while i < len(words):
            k = self.rng.randint(12, 28)
            sents.append(" ".join(words[i : i + k]) + ".")
            i += k
        return "\n\n".join(" ".join(sents[j : j + 4]) for j in range(0, len(sents), 4))

    def copy(self, original: str, edit_rate: float = 0.1) -> str:
        words = original.split(" ")
        out = []
        for w in words:
            r = self.rng.random()
            if r < edit_rate / 2:
                continue
            if r < edit_rate:
                out.append(self.rng.choice(self.vocab))
                continue
            out.append(w)
        lead = " ".join(self.rng.choices(self.vocab, k=15)) + ". "
        return f"Outlet {self.rng.randint(1, 50)} (ON); January 5, 2026: " + lead + " ".join(out)


def scale(sizes: list[int], probes: int = 300, batch: int = 20000) -> None:
    synth = Synth()
    params = DEFAULT_PARAMS
    print(f"params: {params.params_key} threshold {params.threshold}")

    # Signature time per article.
    sample = [synth.article() for _ in range(500)]
    t0 = time.perf_counter()
    for s in sample:
        prepare_text(s, params)
    sig_ms = (time.perf_counter() - t0) / len(sample) * 1000
    print(f"signature (normalise + shingle + MinHash + band keys): {sig_ms:.3f} ms/article")

    with ScratchDatabase("dadkhah_scale") as engine:
        insert_outlets(engine, [f"outlet{i}" for i in range(1, 51)])
        stored = 0
        base = datetime(2020, 1, 1, tzinfo=UTC)
        checkpoints = sorted(set([10000] + sizes))
        total_start = time.perf_counter()
        originals: list[str] = []
        for target in checkpoints:
            # Bulk load up to `target` articles: articles and, already computed, their
            # signatures, bands and clusters (as cluster_pending would have produced them;
            # here each is a singleton or a copy, placed by COPY for speed).
            t_load = time.perf_counter()
            sig_total = 0.0
            while stored < target:
                n = min(batch, target - stored)
                arts, sigs, bands, clus, acl = [], [], [], [], []
                for _ in range(n):
                    stored += 1
                    if originals and synth.rng.random() < 0.05:
                        body = synth.copy(synth.rng.choice(originals))
                    else:
                        body = synth.article()
                        if len(originals) < 5000:
                            originals.append(body)
                        elif synth.rng.random() < 0.01:
                            originals[synth.rng.randrange(5000)] = body
                    published = base + timedelta(minutes=stored)
                    arts.append(
                        article_row(
                            stored,
                            synth.rng.randint(1, 50),
                            f"https://x.example/{stored}",
                            body,
                            "en",
                            published,
                            published,
                        )
                    )
                    ts = time.perf_counter()
                    sh, sig, keys = prepare_text(body, params)
                    sig_total += time.perf_counter() - ts
                    sigs.append((stored, params.params_key, pack(sig), pack(sh)))
                    bands.extend((k, stored) for k in keys)
                    clus.append((stored, stored, published.isoformat()))
                    acl.append((stored, stored, "new", params.to_json()))
                copy_rows(engine, "articles", ARTICLE_COLUMNS, arts)
                copy_rows(
                    engine, "article_signatures", ["article_id", "params_key", "signature", "shingles"], sigs
                )
                copy_rows(
                    engine,
                    "clusters",
                    ["cluster_id", "representative_article_id", "first_published_at"],
                    clus,
                )
                copy_rows(engine, "article_clusters", ["article_id", "cluster_id", "method", "params"], acl)
                copy_rows(engine, "lsh_bands", ["band_key", "article_id"], bands)
                print(
                    f"  loaded {stored:>9,} articles ({time.perf_counter() - t_load:.0f} s, "
                    f"signatures {sig_total:.0f} s)",
                    flush=True,
                )
            with engine.begin() as conn:
                conn.execute(
                    text("SELECT setval(pg_get_serial_sequence('clusters', 'cluster_id'), :n)"), {"n": stored}
                )
                conn.execute(text("ANALYZE"))
            measure_placement(engine, synth, originals, stored, probes, params, base)
            stored += probes
        total = time.perf_counter() - total_start
        with engine.connect() as conn:
            size = conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
            tables = conn.execute(
                text(
                    "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c "
                    "WHERE c.relname IN ('articles', 'lsh_bands', 'article_signatures', "
                    "'article_clusters', 'clusters') ORDER BY 1"
                )
            ).all()
        print(f"total time {total:.0f} s for {stored:,} articles")
        print(
            f"disk: database {size / stored:.0f} B/article; clustering tables per article: "
            + ", ".join(f"{n} {s / stored:.0f} B" for n, s in tables)
        )


def measure_placement(engine, synth, originals, stored, probes, params, base) -> None:
    """Insert `probes` new articles (half copies of stored ones) and place each one alone."""
    ids = list(range(stored + 1, stored + probes + 1))
    rows = []
    for i in ids:
        body = synth.copy(synth.rng.choice(originals)) if i % 2 else synth.article()
        published = base + timedelta(minutes=i)
        rows.append(article_row(i, 1, f"https://x.example/{i}", body, "en", published, published))
    copy_rows(engine, "articles", ARTICLE_COLUMNS, rows)
    from pipeline.clustering.store import Placer, prepare

    times, place_times, matched = [], [], 0
    with engine.connect() as conn:
        for row in rows:
            t0 = time.perf_counter()
            art = prepare(row[0], row[7], datetime.fromisoformat(row[5]), params)
            t1 = time.perf_counter()
            with conn.begin():
                pl = Placer(conn, params).place(art)
            t2 = time.perf_counter()
            times.append((t2 - t0) * 1000)
            place_times.append((t2 - t1) * 1000)
            matched += pl.matched_article_id is not None
    t0 = time.perf_counter()
    stats = cluster_pending(engine, params=params)  # nothing pending: the discovery cost
    disc = time.perf_counter() - t0
    place_times.sort()
    times.sort()
    print(
        f"  at {stored:>9,} stored: placement (look-up + verify + insert + commit) median "
        f"{statistics.median(place_times):.2f} ms, p95 {place_times[int(0.95 * len(place_times))]:.2f} ms"
        f"; with signature median {statistics.median(times):.2f} ms; "
        f"{matched}/{len(rows)} joined a cluster (half are copies); "
        f"cluster_pending with nothing to do {disc * 1000:.0f} ms ({stats['placed']} placed)",
        flush=True,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", action="store_true", help="run the archive-scale benchmark")
    ap.add_argument("--sizes", default="100000,1000000", help="archive sizes for --scale")
    ap.add_argument("--probes", type=int, default=300, help="articles placed per size")
    ap.add_argument("--threshold", type=float, help="override the Jaccard threshold")
    ap.add_argument("--shingle-size", type=int, help="override the shingle size")
    ap.add_argument("--bands", type=int)
    ap.add_argument("--rows", type=int)
    args = ap.parse_args()
    if args.scale:
        scale([int(s) for s in args.sizes.split(",")], probes=args.probes)
        return
    overrides = {
        k: v
        for k, v in {
            "threshold": args.threshold,
            "shingle_size": args.shingle_size,
            "bands": args.bands,
            "rows": args.rows,
        }.items()
        if v is not None
    }
    params = dataclasses.replace(DEFAULT_PARAMS, **overrides)
    with ScratchDatabase() as engine:
        result = evaluate(engine, params)
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
