"""Every read of a resident's data through the API leaves exactly one audit event; a refused
read leaves exactly one refused event (DESIGN.md invariant 1)."""

# ruff: noqa: F811 - the shared sheet fixtures are imported by name and then requested

from __future__ import annotations

import pytest

from referral_hub.audit.models import AuditEvent
from tests.fixtures_sheets import (  # noqa: F401 - pytest finds fixtures by name
    api,
    demo,
    demo_module,
    fast_hashers,
    full_consent,
    resident,
    send_ok,
)

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _last_seq() -> int:
    return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def _new_events(since: int) -> list[tuple[str, bool, str, str, int | None]]:
    return [
        (e.action, e.allowed, e.refusal_code, e.actor_username, e.resident_id)
        for e in AuditEvent.objects.filter(seq__gt=since).order_by("seq")
    ]


@pytest.fixture
def sheet(api, resident, full_consent):
    return send_ok(api("tax_clerk"), resident, full_consent)


@pytest.fixture
def attachment(api, sheet):
    response = api("consult1").client.post(
        f"/api/v1/sheets/{sheet}/attachments/",
        {"file": _upload("kyuyo.pdf")},
    )
    assert response.status_code == 201, response.content
    return response.json()["id"]


def _upload(name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def test_reading_a_sheet_leaves_exactly_one_event(api, resident, sheet):
    before = _last_seq()
    assert api("consult1").get(f"/sheets/{sheet}/").status == 200
    assert _new_events(before) == [("sheet.read", True, "", "consult1", resident.pk)]
    event = AuditEvent.objects.get(seq__gt=before)
    assert (event.target_type, event.target_id, event.legal_basis) == (
        "sheet",
        str(sheet),
        "consent",
    )


def test_reading_a_resident_leaves_exactly_one_event(api, resident, sheet):
    before = _last_seq()
    assert api("consult1").get(f"/residents/{resident.pk}/").status == 200
    assert _new_events(before) == [("resident.read", True, "", "consult1", resident.pk)]


def test_reading_an_attachment_leaves_exactly_one_event(api, resident, attachment):
    before = _last_seq()
    response = api("consult2").client.get(f"/api/v1/attachments/{attachment}/content/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert _new_events(before) == [("attachment.read", True, "", "consult2", resident.pk)]


def test_refused_sheet_read_leaves_one_denied_event(api, resident, sheet):
    before = _last_seq()
    reply = api("hogo_staff").get(f"/sheets/{sheet}/")
    assert reply.status == 403
    ((action, allowed, code, actor, resident_id),) = _new_events(before)
    assert (action, allowed, actor, resident_id) == ("sheet.read", False, "hogo_staff", resident.pk)
    assert code == reply.code


def test_refused_resident_read_leaves_one_denied_event(api, resident, sheet):
    before = _last_seq()
    reply = api("hogo_staff").get(f"/residents/{resident.pk}/")
    assert reply.status == 403
    ((action, allowed, code, actor, resident_id),) = _new_events(before)
    assert (action, allowed, actor, resident_id) == (
        "resident.read",
        False,
        "hogo_staff",
        resident.pk,
    )
    assert code


def test_refused_attachment_read_leaves_one_denied_event(api, resident, attachment):
    before = _last_seq()
    response = api("hogo_staff").client.get(f"/api/v1/attachments/{attachment}/content/")
    assert response.status_code == 403
    ((action, allowed, code, actor, resident_id),) = _new_events(before)
    assert (action, allowed, actor, resident_id) == (
        "attachment.read",
        False,
        "hogo_staff",
        resident.pk,
    )
    assert code


def test_read_after_consent_withdrawal_is_refused_and_recorded(api, resident, full_consent, sheet):
    assert (
        api("tax_clerk")
        .post(f"/consents/{full_consent.pk}/withdraw/", {"reason": "本人の申出"})
        .status
        == 200
    )
    before = _last_seq()
    reply = api("consult1").get(f"/sheets/{sheet}/")
    assert (reply.status, reply.code) == (403, "consent_withdrawn")
    assert _new_events(before) == [
        ("sheet.read", False, "consent_withdrawn", "consult1", resident.pk)
    ]
