"""ASGI entry point: HTTP through Django, WebSocket through Channels (the live inbox)."""

import gc
import os
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "referral_hub.settings")

from referral_hub.http_handler import get_http_application  # noqa: E402

django_asgi_app = get_http_application()

from referral_hub.vault.checks import require_vault_configured  # noqa: E402

# uvicorn runs no system checks: refuse to serve without master keys outside the demo.
require_vault_configured()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from referral_hub.inbox.auth import WebSocketAuthMiddleware  # noqa: E402
from referral_hub.inbox.origin import CookieOriginValidator  # noqa: E402
from referral_hub.routing import websocket_urlpatterns  # noqa: E402

protocols = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # Origin is checked for cookie handshakes only; token clients need none (inbox/origin.py).
        "websocket": CookieOriginValidator(
            WebSocketAuthMiddleware(URLRouter(websocket_urlpatterns))
        ),
    }
)

from django.urls import get_resolver  # noqa: E402

get_resolver().url_patterns  # noqa: B018 - import every view now, not on the first request


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """HTTP and WebSocket as above; the server's ``lifespan`` startup freezes the garbage
    collector's view of the imported code.

    The imported code's objects (Django, DRF, the URL conf and every view: ~150,000) live as
    long as the worker. A full collector pass over them took ~80 ms and stopped the whole
    worker (every request and socket), more often the more sockets are open (issue 22,
    docs/performance.md). Frozen at startup, they stay out of those passes; objects made later
    are collected as before. Only a server sends ``lifespan`` (uvicorn, once per worker), so a
    process that merely imports this module (the tests) is left as it was."""
    if scope["type"] != "lifespan":
        await protocols(scope, receive, send)
        return
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            gc.collect()
            gc.freeze()
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
