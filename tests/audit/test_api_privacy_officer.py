"""The privacy officer's API: event search, a resident's disclosure report, verification.
Only privacy officers may use it, and every use is itself audited."""

from __future__ import annotations

import csv
import io

import pytest

from referral_hub.audit.log import record
from referral_hub.audit.models import AuditEvent

from .conftest import AUDIT_URLCONF, attacker_cursor

pytestmark = [pytest.mark.django_db, pytest.mark.urls(AUDIT_URLCONF)]


@pytest.fixture
def activity(user, django_user_model):
    other = django_user_model.objects.create_user(
        username="hogo_staff", password="x-long-password-3"
    )
    return {
        "send": record(
            "sheet.send",
            actor=user,
            actor_desk="tax",
            target_type="sheet",
            target_id=1,
            resident_id=10,
            legal_basis="consent",
            details={"to_desk": "jiritsu"},
        ),
        "read": record(
            "sheet.read",
            actor=other,
            actor_desk="jiritsu",
            target_type="sheet",
            target_id=1,
            resident_id=10,
            legal_basis="consent",
            details={"owner_desk": "jiritsu"},
        ),
        "denied": record(
            "sheet.read",
            actor=other,
            actor_desk="kakei",
            target_type="sheet",
            target_id=1,
            resident_id=10,
            allowed=False,
            refusal_code="consent_scope",
        ),
        "attachment": record(
            "attachment.read",
            actor=other,
            actor_desk="jiritsu",
            target_type="attachment",
            target_id=4,
            resident_id=10,
            legal_basis="support_meeting",
        ),
        "consent": record(
            "consent.record",
            actor=user,
            actor_desk="jiritsu",
            target_type="consent",
            target_id=2,
            resident_id=10,
        ),
        "elsewhere": record(
            "resident.read",
            actor=user,
            actor_desk="jiritsu",
            target_type="resident",
            target_id=11,
            resident_id=11,
            legal_basis="consent",
        ),
        "login": record("auth.login", actor=user),
    }


# --- permission --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "action"),
    [
        ("/api/v1/audit/events/", "audit.search"),
        ("/api/v1/audit/verify/", "audit.verify"),
        ("/api/v1/residents/10/disclosures/", "audit.disclosure_report"),
        ("/api/v1/residents/10/disclosures/?format=csv", "audit.disclosure_report"),
        ("/api/v1/audit/anomalies/", "audit.anomalies"),
        ("/api/v1/audit/reviews/", "audit.review_list"),
    ],
)
def test_staff_without_the_permission_are_refused_and_the_refusal_is_audited(
    staff_client, user, url, action
):
    response = staff_client.get(url)
    assert response.status_code == 403
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "permission_denied"
    refusal = AuditEvent.objects.order_by("-seq").first()
    assert (refusal.action, refusal.allowed, refusal.refusal_code, refusal.actor_id) == (
        action,
        False,
        "permission_denied",
        user.pk,
    )


def test_anonymous_requests_are_refused():
    from rest_framework.test import APIClient

    assert APIClient().get("/api/v1/audit/events/").status_code in (401, 403)


# --- event search ------------------------------------------------------------------------------


def _seqs(response):
    assert response.status_code == 200, response.content
    return [row["seq"] for row in response.json()["results"]]


def test_search_filters_by_resident_actor_desk_action_and_decision(officer_client, activity, user):
    a = activity
    assert _seqs(officer_client.get("/api/v1/audit/events/?resident=10")) == [
        a[k].seq for k in ("consent", "attachment", "denied", "read", "send")
    ]
    assert _seqs(officer_client.get("/api/v1/audit/events/?actor=hogo_staff")) == [
        a["attachment"].seq,
        a["denied"].seq,
        a["read"].seq,
    ]
    assert _seqs(
        officer_client.get(f"/api/v1/audit/events/?actor={user.pk}&action=sheet.send")
    ) == [a["send"].seq]
    assert _seqs(officer_client.get("/api/v1/audit/events/?desk=kakei")) == [a["denied"].seq]
    assert _seqs(officer_client.get("/api/v1/audit/events/?action=sheet.*&resident=10")) == [
        a["denied"].seq,
        a["read"].seq,
        a["send"].seq,
    ]
    assert _seqs(officer_client.get("/api/v1/audit/events/?allowed=false&resident=10")) == [
        a["denied"].seq
    ]


