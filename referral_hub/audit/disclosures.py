"""Which audit events count as a disclosure of a resident's data.

A disclosure is an *allowed policy-gate decision* about a resident whose action ends in one of
:data:`DISCLOSURE_VERBS`: someone read the data (``sheet.read``, ``resident.read``,
``attachment.read``, the sender's ``sheet.feedback`` view), sent it to a desk (``sheet.send``,
``sheet.redirect``, ``sheet.resend``) or took it out of the system (``*.export``,
``*.print``). Gate decisions always name the legal basis they relied on (DESIGN.md invariant
1). The state change a service writes for the same step has its own past-tense action
(``sheet.sent``, ``sheet.redirected``, ``sheet.resent``), which no verb here matches. Rows
written before issue 16 used the gate's name for the state change too (``sheet.redirect``
with no basis): the basis test keeps those out. Refused attempts are not disclosures; they
stay in the log as ``allowed=False`` events and are found by the event search.
"""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.db.models import Q

DISCLOSURE_VERBS: tuple[str, ...] = (
    "read",
    "feedback",
    "send",
    "resend",
    "redirect",
    "export",
    "print",
)

# Whole action names that disclose though their verb is compound: a support-meeting member
# reading the agenda learns the resident is on it, and why (生活困窮者自立支援法 第9条).
DISCLOSURE_ACTIONS: tuple[str, ...] = ("support_meeting.agenda_read",)

# Legal bases that disclose without the resident's consent; each such disclosure is queued for
# the privacy officer (DESIGN.md, "Consent and legal bases").
REVIEWED_LEGAL_BASES: frozenset[str] = frozenset({"support_meeting", "vital_interest"})


def is_disclosure(*, action: str, allowed: bool, resident_id: int | None, legal_basis: str) -> bool:
    """The same rule as :func:`disclosure_filter`, for one event in memory."""
    verb = action.rsplit(".", 1)[-1]
    known = verb in DISCLOSURE_VERBS or action in DISCLOSURE_ACTIONS
    return allowed and resident_id is not None and bool(legal_basis) and known


def disclosure_filter() -> Q:
    verbs = reduce(or_, (Q(action__endswith=f".{verb}") for verb in DISCLOSURE_VERBS))
    verbs |= Q(action__in=DISCLOSURE_ACTIONS)
    return Q(allowed=True, resident_id__isnull=False) & ~Q(legal_basis="") & verbs
