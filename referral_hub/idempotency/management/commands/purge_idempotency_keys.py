"""``manage.py purge_idempotency_keys``: delete stored answers older than 24 hours.

Safe to run while serving and as often as you like (schedule it nightly). A user's own expired
answers also go whenever that user stores a new one."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from referral_hub.idempotency.store import purge_expired


class Command(BaseCommand):
    help = "Delete idempotency answers older than 24 hours (and their data keys)."

    def handle(self, *args: Any, **options: Any) -> None:
        count = purge_expired()
        self.stdout.write(f"purged {count} idempotency record(s)")
