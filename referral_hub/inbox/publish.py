"""``publish()``: store one inbox event per recipient now, number and push it after commit.

Service functions call this inside their transaction (architecture.md, inbox). The rows are
written in the caller's transaction, so a rolled-back state change leaves no event; numbering
(``seq``) and the push happen in ``transaction.on_commit``, so no socket ever hears of a change
that did not happen, and the caller's transaction holds no inbox lock (see numbering.py).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from referral_hub.inbox.delivery import PUSH, RECHECK, push_to_users
from referral_hub.inbox.models import InboxEvent
from referral_hub.inbox.numbering import number_pending, number_stale
from referral_hub.inbox.payloads import check_event, event_payload, unread_payload

logger = logging.getLogger(__name__)


def publish(
    user_ids: Iterable[int],
    event_type: str,
    *,
    box: str = "inbox",
    sheet_id: int | None = None,
    status: str | None = None,
    extra: Mapping[str, int | str] | None = None,
) -> None:
    """Store ``event_type`` for every distinct user in ``user_ids``; number and push it on
    commit.

    ``box`` is the counter the event adds to for its recipients (``inbox``, ``sent`` or
    ``overdue``). ``extra`` holds ids, codes and counts only; anything else raises
    ``UnsafeEventPayload`` before anything is written.
    """
    extra = dict(extra or {})
    check_event(event_type, box, status, extra)
    recipients = sorted({int(user_id) for user_id in user_ids})
    if not recipients:
        return
    now = timezone.now()
    InboxEvent.objects.bulk_create(
        [
            InboxEvent(
                user_id=user_id,
                type=event_type,
                box=box,
                sheet_id=sheet_id,
                status=status or "",
                extra=extra,
                at=now,
            )
            for user_id in recipients
        ]
    )
    transaction.on_commit(lambda: deliver_pending(recipients))


def deliver_pending(user_ids: Iterable[int]) -> None:
    """Number the users' unnumbered events and push them with fresh counts. Never raises: an
    event left unnumbered is numbered with the user's next event or by the socket's resync."""
    try:
        events, inboxes = number_pending(user_ids)
    except Exception as exc:  # noqa: BLE001 - after commit nothing may fail the request
        logger.warning("inbox numbering failed (%s); it is retried later", type(exc).__name__)
        return
    push_to_users(push_messages(events, inboxes))


def deliver_stale(user_id: int) -> None:
    """Number and push ``user_id``'s events whose numbering run was lost (see numbering.py)."""
    events, inboxes = number_stale(user_id)
    push_to_users(push_messages(events, inboxes))


def push_messages(events: list[InboxEvent], inboxes: Mapping[int, Any]) -> dict[int, dict]:
    """One channel-layer message per user: their new events in seq order, then their counts."""
    frames: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for event in sorted(events, key=lambda e: (e.user_id, e.seq)):
        frames[event.user_id].append(event_payload(event))
    return {
        user_id: {"type": PUSH, "frames": [*user_frames, unread_payload(inboxes[user_id].counts())]}
        for user_id, user_frames in frames.items()
    }


def disconnect_user(user_id: int) -> None:
    """Make every open socket of ``user_id`` check its credentials again.

    Call after a membership or account change. A socket whose user is now inactive closes with
    4403; one whose session or token is no longer valid closes with 4401. The check runs on
    commit, when the change is visible to the consumers.
    """
    message = {"type": RECHECK}
    transaction.on_commit(lambda: push_to_users({int(user_id): message}))
