"""One stored answer per (user, idempotency key), for 24 hours."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from referral_hub.vault.fields import EncryptedTextField


class IdempotencyRecord(models.Model):
    """The first successful answer to a creating request sent with a key.

    Neither the key nor the request is stored in clear: ``key_hash`` and ``fingerprint`` are
    SHA-256 digests, and the answer (which may carry a resident's name) is encrypted under the
    record's own data key (DESIGN.md invariant 7)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key_hash = models.CharField(max_length=64)
    scope = models.CharField(max_length=64)  # "sheets.create", "page.send", ...
    fingerprint = models.CharField(max_length=64)  # SHA-256 of scope, path and body
    status_code = models.PositiveSmallIntegerField()
    data_key = models.OneToOneField("vault.DataKey", on_delete=models.PROTECT, related_name="+")
    body = EncryptedTextField(key_field="data_key")  # the answer's JSON
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key_hash"], name="idempotency_one_per_key")
        ]

    def __str__(self) -> str:
        return f"IdempotencyRecord #{self.pk} ({self.scope})"
