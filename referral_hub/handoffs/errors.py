"""Errors the handoff services raise; the API maps each to a status and a ``code``."""

from __future__ import annotations

from referral_hub.consent.policy import Decision
from referral_hub.consent.services import InvalidInput, Refused
from referral_hub.domain_errors import DomainError

__all__ = [
    "AttemptsRequired",
    "Decision",
    "DeskUnstaffed",
    "InvalidInput",
    "InvalidTransition",
    "NotFound",
    "Refused",
]


class InvalidTransition(DomainError):
    """The action is not allowed in the sheet's current status (HTTP 409).

    ``status`` is the sheet's status (a ``Status`` value), ``action`` the refused action."""

    code = "invalid_transition"
    http_status = 409

    def __init__(self, action: str, status: str) -> None:
        super().__init__(f"{action} from {status}")
        self.action = action
        self.status = status
        self.message = f"現在の状態({status})ではこの操作({action})はできません。"


class NotFound(DomainError):
    """No sheet (message, attachment) with this id is visible to the actor (HTTP 404)."""

    code = "not_found"
    http_status = 404
    message = "見つかりません。/ Not found."


class AttemptsRequired(DomainError):
    """``unreachable`` / ``declined`` without the evidence of contact attempts and without a
    lead's approval (HTTP 409). ``extra["missing"]``: the counts still missing
    (``handoffs.close_evidence``)."""

    code = "attempts_required"
    http_status = 409

    def __init__(self, outcome: str, missing: dict[str, int]) -> None:
        from referral_hub.handoffs.close_evidence import explain

        super().__init__(f"{outcome}: {missing}")
        self.message = explain(missing)
        self.extra = {"outcome": outcome, "missing": missing}


class DeskUnstaffed(DomainError):
    """The destination desk has no active staff: nobody would see the sheet (HTTP 409).
    ``extra["desks"]``: codes of active, staffed desks the sheet could go to instead."""

    code = "desk_unstaffed"
    http_status = 409
    field = "to_desk"

    def __init__(self, desk_code: str, desks: list[str]) -> None:
        super().__init__(desk_code)
        self.message = (
            "この窓口には現在担当できる職員がいないため、送ることができません。"
            "受け付けられる窓口を選んでください。"
        )
        self.extra = {"desk": desk_code, "desks": desks}
