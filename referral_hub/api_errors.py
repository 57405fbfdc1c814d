"""Every API error is JSON ``{"code": ..., "detail": ...}`` (DESIGN.md, HTTP API v1)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler


class ApiError(exceptions.APIException):
    """An error a client can act on: ``code`` names the rule that refused the request."""

    def __init__(self, code: str, detail: str, http_status: int = status.HTTP_400_BAD_REQUEST):
        super().__init__(detail=detail, code=code)
        self.status_code = http_status
        self.error_code = code


_DEFAULT_CODES = {
    exceptions.ParseError: "malformed_request",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
    exceptions.ValidationError: "invalid",
}


def _domain_error(exc: Exception) -> ApiError | None:
    """Map the services' exceptions to API errors (imported lazily: this module sits above them)."""
    from referral_hub.consent.services import InvalidInput, InvalidState, Refused
    from referral_hub.consent.services import NotFound as ConsentNotFound
    from referral_hub.handoffs.errors import InvalidTransition, NotFound

    if isinstance(exc, Refused):
        return ApiError(exc.decision.code, exc.decision.message, status.HTTP_403_FORBIDDEN)
    if isinstance(exc, InvalidTransition):
        return ApiError(
            "invalid_transition",
            f"現在の状態({exc.status})ではこの操作({exc.action})はできません。",
            status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, InvalidState):
        return ApiError(exc.code, exc.message, status.HTTP_409_CONFLICT)
    if isinstance(exc, InvalidInput):
        error = ApiError(exc.code, exc.message, status.HTTP_400_BAD_REQUEST)
        error.field = exc.field  # type: ignore[attr-defined]
        return error
    if isinstance(exc, NotFound | ConsentNotFound):
        return ApiError("not_found", "見つかりません。/ Not found.", status.HTTP_404_NOT_FOUND)
    from referral_hub.vault.errors import IntegrityFailure, KeyUnavailable, Shredded

    if isinstance(exc, Shredded):
        return ApiError(
            "shredded",
            "保存期間が過ぎたため、この記録は消去されています。/ Erased at the end of retention.",
            status.HTTP_410_GONE,
        )
    if isinstance(exc, KeyUnavailable):
        return ApiError(
            "key_unavailable",
            "暗号鍵が利用できません。管理者に連絡してください。/ Encryption key unavailable.",
            status.HTTP_503_SERVICE_UNAVAILABLE,
        )
    if isinstance(exc, IntegrityFailure):
        return ApiError(
            "integrity_failure",
            "記録が破損しています。管理者に連絡してください。/ Stored data failed its integrity check.",
            status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    return None


def json_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    exc = _domain_error(exc) or exc
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, ApiError):
        code = exc.error_code
        detail: Any = exc.detail
    else:
        code = next((c for cls, c in _DEFAULT_CODES.items() if isinstance(exc, cls)), "error")
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
    body: dict[str, Any] = {"code": code}
    if isinstance(detail, dict | list):
        body["detail"] = "入力内容に誤りがあります。 / The request has invalid fields."
        body["errors"] = detail
    else:
        body["detail"] = str(detail)
    if getattr(exc, "field", ""):
        body["field"] = exc.field  # type: ignore[attr-defined]
    response.data = body
    return response
