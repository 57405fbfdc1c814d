"""One lock order, no deadlock, linearisable outcomes (issue 14: "Decisions are made on locked
facts"; DESIGN.md invariant 11; docs/operations/locks.md).

Each pair of conflicting actions runs concurrently on PostgreSQL many times, and a seeded
property test runs random interleavings of send, withdraw, redirect, acknowledge, accept and
close from threads. Invariants: no exception (a deadlock surfaces as one), no 5xx, every
answer JSON; nothing committed under a consent after that consent's withdrawal committed
(audit ``seq`` order is commit order: the chain is appended just before each commit, under the
chain head's lock); every state change has its timeline event and its audit event; every
sheet still open under a withdrawn consent was told of the withdrawal.
"""

from __future__ import annotations

import io
import random
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from referral_hub.audit.models import AuditEvent
from referral_hub.consent.models import Consent
from referral_hub.handoffs import services
from referral_hub.handoffs.models import ConnectSheet, SheetEvent
from tests.fixtures_sheets import (
    API,
    Api,
    Demo,
    Reply,
    make_consent,
    make_resident,
    seed_demo,
    send_ok,
    sheet_body,
)
from tests.handoffs.test_withdrawal_races_postgres import withdrawal_seq
from tests.threads import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PAIR_ROUNDS = 4
DESKS = ["jiritsu", "seikatsu_hogo"]
CATEGORIES = ["identity", "concern", "attachments"]
PDF = b"%PDF-1.7\n" + b"scan\n" * 100 + b"%%EOF\n"
# The audit actions that disclose under a consent: none may commit after its withdrawal.
DISCLOSING = ("sheet.sent", "sheet.send", "sheet.resend", "sheet.redirect", "attachment.read")
DISCLOSING += ("sheet.resent", "sheet.redirected")
DISCLOSING += ("attachment.upload", "attachment.send", "sheet.attachment_added")
# Timeline kind -> the audit action of that state change.
CHANGES = {
    "sent": "sheet.sent",
    "acknowledged": "sheet.acknowledged",
    "accepted": "sheet.accepted",
    "redirected": "sheet.redirected",
    "returned": "sheet.returned",
    "resent": "sheet.resent",
    "closed": "sheet.closed",
}


# --- invariants ----------------------------------------------------------------------------------


def assert_answers_are_json_and_not_5xx(replies: list[Reply]) -> None:
    for reply in replies:
        assert reply.status < 500, reply
        assert isinstance(reply.body, dict | list), reply


def sheets_of(consent_id: int) -> list[str]:
    return [
        str(pk)
        for pk in ConnectSheet.objects.filter(consent_id=consent_id).values_list("pk", flat=True)
    ]


def disclosures_after_withdrawal(consent_id: int) -> list[tuple[str, int]]:
    """Allowed disclosing audit events about the consent's sheets (or, for a send, naming the
    consent) that committed after the withdrawal."""
    cutoff = withdrawal_seq(Consent(pk=consent_id))
    late = AuditEvent.objects.filter(seq__gt=cutoff, allowed=True, action__in=DISCLOSING)
    ids = set(sheets_of(consent_id))
    found = []
    for action, target_type, target_id, details, seq in late.values_list(
        "action", "target_type", "target_id", "details", "seq"
    ):
        sheet = str(details.get("sheet", "")) if target_type == "attachment" else target_id
        if sheet in ids or details.get("consent") == consent_id:
            found.append((action, seq))
    return found


def assert_every_change_has_timeline_and_audit(sheet_ids: list[int]) -> None:
    for sheet in ConnectSheet.objects.filter(pk__in=sheet_ids):
        kinds = Counter(SheetEvent.objects.filter(sheet=sheet).values_list("kind", flat=True))
        audited = AuditEvent.objects.filter(
            target_type="sheet", target_id=str(sheet.pk), allowed=True
        )
        # State changes have their own (past-tense) action names: no need to tell them apart
        # from the gate's decisions by their details.
        changes = Counter(audited.values_list("action", flat=True))
        for kind, action in CHANGES.items():
            assert changes[action] == kinds[kind], (sheet.pk, kind, kinds, changes)
        moves = sum(kinds[kind] for kind in CHANGES if kind != "sent")
        assert sheet.version == 1 + moves, (sheet.pk, sheet.version, kinds)
        last = SheetEvent.objects.filter(sheet=sheet).exclude(to_status="").order_by("at", "pk")
        assert last.last().to_status == sheet.status


def assert_open_sheets_were_told(consent_id: int) -> None:
    for sheet in ConnectSheet.objects.filter(consent_id=consent_id).exclude(
        status__in=["closed", "withdrawn"]
    ):
        assert SheetEvent.objects.filter(sheet=sheet, kind="consent_withdrawn").exists(), sheet.pk


# --- each pair of conflicting actions ------------------------------------------------------------


def _upload(api: Api, sheet_id: int) -> Reply:
    file = io.BytesIO(PDF)
    file.name = "scan.pdf"
    response = api.client.post(f"{API}/sheets/{sheet_id}/attachments/", {"file": file})
    return Reply(response.status_code, response.json())


def _read(api: Api, attachment_id: int) -> Reply:
    response = api.client.get(f"{API}/attachments/{attachment_id}/content/")
    if response.status_code == 200:
        b"".join(response.streaming_content)
        return Reply(200, {})
    return Reply(response.status_code, response.json())


