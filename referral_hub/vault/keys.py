"""Creating, unwrapping and destroying data keys (envelope encryption)."""

from __future__ import annotations

import os

from django.db import transaction
from django.utils import timezone

from referral_hub.vault.errors import Shredded
from referral_hub.vault.keyring import KEY_BYTES, current_keyring
from referral_hub.vault.models import DEK_CACHE_ATTR, DataKey


def new_data_key() -> DataKey:
    """Create and save a fresh random DEK wrapped by the active master key."""
    dek = os.urandom(KEY_BYTES)
    kek_id, wrapped = current_keyring().wrap(dek)
    data_key = DataKey.objects.create(kek_id=kek_id, wrapped=wrapped)
    _remember(data_key, dek)
    return data_key


def unwrap_data_key(data_key: DataKey) -> bytes:
    """Return the plaintext DEK, unwrapping once per DataKey instance.

    The cache lives on the instance and is keyed by (pk, wrapped bytes), so it never
    serves one row's key for another row, and a refreshed instance whose key was shredded
    or re-wrapped meanwhile is checked again.
    """
    if data_key.shredded_at is not None or data_key.wrapped is None:
        _forget(data_key)
        raise Shredded(f"data key {data_key.pk} was shredded at {data_key.shredded_at}")
    wrapped = bytes(data_key.wrapped)
    cached = data_key.__dict__.get(DEK_CACHE_ATTR)
    if cached is not None and cached[0] == data_key.pk and cached[1] == wrapped:
        return cached[2]
    dek = current_keyring().unwrap(data_key.kek_id, wrapped, what=f"data key {data_key.pk}")
    _remember(data_key, dek)
    return dek


def shred(data_key: DataKey) -> None:
    """Destroy the wrapped key so everything encrypted under it is unrecoverable.

    Backups still hold the old wrapped value; it becomes useless once the master key
    that wrapped it is retired (see docs/operations/keys.md, "Shredding and backups").
    """
    now = timezone.now()
    with transaction.atomic():
        DataKey.objects.filter(pk=data_key.pk).update(wrapped=None, shredded_at=now)
    data_key.wrapped = None
    if data_key.shredded_at is None:
        data_key.shredded_at = now
    _forget(data_key)


def rewrap(data_key: DataKey) -> bool:
    """Re-wrap one data key under the active master key. Content is not re-encrypted:
    the DEK itself is unchanged. Returns False when there was nothing to do."""
    ring = current_keyring()
    if data_key.is_shredded or data_key.kek_id == ring.active_id:
        return False
    dek = unwrap_data_key(data_key)
    kek_id, wrapped = ring.wrap(dek)
    data_key.kek_id = kek_id
    data_key.wrapped = wrapped
    data_key.rotated_at = timezone.now()
    data_key.save(update_fields=["kek_id", "wrapped", "rotated_at"])
    _remember(data_key, dek)
    return True


def _remember(data_key: DataKey, dek: bytes) -> None:
    data_key.__dict__[DEK_CACHE_ATTR] = (data_key.pk, bytes(data_key.wrapped or b""), dek)


def _forget(data_key: DataKey) -> None:
    data_key.__dict__.pop(DEK_CACHE_ATTR, None)
