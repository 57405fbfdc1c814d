"""The steps every sheet action is made of: lock, ask the gate, move, record.

The actions themselves (``send``, ``desk_actions``, ``sender_actions``, ``messages``,
``periodic``, ``reactions``) each read top to bottom as one transaction, in the shape::

    with gated() as gate:                       # consent.refusals: a refusal commits, then raises
        sheet = begin(gate, actor, sheet_id, "return")   # lock, gate, lifecycle check
        move(actor, sheet, "return", EventKind.RETURNED, note=reason, now=timezone.now())
        notify.sheet_updated(sheet)             # inbox events, pushed on commit
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import connection
from django.utils import timezone

from referral_hub.audit.log import record
from referral_hub.consent import locks as consent_locks
from referral_hub.consent import policy
from referral_hub.consent.refusals import Gate
from referral_hub.directory import roles
from referral_hub.directory.models import Desk
from referral_hub.handoffs import lifecycle
from referral_hub.handoffs.arrival_codes import arrival_code
from referral_hub.handoffs.errors import InvalidInput, InvalidTransition, NotFound
from referral_hub.handoffs.models import ConnectSheet, SheetCounter, SheetEvent
from referral_hub.handoffs.selectors import facts_of

MAX_TEXT = 4000


def assign_number(sheet: ConnectSheet, now: datetime.datetime) -> None:
    """Give ``sheet`` the next number of its year (2026-000123): gapless, in commit order.

    Call it as the last write before the audit events are chained. The counter row stays
    locked from this UPDATE to the commit, so concurrent sends wait for each other only for
    these statements and the audit append, not for the whole send (encryption, timeline,
    inbox rows)."""
    year = timezone.localtime(now).year
    table = connection.ops.quote_name(SheetCounter._meta.db_table)
    for _ in range(2):
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET last = last + 1 WHERE year = %s RETURNING last",  # noqa: S608 - table name from model metadata
                [year],
            )
            row = cursor.fetchone()
        if row is not None:
            sheet.number = f"{year}-{row[0]:06d}"
            sheet.arrival_code = arrival_code(sheet.number)
            ConnectSheet.objects.filter(pk=sheet.pk).update(
                number=sheet.number, arrival_code=sheet.arrival_code
            )
            return
        SheetCounter.objects.get_or_create(year=year)  # the year's first sheet
    raise RuntimeError("sheet counter row missing")  # pragma: no cover - created just above


def lock_sheet(sheet_id: int) -> ConnectSheet:
    """Lock the sheet's consent (shared), then the sheet: the lock order of consent/locks.py.
    The sheet's ``consent`` is the row read under that lock, so the gate decides on it.
    Raises ``NotFound``."""
    consent_id = ConnectSheet.objects.filter(pk=sheet_id).values_list("consent_id", flat=True)
    consent = consent_locks.share_consent(consent_id.first())
    try:
        sheet = ConnectSheet.objects.select_for_update().get(pk=sheet_id)
    except ConnectSheet.DoesNotExist:
        raise NotFound() from None
    if consent is not None:
        sheet.consent = consent
    return sheet


def audit_sheet(
    actor: Any,
    sheet: ConnectSheet,
    action: str,
    *,
    legal_basis: str = "",
    details: dict[str, Any] | None = None,
) -> None:
    """Record ``action`` on ``sheet`` (its status and owner desk code in the details)."""
    record(
        action,
        actor=actor,
        actor_desk=roles.place_label(actor) if actor else "",
        target_type="sheet",
        target_id=sheet.pk,
        resident_id=sheet.resident_id,
        legal_basis=legal_basis,
        details={"status": sheet.status, "owner_desk": sheet.owner_desk.code, **(details or {})},
    )


# The audit action of each state change, in the past tense. The gate records its decision on
# the same step under the request's name (``sheet.redirect``: the disclosure or the refusal);
# one action name means one kind of event, so counts by action are not doubled. ``contacted``
# and ``connected`` are already the gate's names, hence ``marked_*``.
STATE_CHANGE_ACTIONS: dict[str, str] = {
    "acknowledge": "sheet.acknowledged",
    "accept": "sheet.accepted",
    "contacted": "sheet.marked_contacted",
    "connected": "sheet.marked_connected",
    "redirect": "sheet.redirected",
    "return": "sheet.returned",
    "close": "sheet.closed",
    "resend": "sheet.resent",
    "withdraw": "sheet.withdrawn",
}


def move(
    actor: Any,
    sheet: ConnectSheet,
    action: str,
    kind: str,
    *,
    note: str = "",
    outcome: str = "",
    from_desk: Desk | None = None,
    to_desk: Desk | None = None,
    now: datetime.datetime,
    shared: bool = False,
) -> None:
    """Apply the transition's status, write the timeline event and the audit event.
    ``shared``: the desk marked the note for the sender (the gate has allowed it)."""
    from_status = sheet.status
    sheet.status = lifecycle.target(action)
    sheet.version += 1
    sheet.save()
    SheetEvent.objects.create(  # type: ignore[misc]  # encrypted fields: stubs see no attname
        sheet=sheet,
        kind=kind,
        actor=actor,
        at=now,
        from_status=from_status,
        to_status=sheet.status,
        from_desk=from_desk,
        to_desk=to_desk,
        outcome=outcome,
        note=note.strip()[:MAX_TEXT],
        shared_with_sender=shared,
    )
    details: dict[str, Any] = {"from": from_status}
    if shared:
        details["shared_with_sender"] = True
    if outcome:
        details["outcome"] = outcome
    if to_desk is not None:
        details["to_desk"] = to_desk.code
    audit_sheet(actor, sheet, STATE_CHANGE_ACTIONS[action], details=details)


def begin(gate: Gate, actor: Any, sheet_id: int, action: str, **kwargs: Any) -> ConnectSheet:
    """Lock the sheet and pass ``policy.authorize_action`` through ``gate``; raises
    ``InvalidTransition`` (rolling back) when the gate allows but the status does not."""
    sheet = lock_sheet(sheet_id)
    gate(policy.authorize_action(actor, action, facts_of(sheet), **kwargs))
    if not lifecycle.can(action, sheet.status):
        raise InvalidTransition(action, sheet.status)
    return sheet


def to_sender_gate(
    actor: Any, sheet: ConnectSheet, action: str, *, to_sender: bool = True
) -> policy.Decision:
    """The gate's check for a write the sending side reads (a message, a shared note)."""
    return policy.authorize_to_sender(
        actor,
        action,
        facts_of(sheet),
        basis=sheet.legal_basis,
        consent=sheet.consent,
        to_sender=to_sender,
    )


def require_text(text: str, code: str, message: str, field_name: str) -> str:
    """The stripped ``text``; raises ``InvalidInput`` when empty or over ``MAX_TEXT``."""
    if not text or not text.strip():
        raise InvalidInput(code, message, field_name)
    if len(text) > MAX_TEXT:
        raise InvalidInput("too_long", f"{MAX_TEXT}文字以内で記入してください。", field_name)
    return text.strip()
