"""Who has a second factor and who must have one (``MFA_REQUIRED_ROLES``).

A person whose role is listed and who has no confirmed factor reaches only enrolment: pages
redirect to ``/account/security/``, the API answers 403 ``mfa_enrolment_required`` and the
admin redirects too (``middleware``, ``authentication``). Several roles: one listed role is
enough to require a factor.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from referral_hub.directory import roles
from referral_hub.signin.models import PasskeyCredential, TotpDevice

# RFC 8176 authentication method reference values recorded in ``SignIn.amr`` and audit rows.
AMR_PASSWORD = "pwd"
AMR_TOTP = "otp"
AMR_PASSKEY = "hwk"  # proof of possession of a hardware-bound key (WebAuthn)
AMR_RECOVERY = "rc"  # a one-time recovery code (not in RFC 8176; documented in sign-in.md)
FACTOR_METHODS = frozenset({AMR_TOTP, AMR_PASSKEY, AMR_RECOVERY})


def has_totp(user: Any) -> bool:
    return TotpDevice.objects.filter(user_id=user.pk, confirmed_at__isnull=False).exists()


def has_passkey(user: Any) -> bool:
    return PasskeyCredential.objects.filter(user_id=user.pk).exists()


def has_factor(user: Any) -> bool:
    """True when the user has a confirmed TOTP app or at least one passkey. Recovery codes alone
    are not a factor: they exist to replace a lost one."""
    if not getattr(user, "is_authenticated", False):
        return False
    cached = getattr(user, "_referral_hub_has_factor", None)
    if cached is None:
        cached = has_totp(user) or has_passkey(user)
        user._referral_hub_has_factor = cached
    return bool(cached)


def required_roles() -> frozenset[str]:
    return frozenset(r.strip() for r in settings.MFA_REQUIRED_ROLES if r.strip())


def factor_required(user: Any) -> bool:
    """Does one of the user's roles require a second factor (``MFA_REQUIRED_ROLES``)?"""
    wanted = required_roles()
    if not wanted or not getattr(user, "is_authenticated", False):
        return False
    return roles.has_role(user, *wanted) or (user.is_superuser and "admin" in wanted)


def enrolment_only(user: Any) -> bool:
    """The user must enrol a factor before reaching anything else."""
    return factor_required(user) and not has_factor(user)


def forget_cached(user: Any) -> None:
    if hasattr(user, "_referral_hub_has_factor"):
        del user._referral_hub_has_factor
