"""Recompute the audit chain and check every signed checkpoint; exit 1 naming the first bad seq,
exit 2 when the chain verifies but some checkpoint lines are signed by unknown keys."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from referral_hub.audit.verify import STATUS_UNVERIFIABLE, ProgressCallback, verify_chain

EXIT_UNVERIFIABLE = 2  # distinct from 1 (altered): a key to configure or lines to look into


class Command(BaseCommand):
    help = (
        "Verify the audit log: every event's hash and link, every checkpoint's signature and "
        "head, and that the chain is not shorter than the latest checkpoint. Checkpoints are "
        "trusted when signed by AUDIT_SIGNING_KEY or a key in AUDIT_RETIRED_PUBLIC_KEYS. "
        "Streams the events with constant memory; progress goes to stderr. Exit 1: altered; "
        "exit 2: checkpoint lines signed by an unknown key."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--checkpoints", type=Path, help="checkpoint file (default: AUDIT_CHECKPOINT_PATH)"
        )
        parser.add_argument(
            "--public-key",
            action="append",
            default=[],
            help="also trust checkpoints signed by this Ed25519 public key (base64, or "
            "'<key id>:<base64>'), e.g. verifying a copied file elsewhere; repeatable. The "
            "server's own set is AUDIT_SIGNING_KEY plus AUDIT_RETIRED_PUBLIC_KEYS",
        )
        parser.add_argument(
            "--incremental",
            action="store_true",
            help="start at the latest checkpoint instead of seq 1 (the frequent check; run the "
            "full verification nightly)",
        )
        parser.add_argument(
            "--allow-shorter",
            action="store_true",
            help="verifying a restored backup: checkpoints newer than its last event are warnings",
        )
        parser.add_argument("--batch-size", type=int, default=10000)
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help="processes that read and check pages side by side (PostgreSQL; about one per "
            "idle core; default 1: everything in this process). The result is the same",
        )
        parser.add_argument("--no-progress", action="store_true", help="do not print progress")

    def handle(self, *args: Any, **options: Any) -> None:
        progress = None if options["no_progress"] else throughput_reporter(self.stderr._out)
        result = verify_chain(
            checkpoint_path=options["checkpoints"],
            public_keys=options["public_key"],
            incremental=options["incremental"],
            allow_shorter=options["allow_shorter"],
            batch_size=options["batch_size"],
            progress=progress,
            workers=options["workers"],
        )
        if progress is not None:
            self.stderr.write("")
        for warning in result.warnings:
            self.stderr.write(f"warning: {warning}")
        if not result.ok:
            where = (
                f"seq {result.first_bad_seq}" if result.first_bad_seq is not None else "checkpoints"
            )
            raise CommandError(f"audit chain FAILED at {where}: {result.reason}")
        self.stdout.write(
            f"audit chain OK: {result.entries:,} events verified up to seq {result.last_seq}, "
            f"head {result.head}, {result.checkpoints_checked} checkpoints matched"
        )
        if result.status == STATUS_UNVERIFIABLE:
            lines = ", ".join(
                f"line {item['line']} (seq {item['seq']}, key {item['key_id']})"
                for item in result.unverifiable[:5]
            )
            raise CommandError(
                f"{len(result.unverifiable)} checkpoint lines are unverifiable: unknown key: "
                f"{lines}. If the key was yours, add its public key to "
                "AUDIT_RETIRED_PUBLIC_KEYS; otherwise find out who wrote these lines.",
                returncode=EXIT_UNVERIFIABLE,
            )


def throughput_reporter(stream: Any, every_seconds: float = 1.0) -> ProgressCallback:
    """A progress callback that writes ``verified N / M events (P%), R events/s`` lines."""
    started = time.monotonic()
    last_print = 0.0

    def report(done: int, total: int) -> None:
        nonlocal last_print
        now = time.monotonic()
        if now - last_print < every_seconds and done < total:
            return
        last_print = now
        rate = done / max(now - started, 1e-9)
        percent = 100.0 * done / total if total else 100.0
        stream.write(f"\rverified {done:,} / {total:,} events ({percent:5.1f}%), {rate:,.0f}/s")
        stream.flush()

    return report
