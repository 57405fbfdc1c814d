"""ASGI HTTP scopes for tests that call the ASGI application directly."""

from __future__ import annotations


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
