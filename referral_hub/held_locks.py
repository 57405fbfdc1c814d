"""Which facts the open transaction already holds a row lock on, so each is locked once.

A decision may be asked several times in one transaction (a send asks the gate after the
service locked the consent; a page asks about several sheets of one case), and each asking
must see the row read under the lock, not a copy read before it. :func:`hold` registers the
locked row under a key as a no-op ``on_commit`` callback; :func:`held` finds it again.
The entry lives exactly as long as the lock: COMMIT and ROLLBACK end both, and rolling back
a savepoint drops the entries registered inside it, as PostgreSQL releases the row locks
taken inside it. Outside a transaction nothing is held (a lock would end with the statement).

A transaction that changes a locked row itself (a withdrawal saving its consent, a membership
removed in the same transaction) makes the value stale: :func:`release_on_change` connects a
model's ``post_save`` and ``post_delete`` to :func:`release`, so the next decision reads the
row again (still under the lock the transaction keeps). :func:`release_all` runs when a
request starts: in production no transaction is open then, but a test's requests share the
test's transaction, and each should decide as a request of its own would.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from django.db import connection, models, transaction
from django.db.models.signals import post_delete, post_save

from referral_hub import internals

__all__ = ["held", "hold", "release", "release_all", "release_on_change"]


class _Held:
    """A no-op on-commit callback carrying one locked fact."""

    __slots__ = ("key", "value")

    _RELEASED = object()  # a key no lookup matches

    def __init__(self, key: Hashable, value: Any) -> None:
        self.key = key
        self.value = value

    def __call__(self) -> None:
        return None


def held(key: Hashable) -> _Held | None:
    """The entry :func:`hold` registered for ``key`` in the open transaction, or None (also
    outside a transaction). Its ``value`` is what was read under the lock."""
    if not connection.in_atomic_block:
        return None
    for entry in internals.pending_on_commit(connection):
        callback = entry.callback
        if isinstance(callback, _Held) and callback.key == key:
            return callback
    return None


def hold(key: Hashable, value: Any) -> None:
    """Record that the open transaction holds the lock on ``key`` and read ``value`` under it.
    Does nothing outside a transaction."""
    if connection.in_atomic_block:
        transaction.on_commit(_Held(key, value))


def release(key: Hashable) -> None:
    """Forget what was read under the lock on ``key`` (the lock itself stays until the
    transaction ends): the next :func:`held` answers None and the caller reads again."""
    entry = held(key)
    if entry is not None:
        entry.key = _Held._RELEASED


def release_on_change(model: type[models.Model], key_of: Callable[[Any], Hashable]) -> None:
    """Release ``key_of(instance)`` whenever an instance of ``model`` is saved or deleted."""

    def changed(sender: Any, instance: Any, **kwargs: Any) -> None:
        release(key_of(instance))

    post_save.connect(changed, sender=model, weak=False)
    post_delete.connect(changed, sender=model, weak=False)


def release_all(**kwargs: Any) -> None:
    """Forget every value read under a lock in the open transaction (a ``request_started``
    receiver: each request reads its facts itself)."""
    if not connection.in_atomic_block:
        return
    for entry in internals.pending_on_commit(connection):
        if isinstance(entry.callback, _Held):
            entry.callback.key = _Held._RELEASED
