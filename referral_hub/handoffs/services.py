"""The single write path for connect sheets: one function per domain action.

Each function checks the policy gate (``consent.policy``), changes state under a row lock,
writes the timeline event and the audit event in the same transaction, and stores inbox events
that are pushed after commit. A refusal is recorded and committed before it is raised.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field, replace
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from referral_hub.audit.log import batched, record, retarget
from referral_hub.consent import locks as consent_locks
from referral_hub.consent import policy
from referral_hub.consent.categories import Basis, Category
from referral_hub.consent.models import Consent, Resident
from referral_hub.directory import roles
from referral_hub.directory.models import Concern, Department, Desk
from referral_hub.handoffs import lifecycle, notify, sla
from referral_hub.handoffs.errors import InvalidInput, InvalidTransition, NotFound, Refused
from referral_hub.handoffs.models import (
    ConnectSheet,
    EventKind,
    HandoffMethod,
    Outcome,
    SheetCounter,
    SheetEvent,
    SheetMessage,
    Status,
    Urgency,
)
from referral_hub.vault.keys import new_data_key

MAX_TEXT = 4000


@dataclass(frozen=True)
class SheetInput:
    resident: Resident
    to_desk: Desk
    concerns: list[Concern]
    urgency: str
    legal_basis: str
    handoff_method: str
    summary: str = ""
    resident_words: str = ""
    consent: Consent | None = None
    justification: str = ""
    contact_preference: str = ""
    details: dict[str, str] = field(default_factory=dict)  # "tax" | "health" | "household" -> text


def sheet_categories(data: SheetInput) -> list[str]:
    """What the sheet carries: identity and the concern always; tax, health and household
    details only when filled in, so the consent must explicitly cover them (tax secrecy)."""
    categories = {Category.IDENTITY, Category.CONCERN}
    for name in (Category.TAX, Category.HEALTH, Category.HOUSEHOLD):
        if data.details.get(name, "").strip():
            categories.add(name)
    return sorted(categories)


def _validate(data: SheetInput) -> None:
    if data.urgency not in Urgency.values:
        raise InvalidInput(
            "invalid_urgency", "緊急度は urgent / soon / normal のいずれかです。", "urgency"
        )
    if data.handoff_method not in HandoffMethod.values:
        raise InvalidInput("invalid_handoff_method", "つなぎ方を選んでください。", "handoff_method")
    if data.legal_basis not in Basis.values:
        raise InvalidInput("invalid_legal_basis", "法的根拠を選んでください。", "legal_basis")
    if not data.concerns:
        raise InvalidInput("concerns_required", "困りごとを1つ以上選んでください。", "concerns")
    if not (data.summary.strip() or data.resident_words.strip()):
        raise InvalidInput(
            "summary_required", "状況か本人の言葉のどちらかを記入してください。", "summary"
        )
    unknown = set(data.details) - {Category.TAX, Category.HEALTH, Category.HOUSEHOLD}
    if unknown:
        raise InvalidInput(
            "invalid_details", f"不明な詳細項目です: {', '.join(sorted(unknown))}", "details"
        )
    for name, text in [
        ("summary", data.summary),
        ("resident_words", data.resident_words),
        ("justification", data.justification),
        *data.details.items(),
    ]:
        if len(text) > MAX_TEXT:
            raise InvalidInput("too_long", f"{name} は{MAX_TEXT}文字以内で記入してください。", name)
    if not data.to_desk.is_active:
        raise InvalidInput("desk_inactive", "この窓口は現在受け付けていません。", "to_desk")


def _assign_number(sheet: ConnectSheet, now: datetime.datetime) -> None:
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
            ConnectSheet.objects.filter(pk=sheet.pk).update(number=sheet.number)
            return
        SheetCounter.objects.get_or_create(year=year)  # the year's first sheet
    raise RuntimeError("sheet counter row missing")  # pragma: no cover - created just above


def send_sheet(actor: Any, data: SheetInput) -> ConnectSheet:
    """A clerk sends the resident's situation to a desk (one request once consent exists)."""
    _validate(data)
    categories = sheet_categories(data)
    department_id, desk_id = roles.home_place(actor)
    department = Department.objects.filter(pk=department_id).first() if department_id else None
    with transaction.atomic(), batched():
        # The gate decides on the consent as read under its lock (consent/locks.py).
        data = replace(data, consent=consent_locks.share_consent(data.consent))
        decision = policy.authorize(
            actor,
            data.resident,
            data.to_desk,
            categories,
            "sheet.send",
            basis=data.legal_basis,
            consent=data.consent if data.legal_basis == Basis.CONSENT else None,
            justification=data.justification,
            sender_department=department,
        )
        if decision.allowed:
            now = timezone.now()
            sheet = ConnectSheet.objects.create(
                data_key=new_data_key(),
                resident=data.resident,
                from_department=department,
                from_desk_id=desk_id,
                sent_by=actor,
                owner_desk=data.to_desk,
                summary=data.summary.strip(),
                resident_words=data.resident_words.strip(),
                tax_details=data.details.get(Category.TAX, "").strip(),
                health_details=data.details.get(Category.HEALTH, "").strip(),
                household_details=data.details.get(Category.HOUSEHOLD, "").strip(),
                contact_preference=data.contact_preference.strip(),
                justification=data.justification.strip(),
                categories=categories,
                urgency=data.urgency,
                handoff_method=data.handoff_method,
                legal_basis=data.legal_basis,
                consent=data.consent if data.legal_basis == Basis.CONSENT else None,
                sent_at=now,
                owner_since=now,
                ack_due_at=sla.ack_due_at(now, data.urgency),
            )
            sheet.concerns.add(*data.concerns)  # a new sheet: nothing to diff against
            SheetEvent.objects.create(
                sheet=sheet,
                kind=EventKind.SENT,
                actor=actor,
                at=now,
                to_status=Status.SENT,
                to_desk=data.to_desk,
            )
            # The gate's "sheet.send" row is the disclosure and its basis; it names the sheet
            # now that the sheet exists. "sheet.sent" below is the state change.
            if decision.event is not None:
                retarget(decision.event, "sheet", sheet.pk)
            _audit(
                actor,
                sheet,
                "sheet.sent",
                details={"to_desk": data.to_desk.code, "urgency": data.urgency},
            )
            notify.sheet_received(sheet)
            _assign_number(sheet, now)
    if not decision.allowed:
        raise Refused(decision)
    return sheet


