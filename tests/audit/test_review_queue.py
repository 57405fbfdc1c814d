"""Disclosures without consent wait in the privacy officer's queue; a flag notifies the desk
lead through the ``disclosure_flagged`` signal."""

from __future__ import annotations

import pytest

from referral_hub.audit.log import record
from referral_hub.audit.models import AuditEvent, DisclosureReview
from referral_hub.audit.reviews import ReviewError, decide_review
from referral_hub.audit.signals import disclosure_flagged

from .conftest import AUDIT_URLCONF, grant

pytestmark = [pytest.mark.django_db, pytest.mark.urls(AUDIT_URLCONF)]


@pytest.fixture
def flagged_reviews():
    received = []

    def receiver(sender, review, **kwargs):
        received.append((sender, review.pk, review.status, review.note))

    disclosure_flagged.connect(receiver, weak=False, dispatch_uid="test_receiver")
    yield received
    disclosure_flagged.disconnect(dispatch_uid="test_receiver")


@pytest.fixture
def without_consent(user):
    meeting = record(
        "sheet.send",
        actor=user,
        actor_desk="tax",
        target_type="sheet",
        target_id=1,
        resident_id=7,
        legal_basis="support_meeting",
    )
    emergency = record(
        "sheet.read",
        actor=user,
        actor_desk="jiritsu",
        target_type="sheet",
        target_id=2,
        resident_id=8,
        legal_basis="vital_interest",
    )
    return DisclosureReview.objects.get(event=meeting), DisclosureReview.objects.get(
        event=emergency
    )


def test_queue_lists_pending_reviews_with_their_disclosure(officer_client, without_consent):
    body = officer_client.get("/api/v1/audit/reviews/?status=pending").json()
    assert [row["id"] for row in body["results"]] == [without_consent[1].pk, without_consent[0].pk]
    event = body["results"][1]["event"]
    assert (
        event["action"],
        event["legal_basis"],
        event["resident_id"],
        event["actor_username"],
    ) == ("sheet.send", "support_meeting", 7, "consult1")


def test_approving_a_review_records_who_decided(officer_client, officer, without_consent):
    review = without_consent[0]
    response = officer_client.post(
        f"/api/v1/audit/reviews/{review.pk}/", {"decision": "approve"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["decided_by"]) == (
        "approved",
        "privacy_officer",
    )
    assert officer_client.get("/api/v1/audit/reviews/?status=pending").json()["count"] == 1
    event = AuditEvent.objects.filter(action="disclosure_review.approve").get()
    assert (event.action, event.actor_id, event.resident_id) == (
        "disclosure_review.approve",
        officer.pk,
        7,
    )


def test_flagging_needs_a_note_and_notifies_through_the_signal(
    officer_client, without_consent, flagged_reviews
):
    review = without_consent[1]
    response = officer_client.post(
        f"/api/v1/audit/reviews/{review.pk}/", {"decision": "flag"}, format="json"
    )
    assert (response.status_code, response.json()["code"]) == (400, "note_required")
    assert flagged_reviews == []
    response = officer_client.post(
        f"/api/v1/audit/reviews/{review.pk}/",
        {"decision": "flag", "note": "正当化の記載が不十分"},
        format="json",
    )
    assert response.status_code == 200
    assert flagged_reviews == [(DisclosureReview, review.pk, "flagged", "正当化の記載が不十分")]
    assert (
        officer_client.get(f"/api/v1/audit/reviews/{review.pk}/").json()["note"]
        == "正当化の記載が不十分"
    )


def test_a_review_is_decided_once(officer_client, without_consent):
    url = f"/api/v1/audit/reviews/{without_consent[0].pk}/"
    officer_client.post(url, {"decision": "approve"}, format="json")
    response = officer_client.post(url, {"decision": "flag", "note": "late"}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "already_decided")


def test_unknown_decision_and_unknown_review(officer_client, without_consent):
    response = officer_client.post(
        f"/api/v1/audit/reviews/{without_consent[0].pk}/", {"decision": "ignore"}, format="json"
    )
    assert response.status_code == 400
    assert (
        officer_client.post(
            "/api/v1/audit/reviews/999999/", {"decision": "approve"}, format="json"
        ).status_code
        == 404
    )
    assert officer_client.get("/api/v1/audit/reviews/999999/").status_code == 404


def test_deciding_needs_the_review_permission(django_user_model, without_consent):
    from rest_framework.test import APIClient

    viewer = grant(
        django_user_model.objects.create_user(username="auditor", password="x-long-password-4"),
        "view_auditevent",
    )
    client = APIClient()
    client.force_authenticate(viewer)
    assert client.get("/api/v1/audit/reviews/").status_code == 200
    response = client.post(
        f"/api/v1/audit/reviews/{without_consent[0].pk}/", {"decision": "approve"}, format="json"
    )
    assert response.status_code == 403
    assert DisclosureReview.objects.get(pk=without_consent[0].pk).status == "pending"
    refusal = AuditEvent.objects.order_by("-seq").first()
    assert (refusal.action, refusal.allowed) == ("disclosure_review.decide", False)


def test_a_failing_receiver_rolls_the_decision_back(officer, without_consent):
    def broken(sender, review, **kwargs):
        raise RuntimeError("notification failed")

    disclosure_flagged.connect(broken, weak=False, dispatch_uid="broken")
    try:
        with pytest.raises(RuntimeError):
            decide_review(without_consent[0].pk, decision="flag", note="x", actor=officer)
    finally:
        disclosure_flagged.disconnect(dispatch_uid="broken")
    assert DisclosureReview.objects.get(pk=without_consent[0].pk).status == "pending"
    with pytest.raises(ReviewError):
        decide_review(without_consent[0].pk, decision="maybe", note="", actor=officer)
