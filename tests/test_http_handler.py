"""The ASGI HTTP handler runs the middleware chain and the view in one worker thread."""

from __future__ import annotations

import threading

import pytest
from asgiref.testing import ApplicationCommunicator

from referral_hub.http_handler import SingleHopASGIHandler
from tests.inbox.sockets import run_async

pytestmark = pytest.mark.django_db(transaction=True)


def _scope(path: str) -> dict:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"host", b"testserver"), (b"accept-language", b"en")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }


async def _get(handler: SingleHopASGIHandler, path: str) -> tuple[int, dict[bytes, bytes]]:
    communicator = ApplicationCommunicator(handler, _scope(path))
    await communicator.send_input({"type": "http.request", "body": b"", "more_body": False})
    start = await communicator.receive_output(10)
    while (await communicator.receive_output(10)).get("more_body"):
        pass
    return start["status"], {name.lower(): value for name, value in start["headers"]}


@run_async
async def test_middleware_and_view_share_one_thread(monkeypatch):
    handler = SingleHopASGIHandler()
    threads: list[tuple[str, int]] = []

    def refuse_async_inner(*args, **kwargs):  # the hop back to the event loop
        raise AssertionError("the view was reached through the async inner handler")

    monkeypatch.setattr(handler, "_get_response_async", refuse_async_inner)
    sync_inner = handler._get_response

    def record(request):
        threads.append(("view", threading.get_ident()))
        return sync_inner(request)

    monkeypatch.setattr(handler, "_get_response", record)
    handler.load_middleware()  # rebuild the chain around the recording inner handler

    status, headers = await _get(handler, "/api/v1/me/")

    assert status in (401, 403)  # not signed in: a JSON refusal, through every middleware
    assert b"x-request-id" in headers  # the innermost middleware ran
    assert b"content-security-policy" in headers  # and the outermost
    assert len(threads) == 1 and threads[0][1] != threading.get_ident()  # one worker thread
