"""Live updates without reloading: the sender's open sheet follows the desk's actions, badges
count what is new, and a browser that lost its connection catches up by sequence number."""

from __future__ import annotations

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
