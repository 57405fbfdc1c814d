"""Decisions are made on locked facts (DESIGN.md invariant 11; docs/operations/locks.md).

Every action whose decision depends on a consent takes a lock on the consent row inside its own
transaction, before it asks the gate, and hands the gate the row it read under that lock:

- sends, resends, redirects and attachment reads and uploads take a **share** lock
  (:func:`share_consent`): they do not wait for each other, but a withdrawal waits until they
  commit, and they wait for a withdrawal in progress and then see it;
- a withdrawal takes the **update** lock (:func:`lock_consent_for_withdrawal`).

So a sheet is either committed before the withdrawal commits, or refused with
``consent_withdrawn``; never "sent after withdrawn". The gate's reads on a consent basis lock
it the same way (``policy.authorize``), and every public decision of the gate first
share-locks the actor's account and reads their memberships after it
(:func:`decided_on_locked_facts`, ``referral_hub.account_lock``), so a transfer, a
deactivation or a password change cannot slip in between a decision and its commit either.

One lock order for every service, so no two actions wait for each other in a circle:

    consent row → sheet row(s) (ascending id) → sheet counter → audit chain head → COMMIT

with the actor's account row share-locked at the first decision (its only exclusive holders,
a membership change, a deactivation and a password change, wait for nothing but the chain
head, so where the share lock falls in this order does not matter);

and, after the commit, in a transaction of its own, the recipients' inbox rows (ascending user).

PostgreSQL checks foreign keys at COMMIT by default (Django creates them ``DEFERRABLE INITIALLY
DEFERRED``), and a foreign-key check takes a key-share lock on the referenced row. At COMMIT a
service already holds the audit chain head, so a deferred check that waits for a row locked by
another service closes a circle (the withdrawal/send deadlock of issue 14). :func:`check_now`
moves the checks to the statements, i.e. before the chain head, in the order above.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import connection, transaction
from django.db.models import F

from referral_hub import held_locks
from referral_hub.consent.models import Consent
from referral_hub.directory import roles

F_ = TypeVar("F_", bound=Callable[..., Any])

_TABLE = Consent._meta.db_table
_RECIPIENTS = Consent.recipients.through._meta.db_table


def check_now() -> None:
    """Check foreign keys when each statement runs, not at COMMIT, for the rest of the current
    transaction (PostgreSQL ``SET CONSTRAINTS ALL IMMEDIATE``; SQLite checks at once anyway).
    Call it first thing inside the service's ``transaction.atomic()``."""
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute(_CHECK_NOW)


_CHECK_NOW = "SET CONSTRAINTS ALL IMMEDIATE"


def _one_round_trip() -> bool:
    """Whether a locked read may carry ``check_now`` along: inside a transaction, and with
    client-side binding (server-side binding, an OPTIONS choice, refuses two statements)."""
    options = connection.settings_dict.get("OPTIONS", {})
    return connection.in_atomic_block and not options.get("server_side_binding")


def share_consent(
    consent: Consent | int | None, *, check_constraints: bool = True
) -> Consent | None:
    """Lock ``consent`` against withdrawal (and any other change) until the transaction ends
    and return it as read under the lock; None for None, and None when the row is gone.
    Also calls :func:`check_now` (unless ``check_constraints`` is False: a read that writes
    nothing but its audit row), so a caller without a consent (another legal basis) still
    keeps the lock order. On PostgreSQL the row carries its recipients' desk ids, read in the
    same statement (``recipient_desk_ids``, for ``Consent.names_desk``). A consent already
    locked in this transaction is returned as it was read then, with no query
    (``held_locks``).

    PostgreSQL: ``SELECT ... FOR SHARE``. Holders do not block each other; a withdrawal waits
    for them, and a share lock asked for while a withdrawal waits or runs is granted after it
    commits, with the withdrawn row (READ COMMITTED re-reads the row a locking read waited
    for). SQLite has one writer at a time: a no-op write takes that lock now instead.

    With a consent on PostgreSQL, the lock and ``check_now``'s ``SET CONSTRAINTS`` travel in
    one round trip (two statements of one simple query, client-side binding: Django's default
    with psycopg 3). The lock comes first in the text so that its rows are the cursor's first
    result; no write precedes either, so the order within the round trip changes nothing."""
    if consent is None:
        if check_constraints:
            check_now()
        return None
    consent_id = consent if isinstance(consent, int) else consent.pk
    entry = held_locks.held(("consent", consent_id))
    if entry is not None:
        return entry.value  # type: ignore[no-any-return]
    if connection.vendor == "postgresql":
        locked_read = (
            f"SELECT c.*, ARRAY(SELECT r.desk_id FROM {_RECIPIENTS} r "  # noqa: S608 - model metadata
            "WHERE r.consent_id = c.id) AS recipient_desk_ids "
            f"FROM {_TABLE} c WHERE c.id = %s FOR SHARE OF c"
        )
        if check_constraints and _one_round_trip():
            locked_read += f"; {_CHECK_NOW}"
        elif check_constraints:
            check_now()
        locked = next(iter(Consent.objects.raw(locked_read, [consent_id])), None)
    else:
        if check_constraints:
            check_now()
        Consent.objects.filter(pk=consent_id).update(withdrawn_at=F("withdrawn_at"))
        locked = Consent.objects.filter(pk=consent_id).first()
    held_locks.hold(("consent", consent_id), locked)
    return locked


def decided_on_locked_facts(decide: F_) -> F_:
    """Run one of the gate's decisions (first argument: the actor) on locked facts: inside a
    transaction (its own when the caller has none, so the decision and its audit row commit
    together), with the actor's account share-locked and their memberships read after it
    (``roles.lock_places``). A membership removed, an account deactivated or a password
    changed while the decision is pending waits for its commit; never an allowed decision
    recorded after the change that took its basis away. The consent a decision rests on is locked by the gate
    itself (``share_consent``)."""

    @functools.wraps(decide)
    def on_locked_facts(actor: Any, *args: Any, **kwargs: Any) -> Any:
        if connection.in_atomic_block:
            roles.lock_places(actor)
            return decide(actor, *args, **kwargs)
        with transaction.atomic():
            roles.lock_places(actor)
            return decide(actor, *args, **kwargs)

    return on_locked_facts  # type: ignore[return-value]


def lock_consent_for_withdrawal(consent_id: int) -> Consent | None:
    """The withdrawal's exclusive lock (``SELECT ... FOR UPDATE``), first in the lock order;
    None when no such consent exists (the gate then refuses it like an unrelated one)."""
    check_now()
    return Consent.objects.select_for_update().filter(pk=consent_id).first()
