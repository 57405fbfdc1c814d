"""The four Zama handoff chains of DOMAIN.md, end to end through the API with the demo users:
sign in, look for a duplicate, register the resident, record the consent, send the sheet in
one request, and let the desk take it to closure while the sender watches every milestone."""

from __future__ import annotations

import datetime

import pytest
from django.core.cache import cache
from django.utils import timezone

from referral_hub.audit.models import AuditEvent
from referral_hub.directory.models import Role
from tests.fixtures_sheets import Api

MILESTONE_OF = {
    "acknowledge": ("acknowledged", "acknowledged_at"),
    "accept": ("accepted", "accepted_at"),
    "contacted": ("contacted", "contacted_at"),
    "connected": ("connected", "connected_at"),
    "close": ("closed", "closed_at"),
}


@pytest.fixture
def login(demo):
    """``login(username)``: sign in with the demo password through POST /auth/token/."""
    cache.clear()  # the token endpoint's per-address throttle must not leak between tests
    clients: dict[str, Api] = {}

    def signed_in(username: str) -> Api:
        if username not in clients:
            clients[username] = Api.login(username)
        return clients[username]

    return signed_in


def register(clerk: Api, family: str, given: str, family_kana: str, given_kana: str) -> int:
    birth = "1975-04-01"
    query = f"{family_kana} {given_kana}"
    assert clerk.get("/residents/", q=query, birth_date=birth).body == []
    reply = clerk.post(
        "/residents/",
        {
            "family_name": family,
            "given_name": given,
            "family_name_kana": family_kana,
            "given_name_kana": given_kana,
            "birth_date": birth,
            "address": "デモ市相武台1-1",
            "phone": "090-0000-0000",
        },
    )
    assert reply.status == 201, reply.body
    found = clerk.get("/residents/", q=query, birth_date=birth).body
    assert [r["id"] for r in found] == [reply.body["id"]]
    return reply.body["id"]


def consent(clerk: Api, resident_id: int, desks: list[str], categories: list[str]) -> int:
    desk_ids = {d["code"]: d["id"] for d in clerk.get("/desks/").body}
    reply = clerk.post(
        "/consents/",
        {
            "resident": resident_id,
            "recipients": [desk_ids[code] for code in desks],
            "categories": categories,
            "purpose": "生活の困りごとについて相談窓口で支援を受けるため",
            "method": "verbal_witnessed",
            "witness": "同課職員",
            "valid_until": (timezone.localdate() + datetime.timedelta(days=365)).isoformat(),
        },
    )
    assert reply.status == 201, reply.body
    assert reply.body["status"] == "active"
    return reply.body["id"]


def send(clerk: Api, **body) -> dict:
    reply = clerk.post("/sheets/", body)
    assert reply.status == 201, reply.body
    assert (reply.body["status"], reply.body["owner_desk"]) == ("sent", body["to_desk"])
    return reply.body


def act_and_watch(desk: Api, sender: Api, sheet_id: int, steps: list[tuple[str, dict | None]]):
    """Run the desk's steps; after each, the sender's feedback view shows the milestone."""
    for action, body in steps:
        reply = desk.act(sheet_id, action, body)
        assert reply.status == 200, (action, reply.body)
        status, milestone = MILESTONE_OF[action]
        view = sender.get(f"/sheets/{sheet_id}/")
        assert view.status == 200
        assert view.body["view"] == "sender"
        assert view.body["status"] == status
        assert view.body["milestones"][milestone] is not None
        kinds = [e["kind"] for e in sender.get(f"/sheets/{sheet_id}/events/").body]
        assert kinds[-1] == status


def through_to_support(handler_note: str) -> list[tuple[str, dict | None]]:
    return [
        ("acknowledge", None),
        ("accept", {}),
        ("contacted", {"note": "本人に電話し、面談日を決めた"}),
        ("connected", {"note": handler_note}),
        ("close", {"outcome": "connected_to_support", "note": "支援プランに移行"}),
    ]


def test_collections_to_the_consultation_desk_with_tax_details(login):
    """Municipal-tax arrears → garnishment → unpaid rent: 収納課 refers to 自立相談支援窓口."""
    clerk, desk = login("tax_clerk"), login("consult1")
    resident = register(clerk, "座間", "一郎", "ザマ", "イチロウ")
    consent_id = consent(clerk, resident, ["jiritsu"], ["identity", "concern", "tax", "feedback"])

    sheet = send(
        clerk,
        resident=resident,
        to_desk="jiritsu",
        concerns=["tax_arrears", "rent_arrears", "unstable_housing"],
        summary="市県民税の滞納で給与が差し押さえられ、家賃が払えず退去を求められている。",
        resident_words="住むところがなくなりそうで怖い",
        urgency="soon",
        legal_basis="consent",
        consent=consent_id,
        handoff_method="accompanied",
        contact_preference="携帯に午後",
        details={"tax": "市県民税 3年分 滞納 約48万円、給与差押え中"},
    )

    full = desk.get(f"/sheets/{sheet['id']}/").body
    assert full["details"]["tax"] == "市県民税 3年分 滞納 約48万円、給与差押え中"
    act_and_watch(desk, clerk, sheet["id"], through_to_support("差押え解除の調整と住居確保を開始"))
    final = clerk.get(f"/sheets/{sheet['id']}/").body
    assert (final["outcome"], final["owner_desk"], final["feedback"]) == (
        "connected_to_support",
        "jiritsu",
        True,
    )


