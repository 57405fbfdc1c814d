"""Django's error views (``handler400``/``403``/``404``/``500`` in urls.py, and
``CSRF_FAILURE_VIEW``): JSON ``{"code","detail"}`` under ``/api/``, the ordinary pages elsewhere.

These answer what never reaches a DRF view or escapes it: unknown routes, bodies Django itself
refuses, and uncaught exceptions. An uncaught database or storage failure is answered as
:func:`referral_hub.api_errors.infrastructure_error` maps it (503 with ``Retry-After``, 507), on
pages as well as on the API.
"""

from __future__ import annotations

import sys

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views import defaults

from referral_hub.api_errors import ApiError, error_body, infrastructure_error, with_retry_after
from referral_hub.domain_errors import DomainError


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _json(code: str, detail: str, status: int) -> JsonResponse:
    return JsonResponse(
        {"code": code, "detail": detail}, status=status, json_dumps_params={"ensure_ascii": False}
    )


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    too_big = isinstance(exception, RequestDataTooBig | TooManyFieldsSent | TooManyFilesSent)
    if too_big and is_api(request):
        return _json(
            "request_too_large", "送信内容が大きすぎます。/ The request body is too large.", 413
        )
    if is_api(request):
        return _json("malformed_request", "要求を読み取れません。/ Malformed request.", 400)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api(request):
        return _json("permission_denied", "この操作はできません。/ Permission denied.", 403)
    return defaults.permission_denied(request, exception)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form posted without a valid CSRF token (an old tab whose session ended, a page kept
    open across a sign-out, cookies blocked, or a forged cross-site post): 403, in the
    project's own words and language, never Django's English debugging page. Nothing was saved,
    so the page says to reload and send again. ``reason`` (Django's internal words) is not
    shown; under ``/api/`` the answer is JSON ``csrf_failed``."""
    if is_api(request):
        return _json(
            "csrf_failed",
            "CSRF トークンがないか、正しくありません。/ CSRF token missing or incorrect.",
            403,
        )
    return render(request, "403_csrf.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api(request):
        return _json("not_found", "見つかりません。/ Not found.", 404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this while handling the exception, so it is still the current one.
    error = _infrastructure(sys.exc_info()[1])
    if error is not None:
        if is_api(request):
            body = JsonResponse(
                error_body(error),
                status=error.status_code,
                json_dumps_params={"ensure_ascii": False},
            )
            return with_retry_after(body, error)
        page = defaults.server_error(request)
        page.status_code = error.status_code
        return with_retry_after(page, error)
    if is_api(request):
        return _json(
            "server_error",
            "サーバーで問題が起きました。管理者に連絡してください。/ Internal server error.",
            500,
        )
    return defaults.server_error(request)


def _infrastructure(exc: BaseException | None) -> ApiError | None:
    return infrastructure_error(exc) if exc is not None else None


class DomainNotFoundMiddleware:
    """A domain error with HTTP status 404 (an id that names nothing) escaping a page view is a
    404 page, not a 500: the API maps it in its exception handler, this does the same for pages.
    It checks the :class:`DomainError` base, so it knows no app's exceptions."""

    def __init__(self, get_response) -> None:  # type: ignore[no-untyped-def]
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        if isinstance(exception, DomainError) and exception.http_status == 404:
            raise Http404() from exception
