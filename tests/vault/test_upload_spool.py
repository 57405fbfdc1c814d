"""Uploads larger than FILE_UPLOAD_MAX_MEMORY_SIZE are spooled sealed, never in clear
(issue 14, input 5), and still arrive byte for byte; ``vault_gc`` removes only old objects
that no row references."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import pytest
from django.core.management import call_command

from referral_hub.handoffs.models import Attachment
from referral_hub.vault.content_types import PDF, detect_content_type
from referral_hub.vault.keys import new_data_key
from referral_hub.vault.storage import store_encrypted
from referral_hub.vault.uploads import SPOOL_CHUNK, SealedSpool, SealedSpoolUploadHandler
from tests.handoffs import test_attachments_api as attachments_api
from tests.handoffs.test_attachments_api import body_of, client_for, download, upload

# The attachment API tests' fixtures (pytest finds fixtures by module attribute name).
world = attachments_api.world

MARKER = b"PLAINTEXT-MARKER-"


def test_spool_reads_back_plaintext_but_holds_only_ciphertext(tmp_path):
    data = b"%PDF-1.7\n" + MARKER * 20_000 + os.urandom(1000)
    spool = SealedSpool(str(tmp_path))
    for start in range(0, len(data), 7919):  # odd pieces across chunk boundaries
        spool.append(data[start : start + 7919])
    spool.seal()
    on_disk = spool._file
    on_disk.seek(0)
    raw = on_disk.read()
    assert MARKER not in raw
    assert len(raw) > len(data)
    assert list(tmp_path.iterdir()) == []  # the spool file has no name in the directory

    reader = io.BufferedReader(spool, SPOOL_CHUNK)
    assert detect_content_type(reader) == PDF
    assert reader.read() == data
    reader.seek(SPOOL_CHUNK - 5)
    assert reader.read(10) == data[SPOOL_CHUNK - 5 : SPOOL_CHUNK + 5]
    reader.seek(-3, io.SEEK_END)
    assert reader.read() == data[-3:]
    reader.close()
    assert spool.closed


def test_handler_stops_spooling_past_the_size_limit(settings, tmp_path):
    settings.ATTACHMENT_MAX_BYTES = 100_000
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    handler = SealedSpoolUploadHandler()
    handler.new_file("file", "big.pdf", "application/pdf", None)
    for offset in range(0, 1_000_000, 65_536):
        handler.receive_data_chunk(b"x" * 65_536, offset)
    spooled = handler.spool.size
    uploaded = handler.file_complete(1_048_576)
    assert spooled == 100_001  # one byte over the limit: still recognisably too large
    assert uploaded.size == 1_048_576
    assert len(uploaded.read()) == 100_001
    uploaded.close()


@pytest.mark.django_db
def test_upload_over_the_memory_threshold_round_trips_and_leaves_no_spool(
    world, settings, tmp_path
):
    spool_dir = tmp_path / "spool"
    spool_dir.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(spool_dir)
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
    data = b"%PDF-1.7\n" + MARKER * 40_000  # ~680 KiB, ten times the memory threshold
    response = upload(client_for(world["users"]["tax_clerk"]), world["sheet"].pk, data)
    assert response.status_code == 201, response.json()
    got = download(client_for(world["users"]["consult1"]), response.json()["id"])
    assert body_of(got) == data
    assert list(spool_dir.iterdir()) == []


def _age(path: Path, hours: float) -> None:
    then = time.time() - hours * 3600
    os.utime(path, (then, then))


@pytest.mark.django_db
def test_vault_gc_removes_old_unreferenced_objects_only(world, storage_dir):
    kept = upload(client_for(world["users"]["tax_clerk"]), world["sheet"].pk)
    assert kept.status_code == 201
    referenced = Path(storage_dir) / Attachment.objects.get().storage_name
    old_orphan = store_encrypted(io.BytesIO(b"%PDF-orphan"), new_data_key(), max_bytes=1000)
    young_orphan = store_encrypted(io.BytesIO(b"%PDF-young"), new_data_key(), max_bytes=1000)
    _age(Path(storage_dir) / old_orphan.name, 25)
    _age(referenced, 25 * 365)

    out = io.StringIO()
    call_command("vault_gc", stdout=out)  # default grace: 24 h
    remaining = {str(p.relative_to(storage_dir)) for p in Path(storage_dir).rglob("*.enc")}
    assert remaining == {Attachment.objects.get().storage_name, young_orphan.name}
    assert "deleted 1 " in out.getvalue()

    call_command("vault_gc", "--grace-hours", "0", "--dry-run", stdout=out)
    assert (Path(storage_dir) / young_orphan.name).exists()
    call_command("vault_gc", "--grace-hours", "0", stdout=io.StringIO())
    remaining = {str(p.relative_to(storage_dir)) for p in Path(storage_dir).rglob("*.enc")}
    assert remaining == {Attachment.objects.get().storage_name}


@pytest.mark.django_db
def test_vault_gc_with_nothing_stored_yet_deletes_nothing(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "never-used")},
        },
    }
    out = io.StringIO()
    call_command("vault_gc", "--grace-hours", "0", stdout=out)
    assert "deleted 0 " in out.getvalue()
