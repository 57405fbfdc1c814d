"""Sign the audit chain head and append it to the checkpoint file (run from cron)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from referral_hub.audit.checkpoints import (
    CheckpointError,
    key_id,
    public_key_text,
    signing_key,
    write_checkpoint,
)


class Command(BaseCommand):
    help = (
        "Verify the audit events written since the last checkpoint, then sign (seq, head hash, "
        "time) with AUDIT_SIGNING_KEY and append the checkpoint to AUDIT_CHECKPOINT_PATH. "
        "Lines signed by a key outside AUDIT_SIGNING_KEY and AUDIT_RETIRED_PUBLIC_KEYS are "
        "reported on stderr as unverifiable and do not stop signing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--path", type=Path, help="checkpoint file (default: AUDIT_CHECKPOINT_PATH)"
        )
        parser.add_argument(
            "--show-public-key",
            action="store_true",
            help="print the public key (give it to independent verifiers) and exit",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["show_public_key"]:
                public = signing_key().public_key()
                self.stdout.write(f"{key_id(public)} {public_key_text(public)}")
                return
            checkpoint = write_checkpoint(
                options["path"], warn=lambda message: self.stderr.write(f"warning: {message}")
            )
        except CheckpointError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(checkpoint.to_line().rstrip("\n"))
