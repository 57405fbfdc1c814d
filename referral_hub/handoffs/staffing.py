"""Nothing lands where nobody works (issue 20): a sheet is sent or redirected only to a desk
with at least one active consultant or lead, who would see it in the inbox."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from referral_hub.directory.models import Desk, Membership, Role
from referral_hub.handoffs.errors import DeskUnstaffed

DESK_ROLES = (Role.CONSULTANT, Role.LEAD)


def _staff() -> QuerySet[Membership]:
    return Membership.objects.filter(role__in=DESK_ROLES, desk__isnull=False, user__is_active=True)


def staffed_desk_ids() -> set[int]:
    return set(_staff().values_list("desk_id", flat=True))


def require_staffed(desk: Desk, *, exclude: Iterable[int] = ()) -> None:
    """Raise ``DeskUnstaffed`` (409) when ``desk`` has no active staff, naming (by code) the
    active staffed desks that could take the sheet instead (``exclude``: the actor's own).
    A staffed desk costs one small query; only a refusal reads every staffed desk."""
    if _staff().filter(desk_id=desk.pk).exists():
        return
    staffed = staffed_desk_ids()
    others = (
        Desk.objects.filter(pk__in=staffed - set(exclude), is_active=True)
        .exclude(pk=desk.pk)
        .order_by("code")
        .values_list("code", flat=True)
    )
    raise DeskUnstaffed(desk.code, list(others))
