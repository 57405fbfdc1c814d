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
    """``(last_seq, unread counts)``.

    The counts also include events that are stored but not numbered yet (their transaction has
    just committed, or is the caller's own), so a page rendered right after a send already shows
    the new sheet."""
    inbox = UserInbox.objects.filter(user_id=user_id).first()
    seq, counts = (inbox.last_seq, inbox.counts()) if inbox else (0, {box: 0 for box in Box.values})
    waiting = set(
        InboxEvent.objects.filter(
            user_id=user_id, seq__isnull=True, read_at__isnull=True, sheet_id__isnull=False
        ).values_list("box", "sheet_id")
    )
    if waiting:
        counted = set(
            InboxEvent.objects.filter(
                user_id=user_id,
                sheet_id__in={sheet for _, sheet in waiting},
                seq__isnull=False,
                read_at__isnull=True,
            ).values_list("box", "sheet_id")
        )
        for box, _ in waiting - counted:
            counts[box] += 1
    return seq, counts


def mark_sheet_read(user_id: int, sheet_id: int) -> int:
    """Mark every unread event of ``sheet_id`` for ``user_id`` read, in every box.

    Returns how many events changed. The user's open sockets receive the new counts after
    commit, so every tab's badge agrees.
    """
    with transaction.atomic(savepoint=False):
        # Same lock as numbering, so counters cannot change between the read and the update.
        # The row may not exist yet (or be being created by a numbering run): create it first so
        # that there is always a row to lock.
        UserInbox.objects.bulk_create([UserInbox(user_id=user_id)], ignore_conflicts=True)
        inbox = UserInbox.objects.select_for_update().get(user_id=user_id)
        unread = InboxEvent.objects.filter(user_id=user_id, sheet_id=sheet_id, read_at__isnull=True)
        # Only numbered events are counted; one still waiting for its number is simply read.
        boxes = set(unread.filter(seq__isnull=False).values_list("box", flat=True))
        changed = unread.update(read_at=timezone.now())
        if boxes:
            decrements = {f"unread_{box}": Greatest(F(f"unread_{box}") - 1, 0) for box in boxes}
            UserInbox.objects.filter(user_id=user_id).update(**decrements)
            inbox.refresh_from_db()
            message = {"type": PUSH, "frames": [unread_payload(inbox.counts())]}
            transaction.on_commit(lambda: push_to_users({user_id: message}))
    return changed
