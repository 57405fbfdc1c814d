"""Actions on a person's factors and sign-ins that more than one caller uses."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from referral_hub.audit.log import record
from referral_hub.directory.credentials import end_credentials
from referral_hub.signin import records
from referral_hub.signin.factors import forget_cached
from referral_hub.signin.models import PasskeyCredential, RecoveryCode, TotpDevice


def reset_factors(user: Any, *, actor: Any) -> dict[str, int]:
    """An administrator's reset of a user who lost their factor: remove the TOTP app, every
    passkey and every recovery code, end every session and token (their sockets close), and
    audit ``mfa.factors_reset`` with the counts. The user then signs in with the password and,
    if their role requires it, enrols again before reaching anything else."""
    with transaction.atomic():
        counts = {
            "totp": TotpDevice.objects.filter(user_id=user.pk).delete()[0],
            "passkeys": PasskeyCredential.objects.filter(user_id=user.pk).delete()[0],
            "recovery_codes": RecoveryCode.objects.filter(user_id=user.pk).delete()[0],
        }
        forget_cached(user)
        record(
            "mfa.factors_reset",
            actor=actor,
            target_type="user",
            target_id=user.pk,
            details=counts,
        )
        tokens, sessions = end_credentials(user, "factors_reset")
        records.end_all(user, reason="factors_reset")
    return {**counts, "tokens": tokens, "sessions": sessions}
