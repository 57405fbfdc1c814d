"""Attachment ciphertext on S3-compatible storage (django-storages + boto3), against moto's
standalone S3 server started here (``moto_server``, installed from PyPI with ``moto[server]``).

The server runs in its own process, so the memory measured here is the application's alone:
upload and download stream in constant memory, and the bucket holds ciphertext only."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from referral_hub.vault.errors import AttachmentTooLarge, IntegrityFailure
from referral_hub.vault.keys import new_data_key
from referral_hub.vault.s3 import S3_BACKEND, s3_storage_options
from referral_hub.vault.storage import (
    attachment_storage,
    delete_stored,
    open_decrypted,
    store_encrypted,
    verify_encrypted,
)

pytestmark = pytest.mark.django_db
MiB = 1024 * 1024
BUCKET = "referral-hub-attachments"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _moto_server() -> str:
    beside_python = Path(sys.executable).with_name("moto_server")
    found = str(beside_python) if beside_python.exists() else shutil.which("moto_server")
    if found is None:
        pytest.skip('moto_server not installed (pip install "moto[server]")')
    return found


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """moto's S3-protocol server on a free port, for this module only."""
    port = _free_port()
    server = subprocess.Popen(
        [_moto_server(), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("moto_server did not start") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def s3_storage(settings, s3_endpoint, monkeypatch):
    """STORAGES["default"] as settings.py builds it from ATTACHMENT_S3_*, on a fresh bucket."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    environment = {
        "ATTACHMENT_S3_BUCKET": BUCKET,
        "ATTACHMENT_S3_ENDPOINT_URL": s3_endpoint,
        "ATTACHMENT_S3_PART_MB": "5",
        "ATTACHMENT_S3_CONCURRENCY": "2",
    }
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": S3_BACKEND,
            "OPTIONS": s3_storage_options(lambda name, default: environment.get(name, default)),
        },
    }
    storage = attachment_storage()
    bucket = storage.bucket
    bucket.create(CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"})
    yield storage
    bucket.objects.all().delete()
    bucket.delete()


class Counting:
    """``size`` bytes of deterministic pseudo-random plaintext, produced as they are read (the
    file never exists in memory), hashed on the way."""

    def __init__(self, size: int, marker: bytes = b"") -> None:
        self.remaining = size
        self.block = (marker + os.urandom(64 * 1024))[: 64 * 1024]
        self.sha256 = hashlib.sha256()

    def read(self, size: int = -1, /) -> bytes:
        size = self.remaining if size < 0 else min(size, self.remaining)
        data = (self.block * (size // len(self.block) + 1))[:size]
        self.remaining -= size
        self.sha256.update(data)
        return data


def _peaks(size: int) -> tuple[int, int, str, str]:
    """Traced peak memory of one upload and one download of ``size`` bytes, and the SHA-256
    of what went in and what came out."""
    data_key = new_data_key()
    source = Counting(size)
    tracemalloc.start()
    try:
        blob = store_encrypted(source, data_key, max_bytes=size)
        _, upload_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        digest = hashlib.sha256()
        for chunk in open_decrypted(blob.name, data_key):
            digest.update(chunk)
        _, download_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert blob.size == size
    return upload_peak, download_peak, source.sha256.hexdigest(), digest.hexdigest()


def test_attachment_on_s3_round_trips_and_the_bucket_holds_ciphertext_only(s3_storage):
    data_key = new_data_key()
    plaintext = "住民の相談記録 secret-marker ".encode() * 2000
    blob = store_encrypted(Counting(len(plaintext), plaintext), data_key, max_bytes=MiB)

    keys = [obj.key for obj in s3_storage.bucket.objects.all()]
    assert keys == [blob.name]
    assert blob.name.startswith("vault/") and blob.name.endswith(".enc")
    stored = s3_storage.bucket.Object(blob.name).get()["Body"].read()
    assert b"secret-marker" not in stored
    assert "住民".encode() not in stored
    assert verify_encrypted(blob.name, data_key) == blob.size
    assert hashlib.sha256(b"".join(open_decrypted(blob.name, data_key))).hexdigest() == blob.sha256


def test_upload_and_download_stream_through_s3_in_constant_memory(s3_storage):
    small_up, small_down, sent, received = _peaks(12 * MiB)
    assert sent == received
    large_up, large_down, sent, received = _peaks(48 * MiB)
    assert sent == received
    # Multipart parts of 5 MiB, at most two in memory at once: the peak does not grow with the
    # file (12 MiB vs 48 MiB), and a download holds one encrypted chunk, not the object.
    assert large_up < 24 * MiB
    assert large_up < small_up + 2 * MiB
    assert large_down < 2 * MiB
    assert large_down < small_down + MiB


def test_oversize_upload_to_s3_leaves_no_object(s3_storage):
    with pytest.raises(AttachmentTooLarge):
        store_encrypted(Counting(12 * MiB), new_data_key(), max_bytes=11 * MiB)
    assert list(s3_storage.bucket.objects.all()) == []


def test_object_swapped_on_s3_is_refused(s3_storage):
    first, second = new_data_key(), new_data_key()
    blob = store_encrypted(Counting(1000), first, max_bytes=MiB)
    other = store_encrypted(Counting(1000), second, max_bytes=MiB)
    s3_storage.bucket.Object(blob.name).copy_from(CopySource={"Bucket": BUCKET, "Key": other.name})
    with pytest.raises(IntegrityFailure):
        verify_encrypted(blob.name, first)
    delete_stored(blob.name)
    assert [obj.key for obj in s3_storage.bucket.objects.all()] == [other.name]


def test_settings_select_s3_from_the_environment(tmp_path):
    environment = {
        **os.environ,
        "ATTACHMENT_STORAGE_BACKEND": S3_BACKEND,
        "ATTACHMENT_S3_BUCKET": "hub-bucket",
        "ATTACHMENT_S3_ENDPOINT_URL": "https://s3.example.lg.jp",
        "ATTACHMENT_S3_PART_MB": "16",
    }
    code = (
        "from django.conf import settings; import django; django.setup(); "
        "o = settings.STORAGES['default']; c = o['OPTIONS']; "
        "print(o['BACKEND'], c['bucket_name'], c['endpoint_url'], c['addressing_style'], "
        "c['transfer_config'].multipart_chunksize)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**environment, "DJANGO_SETTINGS_MODULE": "tests.settings"},
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    ).stdout.split()
    assert out == [S3_BACKEND, "hub-bucket", "https://s3.example.lg.jp", "path", str(16 * MiB)]
