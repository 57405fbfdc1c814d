"""Exceptions the vault raises. Callers catch ``VaultError`` for "this data cannot be read".

Each subclass names a different operator action: an ``IntegrityFailure`` is an incident
(ciphertext was altered or moved), a ``KeyUnavailable`` is a configuration problem (the
master key that wrapped a data key is missing or wrong), and ``Shredded`` is the expected
end of retention.

The ones a client can act on are also :class:`~referral_hub.domain_errors.DomainError`: their
``code``, ``http_status`` and ``message`` are what the API answers. A bare ``VaultError`` is not
(it is a server fault, answered 500 and logged like any uncaught exception).
"""

from __future__ import annotations

from referral_hub.domain_errors import DomainError


class VaultError(Exception):
    """Base class: protected data could not be stored or read."""


class IntegrityFailure(VaultError, DomainError):
    """Ciphertext failed authentication: tampered, truncated, reordered, or moved (HTTP 500)."""

    code = "integrity_failure"
    http_status = 500
    message = (
        "記録が破損しています。管理者に連絡してください。/ Stored data failed its integrity check."
    )


class KeyUnavailable(VaultError, DomainError):
    """The master key (KEK) needed to unwrap a data key is not configured or is wrong (HTTP 503)."""

    code = "key_unavailable"
    http_status = 503
    message = "暗号鍵が利用できません。管理者に連絡してください。/ Encryption key unavailable."


class KeyringMisconfigured(KeyUnavailable):
    """VAULT_KEYS / VAULT_ACTIVE_KEY / VAULT_INDEX_KEY is missing or malformed."""


class Shredded(VaultError, DomainError):
    """The data key was destroyed (crypto-shredding); the data is gone for good (HTTP 410)."""

    code = "shredded"
    http_status = 410
    message = "保存期間が過ぎたため、この記録は消去されています。/ Erased at the end of retention."


class AttachmentTooLarge(VaultError, DomainError):
    """The upload exceeded the configured maximum size ``max_bytes``; nothing was kept (413)."""

    code = "file_too_large"
    http_status = 413

    def __init__(self, max_bytes: int) -> None:
        super().__init__(f"file is larger than the limit of {max_bytes} bytes")
        self.max_bytes = max_bytes
        self.message = (
            f"ファイルが大きすぎます({max_bytes // (1024 * 1024)} MiB まで)。"
            f" / The file is larger than {max_bytes} bytes."
        )


class ContentTypeRefused(VaultError, DomainError):
    """The file's content is not one of the accepted document or image types.

    ``code`` is ``content_type_refused`` (HTTP 415), ``active_content`` (415: scripts, launch
    actions, embedded files, HTML) or ``empty_file`` (400); ``str(exc)`` is the technical reason,
    ``message`` the text for the API error body."""

    def __init__(self, message: str, *, code: str = "content_type_refused") -> None:
        super().__init__(message)
        self.code = code
        if code == "empty_file":
            self.http_status = 400
            self.message = "ファイルが空です。/ The file is empty."
        elif code == "active_content":
            self.http_status = 415
            self.message = (
                "スクリプト・起動アクション・埋め込みファイル・HTMLを含むファイルは添付できません。"
                "紙をスキャンし直すか、PDFを印刷機能で保存し直してください。"
                f" / The file carries active content ({message}); send a plain scan or photo."
            )
        else:
            self.http_status = 415
            self.message = (
                f"PDF・JPEG・PNG・TIFF・HEIC のスキャンや写真だけを添付できます。 / {message}"
            )
