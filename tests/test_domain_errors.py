"""Errors right side up (issue 16): domain modules raise ``DomainError`` subclasses that carry
their own ``code``, ``http_status`` and ``message``; the API's handler and the pages' 404
middleware map them by those attributes and import no app; no service, selector, gate or vault
module knows about HTTP exceptions."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.http import Http404
from django.test import RequestFactory
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.test import APIRequestFactory

import referral_hub
from referral_hub.consent.policy import Decision
from referral_hub.consent.services import InvalidInput, InvalidState, NotFound, Refused
from referral_hub.domain_errors import DomainError
from referral_hub.error_views import DomainNotFoundMiddleware
from referral_hub.handoffs.errors import InvalidTransition
from referral_hub.handoffs.errors import NotFound as SheetNotFound
from referral_hub.idempotency.store import Conflict, InvalidKey
from referral_hub.vault.errors import (
    AttachmentTooLarge,
    ContentTypeRefused,
    IntegrityFailure,
    KeyringMisconfigured,
    KeyUnavailable,
    Shredded,
    VaultError,
)

PACKAGE = Path(referral_hub.__file__).parent


class OutOfStock(DomainError):
    """A domain error no module of the project knows: the handler must map it all the same."""

    code = "out_of_stock"
    http_status = 409
    message = "在庫がありません。/ Out of stock."


class UnknownShelf(DomainError):
    code = "not_found"
    http_status = 404


def answer_raising(exc: Exception):
    @api_view(["GET"])
    @authentication_classes([])
    @permission_classes([AllowAny])
    def view(request):
        raise exc

    return view(APIRequestFactory().get("/api/v1/anything/"))


def test_an_unknown_domain_error_is_answered_by_its_own_code_status_and_message():
    response = answer_raising(OutOfStock())

    assert response.status_code == 409
    assert response.data == {"code": "out_of_stock", "detail": "在庫がありません。/ Out of stock."}


def test_a_domain_error_naming_a_field_puts_it_in_the_body():
    response = answer_raising(InvalidInput("same_desk", "同じ窓口です。", field="to_desk"))

    assert response.status_code == 400
    assert response.data == {"code": "same_desk", "detail": "同じ窓口です。", "field": "to_desk"}


# The contract (docs/api.md error table, tests/handoffs/test_malformed_requests.py): every
# domain error keeps the status and code it was answered with before the base class existed.
CONTRACT = [
    (
        Refused(Decision(False, "", "sheet.redirect", code="consent_scope")),
        403,
        "consent_scope",
    ),
    (InvalidInput("bad_date", "日付が不正です。"), 400, "bad_date"),
    (InvalidState("already_withdrawn", "撤回済みです。"), 409, "already_withdrawn"),
    (NotFound(), 404, "not_found"),
    (SheetNotFound(), 404, "not_found"),
    (InvalidTransition("accept", "closed"), 409, "invalid_transition"),
    (Shredded("gone"), 410, "shredded"),
    (KeyUnavailable("no kek"), 503, "key_unavailable"),
    (KeyringMisconfigured("VAULT_KEYS"), 503, "key_unavailable"),
    (IntegrityFailure("tag"), 500, "integrity_failure"),
    (AttachmentTooLarge(10 * 1024 * 1024), 413, "file_too_large"),
    (ContentTypeRefused("text/html"), 415, "content_type_refused"),
    (ContentTypeRefused("script", code="active_content"), 415, "active_content"),
    (ContentTypeRefused("empty", code="empty_file"), 400, "empty_file"),
    (InvalidKey("x" * 20), 400, "idempotency_key_invalid"),
    (Conflict(), 409, "idempotency_conflict"),
    (Conflict(in_progress=True), 409, "idempotency_conflict"),
]


@pytest.mark.parametrize(("exc", "status", "code"), CONTRACT, ids=lambda v: type(v).__name__)
def test_each_domain_error_keeps_its_status_and_code(exc, status, code):
    response = answer_raising(exc)

    assert (response.status_code, response.data["code"]) == (status, code)
    assert response.data["detail"] == exc.message and exc.message


def test_texts_a_client_reads_are_unchanged():
    assert InvalidTransition("accept", "closed").message == (
        "現在の状態(closed)ではこの操作(accept)はできません。"
    )
    assert InvalidTransition("accept", "closed").status == "closed"  # the sheet's status
    assert AttachmentTooLarge(10 * 1024 * 1024).message == (
        "ファイルが大きすぎます(10 MiB まで)。 / The file is larger than 10485760 bytes."
    )
    assert "新しいキー" in Conflict().message and "まだ処理" in Conflict(in_progress=True).message


def test_a_bare_vault_error_is_a_server_fault_not_a_domain_error():
    assert not issubclass(VaultError, DomainError)
    # A bare VaultError escapes the handler: Django answers 500 and logs it.
    with pytest.raises(VaultError):
        answer_raising(VaultError("stream too long"))


@pytest.mark.parametrize(
    "exc",
    [
        NotFound(),
        SheetNotFound(),
        UnknownShelf(),
    ],
)
def test_a_404_domain_error_escaping_a_page_is_the_404_page(exc):
    middleware = DomainNotFoundMiddleware(lambda request: None)

    with pytest.raises(Http404):
        middleware.process_exception(RequestFactory().get("/sheets/9/"), exc)


def test_other_domain_errors_escaping_a_page_are_left_alone():
    middleware = DomainNotFoundMiddleware(lambda request: None)

    assert middleware.process_exception(RequestFactory().get("/"), OutOfStock()) is None


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_the_handler_and_the_page_middleware_import_no_app():
    apps = ("referral_hub.consent", "referral_hub.handoffs", "referral_hub.vault")
    apps += ("referral_hub.idempotency", "referral_hub.inbox", "referral_hub.audit")
    for module in ("api_errors.py", "error_views.py"):
        imported = _imports(PACKAGE / module)
        assert not [name for name in imported if name.startswith(apps)], module


def test_the_domain_error_base_depends_on_nothing():
    imported = _imports(PACKAGE / "domain_errors.py")
    assert imported <= {"__future__", "__future__.annotations"}


def _domain_modules() -> list[Path]:
    found = [
        *PACKAGE.glob("*/services.py"),
        *PACKAGE.glob("*/services/*.py"),
        *PACKAGE.glob("*/selectors.py"),
        *PACKAGE.glob("*/errors.py"),
        *PACKAGE.glob("vault/*.py"),
        PACKAGE / "consent" / "policy.py",
        PACKAGE / "domain_errors.py",
    ]
    return sorted({path for path in found if path.exists()})


def test_services_selectors_gate_and_vault_raise_no_http_errors():
    modules = _domain_modules()
    assert len(modules) >= 10
    # (A service may take an HttpRequest to hand to Django's authenticate(); it may not answer.)
    http = ("referral_hub.api_errors", "rest_framework", "django.http.Http404")
    http += ("django.http.HttpResponse", "django.http.JsonResponse", "django.core.exceptions.Perm")
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(n for n in _imports(path) if n.startswith(http))
        for path in modules
    }
    assert {path: names for path, names in offenders.items() if names} == {}
