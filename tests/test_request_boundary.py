"""One boundary for what comes in (issue 15, failing inputs 1, 3, 7 and, from 9, duplicate JSON
keys and a Latin-1 charset over UTF-8 bytes): a body over the route's limit is refused 413 JSON
before it is read; JSON is parsed with a depth limit, duplicate-key refusal and strict UTF-8, and
every refusal is 400 ``malformed_request`` with nothing written."""

from __future__ import annotations

import json
import time

import pytest
from django.test import Client

from referral_hub.audit.models import AuditEvent
from referral_hub.consent.models import Resident
from referral_hub.handoffs.models import ConnectSheet
from tests import fixtures_sheets
from tests.fixtures_sheets import sheet_body

# pytest finds fixtures by name in the module (the folder conftests import them the same way).
api = fixtures_sheets.api
demo = fixtures_sheets.demo
demo_module = fixtures_sheets.demo_module
fast_hashers = fixtures_sheets.fast_hashers
jiritsu_consent = fixtures_sheets.jiritsu_consent
resident = fixtures_sheets.resident

NESTED = "[" * 2000 + "]" * 2000  # about 4 KB: 2,000 levels
RESIDENT = {
    "family_name": "田山",
    "given_name": "花子",
    "family_name_kana": "タヤマ",
    "given_name_kana": "ハナコ",
    "birth_date": "1980-04-01",
}


def written() -> tuple[int, int, int]:
    return Resident.objects.count(), ConnectSheet.objects.count(), AuditEvent.objects.count()


def post_raw(client: Client, path: str, body: bytes, content_type: str = "application/json"):
    return client.generic("POST", path, body, content_type=content_type)


# --- input 1: deeply nested JSON --------------------------------------------------------------


@pytest.mark.django_db
def test_deeply_nested_json_to_the_anonymous_token_endpoint_is_400_not_a_recursion_error():
    body = ('{"username": ' + NESTED + ', "password": "x"}').encode()
    assert len(body) < 5000

    response = post_raw(Client(), "/api/v1/auth/token/", body)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "malformed_request"


def test_deeply_nested_json_to_residents_and_sheet_details_is_400_and_writes_nothing(
    demo, api, resident, jiritsu_consent
):
    before = written()
    clerk = api("tax_clerk")

    resident_reply = clerk.post(
        "/residents/", raw=json.dumps(RESIDENT)[:-1] + ', "x": ' + NESTED + "}"
    )
    sheet = json.dumps(sheet_body(resident, jiritsu_consent))[:-1]
    sheet_reply = clerk.post("/sheets/", raw=sheet + ', "details": {"tax": ' + NESTED + "}}")

    assert (resident_reply.status, resident_reply.body["code"]) == (400, "malformed_request")
    assert (sheet_reply.status, sheet_reply.body["code"]) == (400, "malformed_request")
    assert written() == before


def test_depth_check_stays_linear_on_a_body_of_escaped_quotes(demo, api):
    # An unterminated string full of escaped quotes: a naive string pattern retries from every
    # quote and takes minutes on a body this size.
    body = '{"family_name": "' + '\\"' * 400_000

    started = time.monotonic()
    reply = api("tax_clerk").post("/residents/", raw=body)

    assert time.monotonic() - started < 3
    assert (reply.status, reply.body["code"]) == (400, "malformed_request")


def test_ordinary_nesting_still_parses(demo, api, resident, jiritsu_consent):
    reply = api("tax_clerk").post("/sheets/", sheet_body(resident, jiritsu_consent))

    assert reply.status == 201, reply.body


# --- input 9 (part): duplicate keys and a charset that is not UTF-8 ---------------------------


def test_duplicate_json_keys_are_refused_not_silently_last_wins(demo, api):
    before = written()
    body = json.dumps(RESIDENT)[:-1] + ', "family_name": "別人"}'

    reply = api("tax_clerk").post("/residents/", raw=body)

    assert reply.status == 400
    assert reply.body["code"] == "malformed_request"
    assert "family_name" in reply.body["detail"]
    assert written() == before


def test_latin1_charset_over_utf8_bytes_is_refused_not_stored_as_mojibake(demo, api):
    before = written()
    client = api("tax_clerk").client
    body = json.dumps(RESIDENT, ensure_ascii=False).encode("utf-8")

    response = post_raw(client, "/api/v1/residents/", body, "application/json; charset=latin-1")

    assert response.status_code == 400
    assert response.json()["code"] == "malformed_request"
    assert written() == before


def test_invalid_utf8_bytes_are_refused(demo, api):
    before = written()
    body = (
        json.dumps(RESIDENT, ensure_ascii=False)
        .encode("utf-8")
        .replace("田山".encode(), b"\xff\xfe")
    )

    response = post_raw(api("tax_clerk").client, "/api/v1/residents/", body)

    assert response.status_code == 400
    assert response.json()["code"] == "malformed_request"
    assert written() == before


def test_explicit_utf8_charset_is_accepted(demo, api):
    body = json.dumps(RESIDENT, ensure_ascii=False).encode("utf-8")

    response = post_raw(
        api("tax_clerk").client, "/api/v1/residents/", body, "application/json; charset=UTF-8"
    )

    assert response.status_code == 201, response.content
    assert Resident.objects.get(pk=response.json()["id"]).family_name == "田山"


# --- the size limits per route (the ASGI limit itself: tests/test_body_limit.py) -------------


def test_upload_routes_allow_the_attachment_size_and_others_a_small_body(settings):
    from referral_hub.http_handler import body_limit

    settings.ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024
    settings.REQUEST_MAX_BYTES = 1024 * 1024

    assert body_limit("/api/v1/sheets/12/attachments/") > 20 * 1024 * 1024
    assert body_limit("/api/v1/consents/3/evidence/") > 20 * 1024 * 1024
    assert body_limit("/sheets/12/attachments/") > 20 * 1024 * 1024
    assert body_limit("/api/v1/sheets/") == 1024 * 1024
    assert body_limit("/api/v1/auth/token/") == 1024 * 1024
