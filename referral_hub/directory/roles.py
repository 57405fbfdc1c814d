"""Where a staff member works and what their role lets them do. The one place that turns
memberships into roles; nothing else inspects ``is_staff`` or group names."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group, Permission
from django.db import connection
from django.db.models import Q

from referral_hub import account_lock, held_locks
from referral_hub.directory.models import Department, Membership, Role

# Django permissions each role carries, so that apps which must not import the directory
# (audit, vault) can still check them with ``user.has_perm``.
ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    Role.PRIVACY_OFFICER: (
        "audit.view_auditevent",
        "audit.view_disclosurereview",
        "audit.review_disclosure",
        "consent.view_legalbasis",
        "consent.change_legalbasis",
    ),
    Role.ADMIN: tuple(
        f"directory.{verb}_{model}"
        for model in ("municipality", "department", "desk", "concern", "membership")
        for verb in ("view", "add", "change", "delete")
    ),
}
STAFF_ROLES = {Role.PRIVACY_OFFICER, Role.ADMIN}  # roles that use the Django admin

User = AbstractBaseUser | AnonymousUser


@dataclass(frozen=True)
class Place:
    role: str
    desk_id: int | None
    desk_code: str
    department_id: int | None
    department_code: str
    # The department row read with the membership (for a sheet's ``from_department``).
    department: Department | None = field(default=None, compare=False, repr=False)


def places(user: User) -> tuple[Place, ...]:
    """The user's memberships, cached on the user object for the request. Inside a
    transaction they are the facts of whatever that transaction decides, so they are read
    under the lock of :func:`lock_places` (once per transaction)."""
    if not getattr(user, "is_authenticated", False):
        return ()
    if connection.in_atomic_block:
        return lock_places(user)
    cached = getattr(user, "_referral_hub_places", None)
    if cached is None:
        cached = _read_places(int(user.pk))
        user._referral_hub_places = cached  # type: ignore[union-attr]
    return cached


def _read_places(user_id: int) -> tuple[Place, ...]:
    rows = Membership.objects.filter(user_id=user_id).select_related("desk", "department")
    return tuple(
        Place(
            role=m.role,
            desk_id=m.desk_id,
            desk_code=m.desk.code if m.desk else "",
            department_id=m.department_id,
            department_code=m.department.code if m.department else "",
            department=m.department,
        )
        for m in rows
    )


def lock_places(user: User) -> tuple[Place, ...]:
    """The user's places as they are now, locked until the open transaction ends: the facts a
    gate decision rests on (DESIGN.md invariant 11, docs/operations/locks.md). Removing one of
    these memberships, deactivating the account or changing its password waits until the
    transaction commits (``account_lock``: the user row is the lock, the memberships are read
    after it); a lock asked for while such a change runs waits for it and then reads the new
    state, so a transferred or deactivated actor decides on nothing they no longer hold. A
    deactivated account, or one whose password changed since the request authenticated (which
    ended its tokens and sessions), has no places.

    Locks once per transaction (``held_locks``) and makes the result the cached ``places()``
    for the rest of the request. Outside a transaction it is ``places()``, unlocked."""
    if not getattr(user, "is_authenticated", False):
        return ()
    if not connection.in_atomic_block:
        return places(user)
    key = ("places", user.pk)
    entry = held_locks.held(key)
    if entry is not None:
        user._referral_hub_places = entry.value  # type: ignore[union-attr]
        return entry.value  # type: ignore[no-any-return]
    password = getattr(user, "password", None)
    may_act = account_lock.share(int(user.pk), password=password)
    locked = _read_places(int(user.pk)) if may_act else ()
    user._referral_hub_places = locked  # type: ignore[union-attr]
    held_locks.hold(key, locked)
    return locked


def is_desk_staff_now(user_id: int, desk_id: int) -> bool:
    """Is ``user_id`` an active consultant or lead of ``desk_id``, decided under the lock of
    their account like :func:`lock_places` (a lead assigning a sheet to a colleague decides on
    the colleague's membership)?"""
    if not account_lock.share(user_id):
        return False
    return Membership.objects.filter(
        user_id=user_id, desk_id=desk_id, role__in=[Role.CONSULTANT, Role.LEAD]
    ).exists()


def forget(user: User) -> None:
    """Drop the cached places after a membership change (also those read under the lock in
    the open transaction: the next ``places()`` reads them again)."""
    held_locks.release(("places", getattr(user, "pk", None)))
    if hasattr(user, "_referral_hub_places"):
        del user._referral_hub_places  # type: ignore[union-attr]


def has_role(user: User, *roles: str) -> bool:
    return any(p.role in roles for p in places(user))


def desk_ids(user: User, roles: Iterable[str] = (Role.CONSULTANT, Role.LEAD)) -> set[int]:
    wanted = set(roles)
    return {p.desk_id for p in places(user) if p.role in wanted and p.desk_id is not None}


def department_ids(user: User) -> set[int]:
    return {
        p.department_id
        for p in places(user)
        if p.role == Role.CLERK and p.department_id is not None
    }


def home_place(user: User) -> tuple[int | None, int | None]:
    """(department id, desk id) the user acts from at a counter or desk: a clerk's department,
    else their desk; (None, None) for roles without a place (privacy officer, admin). Sheets
    are sent from it, and residents registered and consents recorded there belong to it."""
    departments = sorted(department_ids(user))
    if departments:
        return departments[0], None
    desks = sorted(desk_ids(user))
    return None, (desks[0] if desks else None)


def home_department(user: User) -> Department | None:
    """The department of ``home_place`` as read with the user's memberships this request (no
    query of its own), or None when the user acts from a desk or has no place."""
    department_id, _ = home_place(user)
    if department_id is None:
        return None
    return next(p.department for p in places(user) if p.department_id == department_id)


def is_lead_of(user: User, desk_id: int) -> bool:
    return desk_id in desk_ids(user, roles=(Role.LEAD,))


def place_label(user: User) -> str:
    """A short snapshot of where the actor works, for the audit log (codes only)."""
    parts = [p.desk_code or p.department_code or p.role for p in places(user)]
    return ",".join(sorted(set(parts)))


def _permissions(dotted_names: Iterable[str]) -> list[Permission]:
    """The permissions named ``app_label.codename``, in one query (none for no names)."""
    wanted = Q(pk__in=[])
    for dotted in dotted_names:
        app_label, codename = dotted.split(".", 1)
        wanted |= Q(content_type__app_label=app_label, codename=codename)
    return list(Permission.objects.filter(wanted))


def sync_role_groups(user: AbstractBaseUser) -> None:
    """Mirror the user's roles into Django groups/permissions and admin access."""
    forget(user)
    roles = {p.role for p in places(user)}
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=f"role:{role}")
        group.permissions.set(_permissions(perms))
        if role in roles:
            user.groups.add(group)  # type: ignore[attr-defined]
        else:
            user.groups.remove(group)  # type: ignore[attr-defined]
    is_staff = bool(roles & STAFF_ROLES)
    if user.is_staff != is_staff:  # type: ignore[attr-defined]
        user.is_staff = is_staff  # type: ignore[attr-defined]
        user.save(update_fields=["is_staff"])
