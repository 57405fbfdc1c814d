"""``publish()``: store one inbox event per recipient now, number and push it after commit.

Service functions call this inside their transaction (architecture.md, inbox). The rows are
written in the caller's transaction, so a rolled-back state change leaves no event; numbering
(``seq``) and the push happen in ``transaction.on_commit``, so no socket ever hears of a change
that did not happen, and the caller's transaction holds no inbox lock (see numbering.py).

Inside an HTTP request the on-commit run waits until the response has been sent
(``request_finished``, which Django sends after the last byte, or when the client went away):
numbering and pushing are the last four statements and the channel-layer round trip of a send,
and the sender need not wait for them (issue 22: ``POST /api/v1/sheets/`` p50). Outside a request
(commands, sockets, tests without the client) it runs at once. A process that dies between the
response and the run leaves the events unnumbered, as one dying right after the commit always
could: they are numbered with the user's next event or by the socket's resync.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any, cast

from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from referral_hub import internals
from referral_hub.inbox.delivery import PUSH, RECHECK, push_to_users
from referral_hub.inbox.models import InboxEvent
from referral_hub.inbox.numbering import member_of, number_pending, number_stale
from referral_hub.inbox.payloads import check_event, event_payload, unread_payload

logger = logging.getLogger(__name__)


def publish(
    user_ids: Iterable[int] | QuerySet[Any, int],
    event_type: str,
    *,
    box: str = "inbox",
    sheet_id: int | None = None,
    status: str | None = None,
    extra: Mapping[str, int | str] | None = None,
) -> None:
    """Store ``event_type`` for every distinct user in ``user_ids``; number and push it on
    commit.

    ``user_ids``: the ids, or a query of them (``values_list(..., flat=True)``), which then runs
    inside the INSERT: the recipients cost no statement of their own. ``box`` is the counter
    the event adds to for its recipients (``inbox``, ``sent`` or ``overdue``). ``extra`` holds
    ids, codes and counts only; anything else raises ``UnsafeEventPayload`` before anything is
    written.
    """
    extra = dict(extra or {})
    check_event(event_type, box, status, extra)
    if isinstance(user_ids, QuerySet):
        recipients = _insert_for_query(user_ids, event_type, box, sheet_id, status or "", extra)
    else:
        recipients = sorted({int(user_id) for user_id in user_ids})
        if recipients:
            _insert_unnumbered(recipients, event_type, box, sheet_id, status or "", extra)
    if recipients:
        _deliver_on_commit(recipients)


INSERT_BATCH = 1000


def _insert_sql(
    event_type: str,
    box: str,
    sheet_id: int | None,
    status: str,
    extra: dict[str, int | str],
) -> tuple[str, str, list[Any]]:
    """``INSERT ... SELECT`` of one event per row of the user table: the statement's head
    (up to ``WHERE``), the user id column to filter on, and the shared values.

    Plain SQL rather than ``bulk_create``: a send publishes to a whole desk inside the sending
    transaction, and the ORM's per-row work was most of the publish; nothing here needs the
    new ids. The fields prepare the JSON and the timestamp for the backend in use. The shared
    values are bound once and the rows come from the user table, so the statement has six
    values plus the recipients, whatever the desk's size."""
    shared = {
        "type": event_type,
        "box": box,
        "sheet_id": sheet_id,
        "status": status,
        "extra": extra,
        "at": timezone.now(),
    }
    fields = {field.attname: field for field in InboxEvent._meta.concrete_fields}
    values = [fields[name].get_db_prep_save(value, connection) for name, value in shared.items()]
    quote = connection.ops.quote_name
    # A concrete field always has a column (the stubs allow None for non-concrete ones).
    columns = ", ".join(quote(cast(str, fields[name].column)) for name in ["user_id", *shared])
    users = InboxEvent._meta.get_field("user").related_model._meta  # type: ignore[union-attr]
    user_id = f"u.{quote(cast(str, users.pk.column))}"
    placeholders = ", ".join(["%s"] * len(values))
    head = (
        f"INSERT INTO {quote(InboxEvent._meta.db_table)} ({columns}) "  # noqa: S608 - names from model metadata
        f"SELECT {user_id}, {placeholders} FROM {quote(users.db_table)} u WHERE "
    )
    return head, user_id, values


def _insert_unnumbered(
    recipients: list[int],
    event_type: str,
    box: str,
    sheet_id: int | None,
    status: str,
    extra: dict[str, int | str],
) -> None:
    """One INSERT of the recipients' rows (``seq`` NULL until numbering); a user deleted
    meanwhile gets none. The ids travel as one array on PostgreSQL."""
    head, user_id, values = _insert_sql(event_type, box, sheet_id, status, extra)
    for start in range(0, len(recipients), INSERT_BATCH):  # bound the statement's parameters
        where, ids = member_of(user_id, recipients[start : start + INSERT_BATCH])
        with connection.cursor() as cursor:
            cursor.execute(head + where, [*values, *ids])


def _insert_for_query(
    query: QuerySet[Any, int],
    event_type: str,
    box: str,
    sheet_id: int | None,
    status: str,
    extra: dict[str, int | str],
) -> list[int]:
    """One INSERT of a row for each user that ``query`` (user ids) names, the query running
    inside it; returns the recipients' ids, sorted (none for a query that names nobody)."""
    try:
        subquery, params = query.query.sql_with_params()
    except EmptyResultSet:  # a filter on an empty list: nobody to tell
        return []
    head, user_id, values = _insert_sql(event_type, box, sheet_id, status, extra)
    sql = f"{head}{user_id} IN ({subquery}) RETURNING {connection.ops.quote_name('user_id')}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, *params])
        return sorted(row[0] for row in cursor.fetchall())


class _DeliveryOnCommit:
    """The on-commit callback of one transaction: numbers and pushes the events of every user
    its publishes addressed, in one run (a sheet send publishes to the desk and to the sender).

    A recipient whose publish was rolled back with a savepoint stays in the set; numbering
    them finds nothing to number, which is harmless."""

    def __init__(self) -> None:
        self.user_ids: set[int] = set()

    def __call__(self) -> None:
        after_response = getattr(_request, "after_response", None)
        if after_response is not None:
            after_response.update(self.user_ids)
        else:
            deliver_pending(self.user_ids)


# The users whose events wait for the response of the request this thread serves (Django serves
# each request's sync code on a thread of its own, from ``request_started`` to
# ``request_finished``), or None outside a request.
_request = threading.local()


def defer_until_response(**kwargs: Any) -> None:
    """``request_started`` receiver: deliveries committed from now on wait for the response."""
    _request.after_response = set()


def deliver_after_response(**kwargs: Any) -> None:
    """``request_finished`` receiver: deliver what the request committed. Connected before
    Django's ``close_old_connections`` (apps.py), which then returns the connection used here."""
    user_ids = getattr(_request, "after_response", None)
    _request.after_response = None
    if user_ids:
        deliver_pending(user_ids)


def _deliver_on_commit(user_ids: list[int]) -> None:
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        active = internals.active_savepoints(connection)
        for entry in internals.pending_on_commit(connection):
            # Join a callback only if it cannot be dropped without this publish being rolled
            # back too (Django drops the callbacks of a rolled-back savepoint).
            joined = entry.callback
            if isinstance(joined, _DeliveryOnCommit) and entry.savepoints <= active:
                joined.user_ids.update(user_ids)
                return
    callback = _DeliveryOnCommit()
    callback.user_ids.update(user_ids)
    transaction.on_commit(callback)


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
