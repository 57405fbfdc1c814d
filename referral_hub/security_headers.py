"""Headers that keep pages and personal data where they belong.

- ``Content-Security-Policy`` on every response (the admin, the API docs and the printable
  disclosure report included, which the templates' meta policy does not reach): scripts only
  from this origin, no inline script anywhere (the Swagger UI is served in its split form, its
  init script a separate file), no framing, no plugins.
- ``Cache-Control: no-store`` and ``Pragma: no-cache`` on every response to a signed-in user or
  a request carrying credentials: counter PCs are shared, and a sheet or a disclosure report
  must not stay in the browser's cache after sign-out.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        # Swagger UI and the admin use a few inline style blocks; styles cannot run code.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def _carries_credentials(request: HttpRequest) -> bool:
    """Could this request be signed in? Every signed-in request carries the session cookie or
    an ``Authorization`` header; checking for them costs no database lookup, so the header is
    set even when the database is down."""
    return "HTTP_AUTHORIZATION" in request.META or settings.SESSION_COOKIE_NAME in request.COOKIES


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", POLICY)
        if _carries_credentials(request):
            patch_cache_control(response, no_store=True, private=True)  # keeps other directives
            response.headers["Pragma"] = "no-cache"
        return response
