"""The master key ring (KEKs) and the blind-index key, read lazily from settings.

``VAULT_KEYS="kid1:<urlsafe base64 of 32 bytes>,kid2:<...>"``. ``VAULT_ACTIVE_KEY`` names the
key that wraps new data keys (default: the first listed); every other listed key is kept
only to unwrap data keys that ``manage.py rotate_keys`` has not re-wrapped yet. The keys
live in the environment, never in the database, so a database dump alone reveals nothing.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.keywrap import (
    InvalidUnwrap,
    aes_key_unwrap,
    aes_key_wrap,
)
from django.conf import settings

from referral_hub.vault.errors import KeyringMisconfigured, KeyUnavailable

KEY_BYTES = 32
_KID_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")


def decode_key(encoded: str, *, name: str) -> bytes:
    """Decode a urlsafe (or standard) base64 key, padded or not, and insist on 32 bytes."""
    text = encoded.strip()
    padded = text + "=" * (-len(text) % 4)
    try:
        raw = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise KeyringMisconfigured(f"{name} is not valid base64") from exc
    if len(raw) != KEY_BYTES:
        raise KeyringMisconfigured(
            f"{name} must decode to {KEY_BYTES} bytes, got {len(raw)}; generate one with "
            '`python -c "import base64,os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())"`'
        )
    return raw


@dataclass(frozen=True)
class KeyRing:
    """Parsed master keys. ``repr`` never shows key material."""

    keys: dict[str, bytes] = field(repr=False)
    active_id: str

    def wrap(self, dek: bytes) -> tuple[str, bytes]:
        """Wrap a data key with the active KEK (AES key wrap, RFC 3394)."""
        return self.active_id, aes_key_wrap(self.keys[self.active_id], dek)

    def unwrap(self, kek_id: str, wrapped: bytes, *, what: str = "data key") -> bytes:
        kek = self.keys.get(kek_id)
        if kek is None:
            raise KeyUnavailable(
                f"{what} is wrapped by master key {kek_id!r}, which is not in VAULT_KEYS "
                f"(configured: {', '.join(sorted(self.keys)) or 'none'}). Restore that key, "
                "or the data it protects cannot be read."
            )
        try:
            return aes_key_unwrap(kek, wrapped)
        except InvalidUnwrap as exc:
            raise KeyUnavailable(
                f"master key {kek_id!r} in VAULT_KEYS does not unwrap {what}: the key "
                "material configured under that id is not the one that wrapped it "
                "(or the wrapped key was altered)"
            ) from exc


def parse_keyring(raw: str, active: str = "") -> KeyRing:
    """Parse ``VAULT_KEYS`` / ``VAULT_ACTIVE_KEY``; raise ``KeyringMisconfigured`` with a
    message an operator can act on."""
    if not raw or not raw.strip():
        raise KeyringMisconfigured(
            "VAULT_KEYS is not set: configure at least one master key as "
            "VAULT_KEYS='<key id>:<urlsafe base64 of 32 random bytes>' "
            "(see docs/operations/keys.md)"
        )
    keys: dict[str, bytes] = {}
    for position, entry in enumerate(raw.split(","), start=1):
        entry = entry.strip()
        if not entry:
            continue
        kid, sep, encoded = entry.partition(":")
        kid = kid.strip()
        if not sep or not encoded.strip():
            raise KeyringMisconfigured(
                f"VAULT_KEYS entry {position} must look like '<key id>:<base64 key>'"
            )
        if not _KID_PATTERN.match(kid):
            raise KeyringMisconfigured(
                f"VAULT_KEYS entry {position}: key id {kid!r} must be 1-32 characters "
                "of letters, digits, '_', '-' or '.'"
            )
        if kid in keys:
            raise KeyringMisconfigured(f"VAULT_KEYS lists key id {kid!r} twice")
        keys[kid] = decode_key(encoded, name=f"VAULT_KEYS key {kid!r}")
    if not keys:
        raise KeyringMisconfigured("VAULT_KEYS contains no key")
    active_id = active.strip() or next(iter(keys))
    if active_id not in keys:
        raise KeyringMisconfigured(
            f"VAULT_ACTIVE_KEY={active_id!r} is not one of the ids in VAULT_KEYS "
            f"({', '.join(keys)})"
        )
    return KeyRing(keys=keys, active_id=active_id)


@functools.lru_cache(maxsize=8)
def _cached_keyring(raw: str, active: str) -> KeyRing:
    return parse_keyring(raw, active)


def current_keyring() -> KeyRing:
    """The key ring for the current settings (cached per distinct setting value, so tests
    that override settings see their own keys)."""
    raw = getattr(settings, "VAULT_KEYS", "") or ""
    active = getattr(settings, "VAULT_ACTIVE_KEY", "") or ""
    return _cached_keyring(raw, active)


@functools.lru_cache(maxsize=8)
def _cached_index_key(raw: str) -> bytes:
    if not raw or not raw.strip():
        raise KeyringMisconfigured(
            "VAULT_INDEX_KEY is not set: configure a urlsafe base64 32-byte key for blind "
            "indexes (see docs/operations/keys.md)"
        )
    return decode_key(raw, name="VAULT_INDEX_KEY")


def index_key() -> bytes:
    """The HMAC key for blind indexes. It never changes: rotating it means re-indexing."""
    return _cached_index_key(getattr(settings, "VAULT_INDEX_KEY", "") or "")
