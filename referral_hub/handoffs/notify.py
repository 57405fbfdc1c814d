"""Who hears about a sheet: the fan-out rules for inbox events (ids and statuses only)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from referral_hub.directory.models import Desk, Membership, Role
from referral_hub.handoffs.models import ConnectSheet
from referral_hub.handoffs.staffing import DESK_ROLES
from referral_hub.inbox.publish import publish


def desk_staff_query(
    desk_ids: Iterable[int], roles: tuple[str, ...] = DESK_ROLES
) -> QuerySet[Membership, int]:
    """The user ids of the desks' active staff in ``roles``, as a query (``publish`` runs it
    inside its INSERT: no round trip of its own)."""
    return Membership.objects.filter(
        desk_id__in=list(desk_ids), role__in=roles, user__is_active=True
    ).values_list("user_id", flat=True)


def desk_staff(desk_ids: Iterable[int], roles: tuple[str, ...] = DESK_ROLES) -> set[int]:
    return set(desk_staff_query(desk_ids, roles))


def sender_side_query(sheet: ConnectSheet) -> QuerySet[Membership, int]:
    """The sending side as it is now: the clerks of the sending department (送ったシート is per
    department) or the staff of the sending desk: the same people ``policy.sender_relation``
    lets open the sheet, so no one hears of a sheet they cannot open. The clerk who sent it
    hears nothing once they have moved on (DESIGN.md invariant 9). User ids, as a query (some
    may repeat; ``publish`` stores one event per user)."""
    place = Q(pk__in=[])
    if sheet.from_department_id:
        place |= Q(department_id=sheet.from_department_id, role=Role.CLERK)
    if sheet.from_desk_id:
        place |= Q(desk_id=sheet.from_desk_id, role__in=DESK_ROLES)
    return Membership.objects.filter(place, user__is_active=True).values_list("user_id", flat=True)


def sender_side(sheet: ConnectSheet) -> set[int]:
    """``sender_side_query``'s users, as a set."""
    return set(sender_side_query(sheet))


def _desk_code(desk_id: int) -> str:
    return Desk.objects.values_list("code", flat=True).get(pk=desk_id)


def _owner_desk(sheet: ConnectSheet) -> str:
    """The owner desk's code: the identifier every API response uses for ``owner_desk``
    (docs/api.md, WebSocket), so a client matches frames and responses without a lookup."""
    return sheet.owner_desk.code


def _extra(sheet: ConnectSheet, **more: int | str) -> dict[str, int | str]:
    return {"owner_desk": _owner_desk(sheet), "urgency": sheet.urgency, **more}


def _to_both_sides(
    sheet: ConnectSheet,
    event_type: str,
    desk_users: Iterable[int],
    senders: Iterable[int],
    *,
    desk_box: str = "inbox",
    extra: dict[str, int | str] | None = None,
) -> None:
    """One event to the owner desk's staff (``desk_box``) and one to the sending side ("sent")."""
    extra = _extra(sheet) if extra is None else extra
    for users, box in ((desk_users, desk_box), (senders, "sent")):
        publish(users, event_type, box=box, sheet_id=sheet.pk, status=sheet.status, extra=extra)


def sheet_received(sheet: ConnectSheet) -> None:
    """A sheet arrived at its (new) owner desk; the sending side sees the status change."""
    publish(
        desk_staff_query([sheet.owner_desk_id]),
        "sheet.received",
        box="inbox",
        sheet_id=sheet.pk,
        status=sheet.status,
        extra=_extra(sheet),
    )
    publish(
        sender_side_query(sheet),
        "sheet.updated",
        box="sent",
        sheet_id=sheet.pk,
        status=sheet.status,
        extra=_extra(sheet),
    )


