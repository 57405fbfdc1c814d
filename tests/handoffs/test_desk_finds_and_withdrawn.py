"""No sheet gets stuck, and the desk finds what it holds and held (issue 20): a withdrawn
consent is marked in every list and the desk closes with 「同意撤回」; filters for every status;
search by number and by kana and birth date, through the gate and audited."""

from __future__ import annotations

from django.test import Client

from referral_hub.audit.models import AuditEvent
from tests.fixtures_sheets import drive_to, send_ok


def _withdraw(api, consent_id: int) -> None:
    reply = api("tax_clerk").post(f"/consents/{consent_id}/withdraw/", {"reason": "本人の申し出"})
    assert reply.status == 200, reply.body


def test_withdrawn_consent_is_marked_in_every_list(demo, api, resident, jiritsu_consent):
    sheet_id = send_ok(api("tax_clerk"), resident, jiritsu_consent)
    _withdraw(api, jiritsu_consent.pk)
    for user, box in (("consult1", "inbox"), ("tax_clerk", "sent"), ("consult1", "desk")):
        rows = api(user).get("/sheets/", box=box).body["results"]
        assert [(r["id"], r["consent_withdrawn"]) for r in rows] == [(sheet_id, True)], box
    only = api("consult1").get("/sheets/", box="inbox", consent_withdrawn="true").body
    assert only["count"] == 1
    client = Client()
    client.force_login(demo.user("consult1"))
    assert "同意撤回" in client.get("/inbox/").content.decode()


def test_desk_closes_a_withdrawn_sheet_and_the_sender_sees_only_that(
    demo, api, resident, jiritsu_consent
):
    sheet_id = send_ok(api("tax_clerk"), resident, jiritsu_consent)
    _withdraw(api, jiritsu_consent.pk)
    # The desk's page is no dead end: it offers the close.
    client = Client()
    client.force_login(demo.user("consult1"))
    page = client.get(f"/sheets/{sheet_id}/")
    assert page.status_code == 403 and "同意撤回として終結する" in page.content.decode()
    closed = client.post(
        f"/sheets/{sheet_id}/actions/close/", {"close-outcome": "consent_withdrawn"}
    )
    assert closed.status_code == 302
    sender_view = api("tax_clerk").get(f"/sheets/{sheet_id}/").body
    assert (sender_view["status"], sender_view["outcome"]) == ("closed", "consent_withdrawn")
    assert "linked_sheets" not in sender_view
    sender = Client()
    sender.force_login(demo.user("tax_clerk"))
    assert "本人が同意を撤回したため" in sender.get(f"/sheets/{sheet_id}/").content.decode()


def test_consent_withdrawn_outcome_needs_a_withdrawn_consent(demo, api, resident, jiritsu_consent):
    sheet_id = send_ok(api("tax_clerk"), resident, jiritsu_consent)
    drive_to(demo, sheet_id, "acknowledged")
    reply = api("consult1").act(sheet_id, "close", {"outcome": "consent_withdrawn"})
    assert (reply.status, reply.code) == (409, "invalid_transition")


def test_desk_filters_every_status_including_closed_and_withdrawn(
    demo, api, resident, jiritsu_consent
):
    closed = send_ok(api("tax_clerk"), resident, jiritsu_consent)
    drive_to(demo, closed, "closed")
    withdrawn = send_ok(api("tax_clerk"), resident, jiritsu_consent)
    drive_to(demo, withdrawn, "withdrawn")
    open_id = send_ok(api("tax_clerk"), resident, jiritsu_consent)
    desk = api("consult1")
    assert [r["id"] for r in desk.get("/sheets/", box="desk", status="closed").body["results"]] == [
        closed
    ]
    assert [
        r["id"] for r in desk.get("/sheets/", box="desk", status="withdrawn").body["results"]
    ] == [withdrawn]
    assert desk.get("/sheets/", box="desk").body["count"] == 3
    assert [r["id"] for r in desk.get("/sheets/", box="inbox").body["results"]] == [open_id]
    assert api("hogo_staff").get("/sheets/", box="desk").body["count"] == 0
    client = Client()
    client.force_login(demo.user("consult1"))
    assert client.get("/inbox/", {"status": "closed"}).status_code == 200


def test_search_by_number_and_by_kana_and_birth_date_is_audited(
    demo, api, resident, jiritsu_consent
):
    sheet_id = send_ok(api("tax_clerk"), resident, jiritsu_consent)
    drive_to(demo, sheet_id, "closed")
    number = api("consult1").get(f"/sheets/{sheet_id}/").body["number"]
    desk = api("consult1")
    found = desk.get("/sheets/", box="desk", number=number).body["results"]
    assert [r["id"] for r in found] == [sheet_id]
    assert AuditEvent.objects.filter(action="sheets.searched", target_id=number).exists()
    by_name = desk.get(
        "/sheets/",
        box="desk",
        kana="ヤマダ タロウ",
        birth_date=resident.birth_date.isoformat(),
    ).body["results"]
    assert [r["id"] for r in by_name] == [sheet_id]
    assert AuditEvent.objects.filter(action="resident.search", actor_username="consult1").exists()
    wrong = desk.get(
        "/sheets/", box="desk", kana="スズキ ハナコ", birth_date=resident.birth_date.isoformat()
    )
    assert wrong.body["count"] == 0
    # Another desk's staff find nothing of jiritsu's, even with the right number.
    assert api("hogo_staff").get("/sheets/", box="desk", number=number).body["count"] == 0
    bad = desk.get("/sheets/", box="desk", kana="ヤマダ タロウ", birth_date="not-a-date")
    assert (bad.status, bad.code) == (400, "invalid_filter")
