"""Parallel sheets joined without a leak (issue 20).

When two counters send a sheet for the same resident to the same desk, the second sheet is
linked to the open case: the desk sees one case with both senders' words and one SLA clock;
the second sender's responses, pages and events are the same, field for field and moment for
moment (frozen clock), whether or not the first sheet exists. Closing the case closes both."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils.dateparse import parse_datetime
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from referral_hub.handoffs.models import ConnectSheet
from referral_hub.inbox.models import InboxEvent
from tests.fixtures_sheets import Api, look_up, make_consent, make_resident, send_ok

SENDERS = ["tax_clerk", "nhi_clerk", "housing_clerk", "school_clerk"]
DESKS = ["jiritsu", "seikatsu_hogo", "kakei", "houkatsu", "kodomo"]
# What differs between any two sheets whatever happens: their ids, numbers and the arrival code
# printed on the handout (the number with a check digit, issue 19).
VOLATILE = {"id", "number", "arrival_code"}


def _strip(body: Any) -> Any:
    if isinstance(body, dict):
        return {k: _strip(v) for k, v in body.items() if k not in VOLATILE}
    if isinstance(body, list):
        return [_strip(v) for v in body]
    return body


def _send(demo, sender: str, desk: str, resident, *, first_sender: str | None = None) -> int:
    user = demo.user(sender)
    if first_sender is not None:
        look_up(user, resident)
    consent = make_consent(user, resident, [desk], ["identity", "concern"])
    return send_ok(Api(user), resident, consent, to_desk=desk, summary=f"{sender}の記録")


def _what_the_sender_gets(demo, sender: str, sheet_id: int) -> dict[str, Any]:
    api = Api(demo.user(sender))
    events = InboxEvent.objects.filter(user__username=sender, sheet_id=sheet_id).order_by("pk")
    return {
        "detail": _strip(api.get(f"/sheets/{sheet_id}/").body),
        "events": _strip(api.get(f"/sheets/{sheet_id}/events/").body),
        "inbox": [(e.type, e.box, e.status, e.extra, e.at) for e in events],
        "list": _strip(
            [r for r in api.get("/sheets/", box="sent").body["results"] if r["id"] == sheet_id]
        ),
    }


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    pair=st.lists(st.sampled_from(SENDERS), min_size=2, max_size=2, unique=True),
    desk=st.sampled_from(DESKS),
)
def test_second_sender_sees_the_same_whether_or_not_a_parallel_sheet_exists(
    demo, clock, pair, desk
):
    first, second = pair
    # Both runs at the same frozen instants (near the real time: the counter search that
    # relates the second sender to the resident is stamped by the database default).
    start = clock.real.replace(microsecond=0)
    clock.now = start
    alone = make_resident(demo.user(second))
    clock.now = start + datetime.timedelta(minutes=5)
    alone_id = _send(demo, second, desk, alone)
    without = _what_the_sender_gets(demo, second, alone_id)
    send_reply_alone = _strip(ConnectSheet.objects.filter(pk=alone_id).values("status").get())

    clock.now = start
    shared = make_resident(demo.user(first))
    first_id = _send(demo, first, desk, shared)
    clock.now = start + datetime.timedelta(minutes=5)
    second_id = _send(demo, second, desk, shared, first_sender=first)
    with_parallel = _what_the_sender_gets(demo, second, second_id)

    assert ConnectSheet.objects.get(pk=second_id).linked_to_id == first_id
    assert "linked_sheets" not in with_parallel["detail"]
    # Same fields, same values, same moments (the frozen clock), same events.
    assert with_parallel == without
    assert _strip(ConnectSheet.objects.filter(pk=second_id).values("status").get()) == (
        send_reply_alone
    )

    # The desk always sees both: one case, both senders' words, one clock.
    staff = {"jiritsu": "consult1", "seikatsu_hogo": "hogo_staff"}.get(desk, f"{desk}_staff")
    view = Api(demo.user(staff)).get(f"/sheets/{second_id}/").body
    assert view["linked_sheets"] == [first_id]
    assert [w["sheet"] for w in view["case_words"]] == [second_id, first_id]
    assert {w["summary"] for w in view["case_words"]} == {f"{first}の記録", f"{second}の記録"}
    first_due = ConnectSheet.objects.get(pk=first_id).ack_due_at
    assert parse_datetime(view["case_due_at"]) == min(
        first_due, ConnectSheet.objects.get(pk=second_id).ack_due_at
    )


def test_closing_the_case_closes_the_linked_sheet_for_each_sender(demo, api):
    resident = make_resident(demo.user("tax_clerk"))
    first_id = _send(demo, "tax_clerk", "jiritsu", resident)
    second_id = _send(demo, "nhi_clerk", "jiritsu", resident, first_sender="tax_clerk")
    desk = Api(demo.user("consult1"))
    assert desk.act(first_id, "acknowledge").status == 200
    closed = desk.act(first_id, "close", {"outcome": "resolved_by_information", "note": "メモ"})
    assert closed.status == 200, closed.body
    second = ConnectSheet.objects.get(pk=second_id)
    assert (second.status, second.outcome) == ("closed", "resolved_by_information")
    # Each sender hears the outcome of its own sheet, and only that.
    told = InboxEvent.objects.filter(user__username="nhi_clerk", extra__outcome__isnull=False)
    assert {e.sheet_id for e in told} == {second_id}
    nhi_view = Api(demo.user("nhi_clerk")).get(f"/sheets/{second_id}/").body
    assert nhi_view["outcome"] == "resolved_by_information"
    assert Api(demo.user("nhi_clerk")).get(f"/sheets/{first_id}/").status == 403
    notes = [
        e["note"] for e in Api(demo.user("nhi_clerk")).get(f"/sheets/{second_id}/events/").body
    ]
    assert "メモ" not in notes
