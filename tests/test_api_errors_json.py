"""Every error is JSON on the API (issue 15, failing inputs 6 and 7): unknown routes are 404,
an unexpected failure is 500, and a full disk is 507 ``storage_full`` with nothing half-stored.
The database being unavailable: tests/test_database_unavailable.py."""

from __future__ import annotations

import errno
import io
from pathlib import Path

import pytest
from django.test import Client
from rest_framework.test import APIClient

from referral_hub.directory import roles
from referral_hub.handoffs.models import Attachment
from tests import fixtures_sheets
from tests.fixtures_sheets import send_ok

# pytest finds fixtures by name in the module (the folder conftests import them the same way).
api = fixtures_sheets.api
demo = fixtures_sheets.demo
demo_module = fixtures_sheets.demo_module
fast_hashers = fixtures_sheets.fast_hashers
full_consent = fixtures_sheets.full_consent
resident = fixtures_sheets.resident


def assert_json_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code and body["detail"]
    return body


# --- input 7: unknown routes ---------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/no-such-thing/", "/api/v1/sheets/1/nope/", "/api/v2/"])
def test_unknown_api_route_is_404_json(demo, api, path):
    assert_json_error(api("tax_clerk").client.get(path), 404, "not_found")


def test_unknown_api_route_is_404_json_for_anonymous_clients_too(db):
    assert_json_error(Client().get("/api/v1/no-such-thing/"), 404, "not_found")


def test_unknown_page_is_still_an_html_page(db):
    response = Client().get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


# --- input 6: an unexpected failure --------------------------------------------------------------


def test_unexpected_failure_in_an_api_view_is_500_json(demo, api, monkeypatch):
    def broken(user):
        raise RuntimeError("a bug")

    monkeypatch.setattr(roles, "places", broken)
    client = Client(
        raise_request_exception=False,
        HTTP_AUTHORIZATION=api("tax_clerk").client.defaults["HTTP_AUTHORIZATION"],
    )

    assert_json_error(client.get("/api/v1/me/"), 500, "server_error")


def test_a_deadlock_is_503_retry_with_retry_after_not_500(demo, api, monkeypatch):
    psycopg = pytest.importorskip("psycopg")
    from django.db import OperationalError

    def deadlocked(user):
        error = OperationalError("deadlock detected")
        error.__cause__ = psycopg.errors.DeadlockDetected("deadlock detected")
        raise error

    monkeypatch.setattr(roles, "places", deadlocked)
    client = Client(
        raise_request_exception=False,
        HTTP_AUTHORIZATION=api("tax_clerk").client.defaults["HTTP_AUTHORIZATION"],
    )

    response = client.get("/api/v1/me/")

    assert_json_error(response, 503, "retry")
    assert response["Retry-After"] == "5"


# --- input 6: a full disk ------------------------------------------------------------------------


def test_full_attachment_storage_is_507_and_nothing_is_half_stored(
    demo, api, resident, full_consent, settings, tmp_path, monkeypatch
):
    from django.core.files.storage import FileSystemStorage

    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "attachments")},
        },
    }
    sheet_id = send_ok(api("tax_clerk"), resident, full_consent)
    real_save = FileSystemStorage._save

    def save_until_full(self, name, content):
        # Write part of the object, then fail as a full disk does.
        Path(self.path(name)).parent.mkdir(parents=True, exist_ok=True)
        Path(self.path(name)).write_bytes(b"partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(FileSystemStorage, "_save", save_until_full)
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(demo.user("tax_clerk"))
    upload = io.BytesIO(b"%PDF-1.7\n" + b"0" * 4000 + b"\n%%EOF\n")
    upload.name = "scan.pdf"

    response = client.post(
        f"/api/v1/sheets/{sheet_id}/attachments/", {"file": upload}, format="multipart"
    )

    assert_json_error(response, 507, "storage_full")
    assert Attachment.objects.count() == 0
    assert [p for p in (tmp_path / "attachments").rglob("*") if p.is_file()] == []
    assert real_save is not None
