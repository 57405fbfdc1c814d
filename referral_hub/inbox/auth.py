"""WebSocket handshake authentication: the session cookie (browsers) or
``Authorization: Token <key>`` (API clients), as for the HTTP API (DESIGN.md, WebSocket).

The middleware only identifies the user; ``InboxConsumer`` refuses anonymous sockets with 4401
after accepting them, because a refusal during the handshake reaches the client as a bare HTTP
403 without a close code.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from types import SimpleNamespace
from typing import Any, Literal, cast

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django.conf import settings
from django.contrib.auth import get_user as session_user
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.http.cookie import parse_cookie

from referral_hub.directory.tokens import parse_authorization_header, resolve_token
from referral_hub.signin.records import socket_user


@dataclass(frozen=True)
class Credentials:
    """What the handshake presented; kept in the scope so an open socket can be re-checked."""

    kind: Literal["token", "session"]
    key: str


def credentials_from_headers(headers: list[tuple[bytes, bytes]]) -> Credentials | None:
    """An ``Authorization`` header decides on its own (a bad one is not rescued by a cookie);
    otherwise the session cookie, if any."""
    by_name: dict[bytes, bytes] = {}
    for name, value in headers:
        by_name.setdefault(name.lower(), value)
    authorization = by_name.get(b"authorization")
    if authorization is not None:
        key = parse_authorization_header(authorization.decode("latin-1"))
        return Credentials("token", key or "")
    cookie = by_name.get(b"cookie")
    if cookie is not None:
        session_key = parse_cookie(cookie.decode("latin-1")).get(settings.SESSION_COOKIE_NAME)
        if session_key:
            return Credentials("session", session_key)
    return None


def authenticate_credentials(credentials: Credentials | None) -> Any:
    """The active user the credentials belong to, or AnonymousUser. Blocking (database)."""
    if credentials is None or not credentials.key:
        return AnonymousUser()
    if credentials.kind == "token":
        token = resolve_token(credentials.key)
        return socket_user(token.user) if token is not None else AnonymousUser()
    store = import_module(settings.SESSION_ENGINE).SessionStore(credentials.key)
    # Django's own check: session auth hash (a password change logs out), active user, backend.
    # get_user() reads request.session only; a stand-in with the session is all it needs.
    return socket_user(session_user(cast(HttpRequest, SimpleNamespace(session=store))), store)


class WebSocketAuthMiddleware(BaseMiddleware):
    """Sets ``scope["user"]`` (AnonymousUser when the credentials are missing or invalid) and
    ``scope["inbox_credentials"]``."""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        scope = dict(scope)
        credentials = credentials_from_headers(scope.get("headers", []))
        scope["inbox_credentials"] = credentials
        scope["user"] = await database_sync_to_async(authenticate_credentials)(credentials)
        return await super().__call__(scope, receive, send)
