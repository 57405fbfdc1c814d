"""ATTACK: the sender's feedback view (``GET /sheets/<id>/`` by the sending clerk, consent
covering ``feedback``) is decided in two steps: ``policy.sender_relation`` on the clerk's
memberships read WITHOUT a lock (``handoffs.selectors.view_sheet``), then
``policy.authorize(..., "sheet.feedback")``, whose ``_decide`` checks only the consent, never
the relation (``consent/policy.py`` ``_decide``: FEEDBACK_PURPOSE -> ``_check_consent``). The
locked read of the memberships in ``authorize`` therefore decides nothing (and a deactivated
account's locked read returns no rows, so ``_decide`` falls back on the stale in-memory
``actor.is_active``): a clerk transferred
out of the sending department while the read is pending gets ``sheet.feedback`` allowed,
recorded after ``directory.membership_removed``, with the resident's name in the answer."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections

from referral_hub.audit.log import record
from referral_hub.audit.models import AuditEvent
from referral_hub.consent import policy
from referral_hub.directory.models import Membership
from referral_hub.directory.services import remove_membership
from tests.fixtures_sheets import Api, make_consent, make_resident, seed_demo, send_ok

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PAUSED = "decided-and-paused"


@pytest.mark.parametrize("change", ["transfer", "deactivation"])
def test_a_transferred_clerk_gets_no_feedback_after_the_transfer(fast_hashers, monkeypatch, change):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    demo = seed_demo()
    clerk = demo.user("tax_clerk")
    admin = demo.user("admin")
    resident = make_resident(clerk)
    consent = make_consent(clerk, resident, ["jiritsu"], ["identity", "concern", "feedback"])
    sheet_id = send_ok(Api(clerk), resident, consent)
    reader = Api(demo.user("tax_clerk"))
    before = reader.get(f"/sheets/{sheet_id}/")
    assert before.status == 200 and before.body["feedback"] is True, before.body

    decided, go = threading.Event(), threading.Event()
    original = policy.sender_relation

    def pausing(actor: Any, facts: Any) -> bool:
        result = original(actor, facts)
        if threading.current_thread().name == PAUSED and not decided.is_set():
            decided.set()
            go.wait(timeout=15)
        return result

    monkeypatch.setattr(policy, "sender_relation", pausing)
    answer: dict[str, Any] = {}
    errors: list[BaseException] = []

    def read() -> None:
        try:
            answer["reply"] = reader.get(f"/sheets/{sheet_id}/")
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    def transfer() -> None:
        try:
            if change == "deactivation":
                user = demo.user("tax_clerk")
                user.is_active = False
                user.save(update_fields=["is_active"])
                record("test.deactivated", actor=admin, target_type="user", target_id=user.pk)
                return
            for membership in Membership.objects.filter(user=clerk):
                remove_membership(membership, actor=admin)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    deciding = threading.Thread(target=read, name=PAUSED)
    changing = threading.Thread(target=transfer)
    deciding.start()
    try:
        assert decided.wait(timeout=15)
        changing.start()
        changing.join(timeout=1.0)
    finally:
        go.set()
        deciding.join(timeout=30)
        changing.join(timeout=30)
    assert not errors, errors

    cutoff = min(
        AuditEvent.objects.filter(
            action__in=["directory.membership_removed", "auth.credentials_ended"]
        ).values_list("seq", flat=True)
    )
    late = list(
        AuditEvent.objects.filter(
            actor_id=clerk.pk, allowed=True, seq__gt=cutoff, action="sheet.feedback"
        ).values_list("action", "seq")
    )
    reply = answer["reply"]
    assert late == [], (
        f"sheet.feedback allowed after the {change} (seq {cutoff}): {late}; "
        f"answer {reply.status} feedback={reply.body.get('feedback')} "
        f"resident={reply.body.get('resident')}"
    )
