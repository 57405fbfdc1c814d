"""Checking a typed code (TOTP or recovery code) as the second factor, audited either way."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from referral_hub.audit.log import record
from referral_hub.directory.models import LoginThrottle
from referral_hub.directory.services import _count_failure, throttle_key
from referral_hub.signin import recovery, totp
from referral_hub.signin.errors import FactorError, mfa_invalid, mfa_required
from referral_hub.signin.factors import AMR_PASSWORD, AMR_RECOVERY, AMR_TOTP, has_factor


def check_code(user: Any, code: str, *, purpose: str) -> str | None:
    """The method (``otp`` or ``rc``) ``code`` proved for ``user``, or None. ``purpose`` is
    ``sign_in`` or ``step_up``. Audited as ``mfa.verified`` / ``mfa.refused``.

    Wrong codes lock the factor out like wrong passwords lock the password out
    (``LOGIN_MAX_FAILURES`` in a row, then ``LOGIN_LOCKOUT_MINUTES``), under a throttle key of
    their own: a correct password must not reset the count. Raises ``FactorError`` 429
    ``locked_out`` while locked."""
    key = _throttle_key(user)
    now = timezone.now()
    throttle = LoginThrottle.objects.filter(username=key).first()
    if throttle and throttle.locked_until and throttle.locked_until > now:
        audit_factor(user, None, purpose=purpose, code="locked_out")
        raise FactorError(
            "locked_out",
            "確認コードの誤りが続いたため一時的にロックされています。"
            "/ Too many wrong codes; try again later.",
            429,
        )
    method = None
    if totp.verify(user, code):
        method = AMR_TOTP
    elif recovery.use(user, code):
        method = AMR_RECOVERY
    if method is None:
        _count_failure(key, now)
    else:
        LoginThrottle.objects.filter(username=key).delete()
    audit_factor(user, method, purpose=purpose)
    return method


def _throttle_key(user: Any) -> str:
    return throttle_key(f"mfa:{user.pk}")


def audit_factor(user: Any, method: str | None, *, purpose: str, code: str = "mfa_invalid") -> None:
    with transaction.atomic():
        record(
            "mfa.verified" if method else "mfa.refused",
            actor=user,
            target_type="user",
            target_id=user.pk,
            allowed=method is not None,
            refusal_code="" if method else code,
            details={"method": method or "", "purpose": purpose},
        )


def token_factor(user: Any, otp: str) -> list[str]:
    """The ``amr`` of a token about to be issued to ``user`` (``POST /api/v1/auth/token/``):
    ``["pwd"]`` for a user without a factor; ``["pwd", "otp"|"rc"]`` when ``otp`` proves one.
    Raises ``FactorError`` 401 ``mfa_required`` (no ``otp`` from a user who has a factor) or
    401 ``mfa_invalid`` (a wrong or reused code)."""
    if not has_factor(user):
        return [AMR_PASSWORD]
    if not (otp or "").strip():
        raise mfa_required()
    method = check_code(user, otp, purpose="sign_in")
    if method is None:
        raise mfa_invalid()
    return [AMR_PASSWORD, method]
