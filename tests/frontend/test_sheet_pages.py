"""The sheet page: the desk's full view (audited, marks the sheet read), the sender's feedback
view, actions valid in the current state, and refusals explained in Japanese."""

from __future__ import annotations

from referral_hub.audit.models import AuditEvent
from referral_hub.handoffs import services
from referral_hub.handoffs.models import ConnectSheet
from referral_hub.inbox.read_state import unread_counts
from tests.fixtures_sheets import Api, make_consent, make_resident, send_ok

from .conftest import text


def _sheet(demo, desks=("jiritsu", "seikatsu_hogo"), categories=None, **overrides) -> int:
    clerk = demo.user("tax_clerk")
    resident = make_resident(clerk, family_name="開示", given_name="太郎")
    consent = make_consent(clerk, resident, list(desks), categories)
    return send_ok(Api(clerk), resident, consent, **overrides)


def test_desk_sees_the_whole_sheet_and_opening_it_is_audited_and_marks_it_read(demo, browser_as):
    sheet_id = _sheet(demo)
    consult = demo.user("consult1")
    assert unread_counts(consult.pk)["inbox"] == 1
    page = text(browser_as("consult1").get(f"/sheets/{sheet_id}/"))
    assert "開示 太郎" in page
    assert "市税の滞納で差押えを受け" in page
    assert ">受付</button>" in page and "転送" in page and "差戻し" in page
    assert "終結" not in page.split('class="action-bar"')[1].split("</div>")[0]
    assert unread_counts(consult.pk)["inbox"] == 0
    assert AuditEvent.objects.filter(
        action="sheet.read", actor_id=consult.pk, target_id=str(sheet_id), allowed=True
    ).exists()


def test_sender_sees_status_but_not_the_name_without_feedback_consent(demo, browser_as):
    sheet_id = _sheet(demo)
    page = text(browser_as("tax_clerk").get(f"/sheets/{sheet_id}/"))
    assert "進み具合" in page
    assert "開示 太郎" not in page
    assert "状態と結果だけが表示されます" in page
    assert "取下げ" in page


def test_another_desk_is_refused_in_japanese(demo, browser_as):
    sheet_id = _sheet(demo)
    response = browser_as("hogo_staff").get(f"/sheets/{sheet_id}/")
    assert response.status_code == 403
    assert "この窓口の職員ではないため閲覧できません。" in text(response)


def test_acknowledge_then_accept_moves_the_sheet(demo, browser_as):
    sheet_id = _sheet(demo)
    desk = browser_as("consult1")
    assert desk.post(f"/sheets/{sheet_id}/actions/acknowledge/").status_code == 302
    assert desk.post(f"/sheets/{sheet_id}/actions/accept/").status_code == 302
    sheet = ConnectSheet.objects.get(pk=sheet_id)
    assert sheet.status == "accepted"
    assert sheet.handler == demo.user("consult1")


def test_redirect_outside_consent_is_refused_with_the_reason_in_the_open_dialog(demo, browser_as):
    sheet_id = _sheet(demo)
    response = browser_as("consult1").post(
        f"/sheets/{sheet_id}/actions/redirect/",
        {"redirect-to_desk": demo.desk("kakei").pk, "redirect-reason": "家計の相談"},
    )
    assert response.status_code == 403
    page = text(response)
    assert "本人同意の範囲外です" in page
    assert "「家計改善支援」は本人同意で情報を伝えてよい窓口に含まれていません。" in page
    assert (
        'id="dlg-redirect" class="action-dialog" aria-labelledby="dlg-redirect-title" data-open-on-load'
        in page
    )
    assert ConnectSheet.objects.get(pk=sheet_id).owner_desk.code == "jiritsu"


def test_redirect_inside_consent_moves_the_sheet_and_returns_to_the_inbox(demo, browser_as):
    sheet_id = _sheet(demo)
    response = browser_as("consult1").post(
        f"/sheets/{sheet_id}/actions/redirect/",
        {"redirect-to_desk": demo.desk("seikatsu_hogo").pk, "redirect-reason": "保護の相談"},
    )
    assert response.status_code == 302 and response["Location"] == "/inbox/"
    assert ConnectSheet.objects.get(pk=sheet_id).owner_desk.code == "seikatsu_hogo"


def test_an_action_no_longer_valid_is_explained(demo, browser_as):
    sheet_id = _sheet(demo)
    services.acknowledge(demo.user("consult2"), sheet_id)
    response = browser_as("consult1").post(f"/sheets/{sheet_id}/actions/acknowledge/")
    assert response.status_code == 409
    assert "いまの状態(受付済)ではこの操作はできません。" in text(response)


def test_close_needs_an_outcome_next_to_its_field(demo, browser_as):
    sheet_id = _sheet(demo)
    services.acknowledge(demo.user("consult1"), sheet_id)
    response = browser_as("consult1").post(f"/sheets/{sheet_id}/actions/close/", {})
    assert response.status_code == 400
    page = text(response)
    assert "終結の結果を選んでください。" in page
    assert 'id="id_close-outcome_error"' in page


def test_thread_message_reaches_the_sender_when_the_consent_covers_feedback(demo, browser_as):
    sheet_id = _sheet(demo, categories=["identity", "concern", "feedback"])
    response = browser_as("consult1").post(
        f"/sheets/{sheet_id}/messages/", {"body": "本人と連絡がとれました"}
    )
    assert response.status_code == 302
    assert "本人と連絡がとれました" in text(browser_as("consult1").get(f"/sheets/{sheet_id}/"))
    assert "本人と連絡がとれました" in text(browser_as("tax_clerk").get(f"/sheets/{sheet_id}/"))


def test_withdrawing_consent_stops_the_desk_reading_at_once(demo, browser_as):
    sheet_id = _sheet(demo)
    clerk = browser_as("tax_clerk")
    response = clerk.post(f"/sheets/{sheet_id}/consent/withdraw/", {"reason": "本人の申し出"})
    assert response.status_code == 302
    refused = browser_as("consult1").get(f"/sheets/{sheet_id}/")
    assert refused.status_code == 403
    assert "本人が同意を撤回しています。" in text(refused)


def test_returned_sheet_shows_the_question_to_the_sender_who_resends_it(demo, browser_as):
    sheet_id = _sheet(demo)
    desk = browser_as("consult1")
    response = desk.post(
        f"/sheets/{sheet_id}/actions/return/", {"return-reason": "連絡先の電話番号を教えてください"}
    )
    assert response.status_code == 302
    sender = browser_as("tax_clerk")
    page = text(sender.get(f"/sheets/{sheet_id}/"))
    assert "連絡先の電話番号を教えてください" in page
    assert "窓口から差し戻されました" in page
    assert (
        sender.post(f"/sheets/{sheet_id}/actions/resend/", {"resend-note": "090-..."}).status_code
        == 302
    )
    assert ConnectSheet.objects.get(pk=sheet_id).status == "sent"


def test_posting_to_an_unknown_sheets_pages_is_404_not_500(demo):
    from django.test import Client

    client = Client()
    assert client.login(username="housing_clerk", password="demo-pass-2026")

    assert client.post("/sheets/999999/messages/", {"body": "x"}).status_code == 404
