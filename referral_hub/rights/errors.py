"""Errors of the rights desk (``DomainError``: the API answers ``{"code","detail"}``)."""

from __future__ import annotations

from referral_hub.domain_errors import DomainError


class RightsError(DomainError):
    def __init__(self, code: str, message: str, *, http_status: int = 400, field: str = ""):
        super().__init__(message)
        self.code = code
        self.message = message
        self.http_status = http_status
        self.field = field


def not_found(request_id: int) -> RightsError:
    return RightsError(
        "not_found", f"請求 {request_id} はありません。/ No such request.", http_status=404
    )


def not_officer() -> RightsError:
    return RightsError(
        "permission_denied",
        "開示等の請求は個人情報保護担当者だけが扱えます。/ Privacy officers only.",
        http_status=403,
    )
