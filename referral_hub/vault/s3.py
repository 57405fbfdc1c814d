"""Attachment ciphertext on S3-compatible object storage (django-storages' ``S3Storage``).

``s3_storage_options(env)`` builds the backend's OPTIONS from the environment (settings.py calls
it when ``ATTACHMENT_STORAGE_BACKEND`` is ``storages.backends.s3.S3Storage``). Uploads are
multipart with at most ``ATTACHMENT_S3_CONCURRENCY`` parts of ``ATTACHMENT_S3_PART_MB`` in
memory, whatever the file's size; ``open_object_stream`` reads an object straight from the
response body, so a download neither buffers the object in memory nor spools it to a local
temporary file (django-storages' ``S3File`` would copy the whole object first).

The storage only ever sees ciphertext (``vault.storage``); the bucket needs no server-side
encryption for confidentiality, though it does no harm. Operator notes: docs/operations/storage.md.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import IO, Any

MiB = 1024 * 1024
S3_BACKEND = "storages.backends.s3.S3Storage"
MIN_PART_MB = 5  # S3's smallest multipart part (except the last)


def s3_storage_options(env: Callable[[str, str], str]) -> dict[str, Any]:
    """OPTIONS for ``S3Storage`` from ``ATTACHMENT_S3_*``. ``env(name, default)`` reads one
    variable. Credentials come from boto3's usual chain (``AWS_ACCESS_KEY_ID`` /
    ``AWS_SECRET_ACCESS_KEY`` in the environment, an instance role, ...), never from settings."""
    from boto3.s3.transfer import TransferConfig

    part = max(MIN_PART_MB, int(env("ATTACHMENT_S3_PART_MB", "8"))) * MiB
    concurrency = max(1, int(env("ATTACHMENT_S3_CONCURRENCY", "2")))
    transfer = TransferConfig(
        multipart_threshold=part, multipart_chunksize=part, max_concurrency=concurrency
    )
    # A streamed (non-seekable) upload holds each part in memory until it is sent: bound them.
    transfer.max_in_memory_upload_chunks = concurrency
    endpoint = env("ATTACHMENT_S3_ENDPOINT_URL", "")
    options: dict[str, Any] = {
        "bucket_name": env("ATTACHMENT_S3_BUCKET", ""),
        "region_name": env("ATTACHMENT_S3_REGION", "ap-northeast-1"),
        "location": env("ATTACHMENT_S3_PREFIX", ""),
        "transfer_config": transfer,
        "file_overwrite": True,  # names are random (vault/ab/<uuid>.enc): no HEAD per upload
        "default_acl": None,  # the bucket's policy decides; objects are never public
        "querystring_auth": True,
    }
    if endpoint:  # MinIO, Ceph, a cloud's S3-compatible service, moto in the tests
        options["endpoint_url"] = endpoint
        options["addressing_style"] = env("ATTACHMENT_S3_ADDRESSING_STYLE", "path")
    return options


def open_object_stream(storage: Any, name: str) -> contextlib.AbstractContextManager[IO[bytes]]:
    """The stored object as a readable stream: for ``S3Storage`` the GET response body (read
    from the socket as asked), for any other backend ``storage.open(name, "rb")``."""
    if not type(storage).__module__.startswith("storages.backends.s3"):
        return storage.open(name, "rb")  # without importing boto3 where S3 is not used
    from storages.backends.s3 import S3Storage
    from storages.utils import clean_name, safe_join

    if not isinstance(storage, S3Storage):
        return storage.open(name, "rb")
    key = safe_join(storage.location, clean_name(name))
    body = storage.bucket.Object(key).get()["Body"]
    return contextlib.closing(body)
