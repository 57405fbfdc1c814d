"""The privacy officer's decisions on disclosures made without consent."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from referral_hub.audit.log import record
from referral_hub.audit.models import DisclosureReview
from referral_hub.audit.signals import disclosure_flagged

DECISIONS = {"approve": DisclosureReview.Status.APPROVED, "flag": DisclosureReview.Status.FLAGGED}


class ReviewError(Exception):
    """A decision that cannot be taken; ``code`` names the rule."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


def decide_review(review_id: int, *, decision: str, note: str, actor: Any) -> DisclosureReview:
    """Approve or flag a pending review. Flagging needs a note and sends
    :data:`~referral_hub.audit.signals.disclosure_flagged` so the desk lead is told."""
    status = DECISIONS.get(decision)
    if status is None:
        raise ReviewError("invalid_decision", "decision must be 'approve' or 'flag'")
    note = note.strip()
    if status == DisclosureReview.Status.FLAGGED and not note:
        raise ReviewError("note_required", "A flag needs a note saying what is wrong.")
    with transaction.atomic():
        review = (
            DisclosureReview.objects.select_for_update()
            .select_related("event")
            .filter(pk=review_id)
            .first()
        )
        if review is None:
            raise ReviewError("not_found", f"review {review_id} does not exist")
        if review.status != DisclosureReview.Status.PENDING:
            raise ReviewError("already_decided", f"review {review_id} is already {review.status}")
        review.status = status
        review.note = note
        review.decided_by = actor
        review.decided_at = timezone.now()
        review.save(update_fields=["status", "note", "decided_by", "decided_at"])
        record(
            f"disclosure_review.{decision}",
            actor=actor,
            target_type="disclosure_review",
            target_id=review.pk,
            resident_id=review.event.resident_id,
            details={"event_seq": review.event_id, "legal_basis": review.event.legal_basis},
        )
        if status == DisclosureReview.Status.FLAGGED:
            disclosure_flagged.send(sender=DisclosureReview, review=review)
    return review
