"""Exceptions the vault raises. Callers catch ``VaultError`` for "this data cannot be read".

Each subclass names a different operator action: an ``IntegrityFailure`` is an incident
(ciphertext was altered or moved), a ``KeyUnavailable`` is a configuration problem (the
master key that wrapped a data key is missing or wrong), and ``Shredded`` is the expected
end of retention.
"""

from __future__ import annotations


class VaultError(Exception):
    """Base class: protected data could not be stored or read."""


class IntegrityFailure(VaultError):
    """Ciphertext failed authentication: tampered, truncated, reordered, or moved."""


class KeyUnavailable(VaultError):
    """The master key (KEK) needed to unwrap a data key is not configured or is wrong."""


class KeyringMisconfigured(KeyUnavailable):
    """VAULT_KEYS / VAULT_ACTIVE_KEY / VAULT_INDEX_KEY is missing or malformed."""


class Shredded(VaultError):
    """The data key was destroyed (crypto-shredding); the data is gone for good."""


class AttachmentTooLarge(VaultError):
    """The upload exceeded the configured maximum size; nothing was kept."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(f"file is larger than the limit of {max_bytes} bytes")
        self.max_bytes = max_bytes


class ContentTypeRefused(VaultError):
    """The file's content is not one of the accepted document or image types.

    ``code`` is ``content_type_refused`` or ``empty_file`` (for the API error body)."""

    def __init__(self, message: str, *, code: str = "content_type_refused") -> None:
        super().__init__(message)
        self.code = code
