"""An administrator who grants themselves a desk membership is shown to the privacy officer,
in the day's anomaly report on the page and in the API (issue 13, "a way in that skips the gate
or the audit")."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from referral_hub.audit.models import AuditEvent
from referral_hub.directory.models import Desk, Membership

pytestmark = pytest.mark.django_db


def signed_in(django_user_model, username: str) -> Client:
    client = Client()
    client.force_login(django_user_model.objects.get(username=username))
    return client


def add_in_admin(client: Client, user_id: int, desk: Desk) -> None:
    response = client.post(
        "/admin/directory/membership/add/",
        {"user": user_id, "role": "consultant", "desk": desk.pk, "department": ""},
    )
    assert response.status_code == 302, response.content.decode()[:2000]


def test_a_desk_membership_granted_to_oneself_reaches_the_privacy_officer(demo, django_user_model):
    admin = django_user_model.objects.get(username="admin")
    desk = Desk.objects.get(code="seikatsu_hogo")
    add_in_admin(signed_in(django_user_model, "admin"), admin.pk, desk)
    assert Membership.objects.filter(user=admin, desk=desk, role="consultant").exists()

    grant = AuditEvent.objects.get(action="directory.membership_added", actor_id=admin.pk)
    assert grant.details["self_granted"] is True

    page = signed_in(django_user_model, "privacy_officer").get("/audit/anomalies/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "自分自身に付与された所属" in html
    assert f"<td>{grant.seq}</td>" in html and "seikatsu_hogo" in html

    api = APIClient()
    api.force_authenticate(django_user_model.objects.get(username="privacy_officer"))
    body = api.get("/api/v1/audit/anomalies/").json()
    [row] = body["self_granted_memberships"]
    assert (row["seq"], row["actor_username"], row["role"], row["desk"]) == (
        grant.seq,
        "admin",
        "consultant",
        "seikatsu_hogo",
    )


def test_a_membership_granted_to_someone_else_is_not_an_anomaly(demo, django_user_model):
    other = django_user_model.objects.get(username="consult2")
    add_in_admin(
        signed_in(django_user_model, "admin"), other.pk, Desk.objects.get(code="seikatsu_hogo")
    )
    api = APIClient()
    api.force_authenticate(django_user_model.objects.get(username="privacy_officer"))
    assert api.get("/api/v1/audit/anomalies/").json()["self_granted_memberships"] == []
