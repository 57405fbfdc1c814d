"""What a token-authenticated API request owes (the session side is ``middleware``): the
sign-in's ``amr`` and factor time are attached to the user for step-up, and a user who must
enrol a factor reaches only ``/api/v1/me/mfa/…`` (403 ``mfa_enrolment_required``)."""

from __future__ import annotations

from typing import Any

from referral_hub.api_errors import ApiError
from referral_hub.signin import factors, records
from referral_hub.signin.middleware import ENROLMENT


def check_token_request(path: str, token: Any) -> None:
    """Called by ``directory.authentication`` once a token resolved. Raises ``ApiError``."""
    sign_in = records.for_token(token)
    if sign_in is not None:
        records.touch(sign_in)
    records.attach(token.user, sign_in)
    if factors.enrolment_only(token.user) and not path.startswith(ENROLMENT):
        raise ApiError(
            "mfa_enrolment_required",
            "この役割では2段階認証の登録が必要です。/account/security/ で登録してください。"
            "/ Your role requires a second factor: enrol one at /account/security/.",
            403,
        )
