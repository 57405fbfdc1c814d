"""Read replica: report and audit-search reads go to ``REPLICA_DATABASE_URL`` when it is set.

Only reads that tolerate a few seconds of lag are sent there, and only inside
``replica_reads()``: the statistics (counts only, docs/reports.md) and the privacy officer's
audit search. Everything else (the policy gate, the audit chain head, every write and every read
inside a transaction) stays on the primary, so no decision is ever taken on stale data.

Without ``REPLICA_DATABASE_URL`` there is no ``replica`` alias and ``replica_reads()`` changes
nothing. Staleness and the operator's side: docs/operations/replica.md.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections

REPLICA_ALIAS = "replica"

_reading_from_replica: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "reading_from_replica", default=False
)


def replica_configured() -> bool:
    """True when the ``replica`` alias exists (``REPLICA_DATABASE_URL`` is set)."""
    return REPLICA_ALIAS in connections.settings


@contextmanager
def replica_reads() -> Iterator[None]:
    """Send the ORM reads of this block to the replica (when one is configured).

    A context variable, so it holds for this request's thread or task only."""
    token = _reading_from_replica.set(True)
    try:
        yield
    finally:
        _reading_from_replica.reset(token)


class ReplicaRouter:
    """Django database router (``DATABASE_ROUTERS``): reads inside ``replica_reads()`` go to the
    replica; writes, migrations and reads inside an open transaction on the primary do not."""

    def db_for_read(self, model: type, **hints: Any) -> str | None:
        if not _reading_from_replica.get() or not replica_configured():
            return None
        # A transaction on the primary reads its own writes (and its locks): never the replica.
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        return REPLICA_ALIAS

    def db_for_write(self, model: type, **hints: Any) -> str | None:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # the replica holds the same rows as the primary

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        # A replica is read-only: its schema comes from the primary by replication.
        return db != REPLICA_ALIAS
