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
from pipeline.clustering.store import place_pending  # noqa: E402
from pipeline.clustering.text import jaccard  # noqa: E402
from pipeline.db import normalise_url, upgrade  # noqa: E402
from pipeline.textnorm import content_sha256  # noqa: E402

DATA = ROOT / "tests" / "data" / "dedup"
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


# --- scratch database -------------------------------------------------------------------


class ScratchDatabase:
    """A uniquely named database on the bench server, migrated to head, dropped on exit."""

    def __init__(self, prefix: str = "dadkhah_dedup", keep: bool = False) -> None:
        self.keep = keep
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
        if self.keep:
            print(f"kept database {self.name}")
            return
        admin = create_engine(self.server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        admin.dispose()


def copy_rows(engine, table: str, columns: list[str], rows, replica: bool = False) -> None:
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
        if replica:  # skip foreign-key triggers: bulk rows are consistent by construction
            cur.execute("SET LOCAL session_replication_role = replica")
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


def cluster_docs(
    engine, docs: dict[str, dict], params: Params, order_seed: int | None = None
) -> tuple[dict[str, int], dict[int, str]]:
    """Store the documents as articles and run cluster_pending.

    Returns doc_id -> cluster_id, and live cluster_id -> representative doc_id.

    Articles are first seen 30 minutes after publication, or, with ``order_seed``, in a
    random order (copies crawled before their original, follow-ups before copies).
    """
    outlets = insert_outlets(engine, sorted({d["outlet"] for d in docs.values()}))
    rows, by_article = [], {}
    ordered = sorted(docs.values(), key=lambda d: d["published_at"])
    if order_seed is not None:
        random.Random(order_seed).shuffle(ordered)
    seen = datetime(2026, 6, 1, tzinfo=UTC)
    for i, d in enumerate(ordered, 1):
        published = datetime.fromisoformat(d["published_at"])
        rows.append(
            article_row(
                i,
                outlets[d["outlet"]],
                f"https://x.example/{d['doc_id']}",
                d["text"],
                d["lang"],
                published,
                published + timedelta(minutes=30) if order_seed is None else seen + timedelta(minutes=i),
            )
        )
        by_article[i] = d["doc_id"]
    copy_rows(engine, "articles", ARTICLE_COLUMNS, rows)
    place_pending(engine, params=params)
    with engine.connect() as conn:
        got = conn.execute(text("SELECT article_id, cluster_id FROM article_clusters")).all()
        reps = conn.execute(
            text("SELECT cluster_id, representative_article_id FROM clusters WHERE merged_into IS NULL")
        ).all()
    return {by_article[a]: c for a, c in got}, {c: by_article[a] for c, a in reps}


def evaluate(
    engine, params: Params = DEFAULT_PARAMS, verbose: bool = True, order_seed: int | None = None
) -> dict:
    docs, pairs = load_set()
    assign, representatives = cluster_docs(engine, docs, params, order_seed)

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
    wrong_rep = sum(
        1
        for c, members in clusters.items()
        if representatives.get(c) != min(members, key=lambda m: (docs[m]["published_at"], m))
    )
    followups_merged = sum(
        1
        for d in docs.values()
        if d["kind"] == "followup" and assign[d["doc_id"]] == assign[d["doc_id"][:-2] + "-o"]
    )
    result = {
        "params": params.params_key,
        "threshold": params.threshold,
        "arrival_order": "published" if order_seed is None else f"random (seed {order_seed})",
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
        "clusters_whose_representative_is_not_earliest_published": wrong_rep,
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


def sweep(shingle_sizes=(2, 3, 4, 5), thresholds=(0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.8)) -> None:
    """Verification alone (exact Jaccard >= t on each labelled pair) for several shingle
    sizes and thresholds: the table behind the choice of 3-word shingles and 0.30."""
    docs, pairs = load_set()
    print("k  gap: min copy J / max non-copy J | precision/recall at threshold")
    print("   " + " " * 34 + " ".join(f"{t:>11}" for t in thresholds))
    for k in shingle_sizes:
        params = dataclasses.replace(DEFAULT_PARAMS, shingle_size=k)
        sh = {i: prepare_text(d["text"], params)[0] for i, d in docs.items()}
        sims = [(jaccard(sh[p["a"]], sh[p["b"]]), p["label"]) for p in pairs]
        lo = min(j for j, lab in sims if lab)
        hi = max(j for j, lab in sims if not lab)
        cells = []
        for t in thresholds:
            tp = sum(1 for j, lab in sims if lab and j >= t)
            fp = sum(1 for j, lab in sims if not lab and j >= t)
            pos = sum(lab for _, lab in sims)
            cells.append(f"{(tp / (tp + fp) if tp + fp else 1):.2f}/{tp / pos:.2f}".rjust(11))
        print(
            f"{k}  {lo:.3f} / {hi:.3f} {'(gap)' if lo > hi else '(overlap)':>9}" + " " * 12 + " ".join(cells)
        )
    print("\nLSH: probability that a pair at Jaccard J shares at least one band")
    for b, r in ((32, 4), (42, 3), (64, 2)):
        print(
            f"  {b} bands x {r} rows: "
            + ", ".join(f"J={j}: {1 - (1 - j**r) ** b:.3f}" for j in (0.02, 0.1, 0.2, 0.3, 0.4, 0.5))
        )


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


# Bulk loads drop these and build them again afterwards (faster than maintaining them row
# by row); foreign-key triggers are skipped while loading (the rows are consistent by
# construction). Placement is always measured with every index and constraint in place.
_BULK_INDEXES = {
    "lsh_bands": ("lsh_bands_pkey", "PRIMARY KEY (band_key, article_id)"),
    "article_signatures": ("article_signatures_pkey", "PRIMARY KEY (article_id)"),
}


def _bulk_load(engine, tables: dict[str, tuple[list[str], list]]) -> None:
    with engine.begin() as conn:
        for table, (name, _) in _BULK_INDEXES.items():
            conn.execute(text(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}"))
    for table, (columns, rows) in tables.items():
        copy_rows(engine, table, columns, rows, replica=True)


def _rebuild_indexes(engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
        for table, (name, definition) in _BULK_INDEXES.items():
            conn.execute(text(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
        try:  # flush the bulk load's dirty pages now, not while placement is being timed
            conn.execute(text("CHECKPOINT"))
        except Exception:  # noqa: BLE001 - needs superuser or pg_checkpoint; optional
            pass


def scale(sizes: list[int], probes: int = 300, batch: int = 20000, keep: bool = False) -> None:
    """Load synthetic archives of growing size and time placing new articles into them.

    The archive is built in steps (10k, then each of ``sizes``): articles, their signatures,
    band keys and cluster rows are computed here and bulk-loaded with COPY (5 % of the
    articles are edited copies of earlier ones and are loaded into their original's
    cluster, as ``cluster_pending`` would place them). At each size, ``probes`` new articles
    (half of them copies) are placed one by one, each in its own transaction as a lone
    worker would, and as many again by one ``cluster_pending`` call (batched).
    """
    synth = Synth()
    params = DEFAULT_PARAMS
    params_json = params.to_json()
    print(f"params: {params.params_key} threshold {params.threshold}", flush=True)

    with ScratchDatabase("dadkhah_dedup_scale", keep=keep) as engine:
        insert_outlets(engine, [f"outlet{i}" for i in range(1, 51)])
        stored = 0
        base = datetime(2020, 1, 1, tzinfo=UTC)
        originals: list[tuple[int, str]] = []  # (article id, text) of stories to copy
        cluster_of: dict[int, int] = {}
        sig_seconds = 0.0
        sig_count = 0
        total_start = time.perf_counter()
        for target in sorted(set([10000] + sizes)):
            t_load = time.perf_counter()
            while stored < target:
                n = min(batch, target - stored)
                arts, sigs, bands, clus, acl = [], [], [], [], []
                for _ in range(n):
                    stored += 1
                    if originals and synth.rng.random() < 0.05:
                        orig_id, orig_body = synth.rng.choice(originals)
                        body, cluster_id = synth.copy(orig_body), cluster_of[orig_id]
                    else:
                        body, cluster_id = synth.article(), stored
                        if len(originals) < 5000:
                            originals.append((stored, body))
                        elif synth.rng.random() < 0.01:
                            originals[synth.rng.randrange(5000)] = (stored, body)
                    cluster_of[stored] = cluster_id
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
                    sig_seconds += time.perf_counter() - ts
                    sig_count += 1
                    sigs.append((stored, params.params_key, pack(sig), pack(sh)))
                    bands.extend((k, stored) for k in keys)
                    if cluster_id == stored:
                        clus.append((stored, stored, published.isoformat()))
                        acl.append((stored, stored, "new", params_json))
                    else:
                        acl.append((stored, cluster_id, "minhash-lsh+jaccard", params_json))
                _bulk_load(
                    engine,
                    {
                        "articles": (ARTICLE_COLUMNS, arts),
                        "article_signatures": (["article_id", "params_key", "signature", "shingles"], sigs),
                        "clusters": (["cluster_id", "representative_article_id", "first_published_at"], clus),
                        "article_clusters": (["article_id", "cluster_id", "method", "params"], acl),
                        "lsh_bands": (["band_key", "article_id"], bands),
                    },
                )
                if stored // 100000 != (stored - n) // 100000 or stored == target:
                    print(
                        f"  loaded {stored:>9,} articles ({time.perf_counter() - t_load:.0f} s; "
                        f"signature {sig_seconds / sig_count * 1000:.3f} ms/article)",
                        flush=True,
                    )
            t_idx = time.perf_counter()
            _rebuild_indexes(engine)
            with engine.begin() as conn:  # placed clusters: ids above every bulk-loaded one
                conn.execute(
                    text(
                        "SELECT setval(pg_get_serial_sequence('clusters', 'cluster_id'), "
                        "GREATEST(:n, (SELECT last_value FROM clusters_cluster_id_seq)))"
                    ),
                    {"n": 10**10},
                )
            print(f"  indexes rebuilt and analysed in {time.perf_counter() - t_idx:.0f} s", flush=True)
            stored = measure_placement(engine, synth, originals, stored, probes, params, base)
            if target == 10000:
                measure_rebuild(engine, params)
        total = time.perf_counter() - total_start
        with engine.connect() as conn:
            size = conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
            tables = conn.execute(
                text(
                    "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public' "
                    "WHERE c.relkind = 'r' AND c.relname IN ('articles', 'lsh_bands', "
                    "'article_signatures', 'article_clusters', 'clusters') ORDER BY 2 DESC"
                )
            ).all()
        print(
            f"signature (normalise + strip + shingle + MinHash + band keys): "
            f"{sig_seconds / sig_count * 1000:.3f} ms/article over {sig_count:,} articles"
        )
        print(f"total time {total:.0f} s for {stored:,} articles")
        clustering = sum(s for n, s in tables if n != "articles")
        print(
            f"disk per article: whole database {size / stored:,.0f} B; clustering tables "
            f"{clustering / stored:,.0f} B (" + ", ".join(f"{n} {s / stored:,.0f} B" for n, s in tables) + ")"
        )


def measure_rebuild(engine, params) -> None:
    """Time a full rebuild (``dadkhah recluster``) and count the cluster ids it kept."""
    from pipeline.clustering.store import rebuild

    with engine.connect() as conn:
        before = dict(conn.execute(text("SELECT article_id, cluster_id FROM article_clusters")).all())
    stats = rebuild(engine, params=params)
    with engine.connect() as conn:
        after = dict(conn.execute(text("SELECT article_id, cluster_id FROM article_clusters")).all())
    same = sum(1 for a, c in before.items() if after.get(a) == c)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        # The rebuild deleted the old rows: give their space back so the disk figures hold.
        conn.execute(text("VACUUM (FULL, ANALYZE) lsh_bands, article_signatures, article_clusters, clusters"))
    print(
        f"  {'':>9}          rebuild of {stats['placed']:,} articles: {stats['seconds']:.0f} s "
        f"({stats['seconds'] / stats['placed'] * 1000:.2f} ms/article); {stats['kept_ids']:,} cluster ids "
        f"kept, {stats['new_ids']} new, {stats['retired_ids']} retired; "
        f"{same / len(before):.2%} of articles in the same cluster id as before",
        flush=True,
    )


def measure_placement(engine, synth, originals, stored, probes, params, base) -> int:
    """Place new articles one by one (own transaction each), then a batch; return new count."""
    from pipeline.clustering.store import Placer, begin_placement, prepare

    def new_rows(first: int, n: int) -> list[tuple]:
        rows = []
        for i in range(first, first + n):
            body = synth.copy(synth.rng.choice(originals)[1]) if i % 2 else synth.article()
            published = base + timedelta(minutes=i)
            rows.append(article_row(i, 1, f"https://x.example/{i}", body, "en", published, published))
        return rows

    warmup = 20
    rows = new_rows(stored + 1, warmup + probes)
    copy_rows(engine, "articles", ARTICLE_COLUMNS, rows)
    totals, places, matched = [], [], 0
    with engine.connect() as conn:
        for k, row in enumerate(rows):
            t0 = time.perf_counter()
            art = prepare(row[0], row[7], datetime.fromisoformat(row[5]), params)
            t1 = time.perf_counter()
            with conn.begin():
                begin_placement(conn)
                pl = Placer(conn, params).place(art)
            t2 = time.perf_counter()
            if k >= warmup:  # the first statements of a connection prepare them server-side
                totals.append((t2 - t0) * 1000)
                places.append((t2 - t1) * 1000)
                matched += pl.matched_article_id is not None
    stored += len(rows)
    batch_rows = new_rows(stored + 1, probes)
    copy_rows(engine, "articles", ARTICLE_COLUMNS, batch_rows)
    stats = place_pending(engine, params=params)
    stored += len(batch_rows)
    t0 = time.perf_counter()
    place_pending(engine, params=params)
    idle = time.perf_counter() - t0

    def q(v, p):
        return sorted(v)[int(p * (len(v) - 1))]

    print(
        f"  at {stored - probes - len(rows):>9,} stored: one article, own transaction: look-up + verify + "
        f"write + commit median {statistics.median(places):.2f} ms (p10 {q(places, 0.1):.2f}, "
        f"p90 {q(places, 0.9):.2f}); with its signature {statistics.median(totals):.2f} ms; "
        f"{matched}/{probes} joined a cluster (half are copies)",
        flush=True,
    )
    print(
        f"  {'':>9}          cluster_pending batch of {stats['placed']}: "
        f"{stats['place_seconds'] / stats['placed'] * 1000:.2f} ms/article placing + "
        f"{stats['signature_seconds'] / stats['placed'] * 1000:.2f} ms/article signatures; "
        f"finding pending articles {stats['pending_seconds'] * 1000:.0f} ms per call "
        f"(idle call {idle * 1000:.0f} ms)",
        flush=True,
    )
    return stored


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", action="store_true", help="run the archive-scale benchmark")
    ap.add_argument("--sizes", default="100000,1000000", help="archive sizes for --scale")
    ap.add_argument("--order-seed", type=int, help="articles arrive in a random order")
    ap.add_argument("--sweep", action="store_true", help="threshold/shingle-size table")
    ap.add_argument("--keep", action="store_true", help="keep the scratch database (--scale)")
    ap.add_argument("--probes", type=int, default=300, help="articles placed per size")
    ap.add_argument("--threshold", type=float, help="override the Jaccard threshold")
    ap.add_argument("--shingle-size", type=int, help="override the shingle size")
    ap.add_argument("--bands", type=int)
    ap.add_argument("--rows", type=int)
    args = ap.parse_args()
    if args.sweep:
        sweep()
        return
    if args.scale:
        scale([int(s) for s in args.sizes.split(",")], probes=args.probes, keep=args.keep)
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
        result = evaluate(engine, params, order_seed=args.order_seed)
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
