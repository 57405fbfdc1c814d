"""Malformed JSON, wrong types and unknown fields are answered 400 with JSON ``{"code","detail"}``
and nothing is written (issue 3: serializers reject unknown fields and wrong types)."""

from __future__ import annotations

import pytest

from referral_hub.audit.models import AuditEvent
from referral_hub.consent.models import Consent, Resident
from referral_hub.handoffs.models import ConnectSheet, SheetEvent, SheetMessage
from referral_hub.inbox.models import InboxEvent
from tests.fixtures_sheets import drive_to, send_ok, sheet_body


def written() -> tuple[int, ...]:
    return (
        Resident.objects.count(),
        Consent.objects.count(),
        ConnectSheet.objects.count(),
        SheetEvent.objects.count(),
        SheetMessage.objects.count(),
        InboxEvent.objects.count(),
        AuditEvent.objects.count(),
    )


def assert_bad_request(reply, before: tuple[int, ...], code: str | None = None) -> None:
    assert reply.status == 400, reply.body
    assert isinstance(reply.body, dict)
    assert reply.body["code"] and reply.body["detail"]
    if code:
        assert reply.body["code"] == code
    assert written() == before


@pytest.mark.parametrize(
    "raw",
    ['{"resident": 1, "to_desk": ', "not json at all", "[1, 2, 3]", "null", '"a string"'],
)
def test_send_with_malformed_json_is_400_and_writes_nothing(demo, api, resident, raw):
    before = written()

    reply = api("tax_clerk").post("/sheets/", raw=raw)

    assert_bad_request(reply, before)
    assert reply.body["code"] == "malformed_request"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("resident", "abc"),
        ("resident", None),
        ("concerns", "tax_arrears"),
        ("concerns", []),
        ("concerns", [{"code": "tax_arrears"}]),
        ("urgency", "tomorrow"),
        ("urgency", 3),
        ("legal_basis", "because"),
        ("consent", "one"),
        ("consent", [1]),
        ("summary", {"text": "x"}),
        ("handoff_method", "carrier_pigeon"),
        ("details", "滞納あり"),
        ("details", {"tax": ["滞納"]}),
        ("summary", "x" * 4001),
    ],
)
def test_send_with_a_wrong_type_is_400_and_writes_nothing(
    demo, api, resident, jiritsu_consent, field, value
):
    before = written()

    reply = api("tax_clerk").post(
        "/sheets/", sheet_body(resident, jiritsu_consent, **{field: value})
    )

    assert_bad_request(reply, before, "invalid")
    assert field in reply.body["errors"]


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"to_desk": "no_such_desk"}, "unknown_desk"),
        ({"concerns": ["no_such_concern"]}, "unknown_concern"),
        ({"consent": 999_999}, "unknown_consent"),
        ({"details": {"salary": "月20万円"}}, "invalid_details"),
        ({"summary": "", "resident_words": ""}, "summary_required"),
    ],
)
def test_send_with_unknown_references_is_400_with_a_code_naming_the_problem(
    demo, api, resident, jiritsu_consent, overrides, code
):
    before = written()

    reply = api("tax_clerk").post("/sheets/", sheet_body(resident, jiritsu_consent, **overrides))

    assert_bad_request(reply, before, code)


def test_send_with_an_unknown_field_is_400_and_writes_nothing(demo, api, resident, jiritsu_consent):
    # A typo such as "detail" for "details" must not silently drop the tax details.
    before = written()

    reply = api("tax_clerk").post(
        "/sheets/", sheet_body(resident, jiritsu_consent, detail={"tax": "滞納あり"})
    )

    assert_bad_request(reply, before, "unknown_field")
    assert reply.body["field"] == "detail"


def test_consent_with_an_unknown_field_is_400_and_writes_nothing(demo, api, resident):
    # "valid_untill" (typo) next to a valid body must not be ignored silently.
    before = written()

    reply = api("tax_clerk").post(
        "/consents/",
        {
            "resident": resident.pk,
            "recipients": [demo.desk("jiritsu").pk],
            "categories": ["identity", "concern"],
            "purpose": "相談のため",
            "method": "verbal_witnessed",
            "witness": "収納 花子",
            "valid_until": "2099-01-01",
            "feedback": True,
        },
    )

    assert_bad_request(reply, before, "unknown_field")


