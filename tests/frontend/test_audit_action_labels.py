"""The privacy officer's search page labels both halves of a step: the gate's decision
(``sheet.redirect``) and the state change (``sheet.redirected``), each once (issue 16)."""

from __future__ import annotations

import re
from collections import Counter

from referral_hub.handoffs import services
from tests.fixtures_sheets import Api, make_consent, make_resident, send_ok

from .conftest import text


def test_search_page_shows_a_redirect_as_one_decision_and_one_state_change(demo, browser_as):
    clerk = demo.user("tax_clerk")
    resident = make_resident(clerk)
    consent = make_consent(clerk, resident, ["jiritsu", "seikatsu_hogo"])
    sheet_id = send_ok(Api(clerk), resident, consent)
    services.redirect_sheet(demo.user("consult1"), sheet_id, demo.desk("seikatsu_hogo"), "保護相談")

    page = text(browser_as("privacy_officer").get("/audit/search/", {"action": "sheet.*"}))

    rows = Counter(re.findall(r'<td>([^<]+) <span class="muted">\((sheet\.[a-z_]+)\)</span>', page))
    assert rows == Counter(
        {
            ("シート送付", "sheet.send"): 1,
            ("シート送付(記録)", "sheet.sent"): 1,
            ("シート転送", "sheet.redirect"): 1,
            ("シート転送", "sheet.redirected"): 1,
        }
    )
