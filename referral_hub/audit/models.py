"""The audit log: append-only, hash-chained events, and the privacy officer's review queue.

Only :func:`referral_hub.audit.log.record` writes events. Once written, an event can never be
changed or removed through Django; on PostgreSQL a trigger refuses it in the database too
(migration 0002). ``resident_id`` and ``actor_id`` are plain integers, not foreign keys: the log
must outlive the rows it mentions and must not depend on any domain app.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from referral_hub.audit import chain
from referral_hub.audit.fields import CanonicalJSONField


class AuditLogImmutable(Exception):
    """Raised on any attempt to change or delete an audit event through Django."""


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise AuditLogImmutable("audit events are append-only: update refused")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AuditLogImmutable("audit events are append-only: delete refused")

    def bulk_update(self, *args: Any, **kwargs: Any) -> int:
        raise AuditLogImmutable("audit events are append-only: bulk_update refused")

    # The refusing overrides need not match the signatures they refuse.
    def bulk_create(self, *args: Any, **kwargs: Any) -> list[AuditEvent]:  # type: ignore[override]
        raise AuditLogImmutable("audit events are written one by one through audit.log.record")

    def update_or_create(self, *args: Any, **kwargs: Any) -> tuple[AuditEvent, bool]:  # type: ignore[override]
        raise AuditLogImmutable("audit events are append-only: update_or_create refused")

    def disclosures(self) -> AuditEventQuerySet:
        """Allowed events that disclosed a resident's data (reads, sends, exports...)."""
        from referral_hub.audit.disclosures import disclosure_filter

        return self.filter(disclosure_filter())


class AuditEvent(models.Model):
    seq: models.BigIntegerField[int, int] = models.BigIntegerField(
        primary_key=True, help_text="Gap-free position in the chain, from 1."
    )
    at: models.DateTimeField[datetime, datetime] = models.DateTimeField(db_index=True)
    actor_id: models.BigIntegerField[int | None, int | None] = models.BigIntegerField(
        null=True, blank=True, db_index=True
    )
    # Columns fed from outside the audit app (the actor's place snapshot, ids taken from URLs,
    # the client address) are unbounded text: an event must never fail to insert because a
    # value is longer than expected (issue 15: a clerk in five departments could not sign in on
    # PostgreSQL, whose varchar(64) refused the place list that SQLite silently kept).
    actor_username: models.TextField[str, str] = models.TextField(blank=True)
    actor_desk: models.TextField[str, str] = models.TextField(blank=True, db_index=True)
    action: models.CharField[str, str] = models.CharField(max_length=64, db_index=True)
    target_type: models.CharField[str, str] = models.CharField(max_length=32, blank=True)
    target_id: models.TextField[str, str] = models.TextField(blank=True)
    resident_id: models.BigIntegerField[int | None, int | None] = models.BigIntegerField(
        null=True, blank=True, db_index=True
    )
    legal_basis: models.CharField[str, str] = models.CharField(max_length=32, blank=True)
    allowed: models.BooleanField[bool, bool] = models.BooleanField(default=True)
    refusal_code: models.CharField[str, str] = models.CharField(max_length=64, blank=True)
    request_id: models.CharField[str, str] = models.CharField(max_length=64, blank=True)
    client_ip: models.TextField[str, str] = models.TextField(
        blank=True, help_text="A valid IP address or empty (audit.middleware.client_ip)."
    )
    details: CanonicalJSONField = CanonicalJSONField(default=dict, blank=True)
    version: models.PositiveSmallIntegerField[int, int] = models.PositiveSmallIntegerField(
        default=chain.HASH_VERSION
    )
    prev_hash: models.CharField[str, str] = models.CharField(max_length=64)
    hash: models.CharField[str, str] = models.CharField(max_length=64)

    objects: ClassVar[AuditEventQuerySet] = AuditEventQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["seq"]
        default_permissions = ("view",)
        indexes = [models.Index(fields=["actor_id", "at"], name="audit_actor_at")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditLogImmutable("audit events are append-only: update refused")
        if not getattr(self, "_sealed", False):
            raise AuditLogImmutable("audit events are written only through audit.log.record")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AuditLogImmutable("audit events are append-only: delete refused")

    def computed_hash(self) -> str:
        """The hash this event's fields should have; differs from ``hash`` if it was altered."""
        return chain.event_hash(
            version=self.version,
            seq=self.seq,
            at=chain.format_time(self.at),
            actor_id=self.actor_id,
            actor_username=self.actor_username,
            actor_desk=self.actor_desk,
            action=self.action,
            target_type=self.target_type,
            target_id=self.target_id,
            resident_id=self.resident_id,
            legal_basis=self.legal_basis,
            allowed=self.allowed,
            refusal_code=self.refusal_code,
            request_id=self.request_id,
            client_ip=self.client_ip,
            details=self.details,
            prev_hash=self.prev_hash,
        )


class ChainHead(models.Model):
    """One row holding the chain's last ``seq`` and ``hash``.

    Appending locks this row (``UPDATE ... RETURNING``), so writers from any number of
    processes take turns and the chain never forks. It is bookkeeping, not evidence: the
    verifier trusts the events and the signed checkpoints, and uses this row only as one more
    way to notice a truncated tail.
    """

    id: models.PositiveSmallIntegerField[int, int] = models.PositiveSmallIntegerField(
        primary_key=True, default=1
    )
    seq: models.BigIntegerField[int, int] = models.BigIntegerField(default=0)
    hash: models.CharField[str, str] = models.CharField(max_length=64, default=chain.GENESIS_HASH)

    class Meta:
        default_permissions = ()

    def __str__(self) -> str:
        return f"head #{self.seq}"


class DisclosureReview(models.Model):
    """A disclosure made without consent (support meeting, vital interest) awaiting the
    privacy officer's decision."""

    class Status(models.TextChoices):
        PENDING = "pending", _("未確認")
        APPROVED = "approved", _("承認")
        FLAGGED = "flagged", _("要確認 (指摘)")

    event: models.OneToOneField[AuditEvent, AuditEvent] = models.OneToOneField(
        AuditEvent, on_delete=models.PROTECT, related_name="review"
    )
    status: models.CharField[str, str] = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    created_at: models.DateTimeField[datetime, datetime] = models.DateTimeField(auto_now_add=True)
    decided_by: models.ForeignKey[Any, Any] = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at: models.DateTimeField[datetime | None, datetime | None] = models.DateTimeField(
        null=True, blank=True
    )
    note: models.TextField[str, str] = models.TextField(blank=True)

    event_id: int

    class Meta:
        ordering = ["-event_id"]
        default_permissions = ("view",)
        permissions = [
            ("review_disclosure", "Can approve or flag disclosures made without consent")
        ]

    def __str__(self) -> str:
        return f"review of #{self.event_id} ({self.status})"
