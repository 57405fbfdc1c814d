"""One-time recovery codes: printed once, stored hashed (the password hasher, Argon2), each
usable once. Generating a new set replaces the old one."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.utils import timezone

from referral_hub.audit.log import record
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


def use(user: Any, code: str) -> bool:
    """Spend ``code`` if it is one of the user's unused codes; False otherwise. The row is
    locked and marked used in one transaction, so a code works once even under parallel use."""
    wanted = _normalise(code)
    if not wanted:
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
