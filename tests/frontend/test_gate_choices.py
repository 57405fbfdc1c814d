"""Pages offer only what the gate allows (issue 16, input 10): the redirect dialog's desks and
the upload form come from the gate's answer for this reader and sheet, and what is unavailable
says why."""

from __future__ import annotations

import re

from referral_hub.directory.models import Membership, Role
from referral_hub.handoffs import services
from tests.fixtures_sheets import Api, make_consent, make_resident, send_ok

from .conftest import text


def _sheet(demo, desks=("jiritsu", "seikatsu_hogo"), categories=None) -> int:
    clerk = demo.user("tax_clerk")
    resident = make_resident(clerk, family_name="選択", given_name="花子")
    consent = make_consent(clerk, resident, list(desks), categories)
    return send_ok(Api(clerk), resident, consent)


def _option(page: str, desk_id: int) -> str:
    """The redirect dialog's <option> for ``desk_id`` (its attributes and label)."""
    dialog = page.split('id="dlg-redirect"')[1].split("</dialog>")[0]
    found = re.search(rf'<option value="{desk_id}"[^>]*>[^<]*</option>', dialog)
    assert found, dialog
    return found.group(0)


def test_redirect_dialog_shows_a_desk_outside_the_consent_disabled_with_the_reason(
    demo, browser_as
):
    sheet_id = _sheet(demo)
    page = text(browser_as("consult1").get(f"/sheets/{sheet_id}/"))
    kakei = _option(page, demo.desk("kakei").pk)
    assert "disabled" in kakei
    assert "同意の対象外" in kakei
    hogo = _option(page, demo.desk("seikatsu_hogo").pk)
    assert "disabled" not in hogo
    assert "生活保護担当</option>" in hogo


def test_a_desk_the_sheet_left_is_offered_only_to_a_lead(demo, browser_as):
    sheet_id = _sheet(demo)
    services.redirect_sheet(demo.user("consult1"), sheet_id, demo.desk("seikatsu_hogo"), "保護")
    jiritsu = demo.desk("jiritsu").pk

    staff_page = text(browser_as("hogo_staff").get(f"/sheets/{sheet_id}/"))
    back = _option(staff_page, jiritsu)
    assert "disabled" in back
    assert "主任相談支援員のみ" in back

    Membership.objects.create(
        user=demo.user("consult_lead"), desk=demo.desk("seikatsu_hogo"), role=Role.LEAD
    )
    lead_page = text(browser_as("consult_lead").get(f"/sheets/{sheet_id}/"))
    assert "disabled" not in _option(lead_page, jiritsu)


def test_no_upload_form_when_the_consent_does_not_cover_attachments(demo, browser_as):
    sheet_id = _sheet(demo, categories=["identity", "concern"])
    for user in ("consult1", "tax_clerk"):
        page = text(browser_as(user).get(f"/sheets/{sheet_id}/"))
        assert 'class="upload-form"' not in page, user
        assert 'id="upload-refusal"' in page
        assert "本人同意に「添付書類」が含まれていません。" in page


def test_upload_form_is_offered_when_the_consent_covers_attachments(demo, browser_as):
    sheet_id = _sheet(demo, categories=["identity", "concern", "attachments"])
    page = text(browser_as("consult1").get(f"/sheets/{sheet_id}/"))
    assert 'class="upload-form"' in page
    assert 'id="upload-refusal"' not in page


def test_the_reason_for_an_unavailable_desk_is_translated(demo, browser_as, settings):
    sheet_id = _sheet(demo)
    client = browser_as("consult1")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    kakei = _option(text(client.get(f"/sheets/{sheet_id}/")), demo.desk("kakei").pk)
    assert "(not covered by the consent)</option>" in kakei
