"""The bodies of the sheet API's answers (``handoffs.api``), built by plain functions:
``sheet_summary`` (a list row), ``sheet_detail`` (desk or sender view), ``event_out``,
``message_out``. ``handoffs.schemas`` describes these shapes field by field for OpenAPI."""

from __future__ import annotations

from typing import Any

from referral_hub.consent import policy
from referral_hub.consent.models import Resident
from referral_hub.directory.models import Concern
from referral_hub.handoffs import cases, selectors
from referral_hub.handoffs.models import ConnectSheet, EventKind, SheetMessage


def sheet_summary(sheet: ConnectSheet, concerns: list[Concern] | None = None) -> dict[str, Any]:
    """A list row: ids, codes, statuses and times only (no personal data). ``concerns``: the
    sheet's concerns when the caller has them already (a sheet just sent), in the concerns'
    display order (``Concern.Meta.ordering``); else they are read."""
    if concerns is None:
        concerns = list(sheet.concerns.all())
    return {
        "id": sheet.pk,
        "number": sheet.number,
        "status": sheet.status,
        "urgency": sheet.urgency,
        "owner_desk": sheet.owner_desk.code,
        "from_department": sheet.from_department.code if sheet.from_department else None,
        "from_desk": sheet.from_desk.code if sheet.from_desk else None,
        "concerns": [c.code for c in concerns],
        "handoff_method": sheet.handoff_method,
        "legal_basis": sheet.legal_basis,
        "support_meeting": sheet.support_meeting_id,
        "sent_at": sheet.sent_at,
        "ack_due_at": sheet.ack_due_at,
        "overdue": selectors.is_overdue(sheet),
        "redirect_count": sheet.redirect_count,
        "handler": sheet.handler_id,
        "outcome": sheet.outcome or None,
        "version": sheet.version,
        "arrival_code": sheet.arrival_code,
        "arrived_at": sheet.arrived_at,
        # Marked in every list (issue 20): the desk closes it with ``consent_withdrawn``.
        "consent_withdrawn": consent_withdrawn(sheet),
    }


def consent_withdrawn(sheet: ConnectSheet) -> bool:
    consent = sheet.consent
    return consent is not None and consent.withdrawn_at is not None


def resident_out(resident: Resident) -> dict[str, Any]:
    """The identity fields the owner desk reads (audited by the caller's selector)."""
    return {
        "id": resident.pk,
        "family_name": resident.family_name,
        "given_name": resident.given_name,
        "family_name_kana": resident.family_name_kana,
        "given_name_kana": resident.given_name_kana,
        "birth_date": resident.birth_date,
        "address": resident.address,
        "phone": resident.phone,
    }


def sheet_detail(
    view: selectors.SheetView, sent_content: dict[str, Any] | None = None
) -> dict[str, Any]:
    """``sent_content``: the sending side's copy of what it sent (``sent_copy``), sender view."""
    sheet = view.sheet
    body = sheet_summary(sheet)
    body["view"] = view.role
    body["allowed_actions"] = view.allowed_actions
    body["milestones"] = {
        "sent_at": sheet.sent_at,
        "acknowledged_at": sheet.acknowledged_at,
        "accepted_at": sheet.accepted_at,
        "contacted_at": sheet.contacted_at,
        "connected_at": sheet.connected_at,
        "closed_at": sheet.closed_at,
    }
    body["consent_status"] = sheet.consent.status if sheet.consent else None
    if view.role == "desk":
        body.update(
            {
                "resident": resident_out(sheet.resident),
                "summary": sheet.summary,
                "resident_words": sheet.resident_words,
                "details": {
                    "tax": sheet.tax_details,
                    "health": sheet.health_details,
                    "household": sheet.household_details,
                },
                "contact_preference": sheet.contact_preference,
                "justification": sheet.justification,
                "categories": sheet.categories,
                "consent": sheet.consent_id,
                "first_contact_due_at": sheet.first_contact_due_at,
                "escalation_rung": sheet.escalation_rung,
                "stalled": sheet.stalled_at is not None,
                "linked_sheets": cases.linked_ids(sheet),
                "case_due_at": cases.case_due_at(sheet),
                "case_words": case_words(view),
                "attachments": [
                    {
                        "id": a.pk,
                        "filename": a.filename,
                        "size": a.size,
                        "content_type": a.content_type,
                        "sha256": a.sha256,
                    }
                    for a in sheet.attachments.all()
                ],
            }
        )
    else:
        body["feedback"] = view.feedback
        body["sent_content"] = sent_content
        if view.feedback:
            body["resident"] = {
                "id": sheet.resident_id,
                "family_name": sheet.resident.family_name,
                "given_name": sheet.resident.given_name,
            }
    return body


def case_words(view: selectors.SheetView) -> list[dict[str, Any]]:
    """Both senders' words for the desk's one case (the sheet's own first; the others the gate
    let the desk read), issue 20."""
    return [
        {
            "sheet": s.pk,
            "number": s.number,
            "from_department": s.from_department.code if s.from_department else None,
            "from_desk": s.from_desk.code if s.from_desk else None,
            "sent_at": s.sent_at,
            "summary": s.summary,
            "resident_words": s.resident_words,
        }
        for s in (view.sheet, *view.case)
    ]


def event_out(event, view: selectors.SheetView) -> dict[str, Any]:
    # The sender reads a desk note only if the desk shared it and the consent covers feedback;
    # the reason for a return (the desk's question) and its own notes always.
    show_note = view.role == "desk" or (
        view.role == "sender"
        and policy.sender_sees_note(event.kind, event.shared_with_sender, view.feedback)
    )
    # An attempt's result (no answer, refused...) is case detail: the sender without consent to
    # feedback sees only that the desk is trying.
    show_outcome = event.kind != EventKind.CONTACT_ATTEMPT or view.role == "desk" or view.feedback
    return {
        "id": event.pk,
        "kind": event.kind,
        "at": event.at,
        "actor": event.actor_id,
        "from_status": event.from_status or None,
        "to_status": event.to_status or None,
        "from_desk": event.from_desk.code if event.from_desk else None,
        "to_desk": event.to_desk.code if event.to_desk else None,
        "outcome": (event.outcome or None) if show_outcome else None,
        "note": event.note if show_note else None,
        "shared_with_sender": event.shared_with_sender,
    }


def message_out(message: SheetMessage) -> dict[str, Any]:
    return {
        "id": message.pk,
        "side": message.side,
        "author": message.author_id,
        "desk": message.desk.code if message.desk else None,
        "body": message.body,
        "created_at": message.created_at,
    }
