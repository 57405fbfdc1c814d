"""The OpenAPI schema and Swagger UI, behind sign-in in production.

``SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"]`` decides who may read them (signed in, unless
``API_DOCS_PUBLIC=1`` or DEBUG). These views only make the refusal fit its reader: the schema
answers errors in JSON like the rest of the API (not YAML), and the docs page sends a browser to
the sign-in page. Swagger UI is served in drf-spectacular's split form: its init script is a
separate file, so the Content-Security-Policy needs no inline script.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.views import redirect_to_login
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response


class SchemaView(SpectacularAPIView):
    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return response


class DocsView(SpectacularSwaggerSplitView):
    def handle_exception(self, exc: Exception) -> Any:
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            return redirect_to_login(self.request.get_full_path())
        return super().handle_exception(exc)
