"""verify_chain() detects every kind of tampering and names the first seq that cannot be
trusted. The attacker here has database superuser rights: the trigger is switched off."""

from __future__ import annotations

import pytest

from referral_hub.audit import chain
from referral_hub.audit.checkpoints import write_checkpoint
from referral_hub.audit.models import AuditEvent
from referral_hub.audit.verify import verify_chain

from .conftest import attacker_cursor, edit_and_rehash, rehash_from

pytestmark = pytest.mark.django_db


def test_untouched_chain_verifies(make_chain, checkpoint_file):
    events = make_chain(10)
    write_checkpoint()
    result = verify_chain()
    assert result.ok, result.reason
    assert (result.entries, result.head, result.first_bad_seq) == (10, events[-1].hash, None)
    assert result.checkpoints_checked == 1


def test_empty_chain_verifies(checkpoint_file):
    write_checkpoint()
    result = verify_chain()
    assert result.ok and result.entries == 0 and result.head == chain.GENESIS_HASH


def test_edited_event_is_named(make_chain, checkpoint_file):
    make_chain(10)
    with attacker_cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET actor_username = 'someone_else' WHERE seq = 5")
    result = verify_chain()
    assert not result.ok
    assert result.first_bad_seq == 5
    assert "altered" in result.reason
    assert result.entries == 4


def test_edited_decision_is_named(make_chain, checkpoint_file):
    make_chain(10)
    with attacker_cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET allowed = false WHERE seq = 7")
    assert verify_chain().first_bad_seq == 7


def test_edited_and_rehashed_event_is_named(make_chain, checkpoint_file):
    make_chain(10)
    edit_and_rehash(5, resident_id=99)
    result = verify_chain()
    assert result.first_bad_seq == 5
    assert "re-hashed" in result.reason


def test_deleted_event_is_named(make_chain, checkpoint_file):
    make_chain(10)
    with attacker_cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE seq = 5")
    result = verify_chain()
    assert result.first_bad_seq == 5
    assert "missing" in result.reason


def test_inserted_event_is_named(make_chain, checkpoint_file):
    events = make_chain(10)
    # Make room at seq 5 and forge a well-formed event that links to event 4.
    with attacker_cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET seq = seq + 1000 WHERE seq >= 5")
        cursor.execute("UPDATE audit_auditevent SET seq = seq - 999 WHERE seq >= 1000")
    forged = AuditEvent(
        seq=5,
        at=events[4].at,
        action="sheet.read",
        resident_id=2,
        details={},
        prev_hash=events[3].hash,
    )
    forged.hash = forged.computed_hash()
    forged._sealed = True
    forged.save()
    result = verify_chain()
    assert result.first_bad_seq == 5
    assert "inserted" in result.reason


def test_reordered_events_are_named(make_chain, checkpoint_file):
    make_chain(10)
    with attacker_cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET seq = -1 WHERE seq = 6")
        cursor.execute("UPDATE audit_auditevent SET seq = 6 WHERE seq = 7")
        cursor.execute("UPDATE audit_auditevent SET seq = 7 WHERE seq = -1")
    result = verify_chain()
    assert result.first_bad_seq == 6


def test_truncated_tail_is_caught_by_the_head_row(make_chain, checkpoint_file):
    make_chain(10)
    with attacker_cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE seq > 7")
    result = verify_chain()
    assert result.first_bad_seq == 8
    assert "tail" in result.reason


def test_truncated_tail_is_caught_by_the_checkpoint(make_chain, checkpoint_file):
    make_chain(10)
    write_checkpoint()
    with attacker_cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE seq > 7")
        # The attacker also rewinds the head row; only the signed checkpoint remembers seq 10.
        cursor.execute(
            "UPDATE audit_chainhead SET seq = 7, hash = (SELECT hash FROM audit_auditevent WHERE seq = 7)"
        )
    result = verify_chain()
    assert result.first_bad_seq == 8
    assert "checkpoint covers seq 10" in result.reason


def test_whole_chain_rewrite_passes_without_checkpoints(make_chain, checkpoint_file):
    make_chain(10)
    with attacker_cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET actor_desk = 'kakei' WHERE seq = 4")
    rehash_from(4)
    # Internally consistent: this is exactly what signed checkpoints are for.
    assert verify_chain().ok


def test_whole_chain_rewrite_is_caught_by_the_checkpoints(make_chain, checkpoint_file):
    for _ in range(10):
        make_chain(1)
        write_checkpoint()
    with attacker_cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET actor_desk = 'kakei' WHERE seq = 4")
    rehash_from(4)
    result = verify_chain()
    assert not result.ok
    assert result.first_bad_seq == 4
    assert "rewritten" in result.reason


def test_rewrite_between_sparse_checkpoints_names_the_untrusted_range(make_chain, checkpoint_file):
    make_chain(2)
    write_checkpoint()
    make_chain(6)
    write_checkpoint()
    with attacker_cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET target_id = '42' WHERE seq = 5")
    rehash_from(5)
    result = verify_chain()
    assert result.first_bad_seq == 3
    assert "between seq 3 and 8" in result.reason


def test_altered_checkpoint_line_is_reported(make_chain, checkpoint_file):
    make_chain(3)
    write_checkpoint()
    text = checkpoint_file.read_text()
    checkpoint_file.write_text(text.replace('"seq":3', '"seq":2'))
    result = verify_chain()
    assert (result.ok, result.status) == (False, "altered")
    assert "checkpoint line 1 (seq 2, key ed25519:" in result.reason
    assert result.reason.endswith("): signature does not verify")


def test_checkpoint_from_a_key_outside_the_trusted_set_is_unverifiable_not_altered(
    make_chain, checkpoint_file, settings
):
    make_chain(3)
    old = write_checkpoint()
    from .conftest import new_signing_key

    settings.AUDIT_SIGNING_KEY = new_signing_key()
    result = verify_chain()
    assert (result.ok, result.status, result.reason) == (True, "unverifiable", "")
    assert result.unverifiable == [
        {"line": 1, "seq": 3, "key_id": old.key_id, "reason": "unknown key"}
    ]


def test_incremental_verification_starts_at_the_latest_checkpoint(make_chain, checkpoint_file):
    make_chain(5)
    write_checkpoint()
    make_chain(5)
    result = verify_chain(incremental=True)
    assert result.ok, result.reason
    assert result.entries == 6  # the checkpointed event 5, then 6..10
    with attacker_cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET action = 'sheet.send' WHERE seq = 8")
    assert verify_chain(incremental=True).first_bad_seq == 8


def test_checkpoint_refuses_to_sign_a_broken_chain(make_chain, checkpoint_file):
    from referral_hub.audit.checkpoints import CheckpointError

    make_chain(5)
    write_checkpoint()
    make_chain(2)
    with attacker_cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET action = 'sheet.send' WHERE seq = 6")
    with pytest.raises(CheckpointError, match="seq 6"):
        write_checkpoint()
