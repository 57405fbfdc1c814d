"""Per-request context (request id, client address) that audit events carry.

A contextvar rather than a thread-local, so it follows the request through async code.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    client_ip: str = ""


_NO_REQUEST = RequestContext()

_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "audit_request_context", default=None
)


def current() -> RequestContext:
    """The context of the request being served, or an empty one (commands, background work)."""
    return _current.get() or _NO_REQUEST


def bind(context: RequestContext) -> contextvars.Token[RequestContext | None]:
    return _current.set(context)


def reset(token: contextvars.Token[RequestContext | None]) -> None:
    _current.reset(token)
