"""Parallel sheets joined into one case (issue 20).

When a sheet is sent for a resident who already has an open sheet at the same desk, the new
sheet is linked to the open one (``linked_to``, always the case's first sheet). The desk sees
one case: both senders' words and one SLA clock (the earliest deadline). Each sender sees only
its own sheet: ``linked_to`` / ``linked_sheets`` never appear in a sender's view, and linking
changes nothing the second sender receives (same response, same events, at the same moment).
Closing the case (its first sheet) closes every open sheet linked to it with the same outcome;
each sender is told through its own sheet, within its own consent. A linked sheet may be closed
on its own (``duplicate``, say) without closing the case.
"""

from __future__ import annotations

import datetime

from django.db.models import Q

from referral_hub.handoffs.models import OPEN_STATUSES, ConnectSheet


def open_case_for(resident_id: int, desk_id: int) -> ConnectSheet | None:
    """The case (first sheet) an incoming sheet for ``resident_id`` at ``desk_id`` joins, or
    None. Runs whether or not one exists, so a send takes the same path either way."""
    sheet = (
        ConnectSheet.objects.filter(
            resident_id=resident_id, owner_desk_id=desk_id, status__in=OPEN_STATUSES
        )
        .order_by("sent_at", "id")
        .only("id", "linked_to_id")
        .first()
    )
    if sheet is None:
        return None
    return ConnectSheet.objects.get(pk=sheet.linked_to_id) if sheet.linked_to_id else sheet


def case_root_id(sheet: ConnectSheet) -> int:
    return sheet.linked_to_id or sheet.pk


def case_sheets(sheet: ConnectSheet) -> list[ConnectSheet]:
    """Every sheet of ``sheet``'s case, the first one first (ids, for the desk's view)."""
    root = case_root_id(sheet)
    return list(
        ConnectSheet.objects.filter(Q(pk=root) | Q(linked_to_id=root)).order_by("sent_at", "id")
    )


def linked_ids(sheet: ConnectSheet) -> list[int]:
    """The ids of the other sheets of the case (``linked_sheets`` in desk views)."""
    return [s.pk for s in case_sheets(sheet) if s.pk != sheet.pk]


def case_due_at(sheet: ConnectSheet) -> datetime.datetime:
    """One SLA clock for the case: the earliest acknowledgement deadline of its open sheets."""
    dues = [s.ack_due_at for s in case_sheets(sheet) if s.status in OPEN_STATUSES]
    return min(dues) if dues else sheet.ack_due_at


def open_linked_for_update(sheet: ConnectSheet) -> list[ConnectSheet]:
    """When ``sheet`` is a case (the first sheet), its linked open sheets at the same desk,
    locked (ordered by id: a fixed order); closing the case closes them. A linked sheet closed
    on its own (e.g. as ``duplicate``) closes alone: []."""
    if sheet.linked_to_id is not None:
        return []
    return list(
        ConnectSheet.objects.select_for_update()
        .filter(linked_to_id=sheet.pk, status__in=OPEN_STATUSES)
        .filter(owner_desk_id=sheet.owner_desk_id)
        .exclude(pk=sheet.pk)
        .select_related("owner_desk")
        .order_by("id")
    )
