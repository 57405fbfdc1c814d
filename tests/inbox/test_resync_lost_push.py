"""A push that never reaches a socket (e.g. published by a process without the shared channel
layer) is sent from the database by the socket's periodic resync, once; expired credentials
close an idle socket without anyone calling disconnect_user."""

from __future__ import annotations

import pytest
from django.utils import timezone

from referral_hub.directory.models import ApiToken
from referral_hub.inbox.consumers import InboxConsumer
from referral_hub.inbox.delivered import DeliveredSeqs
from referral_hub.inbox.publish import publish
from tests.inbox.conftest import MEMORY_LAYER
from tests.inbox.sockets import close_code, db, open_inbox, run_async

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("memory_layer")]

# Another process's layer: an in-memory layer of its own, which no socket listens to.
OTHER_PROCESS_LAYER = {"default": {**MEMORY_LAYER["default"], "CONFIG": {"capacity": 50}}}


@pytest.fixture
def fast_resync(monkeypatch):
    monkeypatch.setattr(InboxConsumer, "resync_seconds", 0.2)


@pytest.mark.usefixtures("fast_resync")
@run_async
async def test_event_whose_push_was_lost_arrives_by_resync_once(make_user, token_headers, settings):
    user = await db(make_user)()
    socket, hello, _ = await open_inbox(await db(token_headers)(user))
    assert hello["last_seq"] == 0

    settings.CHANNEL_LAYERS = OTHER_PROCESS_LAYER  # the publisher no longer reaches the socket
    await db(publish)([user.pk], "sheet.overdue", box="overdue", sheet_id=4, status="sent")

    event = await socket.receive_json_from(timeout=3)
    assert (event["type"], event["seq"], event["sheet"]) == ("sheet.overdue", 1, 4)
    counts = await socket.receive_json_from(timeout=3)
    assert counts == {"type": "unread", "counts": {"inbox": 0, "sent": 0, "overdue": 1}}
    assert await socket.receive_nothing(timeout=0.6)  # several resync ticks: nothing twice
    await socket.disconnect()


@pytest.mark.usefixtures("fast_resync")
@run_async
async def test_events_from_before_the_hello_are_left_to_catch_up(make_user, token_headers):
    user = await db(make_user)()
    await db(publish)([user.pk], "sheet.received", sheet_id=1, status="sent")
    socket, hello, _ = await open_inbox(await db(token_headers)(user))
    assert hello["last_seq"] == 1
    assert await socket.receive_nothing(timeout=0.6)
    await socket.disconnect()


@run_async
async def test_revoked_token_closes_an_idle_socket_at_the_next_recheck(
    make_user, token_headers, monkeypatch
):
    monkeypatch.setattr(InboxConsumer, "resync_seconds", 0.1)
    monkeypatch.setattr(InboxConsumer, "recheck_seconds", 0.0)
    user = await db(make_user)()
    socket, _, _ = await open_inbox(await db(token_headers)(user))
    await db(lambda: ApiToken.objects.filter(user=user).update(revoked_at=timezone.now()))()
    assert await close_code(socket) == 4401


def test_delivered_seqs_track_out_of_order_arrivals():
    seen = DeliveredSeqs(3)
    assert 1 in seen and 3 in seen and 4 not in seen
    seen.add(6)
    seen.add(5)
    assert 5 in seen and 6 in seen and 4 not in seen
    seen.add(4)
    assert (seen.floor, seen.above) == (6, set())
    seen.add(2)
    assert seen.floor == 6
