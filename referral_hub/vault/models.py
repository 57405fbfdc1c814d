"""Data keys: one random 256-bit key (DEK) per protected object, stored only wrapped.

The wrapping master key (KEK) lives in the environment (see ``keyring``). Destroying
``wrapped`` (``keys.shred``) makes every field and attachment encrypted under this data
key unreadable, which is how retention erases a resident's data (crypto-shredding).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import models
from django.utils import timezone

# Name under which ``keys.unwrap_data_key`` caches the unwrapped key on an instance.
DEK_CACHE_ATTR = "_vault_unwrapped"


class DataKey(models.Model):
    kek_id: models.CharField[str, str] = models.CharField(
        max_length=32, db_index=True, help_text="Id of the master key that wraps this key."
    )
    wrapped: models.BinaryField[bytes | None, bytes | None] = models.BinaryField(
        null=True, editable=False, help_text="AES-KW wrapped key; NULL once shredded."
    )
    created_at: models.DateTimeField[datetime, datetime] = models.DateTimeField(
        default=timezone.now, editable=False
    )
    shredded_at: models.DateTimeField[datetime | None, datetime | None] = models.DateTimeField(
        null=True, blank=True, editable=False
    )
    rotated_at: models.DateTimeField[datetime | None, datetime | None] = models.DateTimeField(
        null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = "data key"

    def __str__(self) -> str:
        state = "shredded" if self.is_shredded else f"wrapped by {self.kek_id}"
        return f"DataKey {self.pk} ({state})"

    def __getstate__(self) -> dict[str, Any]:
        # Never let an unwrapped key travel through pickling (caches, sessions, copies).
        state = super().__getstate__()
        state.pop(DEK_CACHE_ATTR, None)
        return state

    @property
    def is_shredded(self) -> bool:
        return self.shredded_at is not None or self.wrapped is None