def test_search_by_period(officer_client, activity):
    today = activity["send"].at.astimezone().date().isoformat()
    in_period = _seqs(
        officer_client.get(f"/api/v1/audit/events/?since={today}&until={today}&resident=11")
    )
    assert in_period == [activity["elsewhere"].seq]
    assert _seqs(officer_client.get("/api/v1/audit/events/?until=2000-01-01")) == []
    after_send = activity["send"].at.isoformat()
    assert activity["send"].seq in _seqs(
        officer_client.get(f"/api/v1/audit/events/?since={after_send.replace('+', '%2B')}")
    )


def test_search_results_are_paginated_and_carry_every_field(officer_client, activity):
    body = officer_client.get("/api/v1/audit/events/?page_size=2").json()
    assert body["count"] >= len(activity)
    assert len(body["results"]) == 2 and body["next"]
    row = body["results"][0]
    assert {
        "seq",
        "at",
        "actor_id",
        "actor_username",
        "actor_desk",
        "action",
        "target_type",
        "target_id",
        "resident_id",
        "legal_basis",
        "allowed",
        "refusal_code",
        "request_id",
        "client_ip",
        "details",
        "prev_hash",
        "hash",
    } <= set(row)


def test_a_malformed_period_is_a_json_error(officer_client):
    response = officer_client.get("/api/v1/audit/events/?since=yesterday")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_every_search_is_itself_audited(officer_client, officer, activity):
    officer_client.get("/api/v1/audit/events/?resident=10&action=sheet.read")
    event = AuditEvent.objects.order_by("-seq").first()
    assert (event.action, event.actor_id, event.resident_id) == ("audit.search", officer.pk, 10)
    assert event.details == {"resident": 10, "action": "sheet.read", "results": 2}


# --- a resident's disclosure report ------------------------------------------------------------


def test_disclosure_report_lists_exactly_the_allowed_disclosures_of_that_resident(
    officer_client, activity
):
    body = officer_client.get("/api/v1/residents/10/disclosures/").json()
    assert [row["seq"] for row in body["results"]] == [
        activity[k].seq for k in ("send", "read", "attachment")
    ]
    assert body["count"] == 3
    send = body["results"][0]
    assert (
        send["actor_username"],
        send["actor_desk"],
        send["legal_basis"],
        send["recipient_desk"],
    ) == ("consult1", "tax", "consent", "jiritsu")
    assert send["legal_basis_label"] == "本人同意"
    assert body["results"][2]["legal_basis_label"] == "支援会議"


def test_state_change_events_without_a_basis_are_not_counted_twice(officer_client, activity, user):
    # Rows written before issue 16: the state change shared the gate's action name and had no
    # basis. It must not appear as a second disclosure.
    gate = record(
        "sheet.redirect",
        actor=user,
        actor_desk="jiritsu",
        target_type="sheet",
        target_id=1,
        resident_id=10,
        legal_basis="consent",
        details={"recipient_desk": "kakei"},
    )
    record(
        "sheet.redirect",
        actor=user,
        actor_desk="jiritsu",
        target_type="sheet",
        target_id=1,
        resident_id=10,
        details={"to_desk": "kakei"},
    )
    rows = officer_client.get("/api/v1/residents/10/disclosures/").json()["results"]
    redirects = [row for row in rows if row["action"] == "sheet.redirect"]
    assert [(row["seq"], row["recipient_desk"], row["action_label"]) for row in redirects] == [
        (gate.seq, "kakei", "シート転送")
    ]


