"""Errors of the sign-in factors (``DomainError``: the API answers with ``code`` and status)."""

from __future__ import annotations

from referral_hub.domain_errors import DomainError


class FactorError(DomainError):
    def __init__(self, code: str, message: str, http_status: int = 400) -> None:
        super().__init__(code)
        self.code = code
        self.message = message
        self.http_status = http_status


def mfa_invalid() -> FactorError:
    return FactorError(
        "mfa_invalid",
        "確認コードが正しくないか、使用済みです。/ The code is wrong or was already used.",
        401,
    )


def mfa_required() -> FactorError:
    return FactorError(
        "mfa_required",
        "2段階目の確認(確認コード)が必要です。/ A second factor (otp) is required.",
        401,
    )
