"""The loop closes (DESIGN.md invariant 4): the sending side sees every milestone, the current
owner desk and the outcome category; the desk's messages only when the consent covers
``feedback``, and case notes only when, on top of that, the desk shared them
(「送った職員に伝える」, tests/handoffs/test_feedback_minimal.py). Clerks see what their
department sent, desks only their own sheets."""

from __future__ import annotations

from referral_hub.consent.services import withdraw_consent
from referral_hub.handoffs.models import ConnectSheet
from tests.fixtures_sheets import ALL_CATEGORIES, make_consent, make_resident, send_ok

CASE_NOTES = {
    "contacted": "本人と電話で話し、来週面談の約束をした",
    "connected": "家計相談と就労支援を開始",
    "closed": "支援計画に基づき支援中",
}


def walk_to_closed(api, sheet_id: int, *, share: bool = False) -> None:
    """The desk's way to 終結, with a note at each step (shared with the sender if ``share``)
    and a message (refused without consent to feedback)."""
    desk = api("consult1")
    assert desk.act(sheet_id, "acknowledge").status == 200
    assert desk.act(sheet_id, "accept", {}).status == 200
    noted = {"note": CASE_NOTES["contacted"], "share_with_sender": share}
    assert desk.act(sheet_id, "contacted", noted).status == 200
    desk.post(f"/sheets/{sheet_id}/messages/", {"body": "面談日が決まりました"})
    noted = {"note": CASE_NOTES["connected"], "share_with_sender": share}
    assert desk.act(sheet_id, "connected", noted).status == 200
    closing = {
        "outcome": "connected_to_support",
        "note": CASE_NOTES["closed"],
        "share_with_sender": share,
    }
    assert desk.act(sheet_id, "close", closing).status == 200


def test_sender_sees_milestones_owner_and_outcome_but_no_case_notes_without_feedback(
    demo, api, resident, jiritsu_consent
):
    sender = api("tax_clerk")
    sheet_id = send_ok(sender, resident, jiritsu_consent)
    sender.post(f"/sheets/{sheet_id}/messages/", {"body": "本日来庁されました"})
    walk_to_closed(api, sheet_id)

    view = sender.get(f"/sheets/{sheet_id}/").body
    assert (view["view"], view["feedback"]) == ("sender", False)
    assert (view["status"], view["owner_desk"], view["outcome"]) == (
        "closed",
        "jiritsu",
        "connected_to_support",
    )
    assert all(view["milestones"][k] for k in view["milestones"])
    for personal in ("resident", "summary", "resident_words", "details", "contact_preference"):
        assert personal not in view

    events = sender.get(f"/sheets/{sheet_id}/events/").body
    assert [e["kind"] for e in events] == [
        "sent",
        "acknowledged",
        "accepted",
        "contacted",
        "connected",
        "closed",
    ]
    assert [e["note"] for e in events] == [None] * 6
    assert events[-1]["outcome"] == "connected_to_support"

    messages = sender.get(f"/sheets/{sheet_id}/messages/").body
    assert [(m["side"], m["body"]) for m in messages] == [("sender", "本日来庁されました")]


def test_sender_sees_shared_case_notes_and_desk_messages_when_consent_covers_feedback(
    demo, api, resident, full_consent
):
    sender = api("tax_clerk")
    sheet_id = send_ok(sender, resident, full_consent)
    walk_to_closed(api, sheet_id, share=True)

    view = sender.get(f"/sheets/{sheet_id}/").body
    assert (view["view"], view["feedback"]) == ("sender", True)
    assert view["resident"]["family_name"] == "山田"

    notes = {e["kind"]: e["note"] for e in sender.get(f"/sheets/{sheet_id}/events/").body}
    assert notes["contacted"] == CASE_NOTES["contacted"]
    assert notes["connected"] == CASE_NOTES["connected"]
    assert notes["closed"] == CASE_NOTES["closed"]
    messages = sender.get(f"/sheets/{sheet_id}/messages/").body
    assert [(m["side"], m["body"]) for m in messages] == [("desk", "面談日が決まりました")]


def test_feedback_stops_when_the_consent_is_withdrawn(demo, api, resident, full_consent):
    sender = api("tax_clerk")
    sheet_id = send_ok(sender, resident, full_consent)
    api("consult1").act(sheet_id, "acknowledge")
    api("consult1").act(sheet_id, "accept", {})
    api("consult1").act(
        sheet_id, "contacted", {"note": CASE_NOTES["contacted"], "share_with_sender": True}
    )
    assert CASE_NOTES["contacted"] in [
        e["note"] for e in sender.get(f"/sheets/{sheet_id}/events/").body
    ]

    withdraw_consent(demo.user("tax_clerk"), full_consent, "本人の申し出")

    view = sender.get(f"/sheets/{sheet_id}/").body
    assert (view["feedback"], view["status"], view["consent_status"]) == (
        False,
        "contacted",
        "withdrawn",
    )
    assert "resident" not in view
    notes = [e["note"] for e in sender.get(f"/sheets/{sheet_id}/events/").body]
    assert CASE_NOTES["contacted"] not in notes


def test_sender_always_sees_why_the_desk_returned_the_sheet(demo, api, resident, jiritsu_consent):
    sheet_id = send_ok(api("tax_clerk"), resident, jiritsu_consent)
    api("consult1").act(sheet_id, "return", {"reason": "連絡先の電話番号が抜けています"})

    events = api("tax_clerk").get(f"/sheets/{sheet_id}/events/").body

    assert events[-1]["kind"] == "returned"
    assert events[-1]["note"] == "連絡先の電話番号が抜けています"
    assert api("tax_clerk").get(f"/sheets/{sheet_id}/").body["allowed_actions"] == [
        "resend",
        "withdraw",
    ]


