"""A client that goes away before its answer (helper review "attack2"): Django cancels the
request's task, the view's thread still commits, and ``request_finished`` runs after it on the
request's thread, so the events the send committed are still numbered when handling ends."""

from __future__ import annotations

import json

import pytest

from referral_hub.directory.tokens import create_token
from referral_hub.handoffs.models import ConnectSheet
from referral_hub.http_handler import get_http_application
from referral_hub.inbox.models import InboxEvent
from tests.asgi_scopes import http_scope
from tests.fixtures_sheets import make_consent, make_resident, seed_demo, sheet_body
from tests.inbox.sockets import db, run_async

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("memory_layer", "fast_hashing"),
]


def _numbers() -> list[int | None]:
    return list(InboxEvent.objects.order_by("pk").values_list("seq", flat=True))


@run_async
async def test_a_send_whose_client_left_still_numbers_its_events():
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
    received = [
        {"type": "http.request", "body": body, "more_body": False},
        {"type": "http.disconnect"},  # gone as soon as the body is sent
    ]
    sent: list[dict] = []

    async def receive():
        return received.pop(0)

    async def send(message):
        sent.append(message)

    await get_http_application()(scope, receive, send)

    assert not sent  # no answer: the request was cancelled before its response
    assert await db(ConnectSheet.objects.count)() == 1  # the send committed
    numbers = await db(_numbers)()
    assert numbers and None not in numbers  # and its events were numbered
