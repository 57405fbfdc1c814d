"""The Origin check of the ``/ws/inbox/`` handshake, for cookie sessions only.

Why: the Origin check exists against cross-site WebSocket hijacking, where a page on another
site opens a socket and the browser attaches the victim's session cookie on its own. A token
is never attached on its own: a browser cannot set ``Authorization`` on a WebSocket, so only a
client that holds the key can present it, whatever its Origin. API clients (scripts, servers,
native apps) usually send no Origin at all, and DESIGN.md's contract for them is
"``Authorization: Token <key>`` on the handshake", nothing more.

Decision: a handshake with an ``Authorization`` header skips the Origin check, with or without
an Origin, foreign or not. That header decides authentication on its own
(``auth.credentials_from_headers``: a cookie next to it is ignored, a bad token is refused with
4401), so skipping the check can never let a cookie session through. Every other handshake
(session cookie, or no credentials) must come from an allowed host (``ALLOWED_HOSTS``), as
before: refused with a bare HTTP 403 otherwise.
"""

from __future__ import annotations

from typing import Any

from channels.security.websocket import AllowedHostsOriginValidator

from referral_hub.inbox.auth import credentials_from_headers


def presents_token(scope: dict[str, Any]) -> bool:
    """Whether the handshake authenticates with ``Authorization`` (and so not with a cookie)."""
    credentials = credentials_from_headers(scope.get("headers", []))
    return credentials is not None and credentials.kind == "token"


class CookieOriginValidator:
    """ASGI middleware: ``AllowedHostsOriginValidator`` for every handshake except token ones."""

    def __init__(self, application: Any) -> None:
        self.application = application
        self.origin_checked = AllowedHostsOriginValidator(application)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if presents_token(scope):
            return await self.application(scope, receive, send)
        return await self.origin_checked(scope, receive, send)
