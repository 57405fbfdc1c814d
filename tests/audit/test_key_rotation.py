"""The documented key rotation (docs/operations/audit.md, "Rotating the signing key"), end to
end: one trusted key set from the environment (AUDIT_SIGNING_KEY + AUDIT_RETIRED_PUBLIC_KEYS)
serves the CLI, the API, the 改ざん検知 page and audit_checkpoint. A line signed by a key
outside the set is unverifiable, not altered, and does not stop new checkpoints; an edited
line is altered. Answers name seqs and key ids, never the server's file paths. Issue 16,
input 3."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import CommandError, call_command
from django.test import Client

from referral_hub.audit.checkpoints import (
    CheckpointError,
    append_checkpoint,
    chain_tip,
    key_id,
    public_key_text,
    sign_checkpoint,
    signing_key,
    trusted_keys,
)

from .conftest import new_signing_key

pytestmark = pytest.mark.django_db


def _lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def _cli_verify() -> tuple[int, str]:
    """``audit_verify``'s exit code and everything it said."""
    out, err = StringIO(), StringIO()
    try:
        call_command("audit_verify", "--no-progress", stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode, f"{out.getvalue()}{err.getvalue()}{exc}"
    return 0, out.getvalue() + err.getvalue()


def _checkpoint() -> dict:
    out = StringIO()
    call_command("audit_checkpoint", stdout=out, stderr=StringIO())
    return json.loads(out.getvalue())


def _rotate(settings) -> tuple[str, str]:
    """The documented rotation: the old public key goes to AUDIT_RETIRED_PUBLIC_KEYS, a new
    private key to AUDIT_SIGNING_KEY. Returns (old key id, new key id)."""
    old_public = signing_key().public_key()
    settings.AUDIT_RETIRED_PUBLIC_KEYS = [public_key_text(old_public)]
    settings.AUDIT_SIGNING_KEY = new_signing_key()
    return key_id(old_public), key_id(signing_key().public_key())


@pytest.fixture
def page(officer):
    client = Client()
    client.force_login(officer)

    def get() -> str:
        response = client.get("/audit/integrity/", {"mode": "full"})
        assert response.status_code == 200
        return response.content.decode()

    return get


def test_rotated_key_verifies_everywhere_and_new_checkpoints_are_signed(
    make_chain, checkpoint_file, settings, officer_client, page
):
    make_chain(3)
    first = _checkpoint()
    old_id, new_id = _rotate(settings)
    make_chain(2)
    second = _checkpoint()  # the cron keeps working after the rotation
    assert (first["key_id"], second["key_id"]) == (old_id, new_id)
    assert (first["seq"], second["seq"]) == (3, 5)

    code, said = _cli_verify()
    assert code == 0, said
    assert "audit chain OK: 5 events verified up to seq 5" in said
    assert "2 checkpoints matched" in said

    body = officer_client.get("/api/v1/audit/verify/").json()
    assert (body["ok"], body["status"], body["reason"]) == (True, "ok", "")
    assert (body["checkpoints_checked"], body["unverifiable"]) == (2, [])
    assert body["trusted_keys"] == [new_id, old_id]
    assert body["signing_key_id"] == new_id

    html = page()
    assert "問題は見つかりませんでした。" in html
    assert old_id in html and new_id in html


def test_a_line_signed_by_an_unknown_key_is_unverifiable_not_altered(
    make_chain, checkpoint_file, settings, officer_client, page
):
    make_chain(3)
    _checkpoint()
    _, new_id = _rotate(settings)
    # Key C belongs to no one the server trusts.
    stranger = Ed25519PrivateKey.generate()
    stranger_id = key_id(stranger.public_key())
    append_checkpoint(sign_checkpoint(*chain_tip(), key=stranger))

    body = officer_client.get("/api/v1/audit/verify/").json()
    assert (body["ok"], body["status"], body["first_bad_seq"]) == (True, "unverifiable", None)
    assert body["unverifiable"] == [
        {"line": 2, "seq": 3, "key_id": stranger_id, "reason": "unknown key"}
    ]
    assert "altered" not in json.dumps(body)

    code, said = _cli_verify()
    assert code == 2, said
    assert "audit chain OK: 4 events" in said  # the API's answer was itself audited (seq 4)
    assert f"line 2 (seq 3, key {stranger_id})" in said
    assert "unverifiable: unknown key" in said and "altered" not in said

    html = page()
    assert 'data-status="unverifiable"' in html and "未知の鍵" in html
    assert stranger_id in html and "監査ログに問題が見つかりました。" not in html

    make_chain(1)
    err = StringIO()
    call_command("audit_checkpoint", stdout=StringIO(), stderr=err)  # not refused
    newest = _lines(checkpoint_file)[-1]
    assert (newest["seq"], newest["key_id"]) == (chain_tip()[0], new_id)
    assert f"checkpoint line 2 (seq 3, key {stranger_id}) is unverifiable" in err.getvalue()


def test_an_edited_line_is_altered(make_chain, checkpoint_file, settings, officer_client, page):
    make_chain(3)
    _checkpoint()
    old_id, _ = _rotate(settings)
    make_chain(1)
    _checkpoint()
    text = checkpoint_file.read_text()
    checkpoint_file.write_text(text.replace('"seq":3', '"seq":2', 1))

    body = officer_client.get("/api/v1/audit/verify/").json()
    assert (body["ok"], body["status"]) == (False, "altered")
    assert body["reason"] == (
        "the checkpoint file was altered: checkpoint line 1 (seq 2, key "
        f"{old_id}): signature does not verify"
    )

    code, said = _cli_verify()
    assert code == 1 and "signature does not verify" in said
    assert 'data-status="altered"' in page()
    with pytest.raises(CommandError, match="refusing to sign"):
        call_command("audit_checkpoint", stdout=StringIO(), stderr=StringIO())


def test_verify_answers_never_name_the_checkpoint_files_path(
    make_chain, checkpoint_file, settings, officer_client, page
):
    make_chain(2)
    _checkpoint()
    append_checkpoint(sign_checkpoint(*chain_tip(), key=Ed25519PrivateKey.generate()))
    with open(checkpoint_file, "a") as handle:
        handle.write("not json\n")
    body = officer_client.get("/api/v1/audit/verify/")
    for answer in (body.content.decode(), page(), _cli_verify()[1]):
        assert str(checkpoint_file.parent) not in answer
        assert "checkpoint line 3" in answer or "line 3" in answer


def test_retired_keys_may_carry_their_published_key_id(settings, checkpoint_file):
    public = signing_key().public_key()
    settings.AUDIT_SIGNING_KEY = ""
    published = f"{key_id(public)} {public_key_text(public)}"  # audit_checkpoint --show-public-key
    settings.AUDIT_RETIRED_PUBLIC_KEYS = published.replace(" ", ":")
    assert list(trusted_keys()) == [key_id(public)]
    settings.AUDIT_RETIRED_PUBLIC_KEYS = [published]
    assert list(trusted_keys()) == [key_id(public)]
    settings.AUDIT_RETIRED_PUBLIC_KEYS = [f"ed25519:0000000000000000:{public_key_text(public)}"]
    with pytest.raises(CheckpointError, match="AUDIT_RETIRED_PUBLIC_KEYS entry 1"):
        trusted_keys()


def test_a_malformed_retired_key_is_a_configuration_error_not_tampering(
    make_chain, checkpoint_file, settings, officer_client, page
):
    make_chain(2)
    _checkpoint()
    settings.AUDIT_RETIRED_PUBLIC_KEYS = ["not-a-key"]
    body = officer_client.get("/api/v1/audit/verify/").json()
    assert (body["ok"], body["status"]) == (False, "error")
    assert body["reason"].startswith("cannot load the checkpoint keys: AUDIT_RETIRED_PUBLIC_KEYS")
    assert 'data-status="error"' in page() and "altered" not in body["reason"]
    with pytest.raises(CommandError, match="refusing to sign: cannot load .* entry 1"):
        call_command("audit_checkpoint", stdout=StringIO(), stderr=StringIO())
