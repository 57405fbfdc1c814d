"""Pages say who will read what (issue 13, input 9): the consent form leaves
「つないだ職員への経過報告」 unticked, every note box on the desk's page names its readers, the
「送った職員に伝える」 box warns what the consent leaves out or is disabled with the reason, and
the desk's message box is replaced by the reason when the sender may not read it."""

from __future__ import annotations

import re

from referral_hub.audit.models import AuditEvent
from referral_hub.handoffs import services
from tests.fixtures_sheets import Api, make_consent, make_resident, send_ok

from .conftest import text

DESK_ONLY = "この欄は窓口内の記録です。送った職員には表示されません。"
SHOWN_TO_SENDER = "送った職員にも表示されます。"
NO_FEEDBACK = "本人が「つないだ職員への経過報告」に同意していないため"


def _accepted_sheet(demo, categories: list[str]) -> int:
    clerk = demo.user("tax_clerk")
    resident = make_resident(clerk, family_name="経過", given_name="一郎")
    consent = make_consent(clerk, resident, ["jiritsu"], categories)
    sheet_id = send_ok(Api(clerk), resident, consent)
    services.acknowledge(demo.user("consult1"), sheet_id)
    services.accept(demo.user("consult1"), sheet_id)
    return sheet_id


def _input(page: str, name: str, value: str | None = None) -> str:
    """The <input> tag of a field (and value), to check checked/disabled."""
    value_part = f' value="{value}"' if value else ""
    for tag in re.findall(r"<input[^>]*>", page):
        if f'name="{name}"' in tag and (not value or value_part in tag):
            return tag
    raise AssertionError(f"no input {name}={value}")


def test_the_consent_form_does_not_tick_feedback_by_default(demo, browser_as):
    page = text(browser_as("tax_clerk").get("/send/"))

    assert " checked" in _input(page, "categories", "identity")
    assert " checked" in _input(page, "categories", "concern")
    assert " checked" not in _input(page, "categories", "feedback")
    assert "状態と結果はつないだ職員に伝わります" in page
    # The words read aloud to the resident follow the form: no feedback promised by default.
    assert "相談がどうなったかを" not in page


def test_note_boxes_say_the_note_stays_with_the_desk_and_warn_what_the_consent_leaves_out(
    demo, browser_as
):
    sheet_id = _accepted_sheet(demo, ["identity", "concern", "feedback", "tax"])

    page = text(browser_as("consult1").get(f"/sheets/{sheet_id}/"))

    for action in ("contacted", "close"):  # the actions open at 担当決定
        share = _input(page, f"{action}-share_with_sender")
        assert "disabled" not in share, action
        assert f'data-share-note="id_{action}-note_helptext"' in share
        assert f'data-text-shared="{SHOWN_TO_SENDER}"' in share
    assert page.count(DESK_ONLY) >= 3
    assert page.count("送った職員に伝える") >= 3
    assert (
        "本人同意に含まれていない情報(健康に関する情報、世帯の情報)は書かないでください。" in page
    )
    assert "転送先の窓口に伝わります。送った職員には表示されません。" in page
    assert 'id="message-audience">送った職員に表示されます。' in page
    assert "同意の記録に残り、個人情報保護担当が確認します。" in page  # the withdrawal box


def test_the_return_reason_box_says_the_sender_reads_it(demo, browser_as):
    clerk = demo.user("tax_clerk")
    resident = make_resident(clerk)
    consent = make_consent(clerk, resident, ["jiritsu"])
    sheet_id = send_ok(Api(clerk), resident, consent)

    page = text(browser_as("consult1").get(f"/sheets/{sheet_id}/"))

    assert "差戻しの理由は送った職員に表示されます。" in page


def test_without_feedback_consent_the_share_box_is_disabled_and_the_message_box_explains(
    demo, browser_as
):
    sheet_id = _accepted_sheet(demo, ["identity", "concern"])

    page = text(browser_as("consult1").get(f"/sheets/{sheet_id}/"))

    assert "disabled" in _input(page, "contacted-share_with_sender")
    assert NO_FEEDBACK in page
    assert 'id="message-refusal"' in page
    assert "送った職員へのメッセージは送れません" in page
    assert 'name="body"' not in page  # nothing to type into


def test_a_shared_note_reaches_the_sender_page_and_an_unshared_one_does_not(demo, browser_as):
    sheet_id = _accepted_sheet(demo, ["identity", "concern", "feedback"])
    desk = browser_as("consult1")
    shared = {"contacted-note": "来週面談します", "contacted-share_with_sender": "on"}
    assert desk.post(f"/sheets/{sheet_id}/actions/contacted/", shared).status_code == 302
    kept = {"connected-note": "夫からの暴力があり別居中。精神科通院中。"}
    assert desk.post(f"/sheets/{sheet_id}/actions/connected/", kept).status_code == 302

    sender_page = text(browser_as("tax_clerk").get(f"/sheets/{sheet_id}/"))

    assert "来週面談します" in sender_page
    assert "夫からの暴力" not in sender_page
    assert "夫からの暴力" in text(desk.get(f"/sheets/{sheet_id}/"))


def test_a_disabled_share_box_cannot_be_forced_on_from_the_page(demo, browser_as):
    sheet_id = _accepted_sheet(demo, ["identity", "concern"])
    forced = {"contacted-note": "精神科通院中", "contacted-share_with_sender": "on"}

    response = browser_as("consult1").post(f"/sheets/{sheet_id}/actions/contacted/", forced)

    assert response.status_code == 302  # the note is kept, unshared: the box was disabled
    assert "精神科通院中" not in text(browser_as("tax_clerk").get(f"/sheets/{sheet_id}/"))


def test_a_ticked_box_shown_again_after_an_error_says_the_sender_will_read_the_note(
    demo, browser_as
):
    sheet_id = _accepted_sheet(demo, ["identity", "concern", "feedback"])
    ticked = {"close-note": "終結します", "close-share_with_sender": "on"}  # no outcome

    response = browser_as("consult1").post(f"/sheets/{sheet_id}/actions/close/", ticked)

    assert response.status_code == 400
    page = text(response)
    assert f'<p class="help" id="id_close-note_helptext">{SHOWN_TO_SENDER}</p>' in page
    assert " checked" in _input(page, "close-share_with_sender")


def test_the_sender_page_shows_what_was_sent_and_the_read_is_audited(demo, browser_as):
    sheet_id = _accepted_sheet(demo, ["identity", "concern"])

    page = text(browser_as("tax_clerk").get(f"/sheets/{sheet_id}/"))

    assert "送った内容" in page
    assert "市税の滞納で差押えを受け、家賃も払えなくなっている。" in page
    assert "平日の午前中に携帯へ" in page
    assert "経過 一郎" not in page
    assert AuditEvent.objects.filter(
        action="sheet.sent_read", actor_username="tax_clerk", target_id=str(sheet_id)
    ).exists()


def test_after_withdrawal_the_sender_page_says_no_more_messages(demo, browser_as):
    sheet_id = _accepted_sheet(demo, ["identity", "concern", "feedback"])
    clerk = browser_as("tax_clerk")
    clerk.post(f"/sheets/{sheet_id}/consent/withdraw/", {"reason": "本人の申し出"})

    page = text(clerk.get(f"/sheets/{sheet_id}/"))

    assert "本人が同意を撤回したため、このシートではメッセージを送れません。" in page
    assert 'name="body"' not in page
