"""Errors the handoff services raise; the API maps each to a status and a ``code``."""

from __future__ import annotations

from referral_hub.consent.policy import Decision
from referral_hub.consent.services import InvalidInput, Refused
from referral_hub.domain_errors import DomainError

__all__ = ["InvalidInput", "Refused", "InvalidTransition", "NotFound", "Decision"]


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
