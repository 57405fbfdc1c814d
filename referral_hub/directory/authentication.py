"""DRF authentication with expiring, hashed tokens (``Authorization: Token <key>``)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from referral_hub.audit.log import record
from referral_hub.directory.models import ApiToken
from referral_hub.directory.tokens import (
    find_token,
    fingerprint_matches,
    parse_authorization_header,
    resolve_token,
)


class ExpiringTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        key = parse_authorization_header(header)
        if key is None:
            return None
        token = resolve_token(key)
        if token is None:
            audit_refused_token(key, method=request.method or "", path=request.path)
            raise exceptions.AuthenticationFailed(
                "トークンが無効か期限切れです。/ Token is invalid or expired."
            )
        from referral_hub.signin.authentication import check_token_request  # DRF import cycle

        check_token_request(request.path, token)  # issue 21: step-up context, enrolment only
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


def refusal_reason(token: ApiToken | None) -> str:
    """Why a presented key does not authenticate: ``token_unknown``, ``token_revoked``,
    ``token_expired``, ``account_inactive`` or ``password_changed``."""
    if token is None:
        return "token_unknown"
    if token.revoked_at is not None:
        return "token_revoked"
    if token.expires_at <= timezone.now():
        return "token_expired"
    if not token.user.is_active:
        return "account_inactive"
    if not fingerprint_matches(token):
        return "password_changed"
    return "token_unknown"


def audit_refused_token(key: str, *, method: str, path: str) -> None:
    """Audit a request or socket refused for its token, as other refusals are
    (``allowed=False``, ``refusal_code="invalid_token"``). Nothing of the key is kept: only the
    stored token's id and user id when the key was once issued, the reason, the method
    (``WEBSOCKET`` for a socket) and the path (paths carry ids only, DESIGN.md invariant 8)."""
    token = find_token(key)
    details: dict[str, Any] = {
        "reason": refusal_reason(token),
        "method": method[:16],
        "path": path.replace("\x00", "")[:200],
    }
    if token is not None:
        details["user"] = token.user_id
    with transaction.atomic():
        record(
            "auth.token_refused",
            actor=None,
            target_type="api_token",
            target_id=token.pk if token is not None else "",
            allowed=False,
            refusal_code="invalid_token",
            details=details,
        )


class ExpiringTokenScheme(OpenApiAuthenticationExtension):
    target_class = "referral_hub.directory.authentication.ExpiringTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <key>` from POST /api/v1/auth/token/",
        }
