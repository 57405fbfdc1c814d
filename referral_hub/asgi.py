"""ASGI entry point: HTTP through Django, WebSocket through Channels (the live inbox)."""

import os

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

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # Origin is checked for cookie handshakes only; token clients need none (inbox/origin.py).
        "websocket": CookieOriginValidator(
            WebSocketAuthMiddleware(URLRouter(websocket_urlpatterns))
        ),
    }
)
