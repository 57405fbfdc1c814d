"""Sheet lists are paginated ``{"count","next","previous","results"}`` (DESIGN.md, HTTP API v1);
the inbox lists what the desk must act on, most urgent deadline first."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from referral_hub.handoffs.models import ConnectSheet
from tests.fixtures_sheets import send_ok


def follow(api, link: str):
    """GET a ``next``/``previous`` link of the list API, as a client would."""
    return api.get("/sheets/", **dict(parse_qsl(urlsplit(link).query))).body


def test_lists_are_paginated(demo, api, resident, jiritsu_consent):
    ids = [send_ok(api("tax_clerk"), resident, jiritsu_consent) for _ in range(3)]

    first = api("consult1").get("/sheets/", box="inbox", page_size=2).body
    assert first["count"] == 3
    assert len(first["results"]) == 2
    assert first["previous"] is None and first["next"]
    second = follow(api("consult1"), first["next"])
    assert second["count"] == 3
    assert len(second["results"]) == 1
    assert second["previous"] and second["next"] is None
    assert {r["id"] for r in first["results"] + second["results"]} == set(ids)
    back = follow(api("consult1"), second["previous"])
    assert back["results"] == first["results"]


def test_inbox_puts_the_earliest_deadline_first(demo, api, resident, jiritsu_consent):
    normal = send_ok(api("tax_clerk"), resident, jiritsu_consent, urgency="normal")
    urgent = send_ok(api("tax_clerk"), resident, jiritsu_consent, urgency="urgent")
    soon = send_ok(api("tax_clerk"), resident, jiritsu_consent, urgency="soon")
    due = {pk: ConnectSheet.objects.get(pk=pk).ack_due_at for pk in (normal, urgent, soon)}

    rows = api("consult1").get("/sheets/", box="inbox").body["results"]

    assert [r["id"] for r in rows] == sorted(due, key=due.get)


def test_sent_box_puts_the_latest_sheet_first(demo, api, resident, jiritsu_consent):
    ids = [send_ok(api("tax_clerk"), resident, jiritsu_consent) for _ in range(3)]

    rows = api("tax_clerk").get("/sheets/", box="sent").body["results"]

    assert [r["id"] for r in rows] == list(reversed(ids))
