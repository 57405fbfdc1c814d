"""Encrypting and storing an upload happens before the transaction that records it: while the
file streams into storage, neither the audit chain head nor the sheet row is locked, so
audited reads elsewhere do not wait for the upload (issue 14, input 4). PostgreSQL only: the
probe takes the locks from a second connection."""

from __future__ import annotations

import threading

import psycopg
import pytest
from django.db import connection

from referral_hub.audit.models import AuditEvent, ChainHead
from referral_hub.handoffs.models import Attachment, ConnectSheet
from referral_hub.vault import storage
from tests.handoffs import test_attachments_api as attachments_api
from tests.handoffs.test_attachments_api import PDF_BYTES, client_for, upload

world = attachments_api.world

pytestmark = pytest.mark.django_db(transaction=True)


def _lockable(table: str, row_id: int) -> bool:
    """Whether another session can lock the row at once (it waits at most 200 ms)."""
    settings = connection.settings_dict
    with psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"] or None,
        password=settings["PASSWORD"] or None,
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
    ) as probe:
        probe.execute("SET lock_timeout = '200ms'")
        try:
            probe.execute(f"SELECT 1 FROM {table} WHERE id = %s FOR UPDATE", [row_id])  # noqa: S608
        except psycopg.errors.LockNotAvailable:
            return False
        return True


def test_no_lock_is_held_while_the_file_is_encrypted_and_stored(world, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: row locks seen from a second session")
    sheet = world["sheet"]
    probes: list[tuple[bool, bool]] = []
    original_read = storage._MeteredSource.read

    def read_and_probe(self, size=-1, /):
        if not probes:  # the first piece: the upload is streaming into storage now
            result: list[tuple[bool, bool]] = []
            worker = threading.Thread(
                target=lambda: result.append(
                    (
                        _lockable(ChainHead._meta.db_table, 1),
                        _lockable(ConnectSheet._meta.db_table, sheet.pk),
                    )
                )
            )
            worker.start()
            worker.join()
            probes.extend(result)
        return original_read(self, size)

    monkeypatch.setattr(storage._MeteredSource, "read", read_and_probe)
    response = upload(client_for(world["users"]["tax_clerk"]), sheet.pk, PDF_BYTES)

    assert response.status_code == 201, response.json()
    assert probes == [(True, True)]  # chain head and sheet row both free during the store
    attachment = Attachment.objects.get()
    assert AuditEvent.objects.filter(
        action="sheet.attachment_added", target_id=str(attachment.pk)
    ).exists()
