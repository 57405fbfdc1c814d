"""Report rollups: one narrow row per sheet with the timeline facts the reports read.

``SheetFacts`` is kept exact on write by PostgreSQL triggers (migration 0001_rollups): a sheet's
insert creates its row, every timeline event updates it in the same transaction, and changing or
deleting an event recomputes it from the timeline. Nothing in Python writes it, so no write path
can forget it. The reports read it instead of grouping the timeline sheet by sheet
(``reports.figures``); on other databases (the SQLite demo) there are no triggers and the reports
read the timeline directly. ``tests/reports/test_rollups.py`` checks that both give the same
figures for random histories.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models


class SheetFacts(models.Model):
    """The facts of one sheet that the figures need, with the time of each (so a report ``as_of``
    an earlier moment stays exact): first acknowledgement, first contact, first overdue, the last
    owner-period start, redirects, closure and withdrawal, arrival, stalled and connected events,
    contact attempts; and its concerns. ``closed_outcome`` is '' until closed."""

    # The database cascades the delete (constraint added in the migration): the row goes with
    # its sheet however the sheet is deleted, and Django's collector never has to know.
    sheet = models.OneToOneField(
        "handoffs.ConnectSheet",
        primary_key=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    sent_at = models.DateTimeField()
    from_department_id = models.BigIntegerField(null=True)
    urgency = models.CharField(max_length=16)
    ack_due_at = models.DateTimeField()
    first_ack_at = models.DateTimeField(null=True)
    first_contact_at = models.DateTimeField(null=True)
    first_overdue_at = models.DateTimeField(null=True)
    last_period_start_at = models.DateTimeField(null=True)  # last redirect or resend
    redirects = models.PositiveIntegerField(default=0)
    first_redirect_at = models.DateTimeField(null=True)
    last_redirect_at = models.DateTimeField(null=True)
    closed_at = models.DateTimeField(null=True)
    closed_outcome = models.CharField(max_length=32, blank=True, default="")
    withdrawn_at = models.DateTimeField(null=True)
    # Migration 0002 (see rollup_sql): the sheet's concern ids, ascending (NULL only on
    # databases without the triggers, which never read this table); the sheet's arrival, case
    # link and first-contact deadline; the first stalled and connected events; the contact
    # attempts (how many, first, last).
    concern_ids = ArrayField(models.BigIntegerField(), null=True)
    arrived_at = models.DateTimeField(null=True)
    linked_to_id = models.BigIntegerField(null=True)
    first_contact_due_at = models.DateTimeField(null=True)
    first_stalled_at = models.DateTimeField(null=True)
    first_connected_at = models.DateTimeField(null=True)
    attempts = models.PositiveIntegerField(db_default=0)
    first_attempt_at = models.DateTimeField(null=True)
    last_attempt_at = models.DateTimeField(null=True)

    class Meta:
        indexes = [
            models.Index(fields=["sent_at"], name="reports_facts_sent_at"),
            models.Index(fields=["from_department_id", "sent_at"], name="reports_facts_dept_sent"),
            models.Index(fields=["closed_at"], name="reports_facts_closed_at"),
            models.Index(fields=["withdrawn_at"], name="reports_facts_withdrawn_at"),
            models.Index(
                fields=["sent_at"],
                condition=models.Q(closed_at__isnull=True, withdrawn_at__isnull=True),
                name="reports_facts_never_ended",
            ),
            # Index-only reads of a period's concerns and arrivals (migration 0002).
            models.Index(
                fields=["sent_at"], include=["concern_ids"], name="reports_facts_sent_concerns"
            ),
            models.Index(
                fields=["sent_at"],
                include=["from_department_id", "arrived_at"],
                condition=models.Q(arrived_at__isnull=False),
                name="reports_facts_arrived",
            ),
        ]

    def __str__(self) -> str:
        return f"facts of sheet {self.sheet_id}"
