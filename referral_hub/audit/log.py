"""``record()``: the one way an audit event is written.

Call it inside the transaction of the state change it describes, so both commit or roll back
together (DESIGN.md invariant 5).

Appending locks the chain head until the transaction ends: that is what keeps the chain from
forking, and it means audited transactions take turns from their first event to their commit.
To keep that turn short, wrap the body of a service's transaction in :func:`batched`: its events
are then chained together when the block exits, just before the commit.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, cast

from django.db import connection, transaction
from django.utils import timezone

from referral_hub import internals
from referral_hub.audit import chain, context
from referral_hub.audit.disclosures import REVIEWED_LEGAL_BASES
from referral_hub.audit.models import AuditEvent, ChainHead, DisclosureReview


class _Marker:
    """A no-op on-commit callback standing for one batched event. Django drops the callbacks of
    a rolled-back savepoint, so a marker still registered at the end of the batch means its
    event's savepoint survived."""

    def __call__(self) -> None:
        return None


_pending: contextvars.ContextVar[list[tuple[AuditEvent, _Marker]] | None] = contextvars.ContextVar(
    "audit_pending_events", default=None
)


def record(
    action: str,
    *,
    actor: Any = None,
    actor_desk: str = "",
    target_type: str = "",
    target_id: str | int = "",
    resident_id: int | None = None,
    legal_basis: str = "",
    allowed: bool = True,
    refusal_code: str = "",
    details: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the audit chain and return it.

    ``actor`` is a Django user, or ``None`` (or an anonymous user) for the system.
    ``details`` carries ids, codes and counts only, never personal data.
    An allowed disclosure on a basis other than consent also opens a :class:`DisclosureReview`.
    Inside :func:`batched` the event is returned unsaved (``seq`` is None) and chained when the
    batch ends.
    """
    if not action or "." not in action:
        raise ValueError(f"audit action must be dotted, e.g. 'sheet.read', got {action!r}")
    if not allowed and not refusal_code:
        raise ValueError("a refused action needs a refusal_code")
    clean_details = chain.check_details(details)
    actor_id, actor_username = _actor_snapshot(actor)
    request_context = context.current()
    event = AuditEvent(
        at=timezone.now(),
        actor_id=actor_id,
        actor_username=actor_username,
        actor_desk=actor_desk,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        resident_id=resident_id,
        legal_basis=legal_basis,
        allowed=allowed,
        refusal_code=refusal_code,
        request_id=request_context.request_id,
        client_ip=request_context.client_ip,
        details=clean_details,
        version=chain.HASH_VERSION,
    )
    pending = _pending.get()
    if pending is not None and connection.in_atomic_block:
        marker = _Marker()
        transaction.on_commit(marker)
        pending.append((event, marker))
    else:
        _append([event])
    return event


@contextmanager
def batched() -> Iterator[None]:
    """Chain the events recorded inside the block when it exits, instead of one by one.

    Use it as the innermost part of the outermost transaction, so the chain head is locked only
    between the block's end and the commit::

        with transaction.atomic(), audit.log.batched():
            decision = policy.authorize(...)   # records
            ...                                  # state changes, more records
        # events chained here, then committed with the state change

    If the block raises, its events are dropped with the rolled-back transaction, and an event
    recorded inside a savepoint that was rolled back is dropped with it, exactly as if it had
    been written at once. A nested ``batched()`` joins the outer one.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("audit.log.batched() must run inside transaction.atomic()")
    if _pending.get() is not None:
        yield
        return
    pending: list[tuple[AuditEvent, _Marker]] = []
    token = _pending.set(pending)
    try:
        yield
    finally:
        _pending.reset(token)
    if transaction.get_rollback():
        return  # the transaction is going to roll back: its events with it
    registered = {id(entry.callback) for entry in internals.pending_on_commit(connection)}
    survivors = [event for event, marker in pending if id(marker) in registered]
    if survivors:
        _append(survivors)


def retarget(event: AuditEvent, target_type: str, target_id: str | int) -> None:
    """Name the target of an event recorded earlier in the current :func:`batched` block.

    A send is decided before its sheet exists; once the service has created the sheet, the
    decision is recorded with the sheet as its target, so the row says which sheet disclosed
    the data. Raises ``RuntimeError`` for an event already chained (its hash is sealed) or one
    not recorded in the current batch.
    """
    pending = _pending.get()
    if event.seq is not None or pending is None or not any(e is event for e, _ in pending):
        raise RuntimeError("only an event still pending in the current batch can be retargeted")
    event.target_type = target_type
    event.target_id = str(target_id)


def _actor_snapshot(actor: Any) -> tuple[int | None, str]:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None, ""
    return int(actor.pk), str(actor.get_username())


_HEAD_TABLE = ChainHead._meta.db_table
_EVENT_TABLE = AuditEvent._meta.db_table


def _append(events: list[AuditEvent]) -> None:
    """Give the events the next seqs in order, link and hash them, and store them."""
    with transaction.atomic(savepoint=False):
        last_seq, prev_hash = _advance_head(len(events))
        for seq, event in enumerate(events, start=last_seq - len(events) + 1):
            event.seq = seq
            event.prev_hash = prev_hash
            event.hash = event.computed_hash()
            prev_hash = event.hash
        _store(events, prev_hash)
        reviews = [
            DisclosureReview(event=event)
            for event in events
            if event.allowed and event.legal_basis in REVIEWED_LEGAL_BASES
        ]
        if reviews:
            DisclosureReview.objects.bulk_create(reviews)


def _advance_head(count: int) -> tuple[int, str]:
    """Reserve ``count`` seqs and return the last one with the hash before the first, holding
    the head row's write lock until the transaction ends. PostgreSQL queues concurrent writers
    on the row lock; SQLite's single writer lock does the same. Either way no two events can
    share a predecessor."""
    sql = f"UPDATE {_HEAD_TABLE} SET seq = seq + %s WHERE id = 1 RETURNING seq, hash"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [count])
        row = cursor.fetchone()
        if row is None:
            _create_head(cursor)
            cursor.execute(sql, [count])
            row = cursor.fetchone()
    return int(row[0]), str(row[1])


