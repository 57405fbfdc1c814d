"""Errors the meeting services raise; the API maps each by its attributes (``DomainError``)."""

from __future__ import annotations

from referral_hub.consent import refusal_texts
from referral_hub.domain_errors import DomainError


class MeetingNotFound(DomainError):
    """No meeting with this id that the actor may see (HTTP 404): others learn nothing."""

    code = "not_found"
    http_status = 404
    message = "支援会議が見つかりません。/ Support meeting not found."


class MeetingRefused(DomainError):
    """The actor may not do this in this meeting (HTTP 403); ``code`` names the rule and the
    text is the gate's (``consent.refusal_texts``)."""

    http_status = 403

    def __init__(self, code: str, status: int = 403) -> None:
        super().__init__(code)
        self.code = code
        self.http_status = status
        self.message = refusal_texts.text("", code) or code


class MeetingInvalid(DomainError):
    """The request's input breaks a rule (HTTP 400); ``field`` names the field at fault."""

    http_status = 400

    def __init__(self, code: str, message: str, field: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
