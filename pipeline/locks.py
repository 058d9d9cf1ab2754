"""PostgreSQL advisory locks: one crawl per outlet at a time, and a live owner per crawl run.

The crawl child takes a session-level advisory lock per outlet on a connection of its own and
keeps it until it exits, so a second `dadkhah run`, an Airflow task or a CLI run that reaches
the same outlet meanwhile skips it. A process that dies loses its connection, and with it
its locks: nothing is left to clean up.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, text

# Key space of dadkhah's advisory locks (two-int form: namespace, id). 72417001 is the
# migration lock (pipeline.db); these two are per outlet and per crawl run.
OUTLET_LOCK_NAMESPACE = 72417002
RUN_LOCK_NAMESPACE = 72417003
REVISIT_LOCK_NAMESPACE = 72417004  # per outlet: one revisit run at a time (pipeline.revisit.run)

_TRY_LOCK = text("SELECT pg_try_advisory_lock(:namespace, :key)")
_HOLDER = text(
    """
    SELECT a.pid, a.application_name
      FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
     WHERE l.locktype = 'advisory' AND l.granted
       AND l.classid = CAST(:namespace AS oid) AND l.objid = CAST(:key AS oid)
     LIMIT 1
    """
)


def try_lock(conn: Connection, namespace: int, key: int) -> bool:
    return bool(conn.execute(_TRY_LOCK, {"namespace": namespace, "key": key}).scalar_one())


def drop_lock_connection(conn: Connection) -> None:
    """Close a connection holding session locks: every lock it holds goes with it, and it is
    never handed back to the pool with them."""
    try:
        conn.invalidate()
    finally:
        conn.close()


def describe_holder(conn: Connection, namespace: int, key: int) -> str:
    """Who holds a lock, as far as the server knows (its client's name and backend pid)."""
    row = conn.execute(_HOLDER, {"namespace": namespace, "key": key}).first()
    if row is None:
        return "holder unknown"
    return f"{row.application_name or 'a client'}, server pid {row.pid}"


class OutletLocks:
    """The advisory locks of the outlets one crawl process works on."""

    def __init__(self, engine: Engine, *, label: str = "dadkhah crawl") -> None:
        self._conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        # Shown to a process that finds the lock taken ("dadkhah crawl run 12, pid 345").
        self._conn.execute(text("SELECT set_config('application_name', :name, false)"), {"name": label[:63]})

    def acquire(self, outlet_id: int) -> str | None:
        """Take the outlet's lock; None when taken, else who holds it."""
        if try_lock(self._conn, OUTLET_LOCK_NAMESPACE, outlet_id):
            return None
        return describe_holder(self._conn, OUTLET_LOCK_NAMESPACE, outlet_id)

    def release(self) -> None:
        drop_lock_connection(self._conn)
