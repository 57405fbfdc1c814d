"""Attachment blobs: ciphertext in storage, constant memory, size limit, no leftovers."""

from __future__ import annotations

import hashlib
import io
import os
import tracemalloc
from pathlib import Path

import pytest

from referral_hub.vault.errors import AttachmentTooLarge, IntegrityFailure, Shredded
from referral_hub.vault.keys import new_data_key, shred
from referral_hub.vault.storage import (
    attachment_storage,
    open_decrypted,
    store_encrypted,
    verify_encrypted,
)

pytestmark = pytest.mark.django_db
MiB = 1024 * 1024


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


class Zeros(io.RawIOBase):
    """A large upload that is never held in memory."""

    def __init__(self, size):
        self.remaining = size

    def readable(self):
        return True

    def read(self, size=-1):
        size = self.remaining if size < 0 else min(size, self.remaining)
        self.remaining -= size
        return bytes(size)


def test_round_trip_records_size_and_sha256(storage_dir):
    data = b"%PDF-1.7 " + os.urandom(300_000)
    data_key = new_data_key()
    blob = store_encrypted(io.BytesIO(data), data_key, max_bytes=MiB)
    assert blob.size == len(data)
    assert blob.sha256 == hashlib.sha256(data).hexdigest()
    assert b"".join(open_decrypted(blob.name, data_key)) == data
    assert verify_encrypted(blob.name, data_key) == len(data)


def test_storage_holds_only_ciphertext_under_a_random_name(storage_dir):
    data = "山田太郎の滞納通知 ".encode() * 1000
    blob = store_encrypted(io.BytesIO(data), new_data_key(), max_bytes=MiB)
    [path] = stored_files(storage_dir)
    assert path.name.endswith(".enc")
    assert "山田太郎".encode() not in path.read_bytes()
    assert blob.name.startswith("vault/")


def test_empty_file_round_trips(storage_dir):
    data_key = new_data_key()
    blob = store_encrypted(io.BytesIO(b""), data_key, max_bytes=MiB)
    assert blob.size == 0
    assert b"".join(open_decrypted(blob.name, data_key)) == b""


def test_oversize_upload_is_refused_and_leaves_nothing(storage_dir):
    with pytest.raises(AttachmentTooLarge, match=str(MiB)):
        store_encrypted(Zeros(3 * MiB), new_data_key(), max_bytes=MiB)
    assert stored_files(storage_dir) == []


def test_exactly_the_limit_is_accepted(storage_dir):
    blob = store_encrypted(Zeros(MiB), new_data_key(), max_bytes=MiB)
    assert blob.size == MiB


def test_memory_stays_constant_for_a_large_file(storage_dir):
    data_key = new_data_key()
    tracemalloc.start()
    try:
        blob = store_encrypted(Zeros(64 * MiB), data_key, max_bytes=100 * MiB)
        _, upload_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        total = sum(len(chunk) for chunk in open_decrypted(blob.name, data_key))
        _, download_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == 64 * MiB
    assert upload_peak < 2 * MiB
    assert download_peak < 2 * MiB


def test_blob_moved_to_another_data_key_is_refused(storage_dir):
    blob = store_encrypted(io.BytesIO(b"x" * 1000), new_data_key(), max_bytes=MiB)
    with pytest.raises(IntegrityFailure):
        verify_encrypted(blob.name, new_data_key())


def test_tampered_blob_is_refused_before_any_plaintext(storage_dir):
    data_key = new_data_key()
    blob = store_encrypted(io.BytesIO(os.urandom(200_000)), data_key, max_bytes=MiB)
    [path] = stored_files(storage_dir)
    damaged = bytearray(path.read_bytes())
    damaged[-100] ^= 1
    path.write_bytes(bytes(damaged))
    with pytest.raises(IntegrityFailure):
        verify_encrypted(blob.name, data_key)


def test_shredded_key_makes_the_blob_unreadable(storage_dir):
    data_key = new_data_key()
    blob = store_encrypted(io.BytesIO(b"letter"), data_key, max_bytes=MiB)
    shred(data_key)
    with pytest.raises(Shredded):
        open_decrypted(blob.name, data_key)


def test_cleartext_mode_is_for_benchmarks_only(storage_dir, settings):
    settings.VAULT_ENCRYPT_ATTACHMENTS = False
    data_key = new_data_key()
    blob = store_encrypted(io.BytesIO(b"clear"), data_key, max_bytes=MiB)
    assert blob.name.endswith(".plain")
    assert b"".join(open_decrypted(blob.name, data_key)) == b"clear"
    settings.VAULT_ENCRYPT_ATTACHMENTS = True
    with pytest.raises(IntegrityFailure, match="not encrypted"):
        open_decrypted(blob.name, data_key)


def test_uses_the_configured_default_storage(storage_dir):
    assert Path(attachment_storage().location) == storage_dir
