"""Who may act on a sheet: the owner desk's actions and the sending side's, part of THE policy
gate (import it from ``consent.policy``; ``authorize_action`` there records the refusals)."""

from __future__ import annotations

from referral_hub.consent.decisions import REDIRECTS_BEFORE_LEAD, Decision, SheetFacts, _refuse
from referral_hub.directory import roles
from referral_hub.directory.actors import Actor

DESK_ACTIONS = frozenset(
    {
        "acknowledge",
        "accept",
        "contacted",
        "connected",
        "redirect",
        "return",
        "close",
        "desk_message",
        "arrival",  # 来所: the resident came to the owner desk with the handout
        "contact_attempt",
        "approve_close",
    }
)
SENDER_ACTIONS = frozenset({"withdraw", "resend", "sender_message"})


def _decide_action(
    actor: Actor, action: str, facts: SheetFacts, handler_id: int | None, to_desk_id: int | None
) -> Decision:
    purpose = f"sheet.{action}"
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return _refuse(purpose, "", "not_authenticated", frozenset())
    if action in DESK_ACTIONS:
        if facts.owner_desk_id not in roles.desk_ids(actor):
            return _refuse(purpose, "", "not_owner_desk", frozenset())
        is_lead = roles.is_lead_of(actor, facts.owner_desk_id)
        if action == "accept" and handler_id is not None and handler_id != actor.pk:
            if not is_lead:
                return _refuse(purpose, "", "lead_required", frozenset(), "assign")
            if not _is_desk_member(handler_id, facts.owner_desk_id):
                return _refuse(purpose, "", "handler_not_member", frozenset())
        if action == "approve_close" and not is_lead:
            # Closing without the evidence of contact attempts is a lead's decision (issue 20).
            return _refuse(purpose, "", "lead_required", frozenset(), "approval")
        if action == "redirect" and to_desk_id in facts.previous_desk_ids and not is_lead:
            # Sending a sheet back to a desk it already left is how runaround starts.
            return _refuse(purpose, "", "lead_required", frozenset(), "redirect_back")
        if action == "redirect" and facts.redirect_count >= REDIRECTS_BEFORE_LEAD and not is_lead:
            return _refuse(purpose, "", "lead_required", frozenset(), "runaround")
        return Decision(True, "", purpose)
    if action in SENDER_ACTIONS:
        # The sending side is the sending department or desk as it is now: a clerk who has
        # moved on keeps nothing, the colleague who replaced them takes over (invariant 9).
        if (
            facts.sender_department_id is not None
            and facts.sender_department_id in roles.department_ids(actor)
        ):
            return Decision(True, "", purpose)
        if facts.sender_desk_id is not None and facts.sender_desk_id in roles.desk_ids(actor):
            return Decision(True, "", purpose)
        return _refuse(purpose, "", "not_sender", frozenset())
    raise ValueError(f"unknown action {action!r}")


def _is_desk_member(user_id: int, desk_id: int) -> bool:
    # The handler's membership is a fact the assignment rests on: locked like the actor's.
    return roles.is_desk_staff_now(user_id, desk_id)


def sender_relation(actor: Actor, facts: SheetFacts) -> bool:
    """Is the actor on the sending side of the sheet (the sender or a colleague of theirs)?"""
    return _decide_action(actor, "sender_message", facts, None, None).allowed
