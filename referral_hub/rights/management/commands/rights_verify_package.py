"""Check a disclosure package's completeness proof (JSON form) against the audit log.

    python manage.py rights_verify_package package.json

Exit status 0 when the checkpoint it names is signed and verifies, every listed record still
hashes as listed, and no disclosure in the package's period is missing; 1 otherwise, with why.
Meant for the privacy officer and a review board (審査会); run ``audit_verify`` alongside.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from referral_hub.rights.proof import check_package


class Command(BaseCommand):
    help = "Check a disclosure package's completeness proof against the audit log."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("package", help="the package as JSON (?format=json)")

    def handle(self, *args: Any, package: str, **options: Any) -> None:
        try:
            data = json.loads(Path(package).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot read the package: {exc}") from exc
        result = check_package(data)
        if not result.ok:
            raise CommandError(f"package proof FAILED: {result.reason}")
        seq = data["proof"]["checkpoint"]["seq"]
        self.stdout.write(
            f"package proof OK: {len(data['proof']['listed'])} records, checkpoint seq {seq}"
        )