def test_building_and_housing_to_the_consultation_desk(login):
    """Evicted from a company dormitory: 建築住宅課 refers; the lead assigns a handler."""
    clerk, lead = login("housing_clerk"), login("consult_lead")
    handler = login("consult2")
    resident = register(clerk, "相模", "健太", "サガミ", "ケンタ")
    consent_id = consent(
        clerk, resident, ["jiritsu"], ["identity", "concern", "household", "feedback"]
    )
    sheet = send(
        clerk,
        resident=resident,
        to_desk="jiritsu",
        concerns=["unstable_housing", "job_search"],
        summary="会社の寮を退去させられ、市営住宅について相談に来た。",
        resident_words="仕事と住まいを探したい",
        urgency="urgent",
        consent=consent_id,
        handoff_method="phoned",
        details={"household": "単身"},
    )

    assert lead.act(sheet["id"], "acknowledge").status == 200
    assigned = lead.act(sheet["id"], "accept", {"handler": handler.user.pk})
    assert (assigned.status, assigned.body["handler"]) == (200, handler.user.pk)
    act_and_watch(
        handler,
        clerk,
        sheet["id"],
        [
            ("contacted", {"note": "来所し面談"}),
            ("connected", {"note": "就労支援と転居支援を開始"}),
            ("close", {"outcome": "connected_to_support", "note": "転居先決定"}),
        ],
    )
    milestones = clerk.get(f"/sheets/{sheet['id']}/").body["milestones"]
    assert all(milestones.values())


def test_disability_welfare_to_the_consultation_desk_with_health_details(demo, login):
    """Depression and an unpaid mortgage: the mental-health section of 障がい福祉課 refers."""
    demo.add_staff("shogai_clerk", Role.CLERK, department="shogai_fukushi")
    clerk, desk = login("shogai_clerk"), login("consult1")
    resident = register(clerk, "栗原", "誠", "クリハラ", "マコト")
    consent_id = consent(
        clerk, resident, ["jiritsu"], ["identity", "concern", "health", "household", "feedback"]
    )
    sheet = send(
        clerk,
        resident=resident,
        to_desk="jiritsu",
        concerns=["mental_health", "debt", "household_budget"],
        summary="うつ病で収入が減り、住宅ローンが払えない。",
        resident_words="家を手放すしかないのか",
        urgency="normal",
        consent=consent_id,
        details={"health": "うつ病で通院中", "household": "妻と子2人"},
    )
    assert sheet["from_department"] == "shogai_fukushi"

    assert desk.get(f"/sheets/{sheet['id']}/").body["details"]["health"] == "うつ病で通院中"
    act_and_watch(desk, clerk, sheet["id"], through_to_support("妻の就労支援と家計改善支援を開始"))


def test_consultation_desk_redirects_to_public_assistance(login):
    """Living in an internet café with tax arrears: 収納課 → 自立相談 → 生活保護担当."""
    clerk, desk, hogo = login("tax_clerk"), login("consult1"), login("hogo_staff")
    resident = register(clerk, "入谷", "翔", "イリヤ", "ショウ")
    consent_id = consent(
        clerk, resident, ["jiritsu", "seikatsu_hogo"], ["identity", "concern", "tax", "feedback"]
    )
    sheet = send(
        clerk,
        resident=resident,
        to_desk="jiritsu",
        concerns=["tax_arrears", "unstable_housing", "economic_hardship"],
        summary="ネットカフェで寝泊まりしている。市税の滞納あり。",
        resident_words="もう所持金がほとんどない",
        urgency="urgent",
        consent=consent_id,
        handoff_method="accompanied",
        details={"tax": "市県民税 滞納 約12万円"},
    )
    sheet_id = sheet["id"]
    act_and_watch(
        desk,
        clerk,
        sheet_id,
        [("acknowledge", None), ("accept", {}), ("contacted", {"note": "所持金300円"})],
    )

    moved = desk.act(
        sheet_id,
        "redirect",
        {"to_desk": "seikatsu_hogo", "reason": "所持金がなく保護の要否判定が必要"},
    )
    assert moved.status == 200, moved.body
    seen = clerk.get(f"/sheets/{sheet_id}/").body
    assert (seen["status"], seen["owner_desk"]) == ("sent", "seikatsu_hogo")

    story = hogo.get(f"/sheets/{sheet_id}/").body
    assert story["details"]["tax"] == "市県民税 滞納 約12万円"
    assert story["resident_words"] == "もう所持金がほとんどない"
    assert [e["kind"] for e in hogo.get(f"/sheets/{sheet_id}/events/").body] == [
        "sent",
        "acknowledged",
        "accepted",
        "contacted",
        "redirected",
    ]
    act_and_watch(hogo, clerk, sheet_id, through_to_support("生活保護を申請し、居宅を確保"))
    final = clerk.get(f"/sheets/{sheet_id}/").body
    assert (final["status"], final["owner_desk"], final["outcome"]) == (
        "closed",
        "seikatsu_hogo",
        "connected_to_support",
    )
    # The gate's allowed decisions: one send to jiritsu, one redirect to 生活保護担当.
    decisions = [
        (e.action, e.details["recipient_desk"], e.legal_basis)
        for e in AuditEvent.objects.filter(
            action__in=["sheet.send", "sheet.redirect"], allowed=True, resident_id=resident
        )
        if "recipient_desk" in e.details
    ]
    assert decisions == [
        ("sheet.send", "jiritsu", "consent"),
        ("sheet.redirect", "seikatsu_hogo", "consent"),
    ]
