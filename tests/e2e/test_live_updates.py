"""Live updates without reloading: the sender's open sheet follows the desk's actions, badges
count what is new, and a browser that lost its connection catches up by sequence number."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login, wait_live
from tests.servers import resident_with_consent, send_sheet, unique_kana

pytestmark = pytest.mark.e2e

LIVE_WITHIN_MS = 2000


def _sheet(api):
    tax = api("tax_clerk")
    known = resident_with_consent(
        tax, unique_kana("ライブ"), desks=["jiritsu"], categories=["identity", "concern"]
    )
    return send_sheet(tax, known["resident"]["id"], known["consent"]["id"])


def test_senders_open_sheet_follows_the_desk(new_context, api):
    sheet = _sheet(api)
    clerk = login(new_context(), "tax_clerk")
    clerk.goto(f"/sheets/{sheet['id']}/")
    wait_live(clerk)
    loads: list[str] = []
    clerk.on("framenavigated", lambda frame: loads.append(frame.url))

    api("consult1").post(f"/api/v1/sheets/{sheet['id']}/acknowledge/", {})
    expect(clerk.locator("#sheet-status")).to_have_text("受付済", timeout=LIVE_WITHIN_MS)
    expect(clerk.locator("#sheet-progress")).to_contain_text("受付")
    assert loads == []


def test_badge_counts_new_sheets_and_opening_one_clears_it(new_context, api):
    consult = login(new_context(), "consult2")
    wait_live(consult)
    badge = consult.locator('[data-badge="inbox"] .badge-count')
    before = int(badge.inner_text()) if consult.locator('[data-badge="inbox"]').is_visible() else 0
    sheet = _sheet(api)
    expect(badge).to_have_text(str(before + 1), timeout=LIVE_WITHIN_MS)
    consult.locator("#sheet-list tr", has_text=sheet["number"]).get_by_role("link").click()
    expect(consult.locator('[data-badge="inbox"] .badge-count')).to_have_text(str(before))


def test_inbox_catches_up_after_losing_the_connection(new_context, api):
    """The socket drops and reconnections fail for a while (the network, a restarting worker);
    a sheet sent meanwhile appears once the socket is back, through catch_up by seq."""
    context = new_context()
    link = {"down": False, "sockets": []}

    def relay(socket):
        if link["down"]:
            socket.close(code=1013, reason="try again later")
            return
        socket.connect_to_server()
        link["sockets"].append(socket)

    context.route_web_socket(re.compile(r"/ws/inbox/$"), relay)
    consult = login(context, "consult1")
    wait_live(consult)
    sent: list[str] = []
    consult.on("websocket", lambda ws: ws.on("framesent", lambda frame: sent.append(frame)))

    link["down"] = True
    for socket in link["sockets"]:
        socket.close()
    expect(consult.locator("#live-status")).to_have_attribute("data-state", "reconnecting")
    sheet = _sheet(api)  # sent while this browser cannot hear about it
    expect(consult.locator("#sheet-list")).not_to_contain_text(sheet["number"])

    link["down"] = False
    row = consult.locator("#sheet-list tr", has_text=sheet["number"])
    expect(row).to_be_visible(timeout=15000)
    assert any('"catch_up"' in str(frame) for frame in sent), sent
    assert consult.evaluate("Object.keys(sessionStorage).some(k => k.startsWith('rh.inbox.seq'))")


def test_signing_out_elsewhere_sends_the_page_to_sign_in(new_context, api):
    context = new_context()
    consult = login(context, "consult1")
    wait_live(consult)
    other_tab = context.new_page()
    other_tab.goto("/inbox/")
    other_tab.get_by_role("button", name="ログアウト").click()
    _sheet(api)  # an event for the signed-out page: its refresh meets the sign-in page
    expect(consult).to_have_url(re.compile(r"/login/"), timeout=10000)


def test_page_follows_the_gap_rule_and_handles_each_seq_once(new_context, api):
    """Pushes of two transactions can overtake each other: the page sees seq N+1 before N. It
    sends ``catch_up`` from the last seq it handled as soon as N+1 shows the gap (without
    reconnecting), takes N when it comes, gets nothing twice from the server, and drops a
    frame repeating a seq it already handled (issue 14, input 6)."""
    context = new_context()
    relay: dict = {"hold_next": False, "held": [], "to_page": [], "to_server": [], "page": None}

    def route(page_side):
        server = page_side.connect_to_server()
        relay["page"] = page_side

        def from_server(message):
            frame = json.loads(message)
            if relay["hold_next"] and isinstance(frame.get("seq"), int):
                relay["hold_next"] = False
                relay["held"].append(message)  # overtaken: it arrives after the next one
                relay["held_seq"] = frame["seq"]
                return
            relay["to_page"].append(frame)
            page_side.send(message)

        def from_page(message):
            relay["to_server"].append(json.loads(message))
            while relay["held"]:  # the late push lands before the server reads the catch-up
                late = relay["held"].pop(0)
                relay["to_page"].append(json.loads(late))
                page_side.send(late)
            server.send(message)

        server.on_message(from_server)
        page_side.on_message(from_page)

    context.route_web_socket(re.compile(r"/ws/inbox/$"), route)
    consult = login(context, "consult1")
    wait_live(consult)
    consult.evaluate(
        "window.rhChanges = 0;"
        "document.body.addEventListener('rh:list-changed', () => { window.rhChanges += 1; });"
    )

    relay["hold_next"] = True
    first = _sheet(api)  # its event is overtaken by the next one
    second = _sheet(api)
    expect(consult.locator("#sheet-list")).to_contain_text(second["number"], timeout=LIVE_WITHIN_MS)
    late = relay["held_seq"]
    gap_at = late + 1
    _wait_for(
        consult,
        lambda: {"type": "catch_up", "since": late - 1} in relay["to_server"],
        lambda: f"no catch_up from {late - 1}: {relay}",
    )
    _wait_for(
        consult,
        lambda: any(f.get("type") == "caught_up" for f in relay["to_page"]),
        lambda: f"no caught_up: {relay}",
    )
    expect(consult.locator("#sheet-list")).to_contain_text(first["number"])
    seqs = [f["seq"] for f in relay["to_page"] if isinstance(f.get("seq"), int)]
    assert seqs == [gap_at, late]  # nothing twice: the catch-up only confirmed
    assert {"type": "caught_up", "last_seq": gap_at} in relay["to_page"]
    stored = consult.evaluate(
        "Object.keys(sessionStorage).filter(k => k.startsWith('rh.inbox.seq'))"
        ".map(k => sessionStorage.getItem(k))"
    )
    assert stored == [str(gap_at)]

    consult.wait_for_timeout(400)  # let the list refreshes settle
    changes = consult.evaluate("window.rhChanges")
    repeated = next(f for f in relay["to_page"] if f.get("seq") == gap_at)
    relay["page"].send(json.dumps(repeated))  # the same event again, e.g. after a reconnect
    consult.wait_for_timeout(600)
    assert consult.evaluate("window.rhChanges") == changes
    assert [m for m in relay["to_server"] if m.get("type") == "catch_up"] == [
        {"type": "catch_up", "since": late - 1}
    ]


def _wait_for(page, condition, explain, timeout_ms: int = 5000) -> None:
    waited = 0
    while not condition():
        assert waited < timeout_ms, explain()
        page.wait_for_timeout(50)
        waited += 50
