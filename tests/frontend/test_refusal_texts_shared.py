"""The same refusal, one text (issue 16, input 7): the page and the API explain a redirect
outside the consent with the gate's own text and its remedy, and the English UI shows it in
English while the API keeps answering in Japanese."""

from __future__ import annotations

from referral_hub.handoffs.models import ConnectSheet
from tests.fixtures_sheets import Api, make_consent, make_resident, send_ok

from .conftest import text

REMEDY_JA = "送った職員に差し戻すか、本人に確認して転送先への同意を得てください。"
REMEDY_EN = "Return it to the sender, or ask the resident for consent to the new desk."


def _sheet(demo) -> int:
    clerk = demo.user("tax_clerk")
    resident = make_resident(clerk, family_name="文言", given_name="一郎")
    consent = make_consent(clerk, resident, ["jiritsu", "seikatsu_hogo"])
    return send_ok(Api(clerk), resident, consent)


def _redirect_on_page(client, demo, sheet_id: int):
    return client.post(
        f"/sheets/{sheet_id}/actions/redirect/",
        {"redirect-to_desk": demo.desk("kakei").pk, "redirect-reason": "家計の相談"},
    )


def test_page_and_api_give_the_same_text_with_the_remedy_for_a_redirect_outside_consent(
    demo, browser_as
):
    sheet_id = _sheet(demo)
    reply = Api(demo.user("consult1")).act(
        sheet_id, "redirect", {"to_desk": "kakei", "reason": "家計の相談"}
    )
    assert reply.status == 403
    assert reply.body["code"] == "consent_scope"
    api_text = reply.body["detail"].split(" (")[0]
    assert api_text.endswith(REMEDY_JA)

    response = _redirect_on_page(browser_as("consult1"), demo, sheet_id)
    assert response.status_code == 403
    assert api_text in text(response)
    assert ConnectSheet.objects.get(pk=sheet_id).owner_desk.code == "jiritsu"


def test_english_page_shows_the_gates_text_in_english_and_the_api_stays_japanese(
    demo, browser_as, settings
):
    sheet_id = _sheet(demo)
    client = browser_as("consult1")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = text(_redirect_on_page(client, demo, sheet_id))
    assert REMEDY_EN in page
    assert REMEDY_JA not in page

    reply = Api(demo.user("consult1")).act(
        sheet_id, "redirect", {"to_desk": "kakei", "reason": "家計の相談"}
    )
    assert REMEDY_JA in reply.body["detail"]


def test_every_gate_text_is_translatable_and_has_english(demo):
    from django.utils import translation

    from referral_hub.consent import refusal_texts

    texts = [*refusal_texts.MESSAGES.values(), *refusal_texts.PURPOSE_MESSAGES.values()]
    texts += [*refusal_texts.OPTION_REASONS.values(), refusal_texts.OPTION_REASON_OTHER]
    with translation.override("en"):
        untranslated = [str(t) for t in texts if any(ord(c) > 0x3000 for c in str(t))]
    assert untranslated == []