def _prepare(demo: Demo, action: str, clerk: Api, lead: Api) -> tuple[Consent, Callable[[], Reply]]:
    """A fresh consent (and sheet in the state ``action`` starts from) and the action's call."""
    user = demo.user("tax_clerk")
    resident = make_resident(user)
    consent = make_consent(user, resident, DESKS, CATEGORIES)
    if action == "send":
        body = sheet_body(resident, consent)
        return consent, lambda: clerk.post("/sheets/", body)
    sheet_id = send_ok(clerk, resident, consent)
    lead_user = demo.user("consult_lead")
    if action == "resend":
        services.return_sheet(lead_user, sheet_id, "連絡先を確認してください")
        return consent, lambda: clerk.act(sheet_id, "resend", {"note": "確認しました"})
    if action == "redirect":
        return consent, lambda: lead.act(
            sheet_id, "redirect", {"to_desk": "seikatsu_hogo", "reason": "生活保護の相談"}
        )
    if action == "upload":
        return consent, lambda: _upload(clerk, sheet_id)
    if action == "read":
        attachment = _upload(clerk, sheet_id).body["id"]
        return consent, lambda: _read(lead, attachment)
    services.acknowledge(lead_user, sheet_id)
    if action == "accept":
        return consent, lambda: lead.act(sheet_id, "accept", {})
    assert action == "close"
    return consent, lambda: lead.act(sheet_id, "close", {"outcome": "resolved_by_information"})


@pytest.mark.parametrize(
    "action", ["send", "resend", "redirect", "upload", "read", "accept", "close"]
)
def test_withdrawal_and_each_sheet_action_run_together_linearisably(
    on_postgres, fast_hashers, storage_dir, action
):
    demo = seed_demo()
    clerk, lead = Api(demo.user("tax_clerk")), Api(demo.user("consult_lead"))
    for round_no in range(PAIR_ROUNDS):
        consent, call = _prepare(demo, action, clerk, lead)
        withdraw = Api(demo.user("tax_clerk"))
        calls = [
            call,
            lambda: withdraw.post(f"/consents/{consent.pk}/withdraw/", {"reason": "撤回"}),
        ]
        if round_no % 2:
            calls.reverse()
        replies = run_together(calls, seed=round_no)
        reply, withdrawal = (
            (replies[0], replies[1]) if not round_no % 2 else (replies[1], replies[0])
        )

        assert withdrawal.status == 200, withdrawal
        assert_answers_are_json_and_not_5xx(replies)
        assert disclosures_after_withdrawal(consent.pk) == []
        if action in ("accept", "close"):
            assert reply.status == 200, reply  # the desk's own steps do not need the consent
        else:
            assert reply.status in (200, 201, 403), reply
            if reply.status == 403:
                assert reply.code == "consent_withdrawn", reply
        assert_every_change_has_timeline_and_audit(list(map(int, sheets_of(consent.pk))))
        assert_open_sheets_were_told(consent.pk)


# --- random interleavings ------------------------------------------------------------------------

THREADS = 6
STEPS = 6


def _random_step(rng: random.Random, world: dict[str, Any], apis: dict[str, Api]) -> Reply:
    choice = rng.choice(["send", "send", "withdraw", "redirect", "acknowledge", "accept", "close"])
    consent = rng.choice(world["consents"])
    if choice == "send":
        return apis["tax_clerk"].post(
            "/sheets/", sheet_body(world["residents"][consent.pk], consent)
        )
    if choice == "withdraw":
        return apis["tax_clerk"].post(f"/consents/{consent.pk}/withdraw/", {"reason": "撤回"})
    sheet_id = rng.choice(world["sheets"])
    owner = ConnectSheet.objects.filter(pk=sheet_id).values_list("owner_desk__code", flat=True)[0]
    staff = apis["consult_lead" if owner == "jiritsu" else "hogo_staff"]
    if choice == "redirect":
        other = "seikatsu_hogo" if owner == "jiritsu" else "jiritsu"
        return staff.act(sheet_id, "redirect", {"to_desk": other, "reason": "担当の見直し"})
    if choice == "close":
        return staff.act(sheet_id, "close", {"outcome": "resolved_by_information"})
    return staff.act(sheet_id, choice, {})


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_interleavings_keep_the_invariants(on_postgres, fast_hashers, seed):
    demo = seed_demo()
    user = demo.user("tax_clerk")
    clerk = Api(user)
    world: dict[str, Any] = {"consents": [], "residents": {}, "sheets": []}
    for _ in range(2):
        resident = make_resident(user)
        consent = make_consent(user, resident, DESKS, CATEGORIES)
        world["consents"].append(consent)
        world["residents"][consent.pk] = resident
        world["sheets"] += [send_ok(clerk, resident, consent) for _ in range(2)]
    users = ["tax_clerk", "consult_lead", "hogo_staff"]
    per_thread = [{name: Api(demo.user(name)) for name in users} for _ in range(THREADS)]
    replies: list[Reply] = []

    def worker(index: int) -> Callable[[], Reply]:
        def run() -> Reply:
            rng = random.Random(seed * 100 + index)
            for _ in range(STEPS):
                replies.append(_random_step(rng, world, per_thread[index]))
            return Reply(200, {})

        return run

    run_together([worker(i) for i in range(THREADS)], seed=seed)

    assert len(replies) == THREADS * STEPS
    assert_answers_are_json_and_not_5xx(replies)
    for consent in world["consents"]:
        if Consent.objects.get(pk=consent.pk).withdrawn_at is not None:
            assert disclosures_after_withdrawal(consent.pk) == []
            assert_open_sheets_were_told(consent.pk)
    all_sheets = list(ConnectSheet.objects.values_list("pk", flat=True))
    assert_every_change_has_timeline_and_audit(all_sheets)
