"""Contact attempts (issue 20: no drop): the owner desk records each try to reach the resident.

An attempt is recorded now or earlier today (never in the future: the record is of what was
done, and a later day's entry would fake the evidence an ``unreachable`` close needs). A
``reached`` attempt on an accepted sheet moves it to ``contacted`` through the existing service
(``desk_actions.mark_contacted``) in the same transaction. The note is encrypted and stays with
the desk; the sender's timeline shows that the desk is trying, and the result only with consent
to feedback (``api_bodies.event_out``).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from referral_hub import office_calendar
from referral_hub.consent import policy
from referral_hub.consent.refusals import gated
from referral_hub.handoffs import desk_actions, lifecycle, notify
from referral_hub.handoffs.errors import InvalidInput, InvalidTransition
from referral_hub.handoffs.models import (
    ConnectSheet,
    ContactAttempt,
    ContactChannel,
    ContactResult,
    EventKind,
    SheetEvent,
    Status,
)
from referral_hub.handoffs.selectors import facts_of
from referral_hub.handoffs.steps import MAX_TEXT, audit_sheet, lock_sheet

ATTEMPT_STATUSES = lifecycle.ATTEMPT_STATUSES
NOTE_MAX = 1000


def _check_time(at: datetime.datetime, now: datetime.datetime) -> None:
    if at > now:
        raise InvalidInput(
            "attempt_in_future", "連絡を試みた日時に未来の日時は指定できません。", "at"
        )
    if office_calendar.local(at).date() != office_calendar.local(now).date():
        raise InvalidInput(
            "attempt_not_today",
            "連絡の記録は当日中に入力してください(今日のこれまでの日時を指定できます)。",
            "at",
        )


def record_attempt(
    actor: Any,
    sheet_id: int,
    *,
    channel: str,
    result: str,
    at: datetime.datetime | None = None,
    note: str = "",
    next_try_at: datetime.datetime | None = None,
) -> ContactAttempt:
    """Record one attempt on an accepted sheet of the actor's desk. ``at`` defaults to now.
    Raises ``InvalidInput`` (400: future or another day's ``at``, unknown channel or result,
    ``next_try_at`` before ``at``, note over 1000 characters), ``Refused`` (403
    ``not_owner_desk``), ``InvalidTransition`` (409: not accepted yet, or closed)."""
    if channel not in ContactChannel.values:
        raise InvalidInput("invalid_channel", "連絡の方法を選んでください。", "channel")
    if result not in ContactResult.values:
        raise InvalidInput("invalid_result", "連絡の結果を選んでください。", "result")
    if len(note) > NOTE_MAX:
        raise InvalidInput("too_long", f"{NOTE_MAX}文字以内で記入してください。", "note")
    now = timezone.now()
    at = at or now
    _check_time(at, now)
    if next_try_at is not None and next_try_at < at:
        raise InvalidInput(
            "invalid_next_try",
            "次に連絡する日時は、今回の日時より後にしてください。",
            "next_try_at",
        )
    with gated() as gate:
        sheet = lock_sheet(sheet_id)
        gate(policy.authorize_action(actor, "contact_attempt", facts_of(sheet)))
        if sheet.status not in ATTEMPT_STATUSES:
            raise InvalidTransition("contact_attempt", sheet.status)
        attempt = ContactAttempt.objects.create(  # type: ignore[misc]  # encrypted note
            sheet=sheet,
            desk=sheet.owner_desk,
            actor=actor,
            at=at,
            channel=channel,
            result=result,
            note=note.strip()[:MAX_TEXT],
            next_try_at=next_try_at,
            created_at=now,
        )
        ConnectSheet.objects.filter(pk=sheet.pk).update(
            last_attempt_at=max(filter(None, [sheet.last_attempt_at, at])), stalled_at=None
        )
        SheetEvent.objects.create(
            sheet=sheet,
            kind=EventKind.CONTACT_ATTEMPT,
            actor=actor,
            at=at,
            from_status=sheet.status,
            to_status=sheet.status,
            outcome=result,
        )
        audit_sheet(
            actor,
            sheet,
            "sheet.contact_attempt_recorded",
            details={"attempt": attempt.pk, "channel": channel, "result": result},
        )
        if result == ContactResult.REACHED and sheet.status == Status.ACCEPTED:
            desk_actions.mark_contacted(actor, sheet.pk)
        else:
            notify.sheet_updated(sheet)
    return attempt


def attempts_of(sheet: ConnectSheet) -> list[ContactAttempt]:
    """The sheet's attempts, oldest first (the caller has passed the gate's desk read)."""
    return list(ContactAttempt.objects.filter(sheet=sheet).order_by("at", "id"))
