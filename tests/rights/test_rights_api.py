"""The rights-requests API: names of the contract, privacy officers only, JSON errors."""

from __future__ import annotations

import datetime
import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from referral_hub.audit.models import AuditEvent
from referral_hub.rights.deadlines import due_on, extended_until
from referral_hub.rights.models import RightsRequest

pytestmark = pytest.mark.django_db


def _body(resident_id: int, **overrides):
    body = {
        "resident": resident_id,
        "kind": "disclosure",
        "received_on": timezone.localdate().isoformat(),
        "identity_check": {"document": "driving_licence"},
    }
    body.update(overrides)
    return body


def test_officer_registers_a_request_and_gets_the_due_date(api, resident):
    reply = api("privacy_officer").post("/rights-requests/", _body(resident.pk))
    assert reply.status == 201, reply.body
    assert reply.body["due_on"] == due_on(timezone.localdate()).isoformat()
    assert reply.body["status"] == "open"
    assert reply.body["identity_check"]["document"] == "driving_licence"
    event = AuditEvent.objects.get(action="rights_request.registered")
    assert event.resident_id == resident.pk and event.target_id == str(reply.body["id"])


def test_no_document_number_is_accepted(api, resident):
    body = _body(resident.pk, identity_check={"document": "passport", "number": "TK1234567"})
    reply = api("privacy_officer").post("/rights-requests/", body)
    assert reply.status == 400
    assert not RightsRequest.objects.exists()


@pytest.mark.parametrize("user", ["tax_clerk", "consult1", "consult_lead", "admin"])
def test_only_privacy_officers_may_use_the_desk(api, resident, user):
    officer_reply = api("privacy_officer").post("/rights-requests/", _body(resident.pk))
    request_id = officer_reply.body["id"]
    client = api(user)
    assert client.post("/rights-requests/", _body(resident.pk)).status == 403
    assert client.get("/rights-requests/").status == 403
    assert client.get(f"/rights-requests/{request_id}/package/").status == 403
    assert client.post(f"/rights-requests/{request_id}/extend/", {"reason": "x"}).status == 403
    reply = client.post(f"/rights-requests/{request_id}/decide/", {"decision": "disclose"})
    assert reply.status == 403 and reply.code == "permission_denied"
    assert client.get("/rights-requests/resident-search/", kana="ヤマダタロウ").status == 403
    assert RightsRequest.objects.get(pk=request_id).is_open


def test_unknown_request_is_404_json(api):
    reply = api("privacy_officer").get("/rights-requests/999999/package/")
    assert reply.status == 404 and reply.code == "not_found"


def test_register_filters_open_and_overdue(api, resident):
    officer = api("privacy_officer")
    old = timezone.localdate() - datetime.timedelta(days=60)
    late = officer.post("/rights-requests/", _body(resident.pk, received_on=old.isoformat()))
    fresh = officer.post("/rights-requests/", _body(resident.pk, kind="correction"))
    overdue = officer.get("/rights-requests/", status="overdue").body
    assert [r["id"] for r in overdue["results"]] == [late.body["id"]]
    assert overdue["results"][0]["overdue"] is True
    open_ids = {r["id"] for r in officer.get("/rights-requests/", status="open").body["results"]}
    assert open_ids == {late.body["id"], fresh.body["id"]}
    kinds = officer.get("/rights-requests/", status="open", kind="correction").body["results"]
    assert [r["id"] for r in kinds] == [fresh.body["id"]]
    assert officer.get("/rights-requests/", status="soon").status == 400


def test_extend_once_with_a_reason(api, resident):
    officer = api("privacy_officer")
    created = officer.post("/rights-requests/", _body(resident.pk)).body
    assert officer.post(f"/rights-requests/{created['id']}/extend/", {"reason": ""}).status == 400
    reply = officer.post(f"/rights-requests/{created['id']}/extend/", {"reason": "記録が多いため"})
    assert reply.status == 200
    assert (
        reply.body["extended_until"]
        == extended_until(datetime.date.fromisoformat(created["due_on"])).isoformat()
    )
    assert reply.body["deadline"] == reply.body["extended_until"]
    again = officer.post(f"/rights-requests/{created['id']}/extend/", {"reason": "再度"})
    assert again.status == 409 and again.code == "already_extended"


