"""publish() stores one event per distinct recipient in the caller's transaction; each user's
events are numbered 1, 2, 3 … without gaps once it commits."""

from __future__ import annotations

import pytest
from django.db import transaction

from referral_hub.inbox.models import InboxEvent
from referral_hub.inbox.payloads import UnsafeEventPayload
from referral_hub.inbox.publish import publish
from referral_hub.inbox.read_state import last_seq

# Numbering and pushes run on commit, so these tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)


def test_one_event_per_distinct_recipient_with_per_user_seq(make_user):
    alice, bob = make_user(), make_user()
    publish([alice.pk, bob.pk, alice.pk], "sheet.received", sheet_id=7, status="sent")
    publish([alice.pk], "sheet.message", sheet_id=7, status="sent", extra={"owner_desk": 3})

    rows = list(InboxEvent.objects.order_by("user_id", "seq").values_list("user_id", "seq", "type"))
    assert rows == [
        (alice.pk, 1, "sheet.received"),
        (alice.pk, 2, "sheet.message"),
        (bob.pk, 1, "sheet.received"),
    ]
    assert last_seq(alice.pk) == 2
    assert last_seq(bob.pk) == 1


def test_rolled_back_change_leaves_no_event_and_no_gap(make_user):
    alice = make_user()
    publish([alice.pk], "sheet.received", sheet_id=1, status="sent")
    with pytest.raises(RuntimeError), transaction.atomic():
        publish([alice.pk], "sheet.updated", sheet_id=1, status="accepted")
        raise RuntimeError("the state change failed")
    publish([alice.pk], "sheet.updated", sheet_id=1, status="acknowledged")

    rows = list(InboxEvent.objects.filter(user=alice).values_list("seq", "status"))
    assert rows == [(1, "sent"), (2, "acknowledged")]


def test_stored_values_round_trip_including_empty_sheet_and_status(make_user):
    """The rows are written with plain SQL: every column must come back as published, on
    SQLite and on PostgreSQL, including a NULL sheet and an empty status."""
    alice, bob = make_user(), make_user()
    publish([bob.pk, alice.pk], "consent.withdrawn", box="sent", extra={"consent": 12, "code": "x"})

    rows = list(InboxEvent.objects.order_by("user_id"))
    assert [row.user_id for row in rows] == sorted([alice.pk, bob.pk])
    for row in rows:
        assert (row.type, row.box, row.sheet_id, row.status) == (
            "consent.withdrawn",
            "sent",
            None,
            "",
        )
        assert row.extra == {"consent": 12, "code": "x"}
        assert row.seq == 1 and row.read_at is None
        assert row.at.tzinfo is not None


def test_a_recipient_deleted_meanwhile_gets_no_row(make_user):
    alice = make_user()
    publish([alice.pk, 987654], "sheet.received", sheet_id=3, status="sent")
    assert list(InboxEvent.objects.values_list("user_id", flat=True)) == [alice.pk]


def test_no_recipients_is_a_no_op():
    publish([], "sheet.received", sheet_id=1, status="sent")
    assert not InboxEvent.objects.exists()


@pytest.mark.parametrize(
    ("event_type", "kwargs"),
    [
        ("sheet.deleted", {}),
        ("sheet.received", {"box": "archive"}),
        ("sheet.received", {"status": "山田 太郎"}),
        ("sheet.received", {"extra": {"resident_name": "山田 太郎"}}),
        ("sheet.received", {"extra": {"note": "needs food tonight"}}),
        ("sheet.received", {"extra": {"seq": 99}}),
        ("sheet.received", {"extra": {"Owner Desk": 3}}),
        ("sheet.received", {"extra": {"flag": True}}),
        ("sheet.received", {"extra": {"ids": [1, 2]}}),
    ],
)
def test_personal_data_or_unknown_codes_are_refused_before_anything_is_stored(
    make_user, event_type, kwargs
):
    alice = make_user()
    with pytest.raises(UnsafeEventPayload):
        publish([alice.pk], event_type, sheet_id=1, **kwargs)
    assert not InboxEvent.objects.exists()
