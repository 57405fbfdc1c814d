"""The account row as the lock of a person's rights (DESIGN.md invariant 11,
docs/operations/locks.md, lock 1a).

What a staff member may do comes from their memberships (``directory.roles``) and, for the
privacy officer's pages, from the permissions their memberships grant (``sync_role_groups``).
Every change of those rights locks the person's user row first (:func:`lock_for_change`:
adding or removing a membership), or updates it (deactivation, a password change). A decision
share-locks the same row (:func:`share`) inside its transaction and only then reads the
memberships or permissions afresh, so the change waits for the decision's commit, or the
decision waits for the change and sees its result. Apps that may not import the directory
(audit) use this module directly.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection

__all__ = ["has_perm_now", "lock_for_change", "permitted_now", "share"]


def _table() -> str:
    return get_user_model()._meta.db_table


def share(user_id: int, *, password: str | None = None) -> bool:
    """Share-lock the user row until the open transaction ends (PostgreSQL ``FOR SHARE``;
    SQLite has no row locks and one writer) and say whether the account may still act: it
    exists, is active, and, when ``password`` (the hash the request authenticated with) is
    given, its password has not changed since (a change ends every token and session,
    ``directory.credentials``). Raises ``RuntimeError`` outside a transaction."""
    if not connection.in_atomic_block:
        raise RuntimeError("account_lock.share() must run inside transaction.atomic()")
    sql = f"SELECT is_active, password FROM {_table()} WHERE id = %s"  # noqa: S608 - model metadata
    if connection.features.has_select_for_update:
        sql += " FOR SHARE"
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id])
        row = cursor.fetchone()
    if row is None or not row[0]:
        return False
    return password is None or row[1] == password


def lock_for_change(changed: Iterable[int | None], *, actor: int | None = None) -> None:
    """Lock the accounts of a rights change before anything else in its transaction (before
    any membership row and before any audit row, i.e. before the chain head): every account
    in ``changed`` (whose memberships change) ``FOR NO KEY UPDATE``, and the administrator
    making the change ``FOR SHARE`` (their own right to make it, re-checked by the caller
    with :func:`has_perm_now`). One id at a time in ascending order, so two changes, or a
    change and a decision, never wait for each other in a circle; a decision holding
    :func:`share` on a changed account is waited for."""
    if not connection.features.has_select_for_update:
        return
    exclusive = {pk for pk in changed if pk is not None}
    ids = sorted(exclusive | ({actor} if actor is not None else set()))
    table = _table()
    with connection.cursor() as cursor:
        for pk in ids:
            mode = "FOR NO KEY UPDATE" if pk in exclusive else "FOR SHARE"
            cursor.execute(f"SELECT 1 FROM {table} WHERE id = %s {mode}", [pk])  # noqa: S608 - model metadata


def has_perm_now(user: Any, permission: str) -> bool:
    """``user.has_perm(permission)`` decided on the locked account inside the open transaction:
    the row is share-locked (:func:`share`, with the password the request authenticated with)
    and the permission caches Django keeps on the user object are dropped, so the groups are
    read after the lock."""
    if not getattr(user, "is_authenticated", False):
        return False
    if not share(int(user.pk), password=getattr(user, "password", None)):
        return False
    for cache in ("_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        if hasattr(user, cache):  # request.user may be a lazy object: delattr reaches the user
            delattr(user, cache)
    return bool(user.has_perm(permission))


def permitted_now(actor: Any, permission: str, action: str, **audit: Any) -> bool:
    """:func:`has_perm_now` for an action about to be recorded in the open transaction; a
    refusal is recorded there (``action``, ``allowed=False``, ``permission_denied``, the
    permission in ``details``), so the caller lets the transaction commit and raises after.
    ``audit``: the record's target fields (``target_type``, ``target_id``, ``resident_id``,
    ``details``)."""
    if has_perm_now(actor, permission):
        return True
    from referral_hub.audit.log import record  # the audit app imports this module

    details = {**audit.pop("details", {}), "permission": permission}
    record(
        action,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        allowed=False,
        refusal_code="permission_denied",
        details=details,
        **audit,
    )
    return False
