"""Writers in several threads, each with its own PostgreSQL connection, never fork the chain."""

from __future__ import annotations

import random
import threading
import time
from contextlib import nullcontext

import pytest
from django.db import connection, transaction

from referral_hub.audit.log import batched, record
from referral_hub.audit.models import AuditEvent
from referral_hub.audit.verify import verify_chain

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

WRITERS = 8
EVENTS_PER_WRITER = 25


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite has one writer by design)")


def _writer(
    number: int, errors: list[BaseException], start: threading.Barrier, use_batches: bool
) -> None:
    from django.db import connection as thread_connection

    rng = random.Random(number)
    try:
        start.wait()
        for i in range(EVENTS_PER_WRITER):
            with transaction.atomic(), batched() if use_batches else nullcontext():
                # Some work before and after the appends, like a real service function.
                time.sleep(rng.random() / 1000)
                record("sheet.send", resident_id=number, target_type="sheet", target_id=i)
                time.sleep(rng.random() / 1000)
                record("sheet.sent", resident_id=number, target_type="sheet", target_id=i)
                if i % 7 == 3:
                    # A rolled-back transaction must not leave a gap.
                    transaction.set_rollback(True)
    except BaseException as exc:  # noqa: BLE001 - reported by the main thread
        errors.append(exc)
    finally:
        thread_connection.close()


@pytest.mark.parametrize("use_batches", [False, True], ids=["one_by_one", "batched"])
def test_concurrent_appends_form_one_gap_free_chain(use_batches):
    errors: list[BaseException] = []
    start = threading.Barrier(WRITERS)
    threads = [
        threading.Thread(target=_writer, args=(n, errors, start, use_batches))
        for n in range(WRITERS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []

    rolled_back_per_writer = len([i for i in range(EVENTS_PER_WRITER) if i % 7 == 3])
    expected = 2 * WRITERS * (EVENTS_PER_WRITER - rolled_back_per_writer)
    rows = list(AuditEvent.objects.order_by("seq").values_list("seq", "prev_hash", "hash"))
    assert [seq for seq, _, _ in rows] == list(range(1, expected + 1))
    for (_, _, previous_hash), (_, prev_hash, _) in zip(rows, rows[1:], strict=False):
        assert prev_hash == previous_hash
    assert len({h for _, _, h in rows}) == expected

    result = verify_chain()
    assert result.ok, result.reason
    assert result.entries == expected