def _create_head(cursor: Any) -> None:
    """Create the head row when it is missing (a flushed test database): it starts at the
    latest event, or at the genesis hash for an empty log."""
    cursor.execute(
        f"SELECT seq, hash FROM {_EVENT_TABLE} ORDER BY seq DESC LIMIT 1"  # noqa: S608
    )
    latest = cursor.fetchone()
    seq, head_hash = (latest[0], latest[1]) if latest else (0, chain.GENESIS_HASH)
    cursor.execute(
        f"INSERT INTO {_HEAD_TABLE} (id, seq, hash) VALUES (1, %s, %s) ON CONFLICT (id) DO NOTHING",  # noqa: S608
        [seq, head_hash],
    )


# Every column of the model, ``seq`` included: the chain numbers its events itself.
_FIELDS = tuple(AuditEvent._meta.concrete_fields)
_COLUMN_NAMES = tuple(cast(str, field.column) for field in _FIELDS)  # concrete: never None


def _store(events: list[AuditEvent], head_hash: str) -> None:
    """Insert the sealed events and move the head's hash. On PostgreSQL both happen in one
    statement (a data-modifying WITH), which keeps an append to two round trips."""
    placeholders = "(" + ", ".join(["%s"] * len(_FIELDS)) + ")"
    params: list[Any] = []
    for event in events:
        params.extend(
            field.get_db_prep_save(getattr(event, field.attname), connection) for field in _FIELDS
        )
    columns = ", ".join(connection.ops.quote_name(column) for column in _COLUMN_NAMES)
    insert = (
        f"INSERT INTO {_EVENT_TABLE} ({columns}) "  # noqa: S608
        f"VALUES {', '.join([placeholders] * len(events))}"
    )
    update = f"UPDATE {_HEAD_TABLE} SET hash = %s WHERE id = 1"  # noqa: S608
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"WITH stored AS ({insert}) {update}", [*params, head_hash])
        else:
            cursor.execute(insert, params)
            cursor.execute(update, [head_hash])
    for event in events:
        event._state.adding = False
        event._state.db = connection.alias
