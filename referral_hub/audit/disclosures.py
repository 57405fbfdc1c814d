"""Which audit events count as a disclosure of a resident's data.

A disclosure is an *allowed* event about a resident whose action ends in one of
:data:`DISCLOSURE_VERBS`: someone read it (``sheet.read``, ``resident.read``,
``attachment.read``), sent it to a desk (``sheet.send``, ``sheet.redirect``) or took it out of
the system (``*.export``, ``*.print``). Refused attempts are not disclosures; they stay in the
log as ``allowed=False`` events and are listed by the event search.
"""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.db.models import Q

DISCLOSURE_VERBS: tuple[str, ...] = ("read", "send", "resend", "redirect", "export", "print")

# Legal bases that disclose without the resident's consent; each such disclosure is queued for
# the privacy officer (DESIGN.md, "Consent and legal bases").
REVIEWED_LEGAL_BASES: frozenset[str] = frozenset({"support_meeting", "vital_interest"})


def is_disclosure_action(action: str) -> bool:
    return action.rsplit(".", 1)[-1] in DISCLOSURE_VERBS


def disclosure_filter() -> Q:
    verbs = reduce(or_, (Q(action__endswith=f".{verb}") for verb in DISCLOSURE_VERBS))
    return Q(allowed=True, resident_id__isnull=False) & verbs
