"""Real sheet API responses match the schema they declare (issue 16, input 12): every key
described, nothing undeclared, lists as lists, refusals as ``{"code","detail"}``."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fixtures_sheets import send_ok, sheet_body
from tests.test_openapi_typed import check, generated_schema


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return generated_schema()


SHEETS = "/api/v1/sheets/"
SHEET = "/api/v1/sheets/{sheet_id}/"


def test_sheet_responses_match_their_declared_schema(schema, demo, api, resident, full_consent):
    clerk, desk = api("tax_clerk"), api("consult_lead")
    sent = clerk.post("/sheets/", sheet_body(resident, full_consent))
    assert sent.status == 201, sent.body
    check(schema, SHEETS, "post", 201, sent.body)
    sheet_id = sent.body["id"]

    listed = desk.get("/sheets/", box="inbox")
    assert listed.status == 200 and listed.body["results"]
    check(schema, SHEETS, "get", 200, listed.body)

    acknowledged = desk.act(sheet_id, "acknowledge")
    assert acknowledged.status == 200, acknowledged.body
    check(schema, SHEET + "acknowledge/", "post", 200, acknowledged.body)
    noted = desk.act(sheet_id, "accept")
    assert noted.status == 200, noted.body
    contacted = desk.act(sheet_id, "contacted", {"note": "電話済み", "share_with_sender": True})
    check(schema, SHEET + "contacted/", "post", 200, contacted.body)

    desk_view = desk.get(f"/sheets/{sheet_id}/")
    sender_view = clerk.get(f"/sheets/{sheet_id}/")
    assert (desk_view.body["view"], sender_view.body["view"]) == ("desk", "sender")
    check(schema, SHEET, "get", 200, desk_view.body)
    check(schema, SHEET, "get", 200, sender_view.body)

    for reader in (desk, clerk):
        events = reader.get(f"/sheets/{sheet_id}/events/")
        assert events.status == 200 and isinstance(events.body, list) and events.body
        check(schema, SHEET + "events/", "get", 200, events.body)

    posted = desk.post(f"/sheets/{sheet_id}/messages/", {"body": "来週面談します"})
    assert posted.status == 201, posted.body
    check(schema, SHEET + "messages/", "post", 201, posted.body)
    messages = clerk.get(f"/sheets/{sheet_id}/messages/")
    assert messages.status == 200 and messages.body
    check(schema, SHEET + "messages/", "get", 200, messages.body)

    identity = desk.get(f"/residents/{resident.pk}/")
    assert identity.status == 200, identity.body
    check(schema, "/api/v1/residents/{resident_id}/", "get", 200, identity.body)


def test_refusals_match_the_error_schema(schema, demo, api, resident, full_consent):
    sheet_id = send_ok(api("tax_clerk"), resident, full_consent)
    refused = api("hogo_staff").act(sheet_id, "acknowledge")
    assert (refused.status, refused.body["code"]) == (403, "not_owner_desk")
    check(schema, SHEET + "acknowledge/", "post", 403, refused.body)

    invalid = api("consult_lead").act(sheet_id, "redirect", {"to_desk": "nowhere", "reason": "x"})
    assert (invalid.status, invalid.body["code"]) == (400, "unknown_desk")
    check(schema, SHEET + "redirect/", "post", 400, invalid.body)

    missing = api("consult_lead").get("/sheets/999999/")
    assert missing.status == 404
    check(schema, SHEET, "get", 404, missing.body)
