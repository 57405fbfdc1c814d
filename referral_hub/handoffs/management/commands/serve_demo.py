"""Serve the demo on one ASGI process, with the periodic work a process manager would run in
production: the overdue sweep every minute and a signed audit checkpoint every five minutes."""

from __future__ import annotations

import logging
import threading

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from referral_hub.audit.checkpoints import write_checkpoint
from referral_hub.handoffs.periodic import run_registered, sweep_escalations
from referral_hub.handoffs.services import sweep_overdue

log = logging.getLogger(__name__)

SWEEP_SECONDS = 60
CHECKPOINT_SECONDS = 300


def _periodic(stop: threading.Event) -> None:
    elapsed = 0
    while not stop.wait(SWEEP_SECONDS if elapsed else 5):
        close_old_connections()
        try:
            count = sweep_overdue()
            if count:
                log.info("overdue sweep: %d sheets", count)
            ladder = sweep_escalations()
            if any(ladder.values()):
                log.info("escalation sweep: %s", ladder)
            run_registered()
            if elapsed % CHECKPOINT_SECONDS == 0:
                checkpoint = write_checkpoint()
                log.info("audit checkpoint at seq %s", checkpoint.seq)
        except Exception:  # keep the demo serving; the next round retries
            log.exception("periodic demo work failed")
        finally:
            close_old_connections()
        elapsed += SWEEP_SECONDS


class Command(BaseCommand):
    help = (
        "Run the demo: ASGI server on 127.0.0.1:8000 plus the overdue sweep and audit checkpoints."
    )

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args, addrport: str, **options):
        if not settings.DEBUG:
            raise CommandError(
                "serve_demo is for the demo (DEBUG=1). In production run uvicorn workers and "
                "schedule sweep_overdue and audit_checkpoint (see docs/operations/)."
            )
        stop = threading.Event()
        worker = threading.Thread(target=_periodic, args=(stop,), name="demo-periodic", daemon=True)
        worker.start()
        try:
            call_command("runserver", addrport, use_reloader=False)
        finally:
            stop.set()
