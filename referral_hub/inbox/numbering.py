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

Numbering runs after every publishing commit and locks the same rows for every send to a desk,
so it is written as plain SQL statements rather than ORM queries: the lock, the read (a
statement of its own, so it sees what the run it waited for committed) and both updates in one
statement on PostgreSQL: on a busy desk its duration is how long the next send's numbering
waits.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.db import connection, models, transaction
from django.db.models import QuerySet
from django.utils import timezone

from referral_hub.inbox.models import InboxEvent, UserInbox

# An unnumbered event older than this lost its numbering run (see ``number_stale``).
STALE_AFTER = timedelta(seconds=10)
UPDATE_BATCH = 500
COUNTERS = ["last_seq", "unread_inbox", "unread_sent", "unread_overdue"]


def number_pending(user_ids: Iterable[int]) -> tuple[list[InboxEvent], dict[int, UserInbox]]:
    """Number every unnumbered event of ``user_ids``; return those events (in seq order per
    user) and the users' inbox rows with their new counters."""
    ids = sorted({int(user_id) for user_id in user_ids})
    if not ids:
        return [], {}
    for _ in range(2):
        with transaction.atomic():
            inboxes = _lock_inboxes(ids)
            if len(inboxes) == len(ids):
                return _number_locked(ids, inboxes)
        # A user's first event: create the missing inbox rows in their own short statement,
        # holding no lock (inserting them while holding other users' row locks deadlocks
        # against a concurrent run inserting the same rows), then lock again.
        UserInbox.objects.bulk_create(
            [UserInbox(user_id=i) for i in ids if i not in inboxes], ignore_conflicts=True
        )
    raise RuntimeError("inbox rows missing")  # pragma: no cover - created just above


def _number_locked(
    ids: list[int], inboxes: dict[int, UserInbox]
) -> tuple[list[InboxEvent], dict[int, UserInbox]]:
    """Number the pending events of ``ids``, whose inbox rows this transaction holds locked."""
    pending = _pending_events(ids)
    if not pending:
        return [], inboxes
    counted: set[tuple[int, str, int | None]] = set()
    for event in pending:
        inbox = inboxes[event.user_id]
        inbox.last_seq += 1
        event.seq = inbox.last_seq
        key = (event.user_id, event.box, event.sheet_id)
        # ``already_unread`` is a column of the raw query in _pending_events, not a field.
        already_unread = event.already_unread  # type: ignore[attr-defined]
        if event.sheet_id is None or event.read_at is not None or already_unread:
            continue
        if key not in counted:  # one per (user, box, sheet): counters count sheets
            counted.add(key)
            setattr(inbox, f"unread_{event.box}", getattr(inbox, f"unread_{event.box}") + 1)
    numbered = [(event.pk, event.seq) for event in pending]
    counters = [
        (user_id, *(getattr(inboxes[user_id], name) for name in COUNTERS))
        for user_id in sorted({event.user_id for event in pending})
    ]
    if connection.vendor == "postgresql" and max(len(numbered), len(counters)) <= UPDATE_BATCH:
        # Both updates in one round trip: a data-modifying WITH runs exactly once, in order.
        events_sql, events_params = _update_sql(InboxEvent, "id", ["seq"], numbered)
        inbox_sql, inbox_params = _update_sql(UserInbox, "user_id", COUNTERS, counters)
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH numbered AS ({events_sql}) {inbox_sql}", [*events_params, *inbox_params]
            )
    else:
        _update_rows(InboxEvent, "id", ["seq"], numbered)
        _update_rows(UserInbox, "user_id", COUNTERS, counters)
    return pending, inboxes


