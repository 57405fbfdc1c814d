"""The single write path for connect sheets: one function per domain action, one module per verb.

- ``send``: ``send_sheet`` (and ``SheetInput``, ``sheet_categories``);
- ``desk_actions``: ``acknowledge``, ``accept``, ``mark_contacted``, ``mark_connected``,
  ``redirect_sheet``, ``return_sheet``, ``close_sheet``;
- ``arrival``: ``record_arrival`` (来所, a milestone without a status change);
- ``sender_actions``: ``resend_sheet``, ``withdraw_sheet``;
- ``messages``: ``post_message``;
- ``periodic``: ``sweep_overdue``;
- ``reactions``: ``on_consent_withdrawn``, ``on_disclosure_flagged``;
- ``steps``: what they are made of (lock, gate, move, audit, numbering).

Each action checks the policy gate (``consent.policy``), changes state under a row lock,
writes the timeline event and the audit event in the same transaction, and stores inbox events
that are pushed after commit. A refusal is recorded and committed before it is raised
(``consent.refusals.gated``). This module re-exports them all, so callers import the actions
from here.
"""

from __future__ import annotations

from referral_hub.handoffs.arrival import record_arrival
from referral_hub.handoffs.desk_actions import (
    accept,
    acknowledge,
    close_sheet,
    mark_connected,
    mark_contacted,
    redirect_sheet,
    return_sheet,
)
from referral_hub.handoffs.errors import InvalidInput, InvalidTransition, NotFound, Refused
from referral_hub.handoffs.messages import post_message
from referral_hub.handoffs.models import ConnectSheet
from referral_hub.handoffs.periodic import sweep_overdue
from referral_hub.handoffs.reactions import on_consent_withdrawn, on_disclosure_flagged
from referral_hub.handoffs.selectors import facts_of
from referral_hub.handoffs.send import SheetInput, send_sheet, sheet_categories
from referral_hub.handoffs.sender_actions import resend_sheet, withdraw_sheet
from referral_hub.handoffs.steps import MAX_TEXT, STATE_CHANGE_ACTIONS

__all__ = [
    "MAX_TEXT",
    "STATE_CHANGE_ACTIONS",
    "ConnectSheet",
    "InvalidInput",
    "InvalidTransition",
    "NotFound",
    "Refused",
    "SheetInput",
    "accept",
    "acknowledge",
    "close_sheet",
    "facts_of",
    "mark_connected",
    "mark_contacted",
    "on_consent_withdrawn",
    "on_disclosure_flagged",
    "post_message",
    "record_arrival",
    "redirect_sheet",
    "resend_sheet",
    "return_sheet",
    "send_sheet",
    "sheet_categories",
    "sweep_overdue",
    "withdraw_sheet",
]
