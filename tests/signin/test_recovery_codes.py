"""Recovery codes: ten, shown once, stored hashed, each usable once (for signing in or for
step-up), replaced as a set."""

from __future__ import annotations

import pytest

from referral_hub.signin.models import RecoveryCode
from tests.signin.conftest import enrol_totp, post_json, token_client, token_for

pytestmark = pytest.mark.django_db


def _enrolled_with_codes(clock) -> tuple[object, list[str]]:
    client = token_client(token_for("consult1").json()["token"])
    enrol_totp(client, clock)  # confirming counts as a recent use of the factor
    reply = post_json(client, "/me/mfa/recovery-codes/")
    assert reply.status_code == 201, reply.content
    return client, reply.json()["codes"]


def test_codes_are_stored_hashed_and_each_works_once(demo, clock):
    _, codes = _enrolled_with_codes(clock)
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = list(RecoveryCode.objects.filter(user__username="consult1"))
    assert all(row.code_hash.startswith("md5$") or "$" in row.code_hash for row in stored)
    assert not any(code in row.code_hash for code in codes for row in stored)

    first = token_for("consult1", otp=codes[0])
    assert first.status_code == 201, first.content
    again = token_for("consult1", otp=codes[0])
    assert again.status_code == 401 and again.json()["code"] == "mfa_invalid"
    # Typed in capitals and without the dash it is the same code.
    second = token_for("consult1", otp=codes[1].replace("-", "").upper())
    assert second.status_code == 201
    status = token_client(second.json()["token"]).get("/api/v1/me/mfa/").json()
    assert status["recovery_codes_remaining"] == 8


def test_a_new_set_replaces_the_old_one(demo, clock):
    client, old = _enrolled_with_codes(clock)
    new = post_json(client, "/me/mfa/recovery-codes/").json()["codes"]
    assert token_for("consult1", otp=old[2]).status_code == 401
    assert token_for("consult1", otp=new[2]).status_code == 201


def test_codes_need_a_factor_first(demo):
    client = token_client(token_for("consult1").json()["token"])
    reply = post_json(client, "/me/mfa/recovery-codes/")
    assert reply.status_code == 409 and reply.json()["code"] == "no_factor"
