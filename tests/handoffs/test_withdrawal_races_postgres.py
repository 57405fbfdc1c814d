"""Withdrawal races sends on PostgreSQL (issue 14, inputs 1 and 2; DESIGN.md invariant 11).

Eight clerks send sheets under one consent while the resident's withdrawal is recorded. The
audit chain appends each transaction's events just before its commit, under the chain head's
row lock, so audit ``seq`` order is commit order: a send committed after the withdrawal would
have its ``sheet.sent`` event after the ``consent.withdraw`` event. Every send must either
commit before the withdrawal or get 403 ``consent_withdrawn`` (JSON); nothing deadlocks, nothing
answers 500, and the withdrawal itself always succeeds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from referral_hub.audit.models import AuditEvent
from referral_hub.consent.models import Consent
from referral_hub.handoffs.models import ConnectSheet
from tests.fixtures_sheets import (
    Api,
    Reply,
    look_up,
    make_consent,
    make_resident,
    seed_demo,
    sheet_body,
)
from tests.threads import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SENDERS = 8
ROUNDS = 4


def withdrawal_seq(consent: Consent) -> int:
    return AuditEvent.objects.get(
        action="consent.withdraw", target_id=str(consent.pk), allowed=True
    ).seq


def sent_seqs(consent: Consent) -> dict[int, int]:
    """sheet id -> seq of its ``sheet.sent`` event, for every sheet sent under ``consent``."""
    ids = [
        str(pk) for pk in ConnectSheet.objects.filter(consent=consent).values_list("pk", flat=True)
    ]
    rows = AuditEvent.objects.filter(action="sheet.sent", target_id__in=ids)
    return {int(target): seq for target, seq in rows.values_list("target_id", "seq")}


def _round(demo: Any, round_no: int) -> tuple[Consent, list[Reply], Reply]:
    clerk = demo.user("tax_clerk")
    resident = make_resident(clerk)
    consent = make_consent(clerk, resident, ["jiritsu"])
    look_up(demo.user("nhi_clerk"), resident)  # the resident also stood at the NHI counter
    senders = [Api(demo.user(name)) for name in ("tax_clerk", "nhi_clerk")] * (SENDERS // 2)
    withdrawer = Api(clerk)
    body = sheet_body(resident, consent)
    calls: list[Callable[[], Reply]] = [
        (lambda client=client: client.post("/sheets/", body)) for client in senders
    ]
    calls.insert(
        round_no % (SENDERS + 1),
        lambda: withdrawer.post(f"/consents/{consent.pk}/withdraw/", {"reason": "本人の申し出"}),
    )
    replies = run_together(calls, seed=round_no)
    withdrawal = replies.pop(round_no % (SENDERS + 1))
    return consent, replies, withdrawal


def test_no_send_commits_after_the_withdrawal_commits(on_postgres, fast_hashers):
    """Input 1: the sends that lose the race get 403 consent_withdrawn, the others committed
    before the withdrawal did."""
    demo = seed_demo()
    for round_no in range(ROUNDS):
        consent, sends, withdrawal = _round(demo, round_no)

        assert withdrawal.status == 200, withdrawal.body
        withdrawn_at = withdrawal_seq(consent)
        late = {sheet: seq for sheet, seq in sent_seqs(consent).items() if seq > withdrawn_at}
        assert late == {}, f"round {round_no}: sheets committed after the withdrawal: {late}"
        for reply in sends:
            assert reply.status in (201, 403), reply
            if reply.status == 403:
                assert reply.code == "consent_withdrawn", reply.body
                assert "撤回" in reply.body["detail"]
        created = sorted(r.body["id"] for r in sends if r.status == 201)
        assert created == sorted(sent_seqs(consent))


def test_withdrawal_next_to_sends_never_deadlocks_and_always_succeeds(on_postgres, fast_hashers):
    """Input 2: no deadlock, no 500 (every answer is JSON), and the consent ends withdrawn."""
    demo = seed_demo()
    for round_no in range(ROUNDS, 2 * ROUNDS):
        consent, sends, withdrawal = _round(demo, round_no)

        assert withdrawal.status == 200, withdrawal.body
        assert Consent.objects.get(pk=consent.pk).withdrawn_at is not None
        assert all(reply.status < 500 and reply.code != "server_error" for reply in sends), sends
        assert all(isinstance(reply.body, dict) for reply in sends), sends
