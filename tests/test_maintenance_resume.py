"""Long maintenance commands survive kill -9: ``rotate_keys`` and ``apply_retention`` are
killed mid-run (SIGKILL, no cleanup), then run again; the second run finishes the work, nothing
is done twice (one audit row per shredded sheet) and every key still opens its data.

The commands run as real subprocesses against the test database (committed data: transactional
tests), printing progress on stderr as an operator sees it."""

from __future__ import annotations

import base64
import datetime
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from referral_hub.audit.models import AuditEvent
from referral_hub.handoffs.models import ConnectSheet
from referral_hub.vault.keyring import current_keyring, parse_keyring
from referral_hub.vault.models import DataKey
from tests.reports.conftest import jst, make_sheet, make_user, place, resident, sender

__all__ = ["make_sheet", "make_user", "place", "resident", "sender"]

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[1]


def _command(*args: str, **environment: str) -> subprocess.Popen:
    settings = connection.settings_dict
    url = (
        f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:"
        f"{settings['PORT'] or 5432}/{settings['NAME']}"
        if connection.vendor == "postgresql"
        else f"sqlite:///{settings['NAME']}"
    )
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "tests.settings",
           "DB_POOL_MAX_SIZE": "0", **environment}  # fmt: skip
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _kill_after(process: subprocess.Popen, marker: str, lines: int) -> list[str]:
    """SIGKILL ``process`` once it has printed ``lines`` progress lines containing ``marker``."""
    seen: list[str] = []
    assert process.stderr is not None
    for line in process.stderr:
        if marker in line:
            seen.append(line)
            if len(seen) == lines:
                process.send_signal(signal.SIGKILL)
                break
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL, "the command ended before it could be killed"
    return seen


def _finish(process: subprocess.Popen) -> str:
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    return out + err


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="needs PostgreSQL"
)
def test_rotate_keys_killed_mid_run_resumes_and_every_key_still_unwraps() -> None:
    old_ring = current_keyring()
    deks = {}
    rows = []
    for _ in range(3000):
        dek = os.urandom(32)
        kek_id, wrapped = old_ring.wrap(dek)
        rows.append(DataKey(kek_id=kek_id, wrapped=wrapped))
    for key in DataKey.objects.bulk_create(rows):
        deks[key.pk] = old_ring.unwrap(key.kek_id, bytes(key.wrapped))
    new_key = os.urandom(32)
    ring_env = {
        "VAULT_KEYS": f"rotated:{base64.urlsafe_b64encode(new_key).decode()},"
        + os.environ["VAULT_KEYS"],
        "VAULT_ACTIVE_KEY": "rotated",
    }
    _kill_after(_command("rotate_keys", "--batch-size", "20", **ring_env), "re-wrapped", 5)
    moved = DataKey.objects.filter(kek_id="rotated").count()
    assert 100 <= moved < 3000  # five batches committed, the rest not yet
    assert DataKey.objects.count() == 3000

    output = _finish(_command("rotate_keys", "--batch-size", "500", **ring_env))
    assert f"{3000 - moved} data key(s) re-wrapped" in output
    assert "re-wrapped (100%)" in output  # progress
    both = parse_keyring(ring_env["VAULT_KEYS"], "rotated")
    for key in DataKey.objects.all():
        assert key.kek_id == "rotated"
        assert both.unwrap(key.kek_id, bytes(key.wrapped)) == deks[key.pk]


def test_apply_retention_killed_mid_run_resumes_without_doing_anything_twice(
    make_sheet, place
) -> None:
    closed = jst(2019, 6, 1, 9, 0)
    for day in range(400):
        make_sheet(
            jst(2019, 5, 1, 9, 0) + datetime.timedelta(minutes=day),
            department=place.shuno,
            events=[("closed", closed, "declined")],
        )
    ConnectSheet.objects.update(closed_at=closed)

    seen = _kill_after(_command("apply_retention"), "processed", 1)
    assert "100/400 processed" in seen[0]
    shredded = ConnectSheet.objects.filter(data_key__shredded_at__isnull=False).count()
    assert 100 <= shredded < 400

    output = _finish(_command("apply_retention"))
    assert f"apply_retention: {400 - shredded} sheet(s) closed before" in output  # the rest only
    assert f"{400 - shredded} sheet(s) shredded." in output
    assert not ConnectSheet.objects.filter(data_key__shredded_at__isnull=True).exists()
    assert AuditEvent.objects.filter(action="sheet.retention_shredded").count() == 400
