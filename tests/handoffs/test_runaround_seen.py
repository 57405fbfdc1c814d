"""Runaround is seen and nothing lands where nobody works (issue 20): every desk a bounced
sheet passed through keeps it on its lead's board until acknowledged; that lead may read its
trail (no content); no send or redirect to a desk without active staff."""

from __future__ import annotations

import pytest
from django.test import Client

from frontend import lead_board
from referral_hub.directory.models import Desk
from referral_hub.handoffs import runaround
from referral_hub.handoffs.errors import Refused
from referral_hub.handoffs.models import RunaroundAcknowledgement
from tests.fixtures_sheets import ALL_CATEGORIES, make_consent, send, send_ok


@pytest.fixture
def bounced(demo, api, resident) -> int:
    """jiritsu -> seikatsu_hogo -> kakei: two redirects."""
    consent = make_consent(
        demo.user("tax_clerk"), resident, ["jiritsu", "seikatsu_hogo", "kakei"], ALL_CATEGORIES
    )
    sheet_id = send_ok(api("tax_clerk"), resident, consent)
    first = api("consult1").act(
        sheet_id, "redirect", {"to_desk": "seikatsu_hogo", "reason": "保護"}
    )
    assert first.status == 200, first.body
    second = api("hogo_staff").act(sheet_id, "redirect", {"to_desk": "kakei", "reason": "家計"})
    assert second.status == 200, second.body
    return sheet_id


def test_every_desk_passed_through_keeps_the_bounced_sheet_on_its_board(demo, bounced):
    for lead, desk in (
        ("consult_lead", "jiritsu"),
        ("hogo_lead", "seikatsu_hogo"),
        ("kakei_lead", "kakei"),
    ):
        board = lead_board.board_for(demo.user(lead), demo.desk(desk))
        assert [s.pk for s in board.bounced] == [bounced], desk
    other = lead_board.board_for(demo.user("kodomo_lead"), demo.desk("kodomo"))
    assert other.bounced == []


def test_lead_board_card_counts_the_bounced_sheet_and_shows_the_alert(demo, bounced):
    client = Client()
    client.force_login(demo.user("consult_lead"))
    page = client.get("/lead/").content.decode()
    assert "2回以上転送されたシート" in page
    assert 'role="alert"' in page and "たらい回しが起きています" in page
    # The card's count is 1, not 0 (the sheet left jiritsu).
    card = page.split("2回以上転送されたシート", 1)[1]
    assert '<span class="stat">1</span>' in card[:80]
    # The row names the current desk and the redirect count, and links to no content.
    assert "家計改善支援" in card and f"/sheets/{bounced}/" not in card.split("</table>")[0]


def test_the_alert_stays_until_a_lead_of_that_desk_acknowledges_it(demo, bounced):
    with pytest.raises(Refused) as refused:
        runaround.acknowledge_runaround(demo.user("consult1"), bounced, demo.desk("jiritsu").pk)
    assert refused.value.code == "lead_required"
    with pytest.raises(Refused):
        runaround.acknowledge_runaround(demo.user("kodomo_lead"), bounced, demo.desk("kodomo").pk)
    runaround.acknowledge_runaround(demo.user("consult_lead"), bounced, demo.desk("jiritsu").pk)
    runaround.acknowledge_runaround(demo.user("consult_lead"), bounced, demo.desk("jiritsu").pk)
    assert RunaroundAcknowledgement.objects.filter(sheet_id=bounced).count() == 1
    assert lead_board.board_for(demo.user("consult_lead"), demo.desk("jiritsu")).bounced == []
    # The other desks still see it.
    assert lead_board.board_for(demo.user("hogo_lead"), demo.desk("seikatsu_hogo")).bounced


def test_lead_of_a_passed_desk_reads_the_trail_without_content(demo, api, bounced):
    events = api("consult_lead").get(f"/sheets/{bounced}/events/")
    assert events.status == 200
    assert [e["kind"] for e in events.body][:3] == ["sent", "redirected", "redirected"]
    assert all(e["note"] is None for e in events.body)
    detail = api("consult_lead").get(f"/sheets/{bounced}/")
    assert detail.status == 403
    # A consultant of the passed desk is not a lead: no trail.
    assert api("consult1").get(f"/sheets/{bounced}/events/").status == 403


def test_no_send_or_redirect_to_a_desk_without_staff(demo, api, resident):
    Desk.objects.create(
        municipality=demo.desk("jiritsu").municipality, code="empty_desk", name="無人窓口"
    )
    consent = make_consent(demo.user("tax_clerk"), resident, ["jiritsu", "empty_desk"])
    reply = send(api("tax_clerk"), resident, consent, to_desk="empty_desk")
    assert (reply.status, reply.code) == (409, "desk_unstaffed")
    assert reply.body["desk"] == "empty_desk" and "jiritsu" in reply.body["desks"]
    assert "empty_desk" not in reply.body["desks"]

    sheet_id = send_ok(api("tax_clerk"), resident, consent)
    redirect = api("consult1").act(sheet_id, "redirect", {"to_desk": "empty_desk", "reason": "x"})
    assert (redirect.status, redirect.code) == (409, "desk_unstaffed")
    assert "jiritsu" not in redirect.body["desks"]


def test_every_demo_desk_has_staff_and_a_lead(demo):
    from referral_hub.directory.models import Membership

    for desk in Desk.objects.all():
        roles = set(Membership.objects.filter(desk=desk).values_list("role", flat=True))
        assert "lead" in roles and "consultant" in roles, desk.code