# --- helpers shared by the lifecycle actions ---------------------------------------------------


def facts_of(sheet: ConnectSheet) -> policy.SheetFacts:
    previous = SheetEvent.objects.filter(sheet=sheet, kind=EventKind.REDIRECTED).values_list(
        "from_desk_id", flat=True
    )
    return policy.SheetFacts(
        sheet_id=sheet.pk,
        resident_id=sheet.resident_id,
        owner_desk_id=sheet.owner_desk_id,
        sender_id=sheet.sent_by_id,
        sender_department_id=sheet.from_department_id,
        sender_desk_id=sheet.from_desk_id,
        previous_desk_ids=frozenset(d for d in previous if d is not None),
        redirect_count=sheet.redirect_count,
    )


def _lock(sheet_id: int) -> ConnectSheet:
    """Lock the sheet's consent (shared), then the sheet: the lock order of consent/locks.py.
    The sheet's ``consent`` is the row read under that lock, so the gate decides on it."""
    consent_id = ConnectSheet.objects.filter(pk=sheet_id).values_list("consent_id", flat=True)
    consent = consent_locks.share_consent(consent_id.first())
    try:
        sheet = ConnectSheet.objects.select_for_update().get(pk=sheet_id)
    except ConnectSheet.DoesNotExist:
        raise NotFound() from None
    if consent is not None:
        sheet.consent = consent
    return sheet


def _audit(
    actor: Any,
    sheet: ConnectSheet,
    action: str,
    *,
    legal_basis: str = "",
    details: dict[str, Any] | None = None,
) -> None:
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


