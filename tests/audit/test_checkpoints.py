"""audit_checkpoint signs the chain head with the Ed25519 key and appends it outside the
database; the line verifies with the public key alone."""

from __future__ import annotations

import base64
import json
from io import StringIO

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.core.management import CommandError, call_command

from referral_hub.audit import chain
from referral_hub.audit.checkpoints import Checkpoint, CheckpointError, write_checkpoint

pytestmark = pytest.mark.django_db


def _lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_command_appends_a_signed_line_for_the_head(make_chain, checkpoint_file):
    events = make_chain(3)
    out = StringIO()
    call_command("audit_checkpoint", stdout=out)
    make_chain(1)
    call_command("audit_checkpoint", stdout=StringIO())
    first, second = _lines(checkpoint_file)
    assert (first["seq"], first["head"]) == (3, events[-1].hash)
    assert second["seq"] == 4
    assert first["key_id"].startswith("ed25519:")
    assert first["at"].endswith("Z")
    assert json.loads(out.getvalue()) == first


def test_signature_verifies_with_the_published_public_key(make_chain, checkpoint_file):
    make_chain(2)
    write_checkpoint()
    out = StringIO()
    call_command("audit_checkpoint", "--show-public-key", stdout=out)
    key_id, public_text = out.getvalue().split()
    public = Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(public_text + "=="))
    (line,) = _lines(checkpoint_file)
    assert line["key_id"] == key_id
    checkpoint = Checkpoint(**line)
    public.verify(base64.urlsafe_b64decode(line["sig"] + "=="), checkpoint.signed_bytes())


def test_checkpoint_of_an_empty_log_signs_the_genesis_hash(checkpoint_file):
    checkpoint = write_checkpoint()
    assert (checkpoint.seq, checkpoint.head) == (0, chain.GENESIS_HASH)


def test_missing_key_is_an_error_a_person_can_act_on(settings, tmp_path):
    settings.AUDIT_SIGNING_KEY = ""
    settings.AUDIT_CHECKPOINT_PATH = tmp_path / "c.jsonl"
    with pytest.raises(CommandError, match="AUDIT_SIGNING_KEY is not set"):
        call_command("audit_checkpoint")
    settings.AUDIT_SIGNING_KEY = base64.urlsafe_b64encode(b"short").decode()
    with pytest.raises(CheckpointError, match="32-byte"):
        write_checkpoint()


def test_checkpoint_file_is_only_ever_appended(make_chain, checkpoint_file):
    make_chain(1)
    write_checkpoint()
    before = checkpoint_file.read_bytes()
    make_chain(1)
    write_checkpoint()
    assert checkpoint_file.read_bytes().startswith(before)
