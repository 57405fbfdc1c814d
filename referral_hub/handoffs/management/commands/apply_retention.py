"""Crypto-shred connect sheets whose retention period has ended.

A sheet closed or withdrawn more than ``RETENTION_YEARS`` (default 5) ago loses its data key
(summary, resident's words, details, timeline notes, messages) and each attachment's data key;
the attachment objects are deleted from storage too. The rows stay, so statistics and the
audit trail keep their ids, but their content is unrecoverable, in backups as well once the
master keys that wrapped the old data keys are retired (docs/operations/keys.md).

Each sheet is one transaction with one audit event. Running the command again only picks up
sheets that still have a live key, so it is idempotent and can be resumed after interruption.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from referral_hub.audit.log import record
from referral_hub.consent.models import Consent, ConsentEvidence, Resident
from referral_hub.consent.rights_hooks import legal_holds
from referral_hub.handoffs.models import Attachment, ConnectSheet, Status
from referral_hub.vault.keys import shred
from referral_hub.vault.storage import delete_stored


def retention_cutoff(now: datetime.datetime, years: int) -> datetime.datetime:
    """``now`` minus whole calendar years (29 February falls back to the 28th)."""
    try:
        return now.replace(year=now.year - years)
    except ValueError:
        return now.replace(year=now.year - years, day=28)


def expired_sheets(cutoff: datetime.datetime) -> QuerySet[ConnectSheet]:
    """Sheets past retention that still hold a live key (their own or an attachment's). A
    resumed run finds only what is left: a sheet without attachments no longer matches once
    its own key is shredded (an outer join to "no attachment" used to match every sheet)."""
    live_attachment = Attachment.objects.filter(
        sheet=OuterRef("pk"), data_key__shredded_at__isnull=True
    )
    return (
        ConnectSheet.objects.filter(
            status__in=[Status.CLOSED, Status.WITHDRAWN], closed_at__lt=cutoff
        )
        .filter(Q(data_key__shredded_at__isnull=True) | Exists(live_attachment))
        .order_by("pk")
    )


def shred_sheet(sheet_id: int, *, years: int) -> bool:
    """Shred one sheet's keys and record it; False if another run got there first."""
    with transaction.atomic():
        sheet = (
            ConnectSheet.objects.select_for_update(of=("self",))
            .select_related("data_key")
            .get(pk=sheet_id)
        )
        attachments = list(sheet.attachments.select_related("data_key"))
        keys = [sheet.data_key, *(a.data_key for a in attachments)]
        live = [key for key in keys if not key.is_shredded]
        if not live:
            return False
        for key in live:
            shred(key)
        record(
            "sheet.retention_shredded",
            actor=None,
            target_type="sheet",
            target_id=sheet.pk,
            resident_id=sheet.resident_id,
            details={
                "data_keys": len(live),
                "attachments": len(attachments),
                "retention_years": years,
            },
        )
        names = [a.storage_name for a in attachments]
        # Ciphertext without a key is noise; remove it once the shredding has committed.
        transaction.on_commit(lambda: _delete_all(names))
    return True


def expired_residents(cutoff: datetime.datetime) -> QuerySet[Resident]:
    """Residents registered before the cutoff whose every sheet has been shredded (or who never
    had one): nothing needs their identity any more."""
    live_sheets = ConnectSheet.objects.filter(
        resident=OuterRef("pk"), data_key__shredded_at__isnull=True
    )
    return (
        Resident.objects.filter(created_at__lt=cutoff, data_key__shredded_at__isnull=True)
        .exclude(Exists(live_sheets))
        .order_by("pk")
    )


def shred_resident(resident_id: int, *, years: int) -> bool:
    with transaction.atomic():
        resident = (
            Resident.objects.select_for_update(of=("self",))
            .select_related("data_key")
            .get(pk=resident_id)
        )
        if resident.data_key.is_shredded:
            return False
        evidence = list(
            ConsentEvidence.objects.filter(consent__resident=resident).select_related("data_key")
        )
        consents = list(Consent.objects.filter(resident=resident).select_related("data_key"))
        keys = [
            resident.data_key,
            *(e.data_key for e in evidence if not e.data_key.is_shredded),
            # The consents' purpose, witness and withdrawal reason (encrypted, issue 15).
            *(c.data_key for c in consents if not c.data_key.is_shredded),
        ]
        for key in keys:
            shred(key)
        record(
            "resident.retention_shredded",
            actor=None,
            target_type="resident",
            target_id=resident.pk,
            resident_id=resident.pk,
            details={"data_keys": len(keys), "retention_years": years},
        )
        names = [e.storage_name for e in evidence]
        transaction.on_commit(lambda: _delete_all(names))
    return True


class Command(BaseCommand):
    help = "Shred the data keys of sheets closed more than RETENTION_YEARS ago (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Only count the sheets that would be shredded."
        )

    def handle(self, *args: Any, dry_run: bool, **options: Any) -> None:
        years = int(getattr(settings, "RETENTION_YEARS", 5))
        if years < 1:
            raise CommandError("RETENTION_YEARS must be at least 1")
        cutoff = retention_cutoff(timezone.now(), years)
        ids = list(expired_sheets(cutoff).values_list("pk", flat=True))
        self.stderr.write(
            f"apply_retention: {len(ids)} sheet(s) closed before {cutoff:%Y-%m-%d} "
            f"({years} years) still hold live keys"
        )
        if dry_run:
            self.stderr.write(
                f"apply_retention: {expired_residents(cutoff).count()} resident(s) would be shredded"
            )
            return
        # A pending rights request (and a while after its decision) holds the resident's data.
        sheet_residents = dict(
            ConnectSheet.objects.filter(pk__in=ids).values_list("pk", "resident_id")
        )
        holds = legal_holds(set(sheet_residents.values()))
        done = 0
        for position, sheet_id in enumerate(ids, start=1):
            resident_id = sheet_residents.get(sheet_id)
            if resident_id in holds:
                self.stdout.write(
                    f"skipped sheet {sheet_id} (resident {resident_id}): legal hold, "
                    f"{holds[resident_id]}"
                )
            elif shred_sheet(sheet_id, years=years):
                done += 1
            if position % 100 == 0 or position == len(ids):
                self.stderr.write(f"apply_retention: {position}/{len(ids)} processed")
        self.stdout.write(f"{done} sheet(s) shredded.")
        residents = list(expired_residents(cutoff).values_list("pk", flat=True))
        resident_holds = legal_holds(residents)
        for pk in residents:
            if pk in resident_holds:
                self.stdout.write(f"skipped resident {pk}: legal hold, {resident_holds[pk]}")
        shredded_residents = sum(
            shred_resident(pk, years=years) for pk in residents if pk not in resident_holds
        )
        self.stdout.write(f"{shredded_residents} resident(s) shredded.")


def _delete_all(names: list[str]) -> None:
    for name in names:
        delete_stored(name)
