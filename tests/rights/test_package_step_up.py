"""Handing out a resident's disclosure package is a step-up purpose (issue 21's
``disclosure_export``): with ``STEP_UP_PURPOSES`` on, the privacy officer needs a second factor
used within ``STEP_UP_MINUTES``; the refusal is audited and the page asks for the factor."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from referral_hub.audit.models import AuditEvent
from referral_hub.signin.models import SignIn, TotpDevice
from tests.rights.conftest import register
from tests.signin.conftest import (
    ALL_STEP_UP,
    enrol_totp,
    post_json,
    token_client,
    token_for,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def step_up_on(settings):
    settings.STEP_UP_PURPOSES = ALL_STEP_UP
    settings.STEP_UP_MINUTES = 15


def test_package_needs_a_recent_factor_then_is_given(demo, resident, step_up_on, clock):
    officer = demo.user("privacy_officer")
    request = register(officer, resident.pk)
    enrol_totp(token_client(token_for("privacy_officer").json()["token"]), clock)
    secret = TotpDevice.objects.get(user=officer).secret
    clock.step()
    client = token_client(token_for("privacy_officer", otp=clock.code(secret)).json()["token"])
    SignIn.objects.filter(token__isnull=False, user=officer).update(
        factor_at=timezone.now() - timedelta(minutes=20)
    )
    url = f"/api/v1/rights-requests/{request.pk}/package/?format=json"

    refused = client.get(url)

    assert refused.status_code == 403 and refused.json()["code"] == "step_up_required"
    row = AuditEvent.objects.filter(action="rights_request.package_read").order_by("-seq").first()
    assert (row.allowed, row.refusal_code) == (False, "step_up_required")
    clock.step()
    assert post_json(client, "/me/mfa/step-up/", {"otp": clock.code(secret)}).status_code == 200
    given = client.get(url)
    assert given.status_code == 200, given.content
    assert given.json()["proof"]


def test_package_page_sends_the_officer_to_the_factor(demo, resident, step_up_on):
    officer = demo.user("privacy_officer")
    request = register(officer, resident.pk)
    browser = Client()
    browser.force_login(officer)

    page = browser.get(f"/rights/{request.pk}/package/")

    assert page.status_code == 302
    assert page["Location"].startswith("/account/step-up/?next=")


def test_without_the_setting_the_package_needs_no_step_up(demo, resident):
    officer = demo.user("privacy_officer")
    request = register(officer, resident.pk)
    client = token_client(token_for("privacy_officer").json()["token"])

    assert client.get(f"/api/v1/rights-requests/{request.pk}/package/").status_code == 200


def test_review_read_of_tax_details_needs_a_recent_factor(demo, api, resident, settings):
    """Opening what was disclosed (the privacy officer's review read) shows the sheet's tax
    details: the gate's ``sensitive_read`` kind, so the page asks for the factor and comes back."""
    from referral_hub.audit.models import DisclosureReview
    from tests.fixtures_sheets import send_ok

    sheet_id = send_ok(
        api("tax_clerk"),
        resident,
        None,
        legal_basis="vital_interest",
        justification="本人が窓口で倒れ、至急つなぐ必要があった",
        details={"tax": "市県民税の滞納が3期分"},
    )
    review = DisclosureReview.objects.get(
        event__action="sheet.send", event__target_id=str(sheet_id)
    )
    settings.STEP_UP_PURPOSES = ALL_STEP_UP
    settings.STEP_UP_MINUTES = 15
    officer = demo.user("privacy_officer")
    browser = Client()
    browser.force_login(officer)
    url = f"/audit/reviews/{review.pk}/disclosed/"

    page = browser.get(url)

    assert page.status_code == 302
    assert page["Location"].startswith("/account/step-up/?next=")
    assert "市県民税" not in page.content.decode()
    row = AuditEvent.objects.filter(action="disclosure_review.read").latest("seq")
    assert (row.allowed, row.refusal_code) == (False, "step_up_required")
