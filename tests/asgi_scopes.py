"""ASGI HTTP scopes for tests that call the ASGI application directly, and reading the answer."""

from __future__ import annotations

from asgiref.testing import ApplicationCommunicator


def http_scope(path: str, headers: list[tuple[bytes, bytes]], method: str = "POST") -> dict:
    """A plain-HTTP scope for ``path`` on host ``testserver`` with ``headers`` after Host."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }


async def answer_of(communicator: ApplicationCommunicator) -> tuple[int, dict, bytes]:
    """``(status, headers with lower-case names, whole body)`` of the application's answer."""
    start = await communicator.receive_output(5)
    assert start["type"] == "http.response.start"
    body = b""
    while True:
        message = await communicator.receive_output(5)
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    return start["status"], {k.lower(): v for k, v in start["headers"]}, body
