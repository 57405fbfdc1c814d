"""TOTP enrolment and sign-in through the API, with codes computed here from the secret:
``POST /api/v1/auth/token/`` asks for ``otp`` once a factor exists, refuses a wrong or reused
code and accepts one step of clock drift either way, not two."""

from __future__ import annotations

import pyotp
import pytest

from referral_hub.audit.models import AuditEvent
from referral_hub.signin.models import TotpDevice
from tests.signin.conftest import enrol_totp, post_json, token_client, token_for

pytestmark = pytest.mark.django_db


def _signed_in(username: str) -> object:
    reply = token_for(username)
    assert reply.status_code == 201, reply.content
    return token_client(reply.json()["token"])


def test_enrolment_returns_a_secret_and_stays_unconfirmed_until_a_code_is_typed(demo, clock):
    client = _signed_in("consult1")
    started = post_json(client, "/me/mfa/totp/")
    assert started.status_code == 201
    body = started.json()
    assert set(body) == {"secret", "otpauth_uri"}
    assert body["otpauth_uri"].startswith("otpauth://totp/")
    assert pyotp.parse_uri(body["otpauth_uri"]).secret == body["secret"]
    device = TotpDevice.objects.get(user__username="consult1")
    assert device.confirmed_at is None
    # Unconfirmed: signing in does not ask for a code yet.
    assert token_for("consult1").status_code == 201

    wrong = post_json(client, "/me/mfa/totp/confirm/", {"code": "000000"})
    assert wrong.status_code == 401 and wrong.json()["code"] == "mfa_invalid"
    ok = post_json(client, "/me/mfa/totp/confirm/", {"code": clock.code(body["secret"])})
    assert ok.status_code == 200 and ok.json() == {"enrolled": True}
    device.refresh_from_db()
    assert device.confirmed_at is not None
    # The secret is stored encrypted, never as typed.
    assert body["secret"] not in device.secret_ciphertext
    assert AuditEvent.objects.filter(action="mfa.totp_enrolled").count() == 1


def test_sign_in_needs_the_code_once_enrolled(demo, clock):
    secret = enrol_totp(_signed_in("consult1"), clock)
    missing = token_for("consult1")
    assert missing.status_code == 401 and missing.json()["code"] == "mfa_required"
    wrong = token_for("consult1", otp="123456" if clock.code(secret) != "123456" else "654321")
    assert wrong.status_code == 401 and wrong.json()["code"] == "mfa_invalid"
    clock.step()
    ok = token_for("consult1", otp=clock.code(secret))
    assert ok.status_code == 201, ok.content
    me = token_client(ok.json()["token"]).get("/api/v1/me/")
    assert me.status_code == 200


def test_a_code_is_refused_the_second_time(demo, clock):
    secret = enrol_totp(_signed_in("consult1"), clock)
    clock.step()
    code = clock.code(secret)
    assert token_for("consult1", otp=code).status_code == 201
    reused = token_for("consult1", otp=code)
    assert reused.status_code == 401 and reused.json()["code"] == "mfa_invalid"
    # An earlier step's code is refused too once a later one was accepted.
    assert token_for("consult1", otp=clock.code(secret, -1)).status_code == 401


def test_one_step_of_drift_is_allowed_either_way_two_are_not(demo, clock):
    secret = enrol_totp(_signed_in("consult1"), clock)
    clock.step(10)
    too_slow = token_for("consult1", otp=clock.code(secret, -2))
    assert too_slow.status_code == 401
    slow = token_for("consult1", otp=clock.code(secret, -1))
    assert slow.status_code == 201, slow.content
    clock.step(10)
    too_fast = token_for("consult1", otp=clock.code(secret, 2))
    assert too_fast.status_code == 401
    fast = token_for("consult1", otp=clock.code(secret, 1))
    assert fast.status_code == 201, fast.content


def test_wrong_codes_lock_the_factor_out(demo, clock, settings):
    settings.LOGIN_MAX_FAILURES = 3
    secret = enrol_totp(_signed_in("consult1"), clock)
    right = clock.code(secret, 1)
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(3):
        assert token_for("consult1", otp=wrong).status_code == 401
    locked = token_for("consult1", otp=right)
    assert locked.status_code == 429 and locked.json()["code"] == "locked_out"


def test_a_second_enrolment_is_refused_while_one_is_confirmed(demo, clock):
    client = _signed_in("consult1")
    enrol_totp(client, clock)
    again = post_json(client, "/me/mfa/totp/")
    assert again.status_code == 409 and again.json()["code"] == "totp_already_enrolled"