def test_decide_records_the_decision_and_letter_hash(api, resident):
    officer = api("privacy_officer")
    created = officer.post("/rights-requests/", _body(resident.pk)).body
    wrong = officer.post(f"/rights-requests/{created['id']}/decide/", {"decision": "suspended"})
    assert wrong.status == 400 and wrong.code == "invalid_decision"
    refuse = officer.post(f"/rights-requests/{created['id']}/decide/", {"decision": "refuse"})
    assert refuse.status == 400 and refuse.code == "note_required"
    reply = officer.post(f"/rights-requests/{created['id']}/decide/", {"decision": "disclose"})
    assert reply.status == 200
    assert reply.body["status"] == "decided" and len(reply.body["letter_sha256"]) == 64
    again = officer.post(f"/rights-requests/{created['id']}/decide/", {"decision": "disclose"})
    assert again.status == 409 and again.code == "already_decided"
    event = AuditEvent.objects.get(action="rights_request.decided")
    assert event.details["decision"] == "disclose"


def test_officer_finds_the_resident_by_kana_and_birth_date(api, resident):
    reply = api("privacy_officer").get(
        "/rights-requests/resident-search/",
        kana="やまだ たろう",
        birth_date=resident.birth_date.isoformat(),
    )
    assert reply.status == 200, reply.body
    assert [r["internal_id"] for r in reply.body] == [resident.pk]
    assert reply.body[0]["family_name"] == "山田"
    event = AuditEvent.objects.filter(action="rights.resident_search").latest("seq")
    assert event.details == {"matches": 1, "residents": [resident.pk]}
    other_day = resident.birth_date + datetime.timedelta(days=1)
    none = api("privacy_officer").get(
        "/rights-requests/resident-search/", kana="ヤマダ タロウ", birth_date=other_day.isoformat()
    )
    assert none.body == []


def test_sweep_alerts_officers_once_for_due_soon_and_overdue(api, resident):
    officer = api("privacy_officer")
    today = timezone.localdate()
    late = officer.post(
        "/rights-requests/",
        _body(resident.pk, received_on=(today - datetime.timedelta(days=60)).isoformat()),
    ).body
    soon = officer.post(
        "/rights-requests/",
        _body(resident.pk, received_on=(today - datetime.timedelta(days=29)).isoformat()),
    ).body
    call_command("sweep_overdue")
    call_command("sweep_overdue")
    overdue = AuditEvent.objects.filter(action="rights_request.overdue")
    due_soon = AuditEvent.objects.filter(action="rights_request.due_soon")
    assert [e.target_id for e in overdue] == [str(late["id"])]
    assert [e.target_id for e in due_soon] == [str(soon["id"])]


def test_registering_twice_with_one_idempotency_key_creates_one_request(api, resident):
    officer = api("privacy_officer")
    body = json.dumps(_body(resident.pk))
    answers = [
        officer.client.post(
            "/api/v1/rights-requests/",
            data=body,
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY="rights-request-0001",
        )
        for _ in range(2)
    ]
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].json()["id"] == answers[1].json()["id"]
    assert answers[1]["Idempotent-Replayed"] == "true"
    assert RightsRequest.objects.count() == 1


@pytest.mark.parametrize(
    "received_on",
    [
        "1900-01-01",
        (timezone.localdate() - datetime.timedelta(days=800)).isoformat(),
        (timezone.localdate() + datetime.timedelta(days=1)).isoformat(),
    ],
)
def test_implausible_received_on_is_refused(api, resident, received_on):
    reply = api("privacy_officer").post(
        "/rights-requests/", _body(resident.pk, received_on=received_on)
    )
    assert reply.status == 400, reply.body
    assert reply.body.get("field") == "received_on" or "received_on" in json.dumps(reply.body)
    assert not RightsRequest.objects.exists()


def test_a_statement_with_nul_is_refused(api, resident):
    reply = api("privacy_officer").post(
        "/rights-requests/", _body(resident.pk, statement="本人の\x00申出")
    )
    assert reply.status == 400 and reply.code == "malformed_request"
    assert not RightsRequest.objects.exists()
