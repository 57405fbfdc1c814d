"""API tokens: random keys shown once, stored as SHA-256, expiring and revocable.

A token also carries a fingerprint of the password it was issued under, as Django's sessions
do (``AbstractBaseUser.get_session_auth_hash``: a salted HMAC of the stored password hash,
keyed with ``SECRET_KEY``). A token whose fingerprint no longer matches is dead, whatever
path changed the password (page, admin, ``set_password()`` then ``save()``, even a bulk
``update()`` that sends no signal).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from referral_hub.directory.models import ApiToken

_TOUCH_INTERVAL = timedelta(minutes=5)
# A salt of its own: a token's fingerprint is never equal to the user's session hash.
_FINGERPRINT_SALT = "referral_hub.directory.tokens.password_fingerprint"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def password_fingerprint(user: AbstractBaseUser, secret: str | None = None) -> str:
    """64 hex characters: HMAC-SHA256 of the user's stored password hash (Django's session
    auth hash mechanism, with this module's salt). ``secret`` defaults to ``SECRET_KEY``."""
    return salted_hmac(
        _FINGERPRINT_SALT, user.password, secret=secret, algorithm="sha256"
    ).hexdigest()


def fingerprint_matches(token: ApiToken) -> bool:
    """True when ``token`` was issued under the user's current password (``SECRET_KEY`` or one
    of ``SECRET_KEY_FALLBACKS``, as Django checks sessions)."""
    if not token.password_fingerprint:
        return False
    for secret in [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]:
        if constant_time_compare(
            token.password_fingerprint, password_fingerprint(token.user, secret)
        ):
            return True
    return False


def create_token(user: AbstractBaseUser) -> tuple[str, ApiToken]:
    key = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        key_hash=hash_key(key),
        prefix=key[:8],
        password_fingerprint=password_fingerprint(user),
        expires_at=timezone.now() + timedelta(hours=settings.API_TOKEN_TTL_HOURS),
    )
    return key, token


def find_token(key: str) -> ApiToken | None:
    """The stored token for ``key`` (live or not), or None when no token has that key. Read
    with its user and its sign-in record (``signin.records.for_token`` then asks no query)."""
    if not key or len(key) > 200:
        return None
    tokens = ApiToken.objects.select_related("user", "sign_in")
    return tokens.filter(key_hash=hash_key(key)).first()


def is_live(token: ApiToken) -> bool:
    """Not revoked, not expired, its user active and its password unchanged."""
    return (
        token.revoked_at is None
        and token.expires_at > timezone.now()
        and token.user.is_active
        and fingerprint_matches(token)
    )


def resolve_token(key: str) -> ApiToken | None:
    """The live token for ``key``, or None when unknown, expired, revoked, issued under a
    password that has since changed, or the user is inactive."""
    token = find_token(key)
    if token is None or not is_live(token):
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > _TOUCH_INTERVAL:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def parse_authorization_header(value: str) -> str | None:
    """The key of an ``Authorization: Token <key>`` header, or None."""
    parts = value.split()
    if len(parts) == 2 and parts[0].lower() == "token":
        return parts[1]
    return None
