"""DRF authentication with expiring, hashed tokens (``Authorization: Token <key>``)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from referral_hub.directory.tokens import parse_authorization_header, resolve_token


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
            raise exceptions.AuthenticationFailed(
                "トークンが無効か期限切れです。/ Token is invalid or expired."
            )
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


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
