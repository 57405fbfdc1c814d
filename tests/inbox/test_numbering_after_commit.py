"""Events are stored in the caller's transaction and numbered right after its commit; an event
whose numbering run was lost (the process died after the commit) is numbered as soon as its
user reads the inbox or receives another event."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from rest_framework.test import APIClient

from referral_hub.directory.tokens import create_token
from referral_hub.inbox.models import InboxEvent
from referral_hub.inbox.numbering import STALE_AFTER, resync_state
from referral_hub.inbox.publish import deliver_stale, publish
from referral_hub.inbox.read_state import inbox_state
from tests.inbox.sockets import db, open_inbox, run_async

pytestmark = pytest.mark.django_db(transaction=True)


def orphan_event(user, sheet_id: int) -> InboxEvent:
    """What a publish whose process died between commit and numbering leaves behind."""
    return InboxEvent.objects.create(
        user=user,
        type="sheet.received",
        box="inbox",
        sheet_id=sheet_id,
        status="sent",
        at=timezone.now() - STALE_AFTER - timedelta(seconds=1),
    )


def test_events_get_their_number_when_the_transaction_commits(make_user):
    user = make_user()
    with transaction.atomic():
        publish([user.pk], "sheet.received", sheet_id=1, status="sent")
        publish([user.pk], "sheet.message", sheet_id=1, status="sent")
        assert list(InboxEvent.objects.values_list("seq", flat=True)) == [None, None]
        # A page rendered in the same transaction already counts the new sheet.
        assert inbox_state(user.pk) == (0, {"inbox": 1, "sent": 0, "overdue": 0})
    assert sorted(InboxEvent.objects.values_list("seq", flat=True)) == [1, 2]
    assert inbox_state(user.pk) == (2, {"inbox": 1, "sent": 0, "overdue": 0})


def test_an_orphan_is_numbered_with_the_users_next_event(make_user):
    user = make_user()
    orphan = orphan_event(user, sheet_id=1)
    publish([user.pk], "sheet.received", sheet_id=2, status="sent")
    orphan.refresh_from_db()
    assert orphan.seq == 1
    assert inbox_state(user.pk) == (2, {"inbox": 2, "sent": 0, "overdue": 0})


def test_an_orphan_is_numbered_when_the_user_asks_over_http(make_user):
    user = make_user()
    orphan_event(user, sheet_id=1)
    key, _ = create_token(user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    body = client.get("/api/v1/inbox/events/", {"since": 0}).json()
    assert [event["seq"] for event in body["events"]] == [1]
    assert client.get("/api/v1/inbox/unread/").json()["counts"]["inbox"] == 1


@pytest.mark.usefixtures("memory_layer")
@run_async
async def test_an_orphan_is_numbered_when_a_socket_connects(make_user, token_headers):
    user = await db(make_user)()
    await db(orphan_event)(user, 1)
    socket, hello, unread = await open_inbox(await db(token_headers)(user))
    assert hello["last_seq"] == 1
    assert unread["counts"]["inbox"] == 1
    await socket.send_json_to({"type": "catch_up", "since": 0})
    event = await socket.receive_json_from(timeout=3)
    assert (event["seq"], event["sheet"]) == (1, 1)
    await socket.disconnect()


def test_a_fresh_unnumbered_event_is_left_to_its_own_numbering_run(make_user):
    user = make_user()
    InboxEvent.objects.create(user=user, type="sheet.received", box="inbox", sheet_id=1)
    deliver_stale(user.pk)  # what a reader does
    assert InboxEvent.objects.get().seq is None


def test_publishes_of_one_transaction_are_numbered_even_if_an_earlier_savepoint_failed(make_user):
    first, second = make_user(), make_user()
    with transaction.atomic():
        try:
            with transaction.atomic():
                publish([first.pk], "sheet.received", sheet_id=1, status="sent")
                raise RuntimeError("this part of the change failed")
        except RuntimeError:
            pass
        publish([second.pk], "sheet.received", sheet_id=2, status="sent")
        publish([first.pk], "sheet.message", sheet_id=2, status="sent")
    assert sorted(InboxEvent.objects.values_list("user_id", "seq", "sheet_id")) == sorted(
        [(second.pk, 1, 2), (first.pk, 1, 2)]
    )


def test_resync_state_is_one_statement_with_or_without_an_inbox_row(
    make_user, django_assert_num_queries
):
    """Every open socket asks this twice a minute (issue 22: 2,000 sockets); a user of another
    desk who never received an event has no inbox row, and cost two statements before."""
    newcomer, receiver = make_user(), make_user()
    with django_assert_num_queries(1):
        assert resync_state(newcomer.pk) == (0, False)
    orphan_event(newcomer, sheet_id=1)
    with django_assert_num_queries(1):
        assert resync_state(newcomer.pk) == (0, True)

    publish([receiver.pk], "sheet.received", sheet_id=2, status="sent")
    with django_assert_num_queries(1):
        assert resync_state(receiver.pk) == (1, False)
    orphan_event(receiver, sheet_id=3)
    with django_assert_num_queries(1):
        assert resync_state(receiver.pk) == (1, True)
    # A fresh unnumbered event is its own numbering run's to number, not stale yet.
    InboxEvent.objects.create(
        user=make_user(), type="sheet.received", box="inbox", sheet_id=4, status="sent"
    )
    assert resync_state(InboxEvent.objects.latest("pk").user_id) == (0, False)
