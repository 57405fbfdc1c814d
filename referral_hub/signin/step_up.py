"""Step-up: the gate's rule that the most sensitive disclosures need a recent second factor.

``STEP_UP_PURPOSES`` lists the kinds that need one (production default: all five; the demo and
the test settings: none):

- ``sensitive_read``: opening a sheet or resident record carrying tax or health details
  (``sheet.read`` / ``resident.read`` with category ``tax`` or ``health``);
- ``attachment_download``: ``attachment.read``;
- ``disclosure_export``: exporting a resident's disclosure package (any ``*.export`` purpose);
- ``vital_interest_send`` / ``support_meeting_send``: sending, resending or redirecting on the
  ``vital_interest`` basis or on the ``support_meeting`` basis (Art. 9).

Such a purpose is refused with ``step_up_required`` unless the actor's sign-in used a second
factor in the last ``STEP_UP_MINUTES``. The audit row of the decision records the sign-in's
``amr`` and ``auth_time`` (when the factor was used).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from referral_hub.consent.categories import Basis, Category
from referral_hub.consent.decisions import SEND_PURPOSES, Decision, _refuse
from referral_hub.signin.factors import FACTOR_METHODS
from referral_hub.signin.records import context_of

KINDS = (
    "sensitive_read",
    "attachment_download",
    "disclosure_export",
    "vital_interest_send",
    "support_meeting_send",
)
_SENSITIVE = frozenset({Category.TAX.value, Category.HEALTH.value})


def kind_of(purpose: str, basis: str, wanted: frozenset[str]) -> str | None:
    """Which step-up kind ``purpose`` on ``basis`` for ``wanted`` categories is, or None."""
    if purpose in ("sheet.read", "resident.read") and wanted & _SENSITIVE:
        return "sensitive_read"
    if purpose == "attachment.read":
        return "attachment_download"
    if purpose.endswith(".export"):
        return "disclosure_export"
    if purpose in SEND_PURPOSES and basis == Basis.VITAL_INTEREST:
        return "vital_interest_send"
    if purpose in SEND_PURPOSES and basis == Basis.SUPPORT_MEETING:
        return "support_meeting_send"
    return None


def applies(purpose: str, basis: str, wanted: frozenset[str]) -> bool:
    kind = kind_of(purpose, basis, wanted)
    return kind is not None and kind in set(settings.STEP_UP_PURPOSES)


def recent(actor: Any) -> bool:
    """Did the actor's sign-in use a second factor in the last ``STEP_UP_MINUTES``?"""
    context = context_of(actor)
    if context.factor_at is None or not FACTOR_METHODS & set(context.amr):
        return False
    window = timedelta(minutes=float(settings.STEP_UP_MINUTES))
    return timezone.now() - context.factor_at <= window


def refusal(actor: Any, purpose: str, basis: str, wanted: frozenset[str]) -> Decision | None:
    """``step_up_required`` when the purpose needs a recent factor and the actor has none."""
    if applies(purpose, basis, wanted) and not recent(actor):
        return _refuse(purpose, basis, "step_up_required", wanted)
    return None


def audit_details(actor: Any, purpose: str, basis: str, wanted: frozenset[str]) -> dict[str, Any]:
    """``{"amr": [...], "auth_time": ISO 8601 or None}`` for a step-up purpose, else ``{}``."""
    if not applies(purpose, basis, wanted):
        return {}
    context = context_of(actor)
    return {
        "amr": list(context.amr),
        "auth_time": context.factor_at.isoformat() if context.factor_at else None,
    }
