"""verify_chain(workers=2) reads and checks pages in worker processes and joins them at their
boundaries: the result is the sequential one, naming the same first bad seq in the same words,
wherever the tampering sits (inside a later page or across a page boundary).

Pages are 5 events here, so a 23-event chain is pages 1–5, 6–10, 11–15, 16–20 and 21–23. The
workers read committed rows on connections of their own: PostgreSQL, transactional tests."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection

from referral_hub.audit import verify as verify_module
from referral_hub.audit import verify_parallel
from referral_hub.audit.checkpoints import write_checkpoint
from referral_hub.audit.verify import VerifyResult, verify_chain

from .conftest import attacker_cursor, edit_and_rehash, rehash_from

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

PAGE = 5


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the workers read PostgreSQL on connections of their own")


@pytest.fixture
def ranges(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every RangeCheck the workers send back, in order (proof that they did the reading)."""
    seen: list[Any] = []
    check_ranges = verify_module.check_ranges

    def recording(*args: Any) -> Any:
        for checked in check_ranges(*args):
            seen.append(checked)
            yield checked

    monkeypatch.setattr(verify_module, "check_ranges", recording)
    return seen


def verify_both_ways(**options: Any) -> VerifyResult:
    sequential = verify_chain(batch_size=PAGE, **options)
    parallel = verify_chain(batch_size=PAGE, workers=2, **options)
    assert parallel.as_dict() == sequential.as_dict()
    return parallel


def test_untouched_chain_gives_the_sequential_result(make_chain, checkpoint_file, ranges):
    make_chain(12)
    write_checkpoint()
    events = make_chain(11)
    write_checkpoint()
    result = verify_both_ways()
    assert result.ok, result.reason
    assert (result.entries, result.last_seq, result.head) == (23, 23, events[-1].hash)
    assert result.checkpoints_checked == 2
    assert [(r.first_seq, r.end_seq, r.clean) for r in ranges] == [
        (1, 6, True), (6, 11, True), (11, 16, True), (16, 21, True), (21, 24, True)
    ]  # fmt: skip


def test_tampered_event_in_the_middle_of_a_later_page_is_named(make_chain, checkpoint_file, ranges):
    make_chain(23)
    with attacker_cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET actor_username = 'someone_else' WHERE seq = 18")
    result = verify_both_ways()
    assert (result.ok, result.first_bad_seq, result.entries) == (False, 18, 17)
    assert result.reason == "event 18 was altered: its hash does not match its content"
    assert [r.clean for r in ranges if r.first_seq < 21] == [True, True, True, False]


def test_broken_link_at_a_page_boundary_is_named(make_chain, checkpoint_file, ranges):
    make_chain(23)
    # Event 15 (the last of its page) is edited and re-hashed: each page is consistent on its
    # own, only the link from event 16 (the first of the next page) is broken.
    edit_and_rehash(15, resident_id=99)
    result = verify_both_ways()
    assert (result.first_bad_seq, result.entries) == (15, 15)
    assert "event 16 does not link to event 15" in result.reason
    assert all(r.clean for r in ranges if r.first_seq < 21)


@pytest.mark.parametrize(
    ("statements", "first_bad", "words"),
    [
        (["DELETE FROM audit_auditevent WHERE seq = 16"], 16, "event 16 is missing"),
        (["DELETE FROM audit_auditevent WHERE seq BETWEEN 11 AND 15"], 11, "event 11 is missing"),
        (
            [
                "UPDATE audit_auditevent SET seq = -1 WHERE seq = 15",
                "UPDATE audit_auditevent SET seq = 15 WHERE seq = 16",
                "UPDATE audit_auditevent SET seq = 16 WHERE seq = -1",
            ],
            15,
            "",
        ),
    ],
    ids=["deleted-first-of-a-page", "deleted-whole-page", "swapped-across-a-boundary"],
)
def test_gaps_and_reorders_at_page_boundaries_are_named(
    make_chain, checkpoint_file, statements, first_bad, words
):
    make_chain(23)
    with attacker_cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    result = verify_both_ways()
    assert result.first_bad_seq == first_bad
    assert words in result.reason


def test_rewrite_caught_by_a_checkpoint_inside_a_page(make_chain, checkpoint_file, ranges):
    make_chain(13)
    write_checkpoint()  # signs event 13, in the middle of the page 11–15
    make_chain(10)
    edit_and_rehash(12, resident_id=99)
    rehash_from(13)  # every later link and hash too: only the signed checkpoint can tell
    result = verify_both_ways()
    assert result.first_bad_seq == 1
    assert "the chain was rewritten between seq 1 and 13" in result.reason
    assert all(r.clean for r in ranges)


def test_incremental_verification_gives_the_sequential_result(make_chain, checkpoint_file):
    make_chain(7)
    write_checkpoint()
    make_chain(20)
    intact = verify_both_ways(incremental=True)
    # The checkpointed event 7, then 8..27.
    assert (intact.ok, intact.entries, intact.checkpoints_checked) == (True, 21, 1)
    with attacker_cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET allowed = false WHERE seq = 19")
    assert verify_both_ways(incremental=True).first_bad_seq == 19


def test_command_verifies_with_workers(make_chain, checkpoint_file, ranges):
    make_chain(23)
    out = StringIO()
    call_command(
        "audit_verify", "--workers", "2", "--batch-size", str(PAGE), stdout=out, stderr=StringIO()
    )
    assert "audit chain OK: 23 events" in out.getvalue()
    assert len(ranges) == 5


def test_a_worker_that_cannot_connect_fails_the_run_instead_of_hanging(
    make_chain, checkpoint_file, monkeypatch
):
    make_chain(23)
    params = verify_parallel._plain_connection_params()
    monkeypatch.setattr(
        verify_parallel,
        "_plain_connection_params",
        lambda: {**params, "dbname": "verify_no_such_database"},
    )
    with pytest.raises(ConnectionError, match="cannot connect to the database"):
        verify_chain(batch_size=PAGE, workers=2)
