"""The request-size limit in front of Django (issue 15, failing inputs 3 and 7): a body over the
route's limit is answered 413 JSON as soon as its size is known, declared or streamed, and the
rest is never read; the view never runs."""

from __future__ import annotations

import asyncio
import json

import pytest
from asgiref.testing import ApplicationCommunicator

from referral_hub.audit.models import AuditEvent
from referral_hub.http_handler import get_http_application
from tests.asgi_scopes import answer_of, http_scope
from tests.inbox.sockets import run_async

pytestmark = pytest.mark.django_db(transaction=True)


def _scope(path: str, headers: list[tuple[bytes, bytes]]) -> dict:
    return http_scope(path, headers)


@run_async
async def test_declared_300_mb_anonymous_body_is_413_json_before_any_byte_is_read():
    app = get_http_application()
    declared = str(300 * 1024 * 1024).encode()
    communicator = ApplicationCommunicator(
        app,
        _scope(
            "/api/v1/auth/token/",
            [(b"content-type", b"application/json"), (b"content-length", declared)],
        ),
    )
    # No body is sent at all: the answer must come from the header alone.

    status, headers, body = await answer_of(communicator)

    assert status == 413
    assert headers[b"content-type"] == b"application/json"
    assert json.loads(body)["code"] == "request_too_large"


@run_async
async def test_streamed_chunked_body_is_cut_off_at_the_limit_with_413_json():
    from referral_hub.http_handler import body_limit

    app = get_http_application()
    limit = body_limit("/api/v1/auth/token/")
    communicator = ApplicationCommunicator(
        app,
        _scope(
            "/api/v1/auth/token/",
            [(b"content-type", b"application/json"), (b"transfer-encoding", b"chunked")],
        ),
    )
    chunk = b" " * (64 * 1024)
    sent = 0
    answer = None
    while sent < 300 * 1024 * 1024:
        await communicator.send_input({"type": "http.request", "body": chunk, "more_body": True})
        sent += len(chunk)
        try:
            answer = await asyncio.wait_for(communicator.output_queue.get(), 0.01)
            break
        except TimeoutError:
            continue

    assert answer is not None and answer["status"] == 413
    assert limit < sent <= limit + 2 * len(chunk)  # stopped right after the limit, not at 300 MB
    body = await communicator.receive_output(5)
    assert json.loads(body["body"])["code"] == "request_too_large"
    assert await AuditEvent.objects.acount() == 0  # the view never ran
