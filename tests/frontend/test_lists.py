"""受信箱 puts urgent and overdue sheets first and marks what is new; 送ったシート shows the
department's sheets with their status. Lists carry no personal data."""

from __future__ import annotations

import datetime
import re
from urllib.parse import unquote

from django.utils import timezone

from referral_hub.handoffs.models import ConnectSheet
from tests.fixtures_sheets import Api, make_consent, make_resident, send_ok

from .conftest import text


def _send(demo, urgency: str, sender: str = "tax_clerk") -> ConnectSheet:
    clerk = demo.user(sender)
    resident = make_resident(clerk, family_name="名簿外")
    consent = make_consent(clerk, resident, ["jiritsu"])
    return ConnectSheet.objects.get(pk=send_ok(Api(clerk), resident, consent, urgency=urgency))


def test_inbox_lists_urgent_first_and_highlights_overdue(demo, browser_as):
    normal = _send(demo, "normal")
    urgent = _send(demo, "urgent")
    overdue = _send(demo, "soon")
    ConnectSheet.objects.filter(pk=overdue.pk).update(
        ack_due_at=timezone.now() - datetime.timedelta(hours=1)
    )
    page = text(browser_as("consult1").get("/inbox/"))
    assert page.index(urgent.number) < page.index(overdue.number) < page.index(normal.number)
    assert "is-overdue" in page.split(overdue.number)[0].rsplit("<tr", 1)[1]
    assert "期限超過" in page
    assert "新着" in page
    assert "名簿外" not in page  # no names in lists


def test_inbox_filters_by_urgency(demo, browser_as):
    urgent = _send(demo, "urgent")
    normal = _send(demo, "normal")
    page = text(browser_as("consult1").get("/inbox/", {"urgency": "urgent"}))
    assert urgent.number in page and normal.number not in page


def test_live_refresh_gets_only_the_rows(demo, browser_as):
    sheet = _send(demo, "normal")
    response = browser_as("consult1").get("/inbox/", HTTP_HX_REQUEST="true")
    page = text(response)
    assert sheet.number in page
    assert "<html" not in page


def test_sent_list_is_per_department(demo, browser_as):
    mine = _send(demo, "normal", sender="tax_clerk")
    other = _send(demo, "normal", sender="nhi_clerk")
    page = text(browser_as("tax_clerk").get("/sent/"))
    assert mine.number in page and other.number not in page
    assert "送信済" in page


def test_sent_list_pages_through_many_sheets(demo, browser_as, monkeypatch):
    from frontend import sheet_lists

    monkeypatch.setattr(sheet_lists, "PAGE_SIZE", 2)
    sheets = [_send(demo, "normal") for _ in range(3)]
    first = text(browser_as("tax_clerk").get("/sent/"))
    assert sheets[2].number in first and sheets[0].number not in first
    cursor = re.search(r'href="\?cursor=([^"&]+)">次へ', first)
    assert cursor, "the list links its next page by cursor"
    second = text(browser_as("tax_clerk").get("/sent/", {"cursor": unquote(cursor.group(1))}))
    assert sheets[0].number in second
    assert sheets[2].number not in second and sheets[1].number not in second
    assert "全 3 件" in second


def test_inbox_pages_by_cursor_and_a_withdrawal_on_page_one_hides_no_other_sheet(
    demo, browser_as, monkeypatch
):
    """Issue 14, input 7 on the page: keyset pages, so a sheet leaving page 1 moves nothing."""
    from frontend import sheet_lists

    monkeypatch.setattr(sheet_lists, "PAGE_SIZE", 2)
    sheets = [_send(demo, "normal") for _ in range(5)]
    desk = browser_as("consult1")
    seen: list[str] = []
    page = text(desk.get("/inbox/"))
    withdrawn = False
    while True:
        seen += [s.number for s in sheets if s.number in page]
        if not withdrawn:  # the sender withdraws the first sheet shown, while the desk pages
            first = next(s for s in sheets if s.number in page)
            reply = Api(demo.user("tax_clerk")).act(first.pk, "withdraw", {"reason": "取下げ"})
            assert reply.status == 200, reply.body
            withdrawn = True
        cursor = re.search(r'href="\?cursor=([^"&]+)">次へ', page)
        if not cursor:
            break
        page = text(desk.get("/inbox/", {"cursor": unquote(cursor.group(1))}))
    assert sorted(seen) == sorted(s.number for s in sheets)