def sheet_left_desk(sheet: ConnectSheet, desk_id: int) -> None:
    """The desk a sheet was redirected away from sees it leave; the sending side hears of the
    redirect once, through ``sheet_received``."""
    users = desk_staff([desk_id]) - desk_staff([sheet.owner_desk_id])
    publish(
        users,
        "sheet.updated",
        box="inbox",
        sheet_id=sheet.pk,
        status=sheet.status,
        extra=_extra(sheet),
    )


def sheet_updated(sheet: ConnectSheet, **more: int | str) -> None:
    desk_users = desk_staff([sheet.owner_desk_id])
    senders = sender_side(sheet) - desk_users
    _to_both_sides(sheet, "sheet.updated", desk_users, senders, extra=_extra(sheet, **more))


def sheet_message(sheet: ConnectSheet, *, author_id: int) -> None:
    """A desk message exists only when the gate let it reach the sender (consent to feedback,
    ``services.post_message``), so the sending side is told only of messages it can read."""
    desk_users = desk_staff([sheet.owner_desk_id]) - {author_id}
    senders = sender_side(sheet) - {author_id} - desk_users
    _to_both_sides(sheet, "sheet.message", desk_users, senders)


def sheet_overdue(sheet: ConnectSheet) -> None:
    """Owner desk, its leads and the sender are told (DESIGN.md, Urgency and SLA)."""
    desk_users = desk_staff([sheet.owner_desk_id])
    _to_both_sides(
        sheet, "sheet.overdue", desk_users, sender_side(sheet) - desk_users, desk_box="overdue"
    )


def runaround_alert(sheet: ConnectSheet, desk_ids: Iterable[int]) -> None:
    """After the second redirect the leads of every desk the sheet passed through are alerted."""
    publish(
        desk_staff(desk_ids, roles=(Role.LEAD,)),
        "sheet.updated",
        box="inbox",
        sheet_id=sheet.pk,
        status=sheet.status,
        extra=_extra(sheet, alert="runaround", redirects=sheet.redirect_count),
    )


def escalation_alert(sheet: ConnectSheet, rung: int) -> None:
    """First contact is late (issue 20): rung 1 the handler, 2 the desk's leads, 3 the desk's
    section chief (the leads when none is configured). Ids, status and the rung only."""
    if rung == 1:
        users = {sheet.handler_id} if sheet.handler_id else desk_staff([sheet.owner_desk_id])
    elif rung == 2 or sheet.owner_desk.section_chief_id is None:
        users = desk_staff([sheet.owner_desk_id], roles=(Role.LEAD,))
    else:
        users = {sheet.owner_desk.section_chief_id}
    publish(
        users,
        "sheet.updated",
        box="inbox",
        sheet_id=sheet.pk,
        status=sheet.status,
        extra=_extra(sheet, alert="first_contact_late", rung=rung),
    )


def stalled_alert(sheet: ConnectSheet) -> None:
    """No contact attempt for STALLED_AFTER_DAYS: the handler and the desk's leads."""
    users = desk_staff([sheet.owner_desk_id], roles=(Role.LEAD,))
    if sheet.handler_id:
        users.add(sheet.handler_id)
    publish(
        users,
        "sheet.updated",
        box="inbox",
        sheet_id=sheet.pk,
        status=sheet.status,
        extra=_extra(sheet, alert="stalled"),
    )


def lead_alert(desk_id: int, sheet_id: int | None, status: str, alert: str) -> None:
    publish(
        desk_staff([desk_id], roles=(Role.LEAD,)),
        "sheet.updated",
        box="inbox",
        sheet_id=sheet_id,
        status=status,
        extra={"owner_desk": _desk_code(desk_id), "alert": alert},
    )


def consent_withdrawn(sheets: Iterable[ConnectSheet], consent_id: int) -> None:
    for sheet in sheets:
        desk_users = desk_staff([sheet.owner_desk_id])
        _to_both_sides(
            sheet,
            "consent.withdrawn",
            desk_users,
            sender_side(sheet) - desk_users,
            extra={"consent": consent_id, "owner_desk": _owner_desk(sheet)},
        )