def member_of(column: str, values: list[int]) -> tuple[str, list]:
    """``column`` is one of ``values``: SQL and parameters.

    On PostgreSQL the ids travel as one array parameter, so the statement's text is the same
    for every desk size: psycopg converts a query's placeholders with a regular expression and
    caches the result by text, and a 500-member IN list cost more than the query itself."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [values]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


def _lock_inboxes(ids: list[int]) -> dict[int, UserInbox]:
    """Lock the existing rows of ``ids``, in user order (one statement)."""
    table = connection.ops.quote_name(UserInbox._meta.db_table)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    where, params = member_of("user_id", ids)
    sql = (
        f"SELECT user_id, {', '.join(COUNTERS)} FROM {table} "  # noqa: S608 - names from model metadata
        f"WHERE {where} ORDER BY user_id{lock}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return {
        row[0]: UserInbox(user_id=row[0], **dict(zip(COUNTERS, row[1:], strict=True)))
        for row in rows
    }


def _pending_events(ids: list[int]) -> list[InboxEvent]:
    """The unnumbered events of ``ids`` in (user, id) order, each with ``already_unread``: the
    user has a numbered unread event of the same sheet in the same box (so it is counted)."""
    table = connection.ops.quote_name(InboxEvent._meta.db_table)
    where, params = member_of("e.user_id", ids)
    sql = (
        "SELECT e.id, e.user_id, e.seq, e.type, e.box, e.sheet_id, e.status, e.extra, e.at, "  # noqa: S608 - names from model metadata
        f"e.read_at, EXISTS (SELECT 1 FROM {table} o WHERE o.user_id = e.user_id "
        "AND o.box = e.box AND o.sheet_id = e.sheet_id AND o.seq IS NOT NULL "
        f"AND o.read_at IS NULL) AS already_unread FROM {table} e "
        f"WHERE {where} AND e.seq IS NULL ORDER BY e.user_id, e.id"
    )
    # A raw queryset applies the fields' converters (JSON, time zones) on every backend.
    return list(InboxEvent.objects.raw(sql, params))


def _update_rows(model: type[models.Model], key: str, fields: list[str], rows: list[tuple]) -> None:
    """``UPDATE ... FROM (VALUES ...)``: one statement for many rows with different values.

    Django's bulk_update builds a CASE expression per row and field, which costs more Python
    time than the whole rest of a numbering run. PostgreSQL and SQLite (3.33+) both accept
    this form, and both name the columns of a bare VALUES list column1, column2, ...
    PostgreSQL gets one array per column instead (``unnest``), for a statement text that does
    not grow with the rows (see ``member_of``). Every value here is an integer."""
    for start in range(0, len(rows), UPDATE_BATCH):
        sql, params = _update_sql(model, key, fields, rows[start : start + UPDATE_BATCH])
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def _update_sql(
    model: type[models.Model], key: str, fields: list[str], batch: list[tuple]
) -> tuple[str, list]:
    """The statement and parameters of ``_update_rows`` for one batch."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    assignments = ", ".join(f"{quote(field)} = v.column{n}" for n, field in enumerate(fields, 2))
    names = ", ".join(f"column{n}" for n in range(1, len(fields) + 2))
    if connection.vendor == "postgresql":
        source = f"unnest({', '.join(['%s'] * (len(fields) + 1))}) AS v ({names})"
        params = [list(column) for column in zip(*batch, strict=True)]
    else:
        row = "(" + ", ".join(["%s"] * (len(fields) + 1)) + ")"
        source = f"(VALUES {', '.join([row] * len(batch))}) AS v"
        params = [value for row in batch for value in row]
    sql = (
        f"UPDATE {table} SET {assignments} FROM {source} "  # noqa: S608 - names from model metadata
        f"WHERE {table}.{quote(key)} = v.column1"
    )
    return sql, params


def _stale(user_id: int) -> QuerySet[InboxEvent]:
    return InboxEvent.objects.filter(
        user_id=user_id, seq__isnull=True, at__lt=timezone.now() - STALE_AFTER
    )


def resync_state(user_id: int) -> tuple[int, bool]:
    """``(last_seq, whether a lost numbering run left events unnumbered)`` in one plain SQL
    statement, also for a user with no inbox row yet (``last_seq`` 0): what an open socket's
    periodic resync needs to decide whether it has anything to do. Every open socket runs it
    twice a minute on its worker's one database thread, which the HTTP views share, so it
    costs one round trip and no ORM compilation (2,000 sockets: ~67 a second)."""
    with connection.cursor() as cursor:
        cursor.execute(_RESYNC_STATE_SQL, [user_id, user_id, timezone.now() - STALE_AFTER])
        last_seq, stale = cursor.fetchone()
    return int(last_seq or 0), bool(stale)


_RESYNC_STATE_SQL = (
    f"SELECT (SELECT last_seq FROM {UserInbox._meta.db_table} WHERE user_id = %s), "  # noqa: S608
    f"EXISTS (SELECT 1 FROM {InboxEvent._meta.db_table} "
    "WHERE user_id = %s AND seq IS NULL AND at < %s)"
)


def number_stale(user_id: int) -> tuple[list[InboxEvent], dict[int, UserInbox]]:
    """Number ``user_id``'s events whose numbering run was lost (older than ``STALE_AFTER``).

    Called where a user reads their inbox (socket connect, resync, catch-up, the HTTP API), so a
    lost run delays an event but never hides it."""
    if not _stale(user_id).exists():
        return [], {}
    return number_pending([user_id])
