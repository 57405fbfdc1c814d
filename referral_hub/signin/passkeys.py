"""Passkeys (WebAuthn Level 2) with py_webauthn: registration and use as the second factor.

The relying party is the host the browser used (``WEBAUTHN_RP_ID`` overrides it; ALLOWED_HOSTS
has checked the host already), the expected origin that host with the request's scheme. Each
ceremony's challenge is kept in the session and used once. User verification is preferred,
not required: the password is the first factor, the passkey proves possession of the key.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, InvalidRegistrationResponse
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from referral_hub.audit.log import record
from referral_hub.signin import recovery
from referral_hub.signin.factors import forget_cached
from referral_hub.signin.models import PasskeyCredential

RP_NAME = "Referral Hub"
_REGISTER_CHALLENGE = "signin.passkey_register_challenge"
_AUTH_CHALLENGE = "signin.passkey_auth_challenge"
MAX_PASSKEYS = 10


class PasskeyRefused(Exception):
    """The browser's answer did not verify (or no ceremony was started)."""


def rp_id(request: HttpRequest) -> str:
    return settings.WEBAUTHN_RP_ID or request.get_host().rsplit(":", 1)[0].strip("[]")


def origin(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


def _descriptors(user: Any) -> list[PublicKeyCredentialDescriptor]:
    rows = PasskeyCredential.objects.filter(user_id=user.pk)
    return [
        PublicKeyCredentialDescriptor(
            id=bytes(row.credential_id),
            transports=[AuthenticatorTransport(t) for t in row.transports if t in _TRANSPORTS],
        )
        for row in rows
    ]


_TRANSPORTS = {t.value for t in AuthenticatorTransport}


def registration_options(request: HttpRequest) -> str:
    """JSON ``PublicKeyCredentialCreationOptions`` for the signed-in user; the challenge is
    kept in the session."""
    user: Any = request.user
    options = generate_registration_options(
        rp_id=rp_id(request),
        rp_name=RP_NAME,
        user_id=f"user-{user.pk}".encode(),
        user_name=user.get_username(),
        user_display_name=user.get_username(),
        exclude_credentials=_descriptors(user),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
    )
    request.session[_REGISTER_CHALLENGE] = _challenge_text(options.challenge)
    return options_to_json(options)


def _challenge_text(challenge: bytes) -> str:
    return bytes_to_base64url(challenge)


def register(request: HttpRequest, credential_json: str, name: str) -> PasskeyCredential:
    """Verify the browser's attestation and store the passkey under ``name``. Raises
    ``PasskeyRefused``. Audited as ``mfa.passkey_added``."""
    user: Any = request.user
    challenge = request.session.pop(_REGISTER_CHALLENGE, None)
    if not challenge:
        raise PasskeyRefused("no registration started")
    if PasskeyCredential.objects.filter(user_id=user.pk).count() >= MAX_PASSKEYS:
        raise PasskeyRefused("too many passkeys")
    try:
        verified = verify_registration_response(
            credential=credential_json,
            expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=rp_id(request),
            expected_origin=origin(request),
        )
    except (InvalidRegistrationResponse, ValueError, KeyError, TypeError) as error:
        raise PasskeyRefused(str(error)) from None
    transports = _transports_of(credential_json)
    with transaction.atomic():
        passkey = PasskeyCredential.objects.create(
            user=user,
            name=(name or "").strip()[:64] or "passkey",
            credential_id=verified.credential_id,
            public_key=verified.credential_public_key,
            sign_count=verified.sign_count,
            transports=transports,
        )
        forget_cached(user)
        record(
            "mfa.passkey_added",
            actor=user,
            target_type="passkey",
            target_id=passkey.pk,
            details={"user": user.pk},
        )
    return passkey


def _transports_of(credential_json: str) -> list[str]:
    try:
        value = json.loads(credential_json).get("response", {}).get("transports", [])
    except (ValueError, AttributeError):
        return []
    return [t for t in value if isinstance(t, str) and t in _TRANSPORTS][:5]


def authentication_options(request: HttpRequest, user: Any) -> str:
    """JSON ``PublicKeyCredentialRequestOptions`` naming ``user``'s passkeys."""
    options = generate_authentication_options(
        rp_id=rp_id(request),
        allow_credentials=_descriptors(user),
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    request.session[_AUTH_CHALLENGE] = _challenge_text(options.challenge)
    return options_to_json(options)


def authenticate(request: HttpRequest, user: Any, credential_json: str) -> PasskeyCredential:
    """Verify the browser's assertion against ``user``'s passkey; update its counter. Raises
    ``PasskeyRefused``."""
    challenge = request.session.pop(_AUTH_CHALLENGE, None)
    if not challenge:
        raise PasskeyRefused("no authentication started")
    try:
        raw_id = base64url_to_bytes(json.loads(credential_json)["rawId"])
    except (ValueError, KeyError, TypeError):
        raise PasskeyRefused("malformed credential") from None
    with transaction.atomic():
        passkey = (
            PasskeyCredential.objects.select_for_update()
            .filter(user_id=user.pk, credential_id=raw_id)
            .first()
        )
        if passkey is None:
            raise PasskeyRefused("unknown credential")
        try:
            verified = verify_authentication_response(
                credential=credential_json,
                expected_challenge=base64url_to_bytes(challenge),
                expected_rp_id=rp_id(request),
                expected_origin=origin(request),
                credential_public_key=bytes(passkey.public_key),
                credential_current_sign_count=passkey.sign_count,
            )
        except (InvalidAuthenticationResponse, ValueError, KeyError, TypeError) as error:
            raise PasskeyRefused(str(error)) from None
        passkey.sign_count = verified.new_sign_count
        passkey.last_used_at = timezone.now()
        passkey.save(update_fields=["sign_count", "last_used_at"])
    return passkey


def remove(user: Any, passkey_id: int) -> bool:
    """Remove one of ``user``'s passkeys; audited as ``mfa.passkey_removed``. Removing the last
    real factor ends the recovery codes too (``mfa.recovery_codes_ended``)."""
    with transaction.atomic():
        deleted, _ = PasskeyCredential.objects.filter(user_id=user.pk, pk=passkey_id).delete()
        if deleted:
            forget_cached(user)
            record(
                "mfa.passkey_removed",
                actor=user,
                target_type="passkey",
                target_id=passkey_id,
                details={"user": user.pk},
            )
            recovery.end_without_factor(user, actor=user, reason="passkey_removed")
    return bool(deleted)