def test_a_redirect_is_one_disclosure_and_its_state_change_has_its_own_action(
    officer_client, activity, user
):
    gate = record(
        "sheet.redirect",
        actor=user,
        actor_desk="jiritsu",
        target_type="sheet",
        target_id=1,
        resident_id=10,
        legal_basis="consent",
        details={"recipient_desk": "kakei"},
    )
    change = record(
        "sheet.redirected",
        actor=user,
        actor_desk="jiritsu",
        target_type="sheet",
        target_id=1,
        resident_id=10,
        details={"to_desk": "kakei"},
    )
    rows = officer_client.get("/api/v1/residents/10/disclosures/").json()["results"]
    assert change.seq not in [row["seq"] for row in rows]
    assert [(r["seq"], r["action"]) for r in rows if r["action"].startswith("sheet.redirect")] == [
        (gate.seq, "sheet.redirect")
    ]
    found = officer_client.get("/api/v1/audit/events/?action=sheet.redirect").json()["results"]
    assert [row["seq"] for row in found] == [gate.seq]


def test_disclosure_report_as_csv_has_a_bom_and_japanese_headers(officer_client, activity):
    response = officer_client.get("/api/v1/residents/10/disclosures/?format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "disclosures-resident-10.csv" in response["Content-Disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == [
        "記録番号",
        "日時",
        "操作",
        "職員",
        "所属",
        "法的根拠",
        "提供先",
        "対象",
        "対象ID",
    ]
    assert [row[0] for row in rows[1:]] == [
        str(activity[k].seq) for k in ("send", "read", "attachment")
    ]
    assert rows[1][2] == "シート送付" and rows[2][2] == "シート閲覧"


def test_disclosure_report_as_a_printable_page(officer_client, activity):
    response = officer_client.get("/api/v1/residents/10/disclosures/?format=html")
    assert response.status_code == 200
    page = response.content.decode()
    assert "個人情報の提供・閲覧記録" in page
    assert "添付ファイル閲覧" in page


def test_disclosure_report_is_itself_audited(officer_client, officer, activity):
    officer_client.get("/api/v1/residents/10/disclosures/?format=csv")
    event = AuditEvent.objects.order_by("-seq").first()
    assert (event.action, event.actor_id, event.resident_id) == (
        "audit.disclosure_report",
        officer.pk,
        10,
    )
    assert event.details == {"format": "csv", "results": 3}
    # Looking at the report is not itself a disclosure of the resident's data.
    assert officer_client.get("/api/v1/residents/10/disclosures/").json()["count"] == 3


# --- verification ------------------------------------------------------------------------------


def test_verify_reports_the_chain(officer_client, activity, checkpoint_file):
    body = officer_client.get("/api/v1/audit/verify/").json()
    assert body["ok"] is True
    assert body["entries"] == len(activity)
    assert body["head"] == activity["login"].hash
    assert body["first_bad_seq"] is None


def test_verify_names_the_first_bad_seq(officer_client, activity, checkpoint_file):
    with attacker_cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET actor_desk = 'x' WHERE seq = %s", [activity["read"].seq]
        )
    body = officer_client.get("/api/v1/audit/verify/").json()
    assert (body["ok"], body["first_bad_seq"]) == (False, activity["read"].seq)
    assert AuditEvent.objects.order_by("-seq").first().action == "audit.verify"


def test_openapi_schema_documents_the_audit_api():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator(urlconf=AUDIT_URLCONF).get_schema(request=None, public=True)
    paths = schema["paths"]
    assert set(paths) >= {
        "/api/v1/audit/events/",
        "/api/v1/audit/verify/",
        "/api/v1/audit/reviews/",
        "/api/v1/audit/reviews/{id}/",
        "/api/v1/audit/anomalies/",
        "/api/v1/residents/{resident_id}/disclosures/",
    }
    params = {p["name"] for p in paths["/api/v1/audit/events/"]["get"]["parameters"]}
    assert {"resident", "actor", "desk", "action", "since", "until", "page"} <= params
    assert "post" in paths["/api/v1/audit/reviews/{id}/"]
    operation_ids = [op["operationId"] for item in paths.values() for op in item.values()]
    assert len(operation_ids) == len(set(operation_ids))
