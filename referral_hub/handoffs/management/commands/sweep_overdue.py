"""Record and announce sheets whose acknowledgement is overdue, and close support meetings whose
access period has ended (``sweep_meetings``). Run every minute by a process manager (cron,
systemd timer); the demo process runs it itself."""

from django.core.management.base import BaseCommand

from referral_hub.handoffs.services import sweep_overdue
from referral_hub.meetings.services import sweep_meetings


class Command(BaseCommand):
    help = "Mark overdue sheets once and notify the owner desk, its leads and the sender."

    def handle(self, *args, **options):
        count = sweep_overdue()
        self.stdout.write(f"overdue sheets recorded: {count}")
        # The periodic work that has a schedule runs here, so one cron line covers it.
        self.stdout.write(f"support meetings closed: {sweep_meetings()}")
