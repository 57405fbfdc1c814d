"""Sending a sheet: a clerk sends the resident's situation to a desk (one request once the
consent exists). The gate's ``sheet.send`` row is the disclosure; ``sheet.sent`` the state change."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from django.utils import timezone

from referral_hub.audit.log import retarget
from referral_hub.consent import locks as consent_locks
from referral_hub.consent import policy
from referral_hub.consent.categories import Basis, Category
from referral_hub.consent.models import Consent, Resident
from referral_hub.consent.refusals import gated
from referral_hub.directory import roles
from referral_hub.directory.models import Concern, Desk
from referral_hub.handoffs import cases, notify, sla, staffing
from referral_hub.handoffs.errors import InvalidInput
from referral_hub.handoffs.models import (
    ConnectSheet,
    EventKind,
    HandoffMethod,
    SheetEvent,
    Status,
    Urgency,
)
from referral_hub.handoffs.steps import MAX_TEXT, assign_number, audit_sheet
from referral_hub.vault.keys import new_data_key


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
    support_meeting: int | None = None  # the meeting's id, with legal_basis support_meeting
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


def send_sheet(actor: Any, data: SheetInput) -> ConnectSheet:
    """A clerk sends the resident's situation to a desk (one request once consent exists).
    Raises ``InvalidInput`` (nothing recorded) or ``Refused`` (the refusal is recorded)."""
    _validate(data)
    staffing.require_staffed(data.to_desk, exclude=roles.desk_ids(actor))
    categories = sheet_categories(data)
    meeting_id = data.support_meeting if data.legal_basis == Basis.SUPPORT_MEETING else None
    with gated() as gate:
        # The gate decides on the consent and the sender's memberships as read under their
        # locks (consent/locks.py), and the sheet names the place the sender holds now.
        data = replace(data, consent=consent_locks.share_consent(data.consent))
        _, desk_id = roles.home_place(actor)  # places() here is read under the account lock
        department = roles.home_department(actor)
        decision = gate(
            policy.authorize(
                actor,
                data.resident,
                data.to_desk,
                categories,
                "sheet.send",
                basis=data.legal_basis,
                consent=data.consent if data.legal_basis == Basis.CONSENT else None,
                justification=data.justification,
                sender_department=department,
                support_meeting=meeting_id,
            )
        )
        now = timezone.now()
        # A parallel sheet joins the resident's open case at this desk (issue 20). Asked on
        # every send, so the sender's path is the same whether or not a case exists.
        case = cases.open_case_for(data.resident.pk, data.to_desk.pk)
        sheet = ConnectSheet.objects.create(  # type: ignore[misc]  # encrypted fields: stubs see no attname
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
            support_meeting_id=meeting_id,
            sent_at=now,
            owner_since=now,
            ack_due_at=sla.ack_due_at(now, data.urgency),
            linked_to=case,
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
        audit_sheet(
            actor,
            sheet,
            "sheet.sent",
            details={
                "to_desk": data.to_desk.code,
                "urgency": data.urgency,
                **({"support_meeting": meeting_id} if meeting_id else {}),
            },
        )
        notify.sheet_received(sheet)
        assign_number(sheet, now)
    return sheet
