"""The send page records how the consent was given (issue 19): the notice's language and
version, reading aloud, and who signed; the sheet page offers the receipt and the handout."""

from __future__ import annotations

from referral_hub.consent.models import Consent
from referral_hub.consent.notices import FIRST_VERSION
from referral_hub.handoffs.models import ConnectSheet
from tests.frontend.test_send_sheet_page import _form

from .conftest import text


def test_send_page_records_language_reading_aloud_and_proxy(demo, browser_as):
    response = browser_as("tax_clerk").post(
        "/send/",
        _form(
            demo,
            language="vi",
            read_aloud="on",
            signatory="proxy",
            signatory_name="代理 一郎",
            signatory_document="委任状",
        ),
    )
    assert response.status_code == 302
    consent = Consent.objects.get()
    assert (consent.language, consent.read_aloud, consent.signatory) == ("vi", True, "proxy")
    assert (consent.signatory_name, consent.signatory_document) == ("代理 一郎", "委任状")
    assert consent.notice_version == FIRST_VERSION and len(consent.notice_sha256) == 64

    page = text(browser_as("tax_clerk").get(response["Location"]))
    assert f"/api/v1/consents/{consent.pk}/receipt/" in page
    assert f"/api/v1/sheets/{ConnectSheet.objects.get().pk}/handout/" in page
    assert 'value="vi" selected' in page


def test_a_proxy_without_name_is_asked_for_it(demo, browser_as):
    response = browser_as("tax_clerk").post("/send/", _form(demo, signatory="proxy"))
    assert response.status_code == 400
    assert "その人の氏名を記入してください" in text(response)
    assert not Consent.objects.exists()


def test_the_owner_desk_gets_the_arrival_form_and_the_sender_does_not(demo, browser_as):
    browser_as("tax_clerk").post("/send/", _form(demo))
    sheet = ConnectSheet.objects.get()
    desk_page = text(browser_as("consult1").get(f"/sheets/{sheet.pk}/"))
    sender_page = text(browser_as("tax_clerk").get(f"/sheets/{sheet.pk}/"))
    assert f"/sheets/{sheet.pk}/arrived/" in desk_page
    assert f"/sheets/{sheet.pk}/arrived/" not in sender_page
    assert sheet.arrival_code in desk_page and sheet.arrival_code in sender_page


def test_arrival_recorded_from_the_page(demo, browser_as):
    browser_as("tax_clerk").post("/send/", _form(demo))
    sheet = ConnectSheet.objects.get()
    desk = browser_as("consult1")
    wrong = desk.post(f"/sheets/{sheet.pk}/arrived/", {"code": "00-0000-0"}, follow=True)
    assert "一致しません" in text(wrong)
    done = desk.post(f"/sheets/{sheet.pk}/arrived/", {"code": sheet.arrival_code}, follow=True)
    assert "来所を記録しました" in text(done)
    assert "来所済" in text(browser_as("tax_clerk").get("/sent/"))
