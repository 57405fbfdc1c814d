"""``MFA_REQUIRED_ROLES``: a listed role without a factor reaches only enrolment, on pages, the
API and the admin; once enrolled, the page login asks for the factor after the password, and so
does the admin's login. Other roles are not affected. (These tests set the setting themselves,
so they run in the normal test command with the demo default everywhere else.)"""

from __future__ import annotations

import pytest
from django.test import Client

from referral_hub.signin.models import SignIn
from tests.signin.conftest import (
    DEMO_PASSWORD,
    PRIVILEGED,
    enrol_totp,
    post_json,
    token_client,
    token_for,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def required(settings):
    settings.MFA_REQUIRED_ROLES = PRIVILEGED


def _page_login(username: str) -> Client:
    client = Client()
    reply = client.post("/login/", {"username": username, "password": DEMO_PASSWORD})
    assert reply.status_code == 302, reply.content
    return client


def test_privacy_officer_without_factor_reaches_only_enrolment_pages(demo, required):
    client = _page_login("privacy_officer")
    for path in ("/", "/audit/", "/inbox/", "/admin/", "/admin/directory/desk/"):
        reply = client.get(path)
        assert reply.status_code == 302, path
        assert reply["Location"].startswith("/account/security/"), (path, reply["Location"])
    page = client.get("/account/security/")
    assert page.status_code == 200
    assert "enrolment-required" in page.content.decode()


def test_api_answers_mfa_enrolment_required_except_enrolment(demo, required, clock):
    reply = token_for("admin")
    assert reply.status_code == 201  # a token that reaches only enrolment
    client = token_client(reply.json()["token"])
    for path in ("/api/v1/me/", "/api/v1/sheets/", "/api/v1/desks/"):
        refused = client.get(path)
        assert refused.status_code == 403, path
        assert refused.json()["code"] == "mfa_enrolment_required"
    assert client.get("/api/v1/me/mfa/").json()["required"] is True
    enrol_totp(client, clock)
    assert client.get("/api/v1/me/").status_code == 200


def test_session_api_answers_mfa_enrolment_required(demo, required):
    client = _page_login("consult_lead")
    refused = client.get("/api/v1/me/")
    assert refused.status_code == 403 and refused.json()["code"] == "mfa_enrolment_required"


def test_clerk_is_not_affected(demo, required):
    client = _page_login("tax_clerk")
    assert client.get("/api/v1/me/").status_code == 200
    assert client.get("/send/").status_code == 200


def test_after_enrolment_the_page_login_asks_for_the_factor(demo, required, clock):
    enrol_totp(token_client(token_for("privacy_officer").json()["token"]), clock)
    secret_client = token_for("privacy_officer")
    assert secret_client.json()["code"] == "mfa_required"
    from referral_hub.signin.models import TotpDevice

    secret = TotpDevice.objects.get(user__username="privacy_officer").secret
    client = _page_login("privacy_officer")
    owed = client.get("/audit/")
    assert owed.status_code == 302 and owed["Location"].startswith("/login/factor/")
    assert client.get("/api/v1/me/").json()["code"] == "mfa_required"
    clock.step()
    done = client.post(
        "/login/factor/?next=/audit/", {"code": clock.code(secret), "next": "/audit/"}
    )
    assert done.status_code == 302 and done["Location"] == "/audit/"
    assert client.get("/audit/").status_code == 200
    sign_in = SignIn.objects.filter(user__username="privacy_officer", kind="session").last()
    assert sign_in.amr == ["pwd", "otp"] and sign_in.factor_at is not None


def test_admin_login_asks_for_the_same_factor(demo, required, clock):
    enrol_totp(token_client(token_for("admin").json()["token"]), clock)
    from referral_hub.signin.models import TotpDevice

    secret = TotpDevice.objects.get(user__username="admin").secret
    client = Client()
    reply = client.post(
        "/admin/login/?next=/admin/",
        {"username": "admin", "password": DEMO_PASSWORD, "next": "/admin/"},
    )
    assert reply.status_code == 302
    owed = client.get("/admin/")
    assert owed.status_code == 302 and owed["Location"].startswith("/login/factor/")
    clock.step()
    client.post("/login/factor/", {"code": clock.code(secret), "next": "/admin/"})
    assert client.get("/admin/").status_code == 200


def test_demo_default_requires_nothing(demo):
    client = _page_login("privacy_officer")
    assert client.get("/audit/").status_code == 200
    assert post_json(client, "/me/mfa/totp/").status_code == 201


def test_the_administrator_resets_a_factor_from_memberships(demo, required, clock):
    from referral_hub.directory.models import Membership
    from referral_hub.signin.models import TotpDevice

    enrol_totp(token_client(token_for("admin").json()["token"]), clock)
    enrol_totp(token_client(token_for("consult1").json()["token"]), clock)
    secret = TotpDevice.objects.get(user__username="admin").secret
    admin_browser = _page_login("admin")
    clock.step()
    admin_browser.post("/login/factor/", {"code": clock.code(secret), "next": "/admin/"})
    memberships = Membership.objects.filter(user__username="consult1")
    reply = admin_browser.post(
        "/admin/directory/membership/",
        {
            "action": "reset_second_factors_of_members",
            "_selected_action": [m.pk for m in memberships],
        },
    )
    assert reply.status_code == 302
    assert not TotpDevice.objects.filter(user__username="consult1").exists()
    assert token_for("consult1").status_code == 201  # password alone again
