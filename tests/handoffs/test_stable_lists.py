"""A walk over a sheet list's ``next`` links sees every sheet that was in the list before the
walk exactly once, whatever is sent or withdrawn meanwhile, and ties on the sort key are broken
by the sheet id (issue 14, input 7; keyset pagination, handoffs/keyset.py)."""

from __future__ import annotations

import datetime
from urllib.parse import parse_qsl, urlsplit

from django.utils import timezone

from referral_hub.handoffs.models import ConnectSheet, Status
from tests.fixtures_sheets import send_ok


def page(api, link: str | None = None, **params):
    if link is not None:
        params = dict(parse_qsl(urlsplit(link).query))
    reply = api.get("/sheets/", **params)
    assert reply.status == 200, reply.body
    return reply.body


def walk(api, first: dict, between=None) -> list[int]:
    """Ids over all pages from ``first``, calling ``between`` after each page."""
    seen = [row["id"] for row in first["results"]]
    current = first
    while True:
        if between is not None:
            between(current)
        if not current["next"]:
            return seen
        current = page(api, current["next"])
        seen += [row["id"] for row in current["results"]]


def test_paging_sent_while_a_sheet_is_sent_shows_each_sheet_once(
    demo, api, resident, jiritsu_consent
):
    clerk = api("tax_clerk")
    before = [send_ok(clerk, resident, jiritsu_consent) for _ in range(7)]
    first = page(clerk, box="sent", page_size=3)
    sent_meanwhile = []

    def send_one(_page):
        sent_meanwhile.append(send_ok(clerk, resident, jiritsu_consent))

    seen = walk(clerk, first, between=send_one)
    assert sorted(seen) == sorted(before)  # each once; the new ones wait for the next walk
    assert seen == sorted(before, reverse=True)  # newest first
    assert not set(seen) & set(sent_meanwhile)


def test_withdrawing_a_sheet_on_page_one_makes_no_other_sheet_vanish(
    demo, api, resident, jiritsu_consent
):
    clerk, desk = api("tax_clerk"), api("consult1")
    ids = [send_ok(clerk, resident, jiritsu_consent) for _ in range(6)]
    first = page(desk, box="inbox", page_size=2)
    withdrawn = first["results"][0]["id"]
    reply = clerk.act(withdrawn, "withdraw", {"reason": "本人の申し出により取下げ"})
    assert reply.status == 200, reply.body

    seen = walk(desk, first)
    assert sorted(seen) == sorted(ids)  # the withdrawn one was on page 1 already
    assert len(seen) == len(set(seen))
    assert ConnectSheet.objects.get(pk=withdrawn).status == Status.WITHDRAWN


def test_redirecting_sheets_away_mid_walk_makes_no_other_sheet_vanish(
    demo, api, resident, full_consent
):
    clerk, desk = api("tax_clerk"), api("consult1")
    ids = [send_ok(clerk, resident, full_consent) for _ in range(6)]
    first = page(desk, box="inbox", page_size=2)
    moved = [row["id"] for row in first["results"]]
    for sheet_id in moved:
        reply = desk.act(
            sheet_id, "redirect", {"to_desk": "seikatsu_hogo", "reason": "生活保護の相談が先"}
        )
        assert reply.status == 200, reply.body

    seen = walk(desk, first)
    assert sorted(seen) == sorted(ids)
    assert len(seen) == len(set(seen))


def test_sheets_with_the_same_deadline_are_ordered_by_id_and_each_listed_once(
    demo, api, resident, jiritsu_consent
):
    clerk, desk = api("tax_clerk"), api("consult1")
    ids = [send_ok(clerk, resident, jiritsu_consent) for _ in range(7)]
    due = timezone.now() + datetime.timedelta(days=2)
    # One row at a time, newest first: PostgreSQL then stores them in reverse id order, so an
    # order without a tiebreaker would come back in storage order.
    for sheet_id in reversed(ids):
        ConnectSheet.objects.filter(pk=sheet_id).update(ack_due_at=due)

    seen = walk(desk, page(desk, box="inbox", page_size=3))
    assert seen == ids


def test_later_page_numbers_are_refused_with_a_pointer_to_next(demo, api):
    reply = api("consult1").get("/sheets/", box="inbox", page=2)
    assert reply.status == 400
    assert reply.body["code"] == "page_number_unsupported"
    assert api("consult1").get("/sheets/", box="inbox", page=1).status == 200


def test_a_tampered_cursor_is_refused(demo, api):
    reply = api("consult1").get("/sheets/", box="inbox", cursor="eyJrIjpbIngiLCJ5Il19")
    assert reply.status == 400
    assert reply.body["code"] == "invalid_cursor"
