"""The sheet state machine of DESIGN.md: which action may run from which status, and where it leads."""

from __future__ import annotations

from referral_hub.handoffs.models import Outcome, Status

# action -> (statuses it may start from, status it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "acknowledge": (frozenset({Status.SENT}), Status.ACKNOWLEDGED),
    "accept": (frozenset({Status.ACKNOWLEDGED}), Status.ACCEPTED),
    "contacted": (frozenset({Status.ACCEPTED}), Status.CONTACTED),
    "connected": (frozenset({Status.CONTACTED}), Status.CONNECTED),
    "redirect": (
        frozenset(
            {Status.SENT, Status.ACKNOWLEDGED, Status.ACCEPTED, Status.CONTACTED, Status.CONNECTED}
        ),
        Status.SENT,
    ),
    "return": (frozenset({Status.SENT, Status.ACKNOWLEDGED}), Status.RETURNED),
    "resend": (frozenset({Status.RETURNED}), Status.SENT),
    "withdraw": (frozenset({Status.SENT, Status.ACKNOWLEDGED, Status.RETURNED}), Status.WITHDRAWN),
    "close": (
        frozenset({Status.ACKNOWLEDGED, Status.ACCEPTED, Status.CONTACTED, Status.CONNECTED}),
        Status.CLOSED,
    ),
}

# Contact attempts (issue 20) are recorded on a sheet with a handler that is still open.
ATTEMPT_STATUSES = frozenset({Status.ACCEPTED, Status.CONTACTED, Status.CONNECTED})

# "Connected to support" can only close a sheet whose resident is actually connected.
OUTCOME_REQUIRES_STATUS: dict[str, frozenset[str]] = {
    Outcome.CONNECTED_TO_SUPPORT: frozenset({Status.CONNECTED}),
}


def allowed_actions(status: str) -> list[str]:
    return [action for action, (sources, _) in TRANSITIONS.items() if status in sources]


def can(action: str, status: str) -> bool:
    return status in TRANSITIONS[action][0]


def target(action: str) -> str:
    return TRANSITIONS[action][1]
