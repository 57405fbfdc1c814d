"""Concurrent publishers on PostgreSQL: every user's committed seqs are 1..n with no gap and no
duplicate, and the unread counters still equal a recount."""

from __future__ import annotations

import random
import threading
import time

import pytest
from django.db import connection, transaction

from referral_hub.inbox.models import InboxEvent
from referral_hub.inbox.publish import publish
from referral_hub.inbox.read_state import mark_sheet_read, unread_counts
from tests.inbox.test_unread_counts import counted_from_rows

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

WRITERS = 8
TRANSACTIONS_PER_WRITER = 30
USERS = 6


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite has one writer by design)")


def _writer(number: int, user_ids: list[int], committed: list, errors: list, start) -> None:
    from django.db import connection as thread_connection

    rng = random.Random(number)
    try:
        start.wait()
        for i in range(TRANSACTIONS_PER_WRITER):
            recipients = rng.sample(user_ids, rng.randint(1, len(user_ids)))
            sheet = rng.randint(1, 5)
            with transaction.atomic():
                time.sleep(rng.random() / 500)  # the state change before the publish
                publish(
                    recipients,
                    "sheet.updated",
                    box=rng.choice(["inbox", "sent"]),
                    sheet_id=sheet,
                    status="sent",
                    extra={"writer": number, "n": i},
                )
                time.sleep(rng.random() / 500)
                if i % 5 == 2:
                    transaction.set_rollback(True)  # a failed change: its events must vanish
                    continue
            committed.extend((user_id, number, i) for user_id in recipients)
            if i % 7 == 0:
                mark_sheet_read(rng.choice(user_ids), sheet)
    except BaseException as exc:  # noqa: BLE001 - reported by the main thread
        errors.append(exc)
    finally:
        thread_connection.close()


def test_concurrent_publishes_give_each_user_gap_free_seqs(make_user):
    user_ids = [make_user().pk for _ in range(USERS)]
    committed: list[tuple[int, int, int]] = []
    errors: list[BaseException] = []
    start = threading.Barrier(WRITERS)
    threads = [
        threading.Thread(target=_writer, args=(n, user_ids, committed, errors, start))
        for n in range(WRITERS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []

    for user_id in user_ids:
        rows = list(
            InboxEvent.objects.filter(user_id=user_id)
            .order_by("seq")
            .values_list("seq", "extra", "at")
        )
        assert [seq for seq, _, _ in rows] == list(range(1, len(rows) + 1))
        stored = sorted((extra["writer"], extra["n"]) for _, extra, _ in rows)
        expected = sorted((writer, i) for uid, writer, i in committed if uid == user_id)
        assert stored == expected
        assert unread_counts(user_id) == counted_from_rows(user_id)
