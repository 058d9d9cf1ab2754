"""Placing articles into story clusters, with the LSH index kept in PostgreSQL.

Placing one article is a handful of statements on one connection:

1. compute its shingles, MinHash signature and band keys (CPU only, ~0.3 ms);
2. one indexed look-up of its band keys in ``lsh_bands`` (the primary key covers it), which
   returns the few stored articles sharing a band, joined to their stored shingles and
   current cluster, best candidates first and at most ``MAX_CANDIDATES`` of them;
3. verification of each candidate with the exact Jaccard similarity of the shingle sets;
4. inserts of its cluster row, signature and band keys, and, when it matched articles in
   two or more clusters, a merge into the oldest of those clusters.

Nothing is loaded into memory at start-up and no step of a placement scans the archive, so
its cost stays flat as the archive grows (measured: 1.5 ms at 10k and 100k stored articles,
1.8 ms at 1M, ``bench/dedup.py --scale``). Work comes from clustering's events in the work
queue (``pipeline.workqueue``, migration 0011: every insert, and every new version whose text
or date changed), so finding it costs in proportion to the changes; an anti-join over the
archive took 0.45 s per call at 1M. An article whose text changed is placed again
(:meth:`Placer.replace` says where it goes and what happens to the cluster it leaves).

Cluster ids are stable. A cluster id is never reused or given another meaning: when an
article links two clusters, the younger (larger id) is merged into the older one, its
members move, and its row keeps ``merged_into`` pointing at the survivor. The representative
of a cluster is its earliest-published member (``published_at``, or ``first_seen_at`` where
unknown; ties by article id), and ``first_published_at`` is that member's date.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from psycopg.rows import namedtuple_row
from sqlalchemy import Engine, text
from sqlalchemy.engine import Connection

from pipeline import workqueue
from pipeline.clustering.minhash import (
    DEFAULT_PARAMS,
    Params,
    band_keys,
    pack,
    prepare_text,
    unpack,
)
from pipeline.clustering.text import jaccard

log = logging.getLogger(__name__)

# One placement at a time across workers (pg_advisory_xact_lock key; db.upgrade uses ...001).
LOCK_KEY = 72417002
# Candidates verified per article, best (most shared bands) first. Copies share many bands,
# unrelated articles one at most, so this bounds the work without losing real matches.
MAX_CANDIDATES = 32
# Newest articles read per band key. A key shared by very many articles (a press release
# republished verbatim a thousand times) then costs no more than any other: the newest
# holders of the key are enough to find their cluster.
MAX_PER_KEY = 64

METHOD_NEW = "new"
METHOD_MATCH = "minhash-lsh+jaccard"
METHOD_TOO_SHORT = "too-short"


def _psycopg(sql: str) -> str:
    """``:name`` placeholders -> psycopg's ``%(name)s`` (hot-path statements run on the
    driver cursor, prepared server-side: no SQLAlchemy compile, no re-planning)."""
    return re.sub(r"(?<![:\w]):([a-z_]+)", r"%(\1)s", sql)


_CANDIDATES_SQL = _psycopg(
    """
    WITH hits AS (
        SELECT b.article_id, count(*) AS n
          FROM unnest(CAST(:keys AS bigint[])) AS k(band_key)
         CROSS JOIN LATERAL (
                SELECT article_id FROM lsh_bands
                 WHERE lsh_bands.band_key = k.band_key
                 ORDER BY article_id DESC
                 LIMIT :per_key
               ) AS b
         GROUP BY b.article_id
         ORDER BY n DESC, b.article_id DESC
         LIMIT :limit
    )
    SELECT h.article_id, s.shingles, ac.cluster_id, c.representative_article_id,
           c.first_published_at
      FROM hits h
      JOIN article_signatures s ON s.article_id = h.article_id AND s.params_key = :params_key
      JOIN article_clusters ac ON ac.article_id = h.article_id
      JOIN clusters c ON c.cluster_id = ac.cluster_id
    """
)
# All of an article's writes in one round trip: a new cluster when :cluster_id is NULL, its
# article_clusters row, its signature and its band keys.
_WRITE_SQL = _psycopg(
    """
    WITH new_cluster AS (
        INSERT INTO clusters (representative_article_id, first_published_at)
        SELECT :article_id, :published WHERE CAST(:cluster_id AS bigint) IS NULL
        RETURNING cluster_id
    ), target AS (
        SELECT cluster_id FROM new_cluster
        UNION ALL
        SELECT CAST(:cluster_id AS bigint) WHERE CAST(:cluster_id AS bigint) IS NOT NULL
    ), placed AS (
        INSERT INTO article_clusters
               (article_id, cluster_id, matched_article_id, similarity, method, params)
        SELECT :article_id, cluster_id, CAST(:matched AS bigint), CAST(:similarity AS float8),
               :method, CAST(:params AS jsonb)
          FROM target
    ), sig AS (
        INSERT INTO article_signatures (article_id, params_key, signature, shingles)
        VALUES (:article_id, :params_key, :signature, :shingles)
        ON CONFLICT (article_id) DO UPDATE SET params_key = EXCLUDED.params_key,
               signature = EXCLUDED.signature, shingles = EXCLUDED.shingles, created_at = now()
    ), bands AS (
        INSERT INTO lsh_bands (band_key, article_id)
        SELECT unnest(CAST(:keys AS bigint[])), :article_id
        ON CONFLICT DO NOTHING
    )
    SELECT cluster_id FROM target
    """
)
_SET_REP_SQL = _psycopg(
    "UPDATE clusters SET representative_article_id = :article_id, first_published_at = "
    ":published, updated_at = now() WHERE cluster_id = :cluster_id"
)
_MERGE_MEMBERS_SQL = _psycopg(
    "UPDATE article_clusters SET cluster_id = :target WHERE cluster_id = ANY(CAST(:others AS bigint[]))"
)
_MERGE_CLUSTERS_SQL = _psycopg(
    "UPDATE clusters SET merged_into = :target, updated_at = now() "
    "WHERE cluster_id = ANY(CAST(:others AS bigint[])) "
    "   OR merged_into = ANY(CAST(:others AS bigint[]))"
)
# Every article, in placement order: what a full rebuild places again.
_ALL_SQL = text(
    """
    SELECT a.article_id FROM articles a
     ORDER BY a.first_seen_at, a.published_at NULLS LAST, a.article_id
    """
)
_LOAD_SQL = text(
    """
    SELECT a.article_id, a.text, COALESCE(a.published_at, a.first_seen_at) AS published
      FROM articles a
     WHERE a.article_id = ANY(CAST(:ids AS bigint[]))
       AND (CAST(:placed AS boolean) OR NOT EXISTS (
            SELECT 1 FROM article_clusters ac WHERE ac.article_id = a.article_id))
     ORDER BY a.first_seen_at, a.published_at NULLS LAST, a.article_id
    """
)

_UNPLACED_SQL = text(
    "SELECT a.id FROM unnest(CAST(:ids AS bigint[])) AS a(id) "
    "WHERE NOT EXISTS (SELECT 1 FROM article_clusters ac WHERE ac.article_id = a.id)"
)
# Where already placed articles are now, with the matching data they were placed on.
_PLACED_SQL = text(
    """
    SELECT ac.article_id, ac.cluster_id, s.params_key, s.signature, s.shingles
      FROM article_clusters ac
      LEFT JOIN article_signatures s ON s.article_id = ac.article_id
     WHERE ac.article_id = ANY(CAST(:ids AS bigint[]))
    """
)
_DROP_BANDS_SQL = _psycopg(
    "DELETE FROM lsh_bands WHERE band_key = ANY(CAST(:keys AS bigint[])) AND article_id = :article_id"
)
_OTHER_MEMBERS_SQL = _psycopg(
    "SELECT EXISTS (SELECT 1 FROM article_clusters WHERE cluster_id = :cluster_id "
    "AND article_id <> :article_id)"
)
_NEW_CLUSTER_SQL = _psycopg(
    "INSERT INTO clusters (representative_article_id, first_published_at) "
    "VALUES (:article_id, :published) RETURNING cluster_id"
)
_MOVE_SQL = _psycopg(
    """
    UPDATE article_clusters SET cluster_id = :cluster_id, matched_article_id = CAST(:matched AS bigint),
           similarity = CAST(:similarity AS float8), method = :method, params = CAST(:params AS jsonb),
           placed_at = now()
     WHERE article_id = :article_id
    """
)
_SIGNATURE_SQL = _psycopg(
    """
    WITH sig AS (
        INSERT INTO article_signatures (article_id, params_key, signature, shingles)
        VALUES (:article_id, :params_key, :signature, :shingles)
        ON CONFLICT (article_id) DO UPDATE SET params_key = EXCLUDED.params_key,
               signature = EXCLUDED.signature, shingles = EXCLUDED.shingles, created_at = now()
    )
    INSERT INTO lsh_bands (band_key, article_id)
    SELECT unnest(CAST(:keys AS bigint[])), :article_id
    ON CONFLICT DO NOTHING
    """
)
# The representative is the earliest-published member (first seen where the date is unknown).
_REFRESH_REP_SQL = _psycopg(
    """
    UPDATE clusters c SET representative_article_id = r.article_id, first_published_at = r.published,
           updated_at = now()
      FROM (SELECT ac.article_id, COALESCE(a.published_at, a.first_seen_at) AS published
              FROM article_clusters ac JOIN articles a USING (article_id)
             WHERE ac.cluster_id = :cluster_id
             ORDER BY 2 NULLS LAST, 1 LIMIT 1) r
     WHERE c.cluster_id = :cluster_id
       AND (c.representative_article_id, c.first_published_at)
           IS DISTINCT FROM (r.article_id, r.published)
    """
)
_RETIRE_SQL = _psycopg(
    "UPDATE clusters SET merged_into = :target, updated_at = now() "
    "WHERE cluster_id = :cluster_id OR merged_into = :cluster_id"
)


@dataclass
class Prepared:
    """An article's matching data, computed before any database work."""

    article_id: int
    published: datetime
    shingles: np.ndarray
    signature: np.ndarray
    keys: list[int]


