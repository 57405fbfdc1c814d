"""Step-up (``STEP_UP_PURPOSES``): each listed purpose is refused with ``step_up_required``
unless a second factor was used in the last ``STEP_UP_MINUTES``, and allowed right after a
step-up; the audit row records the sign-in's ``amr`` and ``auth_time``. The purposes are off in
the demo and test settings; these tests turn them on."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from referral_hub.audit.models import AuditEvent
from referral_hub.consent import policy
from referral_hub.directory.models import Department, Desk
from referral_hub.meetings.models import SupportMeeting
from referral_hub.signin import records
from referral_hub.signin.models import SignIn, TotpDevice
from tests.fixtures_sheets import Api, send_ok
from tests.meetings.helpers import meeting_ready
from tests.signin.conftest import (
    ALL_STEP_UP,
    DEMO_PASSWORD,
    enrol_totp,
    post_json,
    token_client,
    token_for,
)

pytestmark = pytest.mark.django_db


TAX_DETAILS = {"tax": "市県民税の滞納が3期分"}


@pytest.fixture
def step_up_on(settings):
    settings.STEP_UP_PURPOSES = ALL_STEP_UP
    settings.STEP_UP_MINUTES = 15


def _signed_in(user, *, factor_minutes_ago: float | None) -> object:
    """``user`` carrying a sign-in whose factor was used that many minutes ago (None: never)."""
    factor_at = None
    amr = ["pwd"]
    if factor_minutes_ago is not None:
        factor_at = timezone.now() - timedelta(minutes=factor_minutes_ago)
        amr = ["pwd", "otp"]
    sign_in = SignIn.objects.create(
        user=user, kind="session", last_seen_at=timezone.now(), amr=amr, factor_at=factor_at
    )
    records.attach(user, sign_in)
    return user


# (kind, actor, purpose, basis, desk, categories)
CASES = [
    ("sensitive_read", "consult1", "sheet.read", "consent", "jiritsu", ["identity", "tax"]),
    ("sensitive_read", "consult1", "resident.read", "consent", "jiritsu", ["health"]),
    ("attachment_download", "consult1", "attachment.read", "consent", "jiritsu", ["attachments"]),
    ("disclosure_export", "privacy_officer", "resident.export", "consent", None, ["identity"]),
    ("vital_interest_send", "tax_clerk", "sheet.send", "vital_interest", "jiritsu", ["identity"]),
    (
        "support_meeting_send",
        "tax_clerk",
        "sheet.send",
        "support_meeting",
        "jiritsu",
        ["identity"],
    ),
]


def _ask(demo, resident, consent, case, actor):
    kind, _, purpose, basis, desk_code, categories = case
    desk = Desk.objects.get(code=desk_code) if desk_code else None
    sender_department = None
    meeting_id = None
    if basis == "support_meeting":  # Art. 9: an open meeting, pledged members, on the agenda
        Desk.objects.filter(code="jiritsu").update(support_meeting_member=True)
        desk = Desk.objects.get(code="jiritsu")
        sender_department = Department.objects.get(pk=actor_department(actor))
        Department.objects.filter(pk=sender_department.pk).update(support_meeting_member=True)
        sender_department.refresh_from_db()
        meeting = SupportMeeting.objects.first() or meeting_ready(demo, resident)
        meeting_id = meeting.pk
    return policy.authorize(
        actor,
        resident,
        desk,
        categories,
        purpose,
        basis=basis,
        consent=consent if basis == "consent" else None,
        justification="" if basis == "consent" else "生命に危険があるため",
        sender_department=sender_department,
        support_meeting=meeting_id,
    )


def actor_department(actor) -> int:
    from referral_hub.directory.models import Membership

    return Membership.objects.filter(user=actor).exclude(department=None).first().department_id


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}:{c[2]}" for c in CASES])
def test_each_listed_purpose_needs_a_recent_factor(demo, resident, full_consent, step_up_on, case):
    username = case[1]
    stale = _signed_in(demo.user(username), factor_minutes_ago=16)
    refused = _ask(demo, resident, full_consent, case, stale)
    assert not refused.allowed and refused.code == "step_up_required", refused
    row = AuditEvent.objects.filter(action=case[2]).order_by("-seq").first()
    assert row.allowed is False and row.refusal_code == "step_up_required"
    assert row.details["amr"] == ["pwd", "otp"] and row.details["auth_time"] is not None

    never = _signed_in(demo.user(username), factor_minutes_ago=None)
    assert _ask(demo, resident, full_consent, case, never).code == "step_up_required"

    fresh = _signed_in(demo.user(username), factor_minutes_ago=1)
    allowed = _ask(demo, resident, full_consent, case, fresh)
    assert allowed.allowed, allowed
    row = AuditEvent.objects.filter(action=case[2]).order_by("-seq").first()
    assert row.allowed is True
    assert row.details["amr"] == ["pwd", "otp"]
    assert row.details["auth_time"] == fresh._referral_hub_sign_in.factor_at.isoformat()


@pytest.mark.parametrize("case", CASES[:1] + CASES[3:4], ids=["sensitive_read", "export"])
def test_without_the_setting_nothing_needs_a_step_up(demo, resident, full_consent, case):
    actor = _signed_in(demo.user(case[1]), factor_minutes_ago=None)
    decision = _ask(demo, resident, full_consent, case, actor)
    assert decision.allowed
    row = AuditEvent.objects.filter(action=case[2]).order_by("-seq").first()
    assert "amr" not in row.details


def test_a_plain_read_without_tax_or_health_needs_no_step_up(
    demo, resident, full_consent, step_up_on
):
    actor = _signed_in(demo.user("consult1"), factor_minutes_ago=None)
    decision = policy.authorize(
        actor,
        resident,
        Desk.objects.get(code="jiritsu"),
        ["identity"],
        "sheet.read",
        consent=full_consent,
    )
    assert decision.allowed


def test_other_refusals_come_before_step_up(demo, resident, full_consent, step_up_on):
    actor = _signed_in(demo.user("school_clerk"), factor_minutes_ago=None)
    decision = policy.authorize(
        actor,
        resident,
        Desk.objects.get(code="jiritsu"),
        ["tax"],
        "sheet.read",
        consent=full_consent,
    )
    assert decision.code == "not_desk_member"


def test_api_sheet_read_refused_then_allowed_after_step_up(
    demo, resident, full_consent, step_up_on, clock
):
    sheet_id = send_ok(Api.login("tax_clerk"), resident, full_consent, details=TAX_DETAILS)
    enrol_totp(token_client(token_for("consult1").json()["token"]), clock)
    secret = TotpDevice.objects.get(user__username="consult1").secret
    clock.step()
    issued = token_for("consult1", otp=clock.code(secret))
    client = token_client(issued.json()["token"])
    assert client.get(f"/api/v1/sheets/{sheet_id}/").status_code == 200  # factor just used
    SignIn.objects.filter(token__isnull=False, user__username="consult1").update(
        factor_at=timezone.now() - timedelta(minutes=20)
    )
    refused = client.get(f"/api/v1/sheets/{sheet_id}/")
    assert refused.status_code == 403 and refused.json()["code"] == "step_up_required"
    clock.step()
    stepped = post_json(client, "/me/mfa/step-up/", {"otp": clock.code(secret)})
    assert stepped.status_code == 200, stepped.content
    assert stepped.json()["amr"] == ["pwd", "otp"]
    assert client.get(f"/api/v1/sheets/{sheet_id}/").status_code == 200
    row = AuditEvent.objects.filter(action="sheet.read", allowed=True).order_by("-seq").first()
    assert row.details["amr"] == ["pwd", "otp"]
    auth_time = datetime.fromisoformat(row.details["auth_time"])
    assert auth_time == datetime.fromisoformat(stepped.json()["auth_time"].replace("Z", "+00:00"))


def test_page_asks_for_the_factor_and_continues(demo, resident, full_consent, step_up_on, clock):
    sheet_id = send_ok(Api.login("tax_clerk"), resident, full_consent, details=TAX_DETAILS)
    enrol_totp(token_client(token_for("consult1").json()["token"]), clock)
    secret = TotpDevice.objects.get(user__username="consult1").secret
    browser = Client()
    browser.post("/login/", {"username": "consult1", "password": DEMO_PASSWORD})
    clock.step()
    browser.post("/login/factor/", {"code": clock.code(secret), "next": "/"})
    SignIn.objects.filter(kind="session", user__username="consult1").update(
        factor_at=timezone.now() - timedelta(minutes=20)
    )
    page = browser.get(f"/sheets/{sheet_id}/")
    assert page.status_code == 302
    assert page["Location"] == f"/account/step-up/?next=%2Fsheets%2F{sheet_id}%2F"
    clock.step()
    done = browser.post(page["Location"], {"code": clock.code(secret)})
    assert done.status_code == 302 and done["Location"] == f"/sheets/{sheet_id}/"
    assert browser.get(f"/sheets/{sheet_id}/").status_code == 200


PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def test_attachment_download_needs_a_step_up_on_the_page_and_the_api(
    demo, resident, full_consent, step_up_on, clock
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from referral_hub.handoffs import attachments as sheet_attachments

    sheet_id = send_ok(Api.login("tax_clerk"), resident, full_consent)
    scan = SimpleUploadedFile("scan.pdf", PDF, content_type="application/pdf")
    attachment = sheet_attachments.add_attachment(
        demo.user("tax_clerk"), sheet_id, scan, max_bytes=10**6
    )
    enrol_totp(token_client(token_for("consult1").json()["token"]), clock)
    secret = TotpDevice.objects.get(user__username="consult1").secret
    browser = Client()
    browser.post("/login/", {"username": "consult1", "password": DEMO_PASSWORD})
    clock.step()
    browser.post("/login/factor/", {"code": clock.code(secret), "next": "/"})
    SignIn.objects.filter(kind="session", user__username="consult1").update(
        factor_at=timezone.now() - timedelta(minutes=20)
    )
    page = browser.get(f"/sheets/{sheet_id}/").content.decode()
    assert 'id="attachment-step-up"' in page
    assert f"/api/v1/attachments/{attachment.pk}/content/" not in page
    download = browser.get(f"/api/v1/attachments/{attachment.pk}/content/")
    assert download.status_code == 403 and download.json()["code"] == "step_up_required"

    clock.step()
    browser.post(f"/account/step-up/?next=/sheets/{sheet_id}/", {"code": clock.code(secret)})
    page = browser.get(f"/sheets/{sheet_id}/").content.decode()
    assert 'id="attachment-step-up"' not in page
    download = browser.get(f"/api/v1/attachments/{attachment.pk}/content/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
