"""Contact attempts (issue 20): the desk records each try; reached means contacted; the sender
sees that the desk is trying and nothing more without consent to feedback."""

from __future__ import annotations

import datetime

from django.db import connection

from referral_hub.audit.models import AuditEvent
from referral_hub.handoffs.models import ConnectSheet, ContactAttempt
from tests.fixtures_sheets import drive_to, send_ok
from tests.handoffs.nodrop_helpers import attempt


def _accepted(demo, api, resident, consent) -> int:
    sheet_id = send_ok(api("tax_clerk"), resident, consent)
    drive_to(demo, sheet_id, "accepted")
    return sheet_id


def test_desk_records_an_attempt_and_lists_it(demo, api, resident, jiritsu_consent):
    sheet_id = _accepted(demo, api, resident, jiritsu_consent)
    reply = attempt(api("consult1"), sheet_id, note="留守電に折り返しを依頼した秘密メモ")
    assert reply.status == 201, reply.body
    assert reply.body["result"] == "no_answer" and reply.body["channel"] == "phone"
    listed = api("consult2").get(f"/sheets/{sheet_id}/contact-attempts/")
    assert listed.status == 200
    assert [a["note"] for a in listed.body] == ["留守電に折り返しを依頼した秘密メモ"]
    assert ConnectSheet.objects.get(pk=sheet_id).status == "accepted"
    assert AuditEvent.objects.filter(
        action="sheet.contact_attempt_recorded", target_id=str(sheet_id)
    ).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT note_ciphertext FROM handoffs_contactattempt")
        (stored,) = cursor.fetchone()
    assert "秘密メモ" not in str(stored)


def test_attempt_in_the_future_or_on_another_day_is_refused(
    demo, api, resident, jiritsu_consent, clock
):
    clock.set(2026, 12, 2, 10, 0)  # a Wednesday
    sheet_id = _accepted(demo, api, resident, jiritsu_consent)
    future = attempt(api("consult1"), sheet_id, at="2026-12-02T10:30:00+09:00")
    assert (future.status, future.code, future.body["field"]) == (400, "attempt_in_future", "at")
    yesterday = attempt(api("consult1"), sheet_id, at="2026-12-01T16:00:00+09:00")
    assert (yesterday.status, yesterday.code) == (400, "attempt_not_today")
    earlier = attempt(api("consult1"), sheet_id, at="2026-12-02T08:45:00+09:00")
    assert earlier.status == 201
    assert ContactAttempt.objects.filter(sheet_id=sheet_id).count() == 1


def test_reached_moves_the_sheet_to_contacted(demo, api, resident, jiritsu_consent):
    sheet_id = _accepted(demo, api, resident, jiritsu_consent)
    assert attempt(api("consult1"), sheet_id, "reached", channel="visit").status == 201
    sheet = ConnectSheet.objects.get(pk=sheet_id)
    assert sheet.status == "contacted" and sheet.contacted_at is not None


def test_attempt_before_acceptance_is_an_invalid_transition(demo, api, resident, jiritsu_consent):
    sheet_id = send_ok(api("tax_clerk"), resident, jiritsu_consent)
    reply = attempt(api("consult1"), sheet_id)
    assert (reply.status, reply.code) == (409, "invalid_transition")


def test_sender_sees_the_desk_trying_but_no_result_or_note(demo, api, resident, jiritsu_consent):
    sheet_id = _accepted(demo, api, resident, jiritsu_consent)
    attempt(api("consult1"), sheet_id, "refused", note="強い口調で断られた")
    listed = api("tax_clerk").get(f"/sheets/{sheet_id}/contact-attempts/")
    assert (listed.status, listed.code) == (403, "not_desk_member")
    stranger = api("hogo_staff").post(
        f"/sheets/{sheet_id}/contact-attempts/", {"channel": "phone", "result": "no_answer"}
    )
    assert (stranger.status, stranger.code) == (403, "not_owner_desk")
    events = api("tax_clerk").get(f"/sheets/{sheet_id}/events/").body
    tries = [e for e in events if e["kind"] == "contact_attempt"]
    assert len(tries) == 1 and tries[0]["outcome"] is None and tries[0]["note"] is None
    desk_events = api("consult1").get(f"/sheets/{sheet_id}/events/").body
    assert [e["outcome"] for e in desk_events if e["kind"] == "contact_attempt"] == ["refused"]


def test_sender_with_feedback_consent_sees_the_result(demo, api, resident, full_consent):
    sheet_id = _accepted(demo, api, resident, full_consent)
    attempt(api("consult1"), sheet_id, "message_left", note="メモ")
    events = api("tax_clerk").get(f"/sheets/{sheet_id}/events/").body
    tries = [e for e in events if e["kind"] == "contact_attempt"]
    assert tries[0]["outcome"] == "message_left" and tries[0]["note"] is None


def test_next_try_before_the_attempt_is_refused(demo, api, resident, jiritsu_consent):
    sheet_id = _accepted(demo, api, resident, jiritsu_consent)
    past = (datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=2)).isoformat()
    reply = attempt(api("consult1"), sheet_id, next_try_at=past)
    assert (reply.status, reply.code) == (400, "invalid_next_try")
