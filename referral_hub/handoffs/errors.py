"""Errors the handoff services raise; the API maps each to a status and a ``code``."""

from __future__ import annotations

from referral_hub.consent.policy import Decision
from referral_hub.consent.services import InvalidInput, Refused

__all__ = ["InvalidInput", "Refused", "InvalidTransition", "NotFound", "Decision"]


class InvalidTransition(Exception):
    """The action is not allowed in the sheet's current status (HTTP 409)."""

    code = "invalid_transition"

    def __init__(self, action: str, status: str) -> None:
        super().__init__(f"{action} from {status}")
        self.action = action
        self.status = status


class NotFound(Exception):
    code = "not_found"
