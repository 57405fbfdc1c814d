"""audit.log.batched(): the transaction's events are chained together when the block exits, so
the chain head is locked only for the commit, with the same all-or-nothing outcome."""

from __future__ import annotations

import pytest
from django.db import transaction

from referral_hub.audit.log import batched, record
from referral_hub.audit.models import AuditEvent, DisclosureReview
from referral_hub.audit.verify import verify_chain

pytestmark = pytest.mark.django_db


def test_events_are_chained_in_order_when_the_block_exits(user):
    before = record("auth.login", actor=user)
    with transaction.atomic(), batched():
        first = record("sheet.send", actor=user, resident_id=1, legal_basis="consent")
        second = record("sheet.sent", actor=user, resident_id=1)
        assert first.seq is None and not AuditEvent.objects.filter(seq__gt=before.seq).exists()
    assert (first.seq, second.seq) == (before.seq + 1, before.seq + 2)
    assert first.prev_hash == before.hash and second.prev_hash == first.hash
    assert [e.action for e in AuditEvent.objects.filter(seq__gt=before.seq)] == [
        "sheet.send",
        "sheet.sent",
    ]
    assert verify_chain().ok


def test_an_exception_drops_the_batch(user):
    count = AuditEvent.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic(), batched():
        record("sheet.send", actor=user, resident_id=1)
        raise RuntimeError("state change failed")
    assert AuditEvent.objects.count() == count


def test_an_event_in_a_rolled_back_savepoint_is_dropped(user):
    with transaction.atomic(), batched():
        kept = record("sheet.read", actor=user, resident_id=1, legal_basis="consent")
        try:
            with transaction.atomic():
                record("sheet.redirect", actor=user, resident_id=1, legal_basis="consent")
                raise ValueError("the redirect failed")
        except ValueError:
            pass
        also_kept = record("sheet.read", actor=user, resident_id=2, legal_basis="consent")
    assert [e.seq for e in (kept, also_kept)] == [kept.seq, kept.seq + 1]
    assert not AuditEvent.objects.filter(action="sheet.redirect").exists()
    assert verify_chain().ok


def test_nested_batches_join_the_outer_one(user):
    with transaction.atomic(), batched():
        outer = record("sheet.send", actor=user)
        with batched():
            inner = record("sheet.sent", actor=user)
        assert inner.seq is None
    assert inner.seq == outer.seq + 1


def test_reviews_are_opened_for_batched_disclosures_without_consent(user):
    with transaction.atomic(), batched():
        event = record("sheet.send", actor=user, resident_id=3, legal_basis="vital_interest")
    assert DisclosureReview.objects.get(event_id=event.seq).status == "pending"


@pytest.mark.django_db(transaction=True)
def test_batched_needs_a_transaction():
    with pytest.raises(RuntimeError, match="inside transaction.atomic"), batched():
        pass


def test_a_transaction_marked_for_rollback_drops_the_batch(user):
    count = AuditEvent.objects.count()
    with transaction.atomic(), transaction.atomic(), batched():
        record("sheet.send", actor=user, resident_id=1)
        transaction.set_rollback(True)
    assert AuditEvent.objects.count() == count
