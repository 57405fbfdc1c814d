"""The sending side's copy of what it sent: the story it wrote, re-read through the gate.

The sender's view of a sheet is otherwise minimal (status, milestones, outcome); this is not a
disclosure to anyone new, it is the sending department's own record of its referral, so the
gate allows it to the current sending side whatever the consent's status and audits each read
(``sheet.sent_read``).
"""

from __future__ import annotations

from typing import Any

from referral_hub.consent import policy
from referral_hub.consent.categories import Category
from referral_hub.handoffs.models import ConnectSheet
from referral_hub.handoffs.services import facts_of


def sent_content(actor: Any, sheet: ConnectSheet) -> dict[str, Any] | None:
    """``{"summary", "resident_words", "concerns": [code], "urgency", "handoff_method",
    "details": {"tax","health","household"} (only those filled in), "contact_preference"}``,
    or None when the gate refuses (not the sending side now) or retention erased the content.
    No resident identity: the sender's view carries a name only with feedback consent."""
    if sheet.data_key.shredded_at is not None:
        return None
    categories = sorted(set(sheet.categories) - {Category.IDENTITY})
    decision = policy.authorize_sent_read(actor, facts_of(sheet), categories)
    if not decision.allowed:
        return None
    details = {
        name: text
        for name, text in (
            (Category.TAX, sheet.tax_details),
            (Category.HEALTH, sheet.health_details),
            (Category.HOUSEHOLD, sheet.household_details),
        )
        if text
    }
    return {
        "summary": sheet.summary,
        "resident_words": sheet.resident_words,
        "concerns": [c.code for c in sheet.concerns.all()],
        "urgency": sheet.urgency,
        "handoff_method": sheet.handoff_method,
        "details": {str(k): v for k, v in details.items()},
        "contact_preference": sheet.contact_preference,
    }
