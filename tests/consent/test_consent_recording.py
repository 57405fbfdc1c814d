"""Recording a consent (DESIGN.md, Consent and legal bases): recipients, categories, purpose,
method with a witness for verbal consent, who recorded it and until when. Invalid scopes are
refused with a code naming the problem; nothing is written."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from referral_hub.consent.models import Consent

NEXT_YEAR = (timezone.localdate() + datetime.timedelta(days=365)).isoformat()


@pytest.fixture
def body(demo, resident):
    def make(**overrides):
        data = {
            "resident": resident.pk,
            "recipients": [demo.desk("jiritsu").pk, demo.desk("kakei").pk],
            "categories": ["identity", "concern", "tax"],
            "purpose": "自立相談支援窓口と家計改善支援での相談のため",
            "method": "verbal_witnessed",
            "witness": "収納 花子",
            "valid_until": NEXT_YEAR,
        }
        data.update(overrides)
        return data

    return make


def test_recorded_consent_has_its_full_scope(demo, api, body, resident):
    reply = api("tax_clerk").post("/consents/", body())

    assert reply.status == 201, reply.body
    assert reply.body["recipients"] == sorted([demo.desk("jiritsu").pk, demo.desk("kakei").pk])
    assert reply.body["categories"] == ["concern", "identity", "tax"]
    assert (reply.body["method"], reply.body["witness"], reply.body["status"]) == (
        "verbal_witnessed",
        "収納 花子",
        "active",
    )
    assert reply.body["recorded_by"] == demo.user("tax_clerk").pk
    assert reply.body["valid_until"] == NEXT_YEAR
    assert api("consult1").get(f"/consents/{reply.body['id']}/").body == reply.body
    listed = api("tax_clerk").get(f"/residents/{resident.pk}/consents/").body
    assert [c["id"] for c in listed] == [reply.body["id"]]


def test_signed_form_needs_no_witness(demo, api, body):
    reply = api("tax_clerk").post("/consents/", body(method="signed_form", witness=""))

    assert reply.status == 201


@pytest.mark.parametrize(
    ("overrides", "status", "code"),
    [
        ({"method": "verbal_witnessed", "witness": "  "}, 400, "witness_required"),
        ({"valid_until": "2020-01-01"}, 400, "valid_until_past"),
        ({"recipients": []}, 400, "invalid"),
        ({"recipients": [999_999]}, 400, "unknown_desk"),
        ({"categories": []}, 400, "invalid"),
        ({"categories": ["identity", "bank_account"]}, 400, "invalid"),
        ({"method": "nod"}, 400, "invalid"),
        ({"purpose": ""}, 400, "invalid"),
        ({"valid_until": "next year"}, 400, "invalid"),
        ({"resident": 999_999}, 403, "no_relationship"),
    ],
)
def test_invalid_consent_is_refused_and_nothing_is_written(
    demo, api, body, overrides, status, code
):
    reply = api("tax_clerk").post("/consents/", body(**overrides))

    assert (reply.status, reply.code) == (status, code), reply.body
    assert reply.body["detail"]
    assert Consent.objects.count() == 0


@pytest.mark.parametrize("username", ["privacy_officer", "admin"])
def test_only_counter_and_desk_staff_record_consents(demo, api, body, username):
    reply = api(username).post("/consents/", body())

    assert (reply.status, reply.code) == (403, "role_not_allowed")
    assert Consent.objects.count() == 0


def test_privacy_officer_may_read_a_consent_record(demo, api, jiritsu_consent):
    reply = api("privacy_officer").get(f"/consents/{jiritsu_consent.pk}/")

    assert (reply.status, reply.body["status"]) == (200, "active")


def test_consent_record_holds_no_identity_data(demo, api, jiritsu_consent):
    body = str(api("consult1").get(f"/consents/{jiritsu_consent.pk}/").body)

    for identity in ("山田", "ヤマダ", "本町", "046-123-4567"):
        assert identity not in body
