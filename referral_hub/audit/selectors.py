"""Read-side queries for the privacy officer: event search, a resident's disclosure report and
the review queue. Views call these and never build audit queries themselves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from referral_hub.api_input import parse_id
from referral_hub.audit.models import AuditEvent, AuditEventQuerySet, DisclosureReview

ACTION_LABELS = {
    "sheet.send": "シート送付",
    "sheet.resend": "シート再送",
    "sheet.redirect": "シート転送",
    "sheet.read": "シート閲覧",
    "sheet.feedback": "経過の閲覧 (送付元)",
    "resident.read": "住民情報閲覧",
    "attachment.read": "添付ファイル閲覧",
    "consent.read": "同意書閲覧",
}
VERB_LABELS = {
    "read": "閲覧",
    "send": "送付",
    "resend": "再送",
    "redirect": "転送",
    "export": "書き出し",
    "print": "印刷",
}
LEGAL_BASIS_LABELS = {
    "consent": "本人同意",
    "support_meeting": "支援会議",
    "vital_interest": "生命・身体の保護 (緊急)",
}


def action_label(action: str) -> str:
    if action in ACTION_LABELS:
        return ACTION_LABELS[action]
    return VERB_LABELS.get(action.rsplit(".", 1)[-1], action)


def legal_basis_label(code: str) -> str:
    return LEGAL_BASIS_LABELS.get(code, code)


@dataclass(frozen=True)
class EventFilters:
    resident: int | None = None
    actor: str = ""
    desk: str = ""
    action: str = ""
    since: date | datetime | None = None
    until: date | datetime | None = None
    allowed: bool | None = None

    def as_details(self) -> dict[str, Any]:
        """The filters as ids and codes, for the audit event that records the search."""
        values = {
            "resident": self.resident,
            "actor": self.actor or None,
            "desk": self.desk or None,
            "action": self.action or None,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "allowed": self.allowed,
        }
        return {key: value for key, value in values.items() if value is not None}


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The local (Asia/Tokyo) day as an aware ``[start, end)`` interval."""
    return _start_of(day), _start_of(day + timedelta(days=1))


def search_events(filters: EventFilters) -> AuditEventQuerySet:
    """Events matching every given filter, newest first. ``actor`` is a user id or username;
    ``action`` is exact, or a prefix when it ends in ``.*`` (``sheet.*``); a ``since``/``until``
    date covers that whole local day."""
    events = AuditEvent.objects.all()
    if filters.resident is not None:
        events = events.filter(resident_id=filters.resident)
    if filters.actor:
        actor_id = parse_id(filters.actor)
        if actor_id is not None:
            events = events.filter(actor_id=actor_id)
        else:
            events = events.filter(actor_username=filters.actor)
    if filters.desk:
        events = events.filter(actor_desk=filters.desk)
    if filters.action:
        if filters.action.endswith(".*"):
            events = events.filter(action__startswith=filters.action[:-1])
        else:
            events = events.filter(action=filters.action)
    if filters.since is not None:
        since = filters.since if isinstance(filters.since, datetime) else _start_of(filters.since)
        events = events.filter(at__gte=since)
    if filters.until is not None:
        if isinstance(filters.until, datetime):
            events = events.filter(at__lte=filters.until)
        else:
            events = events.filter(at__lt=day_bounds(filters.until)[1])
    if filters.allowed is not None:
        events = events.filter(allowed=filters.allowed)
    return events.order_by("-seq")


def disclosures_of_resident(resident_id: int) -> AuditEventQuerySet:
    """Every disclosure of one resident's data, oldest first: the 本人開示 report."""
    return AuditEvent.objects.disclosures().filter(resident_id=resident_id).order_by("seq")


def consent_of(event: AuditEvent) -> int | None:
    """The id of the consent the gate relied on for ``event``, if any (ids only: no personal
    data sits in ``details``)."""
    details = event.details if isinstance(event.details, dict) else {}
    consent = details.get("consent")
    return consent if isinstance(consent, int) and not isinstance(consent, bool) else None


def disclosure_rows(events: AuditEventQuerySet) -> list[dict[str, Any]]:
    """The report's rows: who, from which desk, when, on which basis, what, to whom."""
    rows = []
    for event in events:
        details = event.details if isinstance(event.details, dict) else {}
        rows.append(
            {
                "seq": event.seq,
                "at": timezone.localtime(event.at),
                "action": event.action,
                "action_label": action_label(event.action),
                "actor_id": event.actor_id,
                "actor_username": event.actor_username,
                "actor_desk": event.actor_desk,
                "legal_basis": event.legal_basis,
                "legal_basis_label": legal_basis_label(event.legal_basis),
                "target_type": event.target_type,
                "target_id": event.target_id,
                # The gate records the desk the data reached as ``recipient_desk``.
                "recipient_desk": str(
                    details.get("recipient_desk") or details.get("to_desk") or ""
                ),
                "consent": consent_of(event),
            }
        )
    return rows


def review_queue(status: str = "") -> QuerySet[DisclosureReview]:
    reviews = DisclosureReview.objects.select_related("event", "decided_by")
    if status:
        reviews = reviews.filter(status=status)
    return reviews.order_by("-event_id")
