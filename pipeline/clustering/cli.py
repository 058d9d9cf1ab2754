"""Command-line entry points (registered by the project CLI as ``dadkhah cluster`` and
``dadkhah recluster``)."""

from __future__ import annotations

import json
import logging

from pipeline.clustering.store import cluster_pending, recluster_all
from pipeline.db import get_engine
from pipeline.settings import Settings


def _engine():
    return get_engine(Settings.from_env())


def cluster_command() -> None:
    """Place every article not yet in a story cluster (idempotent; safe to run in parallel)."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    print(json.dumps(cluster_pending(_engine()), sort_keys=True))


def recluster_command() -> None:
    """Rebuild all signatures, band keys and clusters with the current parameters."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    print(json.dumps(recluster_all(_engine()), sort_keys=True))
