"""Re-wrap every data key under the active master key (VAULT_ACTIVE_KEY).

Content is never re-encrypted: only ``DataKey.wrapped`` changes. The command works on
rows whose ``kek_id`` differs from the active key, so running it again after an
interruption simply continues. Progress goes to stderr. Once ``--status`` reports no key
left under an old master key, that key can be removed from VAULT_KEYS.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import Count

from referral_hub.vault.errors import VaultError
from referral_hub.vault.keyring import current_keyring
from referral_hub.vault.keys import rewrap
from referral_hub.vault.models import DataKey


class Command(BaseCommand):
    help = "Re-wrap data keys under the active master key (resumable; content untouched)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size",
            type=int,
            default=500,
            help="Data keys per transaction (default 500).",
        )
        parser.add_argument(
            "--status",
            action="store_true",
            help="Only report how many live data keys each master key wraps.",
        )

    def handle(self, *args: Any, batch_size: int, status: bool, **options: Any) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        try:
            ring = current_keyring()
        except VaultError as exc:
            raise CommandError(str(exc)) from exc
        if status:
            self._report(ring.active_id)
            return

        pending = DataKey.objects.filter(wrapped__isnull=False).exclude(kek_id=ring.active_id)
        total = pending.count()
        self.stderr.write(f"rotate_keys: {total} data key(s) to re-wrap under {ring.active_id!r}")
        done = 0
        failed: list[int] = []
        last_pk = 0
        while True:
            with transaction.atomic():
                batch = list(
                    pending.filter(pk__gt=last_pk).order_by("pk").select_for_update()[:batch_size]
                )
                if not batch:
                    break
                for data_key in batch:
                    try:
                        if rewrap(data_key):
                            done += 1
                    except VaultError as exc:
                        failed.append(data_key.pk)
                        self.stderr.write(f"rotate_keys: data key {data_key.pk}: {exc}")
                last_pk = batch[-1].pk
            percent = 100 * (done + len(failed)) // total if total else 100
            self.stderr.write(
                f"rotate_keys: {done}/{total} re-wrapped ({percent}%)"
                + (f", {len(failed)} failed" if failed else "")
            )
        if failed:
            raise CommandError(
                f"{len(failed)} data key(s) could not be re-wrapped (first ids: "
                f"{', '.join(map(str, failed[:10]))}); restore the missing master key and "
                "run rotate_keys again"
            )
        self.stdout.write(f"{done} data key(s) re-wrapped under {ring.active_id!r}.")
        self._report(ring.active_id)

    def _report(self, active_id: str) -> None:
        rows = (
            DataKey.objects.filter(wrapped__isnull=False)
            .values("kek_id")
            .annotate(count=Count("pk"))
            .order_by("kek_id")
        )
        for row in rows:
            marker = " (active)" if row["kek_id"] == active_id else " (re-wrap before removing)"
            self.stdout.write(f"{row['kek_id']}: {row['count']} live data key(s){marker}")
        shredded = DataKey.objects.filter(wrapped__isnull=True).count()
        self.stdout.write(f"shredded: {shredded}")
