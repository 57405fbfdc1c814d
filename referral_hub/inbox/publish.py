"""``publish()``: store one inbox event per recipient now, push it after commit.

Service functions call this inside their transaction (architecture.md, inbox). The rows are
written in the caller's transaction, so a rolled-back state change leaves no event; the push
happens in ``transaction.on_commit``, so no socket ever hears of a change that did not happen.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from referral_hub.inbox.delivery import PUSH, RECHECK, push_to_users
from referral_hub.inbox.models import InboxEvent, UserInbox
from referral_hub.inbox.payloads import check_event, event_payload, unread_payload


def publish(
    user_ids: Iterable[int],
    event_type: str,
    *,
    box: str = "inbox",
    sheet_id: int | None = None,
    status: str | None = None,
    extra: Mapping[str, int | str] | None = None,
) -> None:
    """Store ``event_type`` for every distinct user in ``user_ids`` and push it on commit.

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
    with transaction.atomic(savepoint=False):
        inboxes = _next_seq(recipients)
        if sheet_id is not None:
            _count_newly_unread(inboxes, box, sheet_id)
        events = [
            InboxEvent(
                user_id=user_id,
                seq=inboxes[user_id].last_seq,
                type=event_type,
                box=box,
                sheet_id=sheet_id,
                status=status or "",
                extra=extra,
                at=now,
            )
            for user_id in recipients
        ]
        InboxEvent.objects.bulk_create(events)
        messages = {
            event.user_id: {
                "type": PUSH,
                "frames": [event_payload(event), unread_payload(inboxes[event.user_id].counts())],
            }
            for event in events
        }
        transaction.on_commit(lambda: push_to_users(messages))


def disconnect_user(user_id: int) -> None:
    """Make every open socket of ``user_id`` check its credentials again.

    Call after a membership or account change. A socket whose user is now inactive closes with
    4403; one whose session or token is no longer valid closes with 4401. The check runs on
    commit, when the change is visible to the consumers.
    """
    message = {"type": RECHECK}
    transaction.on_commit(lambda: push_to_users({int(user_id): message}))


def _next_seq(user_ids: list[int]) -> dict[int, UserInbox]:
    """Hand out the next ``seq`` of each user, locking their UserInbox rows until commit.

    One upsert locks the rows in ascending user order, so two publishers that share recipients
    wait for each other instead of deadlocking.
    """
    # PostgreSQL and SQLite (the two supported databases, DESIGN.md Stack) both upsert with
    # RETURNING.
    table = connection.ops.quote_name(UserInbox._meta.db_table)
    rows = ", ".join(["(%s, 1, 0, 0, 0)"] * len(user_ids))
    sql = (
        f"INSERT INTO {table} (user_id, last_seq, unread_inbox, unread_sent, unread_overdue) "  # noqa: S608 - names from model metadata
        f"VALUES {rows} ON CONFLICT (user_id) DO UPDATE SET last_seq = {table}.last_seq + 1 "
        "RETURNING user_id, last_seq, unread_inbox, unread_sent, unread_overdue"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, user_ids)
        fetched = cursor.fetchall()
    return {
        user_id: UserInbox(
            user_id=user_id,
            last_seq=seq,
            unread_inbox=unread_inbox,
            unread_sent=unread_sent,
            unread_overdue=unread_overdue,
        )
        for user_id, seq, unread_inbox, unread_sent, unread_overdue in fetched
    }


def _count_newly_unread(inboxes: dict[int, UserInbox], box: str, sheet_id: int) -> None:
    """Add one to ``box`` for users who had no unread event of this sheet in that box yet.

    Runs under the UserInbox locks taken by ``_next_seq``, so two publishers cannot both count
    the same sheet.
    """
    already = set(
        InboxEvent.objects.filter(
            user_id__in=list(inboxes), box=box, sheet_id=sheet_id, read_at__isnull=True
        ).values_list("user_id", flat=True)
    )
    newly = [user_id for user_id in inboxes if user_id not in already]
    if not newly:
        return
    field = f"unread_{box}"
    UserInbox.objects.filter(user_id__in=newly).update(**{field: F(field) + 1})
    for user_id in newly:
        setattr(inboxes[user_id], field, getattr(inboxes[user_id], field) + 1)