@dataclass
class Placement:
    article_id: int
    cluster_id: int | None
    matched_article_id: int | None
    similarity: float | None
    method: str
    merged: list[int] = field(default_factory=list)


def prepare(article_id: int, text_: str, published: datetime, params: Params) -> Prepared:
    sh, sig, keys = prepare_text(text_ or "", params)
    return Prepared(article_id, published, sh, sig, keys)


def _key(published: datetime | None, article_id: int) -> tuple:
    # Earliest-published first; an unknown date sorts last.
    return (published is None, published or datetime.max, article_id)


class Placer:
    """Places prepared articles on one connection, inside the caller's transaction."""

    def __init__(self, conn: Connection, params: Params = DEFAULT_PARAMS) -> None:
        self.conn = conn
        self.cur = conn.connection.driver_connection.cursor(row_factory=namedtuple_row)
        self.params = params
        self.params_json = params.to_json()

    def _exec(self, sql: str, args: dict):
        return self.cur.execute(sql, args, prepare=True)

    def candidates(self, keys: Sequence[int]) -> list:
        """Stored articles sharing a band with ``keys``: id, shingles, cluster and its rep."""
        return self._exec(
            _CANDIDATES_SQL,
            {
                "keys": list(keys),
                "per_key": MAX_PER_KEY,
                "limit": MAX_CANDIDATES,
                "params_key": self.params.params_key,
            },
        ).fetchall()

    def matches(self, art: Prepared) -> list:
        """(similarity, candidate row) of every stored article ``art`` verifiably matches."""
        if art.shingles.size < self.params.min_shingles:
            return []
        out = []
        for cand in self.candidates(art.keys):
            if cand.article_id == art.article_id:
                continue
            sim = jaccard(art.shingles, unpack(cand.shingles))
            if sim >= self.params.threshold:
                out.append((sim, cand))
        return out

    def _method(self, art: Prepared) -> str:
        return METHOD_TOO_SHORT if art.shingles.size < self.params.min_shingles else METHOD_NEW

    def _merge(self, cluster_id: int, merged: list[int]) -> None:
        if merged:
            self._exec(_MERGE_MEMBERS_SQL, {"target": cluster_id, "others": merged})
            self._exec(_MERGE_CLUSTERS_SQL, {"target": cluster_id, "others": merged})

    def refresh_representative(self, cluster_id: int) -> None:
        self._exec(_REFRESH_REP_SQL, {"cluster_id": cluster_id})

    def replace(self, art: Prepared, placed: Any) -> Placement | None:
        """Place again an article whose text changed (``placed``: its ``_PLACED_SQL`` row).

        Returns None when its matching data did not change (nothing moves; only the
        representative is brought up to date, since the date may have changed). Otherwise:

        - it still matches a member of its cluster: it stays (and any other cluster it now
          matches is merged, the oldest id surviving, as for a new article);
        - it matches other clusters only: it moves to the oldest of them (merging the rest);
        - it matches nothing: it stays if it is its cluster's only member, else it moves to a
          new cluster.

        A cluster it leaves keeps its id and its other members (it is never split, even when
        the moved article was what joined them) and gets a new representative if needed; a
        cluster it leaves empty points (``merged_into``) at the cluster it moved to.
        """
        p = self.params
        same_params = placed.params_key == p.params_key and placed.signature is not None
        if same_params and np.array_equal(unpack(placed.shingles), art.shingles):
            self.refresh_representative(placed.cluster_id)
            return None
        if same_params:
            old_keys = band_keys(unpack(placed.signature), p)
            self._exec(_DROP_BANDS_SQL, {"keys": old_keys, "article_id": art.article_id})
        matches = self.matches(art)
        old = placed.cluster_id
        alone = not self._exec(
            _OTHER_MEMBERS_SQL, {"cluster_id": old, "article_id": art.article_id}
        ).fetchone()[0]
        clusters = sorted({m.cluster_id for _, m in matches})
        if matches:
            best_sim, best = max(matches, key=lambda m: (m[0], -m[1].article_id))
            target, *merged = clusters
            placement = Placement(
                art.article_id, target, best.article_id, round(best_sim, 4), METHOD_MATCH, merged
            )
        else:
            placement = Placement(art.article_id, old if alone else None, None, None, self._method(art))
        if placement.cluster_id is None:
            placement.cluster_id = self._exec(
                _NEW_CLUSTER_SQL, {"article_id": art.article_id, "published": art.published}
            ).fetchone()[0]
        self._merge(placement.cluster_id, placement.merged)
        self._exec(
            _MOVE_SQL,
            {
                "article_id": art.article_id,
                "cluster_id": placement.cluster_id,
                "matched": placement.matched_article_id,
                "similarity": placement.similarity,
                "method": placement.method,
                "params": self.params_json,
            },
        )
        self._write_signature(art)
        left = old != placement.cluster_id and old not in placement.merged
        if left and alone:
            self._exec(_RETIRE_SQL, {"target": placement.cluster_id, "cluster_id": old})
        elif left:
            self.refresh_representative(old)
        self.refresh_representative(placement.cluster_id)
        return placement

    def _write_signature(self, art: Prepared) -> None:
        too_short = art.shingles.size < self.params.min_shingles
        self._exec(
            _SIGNATURE_SQL,
            {
                "article_id": art.article_id,
                "params_key": self.params.params_key,
                "signature": pack(art.signature),
                "shingles": pack(art.shingles),
                "keys": [] if too_short else art.keys,
            },
        )

    def place(self, art: Prepared) -> Placement:
        p = self.params
        too_short = art.shingles.size < p.min_shingles
        matches = self.matches(art)

        merged: list[int] = []
        if not matches:
            placement = Placement(
                art.article_id, None, None, None, METHOD_TOO_SHORT if too_short else METHOD_NEW
            )
        else:
            best_sim, best = max(matches, key=lambda m: (m[0], -m[1].article_id))
            reps = {m.cluster_id: (m.first_published_at, m.representative_article_id) for _, m in matches}
            cluster_id, *merged = sorted(reps)  # the oldest cluster id survives
            earliest = min([*reps.values(), (art.published, art.article_id)], key=lambda r: _key(*r))
            if earliest != reps[cluster_id]:
                self._exec(
                    _SET_REP_SQL,
                    {"article_id": earliest[1], "published": earliest[0], "cluster_id": cluster_id},
                )
            self._merge(cluster_id, merged)
            placement = Placement(
                art.article_id, cluster_id, best.article_id, round(best_sim, 4), METHOD_MATCH, merged
            )

        placement.cluster_id = self._exec(
            _WRITE_SQL,
            {
                "article_id": art.article_id,
                "published": art.published,
                "cluster_id": placement.cluster_id,
                "matched": placement.matched_article_id,
                "similarity": placement.similarity,
                "method": placement.method,
                "params": self.params_json,
                "params_key": p.params_key,
                "signature": pack(art.signature),
                "shingles": pack(art.shingles),
                "keys": [] if too_short else art.keys,
            },
        ).fetchone()[0]
        return placement


