"""audit_verify reports OK with figures, or fails naming the first bad seq; progress goes to
stderr."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from referral_hub.audit.checkpoints import public_key_text, signing_key, write_checkpoint

from .conftest import attacker_cursor, new_signing_key

pytestmark = pytest.mark.django_db


def test_intact_chain_reports_ok(make_chain, checkpoint_file):
    make_chain(12)
    write_checkpoint()
    out, err = StringIO(), StringIO()
    call_command("audit_verify", "--batch-size", "5", stdout=out, stderr=err)
    assert "audit chain OK: 12 events" in out.getvalue()
    assert "1 checkpoints matched" in out.getvalue()
    assert "verified 12 / 12 events" in err.getvalue()


def test_tampered_chain_fails_naming_the_seq(make_chain, checkpoint_file):
    make_chain(6)
    with attacker_cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET target_id = '0' WHERE seq = 3")
    with pytest.raises(CommandError, match="FAILED at seq 3"):
        call_command("audit_verify", "--no-progress", stdout=StringIO(), stderr=StringIO())


def test_checkpoints_of_a_retired_key_are_trusted_when_given(make_chain, checkpoint_file, settings):
    make_chain(2)
    write_checkpoint()
    retired = public_key_text(signing_key().public_key())
    settings.AUDIT_SIGNING_KEY = new_signing_key()
    with pytest.raises(CommandError, match="unknown key"):
        call_command("audit_verify", "--no-progress", stdout=StringIO(), stderr=StringIO())
    out = StringIO()
    call_command(
        "audit_verify", "--no-progress", "--public-key", retired, stdout=out, stderr=StringIO()
    )
    assert "1 checkpoints matched" in out.getvalue()


def test_without_a_key_checkpoints_are_skipped_with_a_warning(
    make_chain, checkpoint_file, settings
):
    make_chain(2)
    write_checkpoint()
    settings.AUDIT_SIGNING_KEY = ""
    err = StringIO()
    call_command("audit_verify", "--no-progress", stdout=StringIO(), stderr=err)
    assert "checkpoints not checked" in err.getvalue()


def test_a_restored_backup_may_end_before_the_newest_checkpoint(make_chain, checkpoint_file):
    make_chain(3)
    write_checkpoint()
    make_chain(2)
    write_checkpoint()
    # A backup taken at seq 3, restored: the head row and the log both end at seq 3.
    with attacker_cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE seq > 3")
        cursor.execute("UPDATE audit_chainhead SET seq = 3")
    with pytest.raises(CommandError, match="FAILED at seq 4"):
        call_command("audit_verify", "--no-progress", stdout=StringIO(), stderr=StringIO())
    out, err = StringIO(), StringIO()
    call_command("audit_verify", "--no-progress", "--allow-shorter", stdout=out, stderr=err)
    assert "audit chain OK: 3 events" in out.getvalue()
    assert "1 checkpoints are newer than this copy" in err.getvalue()
