"""Recovery codes end with the person's last real factor, and the audit log tells a password
step that still owes its factor from a completed sign-in."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.test import Client

from referral_hub.audit.models import AuditEvent
from referral_hub.signin import passkeys, recovery
from referral_hub.signin.models import PasskeyCredential, RecoveryCode, TotpDevice
from referral_hub.signin.services import reset_factors
from tests.signin.conftest import (
    DEMO_PASSWORD,
    enrol_totp,
    post_json,
    token_client,
    token_for,
)

pytestmark = pytest.mark.django_db


def _user(username: str = "consult1") -> object:
    return get_user_model().objects.get(username=username)


def _enrolled_with_codes(clock) -> tuple[Client, str, list[str]]:
    client = token_client(token_for("consult1").json()["token"])
    secret = enrol_totp(client, clock)  # confirming counts as a recent use of the factor
    codes = post_json(client, "/me/mfa/recovery-codes/").json()["codes"]
    return client, secret, codes


def _passkey(user: object, name: str = "窓口PC") -> PasskeyCredential:
    return PasskeyCredential.objects.create(
        user=user, name=name, credential_id=name.encode(), public_key=b"\x01"
    )


def _ended_rows(user: object) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(action="mfa.recovery_codes_ended", target_id=str(user.pk))
    )


def test_removing_the_app_with_no_passkey_ends_the_codes(demo, clock):
    client, _, codes = _enrolled_with_codes(clock)
    assert client.get("/api/v1/me/mfa/").json()["recovery_codes_remaining"] == 10

    assert client.delete("/api/v1/me/mfa/totp/").status_code == 204

    status = client.get("/api/v1/me/mfa/").json()
    assert status["totp"] is False and status["recovery_codes_remaining"] == 0
    assert not RecoveryCode.objects.filter(user__username="consult1").exists()
    # The old codes no longer work as a factor (step-up with one is refused).
    refused = post_json(client, "/me/mfa/step-up/", {"otp": codes[0]})
    assert refused.status_code == 401 and refused.json()["code"] == "mfa_invalid"
    user = _user()
    [ended] = _ended_rows(user)
    assert ended.actor_id == user.pk
    assert ended.details == {"count": 10, "reason": "totp_removed"}
    removed = AuditEvent.objects.get(action="mfa.totp_removed")
    assert removed.seq < ended.seq


def test_codes_stay_while_a_passkey_remains_and_end_with_the_last_one(demo, clock):
    client, _, codes = _enrolled_with_codes(clock)
    user = _user()
    first, second = _passkey(user, "窓口PC"), _passkey(user, "予備キー")

    assert client.delete("/api/v1/me/mfa/totp/").status_code == 204
    assert client.get("/api/v1/me/mfa/").json()["recovery_codes_remaining"] == 10
    assert passkeys.remove(user, first.pk)
    assert recovery.remaining(user) == 10 and not _ended_rows(user)
    # A code still stands in for the lost passkey while one remains.
    assert recovery.use(user, codes[0])

    assert passkeys.remove(user, second.pk)
    assert recovery.remaining(user) == 0
    assert not recovery.use(user, codes[1])
    [ended] = _ended_rows(user)
    assert ended.details == {"count": 10, "reason": "passkey_removed"}


def test_removing_a_passkey_keeps_the_codes_while_the_app_remains(demo, clock):
    _, _, _ = _enrolled_with_codes(clock)
    user = _user()
    only = _passkey(user)
    assert passkeys.remove(user, only.pk)
    assert recovery.remaining(user) == 10 and not _ended_rows(user)


def test_the_administrators_reset_removes_the_codes_and_counts_them(demo, clock):
    _, _, codes = _enrolled_with_codes(clock)
    user = _user()
    counts = reset_factors(user, actor=_user("admin"))
    assert counts["recovery_codes"] == 10
    assert recovery.remaining(user) == 0 and not recovery.use(user, codes[0])
    row = AuditEvent.objects.get(action="mfa.factors_reset", target_id=str(user.pk))
    assert row.details["recovery_codes"] == 10


def test_codes_left_over_from_before_are_no_factor_without_an_app_or_passkey(demo):
    """Rows written before the codes ended with the factor are refused too."""
    user = _user()
    RecoveryCode.objects.create(user=user, code_hash=make_password("abcde-fghjk"))
    client = token_client(token_for("consult1").json()["token"])
    refused = post_json(client, "/me/mfa/step-up/", {"otp": "abcde-fghjk"})
    assert refused.status_code == 401 and refused.json()["code"] == "mfa_invalid"
    assert RecoveryCode.objects.get(user=user).used_at is None


def _sign_in_rows(user: object, after: int) -> list[tuple[str, bool, dict]]:
    rows = AuditEvent.objects.filter(
        seq__gt=after,
        action__in=["auth.login", "auth.password_ok", "mfa.verified", "mfa.refused"],
        target_id=str(user.pk),
    ).order_by("seq")
    return [(r.action, r.allowed, r.details) for r in rows]


def _last_seq() -> int:
    last = AuditEvent.objects.order_by("-seq").first()
    return last.seq if last else 0


def test_a_sign_in_refused_at_the_factor_is_not_audited_as_a_login(demo, clock):
    _enrolled_with_codes(clock)
    user = _user()
    before = _last_seq()
    clock.step()
    refused = token_for("consult1", otp="000000")
    assert refused.status_code == 401 and refused.json()["code"] == "mfa_invalid"
    rows = _sign_in_rows(user, before)
    assert [(a, ok) for a, ok, _ in rows] == [("auth.password_ok", True), ("mfa.refused", False)]
    assert rows[0][2] == {"factor_pending": True}
    assert rows[1][2] == {"method": "", "purpose": "sign_in"}


def test_a_page_sign_in_completed_with_the_factor(demo, clock):
    _, secret, _ = _enrolled_with_codes(clock)
    user = _user()
    before = _last_seq()
    client = Client()
    assert (
        client.post("/login/", {"username": "consult1", "password": DEMO_PASSWORD}).status_code
        == 302
    )
    clock.step()
    done = client.post("/login/factor/", {"code": clock.code(secret), "next": "/"})
    assert done.status_code == 302
    rows = _sign_in_rows(user, before)
    assert [(a, ok) for a, ok, _ in rows] == [("auth.password_ok", True), ("mfa.verified", True)]
    assert rows[1][2] == {"method": "otp", "purpose": "sign_in"}


def test_without_a_factor_the_password_is_the_whole_sign_in(demo):
    user = _user()
    before = _last_seq()
    assert token_for("consult1").status_code == 201
    rows = _sign_in_rows(user, before)
    assert [(a, ok) for a, ok, _ in rows] == [("auth.login", True)]
    assert not TotpDevice.objects.filter(user=user).exists()
