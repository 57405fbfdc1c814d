"""Record and announce sheets whose acknowledgement is overdue, and close support meetings whose
access period has ended (``sweep_meetings``). Run every minute by a process manager (cron,
systemd timer); the demo process runs it itself."""

from django.core.management.base import BaseCommand

from referral_hub.handoffs.periodic import run_registered, sweep_escalations
from referral_hub.handoffs.services import sweep_overdue


class Command(BaseCommand):
    help = "Mark overdue sheets once and notify the owner desk, its leads and the sender."

    def handle(self, *args, **options):
        count = sweep_overdue()
        self.stdout.write(f"overdue sheets recorded: {count}")
        # The first-contact ladder and the stall flag (docs/operations/escalation.md).
        ladder = sweep_escalations()
        self.stdout.write(
            f"escalation rungs recorded: {ladder['escalated']}, stalled sheets: {ladder['stalled']}"
        )
        for name, done in run_registered().items():
            self.stdout.write(f"{name}: {done}")
