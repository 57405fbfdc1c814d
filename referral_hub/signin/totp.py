"""TOTP (RFC 6238) with pyotp: enrol, confirm, verify.

pyotp rather than django-otp: django-otp brings its own device models, middleware and admin
login, and the passkeys here need their own models and sign-in flow anyway; pyotp does exactly
the RFC arithmetic (``TOTP.timecode`` and ``generate_otp``) and nothing else. The step
bookkeeping that refuses reuse is the few lines below.

A code is accepted for the current 30-second step or one step either side (clock drift of
one step), and only for a step later than the last one accepted (a code is never used twice).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pyotp
from django.db import transaction
from django.utils import timezone
from pyotp.utils import strings_equal

from referral_hub.audit.log import record
from referral_hub.signin import recovery
from referral_hub.signin.errors import FactorError, mfa_invalid
from referral_hub.signin.factors import forget_cached
from referral_hub.signin.models import TotpDevice
from referral_hub.vault.keys import new_data_key

ISSUER = "Referral Hub"
DRIFT_STEPS = 1


def _now() -> datetime:
    """The clock codes are checked against (tests replace it to cross step boundaries)."""
    return timezone.now()


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=6, interval=30)


@transaction.atomic
def start_enrolment(user: Any) -> tuple[str, str]:
    """Create (or replace) the user's unconfirmed TOTP device; return ``(secret, otpauth_uri)``.

    Raises ``FactorError`` 409 ``totp_already_enrolled`` when a confirmed device exists (remove
    it first). Audited as ``mfa.totp_enrolment_started``."""
    device = TotpDevice.objects.select_for_update().filter(user_id=user.pk).first()
    if device is not None and device.confirmed_at is not None:
        raise FactorError(
            "totp_already_enrolled",
            "認証アプリは登録済みです。変更するには先に削除してください。"
            "/ An authenticator app is already enrolled; remove it first.",
            409,
        )
    if device is None:
        device = TotpDevice(user=user, data_key=new_data_key())
    secret = pyotp.random_base32()
    device.secret = secret
    device.last_step = 0
    device.save()
    record("mfa.totp_enrolment_started", actor=user, target_type="user", target_id=user.pk)
    uri = _totp(secret).provisioning_uri(name=user.get_username(), issuer_name=ISSUER)
    return secret, uri


@transaction.atomic
def confirm(user: Any, code: str) -> None:
    """Confirm the pending device with a code from the app. Raises ``FactorError``
    404 ``totp_not_started`` or 401 ``mfa_invalid``. Audited as ``mfa.totp_enrolled``."""
    device = TotpDevice.objects.select_for_update().filter(user_id=user.pk).first()
    if device is None or device.confirmed_at is not None:
        raise FactorError(
            "totp_not_started",
            "登録中の認証アプリがありません。/ No authenticator app enrolment is pending.",
            404,
        )
    step = _matching_step(device.secret, code, device.last_step)
    if step is None:
        raise mfa_invalid()
    now = timezone.now()
    device.confirmed_at = now
    device.last_step = step
    device.last_used_at = now
    device.save(update_fields=["confirmed_at", "last_step", "last_used_at"])
    forget_cached(user)
    record("mfa.totp_enrolled", actor=user, target_type="user", target_id=user.pk)


def verify(user: Any, code: str) -> bool:
    """Accept ``code`` for the user's confirmed device (drift of one step, never twice). The
    accepted step is stored in its own committed transaction, so a replay in a parallel
    request is refused by the row lock."""
    with transaction.atomic():
        device = (
            TotpDevice.objects.select_for_update()
            .filter(user_id=user.pk, confirmed_at__isnull=False)
            .first()
        )
        if device is None:
            return False
        step = _matching_step(device.secret, code, device.last_step)
        if step is None:
            return False
        device.last_step = step
        device.last_used_at = timezone.now()
        device.save(update_fields=["last_step", "last_used_at"])
    return True


@transaction.atomic
def remove(user: Any, *, actor: Any) -> bool:
    """Remove the user's TOTP device (confirmed or not); audited as ``mfa.totp_removed``. When
    no passkey remains, the recovery codes end too (``mfa.recovery_codes_ended``)."""
    device = TotpDevice.objects.filter(user_id=user.pk).first()
    if device is None:
        return False
    device.delete()
    forget_cached(user)
    record("mfa.totp_removed", actor=actor, target_type="user", target_id=user.pk)
    recovery.end_without_factor(user, actor=actor, reason="totp_removed")
    return True


def _matching_step(secret: str, code: str, after_step: int) -> int | None:
    code = (code or "").strip().replace(" ", "")
    if len(code) != 6 or not code.isdigit():
        return None
    totp = _totp(secret)
    now_step = totp.timecode(_now())
    for step in range(now_step - DRIFT_STEPS, now_step + DRIFT_STEPS + 1):
        if step > after_step and strings_equal(totp.generate_otp(step), code):
            return step
    return None
