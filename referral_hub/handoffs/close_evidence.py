"""Closures that need evidence (issue 20): a desk may not give up on a resident the same
afternoon. One place for the rule, read by the close service and by the close dialog.

- ``unreachable`` needs ``UNREACHABLE_MIN_ATTEMPTS`` contact attempts (3) on at least
  ``UNREACHABLE_MIN_DAYS`` different days (2, Japan time) spanning at least
  ``UNREACHABLE_MIN_SPAN_DAYS`` days from the first to the last (14);
- ``declined`` needs an attempt whose result was ``refused``;
- either may instead be approved by a lead of the owner desk, with a reason.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.conf import settings

from referral_hub import office_calendar
from referral_hub.handoffs.models import ContactAttempt, ContactResult, Outcome

EVIDENCE_OUTCOMES = frozenset({Outcome.UNREACHABLE, Outcome.DECLINED})


def missing_for_unreachable(moments: Iterable[datetime.datetime]) -> dict[str, int]:
    """What an ``unreachable`` close still lacks, given the attempts' times: ``{"attempts",
    "days", "span_days"}``, each the count still missing (0 when met); all zero when the rule
    holds."""
    moments = list(moments)
    days = sorted({office_calendar.local(m).date() for m in moments})
    count = len(moments)
    span = (days[-1] - days[0]).days if days else 0
    return {
        "attempts": max(0, settings.UNREACHABLE_MIN_ATTEMPTS - count),
        "days": max(0, settings.UNREACHABLE_MIN_DAYS - len(days)),
        "span_days": max(0, settings.UNREACHABLE_MIN_SPAN_DAYS - span),
    }


def missing_for(outcome: str, sheet_id: int) -> dict[str, int]:
    """What closing sheet ``sheet_id`` with ``outcome`` still lacks (``{}`` when nothing: the
    outcome needs no evidence or the evidence is there). ``declined``: ``{"refused": 1}``."""
    attempts = ContactAttempt.objects.filter(sheet_id=sheet_id)
    if outcome == Outcome.UNREACHABLE:
        missing = missing_for_unreachable(list(attempts.values_list("at", flat=True)))
        return missing if any(missing.values()) else {}
    if outcome == Outcome.DECLINED:
        return {} if attempts.filter(result=ContactResult.REFUSED).exists() else {"refused": 1}
    return {}


def explain(missing: dict[str, int]) -> str:
    """The Japanese sentence a desk reads: what is missing before this close, and the way out."""
    parts = []
    if missing.get("attempts"):
        parts.append(f"連絡の試みがあと{missing['attempts']}回")
    if missing.get("days"):
        parts.append(f"別の日の試みがあと{missing['days']}日分")
    if missing.get("span_days"):
        parts.append(f"最初の試みから{missing['span_days']}日以上あとの試み")
    if missing.get("refused"):
        parts.append("本人が支援を断ったことの記録(結果「本人が支援を断った」の連絡記録)")
    needed = "、".join(parts)
    return (
        f"この結果で終結するには、{needed}が必要です。"
        "連絡の記録を続けるか、主任相談支援員の承認(理由を記入)を得てください。"
    )