def test_sender_follows_the_sheet_to_its_new_owner_desk(demo, api, resident, full_consent):
    sheet_id = send_ok(api("tax_clerk"), resident, full_consent)
    api("consult1").act(sheet_id, "redirect", {"to_desk": "seikatsu_hogo", "reason": "保護相談"})

    view = api("tax_clerk").get(f"/sheets/{sheet_id}/").body

    assert (view["status"], view["owner_desk"], view["redirect_count"]) == (
        "sent",
        "seikatsu_hogo",
        1,
    )
    kinds = [e["kind"] for e in api("tax_clerk").get(f"/sheets/{sheet_id}/events/").body]
    assert kinds == ["sent", "redirected"]


def test_sending_side_gets_a_live_event_for_every_milestone(demo, api, resident, jiritsu_consent):
    from referral_hub.inbox.models import InboxEvent

    sheet_id = send_ok(api("tax_clerk"), resident, jiritsu_consent)
    walk_to_closed(api, sheet_id)

    statuses = list(
        InboxEvent.objects.filter(
            user=demo.user("tax_clerk"), sheet_id=sheet_id, type="sheet.updated"
        ).values_list("status", flat=True)
    )
    assert statuses == ["sent", "acknowledged", "accepted", "contacted", "connected", "closed"]
    closed = InboxEvent.objects.filter(user=demo.user("tax_clerk"), status="closed").get()
    assert closed.extra["outcome"] == "connected_to_support"


def test_clerks_see_what_their_department_sent_and_nothing_else(
    demo, api, resident, jiritsu_consent
):
    sheet_id = send_ok(api("tax_clerk"), resident, jiritsu_consent)
    demo.add_staff("tax_clerk2", "clerk", department="shuno")
    other = make_resident(demo.user("nhi_clerk"), family_kana="サトウ")
    other_consent = make_consent(demo.user("nhi_clerk"), other, ["jiritsu"])
    other_id = send_ok(api("nhi_clerk"), other, other_consent)

    colleague = api("tax_clerk2")
    assert [s["id"] for s in colleague.get("/sheets/", box="sent").body["results"]] == [sheet_id]
    assert colleague.get(f"/sheets/{sheet_id}/").body["view"] == "sender"
    assert colleague.get(f"/sheets/{other_id}/").status == 403
    assert [s["id"] for s in api("nhi_clerk").get("/sheets/", box="sent").body["results"]] == [
        other_id
    ]


def test_desk_staff_see_only_their_desks_sheets(demo, api, resident, full_consent):
    to_jiritsu = send_ok(api("tax_clerk"), resident, full_consent)
    to_hogo = send_ok(api("tax_clerk"), resident, full_consent, to_desk="seikatsu_hogo")

    assert [s["id"] for s in api("consult1").get("/sheets/", box="inbox").body["results"]] == [
        to_jiritsu
    ]
    assert [s["id"] for s in api("hogo_staff").get("/sheets/", box="inbox").body["results"]] == [
        to_hogo
    ]
    assert api("hogo_staff").get(f"/sheets/{to_jiritsu}/").status == 403


def test_list_rows_carry_no_personal_data(demo, api, resident, full_consent):
    send_ok(api("tax_clerk"), resident, full_consent, details={"tax": "滞納40万円"})

    for username, box in (("consult1", "inbox"), ("tax_clerk", "sent")):
        body = str(api(username).get("/sheets/", box=box).body)
        for secret in ("山田", "ヤマダ", "滞納40万円", "差押え", "携帯"):
            assert secret not in body


def test_lists_filter_by_status_and_urgency(demo, api):
    clerk = demo.user("tax_clerk")
    ids = {}
    for urgency in ("urgent", "soon", "normal"):
        person = make_resident(clerk)
        consent = make_consent(clerk, person, ["jiritsu"], list(ALL_CATEGORIES))
        ids[urgency] = send_ok(api("tax_clerk"), person, consent, urgency=urgency)
    api("consult1").act(ids["soon"], "acknowledge")

    def listed(**params):
        return {
            s["id"] for s in api("consult1").get("/sheets/", box="inbox", **params).body["results"]
        }

    assert listed(urgency="urgent") == {ids["urgent"]}
    assert listed(status="acknowledged") == {ids["soon"]}
    assert listed(status="sent", urgency="urgent,normal") == {ids["urgent"], ids["normal"]}
    assert ConnectSheet.objects.filter(status="sent").count() == 2


def test_sender_gets_exactly_one_live_event_for_a_redirect(demo, api, resident, full_consent):
    from referral_hub.inbox.models import InboxEvent

    sheet_id = send_ok(api("tax_clerk"), resident, full_consent)
    sender = demo.user("tax_clerk")
    # Events are numbered (seq) after commit; inside this test's transaction, order by row id.
    last = InboxEvent.objects.filter(user=sender).order_by("-pk").values_list("pk", flat=True)[0]

    api("consult1").act(sheet_id, "redirect", {"to_desk": "seikatsu_hogo", "reason": "保護相談"})

    events = InboxEvent.objects.filter(user=sender, pk__gt=last).order_by("pk")
    assert [(e.type, e.status, e.extra["owner_desk"]) for e in events] == [
        ("sheet.updated", "sent", "seikatsu_hogo")
    ]
