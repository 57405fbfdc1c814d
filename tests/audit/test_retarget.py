"""audit.log.retarget(): a decision recorded before its object exists (a send) names that
object once it does, and the row then chains and verifies like any other (issue 16)."""

from __future__ import annotations

import pytest
from django.db import transaction

from referral_hub.audit.log import batched, record, retarget
from referral_hub.audit.models import AuditEvent
from referral_hub.audit.verify import verify_chain

pytestmark = pytest.mark.django_db


def test_a_pending_decision_is_stored_and_hashed_with_its_new_target(user):
    with transaction.atomic(), batched():
        decision = record(
            "sheet.send",
            actor=user,
            target_type="resident",
            target_id=5,
            resident_id=5,
            legal_basis="consent",
        )
        retarget(decision, "sheet", 41)

    stored = AuditEvent.objects.get(seq=decision.seq)
    assert (stored.target_type, stored.target_id, stored.resident_id) == ("sheet", "41", 5)
    assert stored.hash == stored.computed_hash()
    assert verify_chain().ok


def test_a_chained_event_cannot_be_retargeted(user):
    event = record("sheet.send", actor=user, resident_id=5, legal_basis="consent")

    with pytest.raises(RuntimeError, match="pending"):
        retarget(event, "sheet", 41)
    assert AuditEvent.objects.get(seq=event.seq).target_type == ""


def test_an_event_from_another_batch_cannot_be_retargeted(user):
    with transaction.atomic(), batched():
        earlier = record("sheet.send", actor=user, resident_id=5, legal_basis="consent")
    with transaction.atomic(), batched(), pytest.raises(RuntimeError):
        retarget(earlier, "sheet", 41)