def _move(
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
    SheetEvent.objects.create(
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
    _audit(actor, sheet, STATE_CHANGE_ACTIONS[action], details=details)


def _begin(
    actor: Any, sheet_id: int, action: str, **kwargs: Any
) -> tuple[ConnectSheet, policy.Decision]:
    sheet = _lock(sheet_id)
    decision = policy.authorize_action(actor, action, facts_of(sheet), **kwargs)
    if decision.allowed and not lifecycle.can(action, sheet.status):
        raise InvalidTransition(action, sheet.status)
    return sheet, decision


def _to_sender_gate(
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


def _require(text: str, code: str, message: str, field_name: str) -> str:
    if not text or not text.strip():
        raise InvalidInput(code, message, field_name)
    if len(text) > MAX_TEXT:
        raise InvalidInput("too_long", f"{MAX_TEXT}文字以内で記入してください。", field_name)
    return text.strip()


# --- desk actions --------------------------------------------------------------------------------


def _milestone(
    actor: Any,
    sheet_id: int,
    action: str,
    kind: str,
    stamp: str,
    note: str = "",
    handler_id: int | None = None,
    share_with_sender: bool = False,
) -> ConnectSheet:
    """A forward step of the owner desk: stamp the milestone's time, record it, tell everyone.
    The note stays with the desk unless ``share_with_sender`` (refused with
    ``feedback_not_consented`` when the consent does not cover feedback)."""
    gate_args = {"handler_id": handler_id} if action == "accept" else {}
    shared = share_with_sender and bool(note.strip())
    with transaction.atomic(), batched():
        sheet, decision = _begin(actor, sheet_id, action, **gate_args)
        if decision.allowed and shared:
            decision = _to_sender_gate(actor, sheet, action)
        if decision.allowed:
            now = timezone.now()
            setattr(sheet, stamp, now)
            if action == "accept":
                sheet.handler_id = handler_id or actor.pk
            _move(actor, sheet, action, kind, note=note, now=now, shared=shared)
            notify.sheet_updated(sheet)
    if not decision.allowed:
        raise Refused(decision)
    return sheet


def acknowledge(actor: Any, sheet_id: int) -> ConnectSheet:
    """受付: the desk confirms receipt; the SLA clock stops."""
    return _milestone(actor, sheet_id, "acknowledge", EventKind.ACKNOWLEDGED, "acknowledged_at")


def accept(actor: Any, sheet_id: int, handler_id: int | None = None) -> ConnectSheet:
    """担当決定: a named handler takes the case (a lead may assign a colleague)."""
    return _milestone(
        actor, sheet_id, "accept", EventKind.ACCEPTED, "accepted_at", handler_id=handler_id
    )


def mark_contacted(
    actor: Any, sheet_id: int, note: str = "", *, share_with_sender: bool = False
) -> ConnectSheet:
    """連絡済: first contact with the resident made."""
    return _milestone(
        actor,
        sheet_id,
        "contacted",
        EventKind.CONTACTED,
        "contacted_at",
        note,
        share_with_sender=share_with_sender,
    )


def mark_connected(
    actor: Any, sheet_id: int, note: str = "", *, share_with_sender: bool = False
) -> ConnectSheet:
    """つながった: support or consultation started."""
    return _milestone(
        actor,
        sheet_id,
        "connected",
        EventKind.CONNECTED,
        "connected_at",
        note,
        share_with_sender=share_with_sender,
    )


def redirect_sheet(actor: Any, sheet_id: int, to_desk: Desk, reason: str) -> ConnectSheet:
    """転送: the sheet, with its whole content and timeline, moves to a better desk that the
    consent covers. Two redirects alert the leads; further ones need a lead."""
    reason = _require(reason, "reason_required", "転送の理由を記入してください。", "reason")
    with transaction.atomic(), batched():
        sheet, decision = _begin(actor, sheet_id, "redirect", to_desk_id=to_desk.pk)
        if decision.allowed and to_desk.pk == sheet.owner_desk_id:
            raise InvalidInput("same_desk", "すでにこの窓口のシートです。", "to_desk")
        if decision.allowed and not to_desk.is_active:
            raise InvalidInput("desk_inactive", "この窓口は現在受け付けていません。", "to_desk")
        if decision.allowed:
            decision = policy.authorize(
                actor,
                sheet.resident,
                to_desk,
                sheet.categories,
                "sheet.redirect",
                basis=sheet.legal_basis,
                consent=sheet.consent,
                justification=sheet.justification,
                target=("sheet", sheet.pk),
                sender_department=None,
            )
        if decision.allowed:
            now = timezone.now()
            from_desk = sheet.owner_desk
            sheet.owner_desk = to_desk
            sheet.owner_since = now
            sheet.ack_due_at = sla.ack_due_at(now, sheet.urgency)
            sheet.overdue_notified_at = None
            sheet.handler = None
            sheet.acknowledged_at = sheet.accepted_at = sheet.contacted_at = sheet.connected_at = (
                None
            )
            sheet.redirect_count += 1
            _move(
                actor,
                sheet,
                "redirect",
                EventKind.REDIRECTED,
                note=reason,
                from_desk=from_desk,
                to_desk=to_desk,
                now=now,
            )
            notify.sheet_received(sheet)
            notify.sheet_left_desk(sheet, from_desk.pk)
            if sheet.redirect_count >= policy.REDIRECTS_BEFORE_LEAD:
                passed = set(facts_of(sheet).previous_desk_ids) | {to_desk.pk}
                SheetEvent.objects.create(
                    sheet=sheet,
                    kind=EventKind.RUNAROUND_ALERT,
                    at=now,
                    from_status=sheet.status,
                    to_status=sheet.status,
                    to_desk=to_desk,
                )
                _audit(
                    None,
                    sheet,
                    "sheet.runaround_alert",
                    details={"redirects": sheet.redirect_count},
                )
                notify.runaround_alert(sheet, passed)
    if not decision.allowed:
        raise Refused(decision)
    return sheet


def return_sheet(actor: Any, sheet_id: int, reason: str) -> ConnectSheet:
    """差戻し: back to the sender with a question; the desk still owns it until resent or withdrawn."""
    reason = _require(reason, "reason_required", "差戻しの理由を記入してください。", "reason")
    with transaction.atomic(), batched():
        sheet, decision = _begin(actor, sheet_id, "return")
        if decision.allowed:
            _move(actor, sheet, "return", EventKind.RETURNED, note=reason, now=timezone.now())
            notify.sheet_updated(sheet)
    if not decision.allowed:
        raise Refused(decision)
    return sheet


def close_sheet(
    actor: Any, sheet_id: int, outcome: str, note: str = "", *, share_with_sender: bool = False
) -> ConnectSheet:
    """終結 with an outcome category, which the sender sees; the note only if shared (as
    ``_milestone``)."""
    if outcome not in Outcome.values:
        raise InvalidInput("invalid_outcome", "終結の結果を選んでください。", "outcome")
    shared = share_with_sender and bool(note.strip())
    with transaction.atomic(), batched():
        sheet, decision = _begin(actor, sheet_id, "close")
        if decision.allowed and shared:
            decision = _to_sender_gate(actor, sheet, "close")
        if decision.allowed:
            needed = lifecycle.OUTCOME_REQUIRES_STATUS.get(outcome)
            if needed and sheet.status not in needed:
                raise InvalidTransition(f"close:{outcome}", sheet.status)
            now = timezone.now()
            sheet.outcome = outcome
            sheet.closed_at = now
            _move(
                actor,
                sheet,
                "close",
                EventKind.CLOSED,
                note=note,
                outcome=outcome,
                now=now,
                shared=shared,
            )
            notify.sheet_updated(sheet, outcome=outcome)
    if not decision.allowed:
        raise Refused(decision)
    return sheet


# --- sender actions ------------------------------------------------------------------------------


def resend_sheet(actor: Any, sheet_id: int, note: str = "") -> ConnectSheet:
    """The sender answers a return and sends the sheet to the same desk again."""
    with transaction.atomic(), batched():
        sheet, decision = _begin(actor, sheet_id, "resend")
        if decision.allowed:
            decision = policy.authorize(
                actor,
                sheet.resident,
                sheet.owner_desk,
                sheet.categories,
                "sheet.resend",
                basis=sheet.legal_basis,
                consent=sheet.consent,
                justification=sheet.justification,
                target=("sheet", sheet.pk),
                sender_department=sheet.from_department,
            )
        if decision.allowed:
            now = timezone.now()
            sheet.owner_since = now
            sheet.ack_due_at = sla.ack_due_at(now, sheet.urgency)
            sheet.overdue_notified_at = None
            sheet.acknowledged_at = None
            _move(
                actor,
                sheet,
                "resend",
                EventKind.RESENT,
                note=note,
                to_desk=sheet.owner_desk,
                now=now,
            )
            notify.sheet_received(sheet)
            _assign_number(sheet, now)
    if not decision.allowed:
        raise Refused(decision)
    return sheet


def withdraw_sheet(actor: Any, sheet_id: int, reason: str) -> ConnectSheet:
    """The sender withdraws the sheet before the desk accepted it."""
    reason = _require(reason, "reason_required", "取下げの理由を記入してください。", "reason")
    with transaction.atomic(), batched():
        sheet, decision = _begin(actor, sheet_id, "withdraw")
        if decision.allowed:
            now = timezone.now()
            sheet.closed_at = now
            _move(actor, sheet, "withdraw", EventKind.WITHDRAWN, note=reason, now=now)
            notify.sheet_updated(sheet)
    if not decision.allowed:
        raise Refused(decision)
    return sheet


# --- messages ------------------------------------------------------------------------------------


def post_message(actor: Any, sheet_id: int, body: str) -> SheetMessage:
    """A message on the sheet's thread. The desk's message reaches the sender only with the
    resident's consent to feedback, so without it the desk is refused before anything is sent
    (``feedback_not_consented``); after a withdrawal neither side may post (``consent_withdrawn``)."""
    body = _require(body, "body_required", "メッセージを入力してください。", "body")
    with transaction.atomic(), batched():
        sheet = _lock(sheet_id)
        facts = facts_of(sheet)
        on_desk = sheet.owner_desk_id in roles.desk_ids(actor)
        action = "desk_message" if on_desk else "sender_message"
        decision = policy.authorize_action(actor, action, facts)
        if decision.allowed and sheet.status in (Status.CLOSED, Status.WITHDRAWN):
            raise InvalidTransition("message", sheet.status)
        if decision.allowed:
            decision = _to_sender_gate(actor, sheet, action, to_sender=on_desk)
        if decision.allowed:
            message = SheetMessage.objects.create(
                sheet=sheet,
                author=actor,
                side=SheetMessage.Side.DESK if on_desk else SheetMessage.Side.SENDER,
                desk=sheet.owner_desk if on_desk else None,
                body=body,
                created_at=timezone.now(),
            )
            _audit(
                actor,
                sheet,
                "sheet.message_posted",
                details={"side": message.side, "message": message.pk},
            )
            notify.sheet_message(sheet, author_id=actor.pk)
    if not decision.allowed:
        raise Refused(decision)
    return message


# --- periodic work -------------------------------------------------------------------------------


def sweep_overdue(now: datetime.datetime | None = None) -> int:
    """Record the overdue event once per sheet and owner period, and notify the owner desk, its
    leads and the sender. Safe to run from several processes (rows are locked and re-checked)."""
    now = now or timezone.now()
    due = ConnectSheet.objects.filter(
        status=Status.SENT, ack_due_at__lt=now, overdue_notified_at__isnull=True
    )
    count = 0
    for sheet_id in due.values_list("pk", flat=True).iterator():
        with transaction.atomic(), batched():
            sheet = ConnectSheet.objects.select_for_update().get(pk=sheet_id)
            if (
                sheet.status != Status.SENT
                or sheet.overdue_notified_at is not None
                or sheet.ack_due_at >= now
            ):
                continue
            sheet.overdue_notified_at = now
            sheet.save(update_fields=["overdue_notified_at", "updated_at"])
            SheetEvent.objects.create(
                sheet=sheet,
                kind=EventKind.OVERDUE,
                at=now,
                from_status=sheet.status,
                to_status=sheet.status,
                to_desk=sheet.owner_desk,
            )
            _audit(
                None, sheet, "sheet.overdue", details={"ack_due_at": sheet.ack_due_at.isoformat()}
            )
            notify.sheet_overdue(sheet)
            count += 1
    return count


def on_consent_withdrawn(consent_id: int) -> None:
    """Open views of sheets sent under the consent are told at once (they re-fetch and are refused)."""
    sheets = (
        ConnectSheet.objects.filter(consent_id=consent_id)
        .exclude(status__in=[Status.CLOSED, Status.WITHDRAWN])
        .order_by("pk")  # the lock order: sheets by ascending id (consent/locks.py)
    )
    for sheet in sheets:
        SheetEvent.objects.create(
            sheet=sheet,
            kind=EventKind.CONSENT_WITHDRAWN,
            at=timezone.now(),
            from_status=sheet.status,
            to_status=sheet.status,
        )
    notify.consent_withdrawn(sheets, consent_id)


def on_disclosure_flagged(event: Any) -> None:
    """The privacy officer flagged a disclosure made without consent: the leads of the desk that
    received it are told (ids only; the lead opens the review through the audited pages)."""
    details = event.details or {}
    code = details.get("recipient_desk") or details.get("owner_desk") or ""
    desk = Desk.objects.filter(code=code).first()
    if desk is None:
        return
    # The gate's row names the sheet it disclosed (a send's row too, since issue 16). Rows
    # written before that named the resident; their alert carries no sheet rather than a guess.
    sheet = None
    if event.target_type == "sheet":
        sheet = ConnectSheet.objects.filter(pk=event.target_id).first()
    status = sheet.status if sheet else ""
    notify.lead_alert(desk.pk, sheet.pk if sheet else None, status, "disclosure_flagged")
