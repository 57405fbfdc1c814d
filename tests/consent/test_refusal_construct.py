"""``consent.refusals.gated``: the one construct every service stops at the gate's refusal with.
A refusal is recorded and committed, then raised; any other error rolls the whole action back."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from referral_hub.audit.log import record
from referral_hub.audit.models import AuditEvent
from referral_hub.consent import policy
from referral_hub.consent.refusals import gated, require_allowed
from referral_hub.consent.services import Refused


class Broken(Exception):
    pass


def test_a_refusal_passed_to_the_gate_commits_its_row_and_then_raises(demo):
    reached = []

    with pytest.raises(Refused) as refused, gated() as gate:
        gate(policy.authorize_registration(AnonymousUser(), "resident.create"))
        reached.append("state change")

    assert refused.value.decision.code == "not_authenticated"
    assert reached == []
    rows = AuditEvent.objects.filter(action="resident.create")
    assert list(rows.values_list("allowed", "refusal_code")) == [(False, "not_authenticated")]


def test_an_allowed_decision_is_returned_and_the_action_goes_on(demo):
    with gated() as gate:
        decision = gate(policy.authorize_registration(demo.user("tax_clerk"), "resident.create"))
        record("resident.create", actor=demo.user("tax_clerk"), target_type="resident")

    assert (decision.allowed, decision.purpose) == (True, "resident.create")
    assert AuditEvent.objects.filter(action="resident.create", allowed=True).count() == 1


def test_any_other_error_in_the_block_rolls_back_its_records(demo):
    with pytest.raises(Broken), gated() as gate:
        gate(policy.authorize_registration(demo.user("tax_clerk"), "resident.create"))
        record("resident.create", actor=demo.user("tax_clerk"), target_type="resident")
        raise Broken()

    assert AuditEvent.objects.filter(action="resident.create").count() == 0


def test_a_decision_taken_outside_a_transaction_is_refused_by_require_allowed(demo):
    with pytest.raises(Refused) as refused:
        require_allowed(policy.authorize_registration(AnonymousUser(), "resident.search"))

    assert refused.value.decision.code == "not_authenticated"
    assert AuditEvent.objects.filter(action="resident.search", allowed=False).count() == 1
