"""OpenAPI pieces shared by every API module: the error body and the 4xx responses that carry it.

Every API error is ``{"code","detail"}`` (``api_errors.json_exception_handler``), plus
``errors`` (field → messages) for invalid input and ``field`` for a refused field. These
serializers only describe that body for the schema; nothing serializes through them.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ApiErrorOut(serializers.Serializer):
    """``{"code","detail"}``: ``code`` names the rule, ``detail`` says it in Japanese first."""

    code = serializers.CharField(help_text="machine-readable rule, e.g. `consent_scope`")
    detail = serializers.CharField(help_text="「日本語。/ English.」")
    errors = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        help_text="invalid input only: field name → messages",
    )
    field = serializers.CharField(required=False, help_text="the input field that was refused")


# What each status means across the API (docs/api.md, Errors).
ERROR_MEANINGS: dict[int, str] = {
    400: "invalid input (`invalid`, `unknown_desk`, `unknown_concern`, `unknown_field`, …)",
    401: "`not_authenticated` or `authentication_failed`",
    403: "the gate refused (`consent_scope`, `not_owner_desk`, `not_sender`, `lead_required`, …)",
    404: "`not_found`",
    409: "`invalid_transition`, `already_withdrawn`, `idempotency_conflict`",
    410: "`shredded`: erased at the end of retention",
    413: "`file_too_large`",
    415: "`content_type_refused` (the type is decided from the bytes)",
}


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """``{status: OpenApiResponse(ApiErrorOut)}`` for ``@extend_schema(responses=...)``."""
    return {
        code: OpenApiResponse(ApiErrorOut, description=ERROR_MEANINGS.get(code, "error"))
        for code in statuses
    }
