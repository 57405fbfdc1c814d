"""同意書の控え: the resident's printable copy of a consent, and its interchange record.

The receipt says, in the resident's language (``resident_texts``): the consent number, which
desks receive what information in plain words, the purpose (as the clerk wrote it), until when,
how to withdraw (phone and counter), who signed, whether it was read aloud, and the notice text
of the exact version the consent was given under (``Consent.notice``; its version and SHA-256
are printed, so a changed wording later does not change what the receipt shows).

``ts27560_record`` gives the same consent as a JSON object shaped after ISO/IEC TS 27560:2023
(consent record information structure): record and schema identifiers, the notice (version,
language, hash), the PII principal (an opaque id, never the name), the controller, purposes,
PII categories, recipients, legal basis (個人情報保護法 第69条第2項第1号: the resident's
consent; 生活困窮者自立支援法), duration, withdrawal method, the delegation when a
representative signed, and the consent's events (given, withdrawn).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from referral_hub.consent.categories import Category
from referral_hub.consent.models import Consent, Signatory
from referral_hub.resident_texts import Words, plain

TS27560_SCHEMA = "ISO/IEC TS 27560:2023"
CATEGORY_KEYS = {code: f"cat_{code}" for code in Category.values}
SIGNATORY_KEYS: dict[str, str] = {
    Signatory.SELF: "sig_self",
    Signatory.LEGAL_REPRESENTATIVE: "sig_legal_representative",
    Signatory.PROXY: "sig_proxy",
}


def _date(words: Words, day: datetime.date) -> str:
    values = {
        "year": day.year,
        "month": day.month,
        "day": day.day,
        "weekday": plain(words.raw(f"wd{day.weekday()}")),
    }
    return plain(words.raw("date") % values)


def _place(consent: Consent) -> tuple[str, str]:
    """The counter where the consent was recorded, and the phone to withdraw by."""
    place = consent.recorded_desk or consent.recorded_department
    phone = getattr(settings, "CONSENT_WITHDRAWAL_PHONE", "") or (
        consent.recorded_desk.phone if consent.recorded_desk else ""
    )
    if not phone:
        first = next(iter(consent.recipients.all()), None)
        phone = first.phone if first is not None else ""
    return (place.name if place is not None else ""), phone


@dataclass(frozen=True)
class Receipt:
    words: Words
    consent_id: int
    recorded_on: str
    desks: list[str]
    categories: list[Any]
    purpose: str
    valid_until: str
    withdraw: Any
    signed_by: Any
    read_aloud: bool
    notice_heading: Any
    notice_text: str
    notice_sha256: str
    withdrawn: bool


def build_receipt(consent: Consent, language: str) -> Receipt:
    words = Words(language or consent.language)
    place, phone = _place(consent)
    notice = consent.notice
    return Receipt(
        words=words,
        consent_id=consent.pk,
        recorded_on=_date(words, timezone.localtime(consent.recorded_at).date()),
        desks=[d.name for d in consent.recipients.all().order_by("pk")],
        categories=[
            words.text(CATEGORY_KEYS[c]) for c in Category.values if c in consent.categories
        ],
        purpose=consent.purpose,
        valid_until=_date(words, consent.valid_until),
        withdraw=words.text("withdraw_text", phone=phone or "—", place=place or "—"),
        signed_by=words.text(SIGNATORY_KEYS.get(consent.signatory, "sig_self")),
        read_aloud=consent.read_aloud,
        notice_heading=words.text("notice_heading", version=consent.notice_version or "—"),
        notice_text=notice.text if notice is not None else "",
        notice_sha256=consent.notice_sha256,
        withdrawn=consent.withdrawn_at is not None,
    )


def render_receipt(receipt: Receipt, *, for_pdf: bool = False) -> str:
    return render_to_string("consent/receipt.html", {"r": receipt, "for_pdf": for_pdf})


def ts27560_record(consent: Consent) -> dict[str, Any]:
    """The consent as a TS 27560-shaped record (ids, codes, dates; the resident is an opaque id,
    the signatory's name is not exported)."""
    municipality = (
        consent.recorded_department.municipality
        if consent.recorded_department
        else consent.recorded_desk.municipality
        if consent.recorded_desk
        else None
    )
    events = [
        {
            "event_type": "given",
            "event_time": consent.recorded_at.isoformat(),
            "event_actor": "pii_principal"
            if consent.signatory == Signatory.SELF
            else consent.signatory,
            "recorded_by": f"staff:{consent.recorded_by_id}",
        }
    ]
    if consent.withdrawn_at is not None:
        events.append(
            {
                "event_type": "withdrawn",
                "event_time": consent.withdrawn_at.isoformat(),
                "recorded_by": f"staff:{consent.withdrawn_by_id}",
            }
        )
    return {
        "schema_name": TS27560_SCHEMA,
        "schema_version": "1.0",
        "record_id": f"consent:{consent.pk}",
        "record_time": consent.recorded_at.isoformat(),
        "pii_principal_id": f"resident:{consent.resident_id}",
        "pii_controller": {
            "name": municipality.name if municipality else "",
            "id": municipality.code if municipality else "",
        },
        "notice": {
            "notice_version": consent.notice_version,
            "notice_language": consent.notice.language if consent.notice else "",
            "notice_hash": {"algorithm": "sha-256", "value": consent.notice_sha256},
            "read_aloud": consent.read_aloud,
        },
        "consent_language": consent.language,
        "consent_type": "explicit",
        "collection_method": consent.method,
        "purposes": [
            {"purpose": "connect_to_consultation_support", "description": consent.purpose}
        ],
        "pii_categories": list(consent.categories),
        "recipients": [
            {"id": f"desk:{d.code}", "name": d.name} for d in consent.recipients.order_by("pk")
        ],
        "legal_basis": ["consent"],
        "duration": {"valid_until": consent.valid_until.isoformat()},
        "consent_status": consent.status,
        "withdrawal_method": "phone or counter (see the receipt)",
        "delegation": None
        if consent.signatory == Signatory.SELF
        else {"signatory": consent.signatory, "document_seen": bool(consent.signatory_document)},
        "evidence": [{"id": e.pk, "sha256": e.sha256} for e in consent.evidence.all()],
        "events": events,
    }
