"""Read state per user per sheet, and the unread counters it drives (issue 6, Read state)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from referral_hub.inbox.delivery import PUSH, push_to_users
from referral_hub.inbox.models import Box, InboxEvent, UserInbox
from referral_hub.inbox.payloads import unread_payload


def unread_counts(user_id: int) -> dict[str, int]:
    """Distinct sheets with at least one unread event, per box: ``{"inbox","sent","overdue"}``."""
    return inbox_state(user_id)[1]


def last_seq(user_id: int) -> int:
    """The highest ``seq`` stored for ``user_id`` (0 when none): where a new client starts."""
    return inbox_state(user_id)[0]


def inbox_state(user_id: int) -> tuple[int, dict[str, int]]:
    """``(last_seq, unread counts)`` in one query."""
    inbox = UserInbox.objects.filter(user_id=user_id).first()
    if inbox is None:
        return 0, {box: 0 for box in Box.values}
    return inbox.last_seq, inbox.counts()


def mark_sheet_read(user_id: int, sheet_id: int) -> int:
    """Mark every unread event of ``sheet_id`` for ``user_id`` read, in every box.

    Returns how many events changed. The user's open sockets receive the new counts after
    commit, so every tab's badge agrees.
    """
    with transaction.atomic(savepoint=False):
        # Same lock as publish(): counters cannot change between the read and the update.
        inbox = UserInbox.objects.select_for_update().filter(user_id=user_id).first()
        if inbox is None:
            return 0
        unread = InboxEvent.objects.filter(user_id=user_id, sheet_id=sheet_id, read_at__isnull=True)
        boxes = set(unread.values_list("box", flat=True))
        changed = unread.update(read_at=timezone.now())
        if boxes:
            decrements = {f"unread_{box}": Greatest(F(f"unread_{box}") - 1, 0) for box in boxes}
            UserInbox.objects.filter(user_id=user_id).update(**decrements)
            inbox.refresh_from_db()
            message = {"type": PUSH, "frames": [unread_payload(inbox.counts())]}
            transaction.on_commit(lambda: push_to_users({user_id: message}))
    return changed
