"""Delete read inbox events older than the catch-up window, in batches (safe to re-run).

Unread events are kept whatever their age: they hold the unread counts. ``seq`` numbering is
unaffected (it lives in UserInbox), so a client that catches up from before the window simply
receives fewer events and reloads its lists through the API.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from referral_hub.inbox.models import InboxEvent


class Command(BaseCommand):
    help = "Delete read inbox events older than --days (default 90), in batches."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=90, help="keep read events this long")
        parser.add_argument("--batch", type=int, default=5000, help="rows per DELETE")

    def handle(self, *args: Any, days: int, batch: int, **options: Any) -> None:
        if days < 1 or batch < 1:
            self.stderr.write("--days and --batch must be at least 1")
            return
        cutoff = timezone.now() - timedelta(days=days)
        old_read = InboxEvent.objects.filter(read_at__isnull=False, at__lt=cutoff)
        total = 0
        while True:
            ids = list(old_read.order_by("pk").values_list("pk", flat=True)[:batch])
            if not ids:
                break
            deleted, _ = InboxEvent.objects.filter(pk__in=ids).delete()
            total += deleted
            self.stdout.write(f"deleted {total} read events older than {days} days…")
        self.stdout.write(self.style.SUCCESS(f"done: {total} events deleted"))
