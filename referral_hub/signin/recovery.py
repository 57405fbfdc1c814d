"""One-time recovery codes: printed once, stored hashed (the password hasher, Argon2), each
usable once. Generating a new set replaces the old one."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.utils import timezone

from referral_hub.audit.log import record
from referral_hub.signin.factors import forget_cached, has_passkey, has_totp
from referral_hub.signin.models import RecoveryCode

CODE_COUNT = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off paper


def _new_code() -> str:
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def _normalise(code: str) -> str:
    raw = "".join(ch for ch in (code or "").lower() if ch.isalnum())
    return f"{raw[:5]}-{raw[5:]}" if len(raw) == 10 else ""


@transaction.atomic
def generate(user: Any) -> list[str]:
    """Replace the user's recovery codes with ``CODE_COUNT`` new ones and return them (shown
    once). Audited as ``mfa.recovery_codes_generated``."""
    codes = [_new_code() for _ in range(CODE_COUNT)]
    RecoveryCode.objects.filter(user_id=user.pk).delete()
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, code_hash=make_password(code)) for code in codes
    )
    record(
        "mfa.recovery_codes_generated",
        actor=user,
        target_type="user",
        target_id=user.pk,
        details={"count": len(codes)},
    )
    return codes


def remaining(user: Any) -> int:
    return RecoveryCode.objects.filter(user_id=user.pk, used_at__isnull=True).count()


def end_without_factor(user: Any, *, actor: Any, reason: str) -> int:
    """Delete the user's recovery codes when they have no real factor left (no confirmed
    TOTP app, no passkey): the codes stand in for a lost factor and must not outlive the last
    one. Audited as ``mfa.recovery_codes_ended`` (details ``count``, ``reason``) when codes
    were deleted. Returns how many were deleted. Call it inside the removal's transaction."""
    forget_cached(user)
    if has_totp(user) or has_passkey(user):
        return 0
    deleted, _ = RecoveryCode.objects.filter(user_id=user.pk).delete()
    if deleted:
        record(
            "mfa.recovery_codes_ended",
            actor=actor,
            target_type="user",
            target_id=user.pk,
            details={"count": deleted, "reason": reason},
        )
    return deleted


def use(user: Any, code: str) -> bool:
    """Spend ``code`` if it is one of the user's unused codes; False otherwise. The row is
    locked and marked used in one transaction, so a code works once even under parallel use.
    A user with no real factor left has no usable code (``end_without_factor``)."""
    wanted = _normalise(code)
    if not wanted or not (has_totp(user) or has_passkey(user)):
        return False
    with transaction.atomic():
        rows = RecoveryCode.objects.select_for_update().filter(
            user_id=user.pk, used_at__isnull=True
        )
        for row in rows:
            if check_password(wanted, row.code_hash):
                row.used_at = timezone.now()
                row.save(update_fields=["used_at"])
                return True
    return False