def test_action_with_an_unknown_field_is_400_and_changes_nothing(demo, api, resident, full_consent):
    sheet_id = send_ok(api("tax_clerk"), resident, full_consent)
    drive_to(demo, sheet_id, "acknowledged")
    before = written()

    reply = api("consult_lead").act(sheet_id, "accept", {"handler_id": demo.user("consult2").pk})

    assert_bad_request(reply, before, "unknown_field")
    assert ConnectSheet.objects.get(pk=sheet_id).status == "acknowledged"


@pytest.mark.parametrize(
    ("status", "action", "raw"),
    [
        ("acknowledged", "accept", '{"handler": '),
        ("acknowledged", "accept", '{"handler": "consult2"}'),
        ("accepted", "contacted", '{"note": ["a"]}'),
        ("sent", "redirect", '{"to_desk": "seikatsu_hogo"}'),
        ("sent", "redirect", '{"to_desk": "seikatsu_hogo", "reason": 3.5e}'),
        ("sent", "return", "[]"),
        ("acknowledged", "close", '{"outcome": "happy"}'),
        ("acknowledged", "close", '{"note": "no outcome"}'),
        ("sent", "withdraw", '{"reason": null}'),
    ],
)
def test_action_with_malformed_body_is_400_and_changes_nothing(
    demo, api, resident, full_consent, status, action, raw
):
    sheet_id = send_ok(api("tax_clerk"), resident, full_consent)
    drive_to(demo, sheet_id, status)
    before = written()
    actor = "tax_clerk" if action == "withdraw" else "consult_lead"

    reply = api(actor).post(f"/sheets/{sheet_id}/{action}/", raw=raw)

    assert_bad_request(reply, before)
    assert ConnectSheet.objects.get(pk=sheet_id).status == status


def test_message_without_body_is_400(demo, api, resident, jiritsu_consent):
    sheet_id = send_ok(api("tax_clerk"), resident, jiritsu_consent)
    before = written()

    reply = api("tax_clerk").post(f"/sheets/{sheet_id}/messages/", {"body": ""})

    assert_bad_request(reply, before)


@pytest.mark.parametrize("params", [{"box": "trash"}, {"overdue": "maybe"}], ids=["box", "overdue"])
def test_list_with_an_invalid_filter_is_400(demo, api, params):
    reply = api("consult1").get("/sheets/", **params)

    assert (reply.status, reply.code) == (400, "invalid_filter")


def test_unauthenticated_request_is_401_json(demo, resident, jiritsu_consent):
    from django.test import Client

    response = Client().post(
        "/api/v1/sheets/",
        data=sheet_body(resident, jiritsu_consent),
        content_type="application/json",
    )

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert ConnectSheet.objects.count() == 0


def test_expired_token_is_refused(demo, api, resident, jiritsu_consent):
    from referral_hub.directory.models import ApiToken

    client = api("tax_clerk")
    ApiToken.objects.update(expires_at="2000-01-01T00:00:00Z")

    reply = client.post("/sheets/", sheet_body(resident, jiritsu_consent))

    assert reply.status == 401
    assert reply.code == "authentication_failed"
    assert ConnectSheet.objects.count() == 0


@pytest.mark.parametrize("raw", ["{not json", '{"handler": 5}', "[]"])
def test_acknowledge_with_a_malformed_or_unexpected_body_is_400(
    demo, api, resident, full_consent, raw
):
    # acknowledge takes no body; a garbled one is a client bug to report, not to act on.
    sheet_id = send_ok(api("tax_clerk"), resident, full_consent)
    before = written()

    reply = api("consult1").post(f"/sheets/{sheet_id}/acknowledge/", raw=raw)

    assert_bad_request(reply, before)
    assert ConnectSheet.objects.get(pk=sheet_id).status == "sent"


def test_acknowledge_with_no_body_or_an_empty_object_works(demo, api, resident, full_consent):
    first = send_ok(api("tax_clerk"), resident, full_consent)
    second = send_ok(api("tax_clerk"), resident, full_consent)

    assert api("consult1").client.post(f"/api/v1/sheets/{first}/acknowledge/").status_code == 200
    assert api("consult1").act(second, "acknowledge", {}).status == 200
