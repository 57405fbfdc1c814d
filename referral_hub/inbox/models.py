"""Stored inbox events: the outbox that makes live delivery lossless (DESIGN.md invariant 5).

Every event is written in the transaction of the change that caused it and only then pushed to
the channel layer, so a socket that was offline, or a channel layer that was down, catches up
from these rows by sequence number.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class EventType(models.TextChoices):
    SHEET_RECEIVED = "sheet.received"
    SHEET_UPDATED = "sheet.updated"
    SHEET_MESSAGE = "sheet.message"
    SHEET_OVERDUE = "sheet.overdue"
    CONSENT_WITHDRAWN = "consent.withdrawn"


class Box(models.TextChoices):
    """Which unread counter an event adds to for its recipient."""

    INBOX = "inbox"
    SENT = "sent"
    OVERDUE = "overdue"


class UserInbox(models.Model):
    """Per-user inbox state: the last sequence number handed out and the unread counters.

    Numbering (numbering.py) locks this row while it hands out the next numbers, so the
    committed numbers of a user are always 1..n, without gaps or duplicates, and the counters
    change under the same lock. The counters are kept here, not counted on demand, because every
    publish pushes fresh counts to every recipient and counting unread rows would grow with the
    backlog.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    last_seq = models.PositiveBigIntegerField(default=0)
    # Distinct sheets with at least one unread event, per box.
    unread_inbox = models.PositiveIntegerField(default=0)
    unread_sent = models.PositiveIntegerField(default=0)
    unread_overdue = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"inbox of user {self.user_id} @ {self.last_seq}"

    def counts(self) -> dict[str, int]:
        return {box: getattr(self, f"unread_{box}") for box in Box.values}


class InboxEvent(models.Model):
    """One event for one recipient. Ids, codes and statuses only: never personal data."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # Null from the publishing transaction until numbering, right after its commit.
    seq = models.PositiveBigIntegerField(null=True, blank=True)
    type = models.CharField(max_length=32, choices=EventType.choices)
    box = models.CharField(max_length=16, choices=Box.choices, default=Box.INBOX)
    # A plain integer, not a foreign key: the inbox knows no handoffs model (DESIGN.md layout).
    sheet_id = models.BigIntegerField(null=True, blank=True)
    status = models.CharField(max_length=32, blank=True, default="")
    extra = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["user", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["user", "seq"], name="inbox_event_user_seq_unique"),
        ]
        indexes = [
            # Unread counts and mark-read only ever look at unread rows.
            models.Index(
                fields=["user", "box", "sheet_id"],
                condition=Q(read_at__isnull=True),
                name="inbox_event_unread_idx",
            ),
            models.Index(fields=["user", "sheet_id"], name="inbox_event_user_sheet_idx"),
            models.Index(
                fields=["user", "at"],
                condition=Q(seq__isnull=True),
                name="inbox_event_unnumbered_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} #{self.seq} for user {self.user_id}"
