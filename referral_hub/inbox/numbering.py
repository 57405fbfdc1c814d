"""Numbering stored events per user, in a short transaction of its own, right after commit.

``publish()`` stores events with no ``seq`` in the caller's transaction and takes no lock
there. Numbering then locks the recipients' ``UserInbox`` rows (in user order, all in one
statement), gives every unnumbered event of those users the next ``seq``, updates the unread
counters, and commits. Because the caller's transaction holds no inbox lock, publishers never
wait for each other while holding other locks (the audit chain head, a sheet row), so two
desks sending each other sheets, or a consent withdrawal next to a send, cannot deadlock; and
because numbering takes every unnumbered event of a user, an event whose numbering never ran
(the process died right after the commit) is numbered with the user's next event, or by
``number_stale``.

Committed numbers of a user are 1..n without gaps: ``last_seq`` and the events' ``seq`` change
in the same transaction, under the row lock.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import timedelta

from django.db import connection, models, transaction
from django.utils import timezone

from referral_hub.inbox.models import InboxEvent, UserInbox

# An unnumbered event older than this lost its numbering run (see ``number_stale``).
STALE_AFTER = timedelta(seconds=10)
UPDATE_BATCH = 500


def number_pending(user_ids: Iterable[int]) -> tuple[list[InboxEvent], dict[int, UserInbox]]:
    """Number every unnumbered event of ``user_ids``; return those events (in seq order per
    user) and the users' inbox rows with their new counters."""
    ids = sorted({int(user_id) for user_id in user_ids})
    if not ids:
        return [], {}
    # Create missing inbox rows in their own short transaction first: inserting them while
    # holding other users' row locks deadlocks against a concurrent run inserting the same rows.
    UserInbox.objects.bulk_create([UserInbox(user_id=i) for i in ids], ignore_conflicts=True)
    with transaction.atomic():
        inboxes = _lock_inboxes(ids)
        pending = list(
            InboxEvent.objects.select_for_update()
            .filter(user_id__in=ids, seq__isnull=True)
            .order_by("user_id", "pk")
        )
        if not pending:
            return [], inboxes
        _count_newly_unread(pending, inboxes)
        for event in pending:
            inbox = inboxes[event.user_id]
            inbox.last_seq += 1
            event.seq = inbox.last_seq
        _update_rows(InboxEvent, "id", ["seq"], [(event.pk, event.seq) for event in pending])
        counters = ["last_seq", "unread_inbox", "unread_sent", "unread_overdue"]
        _update_rows(
            UserInbox,
            "user_id",
            counters,
            [
                (user_id, *(getattr(inboxes[user_id], name) for name in counters))
                for user_id in sorted({event.user_id for event in pending})
            ],
        )
    return pending, inboxes


def _lock_inboxes(ids: list[int]) -> dict[int, UserInbox]:
    """Lock the existing rows of ``ids``, in user order (one statement)."""
    rows = UserInbox.objects.select_for_update().filter(user_id__in=ids).order_by("user_id")
    return {inbox.user_id: inbox for inbox in rows}


def _update_rows(model: type[models.Model], key: str, fields: list[str], rows: list[tuple]) -> None:
    """``UPDATE ... FROM (VALUES ...)``: one statement for many rows with different values.

    Django's bulk_update builds a CASE expression per row and field, which costs more Python
    time than the whole rest of a numbering run. PostgreSQL and SQLite (3.33+) both accept
    this form, and both name the columns of a bare VALUES list column1, column2, ..."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    assignments = ", ".join(f"{quote(field)} = v.column{n}" for n, field in enumerate(fields, 2))
    for start in range(0, len(rows), UPDATE_BATCH):
        batch = rows[start : start + UPDATE_BATCH]
        values = ", ".join(["(" + ", ".join(["%s"] * (len(fields) + 1)) + ")"] * len(batch))
        sql = (
            f"UPDATE {table} SET {assignments} FROM (VALUES {values}) AS v "  # noqa: S608 - names from model metadata
            f"WHERE {table}.{quote(key)} = v.column1"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [value for row in batch for value in row])


def number_stale(user_id: int) -> tuple[list[InboxEvent], dict[int, UserInbox]]:
    """Number ``user_id``'s events whose numbering run was lost (older than ``STALE_AFTER``).

    Called where a user reads their inbox (socket connect, resync, catch-up, the HTTP API), so a
    lost run delays an event but never hides it."""
    cutoff = timezone.now() - STALE_AFTER
    if not InboxEvent.objects.filter(user_id=user_id, seq__isnull=True, at__lt=cutoff).exists():
        return [], {}
    return number_pending([user_id])


def _count_newly_unread(pending: list[InboxEvent], inboxes: dict[int, UserInbox]) -> None:
    """Add one to a box for each (user, sheet) that had no unread numbered event there yet."""
    keys = {
        (event.user_id, event.box, event.sheet_id)
        for event in pending
        if event.sheet_id is not None and event.read_at is None
    }
    if not keys:
        return
    already = set(
        InboxEvent.objects.filter(
            user_id__in={user for user, _, _ in keys},
            sheet_id__in={sheet for _, _, sheet in keys},
            seq__isnull=False,
            read_at__isnull=True,
        ).values_list("user_id", "box", "sheet_id")
    )
    added: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for user_id, box, _ in keys - already:
        added[user_id][box] += 1
    for user_id, boxes in added.items():
        inbox = inboxes[user_id]
        for box, count in boxes.items():
            setattr(inbox, f"unread_{box}", getattr(inbox, f"unread_{box}") + count)
