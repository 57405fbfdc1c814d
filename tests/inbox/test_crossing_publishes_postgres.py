"""Two transactions that publish to the same users in opposite orders both commit.

This is what two desks sending each other sheets at the same moment do (each publishes to
the receiving desk, then to its own staff as the sending side), and what a consent withdrawal
does next to a sheet sent to the same desk. The caller's transaction must hold no inbox lock
that another publisher waits for, or PostgreSQL aborts one of them as a deadlock.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from referral_hub.inbox.models import InboxEvent
from referral_hub.inbox.publish import publish

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent writers (PostgreSQL)")


def _send(first: list[int], second: list[int], between: threading.Barrier, errors: list) -> None:
    from django.db import connection as thread_connection

    try:
        with transaction.atomic():
            publish(first, "sheet.received", box="inbox", sheet_id=1, status="sent")
            between.wait(timeout=10)  # both transactions have published once
            publish(second, "sheet.updated", box="sent", sheet_id=1, status="sent")
    except BaseException as exc:  # noqa: BLE001 - reported by the main thread
        errors.append(exc)
    finally:
        thread_connection.close()


def test_publishing_in_opposite_orders_does_not_deadlock(make_user):
    jiritsu = [make_user().pk for _ in range(3)]
    hogo = [make_user().pk for _ in range(3)]
    errors: list[BaseException] = []
    between = threading.Barrier(2)
    threads = [
        threading.Thread(target=_send, args=(hogo, jiritsu, between, errors)),
        threading.Thread(target=_send, args=(jiritsu, hogo, between, errors)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    for user_id in jiritsu + hogo:
        seqs = sorted(InboxEvent.objects.filter(user_id=user_id).values_list("seq", flat=True))
        assert seqs == [1, 2]
