"""Every API error is JSON ``{"code": ..., "detail": ...}`` (DESIGN.md, HTTP API v1)."""

from __future__ import annotations

import errno
import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from referral_hub.domain_errors import DomainError

logger = logging.getLogger(__name__)


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


def domain_api_error(exc: DomainError) -> ApiError:
    """The API error for a domain error: its ``code``, ``message`` as the detail, its
    ``http_status``, and its ``field`` (if any) in the body."""
    error = ApiError(exc.code, exc.message, exc.http_status)
    if exc.field:
        error.field = exc.field  # type: ignore[attr-defined]
    if exc.extra:
        error.extra = exc.extra  # type: ignore[attr-defined]
    return error


def _domain_error(exc: Exception) -> ApiError | None:
    """Map any :class:`DomainError` by its attributes; ``None`` for anything else."""
    return domain_api_error(exc) if isinstance(exc, DomainError) else None


RETRY_AFTER_SECONDS = 5
"""What ``Retry-After`` tells a client when the database is unavailable (seconds)."""

STORAGE_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})


def infrastructure_error(exc: BaseException) -> ApiError | None:
    """Map a failure of what the application stands on to an error a client can act on:
    the database unreachable (connection refused, pool timeout, a connection that died) is 503
    ``database_unavailable``, a deadlock or serialisation failure 503 ``retry``, a full disk 507
    ``storage_full``. ``None`` for anything else."""
    from django.db import InterfaceError, OperationalError

    # psycopg's connection errors and psycopg_pool's PoolTimeout arrive as Django's
    # OperationalError; a closed connection as InterfaceError.
    if isinstance(exc, OperationalError | InterfaceError):
        if _is_transient_conflict(exc):
            return ApiError(
                "retry",
                "他の処理と重なりました。もう一度お試しください。"
                "/ The request collided with another one; try again.",
                status.HTTP_503_SERVICE_UNAVAILABLE,
            )
        return ApiError(
            "database_unavailable",
            "データベースに接続できません。しばらくしてからもう一度お試しください。"
            "/ The database is unavailable; try again shortly.",
            status.HTTP_503_SERVICE_UNAVAILABLE,
        )
    if isinstance(exc, OSError) and exc.errno in STORAGE_FULL_ERRNOS:
        return ApiError(
            "storage_full",
            "保存領域がいっぱいです。管理者に連絡してください(何も保存されていません)。"
            "/ Storage is full; nothing was stored.",
            status.HTTP_507_INSUFFICIENT_STORAGE,
        )
    return None


def _is_transient_conflict(exc: BaseException) -> bool:
    """Deadlock or serialisation failure (SQLSTATE 40P01 / 40001): retrying succeeds."""
    sqlstate = getattr(exc.__cause__, "sqlstate", None)
    return sqlstate in ("40P01", "40001")


def error_body(error: ApiError) -> dict[str, str]:
    return {"code": error.error_code, "detail": str(error.detail)}


def with_retry_after(response: Any, error: ApiError) -> Any:
    """Add ``Retry-After`` to a 503 answer."""
    if error.status_code == status.HTTP_503_SERVICE_UNAVAILABLE:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def json_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    infrastructure = infrastructure_error(exc)
    if infrastructure is not None:
        _log_infrastructure(exc, context)
        exc = infrastructure
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
    for key, value in (getattr(exc, "extra", None) or {}).items():
        body.setdefault(key, value)
    response.data = body
    if isinstance(exc, ApiError):
        with_retry_after(response, exc)
    return response


def _log_infrastructure(exc: Exception, context: dict[str, Any]) -> None:
    """Operators need to see these; the message names the exception type only (a database
    error's text can quote row values)."""
    request = context.get("request")
    path = getattr(request, "path", "")
    logger.error("infrastructure failure %s on %s", type(exc).__name__, path)
