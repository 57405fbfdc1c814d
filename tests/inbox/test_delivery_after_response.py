"""Inside a request, the inbox events a commit stored are numbered and pushed after the response
has been sent (issue 22: the sender does not wait for the last four statements and the channel
layer's round trip); outside a request they still are at once, and nothing is ever lost."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest
from django.core.signals import request_finished, request_started
from django.db import transaction

from referral_hub.directory.tokens import create_token
from referral_hub.handoffs.models import ConnectSheet
from referral_hub.http_handler import get_http_application
from referral_hub.inbox import publish as publishing
from referral_hub.inbox.models import InboxEvent
from referral_hub.inbox.publish import publish
from tests.asgi_scopes import http_scope
from tests.fixtures_sheets import make_consent, make_resident, seed_demo, sheet_body
from tests.inbox.sockets import db, run_async

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("memory_layer", "fast_hashing"),
]


def _numbers() -> list[int | None]:
    return list(InboxEvent.objects.order_by("pk").values_list("seq", flat=True))


def test_a_commit_inside_a_request_is_delivered_when_the_request_finishes(make_user):
    user = make_user()
    request_started.send(sender=None)
    try:
        with transaction.atomic():
            publish([user.pk], "sheet.received", sheet_id=1, status="sent")
        assert _numbers() == [None]  # committed, waiting for the response
    finally:
        request_finished.send(sender=None)
    assert _numbers() == [1]


def test_outside_a_request_a_commit_is_delivered_at_once(make_user):
    user = make_user()
    request_started.send(sender=None)
    request_finished.send(sender=None)  # a finished request leaves nothing behind
    with transaction.atomic():
        publish([user.pk], "sheet.received", sheet_id=1, status="sent")
    assert _numbers() == [1]


def test_a_rolled_back_request_delivers_nothing(make_user):
    user = make_user()
    request_started.send(sender=None)
    try:
        with pytest.raises(RuntimeError), transaction.atomic():
            publish([user.pk], "sheet.received", sheet_id=1, status="sent")
            raise RuntimeError
    finally:
        request_finished.send(sender=None)
    assert _numbers() == []


async def _send_request() -> tuple[dict, bytes]:
    """The ASGI scope and body of a clerk's ``POST /api/v1/sheets/`` (token auth)."""
    demo = await db(seed_demo)()
    clerk = await db(demo.user)("tax_clerk")
    resident = await db(make_resident)(clerk)
    consent = await db(make_consent)(clerk, resident, ["jiritsu"], ["identity", "concern"])
    key, _ = await db(create_token)(clerk)
    body = json.dumps(sheet_body(resident, consent)).encode()
    scope = http_scope(
        "/api/v1/sheets/",
        [
            (b"authorization", f"Token {key}".encode()),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
    )
    return scope, body


@run_async
async def test_a_sent_sheet_is_answered_before_its_events_are_numbered(monkeypatch):
    """Through the ASGI application, as uvicorn runs it: the 201 is complete (its last body
    message sent) before numbering starts, and the events are numbered before the request's
    handling ends."""
    scope, body = await _send_request()

    moments: list[str] = []
    deliver = publishing.deliver_pending

    def recorded_deliver(user_ids):
        moments.append("numbering")
        deliver(user_ids)

    monkeypatch.setattr(publishing, "deliver_pending", recorded_deliver)
    received = [{"type": "http.request", "body": body, "more_body": False}]
    status: list[int] = []
    client_open = asyncio.Event()  # the client stays connected until the test ends

    async def receive():
        if received:
            return received.pop(0)
        await client_open.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        if message["type"] == "http.response.start":
            status.append(message["status"])
        elif not message.get("more_body"):
            moments.append("response sent")

    await get_http_application()(scope, receive, send)

    assert status == [201]
    assert moments == ["response sent", "numbering"]
    assert None not in await db(_numbers)()


@run_async
async def test_a_send_whose_client_left_still_numbers_its_events(monkeypatch):
    """A client gone before its answer (helper review "attack2"): the disconnect arrives once
    the send has committed, Django cancels the request's task, and ``request_finished`` still
    runs on the request's thread, so the events the send committed are numbered when handling
    ends. (A client gone before the view even started commits nothing: that case shows
    nothing, so the disconnect waits for the commit.)"""
    scope, body = await _send_request()
    committed = threading.Event()
    deliver_on_commit = publishing._DeliveryOnCommit.__call__

    def on_commit(self):
        committed.set()
        deliver_on_commit(self)

    monkeypatch.setattr(publishing._DeliveryOnCommit, "__call__", on_commit)
    received = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive():
        if received:
            return received.pop(0)
        assert await asyncio.to_thread(committed.wait, 30)
        return {"type": "http.disconnect"}  # gone right after the commit

    async def send(message):
        pass  # the answer may or may not have started: the client is not there to read it

    await get_http_application()(scope, receive, send)

    assert await db(ConnectSheet.objects.count)() == 1  # the send committed
    numbers = await db(_numbers)()
    assert numbers and None not in numbers  # and its events were numbered
