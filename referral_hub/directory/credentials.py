"""The end of a credential: what logout, a password change and deactivation take away.

- A password change (any path that saves the user: the admin's password form, a password
  page, ``user.set_password(); user.save()``) and deactivation (``is_active=False``) end every
  API token and every stored session of the user, and make their open sockets re-check at once
  (closed within a second: 4401, or 4403 for a deactivated account). One ``pre_save`` /
  ``post_save`` pair on the user model covers every path that saves the model. A bulk
  ``update()`` sends no signal, but still ends every credential at its next use: tokens carry
  a password fingerprint (tokens.py), sessions Django's session auth hash, and both are refused
  for an inactive user. Only the open sockets then wait for their periodic re-check.
- Logout (``POST /logout/``, the admin's logout) ends that session only; the sockets opened
  with it close, the user's other sessions and tokens stay.
- Token revocation: see ``services.revoke_token``.

The browser that changes its own password keeps a fresh session (Django's
``update_session_auth_hash`` rotates it after the save); every other session ends.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from referral_hub.audit.log import record
from referral_hub.directory.models import ApiToken
from referral_hub.inbox.publish import disconnect_user

_CHANGE_ATTR = "_referral_hub_credential_change"


def end_credentials(user: AbstractBaseUser, reason: str) -> tuple[int, int]:
    """End every live token and stored session of ``user`` and re-check their sockets on
    commit; return (tokens ended, sessions ended). ``reason`` is a code for the audit row
    (``password_changed``, ``deactivated``, ``deleted``). The row is written only when
    something ended."""
    with transaction.atomic():
        tokens = ApiToken.objects.filter(user_id=user.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        sessions = _delete_sessions_of(user.pk)
        if tokens or sessions:
            record(
                "auth.credentials_ended",
                target_type="user",
                target_id=user.pk,
                details={"reason": reason, "tokens": tokens, "sessions": sessions},
            )
        disconnect_user(user.pk)
    return tokens, sessions


def _delete_sessions_of(user_id: int) -> int:
    """Delete the stored sessions signed in as ``user_id``. Sessions are not indexed by user,
    so this decodes each unexpired one: a few hundred rows in a municipality, and it runs
    only on a password change or deactivation. Engines that cannot list their sessions (cache)
    rely on Django's session auth hash and the active-user check instead."""
    store_class: Any = import_module(settings.SESSION_ENGINE).SessionStore
    if not hasattr(store_class, "get_model_class"):
        return 0
    model = store_class.get_model_class()
    store = store_class()
    ended = 0
    rows = model.objects.filter(expire_date__gt=timezone.now()).values_list(
        "session_key", "session_data"
    )
    for session_key, data in rows.iterator(chunk_size=500):
        if store.decode(data).get(SESSION_KEY) == str(user_id):
            store_class(session_key=session_key).delete()
            ended += 1
    return ended


def note_credential_change(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    """``pre_save`` of the user model: remember whether this save changes the password or
    deactivates the account (one query, skipped for saves that name other fields only)."""
    setattr(instance, _CHANGE_ATTR, "")
    update_fields = kwargs.get("update_fields")
    if raw or instance.pk is None:
        return
    if update_fields is not None and not {"password", "is_active"} & set(update_fields):
        return
    before = sender._default_manager.filter(pk=instance.pk).values("password", "is_active").first()
    if before is None:
        return
    if before["is_active"] and not instance.is_active:
        setattr(instance, _CHANGE_ATTR, "deactivated")
    elif before["password"] != instance.password:
        setattr(instance, _CHANGE_ATTR, "password_changed")


def end_on_credential_change(
    sender: Any, instance: Any, created: bool = False, raw: bool = False, **kwargs: Any
) -> None:
    """``post_save`` of the user model: end the credentials ``note_credential_change`` saw
    change."""
    reason = getattr(instance, _CHANGE_ATTR, "")
    setattr(instance, _CHANGE_ATTR, "")
    if reason and not created and not raw:
        end_credentials(instance, reason)


def end_on_delete(sender: Any, instance: Any, **kwargs: Any) -> None:
    """``post_delete`` of the user model: tokens went with the row (cascade); stored sessions
    and open sockets (4403) end too."""
    end_credentials(instance, "deleted")


def recheck_on_logout(
    sender: Any, request: HttpRequest | None = None, user: Any = None, **kwargs: Any
) -> None:
    """``user_logged_out`` (page and admin logout): audit the logout, end the session now and
    make the user's sockets re-check; those opened with this session close with 4401.

    Django flushes the session right after this signal; flushing it here first (the second
    flush is a no-op) means the re-check cannot run while the session row still exists."""
    if user is None or not getattr(user, "is_authenticated", False):
        return
    session = getattr(request, "session", None)
    if session is not None:
        session.flush()
    with transaction.atomic():
        record("auth.logout", actor=user, target_type="user", target_id=user.pk)
        disconnect_user(user.pk)