def begin_placement(conn: Connection) -> None:
    """Start placing inside the current transaction: take the placement lock, commit lazily.

    ``synchronous_commit = off`` for this transaction only: clusters, signatures and band
    keys are derived data, and a crash can lose at most the last moments of placements,
    atomically (an article's cluster row vanishes with its bands), which then are simply
    pending again. It saves the WAL flush wait (~2 ms on this machine's disk) per commit.
    """
    conn.execute(
        text("SELECT pg_advisory_xact_lock(:k), set_config('synchronous_commit', 'off', true)"),
        {"k": LOCK_KEY},
    )


def _chunks(ids: Sequence[int], size: int) -> Iterable[Sequence[int]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def load_prepared(
    conn: Connection, ids: Sequence[int], params: Params, stats: dict, *, placed: bool = False
) -> list[Prepared]:
    """Texts of the articles among ``ids`` (only the unplaced ones unless ``placed``), with
    their matching data."""
    rows = conn.execute(_LOAD_SQL, {"ids": list(ids), "placed": placed}).all()
    t0 = time.perf_counter()
    prepared = [prepare(r.article_id, r.text, r.published, params) for r in rows]
    stats["signature_seconds"] += time.perf_counter() - t0
    return prepared


def _count(stats: dict, pl: Placement) -> None:
    stats["placed"] += 1
    stats[pl.method] = stats.get(pl.method, 0) + 1
    stats["merges"] += len(pl.merged)


def place_prepared(
    conn: Connection, prepared: list[Prepared], params: Params, stats: dict, *, replace: bool = False
) -> None:
    """Place, in order, those of ``prepared`` that are still unplaced (caller holds the lock);
    with ``replace``, place the others again where their text changed (:meth:`Placer.replace`)."""
    if not prepared:
        return
    ids = [art.article_id for art in prepared]
    unplaced = set(conn.execute(_UNPLACED_SQL, {"ids": ids}).scalars())
    placed = {r.article_id: r for r in conn.execute(_PLACED_SQL, {"ids": ids})} if replace else {}
    placer = Placer(conn, params)
    t0 = time.perf_counter()
    for art in prepared:
        if art.article_id in unplaced:
            _count(stats, placer.place(art))
        elif art.article_id in placed:
            pl = placer.replace(art, placed[art.article_id])
            if pl is None:
                stats["unchanged"] += 1
            else:
                _count(stats, pl)
                stats["replaced"] += 1
    stats["place_seconds"] += time.perf_counter() - t0


def _new_stats(params: Params) -> dict:
    return {
        "params_key": params.params_key,
        "events": 0,
        "placed": 0,
        "replaced": 0,
        "unchanged": 0,
        "merges": 0,
        "batches": 0,
        "signature_seconds": 0.0,
        "place_seconds": 0.0,
    }


def cluster_pending(engine: Engine, *, batch_size: int = 1000) -> dict:
    """Place new articles and place again those whose text changed (the queue's events).

    See :func:`place_pending` (this is it with the default parameters).
    """
    return place_pending(engine, batch_size=batch_size, params=DEFAULT_PARAMS)


def place_pending(engine: Engine, *, batch_size: int = 1000, params: Params = DEFAULT_PARAMS) -> dict:
    """Handle clustering's pending events (``pipeline.workqueue``), oldest first.

    A new article is placed; an article whose text changed is placed again
    (:meth:`Placer.replace`), unless its matching data is the same. Work is proportional to
    the events, not the archive. Idempotent and safe for concurrent workers: signatures are
    computed outside any lock from texts read *after* the events were listed, then each
    batch is placed in one transaction under a PostgreSQL advisory lock, for the events still
    pending then, and those events are deleted in that same transaction. Returns counts
    (``placed`` includes ``replaced``; ``unchanged``: changed events whose matching data was
    the same) and timings.
    """
    stats = _new_stats(params)
    started = time.perf_counter()
    with engine.connect() as conn:
        pending = workqueue.pending(conn, workqueue.CLUSTERING)
    stats["pending_seconds"] = round(time.perf_counter() - started, 4)
    for chunk in _chunks(pending, batch_size):
        with engine.connect() as conn:  # the CPU work, outside the lock
            ids = list(dict.fromkeys(e.article_id for e in chunk))
            prepared = load_prepared(conn, ids, params, stats, placed=True)
        with engine.begin() as conn:
            begin_placement(conn)
            live = workqueue.claim(conn, workqueue.CLUSTERING, len(chunk), only=[e.event_id for e in chunk])
            live_ids = {e.article_id for e in live}
            place_prepared(
                conn, [a for a in prepared if a.article_id in live_ids], params, stats, replace=True
            )
            # Same transaction as the placements: the events are done once placed.
            workqueue.done(conn, live)
            stats["events"] += len(live)
        stats["batches"] += 1
    stats["seconds"] = round(time.perf_counter() - started, 4)
    for k in ("signature_seconds", "place_seconds"):
        stats[k] = round(stats[k], 4)
    log.info("place_pending: %s", stats)
    return stats


def _flatten_merged(conn: Connection) -> None:
    """Point every merged cluster straight at a live one (no chains)."""
    while True:
        n = conn.execute(
            text(
                "UPDATE clusters c SET merged_into = t.merged_into, updated_at = now() "
                "FROM clusters t WHERE c.merged_into = t.cluster_id AND t.merged_into IS NOT NULL"
            )
        ).rowcount
        if not n:
            return


def recluster_all(engine: Engine) -> dict:
    """Rebuild every cluster with the default parameters: see :func:`rebuild`."""
    return rebuild(engine, params=DEFAULT_PARAMS)


def rebuild(engine: Engine, *, params: Params = DEFAULT_PARAMS, batch_size: int = 1000) -> dict:
    """Rebuild every signature, band key and cluster with ``params``; keep ids where practical.

    Runs in one transaction under the placement lock; readers see the old clusters until it
    commits (the old rows are deleted, not truncated: run VACUUM afterwards on a big archive). Articles are placed again in the same order as :func:`cluster_pending`. Each
    rebuilt cluster then takes the id of the old cluster it shares most members with (greedy,
    largest overlap first, each old id used once), so a cluster whose membership did not change
    keeps its id. A rebuilt cluster with no old counterpart keeps a new id; an old cluster whose
    id was not taken is marked ``merged_into`` the cluster now holding most of its members.
    """
    stats = _new_stats(params)
    started = time.perf_counter()
    with engine.begin() as conn:
        begin_placement(conn)
        conn.execute(
            text(
                "CREATE TEMP TABLE old_membership ON COMMIT DROP AS "
                "SELECT article_id, cluster_id FROM article_clusters"
            )
        )
        max_old = conn.execute(text("SELECT COALESCE(max(cluster_id), 0) FROM clusters")).scalar_one()
        # DELETE, not TRUNCATE: readers keep seeing the old rows (MVCC) until the commit.
        for table in ("article_clusters", "lsh_bands", "article_signatures"):
            conn.execute(text(f"DELETE FROM {table}"))
        # Pending events are covered: every text is read after this point. Events committed
        # later stay queued.
        stats["events"] = workqueue.clear(conn, workqueue.CLUSTERING)
        ids = list(conn.execute(_ALL_SQL).scalars())
        for chunk in _chunks(ids, batch_size):
            place_prepared(conn, load_prepared(conn, chunk, params, stats), params, stats)
            stats["batches"] += 1
        # Clusters born and merged away within this rebuild were never seen outside it.
        conn.execute(
            text("DELETE FROM clusters WHERE cluster_id > :max_old AND merged_into IS NOT NULL"),
            {"max_old": max_old},
        )

        overlap = conn.execute(
            text(
                "SELECT ac.cluster_id AS new_id, o.cluster_id AS old_id, count(*) AS n "
                "FROM article_clusters ac JOIN old_membership o USING (article_id) "
                "WHERE ac.cluster_id > :max_old GROUP BY 1, 2 ORDER BY n DESC, old_id, new_id"
            ),
            {"max_old": max_old},
        ).all()
        new_to_old: dict[int, int] = {}
        taken: set[int] = set()
        old_home: dict[int, int] = {}  # old id -> new cluster holding most of its members
        for new_id, old_id, _n in overlap:
            old_home.setdefault(old_id, new_id)
            if new_id not in new_to_old and old_id not in taken:
                new_to_old[new_id] = old_id
                taken.add(old_id)
        conn.execute(
            text("CREATE TEMP TABLE remap (new_id bigint PRIMARY KEY, old_id bigint) ON COMMIT DROP")
        )
        if new_to_old:
            conn.execute(
                text("INSERT INTO remap SELECT unnest(CAST(:n AS bigint[])), unnest(CAST(:o AS bigint[]))"),
                {"n": list(new_to_old), "o": list(new_to_old.values())},
            )
        # Old ids taken over: they get the rebuilt cluster's members and representative.
        conn.execute(
            text(
                "UPDATE clusters c SET representative_article_id = n.representative_article_id, "
                "first_published_at = n.first_published_at, merged_into = NULL, updated_at = now() "
                "FROM remap r JOIN clusters n ON n.cluster_id = r.new_id WHERE c.cluster_id = r.old_id"
            )
        )
        conn.execute(
            text(
                "UPDATE article_clusters ac SET cluster_id = r.old_id FROM remap r WHERE ac.cluster_id = r.new_id"
            )
        )
        conn.execute(text("DELETE FROM clusters c USING remap r WHERE c.cluster_id = r.new_id"))
        # Old ids not taken over point at the cluster now holding most of their members.
        retired = {old: new_to_old.get(new, new) for old, new in old_home.items() if old not in taken}
        if retired:
            conn.execute(
                text(
                    "UPDATE clusters c SET merged_into = m.target, updated_at = now() FROM ("
                    "SELECT unnest(CAST(:o AS bigint[])) AS old_id, unnest(CAST(:t AS bigint[])) AS target"
                    ") m WHERE c.cluster_id = m.old_id"
                ),
                {"o": list(retired), "t": list(retired.values())},
            )
        _flatten_merged(conn)
        stats["kept_ids"] = len(new_to_old)
        stats["new_ids"] = conn.execute(
            text("SELECT count(DISTINCT cluster_id) FROM article_clusters WHERE cluster_id > :m"),
            {"m": max_old},
        ).scalar_one()
        stats["retired_ids"] = len(retired)
    stats["seconds"] = round(time.perf_counter() - started, 4)
    for k in ("signature_seconds", "place_seconds"):
        stats[k] = round(stats[k], 4)
    log.info("rebuild: %s", stats)
    return stats
