"""record() appends one hash-chained event with the request context and snapshots."""

from __future__ import annotations

import pytest
from django.db import transaction

from referral_hub.audit import chain, context
from referral_hub.audit.log import record
from referral_hub.audit.models import AuditEvent, ChainHead, DisclosureReview

pytestmark = pytest.mark.django_db


def test_events_get_gap_free_seq_and_link_to_their_predecessor(user):
    first = record(
        "sheet.send", actor=user, actor_desk="tax", target_type="sheet", target_id=7, resident_id=3
    )
    second = record(
        "sheet.read",
        actor=user,
        actor_desk="jiritsu",
        target_type="sheet",
        target_id=7,
        resident_id=3,
    )
    assert second.seq == first.seq + 1
    assert first.prev_hash == chain.GENESIS_HASH or first.seq > 1
    assert second.prev_hash == first.hash
    assert ChainHead.objects.get().seq == second.seq
    assert ChainHead.objects.get().hash == second.hash


def test_event_snapshots_actor_and_request_context(user):
    token = context.bind(context.RequestContext(request_id="req-1", client_ip="10.0.0.5"))
    try:
        event = record(
            "resident.read",
            actor=user,
            actor_desk="jiritsu",
            target_type="resident",
            target_id=3,
            resident_id=3,
            legal_basis="consent",
        )
    finally:
        context.reset(token)
    stored = AuditEvent.objects.get(seq=event.seq)
    assert (stored.actor_id, stored.actor_username, stored.actor_desk) == (
        user.pk,
        "consult1",
        "jiritsu",
    )
    assert (stored.request_id, stored.client_ip) == ("req-1", "10.0.0.5")
    assert stored.target_id == "3"
    assert stored.computed_hash() == stored.hash


def test_system_event_has_no_actor():
    event = record("directory.change", target_type="desk", target_id="kakei")
    assert event.actor_id is None and event.actor_username == ""


def test_event_rolls_back_with_the_callers_transaction(user):
    before = AuditEvent.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        record("sheet.send", actor=user, resident_id=1)
        raise RuntimeError("state change failed")
    assert AuditEvent.objects.count() == before
    after = record("sheet.send", actor=user, resident_id=1)
    assert after.seq == before + 1


def test_refused_action_needs_a_refusal_code(user):
    with pytest.raises(ValueError):
        record("sheet.read", actor=user, allowed=False)
    denied = record(
        "sheet.read", actor=user, allowed=False, refusal_code="consent_scope", resident_id=4
    )
    assert denied.allowed is False and denied.refusal_code == "consent_scope"


@pytest.mark.parametrize("bad", [{"ratio": 0.5}, {"when": object()}, {1: "x"}])
def test_details_accept_only_ids_codes_and_counts(user, bad):
    with pytest.raises(TypeError):
        record("sheet.read", actor=user, details=bad)


def test_disclosure_without_consent_opens_a_pending_review(user):
    event = record("sheet.send", actor=user, resident_id=5, legal_basis="support_meeting")
    review = DisclosureReview.objects.get(event=event)
    assert review.status == "pending"
    record("sheet.send", actor=user, resident_id=5, legal_basis="consent")
    record(
        "sheet.send",
        actor=user,
        resident_id=5,
        legal_basis="vital_interest",
        allowed=False,
        refusal_code="justification_required",
    )
    assert DisclosureReview.objects.count() == 1
