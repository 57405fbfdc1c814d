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

from typing import Any

import pytest

from referral_hub.audit.models import AuditEvent
from referral_hub.consent import policy
from tests.fixtures_sheets import (
    Api,
    drive_to,
    make_consent,
    make_resident,
    seed_demo,
    sent_to_jiritsu,
    sheet_body,
)
from tests.races import (
    Pause,
    Race,
    allowed_after,
    pause_after,
    race,
    removal,
    removed_seq,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def seq_of(action: str, **filters: Any) -> int:
    return AuditEvent.objects.get(action=action, allowed=True, **filters).seq


def on_the_gate(monkeypatch: pytest.MonkeyPatch) -> Pause:
    """Stop the request right after the gate decided (``_decide`` / ``_decide_action``)."""
    return pause_after(monkeypatch, (policy, "_decide"), (policy, "_decide_action"))


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
    _, sheet_id, consent_id = sent_to_jiritsu(demo)
    reader = Api(demo.user("consult1"))
    withdrawer = Api(demo.user("tax_clerk"))

    outcome = race(
        on_the_gate(monkeypatch),
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
        on_the_gate(monkeypatch),
        lambda: sender.post("/sheets/", sheet_body(resident, consent)),
        removal(clerk, demo.user("admin")),
    )

    assert_linearised(outcome, 201)
    assert allowed_after(clerk.pk, removed_seq(), ("sheet.send", "sheet.sent")) == []
    assert sender.post("/sheets/", sheet_body(resident, consent)).status == 403


def test_an_accept_and_the_consultants_transfer_do_not_interleave(
    on_postgres, fast_hashers, monkeypatch
):
    """A desk action (accept) decided on a membership the administrator removes meanwhile."""
    demo = seed_demo()
    _, sheet_id, _ = sent_to_jiritsu(demo)
    drive_to(demo, sheet_id, "acknowledged")
    lead = Api(demo.user("consult_lead"))

    outcome = race(
        on_the_gate(monkeypatch),
        lambda: lead.act(sheet_id, "accept"),
        removal(lead.user, demo.user("admin")),
    )

    assert_linearised(outcome, 200)
    assert allowed_after(lead.user.pk, removed_seq(), ("sheet.accept", "sheet.accepted")) == []


def test_a_desk_read_and_the_readers_transfer_do_not_interleave(
    on_postgres, fast_hashers, monkeypatch
):
    demo = seed_demo()
    _, sheet_id, _ = sent_to_jiritsu(demo)
    reader = Api(demo.user("consult1"))

    outcome = race(
        on_the_gate(monkeypatch),
        lambda: reader.get(f"/sheets/{sheet_id}/"),
        removal(reader.user, demo.user("admin")),
    )

    assert_linearised(outcome, 200)
    assert allowed_after(reader.user.pk, removed_seq(), ("sheet.read",)) == []
    assert reader.get(f"/sheets/{sheet_id}/").status in (403, 404)


def test_a_desk_read_and_the_readers_deactivation_do_not_interleave(
    on_postgres, fast_hashers, monkeypatch
):
    """Deactivating an account (``is_active = False``) waits for the decision it would
    invalidate, like a removal."""
    demo = seed_demo()
    _, sheet_id, _ = sent_to_jiritsu(demo)
    reader = Api(demo.user("consult1"))

    def deactivate() -> None:
        user = demo.user("consult1")
        user.is_active = False
        user.save(update_fields=["is_active"])

    outcome = race(on_the_gate(monkeypatch), lambda: reader.get(f"/sheets/{sheet_id}/"), deactivate)

    assert_linearised(outcome, 200)
