"""Every gate decision is taken on locked facts, reads and memberships included (issue 14,
"Decisions are made on locked facts"; DESIGN.md invariant 11; docs/operations/locks.md).

Each test stops one request right after the gate has decided (before the decision is recorded
and committed) and, while it is stopped, runs the change that would take its basis away on
another connection: the resident's withdrawal, the removal of the actor's membership (a
transferred clerk or consultant), the deactivation of the actor's account. Linearisable means:
a decision recorded as allowed committed before the change did (audit ``seq`` is commit order),
so the change must wait for the decided request, never commit under it. Before the fix the
change committed during the pause and the request then disclosed on a basis already gone.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import connection, connections

from referral_hub.audit.models import AuditEvent
from referral_hub.consent import policy
from referral_hub.directory.models import Membership
from referral_hub.directory.services import remove_membership
from tests.fixtures_sheets import (
    Api,
    Demo,
    drive_to,
    make_consent,
    make_resident,
    seed_demo,
    send_ok,
    sheet_body,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PAUSED = "decided-and-paused"
CHANGE_GRACE = 1.0  # seconds the change gets to (wrongly) commit while the decision waits


@pytest.fixture
def on_postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row-lock races need PostgreSQL (DATABASE_URL=postgres://...)")


@dataclass
class Race:
    """The outcome of one decision stopped while a change ran."""

    answer: Any = None
    change_committed_during_pause: bool = False
    errors: list[BaseException] = field(default_factory=list)


def stop_after_decision(monkeypatch: pytest.MonkeyPatch) -> tuple[threading.Event, threading.Event]:
    """Make the gate (``_decide`` and ``_decide_action``) stop the thread named ``PAUSED``
    right after deciding, until the test lets it go. Returns (decided, go)."""
    decided, go = threading.Event(), threading.Event()

    def pausing(original: Callable[..., Any]) -> Callable[..., Any]:
        def decide(*args: Any, **kwargs: Any) -> Any:
            result = original(*args, **kwargs)
            if threading.current_thread().name == PAUSED and not decided.is_set():
                decided.set()
                go.wait(timeout=15)
            return result

        return decide

    monkeypatch.setattr(policy, "_decide", pausing(policy._decide))
    monkeypatch.setattr(policy, "_decide_action", pausing(policy._decide_action))
    return decided, go


def race(
    monkeypatch: pytest.MonkeyPatch, decision: Callable[[], Any], change: Callable[[], Any]
) -> Race:
    decided, go = stop_after_decision(monkeypatch)
    outcome = Race()

    def run(call: Callable[[], Any], keep: bool) -> None:
        try:
            result = call()
            if keep:
                outcome.answer = result
        except BaseException as exc:  # noqa: BLE001 - reported below
            outcome.errors.append(exc)
        finally:
            connections.close_all()

    deciding = threading.Thread(target=run, args=(decision, True), name=PAUSED)
    changing = threading.Thread(target=run, args=(change, False))
    deciding.start()
    try:
        assert decided.wait(timeout=15), "the request never reached the gate"
        changing.start()
        changing.join(timeout=CHANGE_GRACE)
        outcome.change_committed_during_pause = not changing.is_alive()
    finally:
        go.set()
        deciding.join(timeout=30)
        if changing.ident is not None:
            changing.join(timeout=30)
    assert not deciding.is_alive() and not changing.is_alive(), "deadlock: a thread never ended"
    assert not outcome.errors, outcome.errors
    return outcome


def seq_of(action: str, **filters: Any) -> int:
    return AuditEvent.objects.get(action=action, allowed=True, **filters).seq


def allowed_after(actor_id: int, actions: tuple[str, ...], cutoff: int) -> list[tuple[str, int]]:
    rows = AuditEvent.objects.filter(
        actor_id=actor_id, allowed=True, action__in=actions, seq__gt=cutoff
    )
    return list(rows.values_list("action", "seq"))


def jiritsu_sheet(demo: Demo) -> tuple[int, int]:
    clerk = demo.user("tax_clerk")
    resident = make_resident(clerk)
    consent = make_consent(clerk, resident, ["jiritsu"])
    return send_ok(Api(clerk), resident, consent), consent.pk


def removal(demo: Demo, username: str) -> Callable[[], None]:
    """Remove every membership of ``username`` through the directory service (a transfer)."""
    admin = demo.user("admin")

    def remove() -> None:
        for membership in Membership.objects.filter(user__username=username):
            remove_membership(membership, actor=admin)

    return remove


def assert_linearised(outcome: Race, allowed_status: int) -> None:
    """An allowed answer means the decision committed first: the change had to wait."""
    assert outcome.answer.status < 500, outcome.answer
    assert isinstance(outcome.answer.body, dict), outcome.answer
    if outcome.answer.status == allowed_status:
        assert not outcome.change_committed_during_pause, (
            "the change committed while an allowed decision on the old facts was pending"
        )


def test_a_desk_read_and_the_withdrawal_do_not_interleave(on_postgres, fast_hashers, monkeypatch):
    """The desk's ``GET /sheets/<id>/`` decided on an active consent is recorded before the
    withdrawal commits; never an allowed ``sheet.read`` after ``consent.withdraw``."""
    demo = seed_demo()
    sheet_id, consent_id = jiritsu_sheet(demo)
    reader = Api(demo.user("consult1"))
    withdrawer = Api(demo.user("tax_clerk"))

    outcome = race(
        monkeypatch,
        lambda: reader.get(f"/sheets/{sheet_id}/"),
        lambda: withdrawer.post(f"/consents/{consent_id}/withdraw/", {"reason": "本人の申し出"}),
    )

    assert_linearised(outcome, 200)
    withdrawn = seq_of("consent.withdraw", target_id=str(consent_id))
    late = AuditEvent.objects.filter(
        action="sheet.read", target_id=str(sheet_id), allowed=True, seq__gt=withdrawn
    )
    assert not late.exists(), list(late.values_list("action", "seq"))
    assert reader.get(f"/sheets/{sheet_id}/").code == "consent_withdrawn"


def test_a_send_and_the_senders_transfer_do_not_interleave(on_postgres, fast_hashers, monkeypatch):
    """A clerk transferred out of the department while their send is being decided: the send
    committed before the transfer, or the transfer waits; never a send after it."""
    demo = seed_demo()
    clerk = demo.user("tax_clerk")
    resident = make_resident(clerk)
    consent = make_consent(clerk, resident, ["jiritsu"])
    sender = Api(clerk)

    outcome = race(
        monkeypatch,
        lambda: sender.post("/sheets/", sheet_body(resident, consent)),
        removal(demo, "tax_clerk"),
    )

    assert_linearised(outcome, 201)
    cutoff = min(
        AuditEvent.objects.filter(action="directory.membership_removed").values_list(
            "seq", flat=True
        )
    )
    assert allowed_after(clerk.pk, ("sheet.send", "sheet.sent"), cutoff) == []
    assert sender.post("/sheets/", sheet_body(resident, consent)).status == 403


def test_an_accept_and_the_consultants_transfer_do_not_interleave(
    on_postgres, fast_hashers, monkeypatch
):
    """A desk action (accept) decided on a membership the administrator removes meanwhile."""
    demo = seed_demo()
    sheet_id, _ = jiritsu_sheet(demo)
    drive_to(demo, sheet_id, "acknowledged")
    lead = Api(demo.user("consult_lead"))

    outcome = race(monkeypatch, lambda: lead.act(sheet_id, "accept"), removal(demo, "consult_lead"))

    assert_linearised(outcome, 200)
    cutoff = min(
        AuditEvent.objects.filter(action="directory.membership_removed").values_list(
            "seq", flat=True
        )
    )
    assert allowed_after(lead.user.pk, ("sheet.accept", "sheet.accepted"), cutoff) == []


def test_a_desk_read_and_the_readers_transfer_do_not_interleave(
    on_postgres, fast_hashers, monkeypatch
):
    demo = seed_demo()
    sheet_id, _ = jiritsu_sheet(demo)
    reader = Api(demo.user("consult1"))

    outcome = race(
        monkeypatch, lambda: reader.get(f"/sheets/{sheet_id}/"), removal(demo, "consult1")
    )

    assert_linearised(outcome, 200)
    cutoff = min(
        AuditEvent.objects.filter(action="directory.membership_removed").values_list(
            "seq", flat=True
        )
    )
    assert allowed_after(reader.user.pk, ("sheet.read",), cutoff) == []
    assert reader.get(f"/sheets/{sheet_id}/").status in (403, 404)


def test_a_desk_read_and_the_readers_deactivation_do_not_interleave(
    on_postgres, fast_hashers, monkeypatch
):
    """Deactivating an account (``is_active = False``) waits for the decision it would
    invalidate, like a removal."""
    demo = seed_demo()
    sheet_id, _ = jiritsu_sheet(demo)
    reader = Api(demo.user("consult1"))

    def deactivate() -> None:
        user = demo.user("consult1")
        user.is_active = False
        user.save(update_fields=["is_active"])

    outcome = race(monkeypatch, lambda: reader.get(f"/sheets/{sheet_id}/"), deactivate)

    assert_linearised(outcome, 200)
