"""Remove attachment ciphertext that no row references (``manage.py vault_gc``).

Uploads are encrypted into storage before the short transaction that records their row
(vault/staging.py). A worker killed between the two, or a failed clean-up, leaves an object
nobody references; its data key row, if any, points to nothing useful either. This command
deletes objects under ``vault/`` that neither an ``Attachment`` nor a ``ConsentEvidence``
names and that are older than the grace period (``VAULT_GC_GRACE_HOURS``, default 24 h).

Safe while serving: the objects are listed first and the referenced names read afterwards,
so a row committed meanwhile protects its object; an upload still between "stored" and
"recorded" is protected by the grace period, which must exceed the longest upload (hours,
not seconds). Deleting is idempotent: running it twice, or on two hosts, is harmless.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.core.files.storage import Storage
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from referral_hub.consent.models import ConsentEvidence
from referral_hub.handoffs.models import Attachment
from referral_hub.vault.storage import attachment_storage, delete_stored

ROOT = "vault"


def stored_objects(storage: Storage) -> Iterator[str]:
    """Every object name under ``vault/`` (two levels: ``vault/ab/<uuid>.enc``)."""
    try:
        # No exists() check first: object stores (S3) have no directories to ask about.
        directories, files = storage.listdir(ROOT)
    except FileNotFoundError:  # nothing was ever stored
        return
    for name in files:
        yield f"{ROOT}/{name}"
    for directory in directories:
        for name in storage.listdir(f"{ROOT}/{directory}")[1]:
            yield f"{ROOT}/{directory}/{name}"


def referenced_names() -> set[str]:
    names = set(Attachment.objects.values_list("storage_name", flat=True))
    names.update(ConsentEvidence.objects.values_list("storage_name", flat=True))
    return names


def collect(
    *, grace: datetime.timedelta, dry_run: bool = False, storage: Storage | None = None
) -> list[str]:
    """Delete (or with ``dry_run`` only list) unreferenced objects older than ``grace``;
    return their names."""
    storage = storage or attachment_storage()
    listed = list(stored_objects(storage))  # before reading the references: see module doc
    referenced = referenced_names()
    cutoff = timezone.now() - grace
    orphans = []
    for name in listed:
        if name in referenced:
            continue
        try:
            modified = storage.get_modified_time(name)
        except (FileNotFoundError, NotImplementedError):
            continue  # gone meanwhile, or the backend cannot tell its age: keep
        if modified > cutoff:
            continue
        orphans.append(name)
        if not dry_run:
            delete_stored(name, storage=storage)
    return orphans


class Command(BaseCommand):
    help = "Delete attachment ciphertext no row references, older than a grace period."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--grace-hours",
            type=float,
            default=None,
            help="Keep unreferenced objects younger than this (default VAULT_GC_GRACE_HOURS, 24).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Only count what would be deleted."
        )

    def handle(self, *args: Any, grace_hours: float | None, dry_run: bool, **options: Any) -> None:
        hours = settings.VAULT_GC_GRACE_HOURS if grace_hours is None else grace_hours
        if hours < 0:
            raise CommandError("--grace-hours must not be negative")
        orphans = collect(grace=datetime.timedelta(hours=hours), dry_run=dry_run)
        verb = "would delete" if dry_run else "deleted"
        # Object names are random (no personal data), but a count is all an operator needs.
        self.stdout.write(
            f"vault_gc: {verb} {len(orphans)} unreferenced object(s) older than {hours:g} h"
        )
