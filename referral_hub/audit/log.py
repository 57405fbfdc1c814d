"""``record()``: the one way an audit event is written.

Call it inside the transaction of the state change it describes, so both commit or roll back
together (DESIGN.md invariant 5). Appending locks the chain head until that transaction ends:
call it late in the service function to keep the lock short.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from referral_hub.audit import chain, context
from referral_hub.audit.disclosures import REVIEWED_LEGAL_BASES
from referral_hub.audit.models import AuditEvent, ChainHead, DisclosureReview


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
    """
    if not action or "." not in action:
        raise ValueError(f"audit action must be dotted, e.g. 'sheet.read', got {action!r}")
    if not allowed and not refusal_code:
        raise ValueError("a refused action needs a refusal_code")
    clean_details = chain.check_details(details)
    actor_id, actor_username = _actor_snapshot(actor)
    request_context = context.current()

    with transaction.atomic(savepoint=False):
        seq, prev_hash = _advance_head()
        event = AuditEvent(
            seq=seq,
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
            prev_hash=prev_hash,
        )
        event.hash = event.computed_hash()
        event._sealed = True  # type: ignore[attr-defined]
        event.save()
        _store_head_hash(event.hash)
        if allowed and legal_basis in REVIEWED_LEGAL_BASES:
            DisclosureReview.objects.create(event=event)
    return event


def _actor_snapshot(actor: Any) -> tuple[int | None, str]:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None, ""
    return int(actor.pk), str(actor.get_username())


_HEAD_TABLE = ChainHead._meta.db_table
_EVENT_TABLE = AuditEvent._meta.db_table


def _advance_head() -> tuple[int, str]:
    """Take the next ``seq`` and the previous hash, holding the head row's write lock until the
    transaction ends. PostgreSQL queues concurrent writers on the row lock; SQLite's single
    writer lock does the same. Either way no two events can share a predecessor."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_HEAD_TABLE} SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash"  # noqa: S608
        )
        row = cursor.fetchone()
        if row is None:
            _create_head(cursor)
            cursor.execute(
                f"UPDATE {_HEAD_TABLE} SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash"  # noqa: S608
            )
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


def _store_head_hash(head_hash: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {_HEAD_TABLE} SET hash = %s WHERE id = 1", [head_hash])  # noqa: S608
