"""Renderers for the API's documents in other formats (CSV, printable HTML, PDF), one rule for all
of them (the disclosure report, the rights package, the monthly report CSV, the handout and the
consent receipt): only the document itself is rendered in the asked format; an error (a 4xx/5xx
response, or a body that is not the document, ``{"code","detail"}``) stays JSON, with a JSON
content type, whatever ``?format=`` said."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from rest_framework.renderers import BaseRenderer


class DocumentRenderer(BaseRenderer):
    """Subclasses set ``media_type``/``format``/``charset`` and implement ``is_document`` and
    ``render_document`` (bytes)."""

    def is_document(self, data: Any) -> bool:
        raise NotImplementedError

    def render_document(self, data: Mapping[str, Any], request: Any) -> bytes:
        raise NotImplementedError

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        context = renderer_context or {}
        response = context.get("response")
        failed = response is not None and response.status_code >= 400
        if failed or not self.is_document(data):
            if response is not None:
                response["Content-Type"] = "application/json"
            return json.dumps(data, ensure_ascii=False).encode("utf-8")
        return self.render_document(data, context.get("request"))
