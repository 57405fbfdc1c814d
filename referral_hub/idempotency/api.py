"""``Idempotency-Key`` on the creating API routes (docs/api.md, "Idempotency").

    @api_view(["GET", "POST"])
    @idempotent("sheets.create")
    def sheets(request, ...): ...

Only POST is affected, and only when the header is present. The stored answer is replayed
with the header ``Idempotent-Replayed: true``.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from referral_hub.idempotency import store

HEADER = "Idempotency-Key"


def idempotent(scope: str) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """Make the decorated DRF function view's POST happen once per ``Idempotency-Key``."""

    def decorate(view: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(view)
        def wrapped(request: Request, *args: Any, **kwargs: Any) -> Response:
            key = request.headers.get(HEADER)
            if request.method != "POST" or key is None:
                return view(request, *args, **kwargs)
            # store.InvalidKey (400) and store.Conflict (409) are domain errors: the API's
            # exception handler answers them with their code and message.
            with store.attempt(request.user.pk, key, scope, fingerprint(scope, request)) as attempt:
                if attempt.replay is not None:
                    answer = attempt.replay
                    return Response(
                        answer.body,
                        status=answer.status_code,
                        headers={"Idempotent-Replayed": "true"},
                    )
                response = view(request, *args, **kwargs)
                if status.is_success(response.status_code):
                    attempt.store(response.status_code, _json_value(response.data))
                return response

        return wrapped

    return decorate


def fingerprint(scope: str, request: Request) -> str:
    """SHA-256 over the scope, the path and the body: JSON as canonical JSON, form and multipart
    fields by name (DRF's ``request.data`` holds the files too) with each file's name, size and
    content digest."""
    data = request.data
    parts: list[str | bytes] = [scope, request.path]
    if hasattr(data, "lists"):  # a QueryDict (form or multipart)
        for name, values in sorted(data.lists()):
            for value in values:
                parts.extend([name, _file_digest(value) if _is_file(value) else str(value)])
    else:
        parts.append(json.dumps(data, sort_keys=True, separators=(",", ":"), cls=JSONEncoder))
    return store.digest(*parts)


def _is_file(value: Any) -> bool:
    return isinstance(value, UploadedFile)


def _file_digest(upload: UploadedFile) -> str:
    """Streamed: an upload may be tens of MiB."""
    sha = hashlib.sha256()
    for chunk in upload.chunks():
        sha.update(chunk)
    upload.seek(0)
    return store.digest(upload.name or "", str(upload.size), sha.hexdigest())


def _json_value(data: Any) -> Any:
    """The response data as plain JSON values, as the renderer would write them."""
    return json.loads(json.dumps(data, cls=JSONEncoder))
