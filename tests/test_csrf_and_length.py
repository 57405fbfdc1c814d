"""Bad input answered in the project's words (issue 15's kind, found again in issue 22's
attack): a form posted without its CSRF token gets the project's own 403 page in the user's
language instead of Django's English debugging page, and a multipart body without
Content-Length (chunked) is refused 411 JSON before it is read instead of being taken as an
empty form (which answered "no file" to an upload that was being sent)."""

from __future__ import annotations

import json

import pytest
from asgiref.testing import ApplicationCommunicator
from django.test import Client

from referral_hub.audit.models import AuditEvent
from referral_hub.http_handler import get_http_application
from tests import fixtures_sheets
from tests.asgi_scopes import answer_of, http_scope
from tests.inbox.sockets import run_async

demo = fixtures_sheets.demo
demo_module = fixtures_sheets.demo_module
fast_hashers = fixtures_sheets.fast_hashers


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/send/", "/login/"])
def test_a_form_posted_without_its_csrf_token_gets_the_projects_page_in_japanese(path):
    response = Client(enforce_csrf_checks=True).post(path, {"x": "1"})
    assert response.status_code == 403
    page = response.content.decode()
    assert "送信できませんでした" in page
    assert "もう一度送信してください" in page
    assert "CSRF verification failed" not in page  # Django's own page is gone


@pytest.mark.django_db
def test_the_csrf_page_follows_the_chosen_language():
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    client.cookies["django_language"] = "en"
    response = client.post("/login/", {"x": "1"})
    assert response.status_code == 403
    assert "Reload the page, then send it again." in response.content.decode()


@pytest.mark.django_db
def test_a_signed_in_clerk_posting_the_send_form_without_a_token_is_refused_with_the_page(demo):
    client = Client(enforce_csrf_checks=True)
    client.force_login(demo.user("tax_clerk"))
    response = client.post("/send/", {"summary": "x"})
    assert response.status_code == 403
    assert "ページを読み込み直してから" in response.content.decode()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["/api/v1/sheets/1/attachments/", "/send/", "/api/v1/sheets/"])
@run_async
async def test_a_chunked_multipart_body_is_411_json_before_any_byte_is_read(path):
    communicator = ApplicationCommunicator(
        get_http_application(),
        http_scope(
            path,
            [
                (b"content-type", b"multipart/form-data; boundary=xyz"),
                (b"transfer-encoding", b"chunked"),
            ],
        ),
    )
    # No body is sent: the answer comes from the headers alone.
    status, headers, body = await answer_of(communicator)
    assert status == 411
    assert headers[b"content-type"] == b"application/json"
    assert json.loads(body)["code"] == "length_required"
    assert await AuditEvent.objects.acount() == 0  # the view never ran


@pytest.mark.django_db(transaction=True)
@run_async
async def test_a_chunked_json_body_still_reaches_the_view():
    """Django reads a chunked JSON body whole (request.body): only multipart is refused."""
    communicator = ApplicationCommunicator(
        get_http_application(),
        http_scope(
            "/api/v1/auth/token/",
            [(b"content-type", b"application/json"), (b"transfer-encoding", b"chunked")],
        ),
    )
    await communicator.send_input(
        {"type": "http.request", "body": b'{"username": "nobody", ', "more_body": True}
    )
    await communicator.send_input({"type": "http.request", "body": b'"password": "x"}'})
    status, _, body = await answer_of(communicator)
    assert status != 411
    assert json.loads(body)["code"] != "malformed_request"
