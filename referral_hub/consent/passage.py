"""Runaround seen from every desk it touched (issue 20), part of THE policy gate (import it from
``consent.policy``).

A lead of a desk a sheet passed through (a desk it was redirected away from) keeps a current
relationship to it while it is open: they may see the sheet's trail (status, current desk,
redirect count, deadline, the timeline without notes) and acknowledge its runaround alert.
Nothing of the content: that follows the consent to the desk that holds the sheet now.
"""

from __future__ import annotations

from referral_hub.audit.log import record
from referral_hub.consent.decisions import Decision, SheetFacts, _refuse
from referral_hub.consent.locks import decided_on_locked_facts
from referral_hub.directory import roles
from referral_hub.directory.actors import Actor

PASSAGE_PURPOSES = frozenset({"sheet.trail_read", "sheet.runaround_acknowledge"})


def passed_desks_led_by(actor: Actor, facts: SheetFacts) -> set[int]:
    """The desks the sheet passed through (or holds now) that ``actor`` leads."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return set()
    desks = set(facts.previous_desk_ids) | {facts.owner_desk_id}
    return {d for d in desks if roles.is_lead_of(actor, d)}


@decided_on_locked_facts
def authorize_passage(
    actor: Actor, facts: SheetFacts, purpose: str, desk_id: int | None
) -> Decision:
    """May ``actor`` read the sheet's trail (``sheet.trail_read``) or acknowledge its runaround
    alert for ``desk_id`` (``sheet.runaround_acknowledge``)? Only a lead of a desk the sheet
    passed through (``lead_required``). Recorded, allowed or refused."""
    if purpose not in PASSAGE_PURPOSES:
        raise ValueError(f"unknown passage purpose {purpose!r}")
    led = passed_desks_led_by(actor, facts)
    allowed = bool(led) if desk_id is None else desk_id in led
    decision = (
        Decision(True, "", purpose)
        if allowed
        else _refuse(purpose, "", "lead_required", frozenset(), "passage")
    )
    record(
        purpose,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_desk=roles.place_label(actor),
        target_type="sheet",
        target_id=facts.sheet_id,
        resident_id=facts.resident_id,
        allowed=decision.allowed,
        refusal_code=decision.code,
    )
    return decision
