"""主任ボード: the lead sees overdue, bounced and unassigned sheets and assigns a handler."""

from __future__ import annotations

from referral_hub.handoffs.models import ConnectSheet
from tests.fixtures_sheets import Api, make_consent, make_resident, send_ok

from .conftest import text


def _sheet(demo) -> ConnectSheet:
    clerk = demo.user("tax_clerk")
    resident = make_resident(clerk)
    consent = make_consent(clerk, resident, ["jiritsu"])
    return ConnectSheet.objects.get(pk=send_ok(Api(clerk), resident, consent))


def test_lead_assigns_a_colleague_through_acknowledge_and_accept(demo, browser_as):
    sheet = _sheet(demo)
    lead = browser_as("consult_lead")
    assert sheet.number in text(lead.get("/lead/"))
    response = lead.post(f"/lead/assign/{sheet.pk}/", {"handler": demo.user("consult2").pk})
    assert response.status_code == 302
    sheet.refresh_from_db()
    assert sheet.status == "accepted" and sheet.handler == demo.user("consult2")
    page = text(lead.get("/lead/"))
    assert "相談 二郎" in page


def test_a_consultant_cannot_assign_a_colleague(demo, browser_as):
    sheet = _sheet(demo)
    client = browser_as("consult1")
    client.post(f"/lead/assign/{sheet.pk}/", {"handler": demo.user("consult2").pk})
    sheet.refresh_from_db()
    assert sheet.handler is None
    page = text(client.get("/lead/"))
    assert "この操作は主任相談支援員が行います。" in page


def test_bounced_sheets_are_listed(demo, browser_as):
    sheet = _sheet(demo)
    ConnectSheet.objects.filter(pk=sheet.pk).update(redirect_count=2)
    page = text(browser_as("consult_lead").get("/lead/"))
    section = page.split("2回以上転送されたシート")[1].split("</section>")[0]
    assert sheet.number in section
