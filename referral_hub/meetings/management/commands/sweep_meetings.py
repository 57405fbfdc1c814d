"""Close support meetings whose information-sharing period (``access_until``) has ended and
notify their conveners. Run with the other periodic work (``sweep_overdue`` runs it too)."""

from django.core.management.base import BaseCommand

from referral_hub.meetings.services import sweep_meetings


class Command(BaseCommand):
    help = "Close support meetings past access_until and notify the convener."

    def handle(self, *args, **options):
        count = sweep_meetings()
        self.stdout.write(f"support meetings closed: {count}")
