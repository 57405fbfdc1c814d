"""ASGI entry point: HTTP through Django, WebSocket through Channels (the live inbox)."""

import gc
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

# The imported code's objects (Django, DRF, the URL conf and every view: ~150,000) live as long
# as the process. Frozen, they stay out of the garbage collector's full passes, which otherwise
# stop the whole worker (every request and socket) for tens of milliseconds, and more often the
# more sockets are open (issue 22, docs/performance.md). Objects made later are collected as
# before.
from django.urls import get_resolver  # noqa: E402

get_resolver().url_patterns  # noqa: B018 - import every view now, not on the first request
gc.collect()
gc.freeze()
