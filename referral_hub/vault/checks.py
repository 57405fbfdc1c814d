"""Startup checks: refuse to run in production without master keys.

Registered as Django system checks (they run before ``runserver``, ``migrate`` and
``check --deploy``). ASGI entry points that skip system checks can call
``require_vault_configured()`` to fail fast with the same messages.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from referral_hub.vault.errors import KeyringMisconfigured
from referral_hub.vault.keyring import index_key, parse_keyring


def _problems() -> list[str]:
    problems = []
    try:
        parse_keyring(
            getattr(settings, "VAULT_KEYS", "") or "",
            getattr(settings, "VAULT_ACTIVE_KEY", "") or "",
        )
    except KeyringMisconfigured as exc:
        problems.append(str(exc))
    try:
        index_key()
    except KeyringMisconfigured as exc:
        problems.append(str(exc))
    return problems


@checks.register(checks.Tags.security)
def check_vault_keys(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    messages: list[checks.CheckMessage] = []
    for problem in _problems():
        if settings.DEBUG:
            messages.append(
                checks.Warning(
                    problem,
                    hint="Demo: `python manage.py init_demo_secrets` writes demo keys to DATA_DIR.",
                    id="vault.W001",
                )
            )
        else:
            messages.append(checks.Error(problem, id="vault.E001"))
    if not getattr(settings, "VAULT_ENCRYPT_ATTACHMENTS", True) and not settings.DEBUG:
        messages.append(
            checks.Error(
                "VAULT_ENCRYPT_ATTACHMENTS is off: attachments would be stored in clear.",
                hint="Switch it off only for benchmarks, never in production.",
                id="vault.E002",
            )
        )
    return messages


def require_vault_configured() -> None:
    """Raise ``ImproperlyConfigured`` when DEBUG is off and the keys are missing/invalid."""
    problems = _problems()
    if problems and not settings.DEBUG:
        raise ImproperlyConfigured("Vault is not configured: " + "; ".join(problems))
