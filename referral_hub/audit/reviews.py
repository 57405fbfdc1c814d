"""The privacy officer's decisions on disclosures made without consent."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from referral_hub import account_lock
from referral_hub.audit.log import record
from referral_hub.audit.models import AuditEvent, DisclosureReview
from referral_hub.audit.signals import disclosure_flagged

REVIEW_PERMISSION = "audit.review_disclosure"


@dataclass(frozen=True)
class ReviewFacts:
    """What a review card shows besides the event (issue 18): the clerk's written reason, the
    sheet number, the categories disclosed, who sent and who received. Supplied by the app
    that owns the disclosed object (handoffs, for sheets), registered with
    :func:`register_review_facts`, because this app knows no domain app."""

    sheet_number: str = ""
    justification: str = ""
    categories: list[str] = field(default_factory=list)
    sender: str = ""
    recipient: str = ""
    sheet_id: int | None = None


def _categories_only(event: AuditEvent) -> ReviewFacts:
    details = event.details if isinstance(event.details, dict) else {}
    return ReviewFacts(categories=[str(c) for c in details.get("categories") or []])


_review_facts: Callable[[AuditEvent], ReviewFacts] = _categories_only


def register_review_facts(source: Callable[[AuditEvent], ReviewFacts]) -> None:
    global _review_facts
    _review_facts = source


def review_facts(event: AuditEvent) -> ReviewFacts:
    """The card's facts for the reviewed disclosure ``event``."""
    return _review_facts(event)


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
        # Decided on the reviewer's locked account (docs/operations/locks.md): a privacy
        # officer whose membership is being removed cannot decide in between.
        review = None
        action = f"disclosure_review.{decision}"
        target = {"target_type": "disclosure_review", "target_id": review_id}
        if account_lock.permitted_now(actor, REVIEW_PERMISSION, action, **target):
            review = _decide_locked(review_id, status, decision, note, actor)
    if review is None:
        raise ReviewError("permission_denied", "Privacy officers only.")
    return review


def _decide_locked(
    review_id: int, status: str, decision: str, note: str, actor: Any
) -> DisclosureReview:
    """``decide_review``'s change, inside its transaction: lock the review, check it is still
    pending (``not_found`` / ``already_decided``), save the decision and record it."""
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
